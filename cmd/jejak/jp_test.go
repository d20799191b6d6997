package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

const registryCSV = `nip,name,unit,position,type,timezone,supervisor_nip
199001012015011001,Siti Rahma,BPSDM-1,Analis Kebijakan,PNS,WIB,197805152003121002
197805152003121002,Budi Santoso,BPSDM-1,Kepala Bidang,PNS,WIB,
198505052010122002,Rina Wulandari,BPSDM-2,Pranata Komputer,PPPK,WITA,197805152003121002
`

// The JP path end to end: the registry imported with the CLI, a provider's
// classroom claim approved on arrival, a coaching claim approved by the
// supervisor, the reports in JSON and CSV.
func TestRun_JPEndToEnd(t *testing.T) {
	data := t.TempDir()
	s := startServe(t, data, "--credentials", testKey+":"+testSecret+":admin,pusdiklat:pusdiklat-secret:provider,app:app-secret,kepegawaian:kepegawaian-secret:verifier")
	base := strings.TrimSuffix(s.base, "/xapi")

	file := filepath.Join(t.TempDir(), "people.csv")
	bad := strings.Replace(registryCSV, "WITA", "CET", 1)
	if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err := run(t.Context(), []string{"people", "import", "--url", base, "--auth", testKey + ":" + testSecret, file}, func(string) string { return "" }, nil, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "line 4: timezone") || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("bad file: err = %v", err)
	}
	if err := os.WriteFile(file, []byte(registryCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(t.Context(), []string{"people", "import", "--url", base, file}, func(k string) string {
		return map[string]string{"JEJAK_AUTH": testKey + ":" + testSecret}[k]
	}, nil, &out, &out); err != nil || !strings.Contains(out.String(), "imported 3 people") {
		t.Fatalf("import: %v %s", err, out.String())
	}

	post := func(key, secret, body string) { send(t, http.MethodPost, s.base+"/statements", key, secret, body, 200) }
	siti := `{"objectType":"Agent","account":{"homePage":"https://siasn.bkn.go.id","name":"199001012015011001"}}`
	post("pusdiklat", "pusdiklat-secret", `{"actor":`+siti+`,"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://pusdiklat.example.go.id/pelatihan/teknis-1"},"timestamp":"2026-03-10T10:00:00+07:00","context":{"extensions":{"https://jejak.id/xapi/bangkom/extensions/form":"KLS-TEKNIS","https://jejak.id/xapi/bangkom/extensions/jp":16}}}`)
	post("app", "app-secret", `{"id":"6f1c2a4e-0d39-4b0c-9a43-5d3f27d0c0aa","actor":`+siti+`,"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://coaching.example.go.id/sesi/1"},"timestamp":"2026-04-01T10:00:00+07:00","context":{"extensions":{"https://jejak.id/xapi/bangkom/extensions/form":"NK-COACHING"}}}`)

	get := func(path, accept string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.SetBasicAuth(testKey, testSecret)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, string(b)
	}
	status, body := get("/api/v1/approvals?supervisor=197805152003121002&year=2026", "")
	if status != 200 || !strings.Contains(body, "6f1c2a4e-0d39-4b0c-9a43-5d3f27d0c0aa") {
		t.Fatalf("approvals = %d %s", status, body)
	}
	budi := `{"objectType":"Agent","account":{"homePage":"https://siasn.bkn.go.id","name":"197805152003121002"}}`
	// a plain platform credential may not decide as the supervisor (policy: decide)
	if body := send(t, http.MethodPost, s.base+"/statements", "app", "app-secret", `{"actor":`+budi+`,"verb":{"id":"https://jejak.id/xapi/bangkom/verbs/approved"},"object":{"objectType":"StatementRef","id":"6f1c2a4e-0d39-4b0c-9a43-5d3f27d0c0aa"}}`, 403); !strings.Contains(string(body), "policy: decide") {
		t.Fatalf("approval by a plain credential: %s", body)
	}
	post("kepegawaian", "kepegawaian-secret", `{"actor":`+budi+`,"verb":{"id":"https://jejak.id/xapi/bangkom/verbs/approved"},"object":{"objectType":"StatementRef","id":"6f1c2a4e-0d39-4b0c-9a43-5d3f27d0c0aa"}}`)

	status, body = get("/api/v1/people/199001012015011001/jp?year=2026", "")
	var rep struct {
		Recognized, Pending, Target float64
		Met                         bool
		Items                       []struct{ State, ApprovedBy string }
	}
	if status != 200 || json.Unmarshal([]byte(body), &rep) != nil || rep.Recognized != 18 || rep.Pending != 0 || rep.Target != 20 || rep.Met {
		t.Fatalf("person jp = %d %s", status, body)
	}
	status, body = get("/api/v1/people/199001012015011001/jp?year=2026", "text/csv")
	if status != 200 || !strings.HasPrefix(body, "statement_id,form,date,jp_claimed,jp_recognized,state,approved_by,rule") || strings.Count(body, "\n") != 3 {
		t.Fatalf("person jp csv = %d %s", status, body)
	}
	status, body = get("/api/v1/units/BPSDM-1/jp?year=2026", "")
	if status != 200 || !strings.Contains(body, `"people":2`) || !strings.Contains(body, `"recognized_total":18`) {
		t.Fatalf("unit jp = %d %s", status, body)
	}
	for path, want := range map[string]int{
		"/api/v1/people/199001012015011009/jp?year=2026": 404,
		"/api/v1/people/12345/jp?year=2026":              400,
		"/api/v1/people/199001012015011001/jp?year=20x6": 400,
	} {
		if status, body := get(path, ""); status != want {
			t.Errorf("GET %s = %d %s, want %d", path, status, body, want)
		}
	}
}

// A rule change takes effect by replay: the JP view refuses to open under
// other rules, and a replay with the new rules gives new numbers and names
// the rule version behind each item.
func TestRun_ReplayUnderChangedRules(t *testing.T) {
	data := t.TempDir()
	s := startServe(t, data, "--credentials", testKey+":"+testSecret+":admin+verifier")
	base := strings.TrimSuffix(s.base, "/xapi")
	people := `[{"nip":"199001012015011001","name":"Siti","unit":"U1","position":"Analis","type":"PNS","timezone":"WIB"}]`
	for _, req := range []struct{ path, body string }{
		{"/api/v1/people", people},
		{"/xapi/statements", `{"actor":{"account":{"homePage":"https://siasn.bkn.go.id","name":"199001012015011001"}},"verb":{"id":"http://adlnet.gov/expapi/verbs/attended"},"object":{"id":"https://e.go.id/seminar/1"},"timestamp":"2026-05-05T09:00:00+07:00","context":{"extensions":{"https://jejak.id/xapi/bangkom/extensions/form":"KLS-SEMINAR","https://jejak.id/xapi/bangkom/extensions/days":2}}}`},
	} {
		send(t, http.MethodPost, base+req.path, testKey, testSecret, req.body, 200)
	}
	seminar := func(s *testServer) (float64, string) {
		t.Helper()
		hr, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(s.base, "/xapi")+"/api/v1/people/199001012015011001/jp?year=2026", nil)
		hr.SetBasicAuth(testKey, testSecret)
		res, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var rep struct {
			Pending float64
			Items   []struct {
				JPClaimed float64 `json:"jp_claimed"`
				Rule      string
			}
		}
		if err := json.NewDecoder(res.Body).Decode(&rep); err != nil || len(rep.Items) != 1 {
			t.Fatalf("jp report: %v %+v", err, rep)
		}
		return rep.Items[0].JPClaimed, rep.Items[0].Rule
	}
	if jp, rule := seminar(s); jp != 8 || !strings.HasPrefix(rule, "KLS-SEMINAR@2019.1") {
		t.Fatalf("2 seminar days = %g JP under %s, want 8 under KLS-SEMINAR@2019.1", jp, rule)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	// New rules: a seminar day is worth 5 JP from 2026 on.
	rules := filepath.Join(t.TempDir(), "rules")
	copyTree(t, "../../schemas", rules)
	path := filepath.Join(rules, "jp-rules", "KLS-SEMINAR.json")
	var rule map[string]any
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &rule); err != nil {
		t.Fatal(err)
	}
	versions := rule["versions"].([]any)
	old := versions[0].(map[string]any)
	old["valid_to"] = "2026-01-01"
	next := map[string]any{}
	for k, v := range old {
		next[k] = v
	}
	next["version"], next["valid_from"], next["valid_to"], next["jp"], next["source"] = "2026.1", "2026-01-01", nil, 5, "test: a changed rule"
	rule["versions"] = append(versions, next)
	b, _ = json.MarshalIndent(rule, "", "  ")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}

	err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--rules", rules, "--credentials", "a:b"}, func(string) string { return "" }, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "jejak replay") {
		t.Fatalf("serve under changed rules: err = %v, want a request to replay", err)
	}
	var out strings.Builder
	if err := run(t.Context(), []string{"replay", "--data", data, "--rules", rules, "--log-level", "warn"}, func(string) string { return "" }, nil, &out, &out); err != nil {
		t.Fatalf("replay: %v\n%s", err, out.String())
	}
	s = startServe(t, data, "--rules", rules, "--credentials", testKey+":"+testSecret+":admin")
	if jp, rule := seminar(s); jp != 10 || !strings.HasPrefix(rule, "KLS-SEMINAR@2026.1") {
		t.Fatalf("after replay: %g JP under %s, want 10 under KLS-SEMINAR@2026.1", jp, rule)
	}
}

