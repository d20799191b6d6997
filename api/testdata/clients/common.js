"use strict";
// Shared by the client scripts: the endpoint from the environment (loopback
// only), realistic ASN test data, and a tiny check runner that prints each
// check's name and exits non-zero when any check failed.

const crypto = require("node:crypto");

const VERBS = {
  completed: { id: "http://adlnet.gov/expapi/verbs/completed", display: { "id-ID": "menyelesaikan", "en-US": "completed" } },
  attended: { id: "http://adlnet.gov/expapi/verbs/attended", display: { "id-ID": "menghadiri", "en-US": "attended" } },
  experienced: { id: "http://adlnet.gov/expapi/verbs/experienced", display: { "id-ID": "mengikuti", "en-US": "experienced" } },
  voided: { id: "http://adlnet.gov/expapi/verbs/voided", display: { "en-US": "voided" } },
};

const SIASN = "https://siasn.bkn.go.id";

// config reads JEJAK_XAPI_ENDPOINT (".../xapi"), JEJAK_XAPI_KEY and
// JEJAK_XAPI_SECRET and refuses any endpoint that is not on loopback.
function config() {
  const endpoint = process.env.JEJAK_XAPI_ENDPOINT;
  const key = process.env.JEJAK_XAPI_KEY;
  const secret = process.env.JEJAK_XAPI_SECRET;
  if (!endpoint || !key || !secret) {
    console.error("usage: JEJAK_XAPI_ENDPOINT=http://127.0.0.1:8080/xapi JEJAK_XAPI_KEY=… JEJAK_XAPI_SECRET=… node " + process.argv[1]);
    process.exit(2);
  }
  const u = new URL(endpoint);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(u.hostname)) {
    console.error(`refusing endpoint ${endpoint}: these scripts talk to a Jejak on loopback only`);
    process.exit(2);
  }
  return { endpoint: endpoint.replace(/\/+$/, ""), key, secret };
}

function pick(n) {
  return crypto.randomInt(n);
}

function pad(n, width) {
  return String(n).padStart(width, "0");
}

// nip makes an 18-digit NIP: birth date (8), appointment year and month
// (6), sex (1), sequence (3).
function nip() {
  const birth = `${1975 + pick(25)}${pad(1 + pick(12), 2)}${pad(1 + pick(28), 2)}`;
  const tmt = `${2005 + pick(18)}${pad(1 + pick(12), 2)}`;
  return `${birth}${tmt}${1 + pick(2)}${pad(1 + pick(999), 3)}`;
}

function agent(name) {
  return { objectType: "Agent", name, account: { homePage: SIASN, name: nip() } };
}

// run is a short id that keeps one run's activities apart from every other
// run's when the scripts are pointed at a long-lived server by hand.
const run = crypto.randomUUID().slice(0, 8);

function activity(path, name) {
  return {
    objectType: "Activity",
    id: `https://lms.example.go.id/${path}-${run}`,
    definition: { name: { "id-ID": name } },
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Checks run in order; a failed check is reported and the run continues, so
// one run lists every failure. Later checks that need an earlier one's
// result fail with it.
const results = { ok: 0, failed: [], pending: [] };

async function check(name, fn) {
  try {
    await fn();
    results.ok++;
    console.log(`ok   ${name}`);
  } catch (err) {
    results.failed.push(name);
    console.log(`FAIL ${name}\n     ${describe(err).split("\n").join("\n     ")}`);
  }
}

// optional runs a check for a feature another part of the server is still
// building: an answer that says so is reported as SKIP-PENDING, not failed.
async function optional(name, fn, isPending) {
  try {
    await fn();
    results.ok++;
    console.log(`ok   ${name}`);
  } catch (err) {
    const why = isPending(err);
    if (why) {
      results.pending.push(name);
      console.log(`SKIP-PENDING ${name}: ${why}`);
      return;
    }
    results.failed.push(name);
    console.log(`FAIL ${name}\n     ${describe(err).split("\n").join("\n     ")}`);
  }
}

function describe(err) {
  if (err && err.httpStatus !== undefined) {
    return `server answered ${err.httpStatus} ${String(err.httpBody).trim()}` + (err.request ? ` to ${err.request}` : "");
  }
  if (err && err.name === "AssertionError") {
    return err.message.trim();
  }
  return (err && err.stack) || String(err);
}

function finish() {
  const summary = `${results.ok} ok, ${results.failed.length} failed, ${results.pending.length} skip-pending`;
  if (results.failed.length > 0) {
    console.log(`\n${summary}\nfailed: ${results.failed.join("; ")}`);
    process.exit(1);
  }
  console.log(`\n${summary}`);
}

// A run that hangs is a failure with a message, not a silent kill.
function watchdog(seconds) {
  setTimeout(() => {
    console.log(`FAIL the run did not finish within ${seconds}s`);
    process.exit(1);
  }, seconds * 1000).unref();
}

// ids lists statement ids; byStoredDesc/Asc tell whether a page is in order.
const ids = (stmts) => stmts.map((s) => s.id);

function storedOrder(stmts, ascending) {
  for (let i = 1; i < stmts.length; i++) {
    const a = Date.parse(stmts[i - 1].stored);
    const b = Date.parse(stmts[i].stored);
    if (ascending ? a > b : a < b) {
      return `statement ${i} (${stmts[i].id}, stored ${stmts[i].stored}) is out of ${ascending ? "ascending" : "descending"} stored order after ${stmts[i - 1].stored}`;
    }
  }
  return null;
}

module.exports = {
  VERBS,
  SIASN,
  config,
  nip,
  agent,
  activity,
  run,
  sleep,
  check,
  optional,
  finish,
  watchdog,
  ids,
  storedOrder,
};
