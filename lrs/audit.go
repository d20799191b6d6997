package lrs

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
)

// ExportLine is one event of a log export (`jejak log export`), one JSON
// object a line (NDJSON):
//
//	{"seq":42,"subject":"jejak.default.statements","time":"…","headers":{…},
//	 "type":"xapi.statements","v":1,"store":"default","stored":"…",
//	 "hash":"<hex SHA-256 of data>","prev":"<hash of event 41>",
//	 "payload":{…},"data":"<base64 of the exact message bytes>"}
//
// data is the event exactly as the stream holds it; everything else is
// read from it for people and tools (jq), and verify checks that it agrees.
// An event that cannot be shown this way (a foreign event, or one whose
// payload is not valid JSON, as some early builds wrote) has a line with
// seq, subject, time, headers, hash and data only, and "unreadable" saying
// why: the export still holds every event's exact bytes.
type ExportLine struct {
	Seq        uint64              `json:"seq"`
	Subject    string              `json:"subject"`
	Time       *time.Time          `json:"time,omitempty"`
	Headers    map[string][]string `json:"headers,omitempty"`
	Type       string              `json:"type,omitempty"`
	V          int                 `json:"v,omitempty"`
	Store      string              `json:"store,omitempty"`
	Stored     string              `json:"stored,omitempty"`
	Hash       string              `json:"hash"`
	Prev       string              `json:"prev"`
	Payload    json.RawMessage     `json:"payload,omitempty"`
	Data       string              `json:"data"`
	Unreadable string              `json:"unreadable,omitempty"`
}

// NewExportLine describes ev for an export. An event that cannot be shown
// (see ExportLine) gets a line with its data only and Unreadable set, and
// the error says why.
func NewExportLine(ev LogEvent) (ExportLine, error) {
	l := ExportLine{Seq: ev.Seq, Subject: ev.Subject, Headers: ev.Header, Hash: HashEvent(ev.Data).String(),
		Data: base64.StdEncoding.EncodeToString(ev.Data)}
	if !ev.Time.IsZero() {
		t := ev.Time.UTC()
		l.Time = &t
	}
	var p fastjson.Parser
	env, err := ReadEvent(&p, ev.Seq, ev.Data)
	if err != nil {
		l.Unreadable = err.Error()
		return l, err
	}
	payload := env.Payload.MarshalTo(nil)
	if !json.Valid(payload) {
		err := fmt.Errorf("event %d: the payload is not valid JSON (strings with escapes JSON does not have)", ev.Seq)
		l.Unreadable = err.Error()
		return l, err
	}
	l.Type, l.V, l.Store, l.Stored, l.Prev = env.Type, env.V, env.Store, env.Stored.UTC().Format(StoredFormat), env.Prev
	l.Payload = payload
	return l, nil
}

// AuditSummary is what a verification found.
type AuditSummary struct {
	First, Last uint64
	Head        string         // hash of the last event
	Counts      map[string]int // Jejak events per "type vN"
	Events      int            // events, foreign ones included
	Foreign     []ForeignEvent // events that are not Jejak's, in log order
}

// ForeignEvent is an event of the log that is not Jejak's (see
// ForeignError).
type ForeignEvent struct {
	Seq    uint64
	Reason string
	// LinkedBy is the Jejak event whose prev is this event's hash (an
	// early build linked to the event before it, whatever it was), 0 if
	// none.
	LinkedBy uint64
}

// ChainError names the first sequence where the log is broken.
type ChainError struct {
	Seq    uint64
	Line   int // line of the export, 0 when reading a stream
	Reason string
}

func (e *ChainError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d (sequence %d): %s", e.Line, e.Seq, e.Reason)
	}
	return fmt.Sprintf("sequence %d: %s", e.Seq, e.Reason)
}

