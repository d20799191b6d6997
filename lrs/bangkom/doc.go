// Package bangkom is the ASN competency-development (pengembangan
// kompetensi, "bangkom") domain: civil servants identified by NIP, the
// person registry, the forms of learning and their JP (jam pelajaran) rules,
// and how learning claims become recognised JP.
//
// Rules are data (schemas/jp-rules), loaded and checked at startup; this
// package applies them. Like package lrs it knows nothing of NATS, Pebble or
// HTTP.
//
// # Invariants
//
//   - Everything here is a pure function of its inputs: the JP view folds
//     the log through these functions and must rebuild identically.
//   - A claim's date is its statement's timestamp read in the person's own
//     time zone (WIB, WITA, WIT); days, months and years for caps and
//     targets are counted in that zone.
//   - 1 JP = 45 minutes, rounded down per rule application.
package bangkom
