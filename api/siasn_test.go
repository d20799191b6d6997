package api_test

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// sheetRows reads an XLSX body's first sheet: each cell's raw value, and
// whether it is a text cell.
func sheetRows(t *testing.T, body string) (rows [][]string, text [][]bool) {
	t.Helper()
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("not an XLSX workbook: %v", err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	raw, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for r, row := range raw {
		kinds := make([]bool, len(row))
		for c := range row {
			at, _ := excelize.CoordinatesToCellName(c+1, r+1)
			typ, err := f.GetCellType(sheet, at)
			if err != nil {
				t.Fatal(err)
			}
			kinds[c] = typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString
		}
		text = append(text, kinds)
	}
	return raw, text
}

// siasnRowsOf reads the JSON SIASN rows of a route.
func siasnRowsOf(t *testing.T, e *env, path string) []api.SIASNRow {
	t.Helper()
	got := e.do(t, req{method: "GET", path: path})
	expect(t, got, 200)
	var rows []api.SIASNRow
	if err := json.Unmarshal([]byte(got.body), &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

// SIASN rows carry the learning's first and last day: a 4-day course
// completed on 12 February ran 9-12 February (the completion is the last
// day, not the first); a start-date extension names the first day; the
// course name is definition.name in Indonesian first, and never the
// activity IRI; the institution is the statement's platform when the
// credential has no display name.
func TestSIASN_RowsFromTheStatement(t *testing.T) {
	n := newJPNode(t)
	n.register(t, "U1", "Siti")
	const ts = "2026-02-12T15:00:00+07:00"
	kursus := func(ext string) string { return `,"` + bangkom.ExtJP + `":16` + ext }
	days4 := `,"` + bangkom.ExtDays + `":4`
	start := func(d string) string { return `,"` + bangkom.ExtStartDate + `":"` + d + `"` }
	named := func(name, ext string) string { return claim("KLS-KURSUS", kursus(ext), name, ts) }
	posts := []string{
		named("Empat hari", days4),
		named("Dengan tanggal mulai", start("2026-02-02")),
		strings.Replace(named("", ""), `{"id-ID":""}`, `{"en-US":"Policy analysis","id-ID":"Analisis kebijakan"}`, 1),
		strings.Replace(named("", ""), `,"definition":{"name":{"id-ID":""}}`, ``, 1),
		strings.Replace(named("Tanpa platform", ""), `"platform":"Pusdiklat",`, ``, 1),
	}
	for _, st := range posts {
		expect(t, n.xProvider.do(t, req{method: "POST", path: "/statements", body: st}), 200)
	}
	// A start date SIASN-style (dd-mm-yyyy) is refused, naming the format.
	expect(t, n.xProvider.do(t, req{method: "POST", path: "/statements", body: named("x", start("02-02-2026"))}), 400,
		bangkom.ExtStartDate, "is not a calendar date YYYY-MM-DD")

	rows := siasnRowsOf(t, n.admin, "/people/"+sitiNIP+"/siasn?year=2026")
	if len(rows) != len(posts) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(posts), rows)
	}
	type want struct{ start, end, inst string }
	byName := map[string]want{
		"Empat hari":           {"09-02-2026", "12-02-2026", "Pusdiklat"},
		"Dengan tanggal mulai": {"02-02-2026", "12-02-2026", "Pusdiklat"},
		"Analisis kebijakan":   {"12-02-2026", "12-02-2026", "Pusdiklat"},
		"":                     {"12-02-2026", "12-02-2026", "Pusdiklat"},
		"Tanpa platform":       {"12-02-2026", "12-02-2026", ""},
	}
	for _, r := range rows {
		w, ok := byName[r.NamaKursus]
		if !ok {
			t.Errorf("unexpected namaKursus %q", r.NamaKursus)
			continue
		}
		delete(byName, r.NamaKursus)
		if r.TanggalKursus != w.start || r.TanggalSelesaiKursus != w.end || r.InstitusiPenyelenggara != w.inst || r.TahunKursus != 2026 {
			t.Errorf("%q: %s .. %s at %q (%d), want %s .. %s at %q", r.NamaKursus, r.TanggalKursus, r.TanggalSelesaiKursus, r.InstitusiPenyelenggara, r.TahunKursus, w.start, w.end, w.inst)
		}
		if strings.Contains(r.NamaKursus, "://") || strings.Contains(r.InstitusiPenyelenggara, "provider-1") {
			t.Errorf("row names an IRI or a credential key: %+v", r)
		}
	}
	if len(byName) > 0 {
		t.Errorf("rows missing: %v", byName)
	}
	// The JP report shows the first day beside the date (the last).
	var rep bangkom.YearReport
	got := n.admin.do(t, req{method: "GET", path: "/people/" + sitiNIP + "/jp?year=2026"})
	if err := json.Unmarshal([]byte(got.body), &rep); err != nil {
		t.Fatal(err)
	}
	for _, it := range rep.Items {
		if it.ActivityName == "Empat hari" && (it.Start != "2026-02-09" || it.Date != "2026-02-12") {
			t.Errorf("item start %s date %s, want 2026-02-09 .. 2026-02-12", it.Start, it.Date)
		}
		if it.ActivityName == "" && !bangkom.MissingName(it) {
			t.Errorf("an unnamed item is not MissingName: %+v", it)
		}
	}
}

// The SIASN export as XLSX: a PPPK's 18-digit NI is a text cell with the
// exact digits, jumlahJam a number, the file named .xlsx; by Accept or by
// format=xlsx.
func TestSIASN_XLSXKeepsTheNIPAsText(t *testing.T) {
	n := newJPNode(t)
	const pppk = "198902142023211008"
	people, _ := json.Marshal([]bangkom.Person{{NIP: pppk, Name: "Ayu", Unit: "U1", Position: "Analis", Type: "PPPK", Timezone: "WIB"}})
	expect(t, n.admin.do(t, req{method: "POST", path: "/people", body: string(people)}), 200)
	st := strings.Replace(claim("KLS-KURSUS", `,"`+bangkom.ExtJP+`":12`, "Kursus data", "2026-02-12T15:00:00+07:00"), sitiNIP, pppk, 1)
	expect(t, n.xProvider.do(t, req{method: "POST", path: "/statements", body: st}), 200)
	for _, ask := range []struct {
		path    string
		headers []string
	}{
		{"/people/" + pppk + "/siasn?year=2026", []string{"Accept", xlsxType}},
		{"/siasn?year=2026", []string{"Accept", "application/json;q=0.5, " + xlsxType}},
		{"/siasn?year=2026&format=xlsx", []string{"Accept", "text/csv"}},
	} {
		got := n.admin.doWith(t, req{method: "GET", path: ask.path}, ask.headers...)
		expect(t, got, 200)
		if ct, cd := got.header.Get("Content-Type"), got.header.Get("Content-Disposition"); ct != xlsxType || !strings.HasSuffix(cd, `.xlsx"`) {
			t.Fatalf("%s: Content-Type %q, Content-Disposition %q", ask.path, ct, cd)
		}
		rows, text := sheetRows(t, got.body)
		if len(rows) != 2 || strings.Join(rows[0], ",") != "nip,jenisDiklatId,namaKursus,institusiPenyelenggara,tanggalKursus,tanggalSelesaiKursus,tahunKursus,jumlahJam,statement_id,form" {
			t.Fatalf("%s: rows %q", ask.path, rows)
		}
		if rows[1][0] != pppk || !text[1][0] {
			t.Errorf("%s: NIP cell %q, text %v", ask.path, rows[1][0], text[1][0])
		}
		if rows[1][7] != "12" || text[1][7] || rows[1][6] != "2026" || text[1][6] {
			t.Errorf("%s: jumlahJam %q (text %v), tahunKursus %q (text %v): want numbers", ask.path, rows[1][7], text[1][7], rows[1][6], text[1][6])
		}
		if rows[1][2] != "Kursus data" || rows[1][4] != "12-02-2026" || !text[1][4] {
			t.Errorf("%s: row %q", ask.path, rows[1])
		}
	}
	// format=csv asks for CSV without an Accept header; a format not known is refused.
	got := n.admin.do(t, req{method: "GET", path: "/siasn?year=2026&format=csv"})
	if expect(t, got, 200, pppk); !strings.HasPrefix(got.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("format=csv: %s", got.header.Get("Content-Type"))
	}
	expect(t, n.admin.do(t, req{method: "GET", path: "/siasn?year=2026&format=xls"}), 400, `is not json, csv or xlsx`)
	// A refused type (q=0) is not chosen.
	got = n.admin.doWith(t, req{method: "GET", path: "/siasn?year=2026"}, "Accept", xlsxType+";q=0, application/json")
	if expect(t, got, 200); !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") {
		t.Fatalf("Accept with q=0 XLSX: %s", got.header.Get("Content-Type"))
	}
}

