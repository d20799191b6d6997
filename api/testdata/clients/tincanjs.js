"use strict";
// Drives Jejak with TinCanJS (npm "tincanjs"), the Rustici library many LMS
// packages still embed. In Node, require("tincanjs") loads
// build/tincan-node.js: the library plus its Environment/Node shim, which
// sends requests through the "xhr2" module and supports callbacks only (no
// synchronous requests). TinCanJS speaks xAPI 1.0.2 by default.
//
//   JEJAK_XAPI_ENDPOINT=http://127.0.0.1:8080/xapi JEJAK_XAPI_KEY=… JEJAK_XAPI_SECRET=… node tincanjs.js

const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const TinCan = require("tincanjs");
const c = require("./common");

c.watchdog(50);
const cfg = c.config();

const lrs = new TinCan.LRS({
  endpoint: cfg.endpoint + "/",
  username: cfg.key,
  password: cfg.secret,
  allowFail: false,
});

// call turns a TinCanJS callback API into a promise. TinCanJS calls back
// with (null, result) on success and (httpStatus, xhr) on failure.
function call(what, start) {
  return new Promise((resolve, reject) => {
    start((err, result) => {
      if (err === null) {
        resolve(result);
        return;
      }
      const e = new Error(`${what}: ${err}`);
      if (result && typeof result.status === "number") {
        e.httpStatus = result.status;
        e.httpBody = result.responseText;
      } else {
        e.httpStatus = String(err);
        e.httpBody = "";
      }
      e.request = what;
      reject(e);
    });
  });
}

function statement(actor, verb, object, extra) {
  return new TinCan.Statement({
    id: crypto.randomUUID(),
    actor: new TinCan.Agent(actor),
    verb: new TinCan.Verb(verb),
    target: new TinCan.Activity(object),
    ...extra,
  });
}

