package api_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/lrs/lrstest"
)

// periodReport is the part of a JP report the period tests read.
type periodReport struct {
	Year       int
	Target     float64
	Recognized float64
	Met        bool
	AsOf       string `json:"as_of"`
	Items      []struct{ Date string }
	Period     *struct {
		From, To string
		Years    []struct {
			Year             int
			RecognizedToDate float64 `json:"recognized_to_date"`
		}
	}
	Notes []string
}

func decodeReport(t *testing.T, r resp) periodReport {
	t.Helper()
	var rep periodReport
	if r.status != 200 || json.Unmarshal([]byte(r.body), &rep) != nil {
		t.Fatalf("report = %d %s", r.status, r.body)
	}
	return rep
}

// from= and to= report the learning dated in a period (a semester, a
// quarter, across New Year) on the JP and SIASN routes, apart from as_of;
// a bad or reversed date is 400 naming the parameter.
func TestAnalystAPI_PeriodsByLearningDate(t *testing.T) {
	n := newJPNode(t)
	n.register(t, "U1", "Siti")
	for _, c := range []struct{ jp, ts string }{
		{"4", "2025-12-20T10:00:00+07:00"},
		{"16", "2026-03-10T10:00:00+07:00"},
		{"8", "2026-08-01T10:00:00+07:00"},
	} {
		expect(t, n.xProvider.do(t, req{method: "POST", path: "/statements", body: claim("KLS-TEKNIS", `,"`+bangkom.ExtJP+`":`+c.jp, "Pelatihan", c.ts)}), 200)
	}
	person := "/people/" + sitiNIP

	semester := decodeReport(t, n.admin.do(t, req{method: "GET", path: person + "/jp?from=2026-01-01&to=2026-06-30"}))
	if semester.Recognized != 16 || len(semester.Items) != 1 || semester.Items[0].Date != "2026-03-10" || semester.Year != 2026 || semester.Target != 20 || semester.Met ||
		semester.Period == nil || semester.Period.From != "2026-01-01" || semester.Period.To != "2026-06-30" {
		t.Fatalf("semester report: %+v", semester)
	}
	if upTo := decodeReport(t, n.admin.do(t, req{method: "GET", path: person + "/jp?to=2026-06-30"})); upTo.Period.From != "2026-01-01" || upTo.Recognized != 16 {
		t.Fatalf("to= alone: %+v", upTo)
	}
	whole := decodeReport(t, n.admin.do(t, req{method: "GET", path: person + "/jp?year=2026"}))
	if whole.Recognized != 24 || whole.Period != nil || !whole.Met {
		t.Fatalf("the year: %+v", whole)
	}
	span := decodeReport(t, n.admin.do(t, req{method: "GET", path: person + "/jp?from=2025-12-01&to=2026-03-31"}))
	if span.Recognized != 20 || len(span.Period.Years) != 2 || span.Period.Years[0].Year != 2025 || span.Period.Years[0].RecognizedToDate != 4 {
		t.Fatalf("across New Year: %+v", span)
	}
	csv := n.admin.doWith(t, req{method: "GET", path: person + "/jp?from=2026-01-01&to=2026-06-30"}, "Accept", "text/csv")
	if csv.status != 200 || strings.Count(csv.body, "\n") != 2 || !strings.Contains(csv.header.Get("Content-Disposition"), "2026-01-01_2026-06-30") {
		t.Fatalf("semester CSV = %d %s %s", csv.status, csv.header.Get("Content-Disposition"), csv.body)
	}

	var unit struct {
		Year            int
		RecognizedTotal float64 `json:"recognized_total"`
		Period          struct{ From, To string }
	}
	r := n.admin.do(t, req{method: "GET", path: "/units/U1/jp?from=2026-07-01"})
	if r.status != 200 || json.Unmarshal([]byte(r.body), &unit) != nil || unit.RecognizedTotal != 8 || unit.Period.To != "2026-12-31" || unit.Year != 2026 {
		t.Fatalf("unit, second semester = %d %s", r.status, r.body)
	}

	var rows []struct {
		TahunKursus   int    `json:"tahunKursus"`
		TanggalKursus string `json:"tanggalKursus"`
	}
	for _, path := range []string{person + "/siasn?from=2025-12-01&to=2026-06-30", "/siasn?from=2025-12-01&to=2026-06-30&unit=U1"} {
		r := n.admin.do(t, req{method: "GET", path: path})
		if r.status != 200 || json.Unmarshal([]byte(r.body), &rows) != nil || len(rows) != 2 || rows[0].TahunKursus != 2025 || rows[1].TahunKursus != 2026 {
			t.Fatalf("GET %s = %d %s", path, r.status, r.body)
		}
	}

	for query, want := range map[string]string{
		"from=2026-07-01&to=2026-06-30": "from: 2026-07-01 is after to 2026-06-30",
		"from=2026-02-30":               `"message":"from: \"2026-02-30\" is not a date`,
		"to=30-06-2026":                 `"message":"to: \"30-06-2026\" is not a date`,
		"year=2026&from=2026-01-01":     "year: give either year or from/to",
		"from=2000-01-01&to=2026-01-01": "at most 10 calendar years",
	} {
		for _, path := range []string{person + "/jp?", "/units/U1/jp?", person + "/siasn?", "/siasn?"} {
			r := n.admin.do(t, req{method: "GET", path: path + query})
			if r.status != 400 || !strings.Contains(r.body, want) {
				t.Errorf("GET %s%s = %d %s, want 400 %q", path, query, r.status, r.body, want)
			}
		}
	}
	// the routes without periods refuse from= as an unknown parameter
	if r := n.admin.do(t, req{method: "GET", path: person + "/competencies?from=2026-01-01"}); r.status != 400 {
		t.Errorf("competencies with from= = %d %s", r.status, r.body)
	}
}

