// Package projections holds Jejak's read models: Pebble views that are pure
// folds over the event log.
//
// # Invariants
//
//   - A view reads nothing but the log: no wall clock, no randomness. Deleting
//     a view and replaying the log gives the same view, byte for byte.
//   - Each applied chunk of events is one Pebble batch holding the view's
//     changes and its checkpoint (the last applied log sequence), so a view is
//     updated exactly once per event; after a restart it resumes at
//     checkpoint+1. Pebble's own fsync is skipped: the log can always replay.
//   - Key encodings live in one documented, versioned file per view
//     (statementkeys.go for the statement view).
package projections
