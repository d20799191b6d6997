package projections_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/schemas"
)

// A log written before Jejak bounded the Bangkom numbers may hold claims
// with any number at all. Folded into the view, a declared JP or days
// outside the profile's bounds makes no claim and is listed as not
// counted; minutes are counted up to the rule's bound; every report stays
// finite and encodes as JSON.
func TestJP_HostileNumbersInAnOldLogAreBoundedOrNotCounted(t *testing.T) {
	rules := loadRules(t)
	fw, err := bangkom.LoadFrameworks(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	const siti = "199001012015011001"
	ptr := func(f float64) *float64 { return &f }
	sc := scenario{Year: 2026, Events: []scenarioEvent{
		{People: []bangkom.Person{{NIP: siti, Name: "Siti", Unit: "U1", Position: "Analis", Type: "PNS", Timezone: "WIB"}}},
		{Positions: []map[string]any{{"position": "Analis", "standards": map[string]int{"M.01": 3, "M.02": 3}}}},
		// sentinels, replaced below by numbers json.Marshal cannot write
		{Ref: "inf", NIP: siti, Form: "KLS-TEKNIS", JP: ptr(7001), Timestamp: "2026-03-02T09:00:00+07:00", By: "p", Roles: []string{lrs.RoleProvider}},
		{Ref: "big-intl", NIP: siti, Form: "KLS-TEKNIS", JP: ptr(1e308), Scope: "internasional", Timestamp: "2026-03-03T09:00:00+07:00", By: "p", Roles: []string{lrs.RoleProvider}, Competencies: []string{"M.01"}},
		{Ref: "neg", NIP: siti, Form: "KLS-TEKNIS", JP: ptr(-1), Timestamp: "2026-03-04T09:00:00+07:00", By: "p", Roles: []string{lrs.RoleProvider}},
		{Ref: "days", NIP: siti, Form: "KLS-SEMINAR", Days: 1 << 40, Scope: "internasional", Timestamp: "2026-03-05T09:00:00+07:00", By: "p", Roles: []string{lrs.RoleProvider}},
		{Ref: "minutes", NIP: siti, Form: "NK-MANDIRI", Duration: "PT" + strings.Repeat("9", 307) + "H", Timestamp: "2026-03-06T09:00:00+07:00"},
		{Ref: "micro", NIP: siti, Form: "WPL-MICRO", Duration: "PT" + strings.Repeat("9", 307) + "H", Timestamp: "2026-03-07T09:00:00+07:00", By: "p", Roles: []string{lrs.RoleProvider}},
		{Ref: "ok-micro", Decide: "approved", Claim: "micro", Approver: "197805152003121002", By: "v", Roles: []string{lrs.RoleVerifier}},
		{Ref: "nan", NIP: siti, Form: "KLS-TEKNIS", JP: ptr(7002), Timestamp: "2026-03-08T09:00:00+07:00", By: "p", Roles: []string{lrs.RoleProvider}},
		{Ref: "lvl1", NIP: siti, Assess: "M.01", Level: 1e308, Timestamp: "2026-02-01T09:00:00+07:00", By: "ac", Roles: []string{lrs.RoleAssessor}},
		{Ref: "lvl2", NIP: siti, Assess: "M.02", Level: 7003, Timestamp: "2026-02-01T09:00:00+07:00", By: "ac", Roles: []string{lrs.RoleAssessor}},
	}}
	evs, _ := scenarioLog(t, sc)
	// Numbers beyond float64 (1e400), NaN and -1e400 as an old log may hold them,
	// in events re-encoded around the changed payloads.
	var prev lrs.Hash
	for i, ev := range evs {
		var fp fastjson.Parser
		env, err := lrs.DecodeEnvelope(&fp, ev.Data)
		if err != nil {
			t.Fatal(err)
		}
		p := strings.NewReplacer(":7001", ":1e400", ":7002", ":-1e400", ":7003", ":1e400").Replace(env.Payload.String())
		data := lrs.EncodeEnvelope(nil, env.Type, env.V, ev.Seq, "default", time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), prev, []byte(p))
		prev = lrs.HashEvent(data)
		evs[i] = lrs.LogEvent{Seq: ev.Seq, Data: data}
	}
	ix := openJP(t, rules)
	if err := ix.Apply(evs); err != nil {
		t.Fatal(err)
	}
	facts, found, err := ix.Facts(context.Background(), siti, 0)
	if err != nil || !found {
		t.Fatalf("facts: found %v, %v", found, err)
	}
	rep := bangkom.Compute(facts, rules, 2026, 0)
	comp := bangkom.ComputeCompetencies(facts, rules, fw, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 0)
	for _, v := range []any{rep, comp} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("the report does not encode as JSON: %v", err)
		}
		assertFiniteJSON(t, b, 1e5)
	}
	byID := map[string]bangkom.Item{}
	for _, it := range rep.Items {
		byID[it.StatementID] = it
	}
	item := func(ref string) bangkom.Item { return byID[refID(ref).String()] }
	for _, c := range []struct {
		ref  string
		want float64
	}{
		{"minutes", 100}, // pending, bounded by NK-MANDIRI max_jp_per_claim
	} {
		if got := item(c.ref).JPClaimed; got != c.want {
			t.Errorf("%s: jp_claimed %v, want %v (%+v)", c.ref, got, c.want, item(c.ref))
		}
	}
	if n := item("minutes").Note; !strings.Contains(n, "bounded") {
		t.Errorf("the bounded item says %q, want a note that it was bounded", n)
	}
	// Declared JP and days outside the profile's bounds make no claim: each
	// is listed as not counted, with why (docs/adr/0019-claim-problems.md).
	notCounted := map[string]string{}
	for _, p := range rep.NotCounted {
		notCounted[p.StatementID] = p.Code
	}
	for ref, code := range map[string]string{
		"inf":      bangkom.ProblemJPOutOfRange, // 1e400 → +Inf
		"big-intl": bangkom.ProblemJPOutOfRange, // 1e308, above KLS-TEKNIS max_jp_per_claim
		"neg":      bangkom.ProblemJPOutOfRange,
		"days":     bangkom.ProblemDaysOutOfRange,
		"nan":      bangkom.ProblemJPOutOfRange, // -1e400 → -Inf
	} {
		if _, counted := byID[refID(ref).String()]; counted {
			t.Errorf("%s is an item of the report, want it not counted", ref)
		}
		if got := notCounted[refID(ref).String()]; got != code {
			t.Errorf("%s: not counted with code %q, want %q", ref, got, code)
		}
	}
	if got := item("micro").JPRecognized; got != 3 { // pooled and bounded, then NK-ELEARN's 3 JP a day
		t.Errorf("micro: recognised %v, want 3", got)
	}
	for _, l := range comp.Competencies {
		if l.AssessedLevel != nil {
			t.Errorf("%s: an assessment outside levels 1-5 set level %v", l.Code, *l.AssessedLevel)
		}
	}
}

// assertFiniteJSON checks that b is JSON whose every number is finite and
// within ±limit.
func assertFiniteJSON(t *testing.T, b []byte, limit float64) {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("not JSON: %s", b)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if n, ok := tok.(json.Number); ok {
			f, err := n.Float64()
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > limit {
				t.Fatalf("number %s out of bounds in %s", n, b)
			}
		}
	}
}
