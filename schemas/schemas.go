// Package schemas holds Jejak's data files and the JSON Schemas they obey,
// embedded in the binary:
//
//   - jp-rules/<FORM>.json: one file per form of competency development
//     (bentuk/jalur, e.g. KLS-SEMINAR), the dated versions of its JP
//     conversion rule (domain brief asn-learning.md §3.4), checked by
//     jp-rules/rule.schema.json;
//   - jp-rules/targets.json: the annual JP targets per employee type and
//     the length of one JP, checked by jp-rules/targets.schema.json;
//   - catalogue/*.json: activity catalogues (activity IRI → form, declared
//     JP, competencies, name), checked by catalogue/catalogue.schema.json;
//   - profiles/bangkom.jsonld: the Bangkom xAPI Profile (JSON-LD), the
//     extensions and verbs Jejak reads from statements;
//   - competencies/*.json: competency frameworks (kamus kompetensi), each
//     competency with its code, names, type, definition and levels 1–5
//     (domain brief §4): the managerial and socio-cultural competencies of
//     PermenPANRB 38/2017 and an example kamus teknis, checked by
//     competencies/competency.schema.json;
//   - positions/*.json: position standards (jabatan → required level per
//     competency code), the shape of the POST /api/v1/positions body,
//     checked by positions/position.schema.json.
//
// Rules are data: this package validates them and the engine in
// lrs/bangkom applies them. Schemas are JSON Schema draft 2020-12 with
// format assertion on. ValidateAll adds the facts a schema cannot check
// across files: a rule file is named after its form, the versions of one
// form (and the targets of one employee type) do not overlap in validity,
// cap_form names another existing form, a catalogue names existing forms
// and lists each activity once, a competency code is defined once across
// the frameworks, and a position standard names defined codes.
//
// The package holds no mutable state: Files is the read-only embedded
// tree, and every call compiles the schemas it needs afresh.
package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

//go:embed jp-rules catalogue profiles competencies positions
var files embed.FS

// Files returns the embedded data tree, read-only: jp-rules/, catalogue/,
// profiles/, competencies/ and positions/, with paths relative to this
// directory (e.g. "jp-rules/KLS-SEMINAR.json").
func Files() fs.FS { return files }

// Schema paths within Files().
const (
	RuleSchema      = "jp-rules/rule.schema.json"
	TargetsSchema   = "jp-rules/targets.schema.json"
	CatalogueSchema = "catalogue/catalogue.schema.json"
	// CompetencySchema checks a competency framework, competencies/*.json.
	CompetencySchema = "competencies/competency.schema.json"
	// PositionSchema checks position standards, positions/*.json and the
	// body of POST /api/v1/positions.
	PositionSchema = "positions/position.schema.json"
)

// schemaBase is the URL prefix of every schema's $id: a schema at path p
// in Files() has $id schemaBase+p.
const schemaBase = "https://jejak.id/schemas/"

// Problem is one way a document breaks its schema or a cross-file rule.
type Problem struct {
	Pointer string // JSON pointer into the document ("" is the whole document)
	Message string // what is wrong there
}

func (p Problem) String() string {
	ptr := p.Pointer
	if ptr == "" {
		ptr = "/"
	}
	return ptr + ": " + p.Message
}

// InvalidError reports a document that is not valid and every problem
// found in it, each at its JSON pointer.
type InvalidError struct {
	Document string // path of the document in the validated tree; "" for Validate
	Schema   string // the schema it breaks; "" for a cross-file rule
	Problems []Problem
}

func (e *InvalidError) Error() string {
	var sb strings.Builder
	if e.Document != "" {
		sb.WriteString(e.Document + ": ")
	}
	if e.Schema != "" {
		sb.WriteString("not valid against " + e.Schema + ": ")
	}
	for i, p := range e.Problems {
		if i > 0 {
			sb.WriteString("; ")
		}
		sb.WriteString(p.String())
	}
	return sb.String()
}

// Validate checks data against the embedded schema at schemaPath (e.g.
// RuleSchema). It returns nil when data is valid; an *InvalidError naming
// the JSON pointer and the problem of every violation, or of malformed
// JSON; or another error when schemaPath names no usable schema.
func Validate(schemaPath string, data []byte) error {
	sch, err := compile(schemaPath)
	if err != nil {
		return err
	}
	return validate(sch, schemaPath, "", data)
}

