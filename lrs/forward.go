package lrs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Forwarded is a write request prepared and validated by one node and
// handed to the node that decides for the log (ADR 26): the statements of
// a request, a document write, or an event as it is, with the authority it
// is written under. Exactly one of Statements, Document and Event is set.
type Forwarded struct {
	By         Authority
	Statements []Statement
	Document   *ForwardedDocument
	Event      *ForwardedEvent
}

// ForwardedDocument is a document write with the request's Agent JSON.
type ForwardedDocument struct {
	Write DocumentWrite
	Agent []byte
}

// ForwardedEvent is an event appended as it is (see Appender.AppendEvent).
type ForwardedEvent struct {
	Type    string
	V       int
	Kind    string
	Payload []byte
}

// ForwardReply is the deciding node's answer: the sequence that makes the
// write visible, or the error's code and client-safe message.
type ForwardReply struct {
	Seq     uint64
	Code    string
	Message string
}

// Err returns the reply's error: nil, or an *Error with its code and
// message; a refusal for want of the lease keeps ErrNotDecider as cause.
func (r ForwardReply) Err() error {
	switch r.Code {
	case "":
		return nil
	case ENOTDECIDED:
		return NotDecided(r.Message)
	}
	return &Error{Code: r.Code, Message: r.Message}
}

// ReplyOf is the reply for a write's outcome.
func ReplyOf(seq uint64, err error) ForwardReply {
	if err == nil {
		return ForwardReply{Seq: seq}
	}
	if errors.Is(err, ErrNotDecider) {
		return ForwardReply{Code: ENOTDECIDED, Message: ErrorMessage(err)}
	}
	return ForwardReply{Code: ErrorCode(err), Message: ErrorMessage(err)}
}

// The wire forms begin with a tag and a version, so that a node never
// takes one kind of message for another, and a later form can be told
// from this one.
const (
	forwardTag      = 'W'
	forwardReplyTag = 'R'
	forwardV1       = 1

	fwdStatements = 1
	fwdDocument   = 2
	fwdEvent      = 3
)

// maxForwardField bounds one length-prefixed field: nothing Jejak
// forwards is larger than an event.
const maxForwardField = 1 << 30

// AppendForwarded appends f's wire form to dst.
func AppendForwarded(dst []byte, f *Forwarded) []byte {
	dst = append(dst, forwardTag, forwardV1)
	dst = appendBytes(dst, []byte(f.By.Key))
	dst = appendBytes(dst, []byte(f.By.Store))
	dst = binary.AppendUvarint(dst, uint64(len(f.By.Roles)))
	for _, r := range f.By.Roles {
		dst = appendBytes(dst, []byte(r))
	}
	dst = appendBytes(dst, f.By.Agent)
	switch {
	case f.Document != nil:
		d := f.Document
		dst = append(dst, fwdDocument)
		for _, s := range []string{d.Write.Key.Store, string(d.Write.Key.Kind), d.Write.Key.ActivityID, d.Write.Key.Agent,
			d.Write.Key.Registration, d.Write.Key.ID, string(d.Write.Op), d.Write.ContentType, d.Write.IfMatch, d.Write.IfNoneMatch} {
			dst = appendBytes(dst, []byte(s))
		}
		var flags byte
		if d.Write.RequirePrecondition {
			flags |= 1
		}
		if d.Write.RequireHeader {
			flags |= 2
		}
		dst = append(dst, flags)
		dst = appendBytes(dst, d.Write.Body)
		dst = appendBytes(dst, d.Agent)
	case f.Event != nil:
		e := f.Event
		dst = append(dst, fwdEvent)
		dst = appendBytes(dst, []byte(e.Type))
		dst = binary.AppendUvarint(dst, uint64(e.V))
		dst = appendBytes(dst, []byte(e.Kind))
		dst = appendBytes(dst, e.Payload)
	default:
		dst = append(dst, fwdStatements)
		dst = binary.AppendUvarint(dst, uint64(len(f.Statements)))
		for i := range f.Statements {
			s := &f.Statements[i]
			dst = append(dst, s.ID[:]...)
			dst = append(dst, s.Hash[:]...)
			dst = appendBytes(dst, s.JSON)
		}
	}
	return dst
}

