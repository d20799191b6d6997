package lrs

import (
	"crypto/sha256"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"
)

// Term kinds: what a statement can be found by. A term is a kind and a
// canonical value; the views index statements under the terms of
// StatementTerms. An agent or activity term also says whether the statement
// has it narrowly: an agent as actor or object (or a member of a group
// there), an activity as the object. The filters without related_agents or
// related_activities match narrow terms only; with them, any.
const (
	TermAgent        = 'a' // any agent or group anywhere; narrow as actor or object
	TermVerb         = 'v'
	TermActivity     = 'c' // any activity anywhere; narrow as the object
	TermRegistration = 'g'
	// TermAuthority is the statement's own authority (never inherited
	// through a StatementRef): what statements/read/mine filters by.
	TermAuthority = 'o'
)

// Term is an index term of a statement, or a term a query requires.
type Term struct {
	Key TermKey
	// Narrow: the statement has the term as actor or object (verbs and
	// registrations always); in a query, only such statements match.
	Narrow bool
}

// TermKey is the fixed-size index key of a term: its kind and the first 16
// bytes of the SHA-256 of kind and value.
type TermKey [17]byte

// MakeTermKey returns the key of term (kind, value).
func MakeTermKey(kind byte, value string) TermKey {
	h := sha256.New()
	h.Write([]byte{kind})
	h.Write([]byte(value))
	var sum [32]byte
	h.Sum(sum[:0])
	var k TermKey
	k[0] = kind
	copy(k[1:], sum[:16])
	return k
}

