package web_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/jejak-id/jejak/lrs/bangkom"
)

// analisClaim is a completed learning claim of nip: form, declared JP,
// learning date (WIB) and the activity's name.
func analisClaim(nip, form string, jp float64, date, name string) string {
	return `{"actor":{"account":{"homePage":"` + bangkom.DefaultHomePage + `","name":"` + nip + `"}},` +
		`"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},` +
		`"object":{"id":"https://pusdiklat.example.go.id/pelatihan/` + uuid.NewString() + `","definition":{"name":{"id-ID":` + strconv.Quote(name) + `}}},` +
		`"timestamp":"` + date + `T10:00:00+07:00","context":{"platform":"Pusdiklat","extensions":{"` +
		bangkom.ExtForm + `":"` + form + `","` + bangkom.ExtJP + `":` + strconv.FormatFloat(jp, 'f', -1, 64) + `}}}`
}

// analisAssessment is an assessor's level of nip in competency code.
func analisAssessment(nip, code string, level int, date string) string {
	return `{"actor":{"account":{"homePage":"` + bangkom.DefaultHomePage + `","name":"` + nip + `"}},` +
		`"verb":{"id":"` + bangkom.VerbAssessed + `"},"object":{"id":"` + bangkom.CompetencyPrefix + code + `"},` +
		`"result":{"score":{"raw":` + strconv.Itoa(level) + `}},"timestamp":"` + date + `T09:00:00+07:00"}`
}

// seedAnalis gives the site's unit learning to analyse, in 2026: Siti
// (nipPegawai) 16 + 4 JP of provider classroom claims (a seminar counts 4
// JP whatever it declares) (recognised on
// arrival, so she met the target) and one claim with a form that does not
// exist (a claim problem); Dewi (nipRekan) a pending e-learning claim of
// 2 JP; Budi nothing. The Analis position requires M.01 and M.02 at 3;
// Siti is assessed at 2 in M.01.
func seedAnalis(t testing.TB, s *site) {
	t.Helper()
	s.apiCall(t, "admin", http.MethodPost, "/api/v1/positions",
		`[{"position":"Analis Kebijakan Ahli Muda","standards":{"M.01":3,"M.02":3}}]`, http.StatusOK)
	s.apiCall(t, "provider", http.MethodPost, "/xapi/statements", "["+strings.Join([]string{
		analisClaim(nipPegawai, "KLS-TEKNIS", 16, "2026-03-10", "Pelatihan Analisis Kebijakan"),
		analisClaim(nipPegawai, "KLS-SEMINAR", 8, "2026-05-20", "Seminar Reformasi Birokrasi"),
		analisClaim(nipPegawai, "kls-teknis", 4, "2026-06-02", "Pelatihan dengan kode salah"),
		analisClaim(nipRekan, "NK-ELEARN", 2, "2026-04-15", "E-learning Etika ASN"),
	}, ",")+"]", http.StatusOK)
	s.apiCall(t, "assessor", http.MethodPost, "/xapi/statements", analisAssessment(nipPegawai, "M.01", 2, "2026-02-01"), http.StatusOK)
}

// analystBrowser is a browser signed in as the analyst on a site seeded
// by seedAnalis.
func analystBrowser(t *testing.T) *browser {
	t.Helper()
	s := newSite(t)
	seedAnalis(t, s)
	b := s.browser(t)
	b.signIn("analyst")
	return b
}

// cellText is the text of the element with id in a page, tags removed.
func cellText(t testing.TB, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no element #%s in the page", id)
	}
	return strings.TrimSpace(m[1])
}

// tableRow is the cells' text of the row whose attribute attr is val.
func tableRow(t testing.TB, body, attr, val string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr ` + attr + `="` + regexp.QuoteMeta(val) + `">(.*?)</tr>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no row %s=%q in the page:\n%s", attr, val, snippet(body))
	}
	var cells []string
	for _, c := range regexp.MustCompile(`(?s)<t[dh][^>]*>(.*?)</t[dh]>`).FindAllStringSubmatch(m[1], -1) {
		cells = append(cells, strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(c[1], " ")), " "))
	}
	return cells
}