// ReadForwarded reads a wire form AppendForwarded wrote. Byte slices of
// the result share b's memory.
func ReadForwarded(b []byte) (*Forwarded, error) {
	r := wireReader{b: b}
	if tag, v := r.byte(), r.byte(); r.err == nil && (tag != forwardTag || v != forwardV1) {
		return nil, fmt.Errorf("forwarded request: tag %q version %d, want %q version %d", tag, v, forwardTag, forwardV1)
	}
	f := &Forwarded{}
	f.By.Key = r.string()
	f.By.Store = r.string()
	if n := r.count(1); n > 0 {
		f.By.Roles = make([]string, n)
		for i := range f.By.Roles {
			f.By.Roles[i] = r.string()
		}
	}
	f.By.Agent = r.bytes()
	switch kind := r.byte(); kind {
	case fwdStatements:
		n := r.count(16 + 32 + 1)
		f.Statements = make([]Statement, n)
		for i := range f.Statements {
			s := &f.Statements[i]
			copy(s.ID[:], r.fixed(16))
			copy(s.Hash[:], r.fixed(32))
			s.JSON = r.bytes()
		}
	case fwdDocument:
		d := &ForwardedDocument{}
		var fields [10]string
		for i := range fields {
			fields[i] = r.string()
		}
		d.Write.Key = DocumentKey{Store: fields[0], Kind: DocKind(fields[1]), ActivityID: fields[2], Agent: fields[3], Registration: fields[4], ID: fields[5]}
		d.Write.Op, d.Write.ContentType, d.Write.IfMatch, d.Write.IfNoneMatch = DocOp(fields[6]), fields[7], fields[8], fields[9]
		flags := r.byte()
		if flags&^3 != 0 && r.err == nil {
			r.err = fmt.Errorf("unknown document flags %#x", flags)
		}
		d.Write.RequirePrecondition, d.Write.RequireHeader = flags&1 != 0, flags&2 != 0
		d.Write.Body = r.bytes()
		d.Agent = r.bytes()
		f.Document = d
	case fwdEvent:
		e := &ForwardedEvent{}
		e.Type = r.string()
		v := r.uvarint()
		if v > math.MaxInt32 && r.err == nil {
			r.err = fmt.Errorf("event version %d out of range", v)
		}
		e.V = int(v)
		e.Kind = r.string()
		e.Payload = r.bytes()
		f.Event = e
	default:
		if r.err == nil {
			r.err = fmt.Errorf("unknown kind %d", kind)
		}
	}
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%d bytes after the end", len(r.b))
	}
	if r.err != nil {
		return nil, fmt.Errorf("forwarded request: %w", r.err)
	}
	return f, nil
}

// AppendForwardReply appends r's wire form to dst.
func AppendForwardReply(dst []byte, r ForwardReply) []byte {
	dst = append(dst, forwardReplyTag, forwardV1)
	dst = binary.AppendUvarint(dst, r.Seq)
	dst = appendBytes(dst, []byte(r.Code))
	return appendBytes(dst, []byte(r.Message))
}

// ReadForwardReply reads a wire form AppendForwardReply wrote.
func ReadForwardReply(b []byte) (ForwardReply, error) {
	r := wireReader{b: b}
	if tag, v := r.byte(), r.byte(); r.err == nil && (tag != forwardReplyTag || v != forwardV1) {
		return ForwardReply{}, fmt.Errorf("forward reply: tag %q version %d, want %q version %d", tag, v, forwardReplyTag, forwardV1)
	}
	rep := ForwardReply{Seq: r.uvarint(), Code: r.string(), Message: r.string()}
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%d bytes after the end", len(r.b))
	}
	if r.err != nil {
		return ForwardReply{}, fmt.Errorf("forward reply: %w", r.err)
	}
	return rep, nil
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// wireReader reads length-prefixed fields; the first error sticks and
// every later read returns zero values.
type wireReader struct {
	b   []byte
	err error
}

var errShort = errors.New("ends too soon")

func (r *wireReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = errShort
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *wireReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("bad length")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *wireReader) fixed(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.err = errShort
		return nil
	}
	b := r.b[:n:n]
	r.b = r.b[n:]
	return b
}

func (r *wireReader) bytes() []byte {
	n := r.uvarint()
	if r.err == nil && (n > maxForwardField || n > uint64(len(r.b))) {
		r.err = errShort
	}
	b := r.fixed(int(n))
	if len(b) == 0 {
		return nil
	}
	return b
}

func (r *wireReader) string() string { return string(r.bytes()) }

// count reads a number of items each at least min bytes long, refusing
// one the rest of the input cannot hold.
func (r *wireReader) count(min int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)/min) {
		r.err = fmt.Errorf("%d items cannot fit in %d bytes", n, len(r.b))
		return 0
	}
	return int(n)
}
