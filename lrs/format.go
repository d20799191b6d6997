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
func FormatStatementCanonical(a *fastjson.Arena, v *fastjson.Value, c Canonical, langs []string) {
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
func canonicalLevel(a *fastjson.Arena, o *fastjson.Object, c Canonical, langs []string) {
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
func definitionOneLanguage(a *fastjson.Arena, def *fastjson.Value, langs []string) *fastjson.Value {
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

// oneLanguage returns the language map m reduced to the entry that best
// fits langs: an exact tag, then a primary-language match, then "und", then
// the first tag in sorted order.
func oneLanguage(a *fastjson.Arena, m *fastjson.Value, langs []string) *fastjson.Value {
	mo := object(m)
	if mo == nil || mo.Len() <= 1 {
		return m
	}
	var tags []string
	mo.Visit(func(k []byte, _ *fastjson.Value) { tags = append(tags, string(k)) })
	pick := ""
	for _, want := range langs {
		for _, t := range tags {
			if strings.EqualFold(t, want) {
				pick = t
				break
			}
		}
		if pick == "" {
			primary, _, _ := strings.Cut(want, "-")
			for _, t := range tags {
				tp, _, _ := strings.Cut(t, "-")
				if strings.EqualFold(tp, primary) {
					pick = t
					break
				}
			}
		}
		if pick != "" {
			break
		}
	}
	if pick == "" {
		if slices.Contains(tags, "und") {
			pick = "und"
		} else {
			slices.Sort(tags)
			pick = tags[0]
		}
	}
	out := a.NewObject()
	out.Set(pick, mo.Get(pick))
	return out
}

// AcceptLanguages returns the language tags of an Accept-Language header
// in order of preference ("*" and q=0 left out).
func AcceptLanguages(h string) []string {
	type pref struct {
		tag string
		q   float64
	}
	var prefs []pref
	for _, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.TrimSpace(tag)
		if tag == "" || tag == "*" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if q > 0 {
			prefs = append(prefs, pref{tag, q})
		}
	}
	slices.SortStableFunc(prefs, func(a, b pref) int {
		switch {
		case a.q > b.q:
			return -1
		case a.q < b.q:
			return 1
		}
		return 0
	})
	out := make([]string, len(prefs))
	for i, p := range prefs {
		out[i] = p.tag
	}
	return out
}

// object returns v as an object, nil when v is nil or not an object.
func object(v *fastjson.Value) *fastjson.Object {
	if v == nil || v.Type() != fastjson.TypeObject {
		return nil
	}
	o, _ := v.Object()
	return o
}
