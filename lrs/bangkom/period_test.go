package bangkom_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/schemas"
)

// periodFacts: a PNS in WIB with coaching sessions (2 JP each, at most two
// a month) approved by a verifier, and a provider's 16-JP classroom course.
func periodFacts(t *testing.T) (bangkom.Facts, *bangkom.RuleSet) {
	t.Helper()
	rules, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	f := bangkom.Facts{Person: bangkom.Person{NIP: "199001012015011001", Type: "PNS", Timezone: "WIB"},
		Decisions: map[string][]bangkom.Decision{}, Voided: map[string]uint64{}}
	seq := uint64(0)
	coaching := func(at string) {
		seq++
		id := fmt.Sprintf("coaching-%d", seq)
		ts, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		f.Claims = append(f.Claims, bangkom.Claim{StatementID: id, Seq: seq, NIP: f.Person.NIP, Timestamp: ts, Activity: "https://e.go.id/coaching/" + id, Form: "NK-COACHING", By: "app"})
		seq++
		f.Decisions[id] = []bangkom.Decision{{StatementID: id + "-ok", Seq: seq, Claim: id, Approve: true, By: "bkpsdm", Verifier: true}}
	}
	coaching("2025-12-10T10:00:00+07:00")
	coaching("2025-12-31T20:00:00Z") // 1 January 2026 in WIB
	coaching("2026-03-10T10:00:00+07:00")
	coaching("2026-03-20T10:00:00+07:00")
	coaching("2026-03-31T10:00:00+07:00") // the third in March: capped to 0
	coaching("2026-04-05T10:00:00+07:00")
	coaching("2026-07-02T10:00:00+07:00")
	seq++
	jp := 16.0
	f.Claims = append(f.Claims, bangkom.Claim{StatementID: "teknis", Seq: seq, NIP: f.Person.NIP, Timestamp: time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC),
		Activity: "https://e.go.id/teknis", Form: "KLS-TEKNIS", DeclaredJP: &jp, By: "pusdiklat", Provider: true})
	return f, rules
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// A semester or quarter report keeps the learning dated in the period, its
// recognition worked out over the whole year: the third coaching session of
// March is capped by the two before it even when the period starts after
// them. Target and met are the year's, against learning dated up to the
// period's end; learning dated later changes nothing.
func TestComputeQuery_PeriodKeepsItemsDatedInItWithTheYearsCaps(t *testing.T) {
	f, rules := periodFacts(t)
	whole := bangkom.ComputeQuery(f, rules, bangkom.Query{Year: 2026})
	if whole.Recognized != 26 || whole.Period != nil {
		t.Fatalf("the year: recognized %g (want 26), period %+v", whole.Recognized, whole.Period)
	}
	rep := bangkom.ComputeQuery(f, rules, bangkom.Query{From: day("2026-03-25"), To: day("2026-06-30")})
	var dates []string
	for _, it := range rep.Items {
		dates = append(dates, fmt.Sprintf("%s:%g", it.Date, it.JPRecognized))
	}
	if fmt.Sprint(dates) != "[2026-03-31:0 2026-04-05:2 2026-05-01:16]" {
		t.Fatalf("items %v, want the capped 31 March, 5 April and 1 May", dates)
	}
	if rep.Recognized != 18 || rep.Pending != 0 || rep.Year != 2026 || rep.Target != 20 || !rep.Met {
		t.Fatalf("period totals: recognized %g, pending %g, year %d, target %g, met %v", rep.Recognized, rep.Pending, rep.Year, rep.Target, rep.Met)
	}
	if p := rep.Period; p == nil || p.From != "2026-03-25" || p.To != "2026-06-30" || len(p.Years) != 1 || p.Years[0].RecognizedToDate != 24 {
		t.Fatalf("period %+v: want 24 JP recognised from 1 January to 30 June", rep.Period)
	}
	if len(rep.ByForm) != 2 || rep.ByForm[0].Form != "KLS-TEKNIS" || rep.ByForm[0].Recognized != 16 || rep.ByForm[1].Recognized != 2 {
		t.Fatalf("by form %+v", rep.ByForm)
	}

	// The first quarter: 6 JP dated up to 31 March, below the target.
	q1 := bangkom.ComputeQuery(f, rules, bangkom.Query{To: day("2026-03-31")})
	if q1.Period.From != "2026-01-01" || q1.Recognized != 6 || q1.Met || len(q1.Items) != 4 {
		t.Fatalf("to=2026-03-31: from %s, recognized %g, met %v, %d items", q1.Period.From, q1.Recognized, q1.Met, len(q1.Items))
	}
	// From alone runs to the end of its year.
	if h2 := bangkom.ComputeQuery(f, rules, bangkom.Query{From: day("2026-07-01")}); h2.Period.To != "2026-12-31" || h2.Recognized != 2 || !h2.Met {
		t.Fatalf("from=2026-07-01: to %s, recognized %g, met %v", h2.Period.To, h2.Recognized, h2.Met)
	}
	// as_of still applies: before the approvals of 2026, nothing is recognised.
	if early := bangkom.ComputeQuery(f, rules, bangkom.Query{From: day("2026-01-01"), To: day("2026-06-30"), AsOf: 4}); early.Recognized != 2 || len(early.Items) != 1 {
		t.Fatalf("as of sequence 4: recognized %g, %d items", early.Recognized, len(early.Items))
	}
}

// A period across New Year works out each year on its own and dates each
// claim in the person's zone: 31 December 20:00 UTC is 1 January in WIB.
func TestComputeQuery_PeriodAcrossYearsInThePersonsZone(t *testing.T) {
	f, rules := periodFacts(t)
	rep := bangkom.ComputeQuery(f, rules, bangkom.Query{From: day("2025-12-01"), To: day("2026-01-31")})
	if len(rep.Items) != 2 || rep.Items[0].Date != "2025-12-10" || rep.Items[1].Date != "2026-01-01" || rep.Recognized != 4 {
		t.Fatalf("items %+v, recognized %g", rep.Items, rep.Recognized)
	}
	if p := rep.Period; len(p.Years) != 2 || p.Years[0].Year != 2025 || p.Years[0].RecognizedToDate != 2 || p.Years[1].Year != 2026 || p.Years[1].RecognizedToDate != 2 {
		t.Fatalf("years %+v", rep.Period.Years)
	}
	if rep.Year != 2026 || rep.Met {
		t.Fatalf("year %d met %v", rep.Year, rep.Met)
	}
	if empty := bangkom.ComputeQuery(f, rules, bangkom.Query{From: day("2026-02-01"), To: day("2026-01-31")}); len(empty.Items) != 0 || empty.Recognized != 0 {
		t.Fatalf("a period that ends before it begins: %+v", empty)
	}
}
