package projections

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs/bangkom"
)

// The JP view's claims are kept in a compact binary form (claims are most
// of the view: about one per statement). Reading a person's report decodes
// every claim; decisions are few and stay JSON, read with fastjson.
//
//	claim := 1 flags id seq nip when verb activity activity_name form
//	         [jp_declared] [minutes] days competencies by organizer start_date
//	         [registration]
//
// flags bit 0 international, 1 provider, 2 jp_declared present, 3 minutes
// present, 4 id is a UUID in canonical form (then 16 bytes, else a
// string), 5 registration present (view format 5); strings are a uvarint
// length and the bytes; seq, the number of competencies a uvarint; days a
// varint; when is the UTC time as varint seconds and uvarint nanoseconds;
// floats 8 bytes (IEEE 754, big-endian).
const claimEncoding = 1

const (
	claimInternational = 1 << iota
	claimProvider
	claimDeclaredJP
	claimMinutes
	claimUUID
	claimRegistration
)

func encodeClaim(dst []byte, c bangkom.Claim) []byte {
	var flags byte
	if c.International {
		flags |= claimInternational
	}
	if c.Provider {
		flags |= claimProvider
	}
	if c.DeclaredJP != nil {
		flags |= claimDeclaredJP
	}
	if c.Minutes != nil {
		flags |= claimMinutes
	}
	if c.Registration != "" {
		flags |= claimRegistration
	}
	id, err := uuid.Parse(c.StatementID)
	if err == nil && id.String() == c.StatementID {
		flags |= claimUUID
	}
	dst = append(dst, claimEncoding, flags)
	if flags&claimUUID != 0 {
		dst = append(dst, id[:]...)
	} else {
		dst = appendString(dst, c.StatementID)
	}
	dst = binary.AppendUvarint(dst, c.Seq)
	dst = appendString(dst, string(c.NIP))
	dst = binary.AppendVarint(dst, c.Timestamp.Unix())
	dst = binary.AppendUvarint(dst, uint64(c.Timestamp.Nanosecond()))
	for _, s := range []string{c.Verb, c.Activity, c.ActivityName, c.Form} {
		dst = appendString(dst, s)
	}
	if c.DeclaredJP != nil {
		dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(*c.DeclaredJP))
	}
	if c.Minutes != nil {
		dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(*c.Minutes))
	}
	dst = binary.AppendVarint(dst, int64(c.Days))
	dst = binary.AppendUvarint(dst, uint64(len(c.Competencies)))
	for _, s := range c.Competencies {
		dst = appendString(dst, s)
	}
	dst = appendString(dst, c.By)
	dst = appendString(dst, c.Organizer)
	dst = appendString(dst, c.StartDate)
	if c.Registration != "" {
		dst = appendString(dst, c.Registration)
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

// claimReader reads the fields of an encoded claim in turn; the first
// field that does not fit leaves err set and the rest empty.
type claimReader struct {
	b   []byte
	err error
	in  interned
}

// interned holds strings already decoded, so that the claims of one
// lookup share their NIP, verb, form, writer and competency codes instead
// of allocating each again.
type interned map[string]string

func (r *claimReader) fail() { r.b, r.err = nil, errors.New("JP view: truncated claim record") }

func (r *claimReader) uvarint() uint64 { return readVarint(r, binary.Uvarint) }

func (r *claimReader) varint() int64 { return readVarint(r, binary.Varint) }

func readVarint[T int64 | uint64](r *claimReader, read func([]byte) (T, int)) T {
	v, n := read(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *claimReader) bytes(n uint64) []byte {
	if uint64(len(r.b)) < n {
		r.fail()
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *claimReader) string() string { return string(r.bytes(r.uvarint())) }

// common reads a string that many claims repeat, through r.in when set.
func (r *claimReader) common() string {
	b := r.bytes(r.uvarint())
	if r.in == nil {
		return string(b)
	}
	if s, ok := r.in[string(b)]; ok {
		return s
	}
	s := string(b)
	r.in[s] = s
	return s
}

func (r *claimReader) float() *float64 {
	b := r.bytes(8)
	if b == nil {
		return nil
	}
	f := math.Float64frombits(binary.BigEndian.Uint64(b))
	return &f
}

// decodeClaim decodes a claim record; in, when not nil, shares the
// strings many claims repeat among those it decodes.
func decodeClaim(b []byte, in interned) (bangkom.Claim, error) {
	if len(b) < 2 || b[0] != claimEncoding {
		return bangkom.Claim{}, fmt.Errorf("JP view: claim record in an unknown encoding")
	}
	flags := b[1]
	r := claimReader{b: b[2:], in: in}
	var c bangkom.Claim
	if flags&claimUUID != 0 {
		if id := r.bytes(16); id != nil {
			c.StatementID = uuid.UUID(id).String()
		}
	} else {
		c.StatementID = r.string()
	}
	c.Seq = r.uvarint()
	c.NIP = bangkom.NIP(r.common())
	sec := r.varint()
	c.Timestamp = time.Unix(sec, int64(r.uvarint())).UTC()
	c.Verb, c.Activity, c.ActivityName, c.Form = r.common(), r.string(), r.string(), r.common()
	if flags&claimDeclaredJP != 0 {
		c.DeclaredJP = r.float()
	}
	if flags&claimMinutes != 0 {
		c.Minutes = r.float()
	}
	c.Days = int(r.varint())
	if n := r.uvarint(); n > 0 && n <= uint64(len(r.b)) {
		c.Competencies = make([]string, n)
		for i := range c.Competencies {
			c.Competencies[i] = r.common()
		}
	} else if n > 0 {
		r.fail()
	}
	c.By, c.Organizer = r.common(), r.common()
	c.StartDate = r.string()
	if flags&claimRegistration != 0 {
		if c.Registration = r.string(); c.Registration == "" {
			r.fail() // present means not empty
		}
	}
	c.International, c.Provider = flags&claimInternational != 0, flags&claimProvider != 0
	return c, r.err
}

func decodeDecision(p *fastjson.Parser, b []byte) (bangkom.Decision, error) {
	v, err := p.ParseBytes(b)
	if err != nil {
		return bangkom.Decision{}, err
	}
	return bangkom.Decision{
		StatementID: string(v.GetStringBytes("statement_id")),
		Seq:         v.GetUint64("seq"),
		Claim:       string(v.GetStringBytes("claim")),
		Approve:     v.GetBool("approve"),
		Approver:    bangkom.NIP(v.GetStringBytes("approver")),
		By:          string(v.GetStringBytes("by")),
		Verifier:    v.GetBool("verifier"),
		Reason:      string(v.GetStringBytes("reason")),
	}, nil
}
