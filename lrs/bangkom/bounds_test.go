package bangkom_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/schemas"
)

// Every Bangkom number is checked before it is written: the error names
// the JSON path and the bound.
func TestCheckStatement_BangkomNumbers(t *testing.T) {
	rules, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	claim := func(form, ext string) string {
		return `{"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://e.go.id/x"},"context":{"extensions":{"` +
			bangkom.ExtForm + `":"` + form + `"` + ext + `}}}`
	}
	jp := func(v string) string { return `,"` + bangkom.ExtJP + `":` + v }
	days := func(v string) string { return `,"` + bangkom.ExtDays + `":` + v }
	assess := func(raw string) string {
		return `{"verb":{"id":"` + bangkom.VerbAssessed + `"},"object":{"id":"` + bangkom.CompetencyPrefix + `M.01"},"result":{"score":{"raw":` + raw + `}}}`
	}
	for _, tt := range []struct {
		name, st, wantErr string
	}{
		{"declared JP", claim("KLS-TEKNIS", jp("16")), ""},
		{"zero", claim("KLS-TEKNIS", jp("0")), ""},
		{"minus zero", claim("KLS-TEKNIS", jp("-0")), ""},
		{"subnormal", claim("KLS-TEKNIS", jp("1e-320")), ""},
		{"the form's maximum", claim("KLS-TEKNIS", jp("500")), ""},
		{"beyond float64", claim("KLS-TEKNIS", jp("1e400")), bangkom.ExtJP + ": 1e400 is not a finite number"},
		{"huge", claim("KLS-TEKNIS", jp("1e308")), bangkom.ExtJP + ": 1e308 is more than the 500 JP one claim of form KLS-TEKNIS may declare"},
		{"above the form's maximum", claim("KLS-TEKNIS", jp("501")), "500 JP"},
		{"above the form's maximum, e-learning", claim("NK-ELEARN", jp("101")), "100 JP one claim of form NK-ELEARN"},
		{"unknown form: the absolute maximum", claim("KLS-NOPE", jp("1001")), "1000 JP one claim of any form"},
		{"no form: the absolute maximum", `{"context":{"extensions":{"` + bangkom.ExtJP + `":1e308}}}`, "1000 JP"},
		{"negative", claim("KLS-TEKNIS", jp("-1")), bangkom.ExtJP + ": -1 is negative"},
		{"a string", claim("KLS-TEKNIS", jp(`"8"`)), bangkom.ExtJP + ": must be a JSON number, not string"},
		{"NaN as a string", claim("KLS-TEKNIS", jp(`"NaN"`)), "must be a JSON number"},
		{"Infinity as a string", claim("KLS-TEKNIS", jp(`"Infinity"`)), "must be a JSON number"},
		{"days", claim("KLS-SEMINAR", days("3")), ""},
		{"a year of days", claim("KLS-SEMINAR", days("366")), ""},
		{"huge days", claim("KLS-SEMINAR", days("99999999999")), bangkom.ExtDays + ": 99999999999 is not a whole number of days from 1 to 366"},
		{"days beyond float64", claim("KLS-SEMINAR", days("1e400")), bangkom.ExtDays + ": 1e400 is not a finite number"},
		{"no days", claim("KLS-SEMINAR", days("0")), "from 1 to 366"},
		{"half a day", claim("KLS-SEMINAR", days("1.5")), "whole number"},
		{"days as a string", claim("KLS-SEMINAR", days(`"2"`)), "must be a JSON number"},
		{"a level", assess("3"), ""},
		{"a huge level", assess("1e308"), "result.score.raw: 1e308 is not a competency level from 1 to 5"},
		{"level zero", assess("0"), "from 1 to 5"},
		{"no Bangkom vocabulary", `{"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"result":{"score":{"raw":1e308}}}`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, err := fastjson.Parse(tt.st)
			if err != nil {
				t.Fatal(err)
			}
			err = bangkom.CheckStatement(v, rules)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("CheckStatement = %v, want error %q", err, tt.wantErr)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "context.extensions.") && !strings.HasPrefix(err.Error(), "result.score.raw") {
				t.Fatalf("the error %q does not begin with the JSON path", err)
			}
		})
	}
}

// Each rule that counts declared JP or minutes names the most one claim
// counts; the shipped rules all do.
func TestRules_DeclaredAndDurationFormsAreBounded(t *testing.T) {
	rules, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	for form, r := range rules.Forms {
		for _, v := range r.Versions {
			bounded := v.MaxJPPerClaim != nil && *v.MaxJPPerClaim >= 1 && *v.MaxJPPerClaim <= bangkom.MaxDeclaredJP
			if (v.Unit == bangkom.UnitDeclared || v.Unit == bangkom.UnitDuration) && !bounded {
				t.Errorf("%s@%s (%s) names no max_jp_per_claim within 1..%d", form, v.Version, v.Unit, bangkom.MaxDeclaredJP)
			}
		}
	}
}

