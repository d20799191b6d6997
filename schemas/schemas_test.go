package schemas_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/schemas"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The form codes of domain brief §3.4, every row.
var forms = []string{
	"PDD-TUBEL", "PDD-IZBEL",
	"KLS-STRUK", "KLS-MANAJ", "KLS-TEKNIS", "KLS-FUNGS", "KLS-SOSKUL", "KLS-SEMINAR", "KLS-WORKSHOP",
	"KLS-KURSUS", "KLS-PENATARAN", "KLS-BIMTEK", "KLS-SOSIALISASI", "KLS-LAIN",
	"NK-COACHING", "NK-MENTORING", "NK-ELEARN", "NK-PJJ", "NK-DETASERING", "NK-OUTBOND", "NK-BENCHMARK",
	"NK-PERTUKARAN", "NK-MANDIRI", "NK-KOMUNITAS", "NK-MAGANG", "NK-BIMKERJA", "NK-LAIN",
	"WPL-MICRO", "WPL-SIMULASI", "WPL-KASUS", "WPL-JOBAID", "WPL-KMS", "NK-PRIORITAS", "NK-TEAMBLD",
}

func TestValidateAll_Embedded(t *testing.T) {
	if err := schemas.ValidateAll(schemas.Files()); err != nil {
		t.Fatalf("embedded data does not validate:\n%v", err)
	}
}

func TestValidate_EveryEmbeddedFile(t *testing.T) {
	checked := 0
	err := fs.WalkDir(schemas.Files(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".schema.json") || path.Ext(p) != ".json" {
			return err
		}
		schema := schemas.RuleSchema
		switch {
		case p == "jp-rules/targets.json":
			schema = schemas.TargetsSchema
		case strings.HasPrefix(p, "catalogue/"):
			schema = schemas.CatalogueSchema
		case strings.HasPrefix(p, "competencies/"):
			schema = schemas.CompetencySchema
		case strings.HasPrefix(p, "positions/"):
			schema = schemas.PositionSchema
		}
		t.Run(p, func(t *testing.T) {
			if err := schemas.Validate(schema, read(t, p)); err != nil {
				t.Error(err)
			}
		})
		checked++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// rules, targets, one catalogue, two competency frameworks, one
	// position standards file
	if want := len(forms) + 2 + 3; checked != want {
		t.Errorf("validated %d files, want %d", checked, want)
	}
}

func TestFS_OneRuleFilePerForm(t *testing.T) {
	names, err := fs.Glob(schemas.Files(), "jp-rules/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range names {
		if b := path.Base(n); !strings.HasSuffix(b, ".schema.json") && b != "targets.json" {
			got = append(got, strings.TrimSuffix(b, ".json"))
		}
	}
	want := slices.Clone(forms)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("rule files %v\nwant one per form %v", got, want)
	}
}

