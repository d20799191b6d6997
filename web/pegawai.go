package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// The pages of a signed-in civil servant (Pegawai): their JP of the year
// against the 20 JP duty and their competencies (/saya), recording
// learning no platform sent (/saya/catat), and their history
// (/saya/riwayat). Every page shows only the signed-in person's own
// records: the NIP comes from the session (GET /auth/me), never from the
// request.

// registerPegawai adds the pages of this area.
func (h *Handler) registerPegawai() {
	h.mux.HandleFunc("GET /saya", h.pegawaiHome)
	h.mux.HandleFunc("GET /saya/catat", h.pegawaiRecordForm)
	h.mux.HandleFunc("POST /saya/catat", h.pegawaiRecord)
	h.mux.HandleFunc("GET /saya/riwayat", h.pegawaiHistory)
}

// Bangkom vocabulary of a claim recorded by the person (the Bangkom xAPI
// Profile, schemas/profiles/bangkom.jsonld).
const (
	extForm      = "https://jejak.id/xapi/bangkom/extensions/form"
	extJP        = "https://jejak.id/xapi/bangkom/extensions/jp"
	extDays      = "https://jejak.id/xapi/bangkom/extensions/days"
	extStartDate = "https://jejak.id/xapi/bangkom/extensions/start-date"
	// EvidenceUsage is the usageType of the evidence file a person
	// attaches to learning they record.
	EvidenceUsage = "https://jejak.id/xapi/bangkom/attachments/evidence"
	// recordedActivity prefixes the activity IRI of learning a person
	// records; a new UUID follows for each record.
	recordedActivity = "https://jejak.id/xapi/bangkom/activities/recorded/"
	verbCompleted    = "http://adlnet.gov/expapi/verbs/completed"
	activityTypes    = "https://jejak.id/xapi/bangkom/activity-types/"
)

// maxEvidenceBytes bounds the evidence file of one record.
const maxEvidenceBytes = 5 << 20

// evidenceTypes are the evidence files accepted: documents and pictures a
// supervisor can open.
var evidenceTypes = []string{"application/pdf", "image/jpeg", "image/png", "image/webp"}

// jpReport is GET /api/v1/people/{nip}/jp.
type jpReport struct {
	NIP        string  `json:"nip"`
	Year       int     `json:"year"`
	Type       string  `json:"type"`
	Target     float64 `json:"target"`
	Recognized float64 `json:"recognized"`
	Pending    float64 `json:"pending"`
	Rejected   float64 `json:"rejected"`
	Met        bool    `json:"met"`
	ByForm     []struct {
		Form       string  `json:"form"`
		Recognized float64 `json:"recognized"`
		Pending    float64 `json:"pending"`
	} `json:"by_form"`
	Items      []jpItem `json:"items"`
	NotCounted []struct {
		StatementID string `json:"statement_id"`
		Date        string `json:"date"`
		Code        string `json:"code"`
		Reason      string `json:"reason"`
	} `json:"not_counted"`
	Supervisor *struct {
		NIP  string `json:"nip"`
		Name string `json:"name"`
	} `json:"supervisor"`
}

type jpItem struct {
	claimActivity
	StatementID  string  `json:"statement_id"`
	Form         string  `json:"form"`
	Date         string  `json:"date"`
	Start        string  `json:"start"`
	JPClaimed    float64 `json:"jp_claimed"`
	JPRecognized float64 `json:"jp_recognized"`
	State        string  `json:"state"`
	ApprovedBy   string  `json:"approved_by"`
	RejectedBy   string  `json:"rejected_by"`
	Reason       string  `json:"reason"`
	Rule         string  `json:"rule"`
	Note         string  `json:"note"`
	DuplicateOf  string  `json:"duplicate_of"`
}