// Supervisor cycles are found through the entries named, whatever their
// length; a cycle among other entries only is not theirs to answer for.
func TestSupervisorCycles(t *testing.T) {
	const a, b, c, d, e = "A", "B", "C", "D", "E"
	for _, tt := range []struct {
		name string
		sup  map[bangkom.NIP]bangkom.NIP
		from []bangkom.NIP
		want string
	}{
		{"a chain", map[bangkom.NIP]bangkom.NIP{a: b, b: c}, []bangkom.NIP{a, b, c}, ""},
		{"two", map[bangkom.NIP]bangkom.NIP{a: b, b: a}, []bangkom.NIP{a, b}, "A B A"},
		{"three, found from the middle", map[bangkom.NIP]bangkom.NIP{a: b, b: c, c: a}, []bangkom.NIP{b}, "B C A B"},
		{"a tail into a new cycle", map[bangkom.NIP]bangkom.NIP{e: a, a: b, b: c, c: a}, []bangkom.NIP{e, c}, "A B C A"},
		{"a tail into an old cycle", map[bangkom.NIP]bangkom.NIP{e: a, a: b, b: c, c: a}, []bangkom.NIP{e}, ""},
		{"an old cycle not reached", map[bangkom.NIP]bangkom.NIP{a: b, b: a, d: e}, []bangkom.NIP{d}, ""},
		{"two cycles", map[bangkom.NIP]bangkom.NIP{a: b, b: a, c: d, d: c}, []bangkom.NIP{a, c}, "A B A|C D C"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, cycle := range bangkom.SupervisorCycles(tt.sup, tt.from) {
				parts := make([]string, len(cycle))
				for i, n := range cycle {
					parts[i] = string(n)
				}
				got = append(got, strings.Join(parts, " "))
			}
			if s := strings.Join(got, "|"); s != tt.want {
				t.Fatalf("cycles %q, want %q", s, tt.want)
			}
		})
	}
}

// A registry file with a supervisor cycle is refused whole, naming the
// cycle's NIPs.
func TestReadPeopleCSV_SupervisorCycle(t *testing.T) {
	csv := "nip,name,unit,type,timezone,supervisor_nip\n" +
		"199001012015011001,Siti,U1,PNS,WIB,197805152003121002\n" +
		"197805152003121002,Budi,U1,PNS,WIB,198203042006041003\n" +
		"198203042006041003,Ani,U1,PNS,WIB,199001012015011001\n"
	people, err := bangkom.ReadPeopleCSV(strings.NewReader(csv))
	want := "supervisor cycle 199001012015011001 → 197805152003121002 → 198203042006041003 → 199001012015011001"
	if err == nil || !strings.Contains(err.Error(), want) || people != nil {
		t.Fatalf("ReadPeopleCSV = %v, %v; want no people and an error naming %q", people, err, want)
	}
}

// errorLine is how every line of a registry import error begins: the line
// of the file it is about, or the file as a whole.
var errorLine = regexp.MustCompile(`^(line [0-9]+: |the file has no people after its header$)`)