// The values of domain brief §3.4 as encoded, row by row: a change to a
// rule file must be a change to this table too.
func TestFS_RuleTable(t *testing.T) {
	type row struct {
		form, category string
		siasn          int // 0: none
		unit           string
		jp, jpIntl     float64 // 0: null
		uplift         float64 // 0: null
		basis          string
		caps           string // period:max_jp[/intl]:max_sessions, comma-separated
		capForm        string
	}
	table := []row{
		{"PDD-TUBEL", "pendidikan", 0, "per_semester", 20, 20, 0, "S", "semester::1", ""},
		{"PDD-IZBEL", "pendidikan", 0, "per_semester", 20, 20, 0, "S", "semester::1", ""},
		{"KLS-STRUK", "klasikal", 1, "declared", 0, 0, 0, "S", "", ""},
		{"KLS-MANAJ", "klasikal", 5, "declared", 0, 0, 1.2, "S", "", ""},
		{"KLS-TEKNIS", "klasikal", 3, "declared", 0, 0, 1.2, "S", "", ""},
		{"KLS-FUNGS", "klasikal", 2, "declared", 0, 0, 1.2, "S", "", ""},
		{"KLS-SOSKUL", "klasikal", 6, "declared", 0, 0, 1.2, "S", "", ""},
		{"KLS-SEMINAR", "klasikal", 9, "per_day", 4, 6, 0, "S", "", ""},
		{"KLS-WORKSHOP", "klasikal", 4, "per_day", 5, 7, 0, "S", "", ""},
		{"KLS-KURSUS", "klasikal", 11, "declared", 0, 0, 1.2, "S", "", ""},
		{"KLS-PENATARAN", "klasikal", 12, "declared", 0, 0, 1.2, "S", "", ""},
		{"KLS-BIMTEK", "klasikal", 8, "declared", 0, 0, 1.2, "S", "", ""},
		{"KLS-SOSIALISASI", "klasikal", 7, "per_day", 4, 6, 0, "S", "", ""},
		{"KLS-LAIN", "klasikal", 13, "declared", 0, 0, 1.2, "P", "", ""},
		{"NK-COACHING", "nonklasikal", 14, "per_session", 2, 4, 0, "S", "month::2", ""},
		{"NK-MENTORING", "nonklasikal", 15, "per_session", 2, 4, 0, "S", "month::2", ""},
		{"NK-ELEARN", "nonklasikal", 16, "declared", 0, 0, 0, "S", "day:3/4:", ""},
		{"NK-PJJ", "nonklasikal", 17, "declared", 0, 0, 1.2, "S", "", ""},
		{"NK-DETASERING", "nonklasikal", 18, "per_assignment", 20, 24, 0, "S", "", ""},
		{"NK-OUTBOND", "nonklasikal", 19, "declared", 0, 0, 1.2, "S", "", ""},
		{"NK-BENCHMARK", "nonklasikal", 20, "per_assignment", 10, 20, 0, "S", "", ""},
		{"NK-PERTUKARAN", "nonklasikal", 21, "per_assignment", 20, 24, 0, "S", "", ""},
		{"NK-MANDIRI", "nonklasikal", 22, "duration", 0, 0, 1.2, "S", "day:2:", ""},
		{"NK-KOMUNITAS", "nonklasikal", 23, "duration", 0, 0, 1.2, "S", "day:2:", ""},
		{"NK-MAGANG", "nonklasikal", 10, "per_assignment", 20, 24, 0, "S", "", ""},
		{"NK-BIMKERJA", "nonklasikal", 24, "per_session", 2, 2, 0, "P", "month::4", ""},
		{"NK-LAIN", "nonklasikal", 25, "duration", 0, 0, 1.2, "P", "day:2:", ""},
		{"WPL-MICRO", "workplace", 16, "duration", 0, 0, 0, "P", "", "NK-ELEARN"},
		{"WPL-SIMULASI", "workplace", 24, "duration", 0, 0, 0, "P", "day:2:", ""},
		{"WPL-KASUS", "workplace", 23, "duration", 0, 0, 0, "P", "day:2:", ""},
		{"WPL-JOBAID", "workplace", 0, "zero", 0, 0, 0, "P", "", ""},
		{"WPL-KMS", "workplace", 23, "per_contribution", 1, 1, 0, "P", "day:2:", ""},
		{"NK-PRIORITAS", "nonklasikal", 25, "duration", 0, 0, 0, "P", "day:2:", ""},
		{"NK-TEAMBLD", "nonklasikal", 25, "duration", 0, 0, 0, "P", "day:2:", ""},
	}
	if len(table) != len(forms) {
		t.Fatalf("table has %d rows, want %d", len(table), len(forms))
	}
	num := func(p *float64) float64 {
		if p == nil {
			return 0
		}
		return *p
	}
	for _, want := range table {
		t.Run(want.form, func(t *testing.T) {
			var r struct {
				Form      string `json:"form"`
				Category  string `json:"category"`
				SIASN     *int   `json:"siasn_jenis_diklat_id"`
				Classroom bool   `json:"classroom"`
				NameEN    string `json:"name_en"`
				Provider  bool   `json:"provider_approves"`
				Versions  []struct {
					ValidFrom string   `json:"valid_from"`
					Basis     string   `json:"basis"`
					Unit      string   `json:"unit"`
					JP        *float64 `json:"jp"`
					JPIntl    *float64 `json:"jp_international"`
					Uplift    *float64 `json:"international_uplift"`
					Caps      []struct {
						Period      string   `json:"period"`
						MaxJP       *float64 `json:"max_jp"`
						MaxJPIntl   *float64 `json:"max_jp_international"`
						MaxSessions *float64 `json:"max_sessions"`
					} `json:"caps"`
					CapForm *string `json:"cap_form"`
				} `json:"versions"`
			}
			if err := json.Unmarshal(read(t, "jp-rules/"+want.form+".json"), &r); err != nil {
				t.Fatal(err)
			}
			if len(r.Versions) != 1 {
				t.Fatalf("%d versions, want 1", len(r.Versions))
			}
			v := r.Versions[0]
			siasn := 0
			if r.SIASN != nil {
				siasn = *r.SIASN
			}
			var caps []string
			for _, c := range v.Caps {
				s := c.Period + ":"
				if c.MaxJP != nil {
					s += ftoa(*c.MaxJP)
				}
				if c.MaxJPIntl != nil {
					s += "/" + ftoa(*c.MaxJPIntl)
				}
				s += ":"
				if c.MaxSessions != nil {
					s += ftoa(*c.MaxSessions)
				}
				caps = append(caps, s)
			}
			capForm := ""
			if v.CapForm != nil {
				capForm = *v.CapForm
			}
			got := row{r.Form, r.Category, siasn, v.Unit, num(v.JP), num(v.JPIntl), num(v.Uplift), v.Basis, strings.Join(caps, ","), capForm}
			if got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			wantFrom := map[string]string{"S": "2019-02-01", "P": "2026-01-01"}[want.basis]
			if v.ValidFrom != wantFrom {
				t.Errorf("valid_from %s, want %s for basis %s", v.ValidFrom, wantFrom, want.basis)
			}
			wantClassroom := strings.HasPrefix(r.Form, "KLS-") || strings.HasPrefix(r.Form, "PDD-")
			if r.Classroom != wantClassroom {
				t.Errorf("classroom %v, want %v", r.Classroom, wantClassroom)
			}
			// As shipped, a provider's claim is approved on arrival for the
			// classroom forms only (an agency may set it for NK-ELEARN).
			if r.Provider != wantClassroom {
				t.Errorf("provider_approves %v, want %v", r.Provider, wantClassroom)
			}
			if strings.TrimSpace(r.NameEN) == "" {
				t.Error("no English name (name_en)")
			}
		})
	}
}