async function main() {
  const siti = c.agent("Siti Rahmawati");
  const budi = c.agent("Budi Santoso");
  const course = c.activity("kursus/analisis-kebijakan-publik", "Analisis Kebijakan Publik");
  const seminar = c.activity("seminar/integritas-asn", "Seminar Integritas ASN");
  const video = c.activity("video/etika-birokrasi", "Video Etika Birokrasi");

  const first = statement(siti, c.VERBS.completed, course, {
    result: new TinCan.Result({ completion: true, success: true, score: { scaled: 0.86, raw: 86, min: 0, max: 100 }, duration: "PT1H35M" }),
    context: new TinCan.Context({ registration: crypto.randomUUID(), platform: "LMS Pusdiklat", language: "id-ID" }),
  });
  const batch = [
    statement(siti, c.VERBS.attended, seminar),
    statement(siti, c.VERBS.experienced, video),
    statement(budi, c.VERBS.completed, course),
  ];
  const again = statement(siti, c.VERBS.completed, course);
  // What the agent+verb+activity query must return, newest first.
  const wanted = [again.id, first.id];

  await c.check("about: the LRS serves a 1.0.x version", async () => {
    const about = await call("GET about", (cb) => lrs.about({ callback: cb }));
    assert.ok(Array.isArray(about.version), `about.version is ${JSON.stringify(about.version)}`);
    assert.ok(about.version.some((v) => /^1\.0\.\d+$/.test(v)), `no 1.0.x in ${JSON.stringify(about.version)}`);
  });

  await c.check("saveStatement: one statement with its id (PUT) is stored, 204", async () => {
    const xhr = await call("PUT statements", (cb) => lrs.saveStatement(first, { callback: cb }));
    assert.equal(xhr.status, 204);
  });

  await c.check("saveStatements: a batch of 3 (POST) answers their ids in order", async () => {
    const xhr = await call("POST statements", (cb) => lrs.saveStatements(batch, { callback: cb }));
    assert.equal(xhr.status, 200);
    assert.deepEqual(JSON.parse(xhr.responseText), batch.map((s) => s.id));
  });

  await c.check("saveStatement: a later statement by the same learner on the same course", async () => {
    await c.sleep(5); // a stored time after the first one's
    await call("PUT statements", (cb) => lrs.saveStatement(again, { callback: cb }));
  });

  await c.check("retrieveStatement: by id, as sent, with stored and authority", async () => {
    const got = await call("GET statements?statementId", (cb) => lrs.retrieveStatement(first.id, { callback: cb }));
    assert.ok(got instanceof TinCan.Statement, "not a TinCan.Statement");
    assert.equal(got.id, first.id);
    assert.equal(got.actor.account.homePage, c.SIASN);
    assert.equal(got.actor.account.name, siti.account.name);
    assert.equal(got.verb.id, c.VERBS.completed.id);
    assert.equal(got.target.id, course.id);
    assert.equal(got.result.score.scaled, 0.86);
    assert.equal(got.result.duration, "PT1H35M");
    assert.equal(got.context.registration, first.context.registration);
    assert.ok(got.stored, "no stored");
    assert.ok(got.authority, "no authority");
  });

  await c.check("retrieveStatement: an unknown id is 404", async () => {
    await assert.rejects(
      call("GET statements?statementId", (cb) => lrs.retrieveStatement(crypto.randomUUID(), { callback: cb })),
      (err) => err.httpStatus === 404,
    );
  });

  let page;
  await c.check("queryStatements: agent + verb + activity, limit 1: one match, newest first, and a more link", async () => {
    page = await call("GET statements?agent&verb&activity&limit=1", (cb) =>
      lrs.queryStatements({
        params: {
          agent: new TinCan.Agent(siti),
          verb: new TinCan.Verb(c.VERBS.completed),
          activity: new TinCan.Activity(course),
          limit: 1,
        },
        callback: cb,
      }),
    );
    assert.ok(page instanceof TinCan.StatementsResult, "not a TinCan.StatementsResult");
    assert.deepEqual(c.ids(page.statements), wanted.slice(0, 1));
    assert.ok(page.more, `more is ${JSON.stringify(page.more)} with another match left`);
  });

  await c.check("moreStatements: following more yields each match once, then more is empty", async () => {
    assert.ok(page && page.more, "no first page with a more link");
    const seen = c.ids(page.statements);
    for (let n = 0; page.more; n++) {
      assert.ok(n < 5, `more still set after ${n} pages`);
      page = await call("GET " + page.more, (cb) => lrs.moreStatements({ url: page.more, callback: cb }));
      seen.push(...c.ids(page.statements));
    }
    assert.deepEqual(seen, wanted);
  });

  await c.check("moreStatements: limit 2 without filters: the more link resolves and continues the listing", async () => {
    const one = await call("GET statements?limit=2", (cb) => lrs.queryStatements({ params: { limit: 2 }, callback: cb }));
    assert.equal(one.statements.length, 2);
    assert.ok(one.more, `more is ${JSON.stringify(one.more)} with more statements stored`);
    const two = await call("GET " + one.more, (cb) => lrs.moreStatements({ url: one.more, callback: cb }));
    assert.ok(two.statements.length > 0, "the second page is empty");
    const all = [...one.statements, ...two.statements];
    assert.equal(new Set(c.ids(all)).size, all.length, `a statement is on both pages: ${c.ids(all)}`);
    assert.equal(c.storedOrder(all, false), null);
  });

  const voided = batch[1]; // Siti experienced the video
  const voiding = new TinCan.Statement({
    id: crypto.randomUUID(),
    actor: new TinCan.Agent(c.agent("Admin LMS Pusdiklat")),
    verb: new TinCan.Verb(c.VERBS.voided),
    target: new TinCan.StatementRef({ id: voided.id }),
  });

  await c.check("saveStatement: a voiding statement (verb voided, StatementRef) is stored", async () => {
    const xhr = await call("PUT statements (voiding)", (cb) => lrs.saveStatement(voiding, { callback: cb }));
    assert.equal(xhr.status, 204);
  });

  await c.check("retrieveVoidedStatement: the voided statement is found by voidedStatementId", async () => {
    const got = await call("GET statements?voidedStatementId", (cb) => lrs.retrieveVoidedStatement(voided.id, { callback: cb }));
    assert.equal(got.id, voided.id);
    assert.equal(got.target.id, video.id);
  });

  await c.check("retrieveStatement: the voided statement is 404 by statementId", async () => {
    await assert.rejects(
      call("GET statements?statementId (voided)", (cb) => lrs.retrieveStatement(voided.id, { callback: cb })),
      (err) => err.httpStatus === 404,
    );
  });

  await c.check("queryStatements: agent + activity no longer lists the voided statement", async () => {
    const res = await call("GET statements?agent&activity", (cb) =>
      lrs.queryStatements({ params: { agent: new TinCan.Agent(siti), activity: new TinCan.Activity(video) }, callback: cb }),
    );
    assert.ok(!c.ids(res.statements).includes(voided.id), "voided statement listed");
  });
}

main().then(c.finish, (err) => {
  console.log(`FAIL unexpected error\n${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
