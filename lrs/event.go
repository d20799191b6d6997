package lrs

import (
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
	dst = strconv.AppendQuote(dst, typ)
	dst = append(dst, `,"v":`...)
	dst = strconv.AppendInt(dst, int64(v), 10)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, `,"store":`...)
	dst = strconv.AppendQuote(dst, store)
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