// A broken rule document, as KLS-SEMINAR.json with one change, must fail
// ValidateAll with an error naming the file, the JSON pointer and the
// problem.
func TestValidateAll_BrokenRules(t *testing.T) {
	tests := []struct {
		name   string
		file   string // where the broken document goes; default jp-rules/KLS-SEMINAR.json
		mutate func(r map[string]any)
		want   []string // substrings of the error
	}{
		{"missing source", "", func(r map[string]any) { delete(version(r, 0), "source") },
			[]string{"/versions/0", "missing property 'source'"}},
		{"empty source", "", func(r map[string]any) { version(r, 0)["source"] = " " },
			[]string{"/versions/0/source", "does not match pattern"}},
		{"unknown unit", "", func(r map[string]any) { version(r, 0)["unit"] = "per_week" },
			[]string{"/versions/0/unit", "value must be one of"}},
		{"per_day without jp", "", func(r map[string]any) { version(r, 0)["jp"] = nil },
			[]string{"/versions/0/jp", "want integer"}},
		{"per_day with an uplift instead of jp_international", "", func(r map[string]any) {
			version(r, 0)["jp_international"] = nil
			version(r, 0)["international_uplift"] = 1.5
		}, []string{"/versions/0/jp_international", "/versions/0/international_uplift", "want null"}},
		{"declared with a jp", "", func(r map[string]any) { version(r, 0)["unit"] = "declared" },
			[]string{"/versions/0/jp", "want null"}},
		{"zero with caps", "", func(r map[string]any) {
			v := version(r, 0)
			v["unit"], v["jp"], v["jp_international"] = "zero", nil, nil
			v["caps"] = []any{map[string]any{"period": "day", "max_jp": 1}}
		}, []string{"/versions/0/caps", "maxItems"}},
		{"per_semester without the semester cap", "", func(r map[string]any) { version(r, 0)["unit"] = "per_semester" },
			[]string{"/versions/0/caps", "contains"}},
		{"missing version field", "", func(r map[string]any) { delete(version(r, 0), "cap_form") },
			[]string{"/versions/0", "missing property 'cap_form'"}},
		{"unknown field", "", func(r map[string]any) { r["jp"] = 4 },
			[]string{"additional properties 'jp' not allowed"}},
		{"bad date", "", func(r map[string]any) { version(r, 0)["valid_from"] = "2019-02-30" },
			[]string{"/versions/0/valid_from", "is not valid date"}},
		{"date with a time", "", func(r map[string]any) { version(r, 0)["valid_to"] = "2030-01-01T00:00:00Z" },
			[]string{"/versions/0/valid_to", "not valid date"}},
		{"valid_to before valid_from", "", func(r map[string]any) { version(r, 0)["valid_to"] = "2018-12-31" },
			[]string{"/versions/0/valid_to", "is not after valid_from"}},
		{"overlapping versions", "", func(r map[string]any) {
			v2 := clone(version(r, 0))
			v2["version"], v2["valid_from"] = "2024.1", "2024-01-01"
			r["versions"] = append(r["versions"].([]any), v2)
		}, []string{"/versions/1/valid_from", "overlaps /versions/0"}},
		{"overlap hidden behind a short version", "", func(r map[string]any) {
			v0 := version(r, 0)
			v0["valid_to"] = "2030-01-01"
			v1, v2 := clone(v0), clone(v0)
			v1["version"], v1["valid_from"], v1["valid_to"] = "2020.1", "2020-01-01", "2021-01-01"
			v2["version"], v2["valid_from"], v2["valid_to"] = "2022.1", "2022-01-01", nil
			r["versions"] = append(r["versions"].([]any), v1, v2)
		}, []string{"/versions/2/valid_from", "overlaps /versions/0"}},
		{"repeated version name", "", func(r map[string]any) {
			v2 := clone(version(r, 0))
			v2["valid_from"], version(r, 0)["valid_to"] = "2024-01-01", "2024-01-01"
			r["versions"] = append(r["versions"].([]any), v2)
		}, []string{"/versions/1/version", "repeats /versions/0"}},
		{"unknown cap_form", "", func(r map[string]any) { version(r, 0)["cap_form"] = "NK-NOPE" },
			[]string{"/versions/0/cap_form", `unknown form "NK-NOPE"`}},
		{"cap_form names itself", "", func(r map[string]any) { version(r, 0)["cap_form"] = "KLS-SEMINAR" },
			[]string{"/versions/0/cap_form", "names the form itself"}},
		{"cap without a limit", "", func(r map[string]any) {
			version(r, 0)["caps"] = []any{map[string]any{"period": "day"}}
		}, []string{"/versions/0/caps/0", "missing property 'max_jp'", "missing property 'max_sessions'"}},
		{"unknown cap period", "", func(r map[string]any) {
			version(r, 0)["caps"] = []any{map[string]any{"period": "year", "max_jp": 10}}
		}, []string{"/versions/0/caps/0/period", "value must be one of"}},
		{"international cap without max_jp", "", func(r map[string]any) {
			version(r, 0)["caps"] = []any{map[string]any{"period": "day", "max_sessions": 1, "max_jp_international": 6}}
		}, []string{"/versions/0/caps/0", "max_jp"}},
		{"two caps per period", "", func(r map[string]any) {
			version(r, 0)["caps"] = []any{map[string]any{"period": "day", "max_jp": 4}, map[string]any{"period": "day", "max_sessions": 1}}
		}, []string{"/versions/0/caps/1/period", "a second cap per day"}},
		{"classroom false on a KLS form", "", func(r map[string]any) { r["classroom"] = false },
			[]string{"/classroom", "value must be true"}},
		{"no English name", "", func(r map[string]any) { delete(r, "name_en") },
			[]string{"missing property 'name_en'"}},
		{"blank English name", "", func(r map[string]any) { r["name_en"] = " " },
			[]string{"/name_en", "does not match pattern"}},
		{"no provider_approves", "", func(r map[string]any) { delete(r, "provider_approves") },
			[]string{"missing property 'provider_approves'"}},
		{"provider_approves not a boolean", "", func(r map[string]any) { r["provider_approves"] = "yes" },
			[]string{"/provider_approves", "want boolean"}},
		{"category not matching the code", "", func(r map[string]any) { r["category"] = "workplace" },
			[]string{"/category", "value must be 'klasikal'"}},
		{"bad form code", "jp-rules/seminar.json", func(r map[string]any) { r["form"] = "seminar" },
			[]string{"/form", "does not match pattern"}},
		{"file not named after the form", "jp-rules/KLS-SEMINAR2.json", func(map[string]any) {},
			[]string{"jp-rules/KLS-SEMINAR2.json", "/form", "must be in a file named KLS-SEMINAR.json"}},
		{"SIASN id out of range", "", func(r map[string]any) { r["siasn_jenis_diklat_id"] = 99 },
			[]string{"/siasn_jenis_diklat_id", "maximum"}},
		{"an uplift without its rounding", "", func(r map[string]any) {
			v := version(r, 0)
			v["unit"], v["jp"], v["jp_international"], v["international_uplift"] = "declared", nil, nil, 1.2
		}, []string{"/versions/0", "missing property 'uplift_rounding'"}},
		{"a rounding without an uplift", "", func(r map[string]any) { version(r, 0)["uplift_rounding"] = "down" },
			[]string{"/versions/0", "not"}},
		{"an unknown rounding", "", func(r map[string]any) {
			v := version(r, 0)
			v["unit"], v["jp"], v["jp_international"], v["international_uplift"], v["uplift_rounding"] = "declared", nil, nil, 1.2, "nearest"
		}, []string{"/versions/0/uplift_rounding", "value must be 'down'"}},
		{"a claim identity without the person", "", func(r map[string]any) {
			r["claim_identity"] = map[string]any{"keys": []any{"activity", "date"}}
		}, []string{"/claim_identity/keys/0", "value must be 'person'"}},
		{"a claim identity with an unknown key", "", func(r map[string]any) {
			r["claim_identity"] = map[string]any{"keys": []any{"person", "course"}}
		}, []string{"/claim_identity/keys/1", "value must be one of"}},
	}
	base := decode(t, read(t, "jp-rules/KLS-SEMINAR.json")).(map[string]any)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := clone(base)
			tc.mutate(r)
			file := tc.file
			if file == "" {
				file = "jp-rules/KLS-SEMINAR.json"
			}
			fsys := embeddedCopy(t)
			if file != "jp-rules/KLS-SEMINAR.json" {
				delete(fsys, "jp-rules/KLS-SEMINAR.json")
			}
			fsys[file] = &fstest.MapFile{Data: encode(t, r)}
			expectInvalid(t, schemas.ValidateAll(fsys), file, tc.want...)
		})
	}
}