// as_of before the log's first event is an empty report (200), not 404;
// a + offset sent unencoded (it arrives as a space) is read as +, and an
// as_of that still does not parse says to write + as %2B.
func TestAnalystAPI_AsOfBeforeTheLogAndUnencodedPlus(t *testing.T) {
	n := newJPNode(t)
	n.register(t, "U1", "Siti")
	expect(t, n.xProvider.do(t, req{method: "POST", path: "/statements", body: claim("KLS-TEKNIS", `,"`+bangkom.ExtJP+`":16`, "Pelatihan", "2026-03-10T10:00:00+07:00")}), 200)
	person := "/people/" + sitiNIP

	empty := decodeReport(t, n.admin.do(t, req{method: "GET", path: person + "/jp?year=2026&as_of=2000-01-01T00:00:00%2B07:00"}))
	if empty.Recognized != 0 || empty.Items == nil || len(empty.Items) != 0 || empty.AsOf != "2000-01-01T00:00:00+07:00" || len(empty.Notes) == 0 || !strings.Contains(empty.Notes[0], "holds nothing") {
		t.Fatalf("as of before the log: %+v", empty)
	}
	for path, want := range map[string]string{
		"/units/U1/jp?year=2026&as_of=2000-01-01T00:00:00Z":    `"people":0`,
		person + "/siasn?year=2026&as_of=2000-01-01T00:00:00Z": `[]`,
		"/siasn?year=2026&as_of=2000-01-01T00:00:00Z":          `[]`,
		person + "/competencies?as_of=2000-01-01T00:00:00Z":    `"competencies"`,
	} {
		if r := n.admin.do(t, req{method: "GET", path: path}); r.status != 200 || !strings.Contains(r.body, want) {
			t.Errorf("GET %s = %d %s, want 200 with %s", path, r.status, r.body, want)
		}
	}
	// a NIP the registry does not hold now is still 404
	if r := n.admin.do(t, req{method: "GET", path: "/people/199001012015011009/jp?as_of=2000-01-01T00:00:00Z"}); r.status != 404 {
		t.Errorf("unknown NIP as of before the log = %d %s", r.status, r.body)
	}

	// The raw query string holds an unencoded +, as curl and browsers send it.
	now := decodeReport(t, n.admin.do(t, req{method: "GET", path: person + "/jp?year=2026"}))
	plus := decodeReport(t, n.admin.do(t, req{method: "GET", path: person + "/jp?year=2026&as_of=2999-06-30T23:59:59+07:00"}))
	if plus.AsOf != "2999-06-30T23:59:59+07:00" || plus.Recognized != now.Recognized || plus.Recognized != 16 {
		t.Fatalf("as_of with an unencoded +: %+v (now %+v)", plus, now)
	}
	r := n.admin.do(t, req{method: "GET", path: person + "/jp?as_of=2026-06-30T23:59+07:00"})
	if r.status != 400 || !strings.Contains(r.body, "as_of:") || !strings.Contains(r.body, "write + as %2B") {
		t.Fatalf("a bad as_of with an unencoded + = %d %s", r.status, r.body)
	}
}

