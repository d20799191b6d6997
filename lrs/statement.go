package lrs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"
)

// Statement is a validated, normalised statement ready to be appended.
//
// JSON is the stored form without "stored": the appender adds it at append
// time (see WithStored), so that stored times follow log order.
type Statement struct {
	ID   uuid.UUID
	JSON []byte
	Hash Hash // comparison hash, see ContentHash
}

// WithStored appends to dst the statement's JSON with "stored" set to t.
func (s *Statement) WithStored(dst []byte, t time.Time) []byte {
	dst = append(dst, `{"stored":"`...)
	dst = t.UTC().AppendFormat(dst, StoredFormat)
	dst = append(dst, '"')
	if len(s.JSON) > 2 {
		dst = append(dst, ',')
	}
	return append(dst, s.JSON[1:]...)
}

// AppendServed appends to dst the statement v of the log as the LRS serves
// it: as it was stored, and with "timestamp" set to its "stored" time if it
// came without one (xAPI 1.0.3 Data 2.4.7 SHOULD, xAPI 2.0 MUST; "stored"
// has millisecond precision, XAPI-00122). stored is the event's stored
// time, used only if v has no "stored" of its own.
//
// The log keeps the statement as sent: the timestamp the LRS sets is part
// of no event, so ContentHash (the id-conflict comparison) and signed
// statements see "absent" as the client left it, and the served form is a
// function of the event alone (a rebuilt view writes the same bytes).
func AppendServed(dst []byte, v *fastjson.Value, stored time.Time) []byte {
	o, err := v.Object()
	if err != nil || o.Get("timestamp") != nil || o.Len() == 0 {
		return AppendJSON(dst, v)
	}
	dst = append(dst, `{"timestamp":`...)
	if s := o.Get("stored"); s != nil && s.Type() == fastjson.TypeString {
		dst = AppendJSONString(dst, string(s.GetStringBytes()))
	} else {
		dst = append(dst, '"')
		dst = stored.UTC().AppendFormat(dst, StoredFormat)
		dst = append(dst, '"')
	}
	mark := len(dst)
	dst = AppendJSON(dst, v) // "{…}": its brace gives way to a comma
	dst[mark] = ','
	return dst
}

// Authority is who is writing: the credential and the agent that stands for
// it in the "authority" property.
type Authority struct {
	Key   string // credential key
	Store string
	Roles []string
	Agent []byte // JSON of the authority Agent
}

// StatementsInput is one write request after HTTP decoding.
type StatementsInput struct {
	Body        []byte  // a statement object, or an array of them (POST)
	StatementID string  // the statementId parameter of a PUT, or ""
	Version     Version // negotiated from the request header
}

var voidVerb = []byte("http://adlnet.gov/expapi/verbs/voided")

// VoidVerb is the IRI of the verb that voids a statement.
const VoidVerb = "http://adlnet.gov/expapi/verbs/voided"

var (
	statementParsers fastjson.ParserPool
	statementArenas  fastjson.ArenaPool
)

