package lrs

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// ForeignError says why the event at Seq is not one Jejak can read: its
// bytes are not an envelope, the envelope names another sequence, its type
// or schema version is unknown to this build, or its payload does not
// parse under them. Such an event is foreign (docs/adr/0009-foreign-events.md):
// every view passes over it, the appender links the next event to the
// last event it can read, and `jejak audit verify` lists it.
type ForeignError struct {
	Seq    uint64
	Reason string
}

func (e *ForeignError) Error() string {
	return fmt.Sprintf("event %d is not a Jejak event: %s", e.Seq, e.Reason)
}

// IsForeign reports whether err is (or wraps) a *ForeignError.
func IsForeign(err error) bool {
	var fe *ForeignError
	return errors.As(err, &fe)
}

// eventChecks are the event types and schema versions Jejak reads, each
// with the check its payload must pass: what passes is what every view can
// fold.
var eventChecks = map[string]func(*fastjson.Value) error{
	EventStatements + " v1": checkStatementsPayload,
	EventDocument + " v1": func(p *fastjson.Value) error {
		_, _, err := DecodeDocumentPayload(p)
		return err
	},
}

// knownTypes are the event types of eventChecks, any version.
var knownTypes = map[string]bool{EventStatements: true, EventDocument: true}

// RegisterEventType adds an event type and schema version Jejak reads,
// with the check its payload must pass (run before any view folds it).
// It is called from package init functions only.
func RegisterEventType(typ string, v int, check func(payload *fastjson.Value) error) {
	eventChecks[typ+" v"+strconv.Itoa(v)] = check
	knownTypes[typ] = true
}

// KnownEventType reports whether typ is an event type this build reads
// (in some schema version).
func KnownEventType(typ string) bool { return knownTypes[typ] }

// ReadEvent decodes the event stored at seq with p and checks that it is
// one of Jejak's: a *ForeignError otherwise. The returned Payload is valid
// until p is used again.
func ReadEvent(p *fastjson.Parser, seq uint64, data []byte) (Envelope, error) {
	env, err := DecodeEnvelope(p, data)
	if err != nil {
		return Envelope{}, &ForeignError{Seq: seq, Reason: err.Error()}
	}
	if env.Seq != seq {
		return Envelope{}, &ForeignError{Seq: seq, Reason: fmt.Sprintf("the envelope says it is sequence %d", env.Seq)}
	}
	// Jejak writes these as UTF-8 text (prev as hex): other bytes could not
	// be shown in an export as they are.
	if !utf8.ValidString(env.Type) || !utf8.ValidString(env.Store) || !utf8.ValidString(env.Prev) {
		return Envelope{}, &ForeignError{Seq: seq, Reason: "the envelope's type, store or prev is not UTF-8 text"}
	}
	if err := checkPayload(env); err != nil {
		return Envelope{}, &ForeignError{Seq: seq, Reason: fmt.Sprintf("%s v%d payload: %v", env.Type, env.V, err)}
	}
	return env, nil
}

// checkPayload parses a payload under its (type, version).
func checkPayload(env Envelope) error {
	check, ok := eventChecks[env.Type+" v"+strconv.Itoa(env.V)]
	if !ok {
		return errors.New("unknown event type or schema version")
	}
	return check(env.Payload)
}

func checkStatementsPayload(p *fastjson.Value) error {
	batches, ok := array(p.Get("batches"))
	if !ok {
		return errors.New("no batches")
	}
	for i, b := range batches {
		stmts, ok := array(b.Get("statements"))
		if !ok {
			return fmt.Errorf("batches[%d]: no statements", i)
		}
		for j, st := range stmts {
			if st.Type() != fastjson.TypeObject {
				return fmt.Errorf("batches[%d].statements[%d]: not an object", i, j)
			}
			if _, err := Facts(st); err != nil {
				return fmt.Errorf("batches[%d].statements[%d]: %v", i, j, err)
			}
		}
	}
	return nil
}

// array returns v's elements if v is an array.
func array(v *fastjson.Value) ([]*fastjson.Value, bool) {
	if v == nil || v.Type() != fastjson.TypeArray {
		return nil, false
	}
	a, _ := v.Array()
	return a, true
}