func TestAnalis_UnitDashboard(t *testing.T) {
	b := analystBrowser(t)

	home := b.get("/analis?year=2026")
	expectPage(t, home, http.StatusOK, "Analisis unit", unitUmum, "Seluruh unit (instansi)")
	if got := cellText(t, home.body, "total-people"); got != "3" {
		t.Fatalf("people of the instansi: %q, want 3", got)
	}
	if !strings.Contains(home.body, `href="/analis/unit/Biro%20Umum?year=2026"`) {
		t.Fatalf("no link to the unit's dashboard:\n%s", snippet(home.body))
	}

	p := b.get("/analis/unit/Biro%20Umum?year=2026")
	expectPage(t, p, http.StatusOK, "Dasbor unit", "Biro Umum · 2026", "<svg class=\"chart\"", "Sebaran JP", "JP diakui per bulan, 2026")
	for id, want := range map[string]string{"people": "3", "below": "2", "recognized-total": "20 <small>JP"} {
		if got := cellText(t, p.body, id); !strings.HasPrefix(got, want) {
			t.Errorf("#%s: %q, want %q", id, got, want)
		}
	}
	if got := cellText(t, p.body, "met"); !strings.HasPrefix(got, "1 <small>33%") {
		t.Errorf("#met: %q, want 1 (33%%)", got)
	}
	// below the target: Budi (no JP) first, then Dewi with 2 JP pending, each with their supervisor
	dewi := tableRow(t, p.body, "data-nip", nipRekan)
	if want := []string{"Dewi Lestari " + nipRekan, "0", "2", "20", "Budi Santoso"}; strings.Join(dewi, "|") != strings.Join(want, "|") {
		t.Errorf("Dewi's row: %q, want %q", dewi, want)
	}
	if i, j := strings.Index(p.body, `data-nip="`+nipAtasan+`"`), strings.Index(p.body, `data-nip="`+nipRekan+`"`); i < 0 || j < i {
		t.Errorf("the list below the target is not Budi then Dewi")
	}
	if strings.Contains(p.body, `data-nip="`+nipPegawai+`"`) {
		t.Errorf("Siti met the target but is listed below it")
	}
	// JP by form
	for form, want := range map[string][]string{
		"KLS-TEKNIS": {"KLS-TEKNIS", "16", "0"}, "KLS-SEMINAR": {"KLS-SEMINAR", "4", "0"}, "NK-ELEARN": {"NK-ELEARN", "0", "2"}} {
		if got := tableRow(t, p.body, "data-form", form); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("JP by form %s: %q, want %q", form, got, want)
		}
	}
	// the heatmap: M.01 Siti below, Dewi not assessed; M.02 both not assessed (Budi has no standard)
	heat := func(code string) string {
		m := regexp.MustCompile(`(?s)<tr data-code="` + regexp.QuoteMeta(code) + `">(.*?)</tr>`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no heatmap row %s", code)
		}
		var cells []string
		for _, c := range regexp.MustCompile(`<td class="(h\d)" data-state="([a-z_]+)">(\d+)</td>`).FindAllStringSubmatch(m[1], -1) {
			cells = append(cells, c[2]+"="+c[3]+":"+c[1])
		}
		return strings.Join(cells, " ")
	}
	if got, want := heat("M.01"), "below_standard=1:h2 stale=0:h0 not_assessed=1:h2 meets_standard=0:h0"; got != want {
		t.Errorf("heatmap M.01: %s, want %s", got, want)
	}
	if got, want := heat("M.02"), "below_standard=0:h0 stale=0:h0 not_assessed=2:h4 meets_standard=0:h0"; got != want {
		t.Errorf("heatmap M.02: %s, want %s", got, want)
	}
	// the histogram's and the trend's numbers as tables
	expectPage(t, p, http.StatusOK, "<td>0</td><td class=\"num\">2</td>", "<td>20–29</td><td class=\"num\">1</td>",
		"<td>Mar</td><td class=\"num\">16</td>", "<td>Mei</td><td class=\"num\">4</td>", "<td>Apr</td><td class=\"num\">0</td>")
	// the claim problem of Siti's mistyped form
	expectPage(t, p, http.StatusOK, "form_unknown", "lms-uji")

	// the monthly trend on its own page (a large unit's dashboard links there)
	tr := b.get("/analis/unit/Biro%20Umum/tren?year=2026")
	expectPage(t, tr, http.StatusOK, "Tren bulanan unit", "Biro Umum · JP diakui per bulan, 2026",
		"<td>Mar</td><td>1 Maret 2026 – 31 Maret 2026</td><td class=\"num\">16</td>")

	// a period by learning date: the first quarter holds only the March course
	q := b.get("/analis/unit/Biro%20Umum?from=2026-01-01&to=2026-03-31")
	expectPage(t, q, http.StatusOK, "1 Januari 2026 – 31 Maret 2026")
	if got := cellText(t, q.body, "recognized-total"); !strings.HasPrefix(got, "16 <small>") {
		t.Errorf("first quarter: recognised %q, want 16", got)
	}
	bad := b.get("/analis/unit/Biro%20Umum?from=2026-04-01&to=2026-03-31")
	expectPage(t, bad, http.StatusBadRequest, "from")

	// drill-down to a person
	if !strings.Contains(p.body, `href="/analis/pegawai/`+nipRekan+`?unit=Biro&#43;Umum&amp;year=2026"`) {
		t.Fatalf("no link to Dewi's records: %q", regexp.MustCompile(`href="/analis/pegawai/[^"]*"`).FindAllString(p.body, -1))
	}
	d := b.get("/analis/pegawai/" + nipPegawai + "?year=2026&unit=Biro+Umum")
	expectPage(t, d, http.StatusOK, "Catatan pegawai", "Siti Rahayu", "Pelatihan Analisis Kebijakan", "Seminar Reformasi Birokrasi",
		"Memenuhi target", "form_unknown", "Di bawah standar", `href="/analis/unit/Biro%20Umum?year=2026"`)
	if got := cellText(t, d.body, "person-recognized"); !strings.HasPrefix(got, "20 <small>/ 20 JP") {
		t.Errorf("Siti's recognised JP: %q", got)
	}
	if got := tableRow(t, d.body, "data-code", "M.01"); len(got) < 5 || got[1] != "3" || got[2] != "2" || got[4] != "1" {
		t.Errorf("Siti's M.01: %q, want required 3, assessed 2, gap 1", got)
	}
}

