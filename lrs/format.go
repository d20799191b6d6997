package lrs

import (
	"slices"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"
)

// Statement formats of GET /statements.
const (
	FormatExact     = "exact"
	FormatIDs       = "ids"
	FormatCanonical = "canonical"
)

// FormatStatementIDs reduces a stored statement, in place, to the "ids"
// format (Communication 2.1.3, XAPI-00171): Agents and identified Groups
// keep only objectType (when present) and their IFI, anonymous Groups
// their objectType and their members so reduced, Activities only their id,
// Verbs only id; in the statement, its SubStatement and their contexts.
func FormatStatementIDs(a *fastjson.Arena, v *fastjson.Value) {
	o := object(v)
	if o == nil {
		return
	}
	reduceAgent(a, o, "actor")
	reduceAgent(a, o, "authority")
	if verb := o.Get("verb"); verb != nil {
		n := a.NewObject()
		n.Set("id", verb.Get("id"))
		o.Set("verb", n)
	}
	if obj := o.Get("object"); obj != nil {
		switch string(obj.GetStringBytes("objectType")) {
		case "Agent", "Group":
			reduceAgent(a, o, "object")
		case "", "Activity":
			o.Set("object", activityID(a, obj))
		case "SubStatement":
			FormatStatementIDs(a, obj)
		}
	}
	ctx := object(o.Get("context"))
	if ctx == nil {
		return
	}
	reduceAgent(a, ctx, "instructor")
	reduceAgent(a, ctx, "team")
	if ca := object(ctx.Get("contextActivities")); ca != nil {
		ca.Visit(func(k []byte, list *fastjson.Value) {
			if list.Type() == fastjson.TypeObject { // as sent under 1.0.3
				ca.Set(string(k), activityID(a, list))
				return
			}
			arr := a.NewArray()
			for i, act := range list.GetArray() {
				arr.SetArrayItem(i, activityID(a, act))
			}
			ca.Set(string(k), arr)
		})
	}
	for _, key := range [...]string{"contextAgents", "contextGroups"} {
		for _, x := range ctx.Get(key).GetArray() {
			if xo := object(x); xo != nil {
				reduceAgent(a, xo, "agent")
				reduceAgent(a, xo, "group")
			}
		}
	}
}

// activityID is the "ids" form of an Activity: its id alone. objectType
// is left out too: an object without one is an Activity.
func activityID(a *fastjson.Arena, act *fastjson.Value) *fastjson.Value {
	n := a.NewObject()
	if id := act.Get("id"); id != nil {
		n.Set("id", id)
	}
	return n
}

// reduceAgent replaces o[key], an Agent or Group, by its "ids" form.
func reduceAgent(a *fastjson.Arena, o *fastjson.Object, key string) {
	v := o.Get(key)
	if v == nil || v.Type() != fastjson.TypeObject {
		return
	}
	o.Set(key, agentIDs(a, v))
}

func agentIDs(a *fastjson.Arena, v *fastjson.Value) *fastjson.Value {
	n := a.NewObject()
	if ot := v.Get("objectType"); ot != nil {
		n.Set("objectType", ot)
	}
	hasIFI := false
	for _, k := range ifiKeys {
		if x := v.Get(k); x != nil {
			n.Set(k, x)
			hasIFI = true
		}
	}
	if members := v.GetArray("member"); !hasIFI && members != nil {
		arr := a.NewArray()
		for i, m := range members {
			arr.SetArrayItem(i, agentIDs(a, m))
		}
		n.Set("member", arr)
	}
	return n
}

// Canonical looks up the canonical forms the LRS keeps: the Activity object
// for an activity id and the display map for a verb id (nil when unknown).
type Canonical interface {
	CanonicalActivity(id string) *fastjson.Value
	CanonicalVerbDisplay(id string) *fastjson.Value
}

// FormatStatementCanonical rewrites a stored statement, in place, to the
// "canonical" format (Communication 2.1.3, XAPI-00169, XAPI-00172):
// Activities carry the LRS's canonical definition and Verbs its canonical
// display, and every language map of the statement is reduced to the one
// language that best fits langs (from Accept-Language): the Verbs' display,
// the Activities' name, description and interaction components'
// descriptions, the attachments' display and description, in the statement
// and in its SubStatement alike. Agents and Groups stay as received, as in
// "exact".
func FormatStatementCanonical(a *fastjson.Arena, v *fastjson.Value, c Canonical, langs []LanguageRange) {
	o := object(v)
	if o == nil {
		return
	}
	canonicalLevel(a, o, c, langs)
	if obj := o.Get("object"); obj != nil && string(obj.GetStringBytes("objectType")) == "SubStatement" {
		if so := object(obj); so != nil {
			canonicalLevel(a, so, c, langs)
		}
	}
	for _, act := range Activities(v) {
		ao := object(act)
		if ao == nil {
			continue
		}
		def := act.Get("definition")
		if canon := c.CanonicalActivity(string(act.GetStringBytes("id"))); canon != nil && canon.Get("definition") != nil {
			def = canon.Get("definition")
		}
		if def != nil {
			ao.Set("definition", definitionOneLanguage(a, def, langs))
		}
	}
}

// canonicalLevel puts the verb and the attachments of a statement or a
// SubStatement (o) in their canonical form; its activities are done by the
// caller.
func canonicalLevel(a *fastjson.Arena, o *fastjson.Object, c Canonical, langs []LanguageRange) {
	if verb := object(o.Get("verb")); verb != nil {
		display := c.CanonicalVerbDisplay(string(o.Get("verb").GetStringBytes("id")))
		if display == nil {
			display = verb.Get("display")
		}
		if display != nil {
			verb.Set("display", oneLanguage(a, display, langs))
		}
	}
	for _, att := range o.Get("attachments").GetArray() {
		ao := object(att)
		if ao == nil {
			continue
		}
		for _, k := range [...]string{"display", "description"} {
			if m := ao.Get(k); m != nil {
				ao.Set(k, oneLanguage(a, m, langs))
			}
		}
	}
}

