package web

import (
	"cmp"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// The analyst's pages: the units they may read, a unit's dashboard (JP
// compliance, its distribution and monthly trend, the people below the
// target, JP by form, competency gaps, claim problems), a person's records
// read-only, and the unit's report as CSV or XLSX. Every number comes from
// the API as the visitor, so its policy decides what an analyst sees.

// registerAnalis adds the pages of this area.
func (h *Handler) registerAnalis() {
	h.mux.HandleFunc("GET /analis", h.analisHome)
	h.mux.HandleFunc("GET /analis/unit/{unit}", h.analisUnit)
	h.mux.HandleFunc("GET /analis/unit/{unit}/unduh", h.analisDownload)
	h.mux.HandleFunc("GET /analis/unit/{unit}/tren", h.analisTrend)
	h.mux.HandleFunc("GET /analis/pegawai/{nip}", h.analisPerson)
}

// belowPageSize is how many people below the target one page of the unit
// dashboard lists; the CSV has them all.
const belowPageSize = 50

// trendInlineMax is the most people of a unit whose dashboard draws the
// monthly trend itself; a larger unit's dashboard links to it.
const trendInlineMax = 1000

// targetJP is the JP a year the unit dashboard counts a person short of
// and marks the distribution's bars below.
const targetJP = 20

// problemsShown is how many claim problems the unit dashboard lists.
const problemsShown = 50

// period is a report's period from the page's query: a year, or learning
// dates from/to (README "Periods"), passed on to the API as they are.
type period struct {
	Year     int
	From, To string
}

// periodOf reads year, from and to; the API judges the dates.
func (h *Handler) periodOf(r *http.Request) period {
	q := r.URL.Query()
	p := period{From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}
	if y, err := strconv.Atoi(q.Get("year")); err == nil && y >= 1900 && y <= 9999 {
		p.Year = y
	}
	if p.Year == 0 {
		p.Year = h.cfg.Now().Year()
		if p.To != "" && len(p.To) >= 4 {
			if y, err := strconv.Atoi(p.To[:4]); err == nil {
				p.Year = y
			}
		}
	}
	return p
}

// dated reports whether the period is learning dates rather than a year.
func (p period) dated() bool { return p.From != "" || p.To != "" }

// values is the period as API (and page) query parameters.
func (p period) values() url.Values {
	v := url.Values{}
	if p.dated() {
		if p.From != "" {
			v.Set("from", p.From)
		}
		if p.To != "" {
			v.Set("to", p.To)
		}
	} else {
		v.Set("year", strconv.Itoa(p.Year))
	}
	return v
}

// query is the period as a query string.
func (p period) query() string { return p.values().Encode() }

// Years is the years the period form offers: the next one, this one and
// the four before.
func (p period) Years() []int {
	out := []int{}
	for y := p.Year + 1; y >= p.Year-4; y-- {
		out = append(out, y)
	}
	return out
}

// unitLink is the path of a unit's dashboard.
func unitLink(unit string) string { return "/analis/unit/" + url.PathEscape(unit) }

// unitAPI is the API path of the unit the request's path names.
func unitAPI(r *http.Request) string { return "/api/v1/units/" + url.PathEscape(r.PathValue("unit")) }

type analisHomeData struct {
	Period     period
	Rows       []homeRow
	PctMet     int
	MetBar     Bar
	People     int
	Met        int
	Below      int
	Chart      template.HTML
	ChartTitle string
	// Scopes are the names of the analyst's scope that are no one's unit
	// (an instansi, a parent unit): each has a dashboard of everyone under it.
	Scopes []string
}

type homeRow struct {
	api.UnitCount
	Pct int
}

// UnitLink is the dashboard of unit for the page's period.
func (d analisHomeData) UnitLink(unit string) string { return unitLink(unit) + "?" + d.Period.query() }

// analisHome lists the units the visitor may read with their compliance,
// and the totals of all of them (the analyst's instansi).
func (h *Handler) analisHome(w http.ResponseWriter, r *http.Request) {
	p := h.areaPage(w, r, "analis", "analis.title")
	if p == nil {
		return
	}
	per := h.periodOf(r)
	per.From, per.To = "", ""
	var units struct {
		Year  int             `json:"year"`
		Units []api.UnitCount `json:"units"`
	}
	if err := h.getJSON(r, "/api/v1/units?year="+strconv.Itoa(per.Year), &units); err != nil {
		h.fail(w, r, p, err)
		return
	}
	d := analisHomeData{Period: per}
	var pts []chartPoint
	for _, u := range units.Units {
		d.People += u.People
		d.Met += u.Met
		d.Below += u.BelowTarget
		pct := float64(p.Pct(float64(u.Met), float64(u.People)))
		d.Rows = append(d.Rows, homeRow{UnitCount: u, Pct: int(pct)})
		pts = append(pts, chartPoint{Label: shortLabel(u.Unit, 14), Value: pct, Text: strconv.Itoa(int(pct)) + "%",
			Title: p.T("analis.chart.unit_met", u.Unit, u.Met, u.People)})
	}
	for _, name := range p.Me.Units {
		if !slices.ContainsFunc(units.Units, func(u api.UnitCount) bool { return strings.EqualFold(u.Unit, name) }) {
			d.Scopes = append(d.Scopes, name)
		}
	}
	d.PctMet = p.Pct(float64(d.Met), float64(d.People))
	d.MetBar = p.Bar(float64(d.Met), float64(d.People), p.T("analis.met_share", d.PctMet), "")
	d.ChartTitle = p.T("analis.home.chart", per.Year)
	if len(pts) > 0 {
		d.Chart = barChart(d.ChartTitle, pts, func(v float64) string { return strconv.Itoa(int(v)) + "%" })
	}
	p.Data = d
	h.render(w, "analis", p)
}

// shortLabel cuts s to n runes with an ellipsis.
func shortLabel(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// histBins are the JP ranges of the distribution chart: [lo, hi).
var histBins = []struct {
	Lo, Hi float64
	Label  string
}{
	{0, 0.000001, "0"}, {0.000001, 5, "1–4"}, {5, 10, "5–9"}, {10, 15, "10–14"}, {15, 20, "15–19"},
	{20, 30, "20–29"}, {30, 40, "30–39"}, {40, 60, "40–59"}, {60, -1, "≥ 60"},
}

// Competency states of the heatmap's columns, the gaps first.
var heatStates = []string{bangkom.BelowStandard, bangkom.Stale, bangkom.NotAssessed, bangkom.MeetsStandard}

type histRow struct {
	Label  string
	People int
}

type trendRow struct {
	Month      string
	From, To   string
	Recognized float64
}

type belowRow struct {
	NIP            string
	Name           string
	Recognized     float64
	Pending        float64
	Short          float64 // JP still missing to the target
	SupervisorNIP  string
	SupervisorName string
}

type heatCell struct {
	State string
	Count int
	Class string
}

type heatRow struct {
	Code, Name string
	Cells      []heatCell
	Required   int
}

type unitData struct {
	Unit        string
	Period      period
	Report      api.UnitReport
	Below       int
	PctMet      int
	MetBar      Bar
	Hist        []histRow
	HistChart   template.HTML
	Trend       []trendRow
	TrendChart  template.HTML
	TrendError  string
	TrendShown  bool
	TrendLink   string
	BelowRows   []belowRow
	Page, Pages int
	Forms       []bangkom.FormTotal
	FormsChart  template.HTML
	HeatStates  []string
	Heat        []heatRow
	Comp        api.UnitCompetencies
	CompError   string
	Problems    []bangkom.Problem
	ProblemsAll int
	ProblemsErr string
	Names       map[string]string
}

// Link is the dashboard with the period's parameters.
func (d unitData) Link() string { return unitLink(d.Unit) + "?" + d.Period.query() }

// PageLink is the dashboard's page n of the list below the target.
func (d unitData) PageLink(n int) string {
	v := d.Period.values()
	v.Set("hal", strconv.Itoa(n))
	return unitLink(d.Unit) + "?" + v.Encode() + "#bawah-target"
}

// Download is the unit's report of the page's period as format (csv,
// xlsx); report is jp or kompetensi.
func (d unitData) Download(report, format string) string {
	v := d.Period.values()
	v.Set("laporan", report)
	v.Set("format", format)
	return unitLink(d.Unit) + "/unduh?" + v.Encode()
}

// PersonLink is the read-only page of a person for the page's year.
func (d unitData) PersonLink(nip string) string {
	return "/analis/pegawai/" + url.PathEscape(nip) + "?" + url.Values{"year": {strconv.Itoa(d.Report.Year)}, "unit": {d.Unit}}.Encode()
}

// Name is a person's name by NIP, from the unit report.
func (d unitData) Name(nip string) string { return d.Names[nip] }

// formsChart is the bar chart of recognised JP by form.
func formsChart(p *Page, forms []bangkom.FormTotal) template.HTML {
	pts := make([]chartPoint, 0, len(forms))
	for _, f := range forms {
		pts = append(pts, chartPoint{Label: shortLabel(f.Form, 12), Value: f.Recognized, Text: p.Num(f.Recognized),
			Title: p.T("analis.chart.form_bar", f.Form, p.Num(f.Recognized), p.Num(f.Pending))})
	}
	return barChart(p.T("analis.forms.title"), pts, p.Num)
}

// heatClass is the heat of count people out of whole: h0 for none, then
// h1..h4 by quarter.
func heatClass(count, whole int) string {
	if count <= 0 || whole <= 0 {
		return "h0"
	}
	q := (count*4 + whole - 1) / whole
	return "h" + strconv.Itoa(min(max(q, 1), 4))
}

// monthEnd is the last day of month m of year y.
func monthEnd(y int, m time.Month) time.Time { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC) }

// analisUnit is a unit's dashboard.
func (h *Handler) analisUnit(w http.ResponseWriter, r *http.Request) {
	p := h.areaPage(w, r, "analis", "analis.unit.title")
	if p == nil {
		return
	}
	per := h.periodOf(r)
	base := unitAPI(r)
	d := unitData{Period: per, HeatStates: heatStates}

	// The report decides whether the visitor may see the unit; the other
	// parts are asked at the same time.
	var wg sync.WaitGroup
	var repErr, compErr, probErr error
	var problems api.ProblemList
	wg.Go(func() { repErr = h.getJSON(r, base+"/jp?"+per.query(), &d.Report) })
	wg.Go(func() { compErr = h.getJSON(r, base+"/competencies?people=false", &d.Comp) })
	wg.Go(func() { probErr = h.getJSON(r, "/api/v1/claims/problems?limit=5000", &problems) })
	wg.Wait()
	if repErr != nil {
		h.fail(w, r, p, repErr)
		return
	}
	rep := &d.Report
	d.Unit = rep.Unit
	d.Below = rep.People - rep.Met
	d.PctMet = p.Pct(float64(rep.Met), float64(rep.People))
	d.MetBar = p.Bar(float64(rep.Met), float64(rep.People), p.T("analis.met_share", d.PctMet), "")

	// distribution of recognised JP
	d.Names = make(map[string]string, len(rep.Members))
	d.Hist = make([]histRow, len(histBins))
	for i, b := range histBins {
		d.Hist[i].Label = b.Label
	}
	var below []belowRow
	for _, m := range rep.Members {
		d.Names[string(m.NIP)] = m.Name
		for i, b := range histBins {
			if m.Recognized >= b.Lo && (b.Hi < 0 || m.Recognized < b.Hi) {
				d.Hist[i].People++
				break
			}
		}
		if !m.Met {
			below = append(below, belowRow{NIP: string(m.NIP), Name: m.Name, Recognized: m.Recognized, Pending: m.Pending,
				Short: max(targetJP-m.Recognized, 0), SupervisorNIP: string(m.SupervisorNIP), SupervisorName: m.SupervisorName})
		}
	}
	var pts []chartPoint
	for i, hr := range d.Hist {
		class := "bar1"
		if histBins[i].Hi > 0 && histBins[i].Hi <= targetJP {
			class = "bar3"
		}
		pts = append(pts, chartPoint{Label: hr.Label, Value: float64(hr.People), Text: p.Int(hr.People), Class: class,
			Title: p.T("analis.chart.hist_bar", hr.Label, hr.People)})
	}
	d.HistChart = barChart(p.T("analis.hist.title"), pts, func(v float64) string { return p.Num(v) })

	// the monthly trend costs twelve unit reports: drawn here for a unit
	// of up to trendInlineMax people, on its own page for larger ones
	d.TrendLink = unitLink(d.Unit) + "/tren?year=" + strconv.Itoa(per.Year)
	if rep.People <= trendInlineMax {
		d.Trend, d.TrendChart, d.TrendError = h.unitTrend(r, p, base, per.Year)
		d.TrendShown = true
	}

	// people below the target, the furthest first, a page at a time
	slices.SortFunc(below, func(a, b belowRow) int {
		return cmp.Or(cmp.Compare(a.Recognized, b.Recognized), strings.Compare(a.Name, b.Name), strings.Compare(a.NIP, b.NIP))
	})
	d.Pages = max((len(below)+belowPageSize-1)/belowPageSize, 1)
	d.Page, _ = strconv.Atoi(r.URL.Query().Get("hal"))
	d.Page = min(max(d.Page, 1), d.Pages)
	lo := (d.Page - 1) * belowPageSize
	d.BelowRows = below[min(lo, len(below)):min(lo+belowPageSize, len(below))]

	// JP by form
	d.Forms = rep.ByForm
	slices.SortStableFunc(d.Forms, func(a, b bangkom.FormTotal) int {
		return cmp.Compare(b.Recognized+b.Pending, a.Recognized+a.Pending)
	})
	if rep.RecognizedTotal > 0 {
		d.FormsChart = formsChart(p, d.Forms)
	}

	// competency gaps
	if compErr != nil {
		d.CompError = apiMessage(p, compErr)
	}
	for _, c := range d.Comp.Competencies {
		hr := heatRow{Code: c.Code, Name: c.Name}
		for _, st := range heatStates {
			hr.Required += c.Counts[st]
		}
		for _, st := range heatStates {
			cell := heatCell{State: st, Count: c.Counts[st], Class: "h0"}
			if st != bangkom.MeetsStandard {
				cell.Class = heatClass(cell.Count, hr.Required)
			}
			hr.Cells = append(hr.Cells, cell)
		}
		d.Heat = append(d.Heat, hr)
	}
	slices.SortStableFunc(d.Heat, func(a, b heatRow) int { return strings.Compare(a.Code, b.Code) })

	// claim problems of the unit's people
	if probErr != nil {
		d.ProblemsErr = apiMessage(p, probErr)
	}
	for _, pr := range problems.Problems {
		if _, ok := d.Names[pr.NIP]; !ok {
			continue
		}
		d.ProblemsAll++
		if len(d.Problems) < problemsShown {
			d.Problems = append(d.Problems, pr)
		}
	}
	p.Data = d
	h.render(w, "analis_unit", p)
}

// unitTrend is the recognised JP of the unit's learning dated in each
// month of year (up to this month), from the unit report of each month.
func (h *Handler) unitTrend(r *http.Request, p *Page, base string, year int) ([]trendRow, template.HTML, string) {
	months := 12
	if now := h.cfg.Now(); year == now.Year() {
		months = int(now.Month())
	} else if year > now.Year() {
		months = 0
	}
	rows := make([]trendRow, months)
	errs := make([]error, months)
	var wg sync.WaitGroup
	for i := range months {
		m := time.Month(i + 1)
		from, to := time.Date(year, m, 1, 0, 0, 0, 0, time.UTC), monthEnd(year, m)
		rows[i] = trendRow{Month: p.monthShort(m), From: from.Format(time.DateOnly), To: to.Format(time.DateOnly)}
		wg.Go(func() {
			var mr struct {
				RecognizedTotal float64 `json:"recognized_total"`
			}
			errs[i] = h.getJSON(r, base+"/jp?from="+rows[i].From+"&to="+rows[i].To, &mr)
			rows[i].Recognized = mr.RecognizedTotal
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return rows, "", apiMessage(p, err)
	}
	if months == 0 {
		return rows, "", ""
	}
	pts := make([]chartPoint, 0, months)
	for _, t := range rows {
		pts = append(pts, chartPoint{Label: t.Month, Value: t.Recognized, Text: p.Num(t.Recognized), Title: p.T("analis.chart.trend_point", t.Month, p.Num(t.Recognized))})
	}
	return rows, lineChart(p.T("analis.trend.title", year), pts, p.Num), ""
}

type trendData struct {
	Unit  string
	Year  int
	Rows  []trendRow
	Chart template.HTML
	Error string
}

// Back is the unit's dashboard for the trend's year.
func (d trendData) Back() string { return unitLink(d.Unit) + "?year=" + strconv.Itoa(d.Year) }

// analisTrend is a unit's monthly trend on its own page.
func (h *Handler) analisTrend(w http.ResponseWriter, r *http.Request) {
	p := h.areaPage(w, r, "analis", "analis.trend.page")
	if p == nil {
		return
	}
	per := h.periodOf(r)
	base := unitAPI(r)
	// the year's report first: it says whether the visitor may see the unit
	var rep struct {
		Unit string `json:"unit"`
	}
	if err := h.getJSON(r, base+"/jp?year="+strconv.Itoa(per.Year), &rep); err != nil {
		h.fail(w, r, p, err)
		return
	}
	d := trendData{Unit: rep.Unit, Year: per.Year}
	d.Rows, d.Chart, d.Error = h.unitTrend(r, p, base, per.Year)
	p.Data = d
	h.render(w, "analis_tren", p)
}

// apiMessage is an API error as the page shows it beside a part that could
// not be drawn.
func apiMessage(p *Page, err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		if ae.Status == http.StatusForbidden {
			return p.T("err.forbidden", ae.Message)
		}
		return ae.Message
	}
	return p.T("err.server")
}

// monthShort is a month's short name in the page's language: its first
// three letters.
func (p *Page) monthShort(m time.Month) string {
	if p.Lang == langEN {
		return m.String()[:3]
	}
	return monthsID[m-1][:3]
}

// analisDownload hands over the API's CSV or XLSX of the unit report of
// the dashboard's period (laporan=jp) or of its competencies
// (laporan=kompetensi), as an attachment.
func (h *Handler) analisDownload(w http.ResponseWriter, r *http.Request) {
	p := h.areaPage(w, r, "analis", "analis.unit.title")
	if p == nil {
		return
	}
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		if strings.Contains(r.Header.Get("Accept"), "spreadsheetml") {
			format = "xlsx"
		} else {
			format = "csv"
		}
	}
	accept := map[string]string{
		"csv":  "text/csv",
		"xlsx": bangkom.XLSXType,
	}[format]
	if accept == "" {
		h.errorPage(w, r, p, http.StatusBadRequest, p.T("analis.download.bad_format", format))
		return
	}
	per := h.periodOf(r)
	target := unitAPI(r)
	switch q.Get("laporan") {
	case "", "jp":
		target += "/jp?" + per.query()
	case "kompetensi":
		target += "/competencies"
	default:
		h.errorPage(w, r, p, http.StatusBadRequest, p.T("analis.download.bad_report", q.Get("laporan")))
		return
	}
	a := h.Call(r, http.MethodGet, target, nil, map[string]string{"Accept": accept})
	if err := a.Err(); err != nil {
		h.fail(w, r, p, err)
		return
	}
	// the API names the file (an attachment) of every CSV and XLSX it answers
	hd := w.Header()
	hd.Set("Content-Type", a.Header.Get("Content-Type"))
	hd.Set("Content-Disposition", a.Header.Get("Content-Disposition"))
	hd.Set("Content-Length", strconv.Itoa(len(a.Body)))
	_, _ = w.Write(a.Body)
}

type personData struct {
	NIP    string
	Unit   string // the unit dashboard the visitor came from
	Person *bangkom.Person
	JP     bangkom.YearReport
	Comp   bangkom.CompetencyReport
	// CompError says why competencies could not be shown.
	CompError string
	Forms     template.HTML
}

// Back is the unit dashboard the visitor came from, for the page's year.
func (d personData) Back() string {
	if d.Unit == "" {
		return "/analis"
	}
	return unitLink(d.Unit) + "?year=" + strconv.Itoa(d.JP.Year)
}

// analisPerson shows one person's JP and competencies, read-only.
func (h *Handler) analisPerson(w http.ResponseWriter, r *http.Request) {
	p := h.areaPage(w, r, "analis", "analis.person.title")
	if p == nil {
		return
	}
	nip := r.PathValue("nip")
	per := h.periodOf(r)
	per.From, per.To = "", ""
	d := personData{NIP: nip, Unit: r.URL.Query().Get("unit")}
	base := "/api/v1/people/" + url.PathEscape(nip)
	var wg sync.WaitGroup
	var jpErr, compErr error
	var people struct {
		People []bangkom.Person `json:"people"`
	}
	wg.Go(func() { jpErr = h.getJSON(r, base+"/jp?"+per.query(), &d.JP) })
	wg.Go(func() { compErr = h.getJSON(r, base+"/competencies", &d.Comp) })
	wg.Go(func() { _ = h.getJSON(r, "/api/v1/people?limit=1&q="+url.QueryEscape(nip), &people) })
	wg.Wait()
	if jpErr != nil {
		h.fail(w, r, p, jpErr)
		return
	}
	if compErr != nil {
		d.CompError = apiMessage(p, compErr)
	}
	for i := range people.People {
		if string(people.People[i].NIP) == nip {
			d.Person = &people.People[i]
		}
	}
	if d.JP.Recognized > 0 {
		d.Forms = formsChart(p, d.JP.ByForm)
	}
	p.Data = d
	h.render(w, "analis_pegawai", p)
}
