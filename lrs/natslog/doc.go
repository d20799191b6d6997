// Package natslog keeps Jejak's event log in a NATS JetStream stream: it
// starts the embedded nats-server, creates or verifies the stream, appends
// events with an expected last sequence (so every event knows its exact
// sequence and the hash of the one before it) and follows the stream in
// order for the projectors.
//
// The stream is the only source of truth. It is created with file storage,
// DenyDelete, DenyPurge and no age, size or count limits, and never changed
// once it exists: a stream whose configuration differs is a startup error.
// The embedded server syncs every write to disk before it acknowledges it.
package natslog
