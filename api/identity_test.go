package api_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/lrs/lrstest"
)

// newJPNodeAt is newJPNode with the server's clock stopped at now.
func newJPNodeAt(t *testing.T, now time.Time) *jpNode {
	t.Helper()
	node := lrstest.StartNode(t, lrstest.Log(t, lrstest.NATS(t)))
	ac, as := lrstest.Credential(t, "admin-1", lrs.RoleAdmin, lrs.RoleVerifier)
	pc, ps := lrstest.Credential(t, "provider-1", lrs.RoleProvider)
	lc, ls := lrstest.Credential(t, "lms-1")
	srv := api.New(api.Config{
		Auth:       lrs.NewKeyring([]lrs.Credential{ac, pc, lc}),
		Statements: node.View,
		Documents:  node.Views.Documents,
		JP:         node.Views.JP,
		Writer:     node.Appender,
		Frameworks: frameworks(t),
		Now:        func() time.Time { return now },
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	a, x := ts.URL+"/api/v1", ts.URL+"/xapi"
	return &jpNode{node: node, admin: &env{a, ac.Key, as}, lms: &env{a, lc.Key, ls},
		xProvider: &env{x, pc.Key, ps}, xLMS: &env{x, lc.Key, ls}}
}

// learningBy is a learning statement of Siti's: verb on activity at ts.
func learningBy(verb, activity, form, ext, ts string) string {
	return `{"actor":{"account":{"homePage":"` + bangkom.DefaultHomePage + `","name":"` + sitiNIP + `"}},` +
		`"verb":{"id":"http://adlnet.gov/expapi/verbs/` + verb + `"},` +
		`"object":{"id":"` + activity + `","definition":{"name":{"id-ID":"Kearsipan Digital"}}},` +
		`"timestamp":"` + ts + `","context":{"extensions":{"` + bangkom.ExtForm + `":"` + form + `"` + ext + `}}}`
}

// post posts statements and returns their ids.
func post(t *testing.T, e *env, body string) []string {
	t.Helper()
	got := e.do(t, req{method: "POST", path: "/statements", body: body})
	expect(t, got, 200)
	var ids []string
	if err := json.Unmarshal([]byte(got.body), &ids); err != nil {
		t.Fatalf("statement ids: %v: %s", err, got.body)
	}
	return ids
}

// One course sent as attended, completed and passed (and the completion
// re-posted without an id) is one SIASN row of its JP; the approval queue
// lists the learning that waits, never its duplicates; a claim dated after
// the report counts from its date.
func TestJPReports_OneLearningOneClaim(t *testing.T) {
	wib := time.FixedZone("WIB", 7*3600)
	n := newJPNodeAt(t, time.Date(2026, 12, 3, 10, 0, 0, 0, wib))
	n.register(t, "U1", "Siti")
	const course = "https://lms.bpsdm.example.go.id/course/kearsipan-digital"
	jp16 := `,"` + bangkom.ExtJP + `":16`
	ids := post(t, n.xProvider, "["+learningBy("attended", course, "KLS-TEKNIS", jp16, "2026-02-12T08:00:00+07:00")+","+
		learningBy("completed", course, "KLS-TEKNIS", jp16, "2026-02-12T16:00:00+07:00")+","+
		learningBy("passed", course, "KLS-TEKNIS", jp16, "2026-02-12T16:05:00+07:00")+"]")
	counted := ids[1]
	post(t, n.xProvider, learningBy("completed", course, "KLS-TEKNIS", jp16, "2026-02-12T16:00:00+07:00"))

	t.Run("the SIASN export has one row of 16 JP", func(t *testing.T) {
		var rows []api.SIASNRow
		got := n.admin.do(t, req{method: "GET", path: "/people/" + sitiNIP + "/siasn?year=2026"})
		expect(t, got, 200)
		if err := json.Unmarshal([]byte(got.body), &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].JumlahJam != 16 || rows[0].StatementID != counted {
			t.Fatalf("SIASN rows %+v, want one of 16 JP for %s", rows, counted)
		}
		got = n.admin.doWith(t, req{method: "GET", path: "/siasn?year=2026"}, "Accept", "text/csv")
		expect(t, got, 200)
		all, err := csv.NewReader(strings.NewReader(got.body)).ReadAll()
		if err != nil || len(all) != 2 {
			t.Fatalf("SIASN CSV: %v, %d rows, want a header and one row:\n%s", err, len(all), got.body)
		}
	})
	t.Run("the report shows one counted claim and its duplicates", func(t *testing.T) {
		var rep bangkom.YearReport
		got := n.admin.do(t, req{method: "GET", path: "/people/" + sitiNIP + "/jp?year=2026"})
		expect(t, got, 200, `"state":"duplicate"`, `"duplicate_of":"`+counted+`"`)
		if err := json.Unmarshal([]byte(got.body), &rep); err != nil {
			t.Fatal(err)
		}
		dups := 0
		for _, it := range rep.Items {
			if it.State == bangkom.Duplicate {
				dups++
			}
		}
		if rep.Recognized != 16 || rep.Pending != 0 || len(rep.Items) != 4 || dups != 3 {
			t.Fatalf("recognised %g, pending %g, %d items, %d duplicates; want 16, 0, 4, 3:\n%s", rep.Recognized, rep.Pending, len(rep.Items), dups, got.body)
		}
		// The spreadsheet names the counted statement of each duplicate.
		got = n.admin.doWith(t, req{method: "GET", path: "/people/" + sitiNIP + "/jp?year=2026"}, "Accept", "text/csv")
		expect(t, got, 200)
		all, err := csv.NewReader(strings.NewReader(got.body)).ReadAll()
		if err != nil || len(all) != 5 {
			t.Fatalf("JP CSV: %v, %d rows, want a header and four:\n%s", err, len(all), got.body)
		}
		col := map[string]int{}
		for i, h := range all[0] {
			col[h] = i
		}
		for _, h := range []string{"state", "duplicate_of", "activity_name", "note"} {
			if _, ok := col[h]; !ok {
				t.Fatalf("JP CSV header %v lacks %s", all[0], h)
			}
		}
		for _, row := range all[1:] {
			if row[col["state"]] == bangkom.Duplicate && row[col["duplicate_of"]] != counted {
				t.Fatalf("duplicate row %v: duplicate_of %q, want %s", row, row[col["duplicate_of"]], counted)
			}
		}
	})

	// An e-learning course from an ordinary LMS waits for the supervisor.
	const pjj = "https://lms.bpsdm.example.go.id/pjj/tata-naskah"
	jp6 := `,"` + bangkom.ExtJP + `":6`
	pj := post(t, n.xLMS, "["+learningBy("attended", pjj, "NK-PJJ", jp6, "2026-03-02T08:00:00+07:00")+","+
		learningBy("completed", pjj, "NK-PJJ", jp6, "2026-03-02T16:00:00+07:00")+"]")
	// Dated after the report (3 December): one that waits for a decision,
	// and one approved on arrival that counts from its date.
	late := post(t, n.xLMS, learningBy("completed", "https://lms.bpsdm.example.go.id/pjj/akhir-tahun", "NK-PJJ", jp6, "2026-12-20T16:00:00+07:00"))[0]
	future := post(t, n.xProvider, learningBy("completed", "https://lms.bpsdm.example.go.id/course/akhir-tahun", "KLS-TEKNIS", jp16, "2026-12-28T16:00:00+07:00"))[0]

	t.Run("approvals list what waits, not duplicates", func(t *testing.T) {
		got := n.admin.do(t, req{method: "GET", path: "/approvals?supervisor=" + budiNIP + "&year=2026"})
		expect(t, got, 200)
		var body struct {
			Pending []api.PendingClaim `json:"pending"`
		}
		if err := json.Unmarshal([]byte(got.body), &body); err != nil {
			t.Fatal(err)
		}
		var listed []string
		for _, p := range body.Pending {
			listed = append(listed, p.StatementID)
		}
		if want := []string{pj[1], late}; strings.Join(listed, " ") != strings.Join(want, " ") {
			t.Fatalf("approvals list %v, want the PJJ completion %s and the December course %s (not the attendance %s, not %s approved on arrival)", listed, pj[1], late, pj[0], future)
		}
	})
	t.Run("a claim dated after the report counts from its date", func(t *testing.T) {
		got := n.admin.do(t, req{method: "GET", path: "/people/" + sitiNIP + "/jp?year=2026"})
		expect(t, got, 200, "dated 2026-12-28: counts from that date", "dated 2026-12-20: counts from that date")
		var rep bangkom.YearReport
		if err := json.Unmarshal([]byte(got.body), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Recognized != 16 || rep.Pending != 6+6+16 {
			t.Fatalf("recognised %g, pending %g; want 16, 28", rep.Recognized, rep.Pending)
		}
		got = n.admin.do(t, req{method: "GET", path: "/people/" + sitiNIP + "/siasn?year=2026"})
		if expect(t, got, 200); strings.Contains(got.body, future) {
			t.Fatalf("the SIASN export has a course dated after the report: %s", got.body)
		}
	})
}