// PrepareStatements parses, validates and normalises a write request: it
// assigns ids, sets authority and version, and computes comparison hashes.
// newID supplies ids for statements without one. It returns EINVALID naming
// the statement index and JSON path of the first problem; nothing is kept
// from a request with any invalid statement. It stops with ctx's error
// between statements when ctx is done.
//
// The statements' JSON is written as AppendJSON does, so it is RFC 8259
// JSON and parses back to what was accepted; text JSON cannot carry (bytes
// that are not UTF-8, lone surrogate escapes) is refused, and so is a
// statement that breaks MaxObjectKeys, MaxArrayLen or MaxDepth (checked
// while it is written, before it is hashed), or a request with more than
// MaxValues values (before it is parsed).
func PrepareStatements(ctx context.Context, in StatementsInput, by Authority, newID func() uuid.UUID) ([]Statement, error) {
	// The parser is lenient (bad escapes, control characters, NaN); the
	// strict scan rejects what it would let through.
	if err := fastjson.ValidateBytes(in.Body); err != nil {
		return nil, Errorf(EINVALID, "request body is not valid JSON: %v", err)
	}
	if path, problem, ok := checkJSONText(in.Body); !ok {
		return nil, Errorf(EINVALID, "%s: %s", bodyPath(path), problem)
	}
	if n := valueBound(in.Body); n > MaxValues {
		return nil, Errorf(EINVALID, "request body: holds about %d JSON values, more than the %d a request may hold (the values limit)", n, MaxValues)
	}
	// Pooled: a parser keeps the memory of what it parsed, and a fresh one
	// per request spends its time growing it. Nothing returned refers to it.
	p := statementParsers.Get()
	defer statementParsers.Put(p)
	root, err := p.ParseBytes(in.Body)
	if err != nil {
		return nil, Errorf(EINVALID, "request body is not valid JSON: %v", err)
	}
	var items []*fastjson.Value
	switch root.Type() {
	case fastjson.TypeObject:
		items = []*fastjson.Value{root}
	case fastjson.TypeArray:
		if in.StatementID != "" {
			return nil, Errorf(EINVALID, "a PUT with statementId takes one statement object, not an array")
		}
		items, _ = root.Array()
	default:
		return nil, Errorf(EINVALID, "request body must be a statement object or an array of statements")
	}
	ap := statementParsers.Get()
	defer statementParsers.Put(ap)
	authority, err := ap.ParseBytes(by.Agent)
	if err != nil {
		return nil, Internal("parse authority", err)
	}
	a := statementArenas.Get()
	defer statementArenas.Put(a)
	out := make([]Statement, 0, len(items))
	seen := make(map[uuid.UUID]int, len(items))
	// The statements' JSON is written into one buffer, each a slice capped
	// at its end: one allocation per request instead of a growing buffer
	// per statement. Normalising adds id, stored, authority and version.
	js := make([]byte, 0, len(in.Body)+len(items)*(len(by.Agent)+160))
	for i, v := range items {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		prefix := ""
		if root.Type() == fastjson.TypeArray {
			prefix = "statements[" + strconv.Itoa(i) + "]: "
		}
		if err := ValidateStatement(v, in.Version); err != nil {
			return nil, prefixed(prefix, err)
		}
		var id uuid.UUID
		if b := v.GetStringBytes("id"); b != nil {
			id, err = uuid.ParseBytes(b)
			if err != nil {
				return nil, Errorf(EINVALID, "%sid: not a UUID", prefix)
			}
		}
		if in.StatementID != "" {
			qid, err := uuid.Parse(in.StatementID)
			if err != nil || !IsUUID(in.StatementID) {
				return nil, Errorf(EINVALID, "statementId parameter: %q is not a UUID", in.StatementID)
			}
			if id != uuid.Nil && id != qid {
				return nil, Errorf(EINVALID, "id: %s does not match the statementId parameter %s", id, qid)
			}
			id = qid
		}
		if id == uuid.Nil {
			id = newID()
		}
		if j, dup := seen[id]; dup {
			return nil, Errorf(EINVALID, "%sid: %s is also the id of statements[%d] in the same request", prefix, id, j)
		}
		seen[id] = i
		normalise(a, v, id, authority, in.Version)
		start := len(js)
		var lerr *limitError
		if js, lerr = appendJSON(js, v, 1, true); lerr != nil {
			slices.Reverse(lerr.rev)
			return nil, Errorf(EINVALID, "%s%s: %s", prefix, formatPath("", lerr.rev), lerr.rule)
		}
		out = append(out, Statement{ID: id, JSON: js[start:len(js):len(js)], Hash: ContentHash(v)})
	}
	return out, nil
}

// bodyPath names the value at path in a request body the way statement
// errors do: "statements[2]: actor.name", or "actor.name" for a single
// statement.
func bodyPath(path []seg) string {
	if len(path) > 0 && path[0].index >= 0 {
		return "statements[" + strconv.Itoa(path[0].index) + "]: " + formatPath("", path[1:])
	}
	return formatPath("", path)
}

func prefixed(prefix string, err error) error {
	if prefix == "" {
		return err
	}
	if e, ok := err.(*Error); ok {
		return &Error{Code: e.Code, Message: prefix + e.Message, Err: e.Err}
	}
	return err
}

// normalise sets the properties the LRS assigns and puts the statement in
// its stored form.
func normalise(a *fastjson.Arena, v *fastjson.Value, id uuid.UUID, authority *fastjson.Value, ver Version) {
	o, _ := v.Object()
	o.Del("stored")
	o.Set("id", a.NewString(id.String()))
	o.Set("authority", authority)
	if o.Get("version") == nil {
		if ver == V2 {
			o.Set("version", a.NewString("2.0.0"))
		} else {
			o.Set("version", a.NewString("1.0.0"))
		}
	}
	if ts := o.Get("timestamp"); ts != nil {
		if t, err := ParseTimestamp(string(ts.GetStringBytes())); err == nil && ver == V2 {
			o.Set("timestamp", a.NewString(t.UTC().Format(time.RFC3339Nano)))
		}
	}
	normaliseContext(a, o.Get("context"))
	if obj := o.Get("object"); obj != nil && string(obj.GetStringBytes("objectType")) == "SubStatement" {
		normaliseContext(a, obj.Get("context"))
	}
}