func TestValidateAll_BrokenTargets(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(d map[string]any)
		want   []string
	}{
		{"missing source", func(d map[string]any) { delete(target(d, 0), "source") },
			[]string{"/targets/0", "missing property 'source'"}},
		{"unknown type", func(d map[string]any) { target(d, 0)["type"] = "Honorer" },
			[]string{"/targets/0/type", "value must be one of"}},
		{"bad date", func(d map[string]any) { target(d, 1)["valid_from"] = "28-11-2018" },
			[]string{"/targets/1/valid_from", "not valid date"}},
		{"overlapping targets of one type", func(d map[string]any) {
			t2 := clone(target(d, 0))
			t2["valid_from"], t2["jp"] = "2024-01-01", 24
			d["targets"] = append(d["targets"].([]any), t2)
		}, []string{"/targets/2/valid_from", "overlaps /targets/0"}},
		{"no minutes per JP", func(d map[string]any) { delete(d, "minutes_per_jp") },
			[]string{"missing property 'minutes_per_jp'"}},
		{"no claim identity", func(d map[string]any) { delete(d, "claim_identity") },
			[]string{"missing property 'claim_identity'"}},
		{"a claim identity with a repeated key", func(d map[string]any) {
			d["claim_identity"] = map[string]any{"keys": []any{"person", "activity", "activity"}}
		}, []string{"/claim_identity/keys", "items at 1 and 2 are equal"}},
	}
	base := decode(t, read(t, "jp-rules/targets.json")).(map[string]any)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := clone(base)
			tc.mutate(d)
			fsys := embeddedCopy(t)
			fsys["jp-rules/targets.json"] = &fstest.MapFile{Data: encode(t, d)}
			expectInvalid(t, schemas.ValidateAll(fsys), "jp-rules/targets.json", tc.want...)
		})
	}
}

func TestValidateAll_BrokenCatalogue(t *testing.T) {
	entry := func(activity, form string) map[string]any {
		return map[string]any{"activity": activity, "form": form, "competencies": []any{"M.01"}, "name": map[string]any{"id-ID": "Contoh"}}
	}
	tests := []struct {
		name  string
		entry map[string]any
		want  []string
	}{
		{"unknown form", entry("https://lms.example.go.id/x", "NK-NOPE"), []string{"/12/form", `unknown form "NK-NOPE"`}},
		{"activity catalogued twice", entry("https://lms.example.go.id/course/analisis-kebijakan", "NK-ELEARN"),
			[]string{"/12/activity", "already catalogued at catalogue/example.json#/0"}},
		{"jp for a per-day form", func() map[string]any {
			e := entry("https://lms.example.go.id/y", "KLS-SEMINAR")
			e["jp"] = 8
			return e
		}(), []string{"/12/jp", "not counted \"declared\""}},
		{"bad competency code", func() map[string]any {
			e := entry("https://lms.example.go.id/z", "NK-ELEARN")
			e["competencies"] = []any{"integritas"}
			return e
		}(), []string{"/12/competencies/0", "does not match pattern"}},
		{"not an IRI", entry("analisis kebijakan", "NK-ELEARN"), []string{"/12/activity"}},
		{"no name", func() map[string]any {
			e := entry("https://lms.example.go.id/w", "NK-ELEARN")
			e["name"] = map[string]any{}
			return e
		}(), []string{"/12/name", "minProperties"}},
	}
	base := decode(t, read(t, "catalogue/example.json")).([]any)
	if len(base) != 12 {
		t.Fatalf("example catalogue has %d entries; the cases below point at /12", len(base))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := embeddedCopy(t)
			fsys["catalogue/example.json"] = &fstest.MapFile{Data: encode(t, append(slices.Clone(base), any(tc.entry)))}
			expectInvalid(t, schemas.ValidateAll(fsys), "catalogue/example.json", tc.want...)
		})
	}
}

