package api_test

import (
	"testing"

	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs/bangkom"
)

// A person's competency report suggests catalogue learning for each
// competency below the standard or never assessed: activities tagged with
// it, coaching, mentoring, self-study and workplace forms before others
// and classroom last, leaving out what the person already has a claim of;
// a competency that meets the standard has none.
func TestPersonCompetencies_SuggestLearningForEachGapFlowOfWorkFirst(t *testing.T) {
	n := newASNNode(t)
	expect(t, n.api["adm"].do(t, req{method: "POST", path: "/positions", body: `[{"position":"Analis","standards":{"M.01":3,"M.06":3,"M.07":2}}]`}), 200)
	expect(t, n.api["adm"].do(t, req{method: "POST", path: "/catalogue", body: `[{"activity":"https://belajar.example.go.id/mandiri/umpan-balik","form":"NK-MANDIRI","competencies":["M.06"],"name":{"id-ID":"Belajar mandiri: memberi umpan balik"}}]`}), 200)
	expect(t, n.xapi["ac"].do(t, req{method: "POST", path: "/statements", body: assessment("M.06", "2")}), 200)
	expect(t, n.xapi["ac"].do(t, req{method: "POST", path: "/statements", body: assessment("M.07", "2")}), 200)
	// Siti already has a claim of the mentoring programme: not suggested again
	mentoring := `{"actor":` + asnAccount(sitiNIP) + `,"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},` +
		`"object":{"id":"https://coaching.example.go.id/program/mentoring-latsar"},"timestamp":"2026-04-01T10:00:00+07:00"}`
	expect(t, n.xapi["lms"].do(t, req{method: "POST", path: "/statements", body: mentoring}), 200)

	got := n.api["siti-app"].do(t, req{method: "GET", path: "/people/" + sitiNIP + "/competencies"})
	expect(t, got, 200)
	lines := map[string]*fastjson.Value{}
	for _, l := range fastjson.MustParse(got.body).GetArray("competencies") {
		lines[string(l.GetStringBytes("code"))] = l
	}
	activities := func(code string) (out []string) {
		for _, s := range lines[code].GetArray("suggestions") {
			out = append(out, string(s.GetStringBytes("activity")))
		}
		return out
	}
	if s := string(lines["M.06"].GetStringBytes("state")); s != bangkom.BelowStandard {
		t.Fatalf("M.06 is %s, want below_standard", s)
	}
	sameIDs(t, "M.06 suggestions", activities("M.06"),
		"https://coaching.example.go.id/program/coaching-kinerja",  // NK-COACHING
		"https://belajar.example.go.id/mandiri/umpan-balik",        // NK-MANDIRI
		"https://kms.example.go.id/kontribusi/artikel-pengetahuan", // WPL-KMS
		"https://bpsdm.example.go.id/workshop/penyusunan-skp")      // KLS-WORKSHOP
	first := lines["M.06"].Get("suggestions", "0")
	if string(first.GetStringBytes("form")) != "NK-COACHING" || string(first.GetStringBytes("form_name", "id")) != "Coaching" ||
		!first.GetBool("flow_of_work") || lines["M.06"].Get("suggestions", "3").GetBool("flow_of_work") {
		t.Fatalf("M.06 suggestions %s", lines["M.06"].Get("suggestions"))
	}
	sameIDs(t, "M.01 suggestions (not assessed)", activities("M.01"), "https://lms.example.go.id/course/integritas-berakhlak")
	if lines["M.07"].Get("suggestions") != nil {
		t.Fatalf("M.07 meets the standard but has suggestions: %s", lines["M.07"])
	}
}

// A person's JP report names their registered supervisor, who decides
// their claims; a person without one has none.
func TestPersonJP_NamesTheSupervisor(t *testing.T) {
	n := newASNNode(t)
	got := n.api["siti-app"].do(t, req{method: "GET", path: "/people/" + sitiNIP + "/jp?year=2026"})
	expect(t, got, 200)
	v := fastjson.MustParse(got.body)
	if string(v.GetStringBytes("supervisor", "nip")) != budiNIP || string(v.GetStringBytes("supervisor", "name")) != "Budi" {
		t.Fatalf("supervisor %s, want Budi", v.Get("supervisor"))
	}
	got = n.api["adm"].do(t, req{method: "GET", path: "/people/" + aniNIP + "/jp?year=2026"})
	expect(t, got, 200)
	if v := fastjson.MustParse(got.body); v.Get("supervisor") != nil {
		t.Fatalf("Ani has no supervisor, the report names %s", v.Get("supervisor"))
	}
}
