package bangkom_test

import (
	"strings"
	"testing"

	"time"

	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/schemas"
)

// claimJSON is a completion by an ASN account with the given extensions
// (raw JSON members) and actor homePage and name.
func claimJSON(homePage, name, ext string) string {
	return `{"id":"6f1c1c1e-0000-4000-8000-000000000001","stored":"2026-12-03T10:00:00Z","timestamp":"2026-12-02T09:00:00+07:00",
	"actor":{"objectType":"Agent","account":{"homePage":"` + homePage + `","name":"` + name + `"}},
	"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://lms.example.go.id/course/1"},
	"context":{"extensions":{` + ext + `}}}`
}

// Every statement meant as a claim that cannot count says why, with a
// stable code, a reason naming what to write instead, and the profile rule.
func TestDiagnoseClaim_EachProblemSaysWhy(t *testing.T) {
	rules, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	const nip = "199001012015011001"
	home := bangkom.DefaultHomePage
	form := `"` + bangkom.ExtForm + `":`
	jp := `"` + bangkom.ExtJP + `":`
	days := `"` + bangkom.ExtDays + `":`
	for _, tt := range []struct {
		name, stmt, code, reason string
	}{
		{"form not a code", claimJSON(home, nip, form+`"KLS-PELATIHAN"`), bangkom.ProblemFormUnknown, "closest code is KLS-PENATARAN"},
		{"form in lower case", claimJSON(home, nip, form+`"kls-teknis"`), bangkom.ProblemFormUnknown, "did you mean KLS-TEKNIS"},
		{"homePage with a trailing slash", claimJSON(home+"/", nip, form+`"KLS-TEKNIS"`), bangkom.ProblemHomePageWrong, `"https://siasn.bkn.go.id/" is not exactly`},
		{"homePage over http", claimJSON("http://siasn.bkn.go.id", nip, form+`"KLS-TEKNIS"`), bangkom.ProblemHomePageWrong, "not exactly"},
		{"invalid NIP", claimJSON(home, "199002302015011001", form+`"KLS-TEKNIS"`), bangkom.ProblemNIPInvalid, "not a valid birth date"},
		{"jp a string", claimJSON(home, nip, form+`"KLS-TEKNIS",`+jp+`"8"`), bangkom.ProblemJPNotANumber, "write 8 without quotes"},
		{"jp negative", claimJSON(home, nip, form+`"KLS-TEKNIS",`+jp+`-1`), bangkom.ProblemJPOutOfRange, "from 0 to 500"},
		{"jp above the form's bound", claimJSON(home, nip, form+`"KLS-TEKNIS",`+jp+`501`), bangkom.ProblemJPOutOfRange, "from 0 to 500"},
		{"jp not finite", claimJSON(home, nip, form+`"KLS-TEKNIS",`+jp+`1e400`), bangkom.ProblemJPOutOfRange, "from 0"},
		{"days a string", claimJSON(home, nip, form+`"KLS-SEMINAR",`+days+`"2"`), bangkom.ProblemDaysNotANumber, "not a number"},
		{"days zero", claimJSON(home, nip, form+`"KLS-SEMINAR",`+days+`0`), bangkom.ProblemDaysOutOfRange, "1 to 366"},
		{"days a fraction", claimJSON(home, nip, form+`"KLS-SEMINAR",`+days+`1.5`), bangkom.ProblemDaysOutOfRange, "1 to 366"},
		{"no form", claimJSON(home, nip, ``), bangkom.ProblemFormMissing, "names no form"},
		{"form a number", claimJSON(home, nip, form+`7`), bangkom.ProblemFormUnknown, "not a form code"},
		{"Bangkom form, actor on another system", claimJSON("https://lms.example.go.id", "budi", form+`"KLS-TEKNIS"`), bangkom.ProblemActorNotASN, "is not https://siasn.bkn.go.id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := fastjson.MustParse(tt.stmt)
			_, p, ok := bangkom.DiagnoseClaim(st, 7, bangkom.Writer{Key: "lms"}, home, rules, noCatalogue)
			if ok || p == nil {
				t.Fatalf("counted (ok %v) or no problem: %+v", ok, p)
			}
			if p.Code != tt.code || !strings.Contains(p.Reason, tt.reason) {
				t.Fatalf("problem %s %q, want %s with %q", p.Code, p.Reason, tt.code, tt.reason)
			}
			if p.Rule == "" || p.Credential != "lms" || p.Seq != 7 || p.StatementID == "" || p.Stored.IsZero() {
				t.Fatalf("problem lacks its rule or where it came from: %+v", p)
			}
			if _, ok := bangkom.ClaimFrom(st, 7, bangkom.Writer{Key: "lms"}, home, rules, noCatalogue); ok {
				t.Fatal("ClaimFrom reads it as a claim")
			}
		})
	}
}

