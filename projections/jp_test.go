package projections_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/projections"
	"github.com/jejak-id/jejak/schemas"
)

// A JP scenario (testdata/jp/*.json): people and statements in, the JP
// view out. Statements are written compactly and expanded to xAPI here.
type scenario struct {
	Description string                   `json:"description"`
	Year        int                      `json:"year"`
	Events      []scenarioEvent          `json:"events"`
	Expect      map[string]expect        `json:"expect"` // by NIP
	AsOf        string                   `json:"as_of"`  // ref of the last event counted
	Catalogue   []bangkom.CatalogueEntry `json:"catalogue"`
	// Now is the moment of the reports: staleness is judged at it, and a
	// claim dated after its day does not count yet ("" for JP: no check)
	Now string `json:"now"`
	// competency expectations (competencies scenarios)
	Competencies map[string]compExpect `json:"competencies"`
	// RulesOverride sets top-level fields of shipped rule files, by form
	// (e.g. {"NK-ELEARN": {"provider_approves": true}}): the scenario runs
	// with those rules, as an agency's own rules directory would give.
	RulesOverride map[string]map[string]json.RawMessage `json:"rules_override"`
}

type compExpect struct {
	State  string     `json:"state"` // the report's: no_standard, assessed, incomplete
	JPM    *float64   `json:"jpm"`
	Lines  []compLine `json:"lines"`
	Exempt []string   `json:"exempt"`
}

type compLine struct {
	Code               string   `json:"code"`
	State              string   `json:"state"` // not_assessed: also no gap
	RequiredLevel      *int     `json:"required_level"`
	AssessedLevel      *float64 `json:"assessed_level"`
	AssessedAt         string   `json:"assessed_at"`
	Stale              *bool    `json:"stale"`
	Gap                *float64 `json:"gap"`
	EvidenceJP         *float64 `json:"evidence_jp"`
	EvidenceActivities *int     `json:"evidence_activities"`
}

type scenarioEvent struct {
	// a registry update, or position standards
	People    []bangkom.Person `json:"people"`
	Positions []map[string]any `json:"positions"`
	// or an assessment (competency code) or a recognition of prior learning (module IRI)
	Assess string  `json:"assess"`
	Level  float64 `json:"level"`
	RPL    string  `json:"rpl"`
	// competencies a learning statement is tagged with
	Competencies []string `json:"competencies"`
	// or a learning statement
	Ref       string   `json:"ref"`
	NIP       string   `json:"nip"`
	Verb      string   `json:"verb"` // completed (default), passed, attended, experienced
	Activity  string   `json:"activity"`
	Form      string   `json:"form"`
	Timestamp string   `json:"timestamp"`
	Duration  string   `json:"duration"`
	JP        *float64 `json:"jp"`
	Days      int      `json:"days"`
	Scope     string   `json:"scope"`
	HomePage  string   `json:"home_page"`
	// Registration is context.registration
	Registration string `json:"registration"`
	// or a decision on a claim
	Decide   string `json:"decide"` // approved or rejected
	Claim    string `json:"claim"`  // ref of the claim
	Approver string `json:"approver"`
	Reason   string `json:"reason"` // the decision's result.response
	// or a void of a statement
	Void string `json:"void"` // ref of the voided statement
	// who wrote it
	By    string   `json:"by"`
	Roles []string `json:"roles"`
}

type expect struct {
	Recognized *float64     `json:"recognized"`
	Pending    *float64     `json:"pending"`
	Rejected   *float64     `json:"rejected"`
	Target     *float64     `json:"target"`
	Met        *bool        `json:"met"`
	Items      []expectItem `json:"items"`
	Notes      int          `json:"notes"`
}

type expectItem struct {
	Ref          string   `json:"ref"`
	State        string   `json:"state"`
	Date         string   `json:"date"`
	JPClaimed    *float64 `json:"jp_claimed"`
	JPRecognized *float64 `json:"jp_recognized"`
	ApprovedBy   string   `json:"approved_by"`
	RejectedBy   string   `json:"rejected_by"` // set: approved_by must be empty
	Reason       string   `json:"reason"`
	Rule         string   `json:"rule"`
	DuplicateOf  string   `json:"duplicate_of"` // ref of the claim that counts
	Note         string   `json:"note"`         // a part of the item's note
}

