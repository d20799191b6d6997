package schemas_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/schemas"
)

// profileDoc is what the template and pattern checks read of the profile.
type profileDoc struct {
	Versions []struct {
		ID string `json:"id"`
	} `json:"versions"`
	Concepts []struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"concepts"`
	Templates []struct {
		ID                          string            `json:"id"`
		Type                        string            `json:"type"`
		InScheme                    string            `json:"inScheme"`
		PrefLabel                   map[string]string `json:"prefLabel"`
		Definition                  map[string]string `json:"definition"`
		Verb                        string            `json:"verb"`
		ObjectActivityType          string            `json:"objectActivityType"`
		ObjectStatementRefTemplate  []string          `json:"objectStatementRefTemplate"`
		ContextStatementRefTemplate []string          `json:"contextStatementRefTemplate"`
		Rules                       []struct {
			Location string `json:"location"`
			Selector string `json:"selector"`
			Presence string `json:"presence"`
			Any      []any  `json:"any"`
			All      []any  `json:"all"`
			None     []any  `json:"none"`
		} `json:"rules"`
	} `json:"templates"`
	Patterns []struct {
		ID         string            `json:"id"`
		Type       string            `json:"type"`
		Primary    bool              `json:"primary"`
		InScheme   string            `json:"inScheme"`
		PrefLabel  map[string]string `json:"prefLabel"`
		Definition map[string]string `json:"definition"`
		Alternates []string          `json:"alternates"`
		Optional   string            `json:"optional"`
		OneOrMore  string            `json:"oneOrMore"`
		Sequence   []string          `json:"sequence"`
		ZeroOrMore string            `json:"zeroOrMore"`
	} `json:"patterns"`
}

// extensionIn finds the extension IRI of a rule location and the concept
// type it must have: $.context.extensions['…'], $.result.extensions['…'],
// $.object.definition.extensions['…'].
var extensionIn = regexp.MustCompile(`^\$\.(context|result|object\.definition)\.extensions\['([^']+)'\]`)

var extensionType = map[string]string{"context": "ContextExtension", "result": "ResultExtension", "object.definition": "ActivityExtension"}