// IFI returns the canonical inverse functional identifier of an Agent or
// identified Group, "" when it has none (an anonymous group).
func IFI(v *fastjson.Value) string {
	if v == nil {
		return ""
	}
	if b := v.GetStringBytes("mbox"); b != nil {
		return "mbox\x00" + string(b)
	}
	if b := v.GetStringBytes("mbox_sha1sum"); b != nil {
		return "mbox_sha1sum\x00" + lowerASCII(string(b))
	}
	if b := v.GetStringBytes("openid"); b != nil {
		return "openid\x00" + string(b)
	}
	if a := v.Get("account"); a != nil {
		return "account\x00" + string(a.GetStringBytes("homePage")) + "\x00" + string(a.GetStringBytes("name"))
	}
	return ""
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// TermCache remembers term keys already hashed (verbs, activities and
// agents repeat); it only saves work. Not safe for concurrent use.
type TermCache struct {
	m map[string]TermKey
}

// NewTermCache returns a cache of up to n keys (it starts afresh when full).
func NewTermCache(n int) *TermCache { return &TermCache{m: make(map[string]TermKey, n)} }

func (c *TermCache) key(kind byte, value string) TermKey {
	if c == nil {
		return MakeTermKey(kind, value)
	}
	ck := string(kind) + value
	if k, ok := c.m[ck]; ok {
		return k
	}
	if len(c.m) >= 1<<16 {
		clear(c.m)
	}
	k := MakeTermKey(kind, value)
	c.m[ck] = k
	return k
}

// termSet collects distinct terms; a term added both narrowly and not is
// narrow.
type termSet struct {
	terms []Term
	cache *TermCache
	index map[TermKey]int // position in terms, once there are many
}

func (t *termSet) add(kind byte, value string, narrow bool) {
	if value != "" {
		t.addTerm(Term{Key: t.cache.key(kind, value), Narrow: narrow})
	}
}

// addTerm adds term, or makes the same term narrow when term is.
// A statement has a handful of terms; one with a large group or many
// context activities has them looked up through a map, so the work stays in
// proportion to their number.
func (t *termSet) addTerm(term Term) {
	i := -1
	switch {
	case t.index != nil:
		if j, ok := t.index[term.Key]; ok {
			i = j
		}
	case len(t.terms) < 16:
		for j := range t.terms {
			if t.terms[j].Key == term.Key {
				i = j
				break
			}
		}
	default:
		t.index = make(map[TermKey]int, 2*len(t.terms))
		for j, x := range t.terms {
			t.index[x.Key] = j
		}
		if j, ok := t.index[term.Key]; ok {
			i = j
		}
	}
	if i >= 0 {
		t.terms[i].Narrow = t.terms[i].Narrow || term.Narrow
		return
	}
	if t.index != nil {
		t.index[term.Key] = len(t.terms)
	}
	t.terms = append(t.terms, term)
}

// agent adds an Agent or Group and its members.
func (t *termSet) agent(v *fastjson.Value, narrow bool) {
	if v == nil || v.Type() != fastjson.TypeObject {
		return
	}
	t.add(TermAgent, IFI(v), narrow)
	for _, m := range v.GetArray("member") {
		t.add(TermAgent, IFI(m), narrow)
	}
}

// MergeTerms adds the terms of more, those a statement inherits from the
// statement it targets, to terms: new ones appended, a narrow one making
// the same term narrow. The target's authority is not inherited.
func MergeTerms(terms, more []Term) []Term {
	t := termSet{terms: terms}
	for _, m := range more {
		if m.Key[0] != TermAuthority {
			t.addTerm(m)
		}
	}
	return t.terms
}

func isAgentObject(v *fastjson.Value) bool {
	ot := string(v.GetStringBytes("objectType"))
	return ot == "Agent" || ot == "Group"
}

func isActivityObject(v *fastjson.Value) bool {
	ot := string(v.GetStringBytes("objectType"))
	return ot == "" || ot == "Activity"
}

// StatementTerms returns the terms a stored statement is found by (its own;
// a statement that targets another with a StatementRef also inherits that
// one's terms, which the view adds).
func StatementTerms(v *fastjson.Value) []Term { return StatementTermsCached(v, nil) }

// StatementTermsCached is StatementTerms with a cache of term keys.
func StatementTermsCached(v *fastjson.Value, cache *TermCache) []Term {
	t := termSet{cache: cache, terms: make([]Term, 0, 8)}
	t.agent(v.Get("actor"), true)
	obj := v.Get("object")
	if obj != nil && isAgentObject(obj) {
		t.agent(obj, true)
	}
	t.add(TermVerb, string(v.GetStringBytes("verb", "id")), true)
	if obj != nil && isActivityObject(obj) {
		t.add(TermActivity, string(obj.GetStringBytes("id")), true)
	}
	t.add(TermRegistration, string(v.GetStringBytes("context", "registration")), true)
	t.agent(v.Get("authority"), false)
	t.add(TermAuthority, IFI(v.Get("authority")), true)
	t.related(v)
	if obj != nil && string(obj.GetStringBytes("objectType")) == "SubStatement" {
		t.related(obj)
	}
	return t.terms
}

// related adds the related_agents and related_activities terms of a
// statement or sub-statement.
func (t *termSet) related(v *fastjson.Value) {
	t.agent(v.Get("actor"), false)
	obj := v.Get("object")
	if obj != nil {
		if isAgentObject(obj) {
			t.agent(obj, false)
		}
		if isActivityObject(obj) {
			t.add(TermActivity, string(obj.GetStringBytes("id")), false)
		}
	}
	ctx := v.Get("context")
	if ctx == nil {
		return
	}
	t.agent(ctx.Get("instructor"), false)
	t.agent(ctx.Get("team"), false)
	for _, ca := range ctx.GetArray("contextAgents") {
		t.agent(ca.Get("agent"), false)
	}
	for _, cg := range ctx.GetArray("contextGroups") {
		t.agent(cg.Get("group"), false)
	}
	if ca := ctx.Get("contextActivities"); ca != nil {
		for _, k := range [...]string{"parent", "grouping", "category", "other"} {
			x := ca.Get(k)
			if x == nil {
				continue
			}
			if x.Type() == fastjson.TypeObject {
				t.add(TermActivity, string(x.GetStringBytes("id")), false)
				continue
			}
			for _, a := range x.GetArray() {
				t.add(TermActivity, string(a.GetStringBytes("id")), false)
			}
		}
	}
}

// StatementFilter is the filter part of a statement query.
type StatementFilter struct {
	Agent             string // IFI, see IFI
	Verb              string
	Activity          string
	Registration      string
	RelatedAgents     bool
	RelatedActivities bool
	// Since and Until are nil when absent. Any instant is a bound, the
	// zero time.Time (0001-01-01T00:00:00Z) too.
	Since, Until *time.Time
	// Authority, an IFI, keeps only statements with this authority. It is
	// never a parameter: the API sets it for statements/read/mine.
	Authority string
}

// Terms returns the index terms every matching statement has.
func (f StatementFilter) Terms() []Term {
	var out []Term
	if f.Agent != "" {
		out = append(out, Term{MakeTermKey(TermAgent, f.Agent), !f.RelatedAgents})
	}
	if f.Verb != "" {
		out = append(out, Term{MakeTermKey(TermVerb, f.Verb), true})
	}
	if f.Activity != "" {
		out = append(out, Term{MakeTermKey(TermActivity, f.Activity), !f.RelatedActivities})
	}
	if f.Registration != "" {
		out = append(out, Term{MakeTermKey(TermRegistration, f.Registration), true})
	}
	if f.Authority != "" {
		out = append(out, Term{MakeTermKey(TermAuthority, f.Authority), true})
	}
	return out
}

// ParseStatementFilter reads the filter parameters of GET /statements.
// Values are checked like the same values in statements (XAPI-00012).
func ParseStatementFilter(q url.Values) (StatementFilter, error) {
	var f StatementFilter
	if s := q.Get("agent"); s != "" || q.Has("agent") {
		v, err := fastjson.Parse(s)
		if err != nil {
			return f, Errorf(EINVALID, "agent: not valid JSON: %v", err)
		}
		if err := ValidateAgent(v, "agent"); err != nil {
			return f, err
		}
		if f.Agent = IFI(v); f.Agent == "" {
			return f, Errorf(EINVALID, "agent: an anonymous group cannot be used as a filter; give an Agent or identified Group")
		}
	}
	if q.Has("verb") {
		if f.Verb = q.Get("verb"); !IsIRI(f.Verb) {
			return f, Errorf(EINVALID, "verb: %q is not an IRI", f.Verb)
		}
	}
	if q.Has("activity") {
		if f.Activity = q.Get("activity"); !IsIRI(f.Activity) {
			return f, Errorf(EINVALID, "activity: %q is not an IRI", f.Activity)
		}
	}
	if q.Has("registration") {
		r := q.Get("registration")
		id, err := uuid.Parse(r)
		if err != nil || !IsUUID(r) {
			return f, Errorf(EINVALID, "registration: %q is not a UUID", r)
		}
		f.Registration = id.String()
	}
	var err error
	if f.RelatedAgents, err = boolParam(q, "related_agents"); err != nil {
		return f, err
	}
	if f.RelatedActivities, err = boolParam(q, "related_activities"); err != nil {
		return f, err
	}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if !q.Has(p.name) {
			continue
		}
		t, err := ParseTimestamp(q.Get(p.name))
		if err != nil {
			return f, Errorf(EINVALID, "%s: %q is not an ISO 8601 timestamp with a time zone", p.name, q.Get(p.name))
		}
		*p.dst = &t
	}
	return f, nil
}

func boolParam(q url.Values, name string) (bool, error) {
	if !q.Has(name) {
		return false, nil
	}
	b, err := strconv.ParseBool(q.Get(name))
	if err != nil || (q.Get(name) != "true" && q.Get(name) != "false") {
		return false, Errorf(EINVALID, "%s: %q is not true or false", name, q.Get(name))
	}
	return b, nil
}
