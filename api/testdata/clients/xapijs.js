"use strict";
// Drives Jejak with xAPI.js (npm "@xapi/xapi"), a typed client used by
// current LMS and cmi5 content. It speaks xAPI 1.0.3 and sends requests
// through axios (its default adapter in Node).
//
//   JEJAK_XAPI_ENDPOINT=http://127.0.0.1:8080/xapi JEJAK_XAPI_KEY=… JEJAK_XAPI_SECRET=… node xapijs.js
//
// The statement filters are checked as xAPI 1.0.3 Communication 2.1.3
// (GET Statements) says they behave, including the StatementRef rule.
// Attachments and the document resources (state, activity profile, agent
// profile) are optional checks: while the server answers that they are
// "not accepted yet" / "not served yet", or 404 on a document route, they
// print SKIP-PENDING instead of failing.

const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const XAPI = require("@xapi/xapi");
const c = require("./common");

c.watchdog(50);
const cfg = c.config();

const xapi = new XAPI({
  endpoint: cfg.endpoint + "/",
  auth: XAPI.toBasicAuth(cfg.key, cfg.secret),
  version: "1.0.3",
});

// Attachments go through a fetch adapter (the library takes any adapter
// function). With its default axios adapter in Node, axios replaces the
// library's "multipart/mixed; boundary=…" Content-Type with the type of the
// Blob the library builds, which is empty, so the LRS gets
// application/octet-stream (@xapi/xapi 3.0.3, axios 1.x). The library's
// own "fetch" adapter keeps the header but drops the HTTP status of an
// error; this one keeps both.
async function fetchAdapter({ url, method, data, headers }) {
  const body = headers["Content-Type"] === "application/json" && data !== undefined ? JSON.stringify(data) : data;
  const res = await fetch(url, { method, body, headers });
  let payload = await res.text();
  try {
    payload = JSON.parse(payload);
  } catch {
    // not JSON: multipart/mixed, which the library parses itself
  }
  if (!res.ok) {
    const err = new Error(`${method} ${url}: ${res.status}`);
    err.response = { status: res.status, data: payload };
    throw err;
  }
  return { data: payload, headers: Object.fromEntries(res.headers.entries()), status: res.status };
}

const xapiMultipart = new XAPI({
  endpoint: cfg.endpoint + "/",
  auth: XAPI.toBasicAuth(cfg.key, cfg.secret),
  version: "1.0.3",
  adapter: fetchAdapter,
});

// send wraps a library call: on an HTTP error it rejects with the status
// and body the server answered, so a failure names them.
async function send(what, promise) {
  try {
    return await promise;
  } catch (err) {
    if (err && err.response) {
      const e = new Error(`${what}: ${err.response.status}`);
      e.httpStatus = err.response.status;
      e.httpBody = typeof err.response.data === "string" ? err.response.data : JSON.stringify(err.response.data);
      e.request = what;
      throw e;
    }
    throw err;
  }
}

// pending says why a failed optional check is a feature still being built.
function pendingStatement(err) {
  if (err && err.httpStatus === 400 && /not (accepted|served) yet/.test(err.httpBody)) {
    return `${err.httpStatus} ${err.httpBody}`;
  }
  return null;
}

function pendingDocument(err) {
  if (err && err.httpStatus === 404) {
    return `${err.httpStatus} ${err.httpBody}`;
  }
  return pendingStatement(err);
}

// all follows more links from a first page and returns every statement.
async function all(what, first) {
  let page = first;
  const stmts = [...page.statements];
  for (let n = 0; page.more; n++) {
    assert.ok(n < 20, `more still set after ${n} pages`);
    page = (await send(`${what} more`, xapi.getMoreStatements({ more: page.more }))).data;
    stmts.push(...page.statements);
  }
  return stmts;
}

async function query(params) {
  const what = "GET statements?" + Object.keys(params).join("&");
  const res = await send(what, xapi.getStatements(params));
  assert.equal(res.status, 200);
  return all(what, res.data);
}

// sameSet compares the ids returned with those expected, in any order.
function sameSet(got, want, names) {
  const label = (id) => `${names[id] || "other"}(${id.slice(0, 8)})`;
  assert.deepEqual(c.ids(got).map(label).sort(), want.map(label).sort());
}

function statement(actor, verb, object, extra) {
  return { id: crypto.randomUUID(), actor, verb, object, timestamp: new Date().toISOString(), ...extra };
}