func TestValidateAll_ReportsEveryBrokenFile(t *testing.T) {
	fsys := embeddedCopy(t)
	fsys["jp-rules/NK-COACHING.json"] = &fstest.MapFile{Data: []byte(`{"form":`)}
	fsys["profiles/bangkom.jsonld"] = &fstest.MapFile{Data: []byte(`{`)}
	delete(fsys, "jp-rules/NK-ELEARN.json") // WPL-MICRO's cap_form
	err := schemas.ValidateAll(fsys)
	for _, want := range []string{
		"jp-rules/NK-COACHING.json: /: malformed JSON",
		"profiles/bangkom.jsonld: /: malformed JSON",
		`jp-rules/WPL-MICRO.json: /versions/0/cap_form: unknown form "NK-ELEARN"`,
		`catalogue/example.json: /0/form: unknown form "NK-ELEARN"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nwant it to contain %q", err, want)
		}
	}
}

func TestValidateAll_NoRules(t *testing.T) {
	err := schemas.ValidateAll(fstest.MapFS{})
	expectInvalid(t, err, "jp-rules", "no rule files")
	expectInvalid(t, err, "jp-rules/targets.json", "missing")
}

func TestValidate(t *testing.T) {
	t.Run("valid", func(t *testing.T) {
		if err := schemas.Validate(schemas.RuleSchema, read(t, "jp-rules/NK-ELEARN.json")); err != nil {
			t.Error(err)
		}
	})
	t.Run("invalid names pointer and problem", func(t *testing.T) {
		err := schemas.Validate(schemas.RuleSchema, []byte(`{"form":"KLS-SEMINAR"}`))
		expectInvalid(t, err, "", "not valid against jp-rules/rule.schema.json", "/: missing properties")
		var ie *schemas.InvalidError
		if errors.As(err, &ie) && (len(ie.Problems) != 1 || ie.Problems[0].Pointer != "") {
			t.Errorf("problems %+v, want one at the root", ie.Problems)
		}
	})
	t.Run("malformed JSON", func(t *testing.T) {
		expectInvalid(t, schemas.Validate(schemas.TargetsSchema, []byte(`{"targets": [}`)), "", "malformed JSON")
	})
	t.Run("trailing data", func(t *testing.T) {
		expectInvalid(t, schemas.Validate(schemas.TargetsSchema, append(read(t, "jp-rules/targets.json"), "{}"...)), "", "malformed JSON")
	})
	t.Run("unknown schema", func(t *testing.T) {
		err := schemas.Validate("jp-rules/nope.schema.json", []byte(`{}`))
		var ie *schemas.InvalidError
		if err == nil || errors.As(err, &ie) || !strings.Contains(err.Error(), "no such embedded schema") {
			t.Errorf("got %v, want a plain error naming the missing schema", err)
		}
	})
}

// Every schema's $id is its place in the tree, so schemas can refer to one
// another, and each is itself valid draft 2020-12.
func TestSchemas_IDs(t *testing.T) {
	for _, p := range []string{schemas.RuleSchema, schemas.TargetsSchema, schemas.CatalogueSchema, schemas.CompetencySchema, schemas.PositionSchema} {
		var s struct {
			Schema string `json:"$schema"`
			ID     string `json:"$id"`
		}
		if err := json.Unmarshal(read(t, p), &s); err != nil {
			t.Fatal(err)
		}
		if want := "https://jejak.id/schemas/" + p; s.ID != want {
			t.Errorf("%s: $id %q, want %q", p, s.ID, want)
		}
		if s.Schema != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema %q, want draft 2020-12", p, s.Schema)
		}
	}
}

func TestProfile(t *testing.T) {
	const base = "https://jejak.id/xapi/bangkom"
	var p struct {
		Context    string            `json:"@context"`
		ID         string            `json:"id"`
		Type       string            `json:"type"`
		ConformsTo string            `json:"conformsTo"`
		PrefLabel  map[string]string `json:"prefLabel"`
		Definition map[string]string `json:"definition"`
		Versions   []struct {
			ID              string `json:"id"`
			GeneratedAtTime string `json:"generatedAtTime"`
		} `json:"versions"`
		Author struct {
			Type string `json:"type"`
			Name string `json:"name"`
			URL  string `json:"url"`
		} `json:"author"`
		Concepts  []concept `json:"concepts"`
		Templates []struct {
			concept
			Verb               string `json:"verb"`
			ObjectActivityType string `json:"objectActivityType"`
			Rules              []struct {
				Location  string            `json:"location"`
				Presence  string            `json:"presence"`
				All       []any             `json:"all"`
				ScopeNote map[string]string `json:"scopeNote"`
			} `json:"rules"`
		} `json:"templates"`
		Patterns json.RawMessage `json:"patterns"` // TestProfile_TemplatesAndPatterns
	}
	dec := json.NewDecoder(bytes.NewReader(read(t, "profiles/bangkom.jsonld")))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("profile: %v", err)
	}
	if p.Context != "https://w3id.org/xapi/profiles/context" || p.ID != base || p.Type != "Profile" || p.ConformsTo != "https://w3id.org/xapi/profiles#1.0" {
		t.Errorf("profile header: @context %q id %q type %q conformsTo %q", p.Context, p.ID, p.Type, p.ConformsTo)
	}
	langs(t, "profile prefLabel", p.PrefLabel)
	langs(t, "profile definition", p.Definition)
	if len(p.Versions) == 0 || p.Versions[0].ID == "" || p.Versions[0].GeneratedAtTime == "" {
		t.Fatalf("versions %+v: want a version with id and generatedAtTime", p.Versions)
	}
	if p.Author.Type != "Organization" && p.Author.Type != "Person" || p.Author.Name == "" {
		t.Errorf("author %+v", p.Author)
	}
	version := p.Versions[0].ID

	want := map[string]string{
		base + "/extensions/form":                 ContextExtension,
		base + "/extensions/jp":                   ContextExtension,
		base + "/extensions/scope":                ContextExtension,
		base + "/extensions/days":                 ContextExtension,
		base + "/extensions/start-date":           ContextExtension,
		base + "/extensions/competencies":         ContextExtension,
		base + "/verbs/approved":                  "Verb",
		base + "/verbs/rejected":                  "Verb",
		base + "/verbs/assessed":                  "Verb",
		base + "/verbs/recognized-prior-learning": "Verb",
	}
	got := map[string]concept{}
	for _, c := range p.Concepts {
		if _, dup := got[c.ID]; dup {
			t.Errorf("concept %s twice", c.ID)
		}
		got[c.ID] = c
		if c.InScheme != version {
			t.Errorf("%s: inScheme %q, want the version %q", c.ID, c.InScheme, version)
		}
		langs(t, c.ID+" prefLabel", c.PrefLabel)
		langs(t, c.ID+" definition", c.Definition)
		if c.InlineSchema != "" {
			compiler := jsonschema.NewCompiler()
			doc, err := jsonschema.UnmarshalJSON(strings.NewReader(c.InlineSchema))
			if err == nil {
				err = compiler.AddResource("inline.json", doc)
			}
			if err == nil {
				_, err = compiler.Compile("inline.json")
			}
			if err != nil {
				t.Errorf("%s: inlineSchema: %v", c.ID, err)
			}
		}
	}
	for id, typ := range want {
		c, ok := got[id]
		switch {
		case !ok:
			t.Errorf("concept %s missing", id)
		case c.Type != typ:
			t.Errorf("concept %s: type %q, want %q", id, c.Type, typ)
		case typ == ContextExtension && c.InlineSchema == "":
			t.Errorf("extension %s: no inlineSchema", id)
		}
	}
	for _, tpl := range p.Templates {
		if tpl.Type != "StatementTemplate" || tpl.InScheme != version {
			t.Errorf("template %s: type %q inScheme %q", tpl.ID, tpl.Type, tpl.InScheme)
		}
		langs(t, tpl.ID+" prefLabel", tpl.PrefLabel)
		langs(t, tpl.ID+" definition", tpl.Definition)
		// A learning claim's template uses the ADL verb Jejak reads
		// (completed, passed, attended), as the cmi5 profile does; every
		// other verb is the profile's own.
		if c, ok := got[tpl.Verb]; (!ok || c.Type != "Verb") && !bangkom.IsLearningVerb(tpl.Verb) {
			t.Errorf("template %s: verb %q is neither a Verb of the profile nor a learning verb", tpl.ID, tpl.Verb)
		}
		if tpl.ObjectActivityType != "" && got[tpl.ObjectActivityType].Type != "ActivityType" {
			t.Errorf("template %s: objectActivityType %q is not an ActivityType of the profile", tpl.ID, tpl.ObjectActivityType)
		}
		for _, r := range tpl.Rules {
			if !strings.HasPrefix(r.Location, "$.") {
				t.Errorf("template %s: rule location %q is not a JSONPath", tpl.ID, r.Location)
			}
		}
	}
}

const ContextExtension = "ContextExtension"

// concept is every property a concept of the profile may carry (the
// decoder refuses any other).
type concept struct {
	ID               string            `json:"id"`
	Type             string            `json:"type"`
	InScheme         string            `json:"inScheme"`
	PrefLabel        map[string]string `json:"prefLabel"`
	Definition       map[string]string `json:"definition"`
	RecommendedVerbs []string          `json:"recommendedVerbs"`
	InlineSchema     string            `json:"inlineSchema"`
}

func langs(t *testing.T, what string, m map[string]string) {
	t.Helper()
	for _, l := range []string{"id-ID", "en"} {
		if strings.TrimSpace(m[l]) == "" {
			t.Errorf("%s: no %s text", what, l)
		}
	}
}

// The managerial and socio-cultural competencies of domain brief §4.2, in
// order, with their codes (SK.01 as the profile uses it).
func TestFS_ManajerialSosiokultural(t *testing.T) {
	want := []struct{ code, name, typ string }{
		{"M.01", "Integritas", "manajerial"},
		{"M.02", "Kerjasama", "manajerial"},
		{"M.03", "Komunikasi", "manajerial"},
		{"M.04", "Orientasi pada Hasil", "manajerial"},
		{"M.05", "Pelayanan Publik", "manajerial"},
		{"M.06", "Pengembangan Diri dan Orang Lain", "manajerial"},
		{"M.07", "Mengelola Perubahan", "manajerial"},
		{"M.08", "Pengambilan Keputusan", "manajerial"},
		{"SK.01", "Perekat Bangsa", "sosial_kultural"},
	}
	fw := readFramework(t, "competencies/manajerial-sosiokultural.json")
	if fw.Framework != "asn-manajerial-2017" {
		t.Errorf("framework %q, want asn-manajerial-2017", fw.Framework)
	}
	if !strings.Contains(fw.Source, "PermenPANRB 38/2017") || !strings.Contains(fw.Source, "confirm against the Lampiran") {
		t.Errorf("source %q: want PermenPANRB 38/2017 and the note to confirm against the Lampiran", fw.Source)
	}
	if len(fw.Competencies) != len(want) {
		t.Fatalf("%d competencies, want %d", len(fw.Competencies), len(want))
	}
	for i, w := range want {
		c := fw.Competencies[i]
		if c.Code != w.code || c.Name != w.name || c.Type != w.typ || c.NameEN == "" {
			t.Errorf("competency %d: %s %q %s (en %q), want %s %q %s with an English name", i, c.Code, c.Name, c.Type, c.NameEN, w.code, w.name, w.typ)
		}
	}
	// Domain brief §4.2 quotes Integritas level 1.
	if l1 := strings.ToLower(fw.Competencies[0].Levels[0].Description); !strings.Contains(l1, "mampu bertindak sesuai nilai, norma, etika organisasi dalam kapasitas pribadi") {
		t.Errorf("Integritas level 1 %q, want the Lampiran's text", l1)
	}
}

func TestFS_TeknisContoh(t *testing.T) {
	fw := readFramework(t, "competencies/teknis-contoh.json")
	if fw.Framework != "contoh-teknis-2026" || strings.TrimSpace(fw.Agency) == "" {
		t.Errorf("framework %q agency %q, want contoh-teknis-2026 and an agency", fw.Framework, fw.Agency)
	}
	if n := len(fw.Competencies); n < 6 || n > 10 {
		t.Errorf("%d competencies, want 6–10", n)
	}
	for _, c := range fw.Competencies {
		if c.Type != "teknis" || !strings.HasPrefix(c.Code, "T.") {
			t.Errorf("%s: type %s, want a teknis T.… code", c.Code, c.Type)
		}
	}
	// The example catalogue's technical codes are in this kamus.
	var entries []struct{ Competencies []string }
	if err := json.Unmarshal(read(t, "catalogue/example.json"), &entries); err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	for _, c := range fw.Competencies {
		codes[c.Code] = true
	}
	for _, e := range entries {
		for _, code := range e.Competencies {
			if strings.HasPrefix(code, "T.") && !codes[code] {
				t.Errorf("catalogue code %s is not in the example kamus teknis", code)
			}
		}
	}
}

// Every example position names all nine managerial and socio-cultural
// competencies, as a Standar Kompetensi Jabatan does.
func TestFS_Positions(t *testing.T) {
	var list []struct {
		Position  string         `json:"position"`
		Standards map[string]int `json:"standards"`
	}
	if err := json.Unmarshal(read(t, "positions/contoh.json"), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) < 5 {
		t.Errorf("%d positions, want about six", len(list))
	}
	for _, p := range list {
		for _, code := range []string{"M.01", "M.02", "M.03", "M.04", "M.05", "M.06", "M.07", "M.08", "SK.01"} {
			if _, ok := p.Standards[code]; !ok {
				t.Errorf("%s: no level for %s", p.Position, code)
			}
		}
	}
}

// A broken framework document, as manajerial-sosiokultural.json with one
// change, must fail ValidateAll naming the file, the pointer and the
// problem.
func TestValidateAll_BrokenFramework(t *testing.T) {
	const file = "competencies/manajerial-sosiokultural.json"
	levels := func(d map[string]any, i int) []any { return competency(d, i)["levels"].([]any) }
	tests := []struct {
		name   string
		mutate func(d map[string]any)
		want   []string
	}{
		{"duplicate code", func(d map[string]any) { competency(d, 1)["code"] = "M.01" },
			[]string{"/competencies/1/code", "duplicate code M.01", "already defined at " + file + "#/competencies/0"}},
		{"level 6 added", func(d map[string]any) {
			competency(d, 0)["levels"] = append(levels(d, 0), map[string]any{"level": 6, "description": "Melampaui"})
		}, []string{"/competencies/0/levels", "maxItems: got 6, want 5", "/competencies/0/levels/5/level", "maximum: got 6, want 5"}},
		{"level 6 instead of 5", func(d map[string]any) { levels(d, 0)[4].(map[string]any)["level"] = 6 },
			[]string{"/competencies/0/levels/4/level", "maximum: got 6, want 5", "value must be 5"}},
		{"missing level 3", func(d map[string]any) {
			l := levels(d, 2)
			competency(d, 2)["levels"] = append(l[:2:2], l[3:]...)
		}, []string{"/competencies/2/levels", "minItems: got 4, want 5", "/competencies/2/levels/2/level", "value must be 3"}},
		{"levels out of order", func(d map[string]any) {
			l := levels(d, 0)
			l[0], l[1] = l[1], l[0]
		}, []string{"/competencies/0/levels/0/level", "value must be 1", "/competencies/0/levels/1/level", "value must be 2"}},
		{"level 0", func(d map[string]any) { levels(d, 0)[0].(map[string]any)["level"] = 0 },
			[]string{"/competencies/0/levels/0/level", "minimum: got 0, want 1"}},
		{"level not an integer", func(d map[string]any) { levels(d, 0)[0].(map[string]any)["level"] = 1.5 },
			[]string{"/competencies/0/levels/0/level", "want integer"}},
		{"level without a description", func(d map[string]any) { delete(levels(d, 3)[1].(map[string]any), "description") },
			[]string{"/competencies/3/levels/1", "missing property 'description'"}},
		{"blank description", func(d map[string]any) { levels(d, 0)[0].(map[string]any)["description"] = " " },
			[]string{"/competencies/0/levels/0/description", "does not match pattern"}},
		{"no definition", func(d map[string]any) { delete(competency(d, 0), "definition") },
			[]string{"/competencies/0", "missing property 'definition'"}},
		{"unknown type", func(d map[string]any) { competency(d, 0)["type"] = "inti" },
			[]string{"/competencies/0/type", "value must be one of"}},
		{"managerial code on a technical competency", func(d map[string]any) { competency(d, 0)["type"] = "teknis" },
			[]string{"/competencies/0/code", "does not match pattern"}},
		{"socio-cultural competency with an M code", func(d map[string]any) { competency(d, 8)["code"] = "M.09" },
			[]string{"/competencies/8/code", "does not match pattern"}},
		{"bad code", func(d map[string]any) { competency(d, 0)["code"] = "integritas" },
			[]string{"/competencies/0/code", "does not match pattern"}},
		{"unknown field", func(d map[string]any) { competency(d, 0)["indicators"] = []any{"1.1"} },
			[]string{"/competencies/0", "additional properties 'indicators' not allowed"}},
		{"no source", func(d map[string]any) { delete(d, "source") },
			[]string{"missing property 'source'"}},
		{"bad framework id", func(d map[string]any) { d["framework"] = "ASN Manajerial" },
			[]string{"/framework", "does not match pattern"}},
		{"no competencies", func(d map[string]any) { d["competencies"] = []any{} },
			[]string{"/competencies", "minItems"}},
	}
	base := decode(t, read(t, file)).(map[string]any)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := clone(base)
			tc.mutate(d)
			fsys := embeddedCopy(t)
			fsys[file] = &fstest.MapFile{Data: encode(t, d)}
			expectInvalid(t, schemas.ValidateAll(fsys), file, tc.want...)
		})
	}
}

// A second framework file may not redefine a code or reuse a framework id.
func TestValidateAll_FrameworksAcrossFiles(t *testing.T) {
	const other = "competencies/zz-lain.json"
	base := decode(t, read(t, "competencies/teknis-contoh.json")).(map[string]any)
	t.Run("code defined in another file", func(t *testing.T) {
		d := clone(base)
		d["framework"] = "lain-2026"
		d["competencies"] = d["competencies"].([]any)[:1]
		fsys := embeddedCopy(t)
		fsys[other] = &fstest.MapFile{Data: encode(t, d)}
		expectInvalid(t, schemas.ValidateAll(fsys), other,
			"/competencies/0/code", "duplicate code T.KEB.01", "already defined at competencies/teknis-contoh.json#/competencies/0")
	})
	t.Run("framework id used twice", func(t *testing.T) {
		d := clone(base)
		d["competencies"] = d["competencies"].([]any)[:1]
		competency(d, 0)["code"] = "T.LAIN.01"
		fsys := embeddedCopy(t)
		fsys[other] = &fstest.MapFile{Data: encode(t, d)}
		expectInvalid(t, schemas.ValidateAll(fsys), other,
			"/framework", "framework contoh-teknis-2026 is already defined in competencies/teknis-contoh.json")
	})
}

// A broken position standards document, as positions/contoh.json with one
// change, must fail ValidateAll naming the file, the pointer and the
// problem.
func TestValidateAll_BrokenPositions(t *testing.T) {
	const file = "positions/contoh.json"
	standards := func(d []any, i int) map[string]any { return d[i].(map[string]any)["standards"].(map[string]any) }
	tests := []struct {
		name   string
		mutate func(d []any) any
		want   []string
	}{
		{"unknown code", func(d []any) any { standards(d, 0)["T.XYZ.01"] = 2; return d },
			[]string{"/0/standards/T.XYZ.01", `unknown competency code "T.XYZ.01"`, "no competencies/*.json framework"}},
		{"level 0", func(d []any) any { standards(d, 1)["M.01"] = 0; return d },
			[]string{"/1/standards/M.01", "minimum: got 0, want 1"}},
		{"level 6", func(d []any) any { standards(d, 0)["SK.01"] = 6; return d },
			[]string{"/0/standards/SK.01", "maximum: got 6, want 5"}},
		{"level not an integer", func(d []any) any { standards(d, 0)["M.02"] = 2.5; return d },
			[]string{"/0/standards/M.02", "want integer"}},
		{"level as a string", func(d []any) any { standards(d, 0)["M.02"] = "3"; return d },
			[]string{"/0/standards/M.02", "want integer"}},
		{"no standards", func(d []any) any { d[0].(map[string]any)["standards"] = map[string]any{}; return d },
			[]string{"/0/standards", "minProperties"}},
		{"bad code", func(d []any) any { standards(d, 0)["integritas"] = 3; return d },
			[]string{"/0/standards: additional properties 'integritas' not allowed"}},
		{"position standardised twice", func(d []any) any { return append(d, clone(d[0].(map[string]any))) },
			[]string{"/6/position", "already standardised at positions/contoh.json#/0"}},
		{"blank position", func(d []any) any { d[0].(map[string]any)["position"] = " "; return d },
			[]string{"/0/position", "does not match pattern"}},
		{"position with a trailing space", func(d []any) any { d[0].(map[string]any)["position"] = "Analis Kebijakan Ahli Muda "; return d },
			[]string{"/0/position", "does not match pattern"}},
		{"unknown field", func(d []any) any { d[0].(map[string]any)["jenjang"] = "JPT pratama"; return d },
			[]string{"/0", "additional properties 'jenjang' not allowed"}},
		{"wrapped in an object", func(d []any) any { return map[string]any{"positions": d} },
			[]string{"got object, want array"}},
		{"empty", func([]any) any { return []any{} },
			[]string{"minItems"}},
	}
	base := decode(t, read(t, file)).([]any)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := decode(t, encode(t, base)).([]any) // deep copy
			fsys := embeddedCopy(t)
			fsys[file] = &fstest.MapFile{Data: encode(t, tc.mutate(d))}
			expectInvalid(t, schemas.ValidateAll(fsys), file, tc.want...)
		})
	}
}

// Position standards name codes of any framework file, even one that
// breaks its schema; a missing framework leaves its codes unknown.
func TestValidateAll_PositionCodesAcrossFiles(t *testing.T) {
	t.Run("framework missing", func(t *testing.T) {
		fsys := embeddedCopy(t)
		delete(fsys, "competencies/teknis-contoh.json")
		err := schemas.ValidateAll(fsys)
		expectInvalid(t, err, "positions/contoh.json", `/0/standards/T.KEB.02: unknown competency code "T.KEB.02"`, `/2/standards/T.BMN.01: unknown competency code "T.BMN.01"`)
		if n := len(unwrap(err)); n != 1 {
			t.Errorf("%d errors, want only the one for positions/contoh.json: %v", n, err)
		}
	})
	t.Run("framework broken", func(t *testing.T) {
		d := decode(t, read(t, "competencies/teknis-contoh.json")).(map[string]any)
		competency(d, 0)["levels"] = competency(d, 0)["levels"].([]any)[:4]
		fsys := embeddedCopy(t)
		fsys["competencies/teknis-contoh.json"] = &fstest.MapFile{Data: encode(t, d)}
		err := schemas.ValidateAll(fsys)
		expectInvalid(t, err, "competencies/teknis-contoh.json", "/competencies/0/levels", "minItems")
		if n := len(unwrap(err)); n != 1 {
			t.Errorf("%d errors, want only the one for the broken framework: %v", n, err)
		}
	})
	t.Run("malformed framework", func(t *testing.T) {
		fsys := embeddedCopy(t)
		fsys["competencies/teknis-contoh.json"] = &fstest.MapFile{Data: []byte(`{"competencies": [`)}
		err := schemas.ValidateAll(fsys)
		expectInvalid(t, err, "competencies/teknis-contoh.json", "malformed JSON")
		expectInvalid(t, err, "positions/contoh.json", `unknown competency code "T.KEB.01"`)
	})
	t.Run("no frameworks and no positions", func(t *testing.T) {
		fsys := embeddedCopy(t)
		for p := range fsys {
			if strings.HasPrefix(p, "competencies/") || strings.HasPrefix(p, "positions/") {
				delete(fsys, p)
			}
		}
		if err := schemas.ValidateAll(fsys); err != nil {
			t.Errorf("a tree without competencies/ and positions/ (an older --rules directory): %v", err)
		}
	})
}

// The position schema checks a POST /api/v1/positions body on its own.
func TestValidate_PositionBody(t *testing.T) {
	if err := schemas.Validate(schemas.PositionSchema, []byte(`[{"position": "Analis Kebijakan Ahli Muda", "standards": {"M.01": 3, "SK.01": 3, "T.KEB.01": 3}}]`)); err != nil {
		t.Error(err)
	}
	expectInvalid(t, schemas.Validate(schemas.PositionSchema, []byte(`[{"position": "Analis Kebijakan Ahli Muda", "standards": {"M.01": 0}}]`)),
		"", "not valid against positions/position.schema.json", "/0/standards/M.01: minimum: got 0, want 1")
}

// --- helpers

func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := fs.ReadFile(schemas.Files(), p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func encode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// clone deep-copies a decoded JSON object.
func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var c map[string]any
	_ = json.Unmarshal(b, &c)
	return c
}

func version(r map[string]any, i int) map[string]any {
	return r["versions"].([]any)[i].(map[string]any)
}

func target(d map[string]any, i int) map[string]any {
	return d["targets"].([]any)[i].(map[string]any)
}

func competency(d map[string]any, i int) map[string]any {
	return d["competencies"].([]any)[i].(map[string]any)
}

// framework is a competency framework file, decoded strictly.
type framework struct {
	Framework    string `json:"framework"`
	Source       string `json:"source"`
	Agency       string `json:"agency"`
	Competencies []struct {
		Code       string `json:"code"`
		Name       string `json:"name"`
		NameEN     string `json:"name_en"`
		Type       string `json:"type"`
		Definition string `json:"definition"`
		Levels     []struct {
			Level       int    `json:"level"`
			Description string `json:"description"`
		} `json:"levels"`
	} `json:"competencies"`
}

func readFramework(t *testing.T, p string) framework {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(read(t, p)))
	dec.DisallowUnknownFields()
	var fw framework
	if err := dec.Decode(&fw); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return fw
}

func ftoa(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// embeddedCopy is the embedded tree as a MapFS, for tests to break.
func embeddedCopy(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(schemas.Files(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(schemas.Files(), p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// expectInvalid checks err holds an *InvalidError for doc whose message
// contains every want.
func expectInvalid(t *testing.T, err error, doc string, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	var found bool
	for _, e := range unwrap(err) {
		var ie *schemas.InvalidError
		if errors.As(e, &ie) && ie.Document == doc {
			found = true
			for _, w := range want {
				if !strings.Contains(ie.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", ie.Error(), w)
				}
			}
		}
	}
	if !found {
		t.Errorf("error %v\nhas no *InvalidError for document %q", err, doc)
	}
}

// unwrap lists the errors joined in err.
func unwrap(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