// normaliseContext turns single contextActivities objects into arrays.
func normaliseContext(a *fastjson.Arena, ctx *fastjson.Value) {
	ca := ctx.Get("contextActivities")
	if ca == nil || ca.Type() != fastjson.TypeObject {
		return
	}
	o, _ := ca.Object()
	for _, k := range [...]string{"parent", "grouping", "category", "other"} {
		if x := o.Get(k); x != nil && x.Type() == fastjson.TypeObject {
			arr := a.NewArray()
			arr.SetArrayItem(0, x)
			o.Set(k, arr)
		}
	}
}

// ContentHash returns the hash used to decide whether two statements with
// the same id are the same statement (xAPI Data 2.3.1, statement comparison).
// It ignores what the LRS may assign or change (id, stored, authority,
// version), attachments, the serialisation of timestamp, verb display,
// activity definitions, the order of group members and a result duration's
// precision beyond hundredths of a second (see ComparableDuration); all
// else counts.
//
// The statement is written in a canonical binary form (sorted keys, every
// string length-prefixed, numbers as float64 bits) and hashed.
func ContentHash(v *fastjson.Value) Hash {
	bp := canonicalBufs.Get().(*[]byte)
	b := canonicalStatement((*bp)[:0], v, true)
	h := sha256.Sum256(b)
	*bp = b[:0] // keeps what it grew to
	canonicalBufs.Put(bp)
	return h
}

// canonicalBufs hold the canonical forms being hashed: one per statement
// written and projected, several KB each, was a tenth of all allocation.
var canonicalBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

type member struct {
	k []byte
	v *fastjson.Value
}

// sortedMembers returns the properties of object v sorted by key, using
// dst's storage.
func sortedMembers(dst []member, v *fastjson.Value) []member {
	o, _ := v.Object()
	o.Visit(func(k []byte, x *fastjson.Value) { dst = append(dst, member{k, x}) })
	if len(dst) <= 12 {
		// insertion sort: most objects in statements are this small
		for i := 1; i < len(dst); i++ {
			for j := i; j > 0 && bytes.Compare(dst[j].k, dst[j-1].k) < 0; j-- {
				dst[j], dst[j-1] = dst[j-1], dst[j]
			}
		}
		return dst
	}
	slices.SortFunc(dst, func(a, b member) int { return bytes.Compare(a.k, b.k) })
	return dst
}

// Tags of the canonical form.
const (
	tagObject = 'o'
	tagArray  = 'a'
	tagString = 's'
	tagNumber = 'n'
	tagTrue   = 't'
	tagFalse  = 'f'
	tagNull   = 'z'
)

func appendLen(dst []byte, n int) []byte { return binary.BigEndian.AppendUint32(dst, uint32(n)) }

func appendStr(dst []byte, s []byte) []byte {
	dst = append(dst, tagString)
	dst = appendLen(dst, len(s))
	return append(dst, s...)
}

// canonicalStatement writes a statement (top) or sub-statement, leaving out
// what statement comparison ignores.
func canonicalStatement(dst []byte, v *fastjson.Value, top bool) []byte {
	if v.Type() != fastjson.TypeObject {
		return canonical(dst, v)
	}
	var store [16]member
	ms := sortedMembers(store[:0], v)
	dst = append(dst, tagObject)
	for _, e := range ms {
		k := string(e.k)
		switch k {
		case "id", "stored", "authority", "version", "attachments":
			if top {
				continue
			}
		}
		dst = appendStr(dst, e.k)
		switch k {
		case "timestamp":
			if t, err := ParseTimestamp(string(e.v.GetStringBytes())); err == nil {
				dst = append(dst, tagNumber)
				dst = binary.BigEndian.AppendUint64(dst, uint64(t.UnixNano()))
				continue
			}
			dst = canonical(dst, e.v)
		case "result":
			dst = canonicalResult(dst, e.v)
		case "verb":
			dst = appendStr(dst, e.v.GetStringBytes("id"))
		case "object":
			switch string(e.v.GetStringBytes("objectType")) {
			case "", "Activity":
				dst = appendStr(dst, e.v.GetStringBytes("id"))
			case "SubStatement":
				dst = canonicalStatement(dst, e.v, false)
			default:
				dst = canonical(dst, e.v)
			}
		default:
			dst = canonical(dst, e.v)
		}
	}
	return append(dst, '.')
}

// canonicalResult writes a result as canonical does, its duration as
// ComparableDuration has it. A result whose duration needs no change is
// written exactly as canonical writes it.
func canonicalResult(dst []byte, v *fastjson.Value) []byte {
	if v.Type() != fastjson.TypeObject {
		return canonical(dst, v)
	}
	var store [16]member
	dst = append(dst, tagObject)
	for _, e := range sortedMembers(store[:0], v) {
		dst = appendStr(dst, e.k)
		if string(e.k) == "duration" && e.v.Type() == fastjson.TypeString {
			dst = appendStr(dst, ComparableDuration(e.v.GetStringBytes()))
			continue
		}
		dst = canonical(dst, e.v)
	}
	return append(dst, '.')
}