// A sound claim is a claim; statements not meant as claims (another verb,
// no Bangkom extension and an actor of another system) are neither.
func TestDiagnoseClaim_SoundClaimsAndOtherStatementsAreNoProblem(t *testing.T) {
	rules, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	const nip = "199001012015011001"
	home := bangkom.DefaultHomePage
	c, p, ok := bangkom.DiagnoseClaim(fastjson.MustParse(claimJSON(home, nip, `"`+bangkom.ExtForm+`":"KLS-TEKNIS","`+bangkom.ExtJP+`":8`)), 1, bangkom.Writer{Key: "lms"}, home, rules, noCatalogue)
	if !ok || p != nil || c.DeclaredJP == nil || *c.DeclaredJP != 8 {
		t.Fatalf("a sound claim: ok %v, problem %+v, claim %+v", ok, p, c)
	}
	progressed := strings.Replace(claimJSON(home, nip, `"`+bangkom.ExtForm+`":"kls-teknis"`), "verbs/completed", "verbs/progressed", 1)
	other := claimJSON("https://lms.example.go.id", "budi", ``)
	for _, s := range []string{progressed, other} {
		if _, p, ok := bangkom.DiagnoseClaim(fastjson.MustParse(s), 1, bangkom.Writer{Key: "lms"}, home, rules, noCatalogue); ok || p != nil {
			t.Fatalf("not meant as a claim, got ok %v, problem %+v: %s", ok, p, s)
		}
	}
}

func noCatalogue(string) (bangkom.CatalogueEntry, bool) { return bangkom.CatalogueEntry{}, false }

// Problems judged when read: attended and passed of a course whose
// completion counts are listed as duplicates of it, and a course dated
// after today as counting from its date; the counted claim is no problem.
func TestJudgedProblems_DuplicatesAndFutureDates(t *testing.T) {
	rules := embeddedRules(t)
	const course = "https://lms.example.go.id/course/k1"
	f := dewiFacts(
		learnt("a", 1, attended, course, "2026-03-02T09:00:00+07:00", 16),
		learnt("c", 2, completed, course, "2026-03-02T15:00:00+07:00", 16),
		learnt("p", 3, passed, course, "2026-03-02T16:00:00+07:00", 16),
		learnt("f", 4, completed, "https://lms.example.go.id/course/akhir-tahun", "2026-12-28T09:00:00+07:00", 16),
	)
	got := bangkom.JudgedProblems(f, rules, time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), 0)
	var s []string
	for _, p := range got {
		s = append(s, p.StatementID+":"+p.Code+"→"+p.DuplicateOf)
		if p.Reason == "" || p.Rule == "" || p.NIP != string(dewi) {
			t.Errorf("problem without its reason, rule or NIP: %+v", p)
		}
	}
	if want := "a:duplicate→c p:duplicate→c f:future_date→"; strings.Join(s, " ") != want {
		t.Fatalf("judged problems %q, want %q", strings.Join(s, " "), want)
	}
	if got := bangkom.JudgedProblems(f, rules, time.Date(2026, 12, 29, 0, 0, 0, 0, time.UTC), 0); len(got) != 2 {
		t.Fatalf("after its date the course is no problem: %+v", got)
	}
	// A counted claim with no activity name (no definition.name, not in the
	// catalogue) counts, and is listed: its SIASN row would have no namaKursus.
	noName := learnt("n", 5, completed, "https://lms.example.go.id/course/tanpa-nama", "2026-04-06T09:00:00+07:00", 8)
	noName.ActivityName = ""
	got = bangkom.JudgedProblems(dewiFacts(noName), rules, time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), 0)
	if len(got) != 1 || got[0].Code != bangkom.ProblemNameMissing || got[0].StatementID != "n" {
		t.Fatalf("judged problems of a claim with no name: %+v, want one name_missing", got)
	}
	if rep := bangkom.Compute(dewiFacts(noName), rules, 2026, 0); rep.Recognized != 8 {
		t.Fatalf("a claim with no name still counts: recognised %g, want 8", rep.Recognized)
	}
}
