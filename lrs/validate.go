package lrs

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// The statement validator walks a parsed statement once, checking each object
// against the table of properties the xAPI 1.0.3 data model (xAPI-Data.md,
// Part Two, section 2.4) allows for it, and each value against its type and
// format. Requirement ids (XAPI-000nn) refer to the xAPI LRS conformance
// requirements 1.0.3.
//
// Choices where the spec leaves room:
//
//   - XAPI-00001 rejects properties that are null, an empty object or have no
//     value. An empty array is taken to have no value and is rejected too,
//     except "correctResponsesPattern", where the spec gives [] a meaning
//     ("there is no correct answer"). An Activity's "definition", all of
//     whose properties are optional, may be an empty object (Data 2.4.4.1;
//     the conformance suite accepts it), under both versions. Plain strings (name, response,
//     language map values …) may be empty; strings with a format (IRIs, UUIDs,
//     tags …) and identifiers (account name, interaction component id) may not.
//   - "extensions" itself may be an empty object ("except in an extensions
//     property"); extension values may be anything, but they must still be
//     well-formed: no duplicate keys (XAPI-00021), valid UTF-8 (XAPI-00015),
//     and numbers in Result scores finite (XAPI-00002: IEEE 754 floats).
//   - Additional properties are rejected everywhere (the spec's SHOULD*,
//     XAPI-00010).
//   - A voiding statement is one whose verb id is exactly
//     http://adlnet.gov/expapi/verbs/voided (the conformance text's "ends
//     with voided" would catch unrelated verbs). The rule is applied to
//     statements, not to SubStatements, which void nothing.
//   - Score: min must be strictly less than max (the spec's "less than"),
//     raw lies in [min, max] inclusive, scaled in [-1, 1].
//   - Interaction component lists are only allowed with the interaction types
//     the spec lists for them; correctResponsesPattern contents are not
//     checked against the interaction type (the spec makes that a MAY).
//   - Version: "1.0" or "1.0.<n>"; under xAPI 2.0 also "2.0" or "2.0.<n>".
//   - xAPI 2.0 context.contextAgents[].relevantTypes and
//     contextGroups[].relevantTypes are optional, but non-empty when present.
//
// The validator does not check JSON syntax: fastjson's parser is lenient
// (it accepts e.g. invalid escapes and raw control characters in strings), so
// request bodies should go through fastjson.Validate first.

// voidedVerb is the reserved verb of voiding statements (section 2.3.2).
const voidedVerb = "http://adlnet.gov/expapi/verbs/voided"

// Object types, as the object dispatch returns them.
const (
	kindActivity     = "Activity"
	kindAgent        = "Agent"
	kindGroup        = "Group"
	kindStatementRef = "StatementRef"
	kindSubStatement = "SubStatement"
)

// Property tables: the keys each object may have, case-sensitive
// (XAPI-00008, XAPI-00010). At most 64 keys per table.
var (
	statementKeys = []string{"id", "actor", "verb", "object", "result", "context",
		"timestamp", "stored", "authority", "version", "attachments"}
	subStatementKeys = []string{"objectType", "actor", "verb", "object", "result",
		"context", "timestamp", "attachments"}
	agentKeys      = []string{"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"}
	groupKeys      = []string{"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account", "member"}
	accountKeys    = []string{"homePage", "name"}
	verbKeys       = []string{"id", "display"}
	activityKeys   = []string{"objectType", "id", "definition"}
	definitionKeys = []string{"name", "description", "type", "moreInfo", "extensions",
		"interactionType", "correctResponsesPattern", "choices", "scale", "source", "target", "steps"}
	componentKeys    = []string{"id", "description"}
	statementRefKeys = []string{"objectType", "id"}
	resultKeys       = []string{"score", "success", "completion", "response", "duration", "extensions"}
	scoreKeys        = []string{"scaled", "raw", "min", "max"}
	contextKeysV1    = []string{"registration", "instructor", "team", "contextActivities",
		"revision", "platform", "language", "statement", "extensions"}
	contextKeysV2 = []string{"registration", "instructor", "team", "contextActivities",
		"revision", "platform", "language", "statement", "extensions", "contextAgents", "contextGroups"}
	contextActivitiesKeys = []string{"parent", "grouping", "category", "other"}
	contextAgentKeys      = []string{"objectType", "agent", "relevantTypes"}
	contextGroupKeys      = []string{"objectType", "group", "relevantTypes"}
	attachmentKeys        = []string{"usageType", "display", "description", "contentType",
		"length", "sha2", "fileUrl"}

	// ifiKeys are the Inverse Functional Identifiers (section 2.4.2.3).
	ifiKeys = []string{"mbox", "mbox_sha1sum", "openid", "account"}

	// interactionLists are the interaction component lists, in the order
	// they are checked.
	interactionLists = []string{"choices", "scale", "source", "target", "steps"}
)

// ValidateStatement checks one statement as received from a client (a JSON
// object already parsed with fastjson) against every xAPI statement rule for
// version ver. It returns nil or an *Error with Code EINVALID whose Message is
// "<json path>: <rule>", e.g. `actor: an Agent must have exactly one of mbox, mbox_sha1sum, openid, account (found 2)`
// or `object.definition.name: language tag "en_US" is not a valid RFC 5646 tag`.
// Paths: dot-separated properties, array indexes in brackets: `context.contextActivities.parent[0].id`.
// It is pure: no I/O, no clock, no globals mutated.
//
// Like every read of a fastjson value, validation unescapes strings and keys
// in place, so v must not be used concurrently.
func ValidateStatement(v *fastjson.Value, ver Version) error {
	c := checker{ver: ver}
	if v == nil {
		return c.fail("required")
	}
	if err := c.statement(v, false); err != nil {
		return err
	}
	return nil
}

