package api_test

import (
	"encoding/csv"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs/bangkom"
)

// csvRows reads a CSV answer.
func csvRows(t *testing.T, got resp) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(got.body)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("not CSV (%v): %s", err, got.body)
	}
	return rows
}

// hasRow reports whether rows holds row.
func hasRow(rows [][]string, row []string) bool {
	return slices.ContainsFunc(rows, func(r []string) bool { return slices.Equal(r, row) })
}

// listNIPs follows the more links of GET /people from path and returns
// every NIP listed, in order, and the number of pages.
func listNIPs(t *testing.T, e *env, path string) ([]string, int) {
	t.Helper()
	var nips []string
	pages := 0
	for path != "" {
		got := e.do(t, req{method: "GET", path: path})
		expect(t, got, 200)
		pages++
		var page struct {
			People []bangkom.Person `json:"people"`
			More   string           `json:"more"`
		}
		if err := json.Unmarshal([]byte(got.body), &page); err != nil {
			t.Fatal(err)
		}
		for _, p := range page.People {
			nips = append(nips, string(p.NIP))
		}
		if page.More != "" && got.header.Get("Link") != "<"+page.More+`>; rel="next"` {
			t.Fatalf("Link %q, more %q", got.header.Get("Link"), page.More)
		}
		path = strings.TrimPrefix(page.More, "/api/v1")
		if pages > 10 {
			t.Fatal("more links do not end")
		}
	}
	return nips, pages
}