// The analyst's pages in English: every label from the catalogue.
func TestAnalis_English(t *testing.T) {
	b := analystBrowser(t)
	b.get("/analis")
	b.post("/bahasa", url.Values{"lang": {"en"}, "return": {"/analis?year=2026"}})
	expectPage(t, b.get("/analis?year=2026"), http.StatusOK, "Unit analysis", "All units (instansi)")
	expectPage(t, b.get("/analis/unit/Biro%20Umum?year=2026"), http.StatusOK, "Unit dashboard", "JP recognised by month, 2026",
		"<td>May</td>", "Competency gaps", "Below standard", "Claims that do not count", "People below the target (2 of 2 shown)")
	expectPage(t, b.get("/analis/unit/Biro%20Umum/tren?year=2026"), http.StatusOK, "A unit&#39;s monthly trend", "1 March 2026 – 31 March 2026")
	expectPage(t, b.get("/analis/pegawai/"+nipRekan+"?year=2026"), http.StatusOK, "A person&#39;s records", "Pending", "Not assessed", "15 April 2026")
}

func TestAnalis_Downloads(t *testing.T) {
	b := analystBrowser(t)
	p := b.get("/analis/unit/Biro%20Umum?year=2026")
	link := regexp.MustCompile(`id="csv" href="([^"]+)"`).FindStringSubmatch(p.body)
	if link == nil {
		t.Fatal("no CSV link on the dashboard")
	}
	res := b.get(strings.ReplaceAll(link[1], "&amp;", "&"))
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s", res.status, res.header.Get("Content-Type"))
	}
	if cd := res.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") || !strings.Contains(cd, ".csv") {
		t.Fatalf("CSV Content-Disposition: %q", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	checkUnitRows(t, "CSV", rows)

	res = b.get("/analis/unit/Biro%20Umum/unduh?year=2026&format=xlsx")
	if res.status != http.StatusOK || !strings.Contains(res.header.Get("Content-Disposition"), ".xlsx") {
		t.Fatalf("XLSX: %d %q", res.status, res.header.Get("Content-Disposition"))
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(res.body)))
	if err != nil {
		t.Fatal(err)
	}
	rows, err = f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	checkUnitRows(t, "XLSX", rows)

	// the period's report: the first quarter has only the March course
	res = b.get("/analis/unit/Biro%20Umum/unduh?to=2026-03-31&format=csv")
	rows, _ = csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if got := rowOf(rows, nipPegawai); got == nil || got[2] != "16" {
		t.Errorf("first quarter CSV, Siti: %q, want 16 recognised", got)
	}
	// competencies as a spreadsheet
	res = b.get("/analis/unit/Biro%20Umum/unduh?laporan=kompetensi&format=csv")
	if res.status != http.StatusOK || !strings.Contains(res.body, "M.01") {
		t.Errorf("competency CSV: %d\n%s", res.status, res.body)
	}
	expectPage(t, b.get("/analis/unit/Biro%20Umum/unduh?format=pdf"), http.StatusBadRequest, "Format unduhan tidak dikenal")
}

