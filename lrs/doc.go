// Package lrs is the domain core of Jejak: the xAPI statement model and its
// validation, the credential model, the event envelopes written to the log,
// and the write path that appends statements to the log.
//
// It knows nothing of NATS, Pebble or HTTP. Adapters (lrs/natslog, package
// projections, package api) depend on it, never the other way round.
//
// # Invariants
//
//   - The log is the only source of truth; everything else is derived from it.
//   - A write is acknowledged only after the log acknowledged it durably.
//   - One request is one event: a batch of statements is accepted whole or not
//     at all. Several requests may share one event (group commit), each whole.
//   - A statement id is unique; the first writer in log order wins. Same id and
//     same content is a no-op; same id and other content is ECONFLICT.
//   - Every event links to the one before it by hash, so the log is
//     tamper-evident.
//
// # Event envelope, schema version 1
//
// Every message in the log is one JSON object, the envelope, written by
// [EncodeEnvelope] with its fields always in this order:
//
//	{"type":"xapi.statements","v":1,"seq":42,"store":"default","stored":"2026-11-29T10:00:00.123Z","prev":"<64 hex>","payload":{…}}
//
// The fields:
//
//   - type: the event type; the payload's shape depends on it (see below).
//   - v: the schema version of that type's payload. Old versions stay readable
//     forever: readers switch on (type, v).
//   - seq: the stream sequence the event was written at. The appender writes
//     with an expected-last-sequence of seq-1, so the number is exact.
//   - store: the store (tenant) the event belongs to.
//   - stored: when the event was appended, UTC, millisecond precision,
//     RFC 3339. It never decreases along the log. Statements in the event carry
//     the same value in their "stored" property.
//   - prev: lowercase hex SHA-256 of the complete bytes of the previous message
//     in the stream (seq-1); the empty string for seq 1.
//   - payload: the event's data.
//
// The hash of an event is the SHA-256 of its message bytes exactly as stored
// in the stream. The head hash of the log is the hash of its last event.
// An auditor verifies the chain by checking, for every event, that seq is the
// stream sequence and prev equals the hash of the event before it.
//
// Event types:
//
//   - "xapi.statements" v1, subject jejak.<store>.statements. Payload:
//     {"batches":[{"by":"<credential key>","roles":["provider"],"statements":[<statement>,…]},…]}.
//     One batch per accepted request, in the order they were committed; roles
//     are the credential's roles when it wrote (absent when none). Each
//     statement is the complete stored form: id, stored, authority and version
//     assigned.
//   - "xapi.document" v1, subject jejak.<store>.documents.<key hash> (or
//     jejak.<store>.documents.scope.<scope hash> for clearing a State scope).
//     Payload: see EncodeDocumentPayload. A merge is recorded as the put of
//     the merged content.
//   - "bangkom.people" v1, subject jejak.<store>.people. Payload:
//     {"people":[{"nip","name","unit","position","type","timezone","supervisor_nip"},…]};
//     each entry replaces the registry entry of its NIP.
//   - "bangkom.catalogue" v1, subject jejak.<store>.catalogue. Payload:
//     {"entries":[{"activity","form","jp","competencies","name"},…]}; each
//     entry replaces the catalogue entry of its activity.
//   - "jejak.credentials" v1, subject jejak.<store>.credentials. Payload:
//     {"op":"put","by":"<admin key>","credential":{"key","secret_hash","name","roles","scopes","store","units","person"}}
//     adds a credential or replaces it (a rotation when the hash changes);
//     {"op":"revoke","by":"<admin key>","key":"<key>"} takes it out of use.
//     Only the bcrypt hash of a secret is ever on the log
//     (docs/adr/0014-credentials-as-events.md).
//   - "bangkom.positions" v1, subject jejak.<store>.positions. Payload:
//     {"positions":[{"position","standards":{"M.01":3,…}},…]}; each entry
//     replaces the standard of its position from that event on.
//
// Message headers: Nats-Msg-Id (a fresh id per append, for JetStream's
// dedup window) and the expected-sequence headers JetStream consumes.
// `jejak log export` writes every event as one NDJSON line (ExportLine);
// `jejak audit verify` checks the chain (Verifier).
package lrs