// definitionOneLanguage copies def with every language map reduced to one
// language.
func definitionOneLanguage(a *fastjson.Arena, def *fastjson.Value, langs []LanguageRange) *fastjson.Value {
	out := a.NewObject()
	do := object(def)
	if do == nil {
		return def
	}
	do.Visit(func(k []byte, x *fastjson.Value) {
		switch key := string(k); key {
		case "name", "description":
			out.Set(key, oneLanguage(a, x, langs))
		case "choices", "scale", "source", "target", "steps":
			arr := a.NewArray()
			for i, comp := range x.GetArray() {
				c := a.NewObject()
				co := object(comp)
				if co == nil {
					arr.SetArrayItem(i, comp)
					continue
				}
				co.Visit(func(ck []byte, cv *fastjson.Value) {
					if string(ck) == "description" {
						c.Set("description", oneLanguage(a, cv, langs))
						return
					}
					c.Set(string(ck), cv)
				})
				arr.SetArrayItem(i, c)
			}
			out.Set(key, arr)
		default:
			out.Set(key, x)
		}
	})
	return out
}

// oneLanguage returns the language map m reduced to the one entry
// pickLanguage chooses for langs.
func oneLanguage(a *fastjson.Arena, m *fastjson.Value, langs []LanguageRange) *fastjson.Value {
	mo := object(m)
	if mo == nil || mo.Len() <= 1 {
		return m
	}
	tags := make([]string, 0, mo.Len())
	mo.Visit(func(k []byte, _ *fastjson.Value) { tags = append(tags, string(k)) })
	pick := pickLanguage(tags, langs)
	out := a.NewObject()
	out.Set(pick, mo.Get(pick))
	return out
}

// LanguageRange is one language-range of an Accept-Language header with
// its quality value; Range is "*" for any language.
type LanguageRange struct {
	Range string
	Q     float64
}

// AcceptLanguages returns the language-ranges of an Accept-Language header
// (RFC 2616 section 14.4) in the order the header gives them. A quality
// value that is not a number from 0 to 1 counts as 1.
func AcceptLanguages(h string) []LanguageRange {
	var out []LanguageRange
	for part := range strings.SplitSeq(h, ",") {
		rng, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		rng = strings.TrimSpace(rng)
		if rng == "" {
			continue
		}
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
					q = f
				}
			}
		}
		out = append(out, LanguageRange{rng, q})
	}
	return out
}

// pickLanguage chooses, of the language tags of a language map, the one
// langs prefers (RFC 2616 section 14.4, applied to each language map on
// its own as Communication 2.1.3 asks): a tag's quality is that of the
// longest language-range that matches it (the range is the tag, or a
// prefix of it followed by "-"; "*" matches the tags no other range
// matches); the tag of the highest quality above 0 wins, a tie going to the
// range given first. A map must still come back with one language when no
// tag is acceptable: then the first tag (in sorted order) sharing its
// primary language with the most preferred range, then "und", then the
// first tag in sorted order; a tag refused by q=0 only when nothing else
// is left.
func pickLanguage(tags []string, langs []LanguageRange) string {
	slices.Sort(tags)
	best, bestQ, bestAt := "", 0.0, 0
	refused := map[string]bool{}
	for _, t := range tags {
		q, at, ok := languageQuality(t, langs)
		switch {
		case !ok:
		case q <= 0:
			refused[t] = true
		case q > bestQ || (q == bestQ && at < bestAt):
			best, bestQ, bestAt = t, q, at
		}
	}
	if best != "" {
		return best
	}
	byQ := slices.Clone(langs)
	slices.SortStableFunc(byQ, func(a, b LanguageRange) int {
		switch {
		case a.Q > b.Q:
			return -1
		case a.Q < b.Q:
			return 1
		}
		return 0
	})
	for _, r := range byQ {
		if r.Q <= 0 || r.Range == "*" {
			continue
		}
		primary, _, _ := strings.Cut(r.Range, "-")
		for _, t := range tags {
			if tp, _, _ := strings.Cut(t, "-"); strings.EqualFold(tp, primary) && !refused[t] {
				return t
			}
		}
	}
	if slices.Contains(tags, "und") && !refused["und"] {
		return "und"
	}
	for _, t := range tags {
		if !refused[t] {
			return t
		}
	}
	return tags[0]
}

// languageQuality returns the quality langs gives tag, the index of the
// range that gives it, and whether any range matches tag.
func languageQuality(tag string, langs []LanguageRange) (q float64, at int, ok bool) {
	longest, star := -1, -1
	for i, r := range langs {
		if r.Range == "*" {
			if star < 0 {
				star = i
			}
			continue
		}
		matches := strings.EqualFold(r.Range, tag) ||
			(len(tag) > len(r.Range) && tag[len(r.Range)] == '-' && strings.EqualFold(r.Range, tag[:len(r.Range)]))
		if matches && (longest < 0 || len(r.Range) > len(langs[longest].Range)) {
			longest = i
		}
	}
	switch {
	case longest >= 0:
		return langs[longest].Q, longest, true
	case star >= 0:
		return langs[star].Q, star, true
	}
	return 0, 0, false
}

// object returns v as an object, nil when v is nil or not an object.
func object(v *fastjson.Value) *fastjson.Object {
	if v == nil || v.Type() != fastjson.TypeObject {
		return nil
	}
	o, _ := v.Object()
	return o
}