// rowOf is the row whose first cell is nip.
func rowOf(rows [][]string, nip string) []string {
	for _, r := range rows {
		if len(r) > 0 && r[0] == nip {
			return r
		}
	}
	return nil
}

// checkUnitRows checks the unit report's rows (CSV or XLSX): header, and
// each person's recognised JP, met, pending and supervisor.
func checkUnitRows(t *testing.T, what string, rows [][]string) {
	t.Helper()
	if len(rows) != 4 || strings.Join(rows[0][:7], ",") != "nip,name,recognized,met,pending,supervisor_nip,supervisor_name" {
		t.Fatalf("%s: %d rows, header %q", what, len(rows), rows[0])
	}
	for nip, want := range map[string]string{
		nipPegawai: "Siti Rahayu,20,true,0," + nipAtasan + ",Budi Santoso",
		nipRekan:   "Dewi Lestari,0,false,2," + nipAtasan + ",Budi Santoso",
		nipAtasan:  "Budi Santoso,0,false,0,,",
	} {
		r := rowOf(rows, nip)
		if r == nil {
			t.Fatalf("%s: no row for %s", what, nip)
		}
		if got := strings.Join(r[1:7], ","); got != want {
			t.Errorf("%s: %s: %q, want %q", what, nip, got, want)
		}
	}
}

func TestAnalis_Refused(t *testing.T) {
	s := newSite(t)
	seedAnalis(t, s)

	// a person may not read the unit's report, nor download it
	b := s.browser(t)
	b.signIn("pegawai")
	p := b.get("/analis/unit/Biro%20Umum?year=2026")
	expectPage(t, p, http.StatusForbidden, "Anda tidak berhak", "(policy: unit-data)")
	expectPage(t, b.get("/analis/unit/Biro%20Umum/unduh?format=csv"), http.StatusForbidden, "(policy: unit-data)")

	// an analyst of another unit sees no unit and no one of this one
	o := s.browser(t)
	o.signIn("analyst-keu")
	expectPage(t, o.get("/analis"), http.StatusOK, "Tidak ada unit yang boleh Anda lihat.")
	expectPage(t, o.get("/analis/unit/Biro%20Umum"), http.StatusForbidden, "(policy: unit-data)")
	expectPage(t, o.get("/analis/pegawai/"+nipPegawai), http.StatusForbidden, "(policy: person-data)")
	res := o.get("/analis/unit/Biro%20Umum/unduh?" + url.Values{"format": {"xlsx"}}.Encode())
	expectPage(t, res, http.StatusForbidden, "(policy: unit-data)")
	if cd := res.header.Get("Content-Disposition"); cd != "" {
		t.Errorf("a refused download has Content-Disposition %q", cd)
	}
}