// ValidateAgent checks an Agent or Group object, such as the value of an
// "agent" query parameter (XAPI-00012), by the rules of a statement's actor:
// "objectType" is "Agent" (the default) or "Group"; an Agent has exactly one
// Inverse Functional Identifier; a Group has at most one, and members if it
// has none. path names the value in error messages, e.g. "agent". Whether an
// anonymous Group is acceptable in the caller's context is for the caller to
// decide.
func ValidateAgent(v *fastjson.Value, path string) error {
	if path == "" {
		path = "agent"
	}
	c := checker{root: path}
	if v == nil {
		return c.fail("required")
	}
	if _, err := c.actor(v); err != nil {
		return err
	}
	return nil
}

// maxPath bounds the path segments kept for error messages; the statement
// schema nests less deeply than this.
const maxPath = 24

// seg is one step of a JSON path: a property name, or an array index if
// index >= 0.
type seg struct {
	key   string
	index int
}

// checker holds the state of one validation: the version and the path of the
// value being checked. The path is kept as a stack of segments and only
// formatted when an error is reported, so that a valid statement costs no
// allocations for paths.
type checker struct {
	ver  Version
	root string
	segs [maxPath]seg
	n    int
}

func (c *checker) push(key string) {
	if c.n < maxPath {
		c.segs[c.n] = seg{key: key, index: -1}
	}
	c.n++
}

func (c *checker) pushIndex(i int) {
	if c.n < maxPath {
		c.segs[c.n] = seg{index: i}
	}
	c.n++
}

func (c *checker) pop() { c.n-- }

// path formats the current path.
func (c *checker) path() string { return formatPath(c.root, c.segs[:min(c.n, maxPath)]) }

// fail returns the EINVALID error for the value at the current path.
func (c *checker) fail(format string, args ...any) *Error {
	return &Error{Code: EINVALID, Message: c.path() + ": " + fmt.Sprintf(format, args...)}
}

// failAt is fail for property key of the current object.
func (c *checker) failAt(key, format string, args ...any) *Error {
	c.push(key)
	err := c.fail(format, args...)
	c.pop()
	return err
}

// typeName names the JSON type of v for messages.
func typeName(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeObject:
		return "an object"
	case fastjson.TypeArray:
		return "an array"
	case fastjson.TypeString:
		return "a string"
	case fastjson.TypeNumber:
		return "a number"
	case fastjson.TypeTrue, fastjson.TypeFalse:
		return "a boolean"
	}
	return "null"
}

// wrongType reports that v is not of the wanted type (XAPI-00001, XAPI-00006).
func (c *checker) wrongType(v *fastjson.Value, want string) *Error {
	if v.Type() == fastjson.TypeNull {
		return c.fail("must not be null")
	}
	return c.fail("must be %s, not %s", want, typeName(v))
}

// object returns v as a non-empty JSON object (XAPI-00001).
func (c *checker) object(v *fastjson.Value) (*fastjson.Object, *Error) {
	if v.Type() != fastjson.TypeObject {
		return nil, c.wrongType(v, "an object")
	}
	o, _ := v.Object()
	if o.Len() == 0 {
		return nil, c.fail("must not be an empty object")
	}
	return o, nil
}

// array returns v as a non-empty JSON array (XAPI-00001: an empty array has
// no value).
func (c *checker) array(v *fastjson.Value) ([]*fastjson.Value, *Error) {
	if v.Type() != fastjson.TypeArray {
		return nil, c.wrongType(v, "an array")
	}
	a, _ := v.Array()
	if len(a) == 0 {
		return nil, c.fail("must not be an empty array")
	}
	return a, nil
}

// str returns the bytes of the JSON string v, which must be valid UTF-8
// (XAPI-00015).
func (c *checker) str(v *fastjson.Value) ([]byte, *Error) {
	if v.Type() != fastjson.TypeString {
		return nil, c.wrongType(v, "a string")
	}
	b, _ := v.StringBytes()
	if !utf8.Valid(b) {
		return nil, c.fail("must be valid UTF-8")
	}
	return b, nil
}

// nonEmpty returns the JSON string v, which must not be empty.
func (c *checker) nonEmpty(v *fastjson.Value) ([]byte, *Error) {
	b, err := c.str(v)
	if err == nil && len(b) == 0 {
		err = c.fail("must not be empty")
	}
	return b, err
}

// number returns the JSON number v, which must be finite. fastjson's parser
// takes anything made of digits, signs, dots and exponents, and NaN and Inf,
// as a number; Float64 rejects the malformed ones ("1.2.3") and the check
// below NaN, Inf and numbers beyond float64 range.
func (c *checker) number(v *fastjson.Value) (float64, *Error) {
	if v.Type() != fastjson.TypeNumber {
		return 0, c.wrongType(v, "a number")
	}
	f, err := v.Float64()
	if err != nil {
		return 0, c.fail("must be a JSON number")
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, c.fail("must be a finite number")
	}
	return f, nil
}

func (c *checker) boolean(v *fastjson.Value) *Error {
	if t := v.Type(); t != fastjson.TypeTrue && t != fastjson.TypeFalse {
		return c.wrongType(v, "a boolean")
	}
	return nil
}

// props checks that every key of o is one of allowed, appears once and is
// valid UTF-8 (XAPI-00008, XAPI-00010, XAPI-00021).
func (c *checker) props(o *fastjson.Object, allowed []string) *Error {
	var seen uint64
	var err *Error
	o.Visit(func(k []byte, _ *fastjson.Value) {
		if err != nil {
			return
		}
		i := slices.IndexFunc(allowed, func(a string) bool { return a == string(k) })
		switch {
		case i < 0:
			err = c.unknown(k, allowed)
		case seen&(1<<i) != 0:
			err = c.failAt(allowed[i], "duplicate property")
		default:
			seen |= 1 << i
		}
	})
	return err
}