// compile compiles the embedded schema at schemaPath. Every embedded
// *.schema.json is registered, so schemas may refer to one another by $id.
func compile(schemaPath string) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	found := false
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".schema.json") {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("schema %s: %w", p, err)
		}
		found = found || p == schemaPath
		return c.AddResource(schemaBase+p, doc)
	})
	if err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", schemaPath, err)
	}
	if !found {
		return nil, fmt.Errorf("compile schema %s: no such embedded schema", schemaPath)
	}
	sch, err := c.Compile(schemaBase + schemaPath)
	if err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", schemaPath, err)
	}
	return sch, nil
}

// validate checks data, the document doc, against sch compiled from
// schemaPath.
func validate(sch *jsonschema.Schema, schemaPath, doc string, data []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return &InvalidError{Document: doc, Problems: []Problem{{Message: "malformed JSON: " + err.Error()}}}
	}
	err = sch.Validate(inst)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		return &InvalidError{Document: doc, Schema: schemaPath, Problems: problems(ve, nil)}
	}
	return err
}

// problems flattens a validation error tree to its leaves, the specific
// violations. An anyOf/oneOf failure is one problem listing the
// alternatives that failed.
func problems(ve *jsonschema.ValidationError, out []Problem) []Problem {
	switch ve.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
		at := pointer(ve.InstanceLocation)
		alts := make([]string, 0, len(ve.Causes))
		for _, c := range ve.Causes {
			for _, p := range problems(c, nil) {
				if p.Pointer == at {
					alts = append(alts, p.Message)
				} else {
					alts = append(alts, p.String())
				}
			}
		}
		msg := describe(ve.ErrorKind)
		if len(alts) > 0 {
			msg = "needs one of the alternatives, each failed: " + strings.Join(alts, " | ")
		}
		return append(out, Problem{Pointer: at, Message: msg})
	}
	if len(ve.Causes) == 0 {
		return append(out, Problem{Pointer: pointer(ve.InstanceLocation), Message: describe(ve.ErrorKind)})
	}
	for _, c := range ve.Causes {
		out = problems(c, out)
	}
	return out
}

// describe renders an error kind in English through the library's own
// output format (its printer is not exported).
func describe(k jsonschema.ErrorKind) string {
	return (&jsonschema.ValidationError{ErrorKind: k}).BasicOutput().Error.String()
}