// The profile's statement templates and patterns (xAPI Profiles 1.0,
// part two §8–9) hold together: every verb, activity type and extension
// a template names is a concept of the profile (or, for a learning
// claim, the ADL verb Jejak reads); no two templates share their
// determining properties; every pattern names existing templates or
// patterns, has one kind, and loops to none; the patterns integrators
// need are there; and a statement following a learning template is a
// claim Jejak counts under the template's form.
func TestProfile_TemplatesAndPatterns(t *testing.T) {
	const base = "https://jejak.id/xapi/bangkom"
	var p profileDoc
	if err := json.Unmarshal(read(t, "profiles/bangkom.jsonld"), &p); err != nil {
		t.Fatal(err)
	}
	version := p.Versions[0].ID
	rules, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	concept := map[string]string{} // id → type
	ids := map[string]bool{}
	unique := func(id string) {
		if ids[id] {
			t.Errorf("%s is defined twice", id)
		}
		ids[id] = true
	}
	for _, c := range p.Concepts {
		unique(c.ID)
		concept[c.ID] = c.Type
	}
	template := map[string]bool{}
	for _, tpl := range p.Templates {
		unique(tpl.ID)
		template[tpl.ID] = true
	}
	pattern := map[string]int{} // id → index
	for i, pt := range p.Patterns {
		unique(pt.ID)
		pattern[pt.ID] = i
	}

	determining := map[string]string{}
	for _, tpl := range p.Templates {
		where := "template " + tpl.ID
		if !strings.HasPrefix(tpl.ID, base+"/templates/") {
			t.Errorf("%s: id not under %s/templates/", where, base)
		}
		learning := bangkom.IsLearningVerb(tpl.Verb)
		if concept[tpl.Verb] != "Verb" && !learning {
			t.Errorf("%s: verb %q is neither a Verb of the profile nor a learning verb", where, tpl.Verb)
		}
		if tpl.ObjectActivityType != "" && concept[tpl.ObjectActivityType] != "ActivityType" {
			t.Errorf("%s: objectActivityType %q is not an ActivityType of the profile", where, tpl.ObjectActivityType)
		}
		for _, ref := range append(slices.Clone(tpl.ObjectStatementRefTemplate), tpl.ContextStatementRefTemplate...) {
			if !template[ref] {
				t.Errorf("%s: StatementRef template %q is not a template of the profile", where, ref)
			}
		}
		// Each statement matches at most one template (part two §8).
		key := tpl.Verb + " " + tpl.ObjectActivityType
		if other, dup := determining[key]; dup {
			t.Errorf("%s: the same verb and object activity type as %s", where, other)
		}
		determining[key] = tpl.ID
		var forms []string
		for i, r := range tpl.Rules {
			rw := fmt.Sprintf("%s rule %d (%s)", where, i, r.Location)
			if !strings.HasPrefix(r.Location, "$.") {
				t.Errorf("%s: location is not a JSONPath from $", rw)
			}
			if r.Presence == "" && r.Any == nil && r.All == nil && r.None == nil {
				t.Errorf("%s: none of presence, any, all, none", rw)
			}
			if r.Presence != "" && !slices.Contains([]string{"included", "excluded", "recommended"}, r.Presence) {
				t.Errorf("%s: presence %q", rw, r.Presence)
			}
			for _, vals := range [][]any{r.Any, r.All, r.None} {
				if vals != nil && len(vals) == 0 {
					t.Errorf("%s: an empty array (profiles hold no empty values)", rw)
				}
			}
			if m := extensionIn.FindStringSubmatch(r.Location); m != nil {
				if got, want := concept[m[2]], extensionType[m[1]]; got != want {
					t.Errorf("%s: extension %s is %q in the profile, want a %s", rw, m[2], got, want)
				}
			} else if strings.Contains(r.Location, "extensions") {
				t.Errorf("%s: an extension location not written $.<part>.extensions['<IRI>']", rw)
			}
			if r.Location == "$.context.extensions['"+bangkom.ExtForm+"']" {
				for _, v := range r.All {
					code, _ := v.(string)
					if rules.Forms[code] == nil {
						t.Errorf("%s: %v is not a form of jp-rules", rw, v)
					}
					forms = append(forms, code)
				}
				if r.Presence != "included" || len(forms) == 0 {
					t.Errorf("%s: a learning template includes the form, naming its codes in all", rw)
				}
			}
		}
		if learning {
			if len(forms) == 0 {
				t.Errorf("%s: a learning template has no form rule", where)
			}
			for _, form := range forms {
				claimFollowing(t, tpl.ID, tpl.Verb, tpl.ObjectActivityType, form, rules)
			}
		}
	}

	// Patterns: one kind each, references that exist, no loops.
	refs := func(i int) []string {
		pt := p.Patterns[i]
		var out []string
		out = append(out, pt.Alternates...)
		out = append(out, pt.Sequence...)
		for _, one := range []string{pt.Optional, pt.OneOrMore, pt.ZeroOrMore} {
			if one != "" {
				out = append(out, one)
			}
		}
		return out
	}
	for i, pt := range p.Patterns {
		where := "pattern " + pt.ID
		if pt.Type != "Pattern" || pt.InScheme != version || !strings.HasPrefix(pt.ID, base+"/patterns/") {
			t.Errorf("%s: type %q inScheme %q", where, pt.Type, pt.InScheme)
		}
		if pt.Primary {
			langs(t, where+" prefLabel", pt.PrefLabel)
			langs(t, where+" definition", pt.Definition)
		}
		kinds := 0
		for _, has := range []bool{pt.Alternates != nil, pt.Sequence != nil, pt.Optional != "", pt.OneOrMore != "", pt.ZeroOrMore != ""} {
			if has {
				kinds++
			}
		}
		if kinds != 1 {
			t.Errorf("%s: %d of alternates, optional, oneOrMore, sequence, zeroOrMore; want exactly one", where, kinds)
		}
		if pt.Alternates != nil && len(pt.Alternates) < 2 || pt.Sequence != nil && len(pt.Sequence) < 2 {
			t.Errorf("%s: alternates and sequence name two or more", where)
		}
		for _, ref := range refs(i) {
			j, isPattern := pattern[ref]
			switch {
			case !isPattern && !template[ref]:
				t.Errorf("%s: %q is neither a template nor a pattern of the profile", where, ref)
			case isPattern && pt.Alternates != nil && (p.Patterns[j].Optional != "" || p.Patterns[j].ZeroOrMore != ""):
				t.Errorf("%s: optional or zeroOrMore %s directly inside alternates", where, ref)
			}
		}
	}
	// reach is every template and pattern a pattern leads to; a pattern
	// that leads back to itself is an error.
	var reach func(id string, path []string) []string
	reach = func(id string, path []string) []string {
		if slices.Contains(path, id) {
			t.Errorf("pattern loop: %s", strings.Join(append(path, id), " → "))
			return nil
		}
		i, ok := pattern[id]
		if !ok {
			return []string{id}
		}
		out := []string{id}
		for _, ref := range refs(i) {
			out = append(out, reach(ref, append(slices.Clone(path), id))...)
		}
		return out
	}
	want := map[string][]string{
		"classroom-course": {"classroom-attended", "classroom-completed", "classroom-passed"},
		"e-learning":       {"e-learning-completed", "e-learning-passed"},
		"coaching":         {"coaching-session"},
		"self-study":       {"self-study"},
		"decision":         {"approval", "rejection"},
		"assessment":       {"assessment"},
	}
	for name, templates := range want {
		id := base + "/patterns/" + name
		i, ok := pattern[id]
		if !ok || !p.Patterns[i].Primary {
			t.Errorf("no primary pattern %s", id)
			continue
		}
		got := reach(id, nil)
		for _, tpl := range templates {
			if !slices.Contains(got, base+"/templates/"+tpl) {
				t.Errorf("pattern %s does not reach template %s", id, tpl)
			}
		}
	}
	used := map[string]bool{}
	for _, pt := range p.Patterns {
		if pt.Primary {
			for _, id := range reach(pt.ID, nil) {
				used[id] = true
			}
		}
	}
	for _, pt := range p.Patterns {
		if !used[pt.ID] {
			t.Errorf("pattern %s is used by no primary pattern", pt.ID)
		}
	}
}

