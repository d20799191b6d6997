package lrs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
)

// Event types and their current schema versions.
const (
	EventStatements   = "xapi.statements"
	EventStatementsV1 = 1
)

// StoredFormat is how "stored" times are written: UTC, milliseconds.
const StoredFormat = "2006-01-02T15:04:05.000Z07:00"

// Envelope is a decoded log event. Payload aliases the message bytes.
type Envelope struct {
	Type    string
	V       int
	Seq     uint64
	Store   string
	Stored  time.Time
	Prev    string
	Payload *fastjson.Value
}

// Hash is the SHA-256 of an event's message bytes.
type Hash [32]byte

// String returns the lowercase hex form, "" for the zero hash.
func (h Hash) String() string {
	if h == (Hash{}) {
		return ""
	}
	return hex.EncodeToString(h[:])
}

// HashEvent returns the hash of an event's message bytes.
func HashEvent(data []byte) Hash { return sha256.Sum256(data) }

// EncodeEnvelope appends the envelope for payload to dst. payload must be a
// complete JSON value; it is copied verbatim.
func EncodeEnvelope(dst []byte, typ string, v int, seq uint64, store string, stored time.Time, prev Hash, payload []byte) []byte {
	dst = append(dst, `{"type":`...)
	dst = AppendJSONString(dst, typ)
	dst = append(dst, `,"v":`...)
	dst = strconv.AppendInt(dst, int64(v), 10)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, `,"store":`...)
	dst = AppendJSONString(dst, store)
	dst = append(dst, `,"stored":"`...)
	dst = stored.UTC().AppendFormat(dst, StoredFormat)
	dst = append(dst, `","prev":"`...)
	if prev != (Hash{}) {
		dst = hex.AppendEncode(dst, prev[:])
	}
	dst = append(dst, `","payload":`...)
	dst = append(dst, payload...)
	return append(dst, '}')
}

// DecodeEnvelope parses an event with p. The returned Payload is valid until
// p is used again.
func DecodeEnvelope(p *fastjson.Parser, data []byte) (Envelope, error) {
	v, err := p.ParseBytes(data)
	if err != nil {
		return Envelope{}, fmt.Errorf("decode envelope: %w", err)
	}
	var e Envelope
	e.Type = string(v.GetStringBytes("type"))
	e.V = v.GetInt("v")
	e.Seq = v.GetUint64("seq")
	e.Store = string(v.GetStringBytes("store"))
	e.Prev = string(v.GetStringBytes("prev"))
	e.Payload = v.Get("payload")
	if e.Type == "" || e.V == 0 || e.Seq == 0 || e.Payload == nil {
		return Envelope{}, fmt.Errorf("decode envelope: missing type, v, seq or payload")
	}
	if e.Stored, err = time.Parse(time.RFC3339Nano, string(v.GetStringBytes("stored"))); err != nil {
		return Envelope{}, fmt.Errorf("decode envelope: stored: %w", err)
	}
	return e, nil
}

// PeekEnvelope reads type, seq and stored from the fixed head of an
// envelope without parsing its payload (EncodeEnvelope writes the fields in
// a fixed order). ok is false for anything else; DecodeEnvelope then tells.
func PeekEnvelope(data []byte) (typ string, seq uint64, stored time.Time, ok bool) {
	rest, ok := cutPrefix(data, `{"type":"`)
	if !ok {
		return "", 0, time.Time{}, false
	}
	i := bytes.IndexByte(rest, '"')
	if i < 0 {
		return "", 0, time.Time{}, false
	}
	typ, rest = string(rest[:i]), rest[i+1:]
	if rest, ok = cutPrefix(rest, `,"v":`); !ok {
		return "", 0, time.Time{}, false
	}
	if i = bytes.IndexByte(rest, ','); i < 0 {
		return "", 0, time.Time{}, false
	}
	if rest, ok = cutPrefix(rest[i:], `,"seq":`); !ok {
		return "", 0, time.Time{}, false
	}
	if i = bytes.IndexByte(rest, ','); i < 0 {
		return "", 0, time.Time{}, false
	}
	seq, err := strconv.ParseUint(string(rest[:i]), 10, 64)
	if err != nil {
		return "", 0, time.Time{}, false
	}
	if rest, ok = cutPrefix(rest[i:], `,"store":"`); !ok {
		return "", 0, time.Time{}, false
	}
	if i = bytes.IndexByte(rest, '"'); i < 0 {
		return "", 0, time.Time{}, false
	}
	if rest, ok = cutPrefix(rest[i+1:], `,"stored":"`); !ok {
		return "", 0, time.Time{}, false
	}
	if i = bytes.IndexByte(rest, '"'); i < 0 {
		return "", 0, time.Time{}, false
	}
	stored, err = time.Parse(time.RFC3339Nano, string(rest[:i]))
	if err != nil {
		return "", 0, time.Time{}, false
	}
	return typ, seq, stored, true
}

func cutPrefix(b []byte, p string) ([]byte, bool) {
	if len(b) < len(p) || string(b[:len(p)]) != p {
		return b, false
	}
	return b[len(p):], true
}