// pointer renders instance location tokens as a JSON pointer (RFC 6901).
func pointer(tokens []string) string {
	var sb strings.Builder
	for _, t := range tokens {
		sb.WriteByte('/')
		sb.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return sb.String()
}

// ValidateAll checks a data tree laid out like Files() (pass Files()
// itself, or an operator's directory through os.DirFS): every
// jp-rules/*.json except the schema files against RuleSchema,
// jp-rules/targets.json (required) against TargetsSchema, every
// catalogue/*.json except the schema file against CatalogueSchema, every
// competencies/*.json except the schema file against CompetencySchema,
// every positions/*.json except the schema file against PositionSchema,
// and that profiles/*.jsonld parse as JSON. The schemas always come from
// the embedded tree; competencies/ and positions/ may be absent. It then
// checks the cross-file facts: at least one rule exists, a rule file is
// named <form>.json, the versions of a form have unique names, end after
// they start and do not overlap, a version has at most one cap per
// period, cap_form names another existing form, targets of one type do
// not overlap, a catalogue entry names an existing form,
// gives jp only for a form counted "declared", no activity is catalogued
// twice, a competency code is defined once across all frameworks, a
// framework id is used by one file, every code a position standard names
// is defined in some framework, and no position is standardised twice.
//
// It returns nil; or an error joining (errors.Join) an *InvalidError per
// broken document and check, schema checks first; or an error reading
// fsys.
func ValidateAll(fsys fs.FS) error {
	var errs []error
	report := func(doc string, ps ...Problem) {
		errs = append(errs, &InvalidError{Document: doc, Problems: ps})
	}
	// check validates files against the schema at schemaPath, reporting
	// the invalid ones, and returns the contents of all and of the valid.
	check := func(schemaPath string, files []string) (all, valid map[string][]byte, err error) {
		sch, err := compile(schemaPath)
		if err != nil {
			return nil, nil, err
		}
		all, valid = map[string][]byte{}, map[string][]byte{}
		for _, f := range files {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, nil, fmt.Errorf("validate all: %w", err)
			}
			all[f] = b
			if err := validate(sch, schemaPath, f, b); err != nil {
				errs = append(errs, err)
				continue
			}
			valid[f] = b
		}
		return all, valid, nil
	}

	ruleFiles, err := dataFiles(fsys, "jp-rules", ".json")
	if err != nil {
		return err
	}
	var targetFiles []string
	ruleFiles = slices.DeleteFunc(ruleFiles, func(f string) bool {
		if path.Base(f) == "targets.json" {
			targetFiles = append(targetFiles, f)
			return true
		}
		return false
	})
	allRules, rules, err := check(RuleSchema, ruleFiles)
	if err != nil {
		return err
	}
	if len(ruleFiles) == 0 {
		report("jp-rules", Problem{Message: "no rule files (jp-rules/<FORM>.json)"})
	}
	if len(targetFiles) == 0 {
		report("jp-rules/targets.json", Problem{Message: "missing: the annual targets are required"})
	}
	_, targets, err := check(TargetsSchema, targetFiles)
	if err != nil {
		return err
	}
	catFiles, err := dataFiles(fsys, "catalogue", ".json")
	if err != nil {
		return err
	}
	_, catalogues, err := check(CatalogueSchema, catFiles)
	if err != nil {
		return err
	}
	compFiles, err := dataFiles(fsys, "competencies", ".json")
	if err != nil {
		return err
	}
	allFrameworks, frameworks, err := check(CompetencySchema, compFiles)
	if err != nil {
		return err
	}
	posFiles, err := dataFiles(fsys, "positions", ".json")
	if err != nil {
		return err
	}
	_, positions, err := check(PositionSchema, posFiles)
	if err != nil {
		return err
	}
	profiles, err := dataFiles(fsys, "profiles", ".jsonld")
	if err != nil {
		return err
	}
	for _, f := range profiles {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return fmt.Errorf("validate all: %w", err)
		}
		if !json.Valid(b) {
			report(f, Problem{Message: "malformed JSON"})
		}
	}

	// Cross-file facts, on the documents that passed their schema. A form
	// whose file is broken still exists: references to it are not
	// reported again.
	known := map[string]bool{}
	for _, b := range allRules {
		var r struct{ Form string }
		if json.Unmarshal(b, &r) == nil && r.Form != "" {
			known[r.Form] = true
		}
	}
	forms := map[string]rule{}
	for _, f := range sortedKeys(rules) {
		var r rule
		if err := json.Unmarshal(rules[f], &r); err != nil {
			report(f, Problem{Message: err.Error()})
			continue
		}
		forms[r.Form] = r
		ps := r.check(path.Base(f))
		for i, v := range r.Versions {
			ptr := fmt.Sprintf("/versions/%d/cap_form", i)
			switch {
			case v.CapForm == nil:
			case *v.CapForm == r.Form:
				ps = append(ps, Problem{ptr, "names the form itself; use null for the form's own caps"})
			case !known[*v.CapForm]:
				ps = append(ps, Problem{ptr, fmt.Sprintf("unknown form %q: no jp-rules/%s.json", *v.CapForm, *v.CapForm)})
			}
		}
		if len(ps) > 0 {
			report(f, ps...)
		}
	}
	for _, f := range sortedKeys(targets) {
		var t targetsDoc
		if err := json.Unmarshal(targets[f], &t); err != nil {
			report(f, Problem{Message: err.Error()})
			continue
		}
		if ps := t.check(); len(ps) > 0 {
			report(f, ps...)
		}
	}
	seen := map[string]string{}
	for _, f := range sortedKeys(catalogues) {
		var entries []catalogueEntry
		if err := json.Unmarshal(catalogues[f], &entries); err != nil {
			report(f, Problem{Message: err.Error()})
			continue
		}
		var ps []Problem
		for i, e := range entries {
			r, valid := forms[e.Form]
			switch {
			case !known[e.Form]:
				ps = append(ps, Problem{fmt.Sprintf("/%d/form", i), fmt.Sprintf("unknown form %q: no jp-rules/%s.json", e.Form, e.Form)})
			case valid && e.JP != nil && !r.declared():
				ps = append(ps, Problem{fmt.Sprintf("/%d/jp", i), fmt.Sprintf("form %s is not counted \"declared\" in any version: a declared JP would be ignored", e.Form)})
			}
			if prev, dup := seen[e.Activity]; dup {
				ps = append(ps, Problem{fmt.Sprintf("/%d/activity", i), fmt.Sprintf("activity %s is already catalogued at %s", e.Activity, prev)})
			} else {
				seen[e.Activity] = fmt.Sprintf("%s#/%d", f, i)
			}
		}
		if len(ps) > 0 {
			report(f, ps...)
		}
	}

	// Competency codes. A code of a framework file that breaks its schema
	// still exists: position standards naming it are not reported again.
	codes := map[string]bool{}
	for _, b := range allFrameworks {
		var fw framework
		_ = json.Unmarshal(b, &fw) // keeps what decodes of a broken file
		for _, c := range fw.Competencies {
			if c.Code != "" {
				codes[c.Code] = true
			}
		}
	}
	defined := map[string]string{} // code → where it is defined
	ids := map[string]string{}     // framework id → file
	for _, f := range sortedKeys(frameworks) {
		var fw framework
		if err := json.Unmarshal(frameworks[f], &fw); err != nil {
			report(f, Problem{Message: err.Error()})
			continue
		}
		var ps []Problem
		if prev, dup := ids[fw.Framework]; dup {
			ps = append(ps, Problem{"/framework", fmt.Sprintf("framework %s is already defined in %s", fw.Framework, prev)})
		} else {
			ids[fw.Framework] = f
		}
		for i, c := range fw.Competencies {
			if prev, dup := defined[c.Code]; dup {
				ps = append(ps, Problem{fmt.Sprintf("/competencies/%d/code", i), fmt.Sprintf("duplicate code %s: already defined at %s", c.Code, prev)})
			} else {
				defined[c.Code] = fmt.Sprintf("%s#/competencies/%d", f, i)
			}
		}
		if len(ps) > 0 {
			report(f, ps...)
		}
	}
	standardised := map[string]string{} // position → where it is standardised
	for _, f := range sortedKeys(positions) {
		var list []positionStandard
		if err := json.Unmarshal(positions[f], &list); err != nil {
			report(f, Problem{Message: err.Error()})
			continue
		}
		var ps []Problem
		for i, p := range list {
			if prev, dup := standardised[p.Position]; dup {
				ps = append(ps, Problem{fmt.Sprintf("/%d/position", i), fmt.Sprintf("position %q is already standardised at %s", p.Position, prev)})
			} else {
				standardised[p.Position] = fmt.Sprintf("%s#/%d", f, i)
			}
			for _, code := range slices.Sorted(maps.Keys(p.Standards)) {
				if !codes[code] {
					ps = append(ps, Problem{pointer([]string{strconv.Itoa(i), "standards", code}), fmt.Sprintf("unknown competency code %q: defined in no competencies/*.json framework", code)})
				}
			}
		}
		if len(ps) > 0 {
			report(f, ps...)
		}
	}
	return errors.Join(errs...)
}