async function main() {
  const siti = c.agent("Siti Rahmawati");
  const budi = c.agent("Budi Santoso");
  const mentor = c.agent("Dr. Rina Kusuma");
  const admin = c.agent("Admin LMS Pusdiklat");
  const course = c.activity("kursus/analisis-kebijakan-publik", "Analisis Kebijakan Publik");
  const module1 = c.activity("kursus/analisis-kebijakan-publik/modul-1", "Modul 1: Perumusan Masalah");
  const video = c.activity("kursus/analisis-kebijakan-publik/video-pengantar", "Video Pengantar");
  const seminar = c.activity("seminar/integritas-asn", "Seminar Integritas ASN");
  const regSiti = crypto.randomUUID();
  const regBudi = crypto.randomUUID();
  const inCourse = (registration) => ({ registration, platform: "LMS Pusdiklat", language: "id-ID", contextActivities: { parent: [{ id: course.id }] } });

  // Siti attended a seminar (sent alone), then in one batch: she watched the
  // course video and completed module 1 (both in her registration, the
  // course as parent), Budi completed the course, Budi attended the seminar
  // with Rina as instructor, Rina mentored Siti (Siti as the object). Last,
  // alone again: Siti completed the course.
  const x = {
    seminar: statement(siti, c.VERBS.attended, seminar),
    video: statement(siti, c.VERBS.experienced, video, { context: inCourse(regSiti) }),
    module: statement(siti, c.VERBS.completed, module1, {
      context: inCourse(regSiti),
      result: { completion: true, success: true, score: { scaled: 0.9 }, duration: "PT45M" },
    }),
    budi: statement(budi, c.VERBS.completed, course, { context: { registration: regBudi, platform: "LMS Pusdiklat" } }),
    budiSeminar: statement(budi, c.VERBS.attended, seminar, { context: { instructor: mentor } }),
    mentoring: statement(mentor, { id: "http://id.tincanapi.com/verb/mentored", display: { "id-ID": "membimbing" } }, siti),
    course: statement(siti, c.VERBS.completed, course, {
      context: { registration: regSiti, platform: "LMS Pusdiklat", language: "id-ID" },
      result: { completion: true, success: true, score: { scaled: 0.86 }, duration: "PT6H" },
    }),
  };
  const names = Object.fromEntries(Object.entries(x).map(([k, s]) => [s.id, k]));
  const batch = [x.video, x.module, x.budi, x.budiSeminar, x.mentoring];
  const stored = {}; // id → stored, as the LRS answers it

  await c.check("getAbout: the LRS serves 1.0.3", async () => {
    const res = await send("GET about", xapi.getAbout());
    assert.ok(res.data.version.includes("1.0.3"), `versions ${JSON.stringify(res.data.version)}`);
  });

  await c.check("sendStatement: one statement (POST) answers its id", async () => {
    const res = await send("POST statements", xapi.sendStatement({ statement: x.seminar }));
    assert.deepEqual(res.data, [x.seminar.id]);
    assert.equal(res.headers["x-experience-api-version"], "1.0.3");
  });

  await c.check("sendStatements: an array of 5 (POST) answers their ids in order", async () => {
    await c.sleep(5); // stored after the seminar
    const res = await send("POST statements (array)", xapi.sendStatements({ statements: batch }));
    assert.deepEqual(res.data, c.ids(batch));
  });

  await c.check("sendStatement: a statement without an id is given one", async () => {
    await c.sleep(5);
    const { id, ...noID } = x.course;
    const res = await send("POST statements", xapi.sendStatement({ statement: noID }));
    assert.equal(res.data.length, 1);
    assert.match(res.data[0], /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    x.course.id = res.data[0];
    names[x.course.id] = "course";
  });

  await c.check("getStatement: every statement by id, as sent, with stored and authority", async () => {
    for (const s of Object.values(x)) {
      const res = await send("GET statements?statementId", xapi.getStatement({ statementId: s.id }));
      const got = res.data;
      assert.equal(got.id, s.id);
      assert.deepEqual(got.actor, s.actor);
      assert.deepEqual(got.verb, s.verb);
      assert.equal(got.object.id, s.object.id);
      assert.deepEqual(got.context, s.context);
      assert.deepEqual(got.result, s.result);
      assert.ok(got.stored && got.authority, `stored ${got.stored}, authority ${JSON.stringify(got.authority)}`);
      stored[s.id] = got.stored;
    }
    assert.ok(Date.parse(stored[x.seminar.id]) < Date.parse(stored[x.video.id]), "the batch is not stored after the seminar");
    assert.ok(Date.parse(stored[x.video.id]) < Date.parse(stored[x.course.id]), "the last statement is not stored after the batch");
  });

  await c.check("getStatements agent: statements whose actor or object is Siti", async () => {
    sameSet(await query({ agent: siti }), [x.seminar.id, x.video.id, x.module.id, x.mentoring.id, x.course.id], names);
  });

  await c.check("getStatements agent + verb: Siti's completed statements only", async () => {
    sameSet(await query({ agent: siti, verb: c.VERBS.completed.id }), [x.module.id, x.course.id], names);
  });

  await c.check("getStatements activity: statements whose object is the course", async () => {
    sameSet(await query({ activity: course.id }), [x.budi.id, x.course.id], names);
  });

  await c.check("getStatements activity + related_activities: the course as object or context activity", async () => {
    sameSet(await query({ activity: course.id, related_activities: true }), [x.video.id, x.module.id, x.budi.id, x.course.id], names);
  });

  await c.check("getStatements agent: the instructor alone does not match", async () => {
    sameSet(await query({ agent: mentor }), [x.mentoring.id], names);
  });

  await c.check("getStatements agent + related_agents: the instructor matches too", async () => {
    sameSet(await query({ agent: mentor, related_agents: true }), [x.mentoring.id, x.budiSeminar.id], names);
  });

  await c.check("getStatements registration: Siti's registration only", async () => {
    sameSet(await query({ registration: regSiti }), [x.video.id, x.module.id, x.course.id], names);
  });

  await c.check("getStatements registration + since: stored strictly after (exclusive)", async () => {
    const since = stored[x.video.id];
    assert.ok(since, "no stored time from getStatement");
    const want = [x.video, x.module, x.course].filter((s) => Date.parse(stored[s.id]) > Date.parse(since)).map((s) => s.id);
    assert.deepEqual(want, [x.course.id], "fixture: only the last statement is stored after the batch");
    sameSet(await query({ registration: regSiti, since }), want, names);
  });

  await c.check("getStatements registration + until: stored at or before (inclusive)", async () => {
    const until = stored[x.video.id];
    assert.ok(until, "no stored time from getStatement");
    sameSet(await query({ registration: regSiti, until }), [x.video.id, x.module.id], names);
  });

  await c.check("getStatements with no match: 200 and an empty statements array", async () => {
    const res = await send("GET statements?agent", xapi.getStatements({ agent: c.agent("Tidak Ada") }));
    assert.deepEqual(res.data.statements, []);
    assert.ok(!res.data.more, `more is ${JSON.stringify(res.data.more)}`);
  });

  await c.check("getStatements agent, limit 2, getMoreStatements: 3 pages, newest first, each once, then more is empty", async () => {
    const first = (await send("GET statements?agent&limit=2", xapi.getStatements({ agent: siti, limit: 2 }))).data;
    assert.equal(first.statements.length, 2);
    assert.ok(first.more, "no more link on the first page");
    const pages = [first];
    while (pages[pages.length - 1].more) {
      assert.ok(pages.length < 5, "more still set after 5 pages");
      pages.push((await send("GET more", xapi.getMoreStatements({ more: pages[pages.length - 1].more }))).data);
    }
    assert.deepEqual(pages.map((p) => p.statements.length), [2, 2, 1]);
    const got = pages.flatMap((p) => p.statements);
    assert.equal(c.storedOrder(got, false), null);
    assert.equal(got[0].id, x.course.id);
    assert.equal(got[4].id, x.seminar.id);
    sameSet(got, [x.seminar.id, x.video.id, x.module.id, x.mentoring.id, x.course.id], names);
  });

  await c.check("getStatements agent + ascending: oldest first, through every page", async () => {
    const first = (await send("GET statements?agent&ascending&limit=2", xapi.getStatements({ agent: siti, ascending: true, limit: 2 }))).data;
    const got = await all("GET statements?agent&ascending&limit=2", first);
    assert.equal(c.storedOrder(got, true), null);
    assert.equal(got[0].id, x.seminar.id);
    assert.equal(got[got.length - 1].id, x.course.id);
    assert.equal(got.length, 5);
  });

  let voiding;
  await c.check("voidStatement: Siti's seminar statement is voided (StatementRef)", async () => {
    const res = await send("POST statements (voiding)", xapi.voidStatement({ actor: admin, statementId: x.seminar.id }));
    assert.equal(res.data.length, 1);
    voiding = res.data[0];
  });

  await c.check("getVoidedStatement: the voided statement by voidedStatementId", async () => {
    const res = await send("GET statements?voidedStatementId", xapi.getVoidedStatement({ voidedStatementId: x.seminar.id }));
    assert.equal(res.data.id, x.seminar.id);
    assert.equal(res.data.object.id, seminar.id);
  });

  await c.check("getStatement: the voided statement is 404 by statementId", async () => {
    await assert.rejects(send("GET statements?statementId (voided)", xapi.getStatement({ statementId: x.seminar.id })), (err) => err.httpStatus === 404);
  });

  await c.check("getStatement: the voiding statement by statementId", async () => {
    const res = await send("GET statements?statementId (voiding)", xapi.getStatement({ statementId: voiding }));
    assert.equal(res.data.verb.id, c.VERBS.voided.id);
    assert.deepEqual(res.data.object, { objectType: "StatementRef", id: x.seminar.id });
  });

  await c.check("getStatements agent after voiding: the voided statement is gone, the voiding one matches through its StatementRef", async () => {
    // 2.1.3 Filter Conditions for StatementRefs and 2.1.4: a statement
    // targeting a matching statement matches too, the voiding one included.
    names[voiding] = "voiding";
    sameSet(await query({ agent: siti }), [voiding, x.video.id, x.module.id, x.mentoring.id, x.course.id], names);
  });

  // Optional: attachments.
  const certificate = Buffer.from(`SERTIFIKAT\nAnalisis Kebijakan Publik\n${siti.name} (NIP ${siti.account.name})\n20 JP\n`, "utf8");
  const withAttachment = statement(siti, c.VERBS.completed, course, {
    context: { registration: regSiti, platform: "LMS Pusdiklat" },
    attachments: [
      {
        usageType: XAPI.AttachmentUsages.CERTIFICATE_OF_COMPLETION,
        display: { "id-ID": "Sertifikat" },
        contentType: "text/plain",
        length: certificate.length,
        sha2: crypto.createHash("sha256").update(certificate).digest("hex"),
      },
    ],
  });
  let attached = "failed"; // or "pending", "ok"
  await c.optional(
    "sendStatement with an attachment (multipart/mixed)",
    async () => {
      const body = certificate.buffer.slice(certificate.byteOffset, certificate.byteOffset + certificate.length);
      const res = await send("POST statements (multipart/mixed)", xapiMultipart.sendStatement({ statement: withAttachment, attachments: [body] }));
      assert.deepEqual(res.data, [withAttachment.id]);
      attached = "ok";
    },
    (err) => {
      const why = pendingStatement(err);
      if (why) {
        attached = "pending";
      }
      return why;
    },
  );
  await c.optional(
    "getStatement attachments=true returns the attachment",
    async () => {
      assert.ok(attached === "ok", "the statement with the attachment was not stored");
      const res = await send("GET statements?statementId&attachments=true", xapiMultipart.getStatement({ statementId: withAttachment.id, attachments: true }));
      const [stmt, ...parts] = res.data;
      assert.equal(stmt.id, withAttachment.id);
      assert.equal(parts.length, 1);
      assert.equal(String(parts[0]).trim(), certificate.toString("utf8").trim());
    },
    (err) => (attached === "pending" ? "the attachment was not accepted yet" : pendingStatement(err)),
  );

  // Optional: document resources.
  await c.optional(
    "setState / getState: the bookmark round-trips",
    async () => {
      const state = { bookmark: "modul-2/halaman-4", progress: 0.45 };
      const key = { agent: siti, activityId: course.id, stateId: "https://lms.example.go.id/state/bookmark", registration: regSiti };
      await send("PUT activities/state", xapi.setState({ ...key, state }));
      const res = await send("GET activities/state", xapi.getState(key));
      assert.deepEqual(res.data, state);
    },
    pendingDocument,
  );
  await c.optional(
    "createActivityProfile / getActivityProfile: the profile round-trips",
    async () => {
      const profile = { penyelenggara: "Pusdiklat", jp: 20 };
      const key = { activityId: course.id, profileId: "https://lms.example.go.id/profile/kursus" };
      await send("POST activities/profile", xapi.createActivityProfile({ ...key, profile }));
      const res = await send("GET activities/profile", xapi.getActivityProfile(key));
      assert.deepEqual(res.data, profile);
    },
    pendingDocument,
  );
  await c.optional(
    "setAgentProfile / getAgentProfile: the profile round-trips",
    async () => {
      const profile = { unitKerja: "Biro SDM", jabatan: "Analis Kebijakan Ahli Pertama" };
      const key = { agent: siti, profileId: "https://lms.example.go.id/profile/pegawai" };
      await send("PUT agents/profile", xapi.setAgentProfile({ ...key, profile, etag: "*", matchHeader: "If-None-Match" }));
      const res = await send("GET agents/profile", xapi.getAgentProfile(key));
      assert.deepEqual(res.data, profile);
    },
    pendingDocument,
  );
}

main().then(c.finish, (err) => {
  console.log(`FAIL unexpected error\n${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