// Verifier checks a log event by event: sequence continuity, the hash
// chain, and that every event parses under its schema version.
//
// The chain runs over Jejak's events: each one's prev is the hash of the
// Jejak event before it. A foreign event (see ForeignError) is listed in
// the summary and breaks nothing; a Jejak event may also link to a foreign
// event right before it (an early build did), which is then noted as
// linked (docs/adr/0009-foreign-events.md).
type Verifier struct {
	sum     AuditSummary
	prev    Hash   // hash of the last Jejak event
	prevSeq uint64 // its sequence
	haveJ   bool   // a Jejak event was verified (prev holds its hash)
	started bool
	parser  fastjson.Parser
	since   []foreignLink // foreign events after the last Jejak event

	watch       uint64 // a sequence whose hash to remember (a signed head)
	watchedHash string
}

type foreignLink struct {
	hash Hash
	at   int // index in sum.Foreign
}

// Watch asks the verifier to remember the hash of event seq.
func (v *Verifier) Watch(seq uint64) { v.watch = seq }

// Watched returns the hash of the watched event, if it was verified.
func (v *Verifier) Watched() (string, bool) { return v.watchedHash, v.watchedHash != "" }

// NewVerifier returns a Verifier expecting the log to start at first
// (1 for a whole log; the chain link of the first event is only checked
// when first is 1).
func NewVerifier(first uint64) *Verifier {
	return &Verifier{sum: AuditSummary{First: first, Counts: map[string]int{}}}
}

// Event checks the next event; line is its line in an export (0 for a
// stream). It returns a *ChainError at the first problem.
func (v *Verifier) Event(seq uint64, data []byte, line int) error {
	fail := func(format string, args ...any) error {
		return &ChainError{Seq: seq, Line: line, Reason: fmt.Sprintf(format, args...)}
	}
	want := v.sum.First
	if v.started {
		want = v.sum.Last + 1
	}
	switch {
	case seq < want:
		return fail("sequence %d comes after %d: events out of order or repeated", seq, want-1)
	case seq > want:
		return fail("events %d to %d are missing", want, seq-1)
	}
	h := HashEvent(data)
	env, err := ReadEvent(&v.parser, seq, data)
	if err != nil {
		var fe *ForeignError
		if !errors.As(err, &fe) {
			return fail("%v", err)
		}
		v.since = append(v.since, foreignLink{hash: h, at: len(v.sum.Foreign)})
		v.sum.Foreign = append(v.sum.Foreign, ForeignEvent{Seq: seq, Reason: fe.Reason})
	} else {
		if v.haveJ || v.sum.First == 1 {
			if err := v.link(env, seq); err != nil {
				return fail("%v", err)
			}
		}
		v.prev, v.prevSeq, v.haveJ, v.since = h, seq, true, v.since[:0]
		v.sum.Counts[env.Type+" v"+strconv.Itoa(env.V)]++
	}
	if seq == v.watch {
		v.watchedHash = h.String()
	}
	v.started = true
	v.sum.Last = seq
	v.sum.Head = h.String()
	v.sum.Events++
	return nil
}

// link checks the prev of a Jejak event: the hash of the Jejak event
// before it (none for the first), or of a foreign event since.
func (v *Verifier) link(env Envelope, seq uint64) error {
	want := ""
	if v.haveJ {
		want = v.prev.String()
	}
	if env.Prev == want {
		return nil
	}
	for _, f := range v.since {
		if env.Prev == f.hash.String() {
			v.sum.Foreign[f.at].LinkedBy = seq
			return nil
		}
	}
	if !v.haveJ {
		return fmt.Errorf("event %d's prev is %q, but no Jejak event comes before it (want \"\"): the log was altered", seq, env.Prev)
	}
	return fmt.Errorf("event %d's prev does not match the hash of event %d, the Jejak event before it: prev is %q, event %d hashes to %q: the log was altered", seq, v.prevSeq, env.Prev, v.prevSeq, want)
}