// ComparableDuration returns the form of an ISO 8601 duration that
// statements are compared by: the duration as a string (units are never
// converted, xAPI 1.0.3 Data 2.3.1), with the fraction of its seconds cut
// to hundredths and its trailing zeros dropped, so that precision beyond
// 0.01 s takes no part in any comparison (1.0.3 Data 4.6, 2.0.0 9274.1.1
// 4.2.7): P1DT12H36M0.1237S, P1DT12H36M0.12S and P1DT12H36M0.120S compare
// equal, PT1.00S and PT1S too; PT60S and PT1M do not. The decimal sign
// may be ',' or '.'. A fraction of a larger unit (PT1.5M) is kept as sent.
// It returns d itself when there is nothing to cut, and takes any string
// (a signature's payload is not validated).
func ComparableDuration(d []byte) []byte {
	n := len(d)
	if n < 4 || d[n-1] != 'S' {
		return d
	}
	end := n - 1 // the fraction digits are d[sep+1:end]
	sep := end - 1
	for sep >= 0 && isDigit(d[sep]) {
		sep--
	}
	if sep < 1 || (d[sep] != '.' && d[sep] != ',') || !isDigit(d[sep-1]) {
		return d
	}
	// The seconds' whole number follows the T, H or M before it; anything
	// else (such as "0,0,00S") is no duration's seconds and is left as is,
	// so the result is a fixed point.
	whole := sep - 1
	for whole >= 0 && isDigit(d[whole]) {
		whole--
	}
	if whole < 0 || (d[whole] != 'T' && d[whole] != 'H' && d[whole] != 'M') {
		return d
	}
	frac := d[sep+1 : end]
	if len(frac) > 2 {
		frac = frac[:2]
	}
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if d[sep] == '.' && len(frac) == end-sep-1 {
		return d // nothing cut
	}
	out := make([]byte, 0, n)
	out = append(out, d[:sep]...)
	if len(frac) > 0 {
		out = append(out, '.')
		out = append(out, frac...)
	}
	return append(out, 'S')
}

// canonical writes v with sorted keys, group members in sorted order and
// numbers in one form.
func canonical(dst []byte, v *fastjson.Value) []byte {
	switch v.Type() {
	case fastjson.TypeObject:
		var store [16]member
		dst = append(dst, tagObject)
		for _, e := range sortedMembers(store[:0], v) {
			dst = appendStr(dst, e.k)
			if string(e.k) == "member" && e.v.Type() == fastjson.TypeArray {
				items, _ := e.v.Array()
				enc := make([][]byte, len(items))
				for j, m := range items {
					enc[j] = canonical(nil, m)
				}
				slices.SortFunc(enc, bytes.Compare)
				dst = append(dst, tagArray)
				dst = appendLen(dst, len(enc))
				for _, m := range enc {
					dst = append(dst, m...)
				}
				continue
			}
			dst = canonical(dst, e.v)
		}
		return append(dst, '.')
	case fastjson.TypeArray:
		items, _ := v.Array()
		dst = append(dst, tagArray)
		dst = appendLen(dst, len(items))
		for _, x := range items {
			dst = canonical(dst, x)
		}
		return dst
	case fastjson.TypeString:
		return appendStr(dst, v.GetStringBytes())
	case fastjson.TypeNumber:
		f, _ := v.Float64()
		dst = append(dst, tagNumber)
		return binary.BigEndian.AppendUint64(dst, math.Float64bits(f))
	case fastjson.TypeTrue:
		return append(dst, tagTrue)
	case fastjson.TypeFalse:
		return append(dst, tagFalse)
	default:
		return append(dst, tagNull)
	}
}

// StatementFacts are the properties of a stored statement the views index.
type StatementFacts struct {
	ID         uuid.UUID
	RefTarget  uuid.UUID // the statement a StatementRef object targets
	VoidTarget uuid.UUID // for a voiding statement, the statement it voids
}

// Facts extracts the indexed properties from a stored statement.
func Facts(v *fastjson.Value) (StatementFacts, error) {
	var f StatementFacts
	id, err := uuid.ParseBytes(v.GetStringBytes("id"))
	if err != nil {
		return f, Errorf(EINVALID, "stored statement has no valid id")
	}
	f.ID = id
	if string(v.GetStringBytes("object", "objectType")) == "StatementRef" {
		if t, err := uuid.ParseBytes(v.GetStringBytes("object", "id")); err == nil {
			f.RefTarget = t
			if bytes.Equal(v.GetStringBytes("verb", "id"), voidVerb) {
				f.VoidTarget = t
			}
		}
	}
	return f, nil
}