// Every route that writes CSV writes XLSX too, with the same header row,
// by Accept and by format=xlsx.
func TestReports_EveryCSVRouteWritesXLSX(t *testing.T) {
	n := newJPNode(t)
	n.register(t, "U1", "Siti")
	expect(t, n.xProvider.do(t, req{method: "POST", path: "/statements", body: claim("KLS-KURSUS", `,"`+bangkom.ExtJP+`":8`, "Kursus", "2026-02-12T15:00:00+07:00")}), 200)
	expect(t, n.xLMS.do(t, req{method: "POST", path: "/statements", body: claim("NK-MANDIRI", ``, "Belajar", "2026-02-13T15:00:00+07:00")}), 200)
	csvs := checkReports(t, n.admin, "U1")
	for _, path := range []string{"/people", "/units?year=2026", "/catalogue", "/forms"} {
		got := n.admin.doWith(t, req{method: "GET", path: path}, "Accept", "text/csv")
		rows, err := csv.NewReader(strings.NewReader(got.body)).ReadAll()
		if got.status != 200 || err != nil || len(rows) < 2 {
			t.Fatalf("GET %s as CSV = %d %v %s", path, got.status, err, got.body)
		}
		csvs[path] = rows
	}
	for path, csvRows := range csvs {
		for _, got := range []resp{
			n.admin.doWith(t, req{method: "GET", path: path}, "Accept", xlsxType),
			n.admin.do(t, req{method: "GET", path: withParam(path, "format=xlsx")}),
		} {
			if got.status != 200 || got.header.Get("Content-Type") != xlsxType || !strings.HasSuffix(got.header.Get("Content-Disposition"), `.xlsx"`) {
				t.Fatalf("GET %s as XLSX = %d %s %s", path, got.status, got.header.Get("Content-Type"), got.body)
			}
			rows, _ := sheetRows(t, got.body)
			if len(rows) != len(csvRows) || strings.Join(rows[0], ",") != strings.Join(csvRows[0], ",") {
				t.Fatalf("GET %s: XLSX rows %q, CSV rows %q", path, rows, csvRows)
			}
		}
	}
}

// withParam adds a query parameter to a path.
func withParam(path, param string) string {
	if strings.Contains(path, "?") {
		return path + "&" + param
	}
	return path + "?" + param
}