// Line checks one line of an export: the line must agree with its data,
// then the data is checked as Event does.
func (v *Verifier) Line(raw []byte, line int) error {
	var l ExportLine
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return &ChainError{Line: line, Reason: fmt.Sprintf("not an export line: %v", err)}
	}
	data, err := base64.StdEncoding.DecodeString(l.Data)
	if err != nil {
		return &ChainError{Seq: l.Seq, Line: line, Reason: "data is not base64"}
	}
	fail := func(format string, args ...any) error {
		return &ChainError{Seq: l.Seq, Line: line, Reason: fmt.Sprintf(format, args...)}
	}
	if got := HashEvent(data).String(); got != l.Hash {
		return fail("hash is %s, but the data hashes to %s", l.Hash, got)
	}
	want, werr := NewExportLine(LogEvent{Seq: l.Seq, Data: data})
	if (l.Unreadable != "") != (werr != nil) {
		return fail("the line says the event is unreadable, but its data is readable, or the other way round: the export was altered")
	}
	if werr == nil {
		var gotPayload, wantPayload bytes.Buffer
		if json.Compact(&gotPayload, l.Payload) != nil || json.Compact(&wantPayload, want.Payload) != nil || !bytes.Equal(gotPayload.Bytes(), wantPayload.Bytes()) {
			return fail("payload differs from the event's data: the export was altered")
		}
	} else if len(l.Payload) > 0 {
		return fail("an unreadable event's line has a payload: the export was altered")
	}
	if l.Type != want.Type || l.V != want.V || l.Store != want.Store || l.Stored != want.Stored || l.Prev != want.Prev {
		return fail("type, v, store, stored or prev differ from the event's data: the export was altered")
	}
	return v.Event(l.Seq, data, line)
}

// Summary returns what was verified so far.
func (v *Verifier) Summary() AuditSummary { return v.sum }

// SignedHead is a published statement of a log's head: the last sequence
// and its hash, signed with Ed25519 by an auditor.
type SignedHead struct {
	Stream    string `json:"stream"`
	Seq       uint64 `json:"seq"`
	Hash      string `json:"hash"`
	SignedAt  string `json:"signed_at"`
	PublicKey string `json:"public_key"` // hex, for reference; checks use the key given
	Signature string `json:"signature"`  // base64 of Ed25519 over SignedMessage
}

// SignedMessage is the exact text a head signature covers.
func (h SignedHead) SignedMessage() []byte {
	return []byte("jejak-log-head-v1\n" + h.Stream + "\n" + strconv.FormatUint(h.Seq, 10) + "\n" + h.Hash + "\n" + h.SignedAt + "\n")
}

// SignHead signs the head of a verified log.
func SignHead(key ed25519.PrivateKey, stream string, sum AuditSummary, now time.Time) SignedHead {
	h := SignedHead{Stream: stream, Seq: sum.Last, Hash: sum.Head, SignedAt: now.UTC().Format(time.RFC3339),
		PublicKey: hex.EncodeToString(key.Public().(ed25519.PublicKey))}
	h.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, h.SignedMessage()))
	return h
}

// CheckHead verifies a head's signature with pub and that the log holds
// that head: hashAt returns the hash of event seq of the verified log.
func CheckHead(h SignedHead, pub ed25519.PublicKey, hashAt func(seq uint64) (string, bool)) error {
	sig, err := base64.StdEncoding.DecodeString(h.Signature)
	if err != nil || !ed25519.Verify(pub, h.SignedMessage(), sig) {
		return errors.New("the signature does not verify with this public key")
	}
	got, ok := hashAt(h.Seq)
	switch {
	case !ok:
		return fmt.Errorf("the log does not reach the signed sequence %d", h.Seq)
	case got != h.Hash:
		return fmt.Errorf("event %d hashes to %s, the signed head says %s: the log was altered after it was signed", h.Seq, got, h.Hash)
	}
	return nil
}

// SortedCounts lists counts as "type vN: n" lines in name order.
func (s AuditSummary) SortedCounts() []string {
	var out []string
	for k, n := range s.Counts {
		out = append(out, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(out)
	return out
}