// A unit of more than a thousand people: the list below the target comes a
// page at a time, and the monthly trend (twelve reports) on its own page.
func TestAnalis_LargeUnit(t *testing.T) {
	s := newSite(t)
	seedBigUnit(t, s, 1200)
	b := s.browser(t)
	b.signIn("analyst")
	p := b.get("/analis/unit/Biro%20Besar?year=2026")
	expectPage(t, p, http.StatusOK, "Biro Besar · 2026", `id="people">1.200<`, `id="trend-link" href="/analis/unit/Biro%20Besar/tren?year=2026"`)
	below, err := strconv.Atoi(strings.ReplaceAll(cellText(t, p.body, "below"), ".", ""))
	if err != nil || below <= 50 {
		t.Fatalf("below the target: %q, want more than a page", cellText(t, p.body, "below"))
	}
	pages := (below + 49) / 50
	rows := regexp.MustCompile(`<tr data-nip="`).FindAllString(p.body, -1)
	expectPage(t, p, http.StatusOK, fmt.Sprintf("Halaman 1 dari %d", pages), fmt.Sprintf("(50 dari %d ditampilkan)", below))
	if len(rows) != 50 {
		t.Fatalf("%d people listed on the first page, want 50", len(rows))
	}
	last := b.get(fmt.Sprintf("/analis/unit/Biro%%20Besar?year=2026&hal=%d", pages))
	want := below - (pages-1)*50
	expectPage(t, last, http.StatusOK, fmt.Sprintf("Halaman %d dari %d", pages, pages), fmt.Sprintf("(%d dari %d ditampilkan)", want, below))
	if strings.Contains(last.body, `id="next-page"`) {
		t.Errorf("the last page links to a next one")
	}
	tr := b.get("/analis/unit/Biro%20Besar/tren?year=2026")
	expectPage(t, tr, http.StatusOK, "Tren bulanan unit", `id="trend-table"`)
}

// An analyst scoped to the instansi gets a dashboard of everyone under it
// (no one's unit has the instansi's name); an analyst of another unit is
// refused it by the API.
func TestAnalis_InstansiDashboard(t *testing.T) {
	s := newSite(t)
	seedAnalis(t, s)
	var rep struct {
		People, Met int
	}
	decode(t, s.apiCall(t, "analyst", http.MethodGet, "/api/v1/units/"+url.PathEscape(instansi)+"/jp?year=2026", "", http.StatusOK), &rep)
	if rep.People != 3 || rep.Met != 1 {
		t.Fatalf("the instansi's report: %+v, want its 3 people, 1 met", rep)
	}
	s.apiCall(t, "analyst-keu", http.MethodGet, "/api/v1/units/"+url.PathEscape(instansi)+"/jp?year=2026", "", http.StatusForbidden)

	b := s.browser(t)
	b.signIn("analyst")
	link := "/analis/unit/" + url.PathEscape(instansi)
	expectPage(t, b.get("/analis?year=2026"), http.StatusOK, `id="scopes"`, `href="`+link+`?year=2026"`, "Semua pegawai di bawah "+instansi)
	expectPage(t, b.get(link+"?year=2026"), http.StatusOK, instansi+" · 2026", `id="people">3<`)
	o := s.browser(t)
	o.signIn("analyst-keu")
	expectPage(t, o.get(link+"?year=2026"), http.StatusForbidden, "(policy: unit-data)")
}