// copyTree copies the files of dir src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o750)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Competencies and the SIASN export end to end: position standards with the
// CLI, an assessment from an assessor credential, the competency report,
// and jejak export siasn.
func TestRun_CompetenciesAndSIASNExport(t *testing.T) {
	data := t.TempDir()
	s := startServe(t, data, "--credentials", testKey+":"+testSecret+":admin,pusdiklat:p-secret:provider,ac:ac-secret:assessor")
	base := strings.TrimSuffix(s.base, "/xapi")
	env := func(k string) string {
		return map[string]string{"JEJAK_AUTH": testKey + ":" + testSecret, "JEJAK_URL": base}[k]
	}
	dir := t.TempDir()
	people := filepath.Join(dir, "people.csv")
	positions := filepath.Join(dir, "positions.json")
	_ = os.WriteFile(people, []byte(registryCSV), 0o600)
	_ = os.WriteFile(positions, []byte(`[{"position":"Analis Kebijakan","standards":{"M.01":3,"M.04":3}}]`), 0o600)
	var out strings.Builder
	if err := run(t.Context(), []string{"people", "import", people}, env, nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte(`[{"position":"X","standards":{"M.99":3}}]`), 0o600)
	if err := run(t.Context(), []string{"positions", "import", bad}, env, nil, &out, &out); err == nil || !strings.Contains(err.Error(), "M.99") {
		t.Fatalf("bad positions: %v", err)
	}
	if err := run(t.Context(), []string{"positions", "import", positions}, env, nil, &out, &out); err != nil || !strings.Contains(out.String(), "imported 1 position standards") {
		t.Fatalf("positions: %v %s", err, out.String())
	}
	post := func(key, secret, body string) { send(t, http.MethodPost, s.base+"/statements", key, secret, body, 200) }
	siti := `{"account":{"homePage":"https://siasn.bkn.go.id","name":"199001012015011001"}}`
	post("ac", "ac-secret", `{"actor":`+siti+`,"verb":{"id":"https://jejak.id/xapi/bangkom/verbs/assessed"},"object":{"id":"https://jejak.id/xapi/bangkom/competencies/M.01"},"result":{"score":{"raw":2}},"timestamp":"2026-02-01T09:00:00+07:00"}`)
	post("pusdiklat", "p-secret", `{"actor":`+siti+`,"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://pusdiklat.example.go.id/pelatihan/hasil","definition":{"name":{"id-ID":"Pelatihan Orientasi pada Hasil"}}},"timestamp":"2026-03-10T10:00:00+07:00","context":{"platform":"Pusdiklat Contoh","extensions":{"https://jejak.id/xapi/bangkom/extensions/form":"KLS-MANAJ","https://jejak.id/xapi/bangkom/extensions/jp":24,"https://jejak.id/xapi/bangkom/extensions/competencies":["M.04"]}}}`)

	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/people/199001012015011001/competencies", nil)
	req.SetBasicAuth(testKey, testSecret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Position     string
		JPM          *float64
		Competencies []struct {
			Code          string
			RequiredLevel *int     `json:"required_level"`
			AssessedLevel *float64 `json:"assessed_level"`
			Gap           *float64
			EvidenceJP    float64 `json:"evidence_jp"`
			State         string
		}
	}
	_ = json.NewDecoder(res.Body).Decode(&rep)
	res.Body.Close()
	if rep.Position != "Analis Kebijakan" || rep.JPM == nil || *rep.JPM != 33.33 || len(rep.Competencies) != 2 {
		t.Fatalf("competencies: %+v", rep)
	}
	// M.04 was learned towards (24 JP of evidence) but never assessed: no gap.
	if m4 := rep.Competencies[1]; m4.Code != "M.04" || m4.EvidenceJP != 24 || m4.Gap != nil || m4.State != "not_assessed" {
		t.Fatalf("M.04 line: %+v", m4)
	}

	out.Reset()
	if err := run(t.Context(), []string{"export", "siasn", "--year", "2026"}, env, nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "nip,jenisDiklatId,namaKursus") ||
		lines[1] != "199001012015011001,5,Pelatihan Orientasi pada Hasil,Pusdiklat Contoh,10-03-2026,10-03-2026,2026,24,"+strings.Split(lines[1], ",")[8]+",KLS-MANAJ" {
		t.Fatalf("siasn export:\n%s", out.String())
	}
	// a semester's export: the learning dated 1 January to 30 June; none dated after 10 March
	for to, rows := range map[string]int{"2026-06-30": 2, "2026-03-09": 1} {
		out.Reset()
		if err := run(t.Context(), []string{"export", "siasn", "--to", to}, env, nil, &out, &out); err != nil || strings.Count(strings.TrimSpace(out.String()), "\n")+1 != rows {
			t.Fatalf("siasn export --to %s: %v\n%s", to, err, out.String())
		}
	}
	out.Reset()
	if err := run(t.Context(), []string{"export", "siasn", "--from", "2026-07-01", "--to", "2026-06-30"}, env, nil, &out, &out); err == nil || !strings.Contains(err.Error(), "from: 2026-07-01 is after to 2026-06-30") {
		t.Fatalf("a reversed period: %v", err)
	}
	xlsx := filepath.Join(dir, "siasn.xlsx")
	if err := run(t.Context(), []string{"export", "siasn", "--year", "2026", "--format", "xlsx", "--out", xlsx}, env, nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	book, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatalf("the XLSX export: %v", err)
	}
	defer book.Close()
	sheetRows, err := book.GetRows(book.GetSheetName(0), excelize.Options{RawCellValue: true})
	if err != nil || len(sheetRows) != 2 || sheetRows[1][0] != "199001012015011001" || sheetRows[1][7] != "24" || sheetRows[1][2] != "Pelatihan Orientasi pada Hasil" {
		t.Fatalf("the XLSX export: %v %q", err, sheetRows)
	}
	out.Reset()
	if err := run(t.Context(), []string{"export", "siasn", "--year", "2026", "--format", "json", "--unit", "BPSDM-2"}, env, nil, &out, &out); err != nil || strings.TrimSpace(out.String()) != "[]" {
		t.Fatalf("siasn export of a unit without recognised learning: %v %q", err, out.String())
	}
}