// GET /api/v1/people lists the registry in NIP order, by unit (its name in
// any case) and by a piece of the name or NIP (in any case), a page at a
// time; an analyst sees only the people of their units, and a CSV of the
// list has the columns of a registry import.
func TestLists_PeopleByUnitNameAndNIP(t *testing.T) {
	n := newASNNode(t)
	adm := n.api["adm"]
	all := []string{budiNIP, aniNIP, sitiNIP, dewiNIP}
	slices.Sort(all)
	if got, pages := listNIPs(t, adm, "/people"); !slices.Equal(got, all) || pages != 1 {
		t.Fatalf("everyone: %v in %d pages, want %v", got, pages, all)
	}
	if got, pages := listNIPs(t, adm, "/people?limit=1"); !slices.Equal(got, all) || pages != 4 {
		t.Fatalf("a page of one at a time: %v in %d pages, want %v", got, pages, all)
	}
	unitA := []string{budiNIP, sitiNIP}
	slices.Sort(unitA)
	for _, path := range []string{"/people?unit=U-A", "/people?unit=u-a", "/people?unit=u-A&limit=1"} {
		if got, _ := listNIPs(t, adm, path); !slices.Equal(got, unitA) {
			t.Fatalf("%s: %v, want %v", path, got, unitA)
		}
	}
	for path, want := range map[string][]string{
		"/people?q=SIT":                {sitiNIP},
		"/people?q=" + dewiNIP[4:12]:   {dewiNIP},
		"/people?q=i&unit=U-B":         {aniNIP},
		"/people?q=nobody":             nil,
		"/people?unit=U-NONE":          nil,
		"/people?unit=U-A&q=" + aniNIP: nil,
		"/people?unit=u-c&q=" + "dEwI": {dewiNIP},
	} {
		if got, _ := listNIPs(t, adm, path); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
	// Analysts see the people of their units, parent units or instansi.
	if got, _ := listNIPs(t, n.api["an-a"], "/people"); !slices.Equal(got, unitA) {
		t.Errorf("analyst of U-A: %v, want %v", got, unitA)
	}
	if got, _ := listNIPs(t, n.api["an-a"], "/people?unit=U-C"); got != nil {
		t.Errorf("analyst of U-A lists U-C: %v", got)
	}
	instX := []string{budiNIP, aniNIP, sitiNIP}
	slices.Sort(instX)
	if got, _ := listNIPs(t, n.api["an-x"], "/people?limit=2"); !slices.Equal(got, instX) {
		t.Errorf("analyst of INST-X: %v, want %v", got, instX)
	}
	got := adm.doWith(t, req{method: "GET", path: "/people?unit=u-a"}, "Accept", "text/csv")
	expect(t, got, 200)
	rows := csvRows(t, got)
	if strings.Join(rows[0], ",") != "nip,name,unit,position,type,timezone,supervisor_nip,instansi,parent_unit" || len(rows) != 3 ||
		!hasRow(rows[1:], []string{sitiNIP, "Siti", "U-A", "Analis", "PNS", "WIB", budiNIP, "INST-X", "DIR-1"}) {
		t.Fatalf("CSV: %v", rows)
	}
	// The CSV imports again as it is.
	expect(t, adm.do(t, req{method: "POST", path: "/people", body: got.body, contentType: "text/csv"}), 200, `"imported":2`, `"separator":","`)
	expect(t, adm.do(t, req{method: "GET", path: "/people?limit=0"}), 400, "limit")
	expect(t, adm.do(t, req{method: "GET", path: "/people?limit=1001"}), 400, "limit")
	expect(t, adm.do(t, req{method: "GET", path: "/people?cursor=abc"}), 400, "cursor")
	expect(t, adm.do(t, req{method: "GET", path: "/people?name=Siti"}), 400, "unknown parameter")
}

// GET /api/v1/units lists every unit with its people and how many met the
// year's target and how many are below it, counted as the unit's JP
// report counts them; analysts see only the units they may read.
func TestLists_UnitsWithMetAndBelowTarget(t *testing.T) {
	n := newASNNode(t)
	// Siti meets the target with a 24 JP technical course from a provider.
	st := claim("KLS-TEKNIS", `,"`+bangkom.ExtJP+`":24`, "Pelatihan teknis", "2026-03-10T10:00:00+07:00")
	expect(t, n.xapi["pusdiklat"].do(t, req{method: "POST", path: "/statements", body: st}), 200)
	expect(t, n.api["adm"].do(t, req{method: "GET", path: "/people/" + sitiNIP + "/jp?year=2026"}), 200, `"met":true`)

	type unitCount struct {
		Unit        string `json:"unit"`
		People      int    `json:"people"`
		Met         int    `json:"met"`
		BelowTarget int    `json:"below_target"`
	}
	units := func(by string) []unitCount {
		got := n.api[by].do(t, req{method: "GET", path: "/units?year=2026"})
		expect(t, got, 200, `"year":2026`)
		var body struct{ Units []unitCount }
		if err := json.Unmarshal([]byte(got.body), &body); err != nil {
			t.Fatal(err)
		}
		return body.Units
	}
	want := []unitCount{{"U-A", 2, 1, 1}, {"U-B", 1, 0, 1}, {"U-C", 1, 0, 1}}
	if got := units("adm"); !slices.Equal(got, want) {
		t.Fatalf("admin: %+v, want %+v", got, want)
	}
	if got := units("an-a"); !slices.Equal(got, want[:1]) {
		t.Errorf("analyst of U-A: %+v, want %+v", got, want[:1])
	}
	if got := units("an-x"); !slices.Equal(got, want[:2]) {
		t.Errorf("analyst of INST-X: %+v, want %+v", got, want[:2])
	}
	// The year before, no one met it.
	expect(t, n.api["adm"].do(t, req{method: "GET", path: "/units?year=2025"}), 200, `{"unit":"U-A","people":2,"met":0,"below_target":2}`)
	got := n.api["adm"].doWith(t, req{method: "GET", path: "/units?year=2026"}, "Accept", "text/csv")
	expect(t, got, 200)
	if rows := csvRows(t, got); !slices.Equal(rows[0], []string{"unit", "people", "met", "below_target"}) || !slices.Equal(rows[1], []string{"U-A", "2", "1", "1"}) {
		t.Fatalf("CSV: %v", rows)
	}
	expect(t, n.api["adm"].do(t, req{method: "GET", path: "/units?year=abc"}), 400, "year")
}

// GET /api/v1/catalogue is the static catalogue merged with the entries
// posted through the API, which win; each says where it comes from.
func TestLists_CatalogueMergesStaticAndPosted(t *testing.T) {
	n := newASNNode(t)
	const static = "https://lms.example.go.id/course/analisis-kebijakan"
	posted := `[{"activity":"https://lms.example.go.id/course/baru","form":"NK-ELEARN","jp":2,"name":{"id-ID":"Kursus baru"}},` +
		`{"activity":"` + static + `","form":"NK-ELEARN","jp":3}]`
	expect(t, n.api["adm"].do(t, req{method: "POST", path: "/catalogue", body: posted}), 200)
	got := n.api["an-a"].do(t, req{method: "GET", path: "/catalogue"})
	expect(t, got, 200)
	v := fastjson.MustParse(got.body)
	byActivity := map[string]*fastjson.Value{}
	var order []string
	for _, e := range v.GetArray() {
		a := string(e.GetStringBytes("activity"))
		byActivity[a] = e
		order = append(order, a)
	}
	if !slices.IsSorted(order) {
		t.Errorf("not in activity order: %v", order)
	}
	if e := byActivity["https://lms.example.go.id/course/baru"]; e == nil || string(e.GetStringBytes("source")) != "api" || string(e.GetStringBytes("name", "id-ID")) != "Kursus baru" {
		t.Errorf("posted entry: %v", e)
	}
	if e := byActivity[static]; e == nil || string(e.GetStringBytes("source")) != "api" || e.GetFloat64("jp") != 3 {
		t.Errorf("static entry replaced by a posted one: %v", e)
	}
	if e := byActivity["https://bpsdm.example.go.id/pelatihan/pengelolaan-bmn-2026"]; e == nil || string(e.GetStringBytes("source")) != "rules" || e.GetFloat64("jp") != 40 {
		t.Errorf("static entry: %v", e)
	}
	got = n.api["pusdiklat"].doWith(t, req{method: "GET", path: "/catalogue?form=NK-ELEARN"}, "Accept", "text/csv")
	expect(t, got, 200)
	rows := csvRows(t, got)
	if !slices.Equal(rows[0], []string{"activity", "form", "jp", "competencies", "name_id", "name_en", "source"}) ||
		!hasRow(rows, []string{"https://lms.example.go.id/course/baru", "NK-ELEARN", "2", "", "Kursus baru", "", "api"}) {
		t.Fatalf("CSV: %v", rows)
	}
	for _, r := range rows[1:] {
		if r[1] != "NK-ELEARN" {
			t.Fatalf("form filter: %v", r)
		}
	}
}

// A unit is named in any case on every route that takes one: its reports,
// competencies and SIASN rows, and an analyst's scope.
func TestLists_UnitNamesMatchWhateverCase(t *testing.T) {
	n := newASNNode(t)
	st := claim("KLS-TEKNIS", `,"`+bangkom.ExtJP+`":8`, "Pelatihan teknis", "2026-03-10T10:00:00+07:00")
	expect(t, n.xapi["pusdiklat"].do(t, req{method: "POST", path: "/statements", body: st}), 200)
	for _, by := range []string{"adm", "an-a"} {
		expect(t, n.api[by].do(t, req{method: "GET", path: "/units/u-a/jp?year=2026"}), 200, `"unit":"U-A"`, `"people":2`)
		expect(t, n.api[by].do(t, req{method: "GET", path: "/units/u-A/competencies"}), 200, `"people":2`)
	}
	expect(t, n.api["kepeg"].do(t, req{method: "GET", path: "/siasn?year=2026&unit=u-a"}), 200, `"nip":"`+sitiNIP+`"`)
	expect(t, n.api["an-a"].do(t, req{method: "GET", path: "/units/u-b/jp?year=2026"}), 403, "(policy: unit-data)")
	// A person registered under another spelling of the unit joins it.
	dewi := `[{"nip":"` + dewiNIP + `","name":"Dewi","unit":"u-a","type":"PNS","timezone":"WITA"}]`
	expect(t, n.api["adm"].do(t, req{method: "POST", path: "/people", body: dewi}), 200)
	expect(t, n.api["an-a"].do(t, req{method: "GET", path: "/units/U-A/jp?year=2026"}), 200, `"unit":"U-A"`, `"people":3`)
	expect(t, n.api["an-a"].do(t, req{method: "GET", path: "/people/" + dewiNIP + "/jp?year=2026"}), 200)
}

// A registry CSV saved by Indonesian Excel (a byte order mark, ';' between
// fields, CRLF) imports through POST /api/v1/people, which says the
// separator it found; so does a tab-separated one.
func TestLists_PeopleImportFromIndonesianExcel(t *testing.T) {
	n := newASNNode(t)
	body := "\ufeffNIP;Name;Unit;Position;Type;Timezone;Supervisor_NIP\r\n" +
		dewiNIP + ";Dewi, S.E.;Biro Umum;Analis;PNS;WITA;" + aniNIP + "\r\n"
	expect(t, n.api["adm"].do(t, req{method: "POST", path: "/people", body: body, contentType: "text/csv"}), 200, `"imported":1`, `"separator":";"`)
	expect(t, n.api["adm"].do(t, req{method: "GET", path: "/people?unit=BIRO%20UMUM"}), 200, `"name":"Dewi, S.E."`, `"supervisor_nip":"`+aniNIP+`"`)
	tabs := "nip\tname\tunit\ttype\ttimezone\n" + dewiNIP + "\tDewi\tBiro Umum\tPNS\tWIT\n"
	expect(t, n.api["adm"].do(t, req{method: "POST", path: "/people", body: tabs, contentType: "text/csv"}), 200, `"separator":"tab"`)
	expect(t, n.api["adm"].do(t, req{method: "GET", path: "/people?q=dewi"}), 200, `"timezone":"WIT"`)
}

// The unit report lists every person with pending JP, their supervisor
// (NIP and name) and their recognised JP by form; its CSV keeps the
// earlier columns first and then one column per form of the rules.
func TestLists_UnitSpreadsheetHasPendingSupervisorAndForms(t *testing.T) {
	n := newASNNode(t)
	st := claim("KLS-TEKNIS", `,"`+bangkom.ExtJP+`":8`, "Pelatihan teknis", "2026-03-10T10:00:00+07:00")
	expect(t, n.xapi["pusdiklat"].do(t, req{method: "POST", path: "/statements", body: st}), 200)
	expect(t, n.xapi["lms"].do(t, req{method: "POST", path: "/statements", body: coaching(uuid.NewString(), sitiNIP)}), 200)
	got := n.api["an-a"].do(t, req{method: "GET", path: "/units/U-A/jp?year=2026"})
	expect(t, got, 200)
	v := fastjson.MustParse(got.body)
	var siti *fastjson.Value
	for _, m := range v.GetArray("members") {
		if string(m.GetStringBytes("nip")) == sitiNIP {
			siti = m
		}
	}
	if siti == nil || siti.GetFloat64("recognized") != 8 || siti.GetFloat64("pending") <= 0 ||
		string(siti.GetStringBytes("supervisor_nip")) != budiNIP || string(siti.GetStringBytes("supervisor_name")) != "Budi" ||
		siti.GetFloat64("by_form", "KLS-TEKNIS") != 8 {
		t.Fatalf("Siti in %s", got.body)
	}
	pending := strconv.FormatFloat(siti.GetFloat64("pending"), 'f', -1, 64)
	got = n.api["an-a"].doWith(t, req{method: "GET", path: "/units/U-A/jp?year=2026"}, "Accept", "text/csv")
	expect(t, got, 200)
	rows := csvRows(t, got)
	head := rows[0]
	if !slices.Equal(head[:7], []string{"nip", "name", "recognized", "met", "pending", "supervisor_nip", "supervisor_name"}) ||
		!slices.Contains(head, "KLS-TEKNIS") || !slices.Contains(head, "NK-COACHING") || !slices.IsSorted(head[7:]) {
		t.Fatalf("header %v", head)
	}
	col := slices.Index(head, "KLS-TEKNIS")
	for _, r := range rows[1:] {
		if r[0] != sitiNIP {
			continue
		}
		if r[2] != "8" || r[3] != "false" || r[4] != pending || r[5] != budiNIP || r[6] != "Budi" || r[col] != "8" {
			t.Fatalf("Siti's row %v (header %v)", r, head)
		}
		return
	}
	t.Fatalf("no row for Siti: %v", rows)
}

// Who may list: people and units are listed to admins and analysts (an
// analyst sees their scope), the catalogue to admins, analysts, verifiers
// and providers; every other principal is refused with 403 naming the
// rule.
func TestLists_WhoMayList(t *testing.T) {
	n := newASNNode(t)
	for _, p := range []struct {
		by, path string
		status   int
		rule     string
	}{
		{"adm", "/people", 200, ""},
		{"an-d", "/people", 200, ""},
		{"kepeg", "/people", 403, "people-list"},
		{"lms", "/people?unit=U-A", 403, "people-list"},
		{"siti-app", "/people", 403, "people-list"},
		{"pusdiklat", "/people", 403, "people-list"},
		{"adm", "/units", 200, ""},
		{"an-d", "/units", 200, ""},
		{"kepeg", "/units", 403, "unit-list"},
		{"budi-app", "/units", 403, "unit-list"},
		{"lms", "/units", 403, "unit-list"},
		{"adm", "/catalogue", 200, ""},
		{"an-a", "/catalogue", 200, ""},
		{"kepeg", "/catalogue", 200, ""},
		{"pusdiklat", "/catalogue", 200, ""},
		{"lms", "/catalogue", 403, "catalogue"},
		{"ac", "/catalogue", 403, "catalogue"},
		{"siti-app", "/catalogue", 403, "catalogue"},
	} {
		t.Run(p.by+" GET "+p.path, func(t *testing.T) {
			var want []string
			if p.rule != "" {
				want = append(want, "(policy: "+p.rule+")")
			}
			expect(t, n.api[p.by].do(t, req{method: "GET", path: p.path}), p.status, want...)
			got := n.api[p.by].do(t, req{method: "HEAD", path: p.path})
			if got.status != p.status || got.body != "" {
				t.Fatalf("HEAD: %d %q", got.status, got.body)
			}
		})
	}
	// An analyst of a parent unit lists its units' people and units.
	if got, _ := listNIPs(t, n.api["an-d"], "/people"); len(got) != 2 {
		t.Fatalf("analyst of DIR-1 lists %v", got)
	}
	expect(t, n.api["an-d"].do(t, req{method: "GET", path: "/units?year=2026"}), 200, `{"year":2026,"units":[{"unit":"U-A","people":2,"met":0,"below_target":2}]}`)
}