// apiForm is a form of GET /api/v1/forms.
type apiForm struct {
	Form      string            `json:"form"`
	Name      map[string]string `json:"name"`
	Category  string            `json:"category"`
	Classroom bool              `json:"classroom"`
	Rule      *struct {
		Version       string   `json:"version"`
		Unit          string   `json:"unit"`
		JP            *float64 `json:"jp"`
		MaxJPPerClaim *float64 `json:"max_jp_per_claim"`
		Caps          []struct {
			Period      string   `json:"period"`
			MaxJP       *float64 `json:"max_jp"`
			MaxSessions *int     `json:"max_sessions"`
		} `json:"caps"`
	} `json:"rule"`
}

// competencies is GET /api/v1/people/{nip}/competencies.
type competencies struct {
	Position     string   `json:"position"`
	State        string   `json:"state"`
	JPM          *float64 `json:"jpm"`
	Competencies []struct {
		Code               string   `json:"code"`
		Name               string   `json:"name"`
		State              string   `json:"state"`
		RequiredLevel      *int     `json:"required_level"`
		AssessedLevel      *float64 `json:"assessed_level"`
		AssessedAt         string   `json:"assessed_at"`
		Gap                *float64 `json:"gap"`
		EvidenceJP         float64  `json:"evidence_jp"`
		EvidenceActivities int      `json:"evidence_activities"`
		Suggestions        []struct {
			Activity   string            `json:"activity"`
			Name       map[string]string `json:"name"`
			Form       string            `json:"form"`
			FormName   map[string]string `json:"form_name"`
			JP         *float64          `json:"jp"`
			FlowOfWork bool              `json:"flow_of_work"`
		} `json:"suggestions"`
	} `json:"competencies"`
}

// pegawaiPage is the signed-in person's Page, or nil when it answered:
// the sign-in for a visitor without a session, 403 for an account that is
// not a person.
func (h *Handler) pegawaiPage(w http.ResponseWriter, r *http.Request, title string) *Page {
	p := h.areaPage(w, r, "saya", title)
	if p == nil {
		return nil
	}
	if p.Me.NIP == "" {
		h.errorPage(w, r, p, http.StatusForbidden, p.T("saya.not_person"))
		return nil
	}
	return p
}

// personPath is the API path of the signed-in person's records.
func personPath(p *Page, what string) string {
	return "/api/v1/people/" + url.PathEscape(p.Me.NIP) + "/" + what
}

