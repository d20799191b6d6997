package bangkom_test

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/schemas"
)

const (
	dewi      = bangkom.NIP("198703142010122001")
	attended  = "http://adlnet.gov/expapi/verbs/attended"
	completed = "http://adlnet.gov/expapi/verbs/completed"
	passed    = "http://adlnet.gov/expapi/verbs/passed"
)

func embeddedRules(t *testing.T) *bangkom.RuleSet {
	t.Helper()
	rules, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

// learnt is a claim of Dewi's (WIB) on activity, a provider's KLS-TEKNIS
// declaring jp unless changed.
func learnt(id string, seq uint64, verb, activity, at string, jp float64) bangkom.Claim {
	ts, err := time.Parse(time.RFC3339, at)
	if err != nil {
		panic(err)
	}
	return bangkom.Claim{StatementID: id, Seq: seq, NIP: dewi, Timestamp: ts.UTC(), Verb: verb, Activity: activity,
		ActivityName: "Kursus " + id,
		Form:         "KLS-TEKNIS", DeclaredJP: &jp, Days: 1, By: "lms", Provider: true}
}

func dewiFacts(claims ...bangkom.Claim) bangkom.Facts {
	return bangkom.Facts{Person: bangkom.Person{NIP: dewi, Name: "Dewi", Type: "PNS", Timezone: "WIB", SupervisorNIP: "197805152003121002"},
		Claims: claims, Decisions: map[string][]bangkom.Decision{}, Voided: map[string]uint64{}}
}

// states lists "id:state" (and "→counted" for a duplicate) of a report's items.
func states(rep bangkom.YearReport) string {
	var out []string
	for _, it := range rep.Items {
		s := it.StatementID + ":" + it.State
		if it.DuplicateOf != "" {
			s += "→" + it.DuplicateOf
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// Of the statements of one learning, a completion (completed or passed)
// counts over an attendance, and the first in the log among equals,
// whatever order the verbs come in.
func TestComputeQuery_CompletionCountsOverAttendance(t *testing.T) {
	rules := embeddedRules(t)
	const course = "https://lms.example.go.id/course/1"
	tests := []struct {
		name   string
		claims []bangkom.Claim
		want   string
	}{
		{"attended, completed, passed", []bangkom.Claim{
			learnt("a", 1, attended, course, "2026-02-12T08:00:00+07:00", 16),
			learnt("c", 2, completed, course, "2026-02-12T16:00:00+07:00", 16),
			learnt("p", 3, passed, course, "2026-02-12T16:05:00+07:00", 16),
		}, "a:duplicate→c c:approved p:duplicate→c"},
		{"passed before completed", []bangkom.Claim{
			learnt("p", 1, passed, course, "2026-02-12T16:05:00+07:00", 16),
			learnt("c", 2, completed, course, "2026-02-12T16:00:00+07:00", 16),
			learnt("a", 3, attended, course, "2026-02-12T08:00:00+07:00", 16),
		}, "p:approved c:duplicate→p a:duplicate→p"},
		{"attendance only, twice", []bangkom.Claim{
			learnt("a1", 1, attended, course, "2026-02-12T08:00:00+07:00", 16),
			learnt("a2", 2, attended, course, "2026-02-12T08:00:00+07:00", 16),
		}, "a1:approved a2:duplicate→a1"},
		{"a completion arriving after its attendance takes over", []bangkom.Claim{
			learnt("a", 1, attended, course, "2026-02-12T08:00:00+07:00", 16),
			learnt("c", 7, completed, course, "2026-02-12T07:00:00+07:00", 16),
		}, "a:duplicate→c c:approved"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := bangkom.ComputeQuery(dewiFacts(tc.claims...), rules, bangkom.Query{Year: 2026})
			if got := states(rep); got != tc.want {
				t.Fatalf("items %s, want %s", got, tc.want)
			}
			if rep.Recognized != 16 {
				t.Fatalf("recognised %g, want 16", rep.Recognized)
			}
		})
	}
}

// The counted statement's own JP count: a completion that declares 20 JP
// beside an attendance that declared 16 counts 20, never 36.
func TestComputeQuery_CountedStatementsJP(t *testing.T) {
	rules := embeddedRules(t)
	const course = "https://lms.example.go.id/course/1"
	rep := bangkom.ComputeQuery(dewiFacts(
		learnt("a", 1, attended, course, "2026-02-12T08:00:00+07:00", 16),
		learnt("c", 2, completed, course, "2026-02-12T16:00:00+07:00", 20),
	), rules, bangkom.Query{Year: 2026})
	if rep.Recognized != 20 || rep.Pending != 0 {
		t.Fatalf("recognised %g, pending %g; want 20, 0: %s", rep.Recognized, rep.Pending, states(rep))
	}
	for _, it := range rep.Items {
		if it.State == bangkom.Duplicate && (it.JPClaimed != 0 || it.JPRecognized != 0 || it.AwaitsDecision()) {
			t.Fatalf("a duplicate counts something: %+v", it)
		}
	}
}

// Identity keys: a registration groups statements across dates and years
// (the attendance in December 2025 is a duplicate of the January
// completion, in the 2025 report too); without one the local date
// separates them; "statement" makes each statement its own claim.
func TestComputeQuery_IdentityKeys(t *testing.T) {
	rules := embeddedRules(t)
	const course = "https://lms.example.go.id/course/1"
	reg := func(c bangkom.Claim, r string) bangkom.Claim { c.Registration = r; return c }
	f := dewiFacts(
		reg(learnt("a", 1, attended, course, "2025-12-29T08:00:00+07:00", 30), "R1"),
		reg(learnt("c", 2, completed, course, "2026-01-02T16:00:00+07:00", 30), "R1"),
		learnt("x", 3, completed, course, "2026-03-01T23:30:00+07:00", 8), // 1 March in WIB, 16:30 UTC
		learnt("y", 4, completed, course, "2026-03-02T00:30:00+07:00", 8), // 2 March in WIB, 1 March UTC
	)
	if got, want := states(bangkom.ComputeQuery(f, rules, bangkom.Query{Year: 2025})), "a:duplicate→c"; got != want {
		t.Fatalf("2025: %s, want %s", got, want)
	}
	rep := bangkom.ComputeQuery(f, rules, bangkom.Query{Year: 2026})
	if got, want := states(rep), "c:approved x:approved y:approved"; got != want {
		t.Fatalf("2026: %s, want %s", got, want)
	}
	if rep.Recognized != 46 {
		t.Fatalf("2026 recognised %g, want 46", rep.Recognized)
	}
	// A form whose identity is the statement: every statement counts.
	rules.Forms["KLS-TEKNIS"].ClaimIdentity = &bangkom.ClaimIdentity{Keys: []string{bangkom.KeyPerson, bangkom.KeyStatement}}
	defer func() { rules.Forms["KLS-TEKNIS"].ClaimIdentity = nil }()
	if got, want := states(bangkom.ComputeQuery(f, rules, bangkom.Query{Year: 2025})), "a:approved"; got != want {
		t.Fatalf("by statement, 2025: %s, want %s", got, want)
	}
}

// A claim dated after the report's day (in the person's zone) is pending
// and says from when it counts; it still awaits a decision if it had none,
// and a zero Now (Compute) makes no such check.
func TestComputeQuery_FutureDatedClaimCountsFromItsDate(t *testing.T) {
	rules := embeddedRules(t)
	f := dewiFacts(learnt("f", 1, completed, "https://lms.example.go.id/course/akhir-tahun", "2026-12-28T09:00:00+07:00", 16))
	coaching := learnt("k", 2, completed, "https://coaching.example.go.id/sesi/1", "2026-12-29T09:00:00+07:00", 0)
	coaching.Form, coaching.Provider, coaching.DeclaredJP = "NK-COACHING", false, nil
	f.Claims = append(f.Claims, coaching)
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	rep := bangkom.ComputeQuery(f, rules, bangkom.Query{Year: 2026, Now: now})
	if rep.Recognized != 0 || rep.Pending != 18 {
		t.Fatalf("recognised %g, pending %g; want 0, 18", rep.Recognized, rep.Pending)
	}
	fi, ki := rep.Items[0], rep.Items[1]
	if fi.State != bangkom.Pending || fi.ApprovedBy != "" || !strings.Contains(fi.Note, "dated 2026-12-28: counts from that date") {
		t.Fatalf("future course: %+v", fi)
	}
	if fi.AwaitsDecision() {
		t.Fatal("a provider's course approved on arrival awaits a decision")
	}
	if ki.State != bangkom.Pending || !ki.AwaitsDecision() {
		t.Fatalf("future coaching: %+v, awaits %v", ki, ki.AwaitsDecision())
	}
	// on its date in WIB (27 December 17:00 UTC is 28 December 00:00 WIB)
	rep = bangkom.ComputeQuery(f, rules, bangkom.Query{Year: 2026, Now: time.Date(2026, 12, 27, 17, 0, 0, 0, time.UTC)})
	if rep.Recognized != 16 || rep.Items[0].State != bangkom.Approved {
		t.Fatalf("on its date: recognised %g, %s", rep.Recognized, states(rep))
	}
	if rep := bangkom.Compute(f, rules, 2026, 0); rep.Recognized != 16 {
		t.Fatalf("Compute checks dates: recognised %g", rep.Recognized)
	}
}

// An international uplift states its working on the item: exact, or
// rounded down as the rule's uplift_rounding says.
func TestComputeQuery_UpliftNote(t *testing.T) {
	rules := embeddedRules(t)
	for _, tc := range []struct {
		jp   float64
		want float64
		note string
	}{
		{7, 8, "international uplift: 7 JP × 1.2 = 8.4, rounded down to 8 JP"},
		{15, 18, "international uplift: 15 JP × 1.2 = 18 JP"},
		{23, 27, "international uplift: 23 JP × 1.2 = 27.6, rounded down to 27 JP"},
	} {
		c := learnt("u", 1, completed, "https://lms.example.go.id/course/abroad", "2026-05-22T16:00:00+07:00", tc.jp)
		c.International = true
		it := bangkom.ComputeQuery(dewiFacts(c), rules, bangkom.Query{Year: 2026}).Items[0]
		if it.JPClaimed != tc.want || it.Note != tc.note {
			t.Errorf("%g JP abroad: claimed %g, note %q; want %g, %q", tc.jp, it.JPClaimed, it.Note, tc.want, tc.note)
		}
	}
	if v, _ := rules.Forms["KLS-TEKNIS"].At(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); v.UpliftRounding != "down" {
		t.Fatalf("KLS-TEKNIS uplift_rounding %q, want down", v.UpliftRounding)
	}
}

// The rules name the identity: the default in targets.json, an override
// per form; LoadRules refuses an identity without the person or with a key
// the engine does not know.
func TestLoadRules_ClaimIdentity(t *testing.T) {
	rules := embeddedRules(t)
	if got := strings.Join(rules.Identity("KLS-TEKNIS").Keys, ","); got != "person,activity,registration_or_date" {
		t.Fatalf("default identity %s", got)
	}
	if got := strings.Join(rules.Identity("WPL-KMS").Keys, ","); got != "person,activity,registration" {
		t.Fatalf("WPL-KMS identity %s", got)
	}
	rule := func(identity string) []byte {
		return []byte(`{"form":"KLS-LAIN","name":"x","category":"klasikal","siasn_jenis_diklat_id":13,"classroom":true,"claim_identity":` + identity +
			`,"versions":[{"version":"2026.1","valid_from":"2026-01-01","valid_to":null,"source":"s","basis":"P","unit":"declared","jp":null,"jp_international":null,"international_uplift":null,"caps":[],"cap_form":null}]}`)
	}
	targets, _ := json.Marshal(map[string]any{"minutes_per_jp": 45, "targets": []any{}})
	for identity, want := range map[string]string{
		`{"keys":["activity","date"]}`:    "must include the key person",
		`{"keys":["person","course"]}`:    `key "course" is not one of`,
		`{"keys":["person","statement"]}`: "",
	} {
		_, err := bangkom.LoadRules(fstest.MapFS{"jp-rules/KLS-LAIN.json": {Data: rule(identity)}, "jp-rules/targets.json": {Data: targets}})
		if (err == nil) != (want == "") || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("identity %s: %v, want %q", identity, err, want)
		}
	}
}