func refID(ref string) uuid.UUID {
	sum := sha256.Sum256([]byte(ref))
	id, _ := uuid.FromBytes(sum[:16])
	id[6] = (id[6] & 0x0f) | 0x40
	id[8] = (id[8] & 0x3f) | 0x80
	return id
}

func account(home, nip string) map[string]any {
	if home == "" {
		home = bangkom.DefaultHomePage
	}
	return map[string]any{"objectType": "Agent", "account": map[string]any{"homePage": home, "name": nip}}
}

// statementOf expands a scenario statement to xAPI.
func statementOf(ev scenarioEvent, stored time.Time) map[string]any {
	st := map[string]any{"id": refID(ev.Ref).String(), "stored": stored.Format(lrs.StoredFormat), "version": "1.0.0"}
	switch {
	case ev.Void != "":
		st["actor"] = map[string]any{"mbox": "mailto:admin@example.go.id"}
		st["verb"] = map[string]any{"id": lrs.VoidVerb}
		st["object"] = map[string]any{"objectType": "StatementRef", "id": refID(ev.Void).String()}
	case ev.Assess != "":
		st["actor"] = account("", ev.NIP)
		st["verb"] = map[string]any{"id": bangkom.VerbAssessed}
		st["object"] = map[string]any{"id": bangkom.CompetencyPrefix + ev.Assess}
		st["result"] = map[string]any{"score": map[string]any{"raw": ev.Level}}
		st["timestamp"] = ev.Timestamp
	case ev.RPL != "":
		st["actor"] = account("", ev.NIP)
		st["verb"] = map[string]any{"id": bangkom.VerbRPL}
		st["object"] = map[string]any{"id": ev.RPL}
		if len(ev.Competencies) > 0 {
			st["context"] = map[string]any{"extensions": map[string]any{bangkom.ExtCompetencies: ev.Competencies}}
		}
		st["timestamp"] = ev.Timestamp
	case ev.Decide != "":
		st["actor"] = account("", ev.Approver)
		st["verb"] = map[string]any{"id": bangkom.IRIBase + "/verbs/" + ev.Decide}
		st["object"] = map[string]any{"objectType": "StatementRef", "id": refID(ev.Claim).String()}
		if ev.Reason != "" {
			st["result"] = map[string]any{"response": ev.Reason}
		}
	default:
		verb := ev.Verb
		if verb == "" {
			verb = "completed"
		}
		st["actor"] = account(ev.HomePage, ev.NIP)
		st["verb"] = map[string]any{"id": "http://adlnet.gov/expapi/verbs/" + verb}
		act := ev.Activity
		if act == "" {
			act = "https://lms.example.go.id/activity/" + ev.Ref
		}
		st["object"] = map[string]any{"id": act}
		ext := map[string]any{}
		if ev.Form != "" {
			ext[bangkom.ExtForm] = ev.Form
		}
		if ev.JP != nil {
			ext[bangkom.ExtJP] = *ev.JP
		}
		if ev.Days > 0 {
			ext[bangkom.ExtDays] = ev.Days
		}
		if ev.Scope != "" {
			ext[bangkom.ExtScope] = ev.Scope
		}
		if len(ev.Competencies) > 0 {
			ext[bangkom.ExtCompetencies] = ev.Competencies
		}
		st["context"] = map[string]any{"extensions": ext}
		if ev.Registration != "" {
			st["context"].(map[string]any)["registration"] = ev.Registration
		}
		if ev.Duration != "" {
			st["result"] = map[string]any{"duration": ev.Duration}
		}
		st["timestamp"] = ev.Timestamp
	}
	return st
}