// yearParam reads ?year= (default this year); ok false when it is not a
// year, and the page has answered 400.
func (h *Handler) yearParam(w http.ResponseWriter, r *http.Request, p *Page) (int, bool) {
	v := r.URL.Query().Get("year")
	if v == "" {
		return h.cfg.Now().Year(), true
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < 2000 || y > 2100 {
		h.errorPage(w, r, p, http.StatusBadRequest, p.T("saya.bad_year", v))
		return 0, false
	}
	return y, true
}

// personYear is the visitor's JP report of year and the forms (by code
// and in order).
func (h *Handler) personYear(r *http.Request, p *Page, year int) (jpReport, map[string]apiForm, []apiForm, error) {
	var rep jpReport
	if err := h.getJSON(r, personPath(p, "jp")+"?year="+strconv.Itoa(year), &rep); err != nil {
		return rep, nil, nil, err
	}
	forms, list, err := h.forms(r)
	return rep, forms, list, err
}

// forms reads the forms of competency development, by code and in order.
func (h *Handler) forms(r *http.Request) (map[string]apiForm, []apiForm, error) {
	var list struct {
		Forms []apiForm `json:"forms"`
	}
	if err := h.getJSON(r, "/api/v1/forms", &list); err != nil {
		return nil, nil, err
	}
	by := map[string]apiForm{}
	for _, f := range list.Forms {
		by[f.Form] = f
	}
	return by, list.Forms, nil
}

// formName is a form's name in the page's language (its code if unknown).
func formName(p *Page, forms map[string]apiForm, code string) string {
	if f, ok := forms[code]; ok {
		return f.name(p)
	}
	return code
}

// name is the form's name in the page's language, else in Indonesian,
// else its code.
func (f apiForm) name(p *Page) string {
	if n := f.Name[p.Lang]; n != "" {
		return n
	}
	if n := f.Name["id"]; n != "" {
		return n
	}
	return f.Form
}

// maxJPPerClaim is the most JP one claim of the form may count (1000 when
// its rule sets no bound); the form has a rule.
func (f apiForm) maxJPPerClaim() float64 {
	if f.Rule.MaxJPPerClaim != nil {
		return *f.Rule.MaxJPPerClaim
	}
	return 1000
}

// ruleText says how a form counts JP and its caps, in the page's language.
func ruleText(p *Page, f apiForm) string {
	if f.Rule == nil {
		return p.T("saya.rule.none")
	}
	per := 0.0
	if f.Rule.JP != nil {
		per = *f.Rule.JP
	}
	var s string
	switch f.Rule.Unit {
	case "declared":
		s = p.T("saya.unit.declared", p.Num(f.maxJPPerClaim()))
	case "duration":
		s = p.T("saya.unit.duration")
	case "zero":
		s = p.T("saya.unit.zero")
	case "per_day", "per_session", "per_assignment", "per_semester", "per_contribution":
		s = p.T("saya.unit."+f.Rule.Unit, p.Num(per))
	default:
		s = f.Rule.Unit
	}
	for _, c := range f.Rule.Caps {
		period := p.T("saya.period." + c.Period)
		switch {
		case c.MaxJP != nil:
			s += "; " + p.T("saya.cap.jp", p.Num(*c.MaxJP), period)
		case c.MaxSessions != nil:
			s += "; " + p.T("saya.cap.sessions", *c.MaxSessions, period)
		}
	}
	return s
}

// itemRow is one claim as the pages show it.
type itemRow struct {
	jpItem
	FormName string
	RuleText string
	Decider  string
}

func itemRows(p *Page, rep jpReport, forms map[string]apiForm) []itemRow {
	rows := make([]itemRow, 0, len(rep.Items))
	who := func(nip string) string {
		if rep.Supervisor != nil && nip == rep.Supervisor.NIP && rep.Supervisor.Name != "" {
			return rep.Supervisor.Name
		}
		return nip
	}
	// the report lists items in log order: read backwards, the latest of a
	// day comes first
	for _, it := range slices.Backward(rep.Items) {
		row := itemRow{jpItem: it, FormName: formName(p, forms, it.Form), RuleText: ruleText(p, forms[it.Form])}
		switch {
		case it.State == "approved" && strings.HasPrefix(it.ApprovedBy, "provider:"):
			row.Decider = p.T("saya.by_provider", strings.TrimPrefix(it.ApprovedBy, "provider:"))
		case it.State == "approved" && it.ApprovedBy != "":
			row.Decider = p.T("saya.approved_by", who(it.ApprovedBy))
		case it.State == "rejected":
			row.Decider = p.T("saya.rejected_by", who(it.RejectedBy))
		}
		rows = append(rows, row)
	}
	// newest learning first
	slices.SortStableFunc(rows, func(a, b itemRow) int { return strings.Compare(b.Date, a.Date) })
	return rows
}

// formTotal is recognised and pending JP of a form.
type formTotal struct {
	Form, Name          string
	Recognized, Pending float64
}

// categoryTotal is recognised JP of a group of forms (klasikal,
// nonklasikal, pendidikan, workplace).
type categoryTotal struct {
	Key, Name  string
	Recognized float64
}

type homeData struct {
	Year         int
	Years        []int
	Report       jpReport
	Remaining    float64
	Bar          Bar
	ByForm       []formTotal
	ByCategory   []categoryTotal
	Mix          []mixShare
	Items        []itemRow
	Counts       map[string]int
	Competencies competencies
	CompError    string
}

func (h *Handler) pegawaiHome(w http.ResponseWriter, r *http.Request) {
	p := h.pegawaiPage(w, r, "saya.title")
	if p == nil {
		return
	}
	year, ok := h.yearParam(w, r, p)
	if !ok {
		return
	}
	rep, forms, _, err := h.personYear(r, p, year)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	d := homeData{Year: year, Years: recentYears(h.cfg.Now().Year(), year), Report: rep, Counts: map[string]int{}}
	d.Remaining = max(0, rep.Target-rep.Recognized)
	class := "warn"
	if rep.Met {
		class = ""
	}
	d.Bar = p.Bar(rep.Recognized, rep.Target, p.T("saya.bar_label", p.Num(rep.Recognized), p.Num(rep.Target)), class)
	cats := map[string]float64{}
	for _, f := range rep.ByForm {
		d.ByForm = append(d.ByForm, formTotal{Form: f.Form, Name: formName(p, forms, f.Form), Recognized: f.Recognized, Pending: f.Pending})
		cats[forms[f.Form].Category] += f.Recognized
	}
	for _, c := range []string{"klasikal", "nonklasikal", "workplace", "pendidikan"} {
		if cats[c] > 0 {
			d.ByCategory = append(d.ByCategory, categoryTotal{Key: c, Name: p.T("saya.category." + c), Recognized: cats[c]})
		}
	}
	d.Mix = mix(d.ByForm)
	for _, it := range itemRows(p, rep, forms) {
		d.Counts[it.State]++
		if it.State != "duplicate" {
			d.Items = append(d.Items, it)
		}
	}
	if err := h.getJSON(r, personPath(p, "competencies"), &d.Competencies); err != nil {
		// the JP part stands on its own; say why the competencies are missing
		var ae *APIError
		if errors.As(err, &ae) && ae.Status < 500 {
			d.CompError = ae.Message
		} else {
			d.CompError = p.T("err.server")
		}
	}
	p.Data = d
	h.render(w, "saya", p)
}

// recentYears are the years the year switch offers: this year, the three
// before, and the year shown.
func recentYears(now, shown int) []int {
	years := []int{now, now - 1, now - 2, now - 3}
	if !slices.Contains(years, shown) {
		years = append(years, shown)
		slices.SortFunc(years, func(a, b int) int { return b - a })
	}
	return years
}

// recordInput is the learning a person records, as typed.
type recordInput struct {
	Form, Start, End, JP, Minutes, Title, Description string
}

// formOption is a form in the record form's select.
type formOption struct {
	Code, Name, Rule, Category string
}

type recordData struct {
	In     recordInput
	Forms  []formOption
	Errors map[string]string
	MaxMiB int
	Accept string
	Today  string
}

func (h *Handler) formOptions(p *Page, list []apiForm) []formOption {
	order := map[string]int{"nonklasikal": 0, "workplace": 1, "klasikal": 2, "pendidikan": 3}
	var opts []formOption
	for _, f := range list {
		if f.Rule == nil {
			continue
		}
		opts = append(opts, formOption{Code: f.Form, Name: f.name(p), Rule: ruleText(p, f), Category: f.Category})
	}
	slices.SortStableFunc(opts, func(a, b formOption) int {
		if d := order[a.Category] - order[b.Category]; d != 0 {
			return d
		}
		return strings.Compare(a.Name, b.Name)
	})
	return opts
}

func (h *Handler) today() string { return h.cfg.Now().In(wib).Format(time.DateOnly) }

// wib is Western Indonesia Time, the zone of the dates a record defaults to.

// renderRecord shows the record form of the forms list with in and errs.
func (h *Handler) renderRecord(w http.ResponseWriter, p *Page, list []apiForm, in recordInput, errs map[string]string) {
	p.Data = recordData{In: in, Forms: h.formOptions(p, list), Errors: errs, MaxMiB: maxEvidenceBytes >> 20,
		Accept: strings.Join(evidenceTypes, ","), Today: h.today()}
	if len(errs) > 0 {
		p.Status = http.StatusBadRequest
		if p.Error == "" {
			p.Error = p.T("saya.catat.fix")
		}
	}
	h.render(w, "saya_catat", p)
}

func (h *Handler) pegawaiRecordForm(w http.ResponseWriter, r *http.Request) {
	p := h.pegawaiPage(w, r, "saya.catat.title")
	if p == nil {
		return
	}
	_, list, err := h.forms(r)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	t := h.today()
	h.renderRecord(w, p, list, recordInput{Start: t, End: t}, nil)
}

// evidence is an uploaded evidence file.
type evidence struct {
	Name, ContentType string
	Data              []byte
}

func (h *Handler) pegawaiRecord(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	p := h.pegawaiPage(w, r, "saya.catat.title")
	if p == nil {
		return
	}
	in := recordInput{
		Form: strings.TrimSpace(r.PostFormValue("form")), Start: strings.TrimSpace(r.PostFormValue("start")),
		End: strings.TrimSpace(r.PostFormValue("end")), JP: strings.TrimSpace(r.PostFormValue("jp")),
		Minutes: strings.TrimSpace(r.PostFormValue("minutes")), Title: strings.TrimSpace(r.PostFormValue("title")),
		Description: strings.TrimSpace(r.PostFormValue("description")),
	}
	forms, list, err := h.forms(r)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	errs := map[string]string{}
	stmt := h.checkRecord(p, in, forms, errs)
	ev := h.readEvidence(p, r, errs)
	if len(errs) > 0 {
		h.renderRecord(w, p, list, in, errs)
		return
	}
	if ev == nil {
		err = h.postJSON(r, "/xapi/statements", stmt, nil)
	} else {
		body, ctype := multipartStatement(stmt, ev)
		err = h.Call(r, http.MethodPost, "/xapi/statements", body,
			map[string]string{"Content-Type": ctype, "X-Experience-API-Version": "1.0.3"}).Err()
	}
	if err != nil {
		if ae := sentRefused(err); ae != nil {
			p.Error = p.T("saya.catat.refused", ae.Message)
			h.renderRecord(w, p, list, in, map[string]string{"api": ae.Message})
			return
		}
		h.fail(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/saya?ok=recorded", http.StatusSeeOther)
}

// checkRecord checks the typed record against the form's rule and
// returns the claim statement; every fault goes into errs by field.
func (h *Handler) checkRecord(p *Page, in recordInput, forms map[string]apiForm, errs map[string]string) map[string]any {
	f, ok := forms[in.Form]
	switch {
	case in.Form == "":
		errs["form"] = p.T("saya.catat.err.form_missing")
	case !ok || f.Rule == nil:
		errs["form"] = p.T("saya.catat.err.form_unknown", in.Form)
	}
	start, errStart := time.Parse(time.DateOnly, in.Start)
	end, errEnd := time.Parse(time.DateOnly, in.End)
	today, _ := time.Parse(time.DateOnly, h.today())
	switch {
	case in.Start == "":
		errs["start"] = p.T("saya.catat.err.date_missing")
	case errStart != nil:
		errs["start"] = p.T("saya.catat.err.date_bad", in.Start)
	}
	switch {
	case in.End == "":
		errs["end"] = p.T("saya.catat.err.date_missing")
	case errEnd != nil:
		errs["end"] = p.T("saya.catat.err.date_bad", in.End)
	case end.After(today):
		errs["end"] = p.T("saya.catat.err.future", p.Date(today))
	case end.Year() < 2000:
		errs["end"] = p.T("saya.catat.err.date_bad", in.End)
	}
	days := 0
	if errStart == nil && errEnd == nil {
		days = int(end.Sub(start).Hours()/24) + 1
		switch {
		case start.After(end):
			errs["start"] = p.T("saya.catat.err.start_after_end")
		case days > 366:
			errs["start"] = p.T("saya.catat.err.too_long")
		}
	}
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		errs["title"] = p.T("saya.catat.err.title_missing")
	case n > 200:
		errs["title"] = p.T("saya.catat.err.too_long_text", 200)
	}
	if utf8.RuneCountInString(in.Description) > 2000 {
		errs["description"] = p.T("saya.catat.err.too_long_text", 2000)
	}
	if strings.ContainsFunc(in.Title+in.Description, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' && r != '\t' }) {
		errs["title"] = p.T("saya.catat.err.control")
	}

	ext := map[string]any{extForm: in.Form}
	result := map[string]any{"completion": true}
	if ok && f.Rule != nil {
		max := f.maxJPPerClaim()
		switch f.Rule.Unit {
		case "declared":
			jp, err := strconv.ParseFloat(strings.Replace(in.JP, ",", ".", 1), 64)
			switch {
			case in.JP == "":
				errs["jp"] = p.T("saya.catat.err.jp_missing", formName(p, forms, in.Form))
			case err != nil || jp <= 0 || jp != jp:
				errs["jp"] = p.T("saya.catat.err.jp_bad", in.JP)
			case jp > max:
				errs["jp"] = p.T("saya.catat.err.jp_max", p.Num(max), formName(p, forms, in.Form))
			default:
				ext[extJP] = jp
			}
		case "duration":
			m, err := strconv.Atoi(in.Minutes)
			switch {
			case in.Minutes == "":
				errs["minutes"] = p.T("saya.catat.err.minutes_missing", formName(p, forms, in.Form))
			case err != nil || m <= 0:
				errs["minutes"] = p.T("saya.catat.err.minutes_bad", in.Minutes)
			case float64(m) > max*45:
				errs["minutes"] = p.T("saya.catat.err.minutes_max", int(max*45), formName(p, forms, in.Form))
			default:
				result["duration"] = "PT" + strconv.Itoa(m) + "M"
			}
		}
	}
	if _, bad := errs["start"]; days > 0 && days <= 366 && !bad {
		ext[extDays] = days
		ext[extStartDate] = in.Start
	}
	id := uuid.NewString()
	def := map[string]any{"name": map[string]string{"id-ID": in.Title}}
	if in.Description != "" {
		def["description"] = map[string]string{"id-ID": in.Description}
		result["response"] = in.Description
	}
	if t := activityType(in.Form); t != "" {
		def["type"] = t
	}
	return map[string]any{
		"id":     uuid.NewString(),
		"actor":  h.actor(p.Me),
		"verb":   map[string]any{"id": verbCompleted, "display": map[string]string{"id-ID": "menyelesaikan", "en-US": "completed"}},
		"object": map[string]any{"objectType": "Activity", "id": recordedActivity + id, "definition": def},
		"result": result,
		"context": map[string]any{"registration": id, "platform": "Jejak", "language": "id-ID",
			"extensions": ext},
		// noon WIB falls on the same date in WIB, WITA and WIT
		"timestamp": in.End + "T12:00:00+07:00",
	}
}

func activityType(form string) string {
	switch {
	case form == "NK-COACHING" || form == "NK-MENTORING":
		return activityTypes + "coaching-session"
	case form == "NK-MANDIRI":
		return activityTypes + "self-study"
	case form == "NK-ELEARN":
		return activityTypes + "e-learning-course"
	case strings.HasPrefix(form, "KLS-"):
		return activityTypes + "classroom-course"
	}
	return ""
}

// readEvidence reads the optional evidence file; faults go into errs.
func (h *Handler) readEvidence(p *Page, r *http.Request, errs map[string]string) *evidence {
	if r.MultipartForm == nil {
		return nil
	}
	files := r.MultipartForm.File["evidence"]
	if len(files) == 0 || files[0].Filename == "" {
		return nil
	}
	fh := files[0]
	if fh.Size > maxEvidenceBytes {
		errs["evidence"] = p.T("saya.catat.err.file_large", maxEvidenceBytes>>20)
		return nil
	}
	if fh.Size == 0 {
		errs["evidence"] = p.T("saya.catat.err.file_empty")
		return nil
	}
	f, err := fh.Open()
	if err != nil {
		errs["evidence"] = p.T("saya.catat.err.file_read")
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEvidenceBytes+1))
	if err != nil || len(data) > maxEvidenceBytes {
		errs["evidence"] = p.T("saya.catat.err.file_read")
		return nil
	}
	ct := strings.SplitN(http.DetectContentType(data), ";", 2)[0]
	if !slices.Contains(evidenceTypes, ct) {
		errs["evidence"] = p.T("saya.catat.err.file_type", fh.Filename)
		return nil
	}
	name := filepath.Base(strings.ReplaceAll(fh.Filename, "\\", "/"))
	if utf8.RuneCountInString(name) > 100 {
		name = string([]rune(name)[:100])
	}
	return &evidence{Name: name, ContentType: ct, Data: data}
}

// multipartStatement attaches the evidence to the statement and returns
// both as a multipart/mixed body (xAPI 1.0.3 Data 2.5): the statement
// first, then the file named by its SHA-2.
func multipartStatement(stmt map[string]any, ev *evidence) (io.Reader, string) {
	sum := sha256.Sum256(ev.Data)
	sha := hex.EncodeToString(sum[:])
	stmt["attachments"] = []map[string]any{{
		"usageType":   EvidenceUsage,
		"display":     map[string]string{"id-ID": "Bukti: " + ev.Name, "en": "Evidence: " + ev.Name},
		"contentType": ev.ContentType,
		"length":      len(ev.Data),
		"sha2":        sha,
	}}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	js, _ := json.Marshal(stmt)
	part, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json"}})
	_, _ = part.Write(js)
	part, _ = mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {ev.ContentType},
		"Content-Transfer-Encoding": {"binary"},
		"X-Experience-API-Hash":     {sha},
	})
	_, _ = part.Write(ev.Data)
	_ = mw.Close()
	return &buf, "multipart/mixed; boundary=" + mw.Boundary()
}