// Whatever a registry CSV holds, ReadPeopleCSV either refuses it, every
// line of the error naming the line of the file it is about, or returns
// people that each pass Check, with no NIP twice and no supervisor cycle,
// and that read back equal from the JSON the import appends to the log and
// from the CSV they make (jejak people import).
func FuzzReadPeopleCSV(f *testing.F) {
	const header = "nip,name,unit,position,type,timezone,supervisor_nip\n"
	f.Add(header + "199001012015011001,Siti,U1,Analis,PNS,WIB,197805152003121002\n197805152003121002,Budi,U1,Kabid,PNS,WIB,\n")
	f.Add(header + "199001012015011001,Siti,U1,Analis,PNS,WIB,197805152003121002\n197805152003121002,Budi,U1,Kabid,PNS,WIB,199001012015011001\n")
	f.Add(header + "199001012015011001,\"=HYPERLINK(\"\"x\"\")\",\"Biro Umum; Keu:=/&\",,pppk,wita,\n")
	f.Add("\ufeffNIP,Name,Unit,Type,Timezone\n199001012015011001,Siti,U1,PNS,WIT\n")
	f.Add(header + "\"unterminated\n")
	f.Add(header + "199001012015011001,\"Siti, S.Kom\",\"Biro \"\"Umum\"\"\",Analis,PNS,WITA,\n197805152003121002,Budi,U1,,PPPK,WIT,\n")
	f.Add(header + "199001012015011001,\"Siti\nNurhaliza\",U1,Analis,PNS,WIB,\n")
	f.Add(header + "199001012015011001,Siti\x00,U1,Analis,PNS,WIB,\n")
	f.Add(header + "199001012015011001,Siti\xff,U1,Analis,PNS,WIB,\n")
	f.Add(header)
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		people, err := bangkom.ReadPeopleCSV(strings.NewReader(in))
		if err != nil {
			if people != nil {
				t.Fatalf("an error (%v) with people", err)
			}
			for _, l := range strings.Split(err.Error(), "\n") {
				if !errorLine.MatchString(l) {
					t.Fatalf("error line %q names no line of the file", l)
				}
			}
			return
		}
		// The import appends the people as JSON; the view reads them back.
		b, err := json.Marshal(people)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := bangkom.ReadPeopleJSON(b); err != nil || !slices.Equal(back, people) {
			t.Fatalf("through JSON %s: %+v, %v; want %+v", b, back, err, people)
		}
		// The same people written as a registry CSV read back equal.
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write(strings.Split(strings.TrimSuffix(header, "\n"), ","))
		for _, p := range people {
			w.Write([]string{string(p.NIP), p.Name, p.Unit, p.Position, p.Type, p.Timezone, string(p.SupervisorNIP)})
		}
		w.Flush()
		if again, err := bangkom.ReadPeopleCSV(&buf); err != nil || !slices.Equal(again, people) {
			t.Fatalf("through CSV: %+v, %v; want %+v", again, err, people)
		}
		sup := map[bangkom.NIP]bangkom.NIP{}
		var from []bangkom.NIP
		for i, p := range people {
			if err := p.Check(i + 2); err != nil {
				t.Fatalf("entry %d accepted but fails Check: %v", i, err)
			}
			if _, dup := sup[p.NIP]; dup {
				t.Fatalf("NIP %s accepted twice", p.NIP)
			}
			sup[p.NIP] = p.SupervisorNIP
			from = append(from, p.NIP)
		}
		if c := bangkom.SupervisorCycles(sup, from); len(c) > 0 {
			t.Fatalf("accepted with supervisor cycles %v", c)
		}
	})
}

// Whatever numbers a claim already in the log holds, its report encodes
// as JSON and every JP in it is finite and within the rule's bound.
func FuzzCompute_Bounded(f *testing.F) {
	rules, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		f.Fatal(err)
	}
	forms := make([]string, 0, len(rules.Forms))
	for form := range rules.Forms {
		forms = append(forms, form)
	}
	slices.Sort(forms)
	f.Add(uint8(0), 1e308, 1e308, int64(1<<40), true, true)
	f.Add(uint8(3), math.Inf(1), math.NaN(), int64(-5), true, false)
	f.Add(uint8(7), -1.0, math.Inf(-1), int64(0), false, true)
	f.Add(uint8(9), math.Copysign(0, -1), 5e-324, int64(366), true, true)
	f.Fuzz(func(t *testing.T, formIx uint8, declared, minutes float64, days int64, intl, provider bool) {
		form := forms[int(formIx)%len(forms)]
		c := bangkom.Claim{StatementID: "c1", Seq: 1, NIP: "199001012015011001", Timestamp: time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC),
			Form: form, DeclaredJP: &declared, Minutes: &minutes, Days: int(days), International: intl, Provider: provider, By: "p"}
		facts := bangkom.Facts{Person: bangkom.Person{NIP: "199001012015011001", Type: "PNS", Timezone: "WIB"}, Claims: []bangkom.Claim{c, c}}
		facts.Claims[1].StatementID, facts.Claims[1].Seq = "c2", 2
		rep := bangkom.Compute(facts, rules, 2026, 0)
		if _, err := json.Marshal(rep); err != nil {
			t.Fatalf("%s: the report does not encode: %v", form, err)
		}
		for _, it := range rep.Items {
			for _, jp := range []float64{it.JPClaimed, it.JPRecognized} {
				// the most a claim can count: 1000 JP uplifted by 20%, or 7 JP a day abroad for 366 days
				if math.IsNaN(jp) || jp < 0 || jp > math.Max(1.2*bangkom.MaxDeclaredJP, 7*bangkom.MaxDays) {
					t.Fatalf("%s: JP %v out of bounds: %+v", form, jp, it)
				}
			}
		}
	})
}