// scenarioLog turns the events into a log; refs maps each ref to its sequence.
func scenarioLog(t testing.TB, sc scenario) ([]lrs.LogEvent, map[string]uint64) {
	t.Helper()
	var out []lrs.LogEvent
	refs := map[string]uint64{}
	var prev lrs.Hash
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	add := func(typ string, payload []byte) uint64 {
		seq := uint64(len(out) + 1)
		data := lrs.EncodeEnvelope(nil, typ, 1, seq, "default", base.Add(time.Duration(seq)*time.Second), prev, payload)
		prev = lrs.HashEvent(data)
		out = append(out, lrs.LogEvent{Seq: seq, Data: data})
		return seq
	}
	if len(sc.Catalogue) > 0 {
		p, _ := json.Marshal(map[string]any{"entries": sc.Catalogue})
		add(projections.EventCatalogue, p)
	}
	for _, ev := range sc.Events {
		if ev.People != nil {
			p, _ := json.Marshal(map[string]any{"people": ev.People})
			add(projections.EventPeople, p)
			continue
		}
		if ev.Positions != nil {
			p, _ := json.Marshal(map[string]any{"positions": ev.Positions})
			refs[ev.Ref] = add(projections.EventPositions, p)
			continue
		}
		by := ev.By
		if by == "" {
			by = "lms"
		}
		stored := base.Add(time.Duration(len(out)+1) * time.Second)
		batch := map[string]any{"by": by, "statements": []any{statementOf(ev, stored)}}
		if len(ev.Roles) > 0 {
			batch["roles"] = ev.Roles
		}
		p, _ := json.Marshal(map[string]any{"batches": []any{batch}})
		refs[ev.Ref] = add(lrs.EventStatements, p)
	}
	return out, refs
}