type historyData struct {
	Year, Form, Status string
	Years              []int
	Forms              []formOption
	States             []string
	Items              []itemRow
	Total              float64
	All                int
}

var historyStates = []string{"approved", "pending", "rejected", "voided", "duplicate"}

func (h *Handler) pegawaiHistory(w http.ResponseWriter, r *http.Request) {
	p := h.pegawaiPage(w, r, "saya.riwayat.title")
	if p == nil {
		return
	}
	year, ok := h.yearParam(w, r, p)
	if !ok {
		return
	}
	q := r.URL.Query()
	form, status := q.Get("form"), q.Get("status")
	if status != "" && !slices.Contains(historyStates, status) {
		h.errorPage(w, r, p, http.StatusBadRequest, p.T("saya.riwayat.bad_status", status))
		return
	}
	rep, forms, list, err := h.personYear(r, p, year)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	if form != "" {
		if _, known := forms[form]; !known {
			h.errorPage(w, r, p, http.StatusBadRequest, p.T("saya.catat.err.form_unknown", form))
			return
		}
	}
	d := historyData{Year: strconv.Itoa(year), Form: form, Status: status, Years: recentYears(h.cfg.Now().Year(), year),
		Forms: h.formOptions(p, list), States: historyStates}
	for _, it := range itemRows(p, rep, forms) {
		d.All++
		if (form != "" && it.Form != form) || (status != "" && it.State != status) {
			continue
		}
		d.Items = append(d.Items, it)
		d.Total += it.JPRecognized
	}
	p.Data = d
	h.render(w, "saya_riwayat", p)
}