// claimFollowing checks that the least statement following a learning
// template (an ASN account actor, the verb, an activity of the type, the
// form, a timestamp) is a claim Jejak counts under that form.
func claimFollowing(t *testing.T, tpl, verb, activityType, form string, rules *bangkom.RuleSet) {
	t.Helper()
	st := map[string]any{
		"id":     "8f4e2a5c-1b7d-4c3e-9a6f-2d8b0e1c3a55",
		"actor":  map[string]any{"objectType": "Agent", "account": map[string]any{"homePage": bangkom.DefaultHomePage, "name": "199001012015011001"}},
		"verb":   map[string]any{"id": verb},
		"object": map[string]any{"objectType": "Activity", "id": "https://lms.example.go.id/activity/1", "definition": map[string]any{"type": activityType, "name": map[string]any{"id-ID": "Kegiatan"}}},
		"context": map[string]any{"registration": "0d2b6c1e-7a4f-4e8b-9c3d-5f1a2b3c4d5e",
			"extensions": map[string]any{bangkom.ExtForm: form}},
		"result":    map[string]any{"duration": "PT1H30M"},
		"timestamp": "2026-03-02T09:00:00+07:00",
		"stored":    "2026-03-02T09:00:01+07:00",
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	v, err := fastjson.ParseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	none := func(string) (bangkom.CatalogueEntry, bool) { return bangkom.CatalogueEntry{}, false }
	c, ok := bangkom.ClaimFrom(v, 1, bangkom.Writer{Key: "lms"}, bangkom.DefaultHomePage, rules, none)
	if !ok || c.Form != form {
		t.Errorf("template %s: a statement following it (form %s) is not a claim of that form: %+v, %v", tpl, form, c, ok)
	}
}
