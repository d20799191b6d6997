package projections_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// problemsLog is the claims that counted nothing, as an old log
// (written before the API refused `"jp":"8"`) may hold them, beside a sound
// claim; each by credential lms, one by credential other.
func problemsLog(t *testing.T) ([]lrs.LogEvent, map[string]uint64) {
	t.Helper()
	const siti, later = "199001012015011001", "199202022020121001"
	jp8, eight := 7004.0, 8.0
	sc := scenario{Year: 2026, Events: []scenarioEvent{
		{People: []bangkom.Person{{NIP: siti, Name: "Siti", Unit: "U1", Type: "PNS", Timezone: "WIB"}}},
		{Ref: "pelatihan", NIP: siti, Form: "KLS-PELATIHAN", JP: &eight, Timestamp: "2026-03-02T09:00:00+07:00"},
		{Ref: "lower", NIP: siti, Form: "kls-teknis", JP: &eight, Timestamp: "2026-03-03T09:00:00+07:00"},
		{Ref: "slash", NIP: siti, HomePage: bangkom.DefaultHomePage + "/", Form: "KLS-TEKNIS", JP: &eight, Timestamp: "2026-03-04T09:00:00+07:00"},
		{Ref: "badnip", NIP: "199002302015011001", Form: "KLS-TEKNIS", JP: &eight, Timestamp: "2026-03-05T09:00:00+07:00"},
		{Ref: "jp8", NIP: siti, Form: "KLS-TEKNIS", JP: &jp8, Timestamp: "2026-03-06T09:00:00+07:00"},
		{Ref: "lastyear", NIP: siti, Form: "KLS-TEKNI", Timestamp: "2025-12-30T09:00:00+07:00"},
		{Ref: "sound", NIP: siti, Form: "KLS-TEKNIS", JP: &eight, Timestamp: "2026-03-07T09:00:00+07:00", By: "p", Roles: []string{lrs.RoleProvider}},
		{Ref: "early", NIP: later, Form: "KLS-TEKNIS", JP: &eight, Timestamp: "2026-03-08T09:00:00+07:00", By: "other"},
	}}
	evs, refs := scenarioLog(t, sc)
	// "jp":"8" as a string, re-encoded around the changed payload.
	var prev lrs.Hash
	for i, ev := range evs {
		var fp fastjson.Parser
		env, err := lrs.DecodeEnvelope(&fp, ev.Data)
		if err != nil {
			t.Fatal(err)
		}
		p := strings.ReplaceAll(env.Payload.String(), ":7004", `:"8"`)
		data := lrs.EncodeEnvelope(nil, env.Type, env.V, ev.Seq, "default", time.Date(2026, 1, 1, 0, 0, i+1, 0, time.UTC), prev, []byte(p))
		prev = lrs.HashEvent(data)
		evs[i] = lrs.LogEvent{Seq: ev.Seq, Data: data}
	}
	return evs, refs
}