// unknown reports the unknown property k of the current object.
func (c *checker) unknown(k []byte, allowed []string) *Error {
	if !utf8.Valid(k) {
		return c.fail("property names must be valid UTF-8")
	}
	for _, a := range allowed {
		if strings.EqualFold(a, string(k)) {
			return c.fail("unknown property %q (property names are case-sensitive: %q)", k, a)
		}
	}
	return c.fail("unknown property %q (allowed: %s)", k, strings.Join(allowed, ", "))
}

// has reports whether o has property key.
func has(o *fastjson.Object, key string) bool { return o.Get(key) != nil }

// each calls f, with the path set, for each present property of o named in keys.
func (c *checker) each(o *fastjson.Object, keys []string, f func(key string, v *fastjson.Value) *Error) *Error {
	for _, k := range keys {
		if v := o.Get(k); v != nil {
			c.push(k)
			err := f(k, v)
			c.pop()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// prop runs f on property key of o, with the path set, if it is present; if
// it is absent, it fails when required is set.
func (c *checker) prop(o *fastjson.Object, key string, required bool, f func(*fastjson.Value) *Error) *Error {
	v := o.Get(key)
	if v == nil {
		if required {
			return c.failAt(key, "required property is missing")
		}
		return nil
	}
	c.push(key)
	err := f(v)
	c.pop()
	return err
}

// statement checks a Statement, or a SubStatement if sub is set (section 2.4).
func (c *checker) statement(v *fastjson.Value, sub bool) *Error {
	o, err := c.object(v)
	if err != nil {
		return err
	}
	keys := statementKeys
	if sub {
		// XAPI-00067 … XAPI-00070.
		for _, k := range [...]string{"id", "stored", "version", "authority"} {
			if has(o, k) {
				return c.failAt(k, "a SubStatement must not have %q", k)
			}
		}
		keys = subStatementKeys
	}
	if err := c.props(o, keys); err != nil {
		return err
	}
	// XAPI-00003 … XAPI-00005.
	for _, k := range [...]string{"actor", "verb", "object"} {
		if !has(o, k) {
			return c.failAt(k, "required property is missing")
		}
	}
	if err := c.prop(o, "actor", true, c.actorValue); err != nil {
		return err
	}
	var verbID []byte
	c.push("verb")
	verbID, err = c.verb(o.Get("verb"))
	c.pop()
	if err != nil {
		return err
	}
	c.push("object")
	kind, err := c.statementObject(o.Get("object"), sub)
	c.pop()
	if err != nil {
		return err
	}
	// XAPI-00017: the object of a voiding statement is a StatementRef.
	if !sub && string(verbID) == voidedVerb && kind != kindStatementRef {
		return c.failAt("object", "the object of a voiding statement (verb %s) must be a StatementRef, not %s", voidedVerb, kind)
	}
	if err := c.prop(o, "result", false, c.result); err != nil {
		return err
	}
	if err := c.prop(o, "context", false, func(v *fastjson.Value) *Error { return c.context(v, kind) }); err != nil {
		return err
	}
	if err := c.prop(o, "timestamp", false, c.timestamp); err != nil { // XAPI-00022
		return err
	}
	if err := c.prop(o, "attachments", false, c.attachments); err != nil { // XAPI-00025
		return err
	}
	if sub {
		return nil
	}
	if err := c.prop(o, "id", false, c.uuid); err != nil { // XAPI-00027 … XAPI-00030
		return err
	}
	if err := c.prop(o, "stored", false, c.timestamp); err != nil { // XAPI-00023
		return err
	}
	if err := c.prop(o, "authority", false, c.authority); err != nil { // XAPI-00024
		return err
	}
	return c.prop(o, "version", false, c.version) // XAPI-00101
}

// actorValue checks v as an actor (XAPI-00031) and discards the kind.
func (c *checker) actorValue(v *fastjson.Value) *Error {
	_, err := c.actor(v)
	return err
}

// actor checks an Agent or Group whose objectType is optional and defaults
// to Agent: a statement's actor or authority, a context's instructor, the
// agent query parameter. It returns kindAgent or kindGroup.
func (c *checker) actor(v *fastjson.Value) (string, *Error) {
	o, err := c.object(v)
	if err != nil {
		return "", err
	}
	kind, err := c.agentKind(o)
	if err != nil {
		return "", err
	}
	if kind == kindGroup {
		return kind, c.group(o)
	}
	return kind, c.agent(o)
}

// agentKind reads the optional objectType of an Agent or Group.
func (c *checker) agentKind(o *fastjson.Object) (string, *Error) {
	t := o.Get("objectType")
	if t == nil {
		return kindAgent, nil
	}
	c.push("objectType")
	defer c.pop()
	s, err := c.str(t)
	if err != nil {
		return "", err
	}
	switch string(s) {
	case kindAgent:
		return kindAgent, nil
	case kindGroup:
		return kindGroup, nil
	}
	return "", c.fail(`must be "Agent" or "Group", not %q`, s)
}

// agent checks an Agent object (section 2.4.2.1); its objectType, if
// present, has been read already or is checked to be "Agent".
func (c *checker) agent(o *fastjson.Object) *Error {
	if has(o, "member") { // XAPI-00035
		return c.failAt("member", `only a Group may have members (objectType "Group")`)
	}
	if err := c.props(o, agentKeys); err != nil {
		return err
	}
	if err := c.prop(o, "objectType", false, c.enum(kindAgent)); err != nil {
		return err
	}
	if err := c.prop(o, "name", false, c.plainString); err != nil { // XAPI-00033
		return err
	}
	n, err := c.ifis(o)
	if err != nil {
		return err
	}
	if n != 1 { // XAPI-00034
		return c.fail("an Agent must have exactly one of mbox, mbox_sha1sum, openid, account (found %d)", n)
	}
	return nil
}

// group checks a Group object (section 2.4.2.2); objectType must be "Group".
func (c *checker) group(o *fastjson.Object) *Error {
	if err := c.props(o, groupKeys); err != nil {
		return err
	}
	if err := c.prop(o, "objectType", true, c.enum(kindGroup)); err != nil {
		return err
	}
	if err := c.prop(o, "name", false, c.plainString); err != nil {
		return err
	}
	n, err := c.ifis(o)
	if err != nil {
		return err
	}
	if n > 1 { // XAPI-00037
		return c.fail("a Group must have at most one of mbox, mbox_sha1sum, openid, account (found %d)", n)
	}
	if n == 0 && !has(o, "member") { // XAPI-00037
		return c.failAt("member", "an anonymous Group (one without mbox, mbox_sha1sum, openid or account) must have members")
	}
	return c.prop(o, "member", false, c.members)
}

// members checks a Group's member list: a non-empty array of Agents
// (XAPI-00036).
func (c *checker) members(v *fastjson.Value) *Error {
	a, err := c.array(v)
	if err != nil {
		return err
	}
	for i, m := range a {
		c.pushIndex(i)
		err := c.agentOnly(m)
		c.pop()
		if err != nil {
			return err
		}
	}
	return nil
}

// agentOnly checks an Agent in a place where a Group is not allowed: a
// Group's members (XAPI-00036), xAPI 2.0 contextAgents.
func (c *checker) agentOnly(v *fastjson.Value) *Error {
	o, err := c.object(v)
	if err != nil {
		return err
	}
	if t := o.Get("objectType"); t != nil && t.Type() == fastjson.TypeString && string(t.GetStringBytes()) == kindGroup {
		return c.fail("must be an Agent, not a Group")
	}
	return c.agent(o)
}

// groupOnly checks a Group in a place where an Agent is not allowed:
// context.team (XAPI-00088), xAPI 2.0 contextGroups.
func (c *checker) groupOnly(v *fastjson.Value) *Error {
	o, err := c.object(v)
	if err != nil {
		return err
	}
	if !has(o, "objectType") {
		return c.fail(`must be a Group, with objectType "Group"`)
	}
	return c.group(o)
}

// ifis checks the Inverse Functional Identifiers of o (section 2.4.2.3)
// and returns how many there are.
func (c *checker) ifis(o *fastjson.Object) (int, *Error) {
	n := 0
	err := c.each(o, ifiKeys, func(k string, v *fastjson.Value) *Error {
		n++
		switch k {
		case "mbox": // XAPI-00038
			s, err := c.str(v)
			if err == nil && !isMailtoIRI(s) {
				err = c.fail(`must be "mailto:" followed by an e-mail address, not %q`, s)
			}
			return err
		case "mbox_sha1sum": // XAPI-00039
			s, err := c.str(v)
			if err == nil && !isHexString(s, 40) {
				err = c.fail("must be a SHA-1 hash as 40 hexadecimal digits, not %q", s)
			}
			return err
		case "openid": // XAPI-00040
			s, err := c.str(v)
			if err == nil && !isURI(s) {
				err = c.fail("must be an absolute URI, not %q", s)
			}
			return err
		default: // XAPI-00041
			return c.account(v)
		}
	})
	return n, err
}

// account checks an Account Object (section 2.4.2.4, XAPI-00042, XAPI-00043).
func (c *checker) account(v *fastjson.Value) *Error {
	o, err := c.object(v)
	if err != nil {
		return err
	}
	if err := c.props(o, accountKeys); err != nil {
		return err
	}
	if err := c.prop(o, "homePage", true, c.iri); err != nil {
		return err
	}
	return c.prop(o, "name", true, func(v *fastjson.Value) *Error {
		_, err := c.nonEmpty(v)
		return err
	})
}

// authority checks a statement's authority: an Agent, or an anonymous
// Group of exactly two Agents for 3-legged OAuth (section 2.4.9: "an
// anonymous Group with two members", XAPI-00024, XAPI-00098, XAPI-00100).
// An identified Group is no authority, with members or without. What the
// client sent is checked even though the LRS then sets the authority from
// the credential.
func (c *checker) authority(v *fastjson.Value) *Error {
	kind, err := c.actor(v)
	if err != nil || kind != kindGroup {
		return err
	}
	o, _ := v.Object()
	for _, k := range ifiKeys {
		if has(o, k) {
			return c.failAt(k, "an authority Group must be an anonymous Group (no mbox, mbox_sha1sum, openid or account) of two Agents (3-legged OAuth)")
		}
	}
	if m := o.Get("member"); m == nil || len(m.GetArray()) != 2 {
		return c.failAt("member", "an authority Group must have exactly two Agent members (3-legged OAuth)")
	}
	return nil
}

// verb checks a Verb (section 2.4.3) and returns its id.
func (c *checker) verb(v *fastjson.Value) ([]byte, *Error) {
	o, err := c.object(v)
	if err != nil {
		return nil, err
	}
	if err := c.props(o, verbKeys); err != nil {
		return nil, err
	}
	if err := c.prop(o, "id", true, c.iri); err != nil { // XAPI-00044
		return nil, err
	}
	if err := c.prop(o, "display", false, c.languageMap); err != nil { // XAPI-00045
		return nil, err
	}
	return o.Get("id").GetStringBytes(), nil
}

// statementObject checks a statement's object (section 2.4.4) and returns
// its kind. sub is set in a SubStatement, where the object must not be a
// SubStatement.
func (c *checker) statementObject(v *fastjson.Value, sub bool) (string, *Error) {
	o, err := c.object(v)
	if err != nil {
		return "", err
	}
	kind := kindActivity
	t := o.Get("objectType")
	if t != nil {
		c.push("objectType")
		s, err := c.str(t)
		if err == nil {
			switch string(s) {
			case kindActivity:
			case kindAgent:
				kind = kindAgent
			case kindGroup:
				kind = kindGroup
			case kindStatementRef:
				kind = kindStatementRef
			case kindSubStatement:
				kind = kindSubStatement
			default: // XAPI-00009, XAPI-00046
				err = c.fail("must be one of Activity, Agent, Group, StatementRef, SubStatement, not %q", s)
			}
		}
		c.pop()
		if err != nil {
			return "", err
		}
	} else {
		// Without objectType the object is an Activity; name the likely
		// mistake rather than reporting the Agent's keys as unknown.
		switch {
		case has(o, "mbox") || has(o, "mbox_sha1sum") || has(o, "openid") || has(o, "account") || has(o, "member"):
			return "", c.failAt("objectType", `required when the object is an Agent or Group ("Agent" or "Group")`) // XAPI-00065
		case has(o, "actor") || has(o, "verb"):
			return "", c.failAt("objectType", `required when the object is a SubStatement ("SubStatement")`) // XAPI-00073
		}
	}
	switch kind {
	case kindAgent:
		err = c.agent(o)
	case kindGroup:
		err = c.group(o)
	case kindStatementRef:
		err = c.statementRef(o)
	case kindSubStatement:
		if sub { // XAPI-00071
			return "", c.fail("a SubStatement must not contain a SubStatement")
		}
		err = c.statement(v, true) // XAPI-00066
	default:
		err = c.activity(o)
	}
	return kind, err
}

// activityValue checks an Activity given as a JSON value (contextActivities).
func (c *checker) activityValue(v *fastjson.Value) *Error {
	o, err := c.object(v)
	if err != nil {
		return err
	}
	return c.activity(o)
}

// activity checks an Activity (section 2.4.4.1).
func (c *checker) activity(o *fastjson.Object) *Error {
	if err := c.props(o, activityKeys); err != nil {
		return err
	}
	if err := c.prop(o, "objectType", false, c.enum(kindActivity)); err != nil {
		return err
	}
	if err := c.prop(o, "id", true, c.iri); err != nil { // XAPI-00047
		return err
	}
	return c.prop(o, "definition", false, c.definition) // XAPI-00048
}

// definition checks an Activity Definition, including interaction
// properties (XAPI-00048 … XAPI-00064). Every property of a definition is
// optional (Data 2.4.4.1), so an empty definition {} is a valid one and is
// kept as sent: the spec text asks LRPs not to send empty objects (a
// SHOULD NOT) and the LRS to reject null values, not empty definitions.
func (c *checker) definition(v *fastjson.Value) *Error {
	if v.Type() != fastjson.TypeObject {
		return c.wrongType(v, "an object")
	}
	o, _ := v.Object()
	if err := c.props(o, definitionKeys); err != nil {
		return err
	}
	for _, k := range [...]string{"name", "description"} { // XAPI-00056, XAPI-00059
		if err := c.prop(o, k, false, c.languageMap); err != nil {
			return err
		}
	}
	if err := c.prop(o, "type", false, c.iri); err != nil { // XAPI-00060
		return err
	}
	if err := c.prop(o, "moreInfo", false, c.iri); err != nil { // XAPI-00061
		return err
	}
	if err := c.prop(o, "extensions", false, c.extensions); err != nil { // XAPI-00057
		return err
	}
	var itype []byte
	if err := c.prop(o, "interactionType", false, func(v *fastjson.Value) *Error {
		s, err := c.str(v)
		if err != nil {
			return err
		}
		switch string(s) {
		case "true-false", "choice", "fill-in", "long-fill-in", "matching",
			"performance", "sequencing", "likert", "numeric", "other":
			itype = s
			return nil
		}
		return c.fail("must be one of true-false, choice, fill-in, long-fill-in, matching, performance, sequencing, likert, numeric, other, not %q", s) // XAPI-00049
	}); err != nil {
		return err
	}
	if err := c.prop(o, "correctResponsesPattern", false, func(v *fastjson.Value) *Error {
		if itype == nil { // XAPI-00064
			return c.fail("requires interactionType")
		}
		return c.stringArray(v) // XAPI-00050
	}); err != nil {
		return err
	}
	return c.each(o, interactionLists, func(k string, v *fastjson.Value) *Error {
		if itype == nil {
			return c.fail("requires interactionType")
		}
		if !listFits(string(itype), k) {
			return c.fail("not allowed for interactionType %q", itype)
		}
		return c.components(v) // XAPI-00051 … XAPI-00055
	})
}

// listFits reports whether interaction component list is supported by
// interaction type itype (section "Interaction Components").
func listFits(itype, list string) bool {
	switch itype {
	case "choice", "sequencing":
		return list == "choices"
	case "likert":
		return list == "scale"
	case "matching":
		return list == "source" || list == "target"
	case "performance":
		return list == "steps"
	}
	return false
}

// stringArray checks an array of strings, which may be empty
// (correctResponsesPattern: [] means no answer is correct).
func (c *checker) stringArray(v *fastjson.Value) *Error {
	if v.Type() != fastjson.TypeArray {
		return c.wrongType(v, "an array of strings")
	}
	for i, s := range v.GetArray() {
		c.pushIndex(i)
		_, err := c.str(s)
		c.pop()
		if err != nil {
			return err
		}
	}
	return nil
}

// components checks an interaction component list: a non-empty array of
// {id, description} objects with distinct ids (XAPI-00058, XAPI-00062,
// XAPI-00063).
func (c *checker) components(v *fastjson.Value) *Error {
	a, err := c.array(v)
	if err != nil {
		return err
	}
	var seen map[string]struct{} // ids, for long lists only
	if len(a) > 32 {
		seen = make(map[string]struct{}, len(a))
	}
	for i, e := range a {
		c.pushIndex(i)
		err := c.component(e)
		if err == nil {
			id := e.GetStringBytes("id")
			dup := false
			if seen != nil {
				_, dup = seen[string(id)]
				seen[string(id)] = struct{}{}
			} else {
				for _, prev := range a[:i] {
					if dup = bytes.Equal(prev.GetStringBytes("id"), id); dup {
						break
					}
				}
			}
			if dup {
				err = c.failAt("id", "duplicate interaction component id %q", id)
			}
		}
		c.pop()
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) component(v *fastjson.Value) *Error {
	o, err := c.object(v)
	if err != nil {
		return err
	}
	if err := c.props(o, componentKeys); err != nil {
		return err
	}
	if err := c.prop(o, "id", true, func(v *fastjson.Value) *Error {
		_, err := c.nonEmpty(v)
		return err
	}); err != nil {
		return err
	}
	return c.prop(o, "description", false, c.languageMap)
}

// statementRefValue checks a StatementRef given as a JSON value
// (context.statement, XAPI-00092); objectType is required.
func (c *checker) statementRefValue(v *fastjson.Value) *Error {
	o, err := c.object(v)
	if err != nil {
		return err
	}
	return c.statementRef(o)
}

// statementRef checks a Statement Reference (section 2.4.4.3, XAPI-00072).
func (c *checker) statementRef(o *fastjson.Object) *Error {
	if err := c.props(o, statementRefKeys); err != nil {
		return err
	}
	if err := c.prop(o, "objectType", true, c.enum(kindStatementRef)); err != nil {
		return err
	}
	return c.prop(o, "id", true, c.uuid)
}

// result checks a Result (section 2.4.5, XAPI-00074 … XAPI-00078).
func (c *checker) result(v *fastjson.Value) *Error {
	o, err := c.object(v)
	if err != nil {
		return err
	}
	if err := c.props(o, resultKeys); err != nil {
		return err
	}
	if err := c.prop(o, "score", false, c.score); err != nil {
		return err
	}
	if err := c.prop(o, "success", false, c.boolean); err != nil {
		return err
	}
	if err := c.prop(o, "completion", false, c.boolean); err != nil {
		return err
	}
	if err := c.prop(o, "response", false, c.plainString); err != nil {
		return err
	}
	if err := c.prop(o, "duration", false, func(v *fastjson.Value) *Error {
		s, err := c.str(v)
		if err == nil && !isDuration(s) {
			err = c.fail("%q is not an ISO 8601 duration (e.g. PT1H30M, P1DT2.5S, P3W)", s)
		}
		return err
	}); err != nil {
		return err
	}
	return c.prop(o, "extensions", false, c.extensions)
}

// score checks a Score (section 2.4.5.1, XAPI-00079 … XAPI-00083).
func (c *checker) score(v *fastjson.Value) *Error {
	o, err := c.object(v)
	if err != nil {
		return err
	}
	if err := c.props(o, scoreKeys); err != nil {
		return err
	}
	var vals [4]float64
	for i, k := range scoreKeys {
		if err := c.prop(o, k, false, func(v *fastjson.Value) *Error {
			var err *Error
			vals[i], err = c.number(v)
			return err
		}); err != nil {
			return err
		}
	}
	scaled, raw, lo, hi := vals[0], vals[1], vals[2], vals[3]
	hasMin, hasMax := has(o, "min"), has(o, "max")
	switch {
	case has(o, "scaled") && (scaled < -1 || scaled > 1):
		return c.failAt("scaled", "must be between -1 and 1, not %v", scaled)
	case hasMin && hasMax && lo >= hi:
		return c.failAt("min", "must be less than max (%v), not %v", hi, lo)
	case has(o, "raw") && hasMin && raw < lo:
		return c.failAt("raw", "must not be less than min (%v), not %v", lo, raw)
	case has(o, "raw") && hasMax && raw > hi:
		return c.failAt("raw", "must not be greater than max (%v), not %v", hi, raw)
	}
	return nil
}

// context checks a Context (section 2.4.6); kind is the kind of the
// statement's object.
func (c *checker) context(v *fastjson.Value, kind string) *Error {
	o, err := c.object(v)
	if err != nil {
		return err
	}
	keys := contextKeysV2
	if c.ver != V2 {
		for _, k := range [...]string{"contextAgents", "contextGroups"} {
			if has(o, k) {
				return c.failAt(k, "not allowed before xAPI 2.0 (X-Experience-API-Version 2.0.0)")
			}
		}
		keys = contextKeysV1
	}
	if err := c.props(o, keys); err != nil {
		return err
	}
	if err := c.prop(o, "registration", false, c.uuid); err != nil { // XAPI-00087
		return err
	}
	if err := c.prop(o, "instructor", false, c.actorValue); err != nil { // XAPI-00087
		return err
	}
	if err := c.prop(o, "team", false, func(v *fastjson.Value) *Error { // XAPI-00088
		return c.groupOnly(v)
	}); err != nil {
		return err
	}
	if err := c.prop(o, "contextActivities", false, c.contextActivities); err != nil {
		return err
	}
	for _, k := range [...]string{"revision", "platform"} { // XAPI-00084 … XAPI-00085, XAPI-00089 … XAPI-00090
		if err := c.prop(o, k, false, func(v *fastjson.Value) *Error {
			if err := c.plainString(v); err != nil {
				return err
			}
			if kind != kindActivity {
				return c.fail("only allowed when the statement's object is an Activity, not %s", kind)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if err := c.prop(o, "language", false, c.languageTag); err != nil { // XAPI-00091
		return err
	}
	if err := c.prop(o, "statement", false, c.statementRefValue); err != nil { // XAPI-00092
		return err
	}
	if err := c.prop(o, "extensions", false, c.extensions); err != nil {
		return err
	}
	if c.ver != V2 {
		return nil
	}
	if err := c.prop(o, "contextAgents", false, func(v *fastjson.Value) *Error {
		return c.contextActors(v, contextAgentKeys, "contextAgent", "agent")
	}); err != nil {
		return err
	}
	return c.prop(o, "contextGroups", false, func(v *fastjson.Value) *Error {
		return c.contextActors(v, contextGroupKeys, "contextGroup", "group")
	})
}

// contextActivities checks a contextActivities object (section 2.4.6.2,
// XAPI-00086, XAPI-00093 … XAPI-00095): each value is an Activity or a
// non-empty array of Activities.
func (c *checker) contextActivities(v *fastjson.Value) *Error {
	o, err := c.object(v)
	if err != nil {
		return err
	}
	if err := c.props(o, contextActivitiesKeys); err != nil {
		return err
	}
	return c.each(o, contextActivitiesKeys, func(_ string, v *fastjson.Value) *Error {
		if v.Type() != fastjson.TypeArray {
			if v.Type() != fastjson.TypeObject {
				return c.wrongType(v, "an Activity or an array of Activities")
			}
			return c.activityValue(v)
		}
		a, err := c.array(v)
		if err != nil {
			return err
		}
		for i, e := range a {
			c.pushIndex(i)
			err := c.activityValue(e)
			c.pop()
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// contextActors checks xAPI 2.0 context.contextAgents or contextGroups: a
// non-empty array of {objectType, agent|group, relevantTypes} objects.
func (c *checker) contextActors(v *fastjson.Value, keys []string, objectType, actorKey string) *Error {
	a, err := c.array(v)
	if err != nil {
		return err
	}
	for i, e := range a {
		c.pushIndex(i)
		err := c.contextActor(e, keys, objectType, actorKey)
		c.pop()
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) contextActor(v *fastjson.Value, keys []string, objectType, actorKey string) *Error {
	o, err := c.object(v)
	if err != nil {
		return err
	}
	if err := c.props(o, keys); err != nil {
		return err
	}
	if err := c.prop(o, "objectType", true, c.enum(objectType)); err != nil {
		return err
	}
	if err := c.prop(o, actorKey, true, func(v *fastjson.Value) *Error {
		if actorKey == "agent" {
			return c.agentOnly(v)
		}
		return c.groupOnly(v)
	}); err != nil {
		return err
	}
	return c.prop(o, "relevantTypes", false, func(v *fastjson.Value) *Error {
		a, err := c.array(v)
		if err != nil {
			return err
		}
		for i, t := range a {
			c.pushIndex(i)
			err := c.iri(t)
			c.pop()
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// attachments checks a statement's attachments: a non-empty array of
// Attachment objects (section 2.4.11, XAPI-00025, XAPI-00102 … XAPI-00107).
func (c *checker) attachments(v *fastjson.Value) *Error {
	a, err := c.array(v)
	if err != nil {
		return err
	}
	for i, e := range a {
		c.pushIndex(i)
		err := c.attachment(e)
		c.pop()
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) attachment(v *fastjson.Value) *Error {
	o, err := c.object(v)
	if err != nil {
		return err
	}
	if err := c.props(o, attachmentKeys); err != nil {
		return err
	}
	if err := c.prop(o, "usageType", true, c.iri); err != nil {
		return err
	}
	if err := c.prop(o, "display", true, c.languageMap); err != nil {
		return err
	}
	if err := c.prop(o, "description", false, c.languageMap); err != nil {
		return err
	}
	if err := c.prop(o, "contentType", true, func(v *fastjson.Value) *Error {
		s, err := c.str(v)
		if err == nil && !isMediaType(s) {
			err = c.fail("%q is not an Internet media type (type/subtype)", s)
		}
		return err
	}); err != nil {
		return err
	}
	if err := c.prop(o, "length", true, func(v *fastjson.Value) *Error {
		if v.Type() != fastjson.TypeNumber {
			return c.wrongType(v, "an integer")
		}
		// Int64 takes only an optional '-' and digits: no fraction or exponent.
		if n, err := v.Int64(); err != nil || n < 0 {
			return c.fail("must be a non-negative integer, not %s", v)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := c.prop(o, "sha2", true, func(v *fastjson.Value) *Error {
		s, err := c.str(v)
		if err == nil && !isSHA2(s) {
			err = c.fail("must be a SHA-2 hash in hexadecimal (56, 64, 96 or 128 digits), not %q", s)
		}
		return err
	}); err != nil {
		return err
	}
	return c.prop(o, "fileUrl", false, c.iri)
}

// enum returns a check that a value is the string want, exactly (XAPI-00009).
func (c *checker) enum(want string) func(*fastjson.Value) *Error {
	return func(v *fastjson.Value) *Error {
		s, err := c.str(v)
		if err == nil && string(s) != want {
			err = c.fail("must be %q, not %q", want, s)
		}
		return err
	}
}

// plainString checks a string without a format; it may be empty.
func (c *checker) plainString(v *fastjson.Value) *Error {
	_, err := c.str(v)
	return err
}

// iri checks an IRI or IRL (XAPI-00007, XAPI-00011).
func (c *checker) iri(v *fastjson.Value) *Error {
	s, err := c.str(v)
	if err == nil && !isIRI(s) {
		err = c.fail("%q is not an absolute IRI", s)
	}
	return err
}

// uuid checks a UUID (XAPI-00027 … XAPI-00030).
func (c *checker) uuid(v *fastjson.Value) *Error {
	s, err := c.str(v)
	if err == nil && !isUUID(s) {
		err = c.fail("%q is not a UUID (RFC 4122, 8-4-4-4-12 hex digits)", s)
	}
	return err
}

// timestamp checks a Timestamp (section 4.5); xAPI 2.0 requires RFC 3339.
func (c *checker) timestamp(v *fastjson.Value) *Error {
	s, err := c.str(v)
	if err != nil {
		return err
	}
	t, reason := parseTimestamp(s, c.ver == V2)
	if reason != "" {
		return c.fail("%q: %s", s, reason)
	}
	// Timestamps are kept and compared in UTC, which must be a year that
	// can be written (0000-01-01T00:00:00+00:10 is in year -1).
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return c.fail("%q: is in year %d in UTC, outside 0000 to 9999", s, y)
	}
	return nil
}

// version checks a statement's version (section 2.4.10, XAPI-00101).
func (c *checker) version(v *fastjson.Value) *Error {
	s, err := c.str(v)
	if err != nil {
		return err
	}
	if isStatementVersion(s, "1.0") || c.ver == V2 && isStatementVersion(s, "2.0") {
		return nil
	}
	if c.ver == V2 {
		return c.fail(`must be 1.0.x or 2.0.x, not %q`, s)
	}
	return c.fail(`must be 1.0.x, not %q`, s)
}

// isStatementVersion reports whether s is minor or minor + "." + a patch number.
func isStatementVersion(s []byte, minor string) bool {
	if !hasPrefix(s, minor) {
		return false
	}
	s = s[len(minor):]
	if len(s) == 0 {
		return true
	}
	if len(s) < 2 || s[0] != '.' {
		return false
	}
	for _, d := range s[1:] {
		if !isDigit(d) {
			return false
		}
	}
	return true
}

// languageTag checks an RFC 5646 language tag (XAPI-00091).
func (c *checker) languageTag(v *fastjson.Value) *Error {
	s, err := c.str(v)
	if err == nil && !isLanguageTag(s) {
		err = c.fail("%q is not a valid RFC 5646 language tag", s)
	}
	return err
}

// languageMap checks a Language Map (section 4.2, XAPI-00013, XAPI-00121):
// a non-empty object whose keys are RFC 5646 tags and values strings.
func (c *checker) languageMap(v *fastjson.Value) *Error {
	o, err := c.object(v)
	if err != nil {
		return err
	}
	if err := c.uniqueKeys(o); err != nil {
		return err
	}
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch {
		case err != nil:
		case !isLanguageTag(k):
			err = c.fail("language tag %q is not a valid RFC 5646 tag", k)
		case v.Type() != fastjson.TypeString:
			err = c.fail("the value for %q must be a string, not %s", k, typeName(v))
		case !utf8.Valid(v.GetStringBytes()):
			err = c.fail("the value for %q must be valid UTF-8", k)
		}
	})
	return err
}

// extensions checks an Extensions object (section 4.1, XAPI-00118 …
// XAPI-00120): keys are IRIs, values any JSON, null and {} included.
func (c *checker) extensions(v *fastjson.Value) *Error {
	if v.Type() != fastjson.TypeObject {
		return c.wrongType(v, "an object")
	}
	o, _ := v.Object()
	if err := c.uniqueKeys(o); err != nil {
		return err
	}
	var err *Error
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch {
		case err != nil:
		case !utf8.Valid(k) || !isIRI(k):
			err = c.fail("extension key %q is not an absolute IRI", k)
		default:
			if reason := c.anyJSON(v); reason != "" {
				err = c.fail("the value of extension %q: %s", k, reason)
			}
		}
	})
	return err
}

// anyJSON checks an arbitrary JSON value: objects without duplicate keys,
// strings and keys valid UTF-8. It returns the reason v is invalid, or "".
// Numbers are left alone: their syntax is fastjson.Validate's business, and
// their values are not the LRS's (section 4.1).
func (c *checker) anyJSON(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeString:
		if !utf8.Valid(v.GetStringBytes()) {
			return "strings must be valid UTF-8"
		}
	case fastjson.TypeArray:
		for _, e := range v.GetArray() {
			if r := c.anyJSON(e); r != "" {
				return r
			}
		}
	case fastjson.TypeObject:
		o, _ := v.Object()
		if k, dup := duplicateKey(o); dup {
			return fmt.Sprintf("duplicate key %q", k)
		}
		var reason string
		o.Visit(func(k []byte, v *fastjson.Value) {
			if reason != "" {
				return
			}
			if !utf8.Valid(k) {
				reason = "keys must be valid UTF-8"
				return
			}
			reason = c.anyJSON(v)
		})
		return reason
	}
	return ""
}

// uniqueKeys checks that no key of o appears twice (XAPI-00021).
func (c *checker) uniqueKeys(o *fastjson.Object) *Error {
	if k, dup := duplicateKey(o); dup {
		return c.fail("duplicate key %q", k)
	}
	return nil
}

// duplicateKey returns a key that appears more than once in o. Small objects
// are checked pairwise without allocating; large ones through a sorted copy
// of their keys.
func duplicateKey(o *fastjson.Object) (string, bool) {
	n := o.Len()
	if n < 2 {
		return "", false
	}
	if n <= 16 {
		var dup string
		found := false
		i := 0
		o.Visit(func(k []byte, _ *fastjson.Value) {
			j := 0
			o.Visit(func(k2 []byte, _ *fastjson.Value) {
				if j < i && !found && bytes.Equal(k, k2) {
					dup, found = string(k), true
				}
				j++
			})
			i++
		})
		return dup, found
	}
	keys := make([]string, 0, n)
	o.Visit(func(k []byte, _ *fastjson.Value) { keys = append(keys, string(k)) })
	slices.Sort(keys)
	for i := 1; i < len(keys); i++ {
		if keys[i] == keys[i-1] {
			return keys[i], true
		}
	}
	return "", false
}