func loadRules(t testing.TB) *bangkom.RuleSet {
	t.Helper()
	rules, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

func openJP(t testing.TB, rules *bangkom.RuleSet) *projections.JPIndex {
	t.Helper()
	opts := lrstest.PebbleOptions()
	ix, err := projections.OpenJPIndex(t.TempDir(), opts, rules, bangkom.DefaultHomePage)
	opts.Cache.Unref()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func TestJP_Scenarios(t *testing.T) {
	rules := loadRules(t)
	fw, err := bangkom.LoadFrameworks(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/jp/*.json")
	if len(files) == 0 {
		t.Fatal("no scenarios in testdata/jp")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var sc scenario
			dec := json.NewDecoder(strings.NewReader(string(b)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&sc); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			rules := rules
			if len(sc.RulesOverride) > 0 {
				rules = overriddenRules(t, rules, sc.RulesOverride)
			}
			evs, refs := scenarioLog(t, sc)
			ix := openJP(t, rules)
			if err := ix.Apply(evs); err != nil {
				t.Fatal(err)
			}
			// A rebuild event by event gives the same view, byte for byte.
			again := openJP(t, rules)
			for _, ev := range evs {
				if err := again.Apply([]lrs.LogEvent{ev}); err != nil {
					t.Fatal(err)
				}
			}
			if a, b := digestOf(t, ix), digestOf(t, again); a != b {
				t.Fatalf("the view folded in one chunk differs from the one folded event by event")
			}
			var asOf uint64
			if sc.AsOf != "" {
				if asOf = refs[sc.AsOf]; asOf == 0 {
					t.Fatalf("as_of names unknown ref %q", sc.AsOf)
				}
			}
			var now time.Time
			if sc.Now != "" {
				if now, err = time.Parse(time.RFC3339, sc.Now); err != nil {
					t.Fatalf("scenario now %q: %v", sc.Now, err)
				}
			}
			for nip, want := range sc.Expect {
				facts, found, err := ix.Facts(context.Background(), bangkom.NIP(nip), asOf)
				if err != nil || !found {
					t.Fatalf("%s: facts: found %v, %v", nip, found, err)
				}
				got := bangkom.ComputeQuery(facts, rules, bangkom.Query{Year: sc.Year, AsOf: asOf, Now: now})
				checkReport(t, nip, got, want)
			}
			for nip, want := range sc.Competencies {
				facts, found, err := ix.Facts(context.Background(), bangkom.NIP(nip), asOf)
				if err != nil || !found {
					t.Fatalf("%s: facts: found %v, %v", nip, found, err)
				}
				if now.IsZero() {
					t.Fatal("a competencies scenario needs now")
				}
				checkCompetencies(t, nip, bangkom.ComputeCompetencies(facts, rules, fw, now, asOf), want)
			}
		})
	}
}

func checkReport(t *testing.T, nip string, got bangkom.YearReport, want expect) {
	t.Helper()
	dump := func() string { b, _ := json.MarshalIndent(got, "", "  "); return string(b) }
	eqf := func(name string, g float64, w *float64) {
		if w != nil && g != *w {
			t.Errorf("%s %s = %g, want %g\n%s", nip, name, g, *w, dump())
		}
	}
	eqf("recognized", got.Recognized, want.Recognized)
	eqf("pending", got.Pending, want.Pending)
	eqf("rejected", got.Rejected, want.Rejected)
	eqf("target", got.Target, want.Target)
	if want.Met != nil && got.Met != *want.Met {
		t.Errorf("%s met = %v, want %v", nip, got.Met, *want.Met)
	}
	if want.Notes != len(got.Notes) {
		t.Errorf("%s notes = %v, want %d", nip, got.Notes, want.Notes)
	}
	if want.Items == nil {
		return
	}
	if len(got.Items) != len(want.Items) {
		t.Fatalf("%s has %d items, want %d\n%s", nip, len(got.Items), len(want.Items), dump())
	}
	for i, w := range want.Items {
		g := got.Items[i]
		if w.Ref != "" && g.StatementID != refID(w.Ref).String() {
			t.Errorf("%s item %d is %s, want %s", nip, i, g.StatementID, w.Ref)
		}
		if w.State != "" && g.State != w.State {
			t.Errorf("%s item %d (%s) state %s, want %s", nip, i, w.Ref, g.State, w.State)
		}
		if w.Date != "" && g.Date != w.Date {
			t.Errorf("%s item %d (%s) date %s, want %s", nip, i, w.Ref, g.Date, w.Date)
		}
		eqf(fmt.Sprintf("item %d (%s) jp_claimed", i, w.Ref), g.JPClaimed, w.JPClaimed)
		eqf(fmt.Sprintf("item %d (%s) jp_recognized", i, w.Ref), g.JPRecognized, w.JPRecognized)
		if w.ApprovedBy != "" && g.ApprovedBy != w.ApprovedBy {
			t.Errorf("%s item %d (%s) approved_by %q, want %q", nip, i, w.Ref, g.ApprovedBy, w.ApprovedBy)
		}
		if w.RejectedBy != "" && (g.RejectedBy != w.RejectedBy || g.ApprovedBy != "") {
			t.Errorf("%s item %d (%s) rejected_by %q approved_by %q, want rejected by %q and no approver", nip, i, w.Ref, g.RejectedBy, g.ApprovedBy, w.RejectedBy)
		}
		if w.State == bangkom.Approved && w.ApprovedBy != "" && (g.RejectedBy != "" || g.Reason != "") {
			t.Errorf("%s item %d (%s) is approved and shows rejected_by %q reason %q", nip, i, w.Ref, g.RejectedBy, g.Reason)
		}
		if w.Reason != "" && g.Reason != w.Reason {
			t.Errorf("%s item %d (%s) reason %q, want %q", nip, i, w.Ref, g.Reason, w.Reason)
		}
		if w.Rule != "" && !strings.HasPrefix(g.Rule, w.Rule) {
			t.Errorf("%s item %d (%s) rule %q, want %q…", nip, i, w.Ref, g.Rule, w.Rule)
		}
		if w.DuplicateOf != "" && g.DuplicateOf != refID(w.DuplicateOf).String() {
			t.Errorf("%s item %d (%s) duplicate_of %q, want %s", nip, i, w.Ref, g.DuplicateOf, w.DuplicateOf)
		}
		if w.DuplicateOf == "" && w.State != "" && g.DuplicateOf != "" {
			t.Errorf("%s item %d (%s) duplicate_of %q, want none", nip, i, w.Ref, g.DuplicateOf)
		}
		if w.Note != "" && !strings.Contains(g.Note, w.Note) {
			t.Errorf("%s item %d (%s) note %q, want it to contain %q", nip, i, w.Ref, g.Note, w.Note)
		}
	}
}

func checkCompetencies(t *testing.T, nip string, got bangkom.CompetencyReport, want compExpect) {
	t.Helper()
	dump := func() string { b, _ := json.MarshalIndent(got, "", "  "); return string(b) }
	if want.State != "" && got.State != want.State {
		t.Errorf("%s state = %q, want %q\n%s", nip, got.State, want.State, dump())
	}
	if want.JPM != nil && (got.JPM == nil || *got.JPM != *want.JPM) {
		t.Errorf("%s jpm = %v, want %g\n%s", nip, got.JPM, *want.JPM, dump())
	}
	if want.Lines != nil && len(want.Lines) == 0 && len(got.Competencies) > 0 {
		t.Errorf("%s has %d competency lines, want none\n%s", nip, len(got.Competencies), dump())
	}
	lines := map[string]bangkom.CompetencyLine{}
	for _, l := range got.Competencies {
		lines[l.Code] = l
	}
	for _, w := range want.Lines {
		g, ok := lines[w.Code]
		if !ok {
			t.Errorf("%s has no line for %s\n%s", nip, w.Code, dump())
			continue
		}
		if w.State != "" && g.State != w.State {
			t.Errorf("%s %s state %q, want %q\n%s", nip, w.Code, g.State, w.State, dump())
		}
		if w.State == bangkom.NotAssessed && g.Gap != nil {
			t.Errorf("%s %s is not assessed and has a gap of %g: a level nobody measured is not a gap", nip, w.Code, *g.Gap)
		}
		if w.RequiredLevel != nil && (g.RequiredLevel == nil || *g.RequiredLevel != *w.RequiredLevel) {
			t.Errorf("%s %s required %v, want %d", nip, w.Code, g.RequiredLevel, *w.RequiredLevel)
		}
		if w.AssessedLevel != nil && (g.AssessedLevel == nil || *g.AssessedLevel != *w.AssessedLevel) {
			t.Errorf("%s %s assessed %v, want %g\n%s", nip, w.Code, g.AssessedLevel, *w.AssessedLevel, dump())
		}
		if w.AssessedAt != "" && (g.AssessedAt == nil || *g.AssessedAt != w.AssessedAt) {
			t.Errorf("%s %s assessed_at %v, want %s", nip, w.Code, g.AssessedAt, w.AssessedAt)
		}
		if w.Stale != nil && g.Stale != *w.Stale {
			t.Errorf("%s %s stale %v, want %v", nip, w.Code, g.Stale, *w.Stale)
		}
		if w.Gap != nil && (g.Gap == nil || *g.Gap != *w.Gap) {
			t.Errorf("%s %s gap %v, want %g", nip, w.Code, g.Gap, *w.Gap)
		}
		if w.EvidenceJP != nil && g.EvidenceJP != *w.EvidenceJP {
			t.Errorf("%s %s evidence_jp %g, want %g\n%s", nip, w.Code, g.EvidenceJP, *w.EvidenceJP, dump())
		}
		if w.EvidenceActivities != nil && g.EvidenceActivities != *w.EvidenceActivities {
			t.Errorf("%s %s evidence_activities %d, want %d", nip, w.Code, g.EvidenceActivities, *w.EvidenceActivities)
		}
	}
	if want.Exempt != nil {
		var mods []string
		for _, m := range got.ExemptModules {
			mods = append(mods, m.Module)
		}
		if strings.Join(mods, " ") != strings.Join(want.Exempt, " ") {
			t.Errorf("%s exempt modules %v, want %v", nip, mods, want.Exempt)
		}
	}
}

func digestOf(t *testing.T, ix *projections.JPIndex) lrs.Hash {
	t.Helper()
	d, err := ix.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// readScenario reads a scenario file of testdata/jp.
func readScenario(t *testing.T, file string) scenario {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var sc scenario
	if err := json.Unmarshal(b, &sc); err != nil {
		t.Fatal(err)
	}
	return sc
}

// reopenedAfter folds evs into a new JP view, closes it and returns it
// opened again; the caller closes it.
func reopenedAfter(t *testing.T, rules *bangkom.RuleSet, evs []lrs.LogEvent) *projections.JPIndex {
	t.Helper()
	dir := t.TempDir()
	open := func() *projections.JPIndex {
		opts := lrstest.PebbleOptions()
		defer opts.Cache.Unref()
		ix, err := projections.OpenJPIndex(dir, opts, rules, bangkom.DefaultHomePage)
		if err != nil {
			t.Fatal(err)
		}
		return ix
	}
	ix := open()
	if err := ix.Apply(evs); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	return open()
}

// The view keeps its voids in memory for lookups: they are there again
// after a reopen, the first void of a statement is the one that counts,
// and a void folded after the reopen is seen at once.
func TestJP_VoidsSurviveAReopen(t *testing.T) {
	rules := loadRules(t)
	sc := readScenario(t, "testdata/jp/void-claim-jp-leaves.json")
	// v2 (the void of c1) is left for after the reopen; k1 is voided twice.
	sc.Events = append(sc.Events, scenarioEvent{Ref: "v3", Void: "k1"})
	evs, refs := scenarioLog(t, sc)
	const nip = "198703142010122001"
	split := refs["v2"] - 1
	ix := reopenedAfter(t, rules, evs[:split])
	defer ix.Close()
	facts, _, err := ix.Facts(context.Background(), nip, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := facts.Voided[refID("k1").String()], refs["v1"]; got != want {
		t.Fatalf("after a reopen k1 voided at %d, want %d", got, want)
	}
	if _, ok := facts.Voided[refID("c1").String()]; ok {
		t.Fatal("c1 voided before its void was folded")
	}
	if err := ix.Apply(evs[split:]); err != nil {
		t.Fatal(err)
	}
	facts, _, err = ix.Facts(context.Background(), nip, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := facts.Voided[refID("k1").String()], refs["v1"]; got != want {
		t.Fatalf("k1 voided again: at %d, want the first void %d", got, want)
	}
	if got, want := facts.Voided[refID("c1").String()], refs["v2"]; got != want {
		t.Fatalf("c1 voided at %d, want %d", got, want)
	}
	checkReport(t, nip, bangkom.Compute(facts, rules, sc.Year, 0), sc.Expect[nip])
}

// A decision folded before its claim waits under the claim's id; the view
// remembers so across a restart, and files it beside the claim when the
// claim comes.
func TestJP_DecisionBeforeItsClaimSurvivesAReopen(t *testing.T) {
	rules := loadRules(t)
	sc := readScenario(t, "testdata/jp/decision-before-its-claim.json")
	evs, refs := scenarioLog(t, sc)
	split := refs["b1"] - 1 // every decision is folded, no claim yet
	ix := reopenedAfter(t, rules, evs[:split])
	defer ix.Close()
	if err := ix.Apply(evs[split:]); err != nil {
		t.Fatal(err)
	}
	const nip = "199108172020122003"
	facts, found, err := ix.Facts(context.Background(), nip, 0)
	if err != nil || !found {
		t.Fatalf("facts: found %v, %v", found, err)
	}
	checkReport(t, nip, bangkom.Compute(facts, rules, sc.Year, 0), sc.Expect[nip])
	// and the view is the one folded without the restart
	again := openJP(t, rules)
	if err := again.Apply(evs); err != nil {
		t.Fatal(err)
	}
	if digestOf(t, ix) != digestOf(t, again) {
		t.Fatal("the view folded across a reopen differs from the one folded at once")
	}
}

// Lookups run while the fold adds voids (go test -race): each sees every
// void of the chunks committed before it, and at the end all of them.
func TestJP_LookupsWhileVoidsAreFolded(t *testing.T) {
	rules := loadRules(t)
	const nip = "199001012015011001"
	sc := scenario{Year: 2026}
	sc.Events = append(sc.Events, scenarioEvent{People: []bangkom.Person{
		{NIP: nip, Name: "Siti", Unit: "U1", Type: "PNS", Timezone: "WIB", SupervisorNIP: "197805152003121002"},
	}})
	const n = 60
	for i := range n {
		sc.Events = append(sc.Events, scenarioEvent{Ref: fmt.Sprintf("c%d", i), NIP: nip, Form: "NK-ELEARN", Duration: "PT50M",
			Timestamp: fmt.Sprintf("2026-%02d-%02dT09:00:00+07:00", i%12+1, i%28+1)})
	}
	for i := range n {
		sc.Events = append(sc.Events, scenarioEvent{Ref: fmt.Sprintf("v%d", i), Void: fmt.Sprintf("c%d", i)})
	}
	evs, _ := scenarioLog(t, sc)
	ix := openJP(t, rules)
	if err := ix.Apply(evs[:1+n]); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		seen := 0
		for {
			select {
			case <-done:
				return
			default:
			}
			facts, _, err := ix.Facts(context.Background(), nip, 0)
			if err != nil {
				errs <- err
				return
			}
			if len(facts.Voided) < seen {
				errs <- fmt.Errorf("%d voids seen, then %d", seen, len(facts.Voided))
				return
			}
			seen = len(facts.Voided)
		}
	}()
	for _, ev := range evs[1+n:] {
		if err := ix.Apply([]lrs.LogEvent{ev}); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	facts, _, err := ix.Facts(context.Background(), nip, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(facts.Voided) != n {
		t.Fatalf("%d voids after the fold, want %d", len(facts.Voided), n)
	}
}