// A read-only node (Config.ReadOnly) answers reads, the alternate syntax's
// POST ?method=GET among them, and refuses every write with 405 naming why
// before it reaches the writer; /readyz says read-only.
func TestReadOnly_RefusesEveryWriteAndAnswersReads(t *testing.T) {
	node := lrstest.StartNode(t, lrstest.Log(t, lrstest.NATS(t)))
	ac, as := lrstest.Credential(t, "admin-1", lrs.RoleAdmin)
	srv := api.New(api.Config{
		Auth:       lrs.NewKeyring([]lrs.Credential{ac}),
		Statements: node.View,
		Documents:  node.Views.Documents,
		JP:         node.Views.JP,
		Writer:     node.Appender,
		ReadOnly:   "views replayed up to log event 0",
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	x, a := &env{ts.URL + "/xapi", ac.Key, as}, &env{ts.URL + "/api/v1", ac.Key, as}
	agent := url.QueryEscape(`{"mbox":"mailto:a@example.com"}`)
	for _, w := range []struct {
		e *env
		r req
	}{
		{x, req{method: "POST", path: "/statements", body: `{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://example.com/x"}}`}},
		{x, req{method: "PUT", path: "/statements?statementId=" + uuid.NewString(), body: `{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://example.com/x"}}`}},
		{x, req{method: "PUT", path: "/activities/state?activityId=http%3A%2F%2Fexample.com%2Fx&stateId=s&agent=" + agent, body: `{"p":1}`}},
		{x, req{method: "DELETE", path: "/activities/state?activityId=http%3A%2F%2Fexample.com%2Fx&agent=" + agent}},
		{a, req{method: "POST", path: "/people", body: `[]`}},
		{a, req{method: "POST", path: "/catalogue", body: `[]`}},
	} {
		got := w.e.do(t, w.r)
		if got.status != 405 || !strings.Contains(got.body, "read-only (views replayed up to log event 0)") || got.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s = %d %s (Allow %q)", w.r.method, w.r.path, got.status, got.body, got.header.Get("Allow"))
		}
	}
	form := url.Values{"Authorization": {"Basic " + basic(ac.Key, as)}, "X-Experience-API-Version": {"1.0.3"}}
	expect(t, x.raw(t, "POST", "/statements?method=GET", form.Encode(), "Content-Type", "application/x-www-form-urlencoded"), 200)
	form.Set("content", `{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://example.com/x"}}`)
	form.Set("Content-Type", "application/json")
	if got := x.raw(t, "POST", "/statements?method=POST", form.Encode(), "Content-Type", "application/x-www-form-urlencoded"); got.status != 405 {
		t.Errorf("POST ?method=POST = %d %s", got.status, got.body)
	}
	expect(t, x.do(t, req{method: "GET", path: "/statements"}), 200)
	if got := (&env{url: ts.URL}).do(t, req{method: "GET", path: "/readyz", noAuth: true}); got.status != 200 || !strings.Contains(got.body, "read-only") {
		t.Errorf("readyz = %d %s", got.status, got.body)
	}
	if seq := node.Appender.LastSeq(); seq != 0 {
		t.Fatalf("a read-only node appended up to event %d", seq)
	}
}