// The claims that silently counted nothing are each listed with
// why; `"jp":"8"` is no longer an approved claim of 0 JP; the person's
// report lists their own of the year as not counted.
func TestJP_ClaimsThatDoNotCountAreListedWithWhy(t *testing.T) {
	rules := loadRules(t)
	evs, refs := problemsLog(t)
	ix := openJP(t, rules)
	if err := ix.Apply(evs); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const siti = "199001012015011001"
	facts, found, err := ix.Facts(ctx, siti, 0)
	if err != nil || !found {
		t.Fatalf("facts: %v %v", found, err)
	}
	rep := bangkom.Compute(facts, rules, 2026, 0)
	if len(rep.Items) != 1 || rep.Items[0].StatementID != refID("sound").String() || rep.Recognized != 8 {
		t.Fatalf("want only the sound claim counted (8 JP), got %+v", rep.Items)
	}
	want := []struct{ ref, code, reason string }{
		{"pelatihan", bangkom.ProblemFormUnknown, "closest code is KLS-PENATARAN"},
		{"lower", bangkom.ProblemFormUnknown, "did you mean KLS-TEKNIS"},
		{"slash", bangkom.ProblemHomePageWrong, "not exactly https://siasn.bkn.go.id"},
		{"jp8", bangkom.ProblemJPNotANumber, "write 8 without quotes"},
	}
	if len(rep.NotCounted) != len(want) {
		t.Fatalf("not counted: %+v, want %d", rep.NotCounted, len(want))
	}
	for i, w := range want {
		p := rep.NotCounted[i]
		if p.StatementID != refID(w.ref).String() || p.Code != w.code || !strings.Contains(p.Reason, w.reason) || p.Rule == "" || p.Date == "" {
			t.Errorf("not counted %d = %+v, want %s %s %q", i, p, w.ref, w.code, w.reason)
		}
	}
	// Last year's problem is on last year's report.
	if nc := bangkom.Compute(facts, rules, 2025, 0).NotCounted; len(nc) != 1 || nc[0].StatementID != refID("lastyear").String() {
		t.Errorf("2025 not counted: %+v", nc)
	}
	// As of before jp8, the report does not show it.
	if facts, _, _ := ix.Facts(ctx, siti, refs["slash"]); len(bangkom.Compute(facts, rules, 2026, refs["slash"]).NotCounted) != 3 {
		t.Errorf("as of slash, want 3 not counted")
	}

	list := func(f bangkom.ProblemFilter) (codes []string, cursors []string) {
		t.Helper()
		err := ix.Problems(ctx, f, func(p bangkom.Problem, cursor string) bool {
			codes, cursors = append(codes, p.Code), append(cursors, cursor)
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	all, cursors := list(bangkom.ProblemFilter{})
	if got := strings.Join(all, " "); got != "form_unknown form_unknown homepage_wrong nip_invalid jp_not_a_number form_unknown nip_unregistered" {
		t.Fatalf("every problem: %s", got)
	}
	if next, _ := list(bangkom.ProblemFilter{After: cursors[4]}); strings.Join(next, " ") != "form_unknown nip_unregistered" {
		t.Errorf("after the fifth: %v", next)
	}
	if bad, _ := list(bangkom.ProblemFilter{NIP: "199002302015011001"}); strings.Join(bad, " ") != "nip_invalid" {
		t.Errorf("by the invalid NIP: %v", bad)
	}
	if other, _ := list(bangkom.ProblemFilter{Credential: "other"}); strings.Join(other, " ") != "nip_unregistered" {
		t.Errorf("by credential other: %v", other)
	}
	if since, _ := list(bangkom.ProblemFilter{FromSeq: refs["jp8"]}); strings.Join(since, " ") != "jp_not_a_number form_unknown nip_unregistered" {
		t.Errorf("from jp8 on: %v", since)
	}
	if err := ix.Problems(ctx, bangkom.ProblemFilter{After: "zz"}, func(bangkom.Problem, string) bool { return true }); err == nil {
		t.Error("a bad cursor is accepted")
	}

	// Registered later, the early claim counts and is no longer a problem.
	const later = "199202022020121001"
	reg := scenario{Events: []scenarioEvent{{People: []bangkom.Person{{NIP: later, Name: "Budi", Unit: "U1", Type: "PNS", Timezone: "WIB"}}}}}
	regEvs, _ := scenarioLog(t, reg)
	var fp fastjson.Parser
	env, err := lrs.DecodeEnvelope(&fp, regEvs[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	data := lrs.EncodeEnvelope(nil, env.Type, env.V, last.Seq+1, "default", time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC), lrs.HashEvent(last.Data), env.Payload.MarshalTo(nil))
	if err := ix.Apply([]lrs.LogEvent{{Seq: last.Seq + 1, Data: data}}); err != nil {
		t.Fatal(err)
	}
	if other, _ := list(bangkom.ProblemFilter{Credential: "other"}); len(other) != 0 {
		t.Errorf("once registered, still listed: %v", other)
	}
	facts, found, err = ix.Facts(ctx, later, 0)
	if err != nil || !found {
		t.Fatal(found, err)
	}
	if rep := bangkom.Compute(facts, rules, 2026, 0); len(rep.Items) != 1 || len(rep.NotCounted) != 0 {
		t.Errorf("registered later: items %+v, not counted %+v", rep.Items, rep.NotCounted)
	}
}

// The problems are part of the view: folded in one chunk or event by
// event, the view is the same, byte for byte.
func TestJP_ProblemsRebuildIdentically(t *testing.T) {
	rules := loadRules(t)
	evs, _ := problemsLog(t)
	one := openJP(t, rules)
	if err := one.Apply(evs); err != nil {
		t.Fatal(err)
	}
	again := openJP(t, rules)
	for _, ev := range evs {
		if err := again.Apply([]lrs.LogEvent{ev}); err != nil {
			t.Fatal(err)
		}
	}
	if digestOf(t, one) != digestOf(t, again) {
		t.Fatal("the view folded in one chunk differs from the one folded event by event")
	}
}

// Whether a claim's NIP is registered is answered from memory, loaded from
// the view when it opens: the registry folded before a restart counts as
// much as the registry folded in the same run, and the view is the same,
// byte for byte, as one folded without a restart.
func TestJP_RegisteredNIPsSurviveARestart(t *testing.T) {
	rules := loadRules(t)
	evs, _ := problemsLog(t)
	one := openJP(t, rules)
	if err := one.Apply(evs); err != nil {
		t.Fatal(err)
	}
	again := reopenedAfter(t, rules, evs[:1]) // the registry only
	defer again.Close()
	if err := again.Apply(evs[1:]); err != nil {
		t.Fatal(err)
	}
	if digestOf(t, one) != digestOf(t, again) {
		t.Fatal("the view folded across a restart differs from the one folded at once: a registered NIP was taken for unregistered, or the reverse")
	}
}