// framework is what the cross-file checks read of a competency framework
// file.
type framework struct {
	Framework    string `json:"framework"`
	Competencies []struct {
		Code string `json:"code"`
	} `json:"competencies"`
}

// positionStandard is one entry of a position standards file.
type positionStandard struct {
	Position  string         `json:"position"`
	Standards map[string]int `json:"standards"`
}

// dataFiles lists dir/*<ext> in fsys, leaving out *.schema.json, sorted. A
// missing dir is an empty list.
func dataFiles(fsys fs.FS, dir, ext string) ([]string, error) {
	names, err := fs.Glob(fsys, dir+"/*"+ext)
	if err != nil {
		return nil, fmt.Errorf("validate all: %w", err)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return strings.HasSuffix(n, ".schema.json") })
	slices.Sort(names)
	return names, nil
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// rule is what the cross-file checks read of a rule file (already valid
// against RuleSchema).
type rule struct {
	Form     string `json:"form"`
	Versions []struct {
		Version   string  `json:"version"`
		ValidFrom string  `json:"valid_from"`
		ValidTo   *string `json:"valid_to"`
		Unit      string  `json:"unit"`
		Caps      []struct {
			Period string `json:"period"`
		} `json:"caps"`
		CapForm *string `json:"cap_form"`
	} `json:"versions"`
}

// check reports the facts of one rule file its schema cannot: its name,
// unique version names, non-empty and non-overlapping validity, one cap
// per period.
func (r rule) check(base string) []Problem {
	var ps []Problem
	if want := r.Form + ".json"; base != want {
		ps = append(ps, Problem{"/form", fmt.Sprintf("form %s must be in a file named %s, not %s", r.Form, want, base)})
	}
	spans := make([]span, len(r.Versions))
	names := map[string]int{}
	for i, v := range r.Versions {
		if j, dup := names[v.Version]; dup {
			ps = append(ps, Problem{fmt.Sprintf("/versions/%d/version", i), fmt.Sprintf("version %s repeats /versions/%d", v.Version, j)})
		}
		names[v.Version] = i
		periods := map[string]bool{}
		for k, c := range v.Caps {
			if periods[c.Period] {
				ps = append(ps, Problem{fmt.Sprintf("/versions/%d/caps/%d/period", i, k), fmt.Sprintf("a second cap per %s: merge them into one", c.Period)})
			}
			periods[c.Period] = true
		}
		spans[i] = span{ptr: fmt.Sprintf("/versions/%d", i), from: v.ValidFrom, to: v.ValidTo}
	}
	return append(ps, overlaps(spans)...)
}

// declared reports whether any version of r counts a declared JP.
func (r rule) declared() bool {
	for _, v := range r.Versions {
		if v.Unit == "declared" {
			return true
		}
	}
	return false
}

type targetsDoc struct {
	Targets []struct {
		Type      string  `json:"type"`
		ValidFrom string  `json:"valid_from"`
		ValidTo   *string `json:"valid_to"`
	} `json:"targets"`
}

// check reports targets of one employee type that overlap in validity.
func (t targetsDoc) check() []Problem {
	byType := map[string][]span{}
	var types []string
	for i, x := range t.Targets {
		if _, ok := byType[x.Type]; !ok {
			types = append(types, x.Type)
		}
		byType[x.Type] = append(byType[x.Type], span{ptr: fmt.Sprintf("/targets/%d", i), from: x.ValidFrom, to: x.ValidTo})
	}
	var ps []Problem
	for _, typ := range types {
		ps = append(ps, overlaps(byType[typ])...)
	}
	return ps
}

type catalogueEntry struct {
	Activity string   `json:"activity"`
	Form     string   `json:"form"`
	JP       *float64 `json:"jp"`
}

// span is a validity [from, to) of the item at ptr; to nil is open-ended.
type span struct {
	ptr      string
	from     string
	to       *string
	fromDate time.Time
	toDate   time.Time // zero: open-ended
}

// overlaps reports spans that end before they start and spans that
// overlap an earlier-starting one. Dates are already schema-valid.
func overlaps(spans []span) []Problem {
	var ps []Problem
	var ok []span
	for _, s := range spans {
		var err error
		if s.fromDate, err = time.Parse(time.DateOnly, s.from); err != nil {
			ps = append(ps, Problem{s.ptr + "/valid_from", err.Error()})
			continue
		}
		if s.to != nil {
			if s.toDate, err = time.Parse(time.DateOnly, *s.to); err != nil {
				ps = append(ps, Problem{s.ptr + "/valid_to", err.Error()})
				continue
			}
			if !s.toDate.After(s.fromDate) {
				ps = append(ps, Problem{s.ptr + "/valid_to", fmt.Sprintf("valid_to %s is not after valid_from %s (valid_to is exclusive)", *s.to, s.from)})
				continue
			}
		}
		ok = append(ok, s)
	}
	slices.SortStableFunc(ok, func(a, b span) int { return a.fromDate.Compare(b.fromDate) })
	// last is the span reaching furthest so far (an open end reaches furthest).
	for i := 1; i < len(ok); i++ {
		last := ok[0]
		for _, s := range ok[1:i] {
			if last.toDate.IsZero() {
				break
			}
			if s.toDate.IsZero() || s.toDate.After(last.toDate) {
				last = s
			}
		}
		cur := ok[i]
		if last.toDate.IsZero() || cur.fromDate.Before(last.toDate) {
			end := "open-ended"
			if !last.toDate.IsZero() {
				end = "to " + *last.to
			}
			ps = append(ps, Problem{cur.ptr + "/valid_from", fmt.Sprintf("validity from %s overlaps %s (from %s, %s)", cur.from, last.ptr, last.from, end)})
		}
	}
	return ps
}
