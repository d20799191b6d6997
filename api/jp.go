package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// JPView is the read side of the JP view (projections.JPIndex).
type JPView interface {
	Facts(ctx context.Context, nip bangkom.NIP, asOf uint64) (bangkom.Facts, bool, error)
	Person(ctx context.Context, nip bangkom.NIP, asOf uint64) (bangkom.Person, bool, error)
	// Unit finds the unit whatever the case of its name.
	Unit(ctx context.Context, unit string) ([]bangkom.NIP, error)
	// Units lists every unit someone is registered in now.
	Units(ctx context.Context) ([]bangkom.UnitMembers, error)
	// UnitPeople and EachPerson call fn with the registry entries now of
	// a unit's people, or of everyone, whose NIP is after after, in NIP
	// order, until fn returns false.
	UnitPeople(ctx context.Context, unit string, after bangkom.NIP, fn func(bangkom.Person) bool) error
	EachPerson(ctx context.Context, after bangkom.NIP, fn func(bangkom.Person) bool) error
	// AddedCatalogue is the catalogue entries added through the API.
	AddedCatalogue(ctx context.Context) (map[string]bangkom.CatalogueEntry, error)
	// Positions is every position standard as last posted, by position.
	Positions(ctx context.Context) (map[string]map[string]int, error)
	Supervisees(ctx context.Context, nip bangkom.NIP) ([]bangkom.NIP, error)
	People(ctx context.Context) ([]bangkom.NIP, error)
	SeqAt(ctx context.Context, t time.Time) (uint64, error)
	Rules() *bangkom.RuleSet
	Applied() (uint64, time.Time)
	WaitApplied(ctx context.Context, seq uint64) error
	// HomePage is the account homePage of ASN accounts (NIPs).
	HomePage() string
	// Claimant is the NIP of the person whose learning claim the statement
	// id is, false if the view holds no such claim.
	Claimant(ctx context.Context, id uuid.UUID) (bangkom.NIP, bool, error)
	// Problems calls fn with the claim problems f selects, in log order,
	// with the cursor after each, until fn returns false.
	Problems(ctx context.Context, f bangkom.ProblemFilter, fn func(p bangkom.Problem, cursor string) bool) error
	// CatalogueEntry finds an activity in the catalogue the view folds with.
	CatalogueEntry(activity string) (bangkom.CatalogueEntry, bool)
	// Evidence is the result.response and attachments of the learning
	// claim with statement id (empty if none).
	Evidence(ctx context.Context, id uuid.UUID) (bangkom.Evidence, error)
}

// Event types the analyst API appends.
const (
	eventPeople    = "bangkom.people"
	eventCatalogue = "bangkom.catalogue"
)

// registerJP adds the analyst API under /api/v1.
func (s *Server) registerJP() {
	e := s.echo
	e.GET("/xapi/profiles/bangkom", s.profile)
	e.HEAD("/xapi/profiles/bangkom", s.profile)
	if s.cfg.JP == nil {
		return
	}
	g := e.Group("/api/v1", s.authenticate)
	getHead(g, "/forms", s.forms)
	getHead(g, "/people/:nip/jp", s.recordAccess(personTarget, s.personJP))
	getHead(g, "/units/:unit/jp", s.recordAccess(unitTarget, s.unitJP))
	getHead(g, "/approvals", s.recordAccess(approvalsTarget, s.approvals))
	s.registerLists(g)
	getHead(g, "/claims/problems", s.recordAccess(problemsTarget, s.claimProblems))
	s.registerDecisions(g)
	g.POST("/people", s.postPeople)
	g.POST("/catalogue", s.postCatalogue)
	s.registerCompetency(g)
}

// getHead routes GET and HEAD of path to h: HEAD answers as GET would,
// with the same status and headers (net/http drops the body).
func getHead(g *echo.Group, path string, h echo.HandlerFunc) {
	g.GET(path, h)
	g.HEAD(path, h)
}

func (s *Server) profile(c echo.Context) error {
	if len(s.cfg.BangkomProfile) == 0 {
		return lrs.Errorf(lrs.ENOTFOUND, "the Bangkom profile is not served by this node")
	}
	return c.Blob(http.StatusOK, "application/ld+json", s.cfg.BangkomProfile)
}

// jpQuery reads year (default: this year) and as_of (an RFC 3339 time;
// default: now) and waits for the view to hold this node's writes. An
// as_of before the log's first event is no error: the reports as of then
// are empty (see beforeLog).
func (s *Server) jpQuery(c echo.Context, allowed ...string) (year int, asOf uint64, err error) {
	q := c.QueryParams()
	if err := checkTableParams(q, append([]string{"year", "as_of"}, allowed...)...); err != nil {
		return 0, 0, err
	}
	year = s.cfg.Now().Year()
	if q.Has("year") {
		y, err := strconv.Atoi(q.Get("year"))
		if err != nil || y < 1970 || y > 9999 {
			return 0, 0, lrs.Errorf(lrs.EINVALID, "year: %q is not a year like 2026", q.Get("year"))
		}
		year = y
	}
	ctx := c.Request().Context()
	wctx, cancel := context.WithTimeout(ctx, s.cfg.ReadWait)
	_ = s.cfg.JP.WaitApplied(wctx, s.cfg.Writer.LastSeq())
	cancel()
	if q.Has("as_of") {
		t, err := parseAsOf(q.Get("as_of"))
		if err != nil {
			return 0, 0, err
		}
		if asOf, err = s.cfg.JP.SeqAt(ctx, t); err != nil {
			return 0, 0, lrs.Internal("jp view", err)
		}
		ctx = context.WithValue(ctx, asOfKey{}, t)
		if asOf == 0 {
			ctx = context.WithValue(ctx, beforeLogKey{}, t)
		}
		c.SetRequest(c.Request().WithContext(ctx))
	}
	return year, asOf, nil
}

// asOfKey holds the as_of time of a request in its context; beforeLogKey
// holds it too when the log held nothing at that time (asOf 0 would mean
// "everything"), for the reports to be empty.
type (
	asOfKey      struct{}
	beforeLogKey struct{}
)

// beforeLog returns the request's as_of time when the log held nothing
// then.
func beforeLog(ctx context.Context) (time.Time, bool) {
	t, ok := ctx.Value(beforeLogKey{}).(time.Time)
	return t, ok
}

// parseAsOf reads an as_of value, an RFC 3339 time. A + offset sent
// unencoded in a query string arrives as a space (…T23:59:59 07:00): a
// space followed by hh:mm at the end is read as +, as nothing else can be
// meant there.
func parseAsOf(raw string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, raw); err == nil {
		return t, nil
	}
	if n := len(raw); n > 6 && raw[n-6] == ' ' && isHHMM(raw[n-5:]) {
		if t, err := time.Parse(time.RFC3339Nano, raw[:n-6]+"+"+raw[n-5:]); err == nil {
			return t, nil
		}
	}
	hint := ""
	if strings.Contains(raw, " ") {
		hint = " (a + sent unencoded in a query string arrives as a space: write + as %2B)"
	}
	return time.Time{}, lrs.Errorf(lrs.EINVALID, "as_of: %q is not an RFC 3339 time like 2026-06-30T23:59:59+07:00%s", raw, hint)
}

func isHHMM(s string) bool {
	return len(s) == 5 && s[2] == ':' && isDigit(s[0]) && isDigit(s[1]) && isDigit(s[3]) && isDigit(s[4])
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// maxPeriodYears bounds how many calendar years a from/to period spans:
// each is worked out whole for every person read.
const maxPeriodYears = 10

// periodQuery reads from and to, dates (YYYY-MM-DD) of learning, both
// inclusive: from alone runs to 31 December of its year, to alone from 1
// January of its year. Zero times when neither is given; 400 naming the
// parameter for a bad date, a period that ends before it begins, or one
// given with year.
func periodQuery(c echo.Context) (from, to time.Time, err error) {
	q := c.QueryParams()
	if !q.Has("from") && !q.Has("to") {
		return time.Time{}, time.Time{}, nil
	}
	if q.Has("year") {
		return time.Time{}, time.Time{}, lrs.Errorf(lrs.EINVALID, "year: give either year or from/to, not both (from/to name the learning dates of the report)")
	}
	date := func(name string) (time.Time, error) {
		if !q.Has(name) {
			return time.Time{}, nil
		}
		d, err := time.Parse(time.DateOnly, q.Get(name))
		if err != nil || d.Year() < 1970 || d.Year() > 9999 {
			return time.Time{}, lrs.Errorf(lrs.EINVALID, "%s: %q is not a date like 2026-06-30 (YYYY-MM-DD, a learning date)", name, q.Get(name))
		}
		return d, nil
	}
	if from, err = date("from"); err != nil {
		return
	}
	if to, err = date("to"); err != nil {
		return
	}
	from, to = bangkom.PeriodBounds(from, to)
	switch {
	case from.After(to):
		return time.Time{}, time.Time{}, lrs.Errorf(lrs.EINVALID, "from: %s is after to %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
	case to.Year()-from.Year() >= maxPeriodYears:
		return time.Time{}, time.Time{}, lrs.Errorf(lrs.EINVALID, "from, to: a period spans at most %d calendar years", maxPeriodYears)
	}
	return from, to, nil
}

// reportLabel names a report's file: the year, or the period from_to.
func reportLabel(year int, from, to time.Time) string {
	if from.IsZero() {
		return strconv.Itoa(year)
	}
	return from.Format(time.DateOnly) + "_" + to.Format(time.DateOnly)
}

// reportQuery is the query of a JP report: year (or the period from, to),
// asOf, and the report's moment (as_of, else now), after whose day a
// claim's date does not count yet.
func (s *Server) reportQuery(c echo.Context, year int, asOf uint64, from, to time.Time) bangkom.Query {
	return bangkom.Query{Year: year, AsOf: asOf, From: from, To: to, Now: s.asOfTime(c)}
}

// personQuery serves the per-person routes: it checks the {nip} path
// parameter (400 before anything else), reads year and as_of (and the
// allowed parameters), and returns the person's facts as of then.
func (s *Server) personQuery(c echo.Context, allowed ...string) (bangkom.Facts, int, uint64, error) {
	raw, err := pathParam(c, "nip")
	if err != nil {
		return bangkom.Facts{}, 0, 0, err
	}
	if _, err := parseNIPParam(raw); err != nil {
		return bangkom.Facts{}, 0, 0, err
	}
	if err := s.allowPerson(c); err != nil {
		return bangkom.Facts{}, 0, 0, err
	}
	year, asOf, err := s.jpQuery(c, allowed...)
	if err != nil {
		return bangkom.Facts{}, 0, 0, err
	}
	facts, err := s.personFacts(c, asOf)
	return facts, year, asOf, err
}

// personFacts reads the {nip} path parameter and the facts of that person
// as of asOf: 400 for a malformed NIP, 404 for one not in the registry.
// A person registered now but not as of as_of (or an as_of before the
// log's first event) has no facts then: the facts hold only the NIP, and
// asOfNote says why.
func (s *Server) personFacts(c echo.Context, asOf uint64) (bangkom.Facts, error) {
	raw, err := pathParam(c, "nip")
	if err != nil {
		return bangkom.Facts{}, err
	}
	nip, err := parseNIPParam(raw)
	if err != nil {
		return bangkom.Facts{}, err
	}
	ctx := c.Request().Context()
	_, before := beforeLog(ctx)
	if !before {
		facts, found, err := s.cfg.JP.Facts(ctx, nip, asOf)
		if err != nil {
			return facts, lrs.Internal("jp view", err)
		}
		if found || asOf == 0 {
			if !found {
				return facts, lrs.Errorf(lrs.ENOTFOUND, "NIP %s is not in the person registry", nip)
			}
			return facts, nil
		}
	}
	_, now, err := s.cfg.JP.Person(ctx, nip, 0)
	if err != nil {
		return bangkom.Facts{}, lrs.Internal("jp view", err)
	}
	if !now {
		return bangkom.Facts{}, lrs.Errorf(lrs.ENOTFOUND, "NIP %s is not in the person registry", nip)
	}
	return bangkom.Facts{Person: bangkom.Person{NIP: nip}}, nil
}

// asOfNote says why a report as of as_of is empty: the log held nothing
// then, or not the person; "" when it is not.
func asOfNote(ctx context.Context, facts bangkom.Facts) string {
	if t, ok := beforeLog(ctx); ok {
		return "the log holds nothing stored at or before " + t.Format(time.RFC3339Nano) + ": the report as of then is empty"
	}
	if t, ok := ctx.Value(asOfKey{}).(time.Time); ok && facts.Person.Type == "" && len(facts.History) == 0 {
		return "NIP " + string(facts.Person.NIP) + " was not in the person registry at " + t.Format(time.RFC3339Nano) + ": the report as of then is empty"
	}
	return ""
}

// asOfText is the as_of of the request as read, "" when it has none.
func asOfText(ctx context.Context) string {
	if t, ok := ctx.Value(asOfKey{}).(time.Time); ok {
		return t.Format(time.RFC3339Nano)
	}
	return ""
}

// eachFacts calls fn with the facts (as of asOf) of every registered person
// among nips.
func (s *Server) eachFacts(ctx context.Context, nips []bangkom.NIP, asOf uint64, fn func(bangkom.Facts)) error {
	if _, before := beforeLog(ctx); before {
		return nil // no one was registered before the log's first event
	}
	for _, nip := range nips {
		facts, found, err := s.cfg.JP.Facts(ctx, nip, asOf)
		if err != nil {
			return lrs.Internal("jp view", err)
		}
		if found {
			fn(facts)
		}
	}
	return nil
}

// unitMembers reads the {unit} path parameter and the NIPs registered in
// it: 404 for a unit nobody belongs to.
func (s *Server) unitMembers(c echo.Context) (string, []bangkom.NIP, error) {
	unit, err := pathParam(c, "unit")
	if err != nil {
		return "", nil, err
	}
	nips, err := s.unitOrGroup(c, unit)
	if err != nil {
		return unit, nil, lrs.Internal("jp view", err)
	}
	if len(nips) == 0 {
		return unit, nil, lrs.Errorf(lrs.ENOTFOUND, "no one in the person registry belongs to unit %q", unit)
	}
	return unit, nips, nil
}

// unitOrGroup is the people registered in unit; when no one's unit has
// that name, the people registered under it as their parent unit or
// instansi (a report of a whole directorate or agency). Names match
// whatever their case. It is looked up once per request: the access check
// and the report share it.
func (s *Server) unitOrGroup(c echo.Context, unit string) ([]bangkom.NIP, error) {
	return perRequest(c, "jejak.unit-members\x00"+unit, func() ([]bangkom.NIP, error) {
		ctx := c.Request().Context()
		nips, err := s.cfg.JP.Unit(ctx, unit)
		if err != nil || len(nips) > 0 {
			return nips, err
		}
		err = s.cfg.JP.EachPerson(ctx, "", func(p bangkom.Person) bool {
			if strings.EqualFold(p.ParentUnit, unit) || strings.EqualFold(p.Instansi, unit) {
				nips = append(nips, p.NIP)
			}
			return true
		})
		return nips, err
	})
}

// perRequest is what key holds for request c, computed by f the first
// time it is asked (an error is not kept), for a lookup both an access
// check and its handler need.
func perRequest[T any](c echo.Context, key string, f func() (T, error)) (T, error) {
	if v, ok := c.Get(key).(T); ok {
		return v, nil
	}
	v, err := f()
	if err == nil {
		c.Set(key, v)
	}
	return v, err
}

// pathParam is path parameter name, decoded. The router matches the raw
// (still percent-encoded) path when the request's path holds escapes that
// are not its default encoding (%2F, %3B, …), and then its parameters are
// still encoded; otherwise they are decoded already.
func pathParam(c echo.Context, name string) (string, error) {
	v := c.Param(name)
	if c.Request().URL.RawPath == "" {
		return v, nil
	}
	d, err := url.PathUnescape(v)
	if err != nil {
		return "", lrs.Errorf(lrs.EINVALID, "path parameter %s: %q is not percent-encoded correctly", name, v)
	}
	return d, nil
}

func parseNIPParam(raw string) (bangkom.NIP, error) {
	nip, err := bangkom.ParseNIP(raw)
	if err != nil {
		return "", lrs.Errorf(lrs.EINVALID, "%v", err)
	}
	return nip, nil
}

func (s *Server) personJP(c echo.Context) error {
	facts, year, asOf, err := s.personQuery(c, "from", "to")
	if err != nil {
		return err
	}
	from, to, err := periodQuery(c)
	if err != nil {
		return err
	}
	nip := facts.Person.NIP
	rep := bangkom.ComputeQuery(facts, s.cfg.JP.Rules(), s.reportQuery(c, year, asOf, from, to))
	ctx := c.Request().Context()
	rep.AsOf = asOfText(ctx)
	if note := asOfNote(ctx, facts); note != "" {
		rep.Notes = append(rep.Notes, note)
	}
	if wantsCSV(c) {
		rows := [][]string{{"statement_id", "form", "date", "jp_claimed", "jp_recognized", "state", "approved_by", "rule", "seqs", "rejected_by", "reason", "duplicate_of", "activity_name", "note"}}
		for _, it := range rep.Items {
			rows = append(rows, []string{it.StatementID, it.Form, it.Date, num(it.JPClaimed), num(it.JPRecognized), it.State, it.ApprovedBy, it.Rule, seqs(it.Seqs), it.RejectedBy, it.Reason, it.DuplicateOf, it.ActivityName, it.Note})
		}
		return writeCSV(c, fmt.Sprintf("jp-%s-%s.csv", nip, reportLabel(year, from, to)), rows)
	}
	out := PersonReport{YearReport: rep}
	if sup := facts.Person.SupervisorNIP; sup != "" {
		out.Supervisor = &PersonRef{NIP: sup}
		if p, found, err := s.cfg.JP.Person(ctx, sup, asOf); err != nil {
			return lrs.Internal("jp view", err)
		} else if found {
			out.Supervisor.Name = p.Name
		}
	}
	return c.JSON(http.StatusOK, out)
}

// PersonReport is the body of GET /api/v1/people/{nip}/jp: the year's
// report and who decides the person's claims.
type PersonReport struct {
	bangkom.YearReport
	// Supervisor is the person's registered supervisor (as of the
	// report), who decides their claims; absent when none is registered.
	Supervisor *PersonRef `json:"supervisor,omitempty"`
}

// PersonRef names a person of the registry.
type PersonRef struct {
	NIP  bangkom.NIP `json:"nip"`
	Name string      `json:"name,omitempty"`
}

// UnitReport is the body of GET /api/v1/units/{unit}/jp.
type UnitReport struct {
	Unit string `json:"unit"`
	Year int    `json:"year"`
	// Period is set on a report of the learning dated from/to: the
	// totals are the period's, met is against the year's target.
	Period            *PeriodRange        `json:"period,omitempty"`
	AsOf              string              `json:"as_of,omitempty"`
	People            int                 `json:"people"`
	Met               int                 `json:"met"`
	RecognizedTotal   float64             `json:"recognized_total"`
	ByForm            []bangkom.FormTotal `json:"by_form"`
	PeopleBelowTarget []PersonTotal       `json:"people_below_target"`
	// Members is every person of the unit, as the CSV lists them.
	Members []UnitMember `json:"members"`
}

// UnitMember is one person's row of a unit report: recognised and pending
// JP, whether they met the target, their supervisor, and their
// recognised JP by form (forms with none left out).
type UnitMember struct {
	NIP            bangkom.NIP        `json:"nip"`
	Name           string             `json:"name"`
	Recognized     float64            `json:"recognized"`
	Pending        float64            `json:"pending"`
	Met            bool               `json:"met"`
	SupervisorNIP  bangkom.NIP        `json:"supervisor_nip,omitempty"`
	SupervisorName string             `json:"supervisor_name,omitempty"`
	ByForm         map[string]float64 `json:"by_form"`
}

// PeriodRange is the period of learning dates a report covers.
type PeriodRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// PersonTotal is one person's recognised JP in a unit report.
type PersonTotal struct {
	NIP        bangkom.NIP `json:"nip"`
	Name       string      `json:"name"`
	Recognized float64     `json:"recognized"`
}

func (s *Server) unitJP(c echo.Context) error {
	if err := s.allowUnit(c); err != nil {
		return err
	}
	year, asOf, err := s.jpQuery(c, "from", "to")
	if err != nil {
		return err
	}
	from, to, err := periodQuery(c)
	if err != nil {
		return err
	}
	unit, nips, err := s.unitMembers(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rep := UnitReport{Unit: unit, Year: year, AsOf: asOfText(ctx), ByForm: []bangkom.FormTotal{}, PeopleBelowTarget: []PersonTotal{}, Members: []UnitMember{}}
	if !from.IsZero() {
		rep.Year, rep.Period = to.Year(), &PeriodRange{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly)}
	}
	q := s.reportQuery(c, year, asOf, from, to)
	forms := map[string]*bangkom.FormTotal{}
	supervisors := map[bangkom.NIP]string{} // NIP → name ("" when not registered)
	var lookupErr error
	err = s.eachFacts(ctx, nips, asOf, func(facts bangkom.Facts) {
		nip := facts.Person.NIP
		pr := bangkom.ComputeQuery(facts, s.cfg.JP.Rules(), q)
		rep.People++
		rep.RecognizedTotal += pr.Recognized
		if strings.EqualFold(facts.Person.Unit, unit) {
			rep.Unit = facts.Person.Unit // the name as registered, whatever the case asked
		}
		m := UnitMember{NIP: nip, Name: facts.Person.Name, Recognized: pr.Recognized, Pending: pr.Pending, Met: pr.Met,
			SupervisorNIP: facts.Person.SupervisorNIP, ByForm: map[string]float64{}}
		if sup := m.SupervisorNIP; sup != "" {
			name, ok := supervisors[sup]
			if !ok {
				sp, found, err := s.cfg.JP.Person(ctx, sup, asOf)
				if err != nil {
					lookupErr = err
				}
				if found {
					name = sp.Name
				}
				supervisors[sup] = name
			}
			m.SupervisorName = name
		}
		if pr.Met {
			rep.Met++
		} else {
			rep.PeopleBelowTarget = append(rep.PeopleBelowTarget, PersonTotal{NIP: nip, Name: facts.Person.Name, Recognized: pr.Recognized})
		}
		for _, ft := range pr.ByForm {
			t := forms[ft.Form]
			if t == nil {
				t = &bangkom.FormTotal{Form: ft.Form}
				forms[ft.Form] = t
			}
			t.Recognized += ft.Recognized
			t.Pending += ft.Pending
			if ft.Recognized != 0 {
				m.ByForm[ft.Form] += ft.Recognized
			}
		}
		rep.Members = append(rep.Members, m)
	})
	if err != nil {
		return err
	}
	if lookupErr != nil {
		return lrs.Internal("jp view", lookupErr)
	}
	for _, t := range forms {
		rep.ByForm = append(rep.ByForm, *t)
	}
	slices.SortFunc(rep.ByForm, func(a, b bangkom.FormTotal) int { return strings.Compare(a.Form, b.Form) })
	if wantsCSV(c) {
		// The first four columns are those of earlier versions; then one
		// column per form of the rules (recognised JP), in code order, the
		// same for every unit.
		codes := slices.Sorted(maps.Keys(s.cfg.JP.Rules().Forms))
		header := append([]string{"nip", "name", "recognized", "met", "pending", "supervisor_nip", "supervisor_name"}, codes...)
		rows := [][]string{header}
		for _, m := range rep.Members {
			row := []string{string(m.NIP), m.Name, num(m.Recognized), strconv.FormatBool(m.Met), num(m.Pending), string(m.SupervisorNIP), m.SupervisorName}
			for _, code := range codes {
				row = append(row, num(m.ByForm[code]))
			}
			rows = append(rows, row)
		}
		return writeCSV(c, fmt.Sprintf("jp-%s-%s.csv", rep.Unit, reportLabel(year, from, to)), rows)
	}
	return c.JSON(http.StatusOK, rep)
}

// PendingClaim is a claim waiting for a decision, as an approval queue
// lists it.
type PendingClaim struct {
	NIP          bangkom.NIP `json:"nip"`
	Name         string      `json:"name"`
	Unit         string      `json:"unit,omitempty"`
	StatementID  string      `json:"statement_id"`
	Form         string      `json:"form"`
	Date         string      `json:"date"`
	Year         int         `json:"year"`
	JPClaimed    float64     `json:"jp_claimed"`
	JPIfApproved float64     `json:"jp_if_approved"` // what the caps would recognise if it were approved now
	Note         string      `json:"note,omitempty"` // why jp_if_approved is less than jp_claimed
	Activity     string      `json:"activity"`
	ActivityName string      `json:"activity_name,omitempty"`
	Evidence     Evidence    `json:"evidence"`
	seq          uint64
}

// Evidence is what a pending claim shows its decider: the claim
// statement's result.response and its attachments' metadata; Statement is
// where the statement and the attachments' data are fetched (an xAPI
// statements read scope is needed).
type Evidence struct {
	Response    string               `json:"response,omitempty"`
	Attachments []bangkom.Attachment `json:"attachments"`
	Truncated   bool                 `json:"truncated,omitempty"`
	Statement   string               `json:"statement"`
}

// approvals answers an approval queue: the claims still pending, of every
// year (or of ?year=), oldest first, of a supervisor's people
// (?supervisor=), of a unit (?unit=), or, with neither, of the caller: a
// verifier's queue (what it may decide, within its units if it has any),
// else a person's as supervisor.
func (s *Server) approvals(c echo.Context) error {
	q := c.QueryParams()
	if err := checkTableParams(q, "supervisor", "unit", "year", "as_of"); err != nil {
		return err
	}
	aq, err := s.approvalQueue(c)
	if err != nil {
		return err
	}
	year, asOf, err := s.jpQuery(c, "supervisor", "unit")
	if err != nil {
		return err
	}
	people, err := aq.people(c, s, asOf)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	pending := []PendingClaim{}
	for _, f := range people {
		for _, it := range bangkom.Queue(f, s.cfg.JP.Rules(), s.reportQuery(c, year, asOf, time.Time{}, time.Time{})) {
			if q.Has("year") && it.Year != year {
				continue
			}
			pc, err := s.pendingClaim(ctx, f.Person, it)
			if err != nil {
				return err
			}
			pending = append(pending, pc)
		}
	}
	// Oldest first across people: by learning date, then log order.
	slices.SortStableFunc(pending, func(a, b PendingClaim) int {
		if c := strings.Compare(a.Date, b.Date); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	if wantsCSV(c) {
		rows := [][]string{{"nip", "name", "statement_id", "form", "date", "jp_claimed", "activity", "activity_name", "jp_if_approved", "note", "unit", "response", "attachments"}}
		for _, p := range pending {
			rows = append(rows, []string{string(p.NIP), p.Name, p.StatementID, p.Form, p.Date, num(p.JPClaimed), p.Activity, p.ActivityName,
				num(p.JPIfApproved), p.Note, p.Unit, p.Evidence.Response, attachmentSummary(p.Evidence.Attachments)})
		}
		return writeCSV(c, "approvals-"+aq.name+".csv", rows)
	}
	body := map[string]any{"queue": aq.kind, aq.kind: aq.name, "pending": pending}
	if q.Has("year") {
		body["year"] = year
	}
	return c.JSON(http.StatusOK, body)
}

// approvalQueue is the queue a request names: kind supervisor (name a
// NIP), unit (name the unit) or verifier (name the credential key).
type approvalQueue struct {
	kind, name string
	p          lrs.Principal
}

// approvalQueue reads which queue the request asks for and decides what
// it can before reading the view: 400 for two queues or none where the
// caller has none of its own, 403 (policy: approvals) for a supervisor's
// queue the caller may not read, or a unit's queue asked by a principal
// of no role that may read one.
func (s *Server) approvalQueue(c echo.Context) (approvalQueue, error) {
	q, p := c.QueryParams(), principal(c)
	aq := approvalQueue{p: p}
	switch {
	case q.Has("supervisor") && q.Has("unit"):
		return aq, lrs.Errorf(lrs.EINVALID, "supervisor and unit: name one queue, not both")
	case q.Has("supervisor"):
		sup, err := parseNIPParam(q.Get("supervisor"))
		if err != nil {
			return aq, err
		}
		aq.kind, aq.name = "supervisor", string(sup)
		return aq, lrs.CanReadApprovals(p, aq.name)
	case q.Has("unit"):
		aq.kind, aq.name = "unit", q.Get("unit")
		if aq.name == "" {
			return aq, lrs.Errorf(lrs.EINVALID, "unit: must name a unit")
		}
		if !p.HasRole(lrs.RoleAdmin) && !p.HasRole(lrs.RoleVerifier) && !p.HasRole(lrs.RoleAnalyst) {
			return aq, lrs.CanReadUnitApprovals(p, aq.name, nil)
		}
	case p.HasRole(lrs.RoleVerifier):
		aq.kind, aq.name = "verifier", p.Key
	case p.Person != "":
		aq.kind, aq.name = "supervisor", p.Person
	default:
		return aq, lrs.Errorf(lrs.EINVALID, "missing supervisor (a NIP) or unit parameter: credential %q is neither a verifier nor a person, so it has no queue of its own", p.Key)
	}
	return aq, nil
}

// people returns the facts, as of asOf, of the people whose claims the
// queue holds: a supervisor's supervisees now, a unit's members now (403
// unless the principal may read the unit's queue, judged by the registry
// now as for a unit's reports; then 404 for a unit nobody belongs to), or
// everyone in a verifier's queue.
func (aq approvalQueue) people(c echo.Context, s *Server, asOf uint64) ([]bangkom.Facts, error) {
	ctx := c.Request().Context()
	var (
		nips []bangkom.NIP
		err  error
	)
	switch aq.kind {
	case "unit":
		nips, err = s.cfg.JP.Unit(ctx, aq.name)
	case "verifier":
		nips, err = s.cfg.JP.People(ctx)
	default:
		nips, err = s.cfg.JP.Supervisees(ctx, bangkom.NIP(aq.name))
	}
	if err != nil {
		return nil, lrs.Internal("jp view", err)
	}
	if aq.kind == "unit" {
		members := make([]lrs.PersonScope, 0, len(nips))
		for _, nip := range nips {
			person, found, err := s.cfg.JP.Person(ctx, nip, 0)
			if err != nil {
				return nil, lrs.Internal("jp view", err)
			}
			if found {
				members = append(members, personScopeOf(person))
			}
		}
		if err := lrs.CanReadUnitApprovals(aq.p, aq.name, members); err != nil {
			return nil, err
		}
		if len(nips) == 0 {
			return nil, lrs.Errorf(lrs.ENOTFOUND, "no one in the person registry belongs to unit %q", aq.name)
		}
	}
	var people []bangkom.Facts
	err = s.eachFacts(ctx, nips, asOf, func(f bangkom.Facts) {
		if aq.kind != "verifier" || lrs.InVerifierQueue(aq.p, personScopeOf(f.Person)) {
			people = append(people, f)
		}
	})
	return people, err
}

// pendingClaim is a queued claim of person as the queue lists it, with
// the evidence the JP view keeps for it.
func (s *Server) pendingClaim(ctx context.Context, person bangkom.Person, it bangkom.Queued) (PendingClaim, error) {
	pc := PendingClaim{NIP: person.NIP, Name: person.Name, Unit: person.Unit, StatementID: it.StatementID, Form: it.Form,
		Date: it.Date, Year: it.Year, JPClaimed: it.JPClaimed, JPIfApproved: it.JPIfApproved, Activity: it.Activity,
		ActivityName: it.ActivityName, seq: it.Seqs[0],
		Evidence: Evidence{Attachments: []bangkom.Attachment{}, Statement: "/xapi/statements?statementId=" + url.QueryEscape(it.StatementID)}}
	if it.JPIfApproved < it.JPClaimed {
		pc.Note = it.IfApprovedNote
	}
	id, err := uuid.Parse(it.StatementID)
	if err != nil {
		return pc, nil // no evidence is kept for a claim without a UUID
	}
	ev, err := s.cfg.JP.Evidence(ctx, id)
	if err != nil {
		return pc, lrs.Internal("jp view", err)
	}
	pc.Evidence.Response, pc.Evidence.Truncated = ev.Response, ev.Truncated
	if len(ev.Attachments) > 0 {
		pc.Evidence.Attachments = ev.Attachments
		pc.Evidence.Statement += "&attachments=true"
	}
	return pc, nil
}

// personScopeOf is what the policy needs to know of a registered person.
func personScopeOf(p bangkom.Person) lrs.PersonScope {
	return lrs.PersonScope{NIP: string(p.NIP), Unit: p.Unit, ParentUnit: p.ParentUnit, Instansi: p.Instansi}
}

// attachmentSummary is one CSV cell naming a claim's attachments:
// "display (contentType, sha2)" each, separated by "; ".
func attachmentSummary(atts []bangkom.Attachment) string {
	parts := make([]string, len(atts))
	for i, a := range atts {
		name := a.Display
		if name == "" {
			name = a.UsageType
		}
		parts[i] = fmt.Sprintf("%s (%s, sha2 %s)", name, a.ContentType, a.SHA2)
	}
	return strings.Join(parts, "; ")
}

// requireRole answers 403 unless the credential has one of roles.
func requireRole(c echo.Context, roles ...string) error {
	p := principal(c)
	for _, r := range roles {
		if p.HasRole(r) {
			return nil
		}
	}
	return lrs.Errorf(lrs.EFORBIDDEN, "credential %q lacks the role for this (needs one of: %s)", p.Key, strings.Join(roles, ", "))
}

// postPeople imports registry entries: a JSON array, a CSV or a
// spreadsheet (.xlsx) with the columns of `jejak people import`. A bad
// entry is reported by line and field, and nothing from a bad body is
// applied. With ?dry_run=true it checks everything as the import would and
// answers the rows read and every problem (PeopleCheck), appending
// nothing.
func (s *Server) postPeople(c echo.Context) error {
	if err := requireRole(c, lrs.RoleAdmin, lrs.RoleVerifier); err != nil {
		return err
	}
	q := c.QueryParams()
	if err := checkParams(q, "dry_run"); err != nil {
		return err
	}
	dryRun := false
	switch q.Get("dry_run") {
	case "", "false":
	case "true":
		dryRun = true
	default:
		return lrs.Errorf(lrs.EINVALID, "dry_run: %q is not true or false", q.Get("dry_run"))
	}
	mt, err := bodyType(c, "application/json", "text/csv", bangkom.XLSXType)
	if err != nil {
		return err
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	var people []bangkom.Person
	var lines []int
	var sep rune
	switch mt {
	case "text/csv":
		people, lines, sep, err = bangkom.ReadPeopleCSVAll(bytes.NewReader(body))
	case bangkom.XLSXType:
		people, lines, err = bangkom.ReadPeopleXLSX(body)
	default:
		people, err = bangkom.ReadPeopleJSON(body)
		for i := range people {
			lines = append(lines, i+1)
		}
	}
	if err == nil {
		var cycles []error
		if cycles, err = s.registryCycles(c.Request().Context(), people, lines); err != nil {
			return err
		}
		err = errors.Join(cycles...)
	}
	if dryRun {
		res := PeopleCheck{DryRun: true, Valid: err == nil, People: make([]PeopleRow, len(people)), Problems: []PeopleProblem{}}
		for i, p := range people {
			res.People[i] = PeopleRow{Line: lines[i], Person: p}
		}
		for _, p := range bangkom.PeopleProblems(err) {
			res.Problems = append(res.Problems, PeopleProblem{Line: p.Line, Field: p.Field, Message: p.Err.Error()})
		}
		if sep != 0 {
			res.Separator = bangkom.SeparatorName(sep)
		}
		return c.JSON(http.StatusOK, res)
	}
	if err != nil {
		return lrs.Errorf(lrs.EINVALID, "%s; nothing was imported", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	payload, _ := json.Marshal(map[string]any{"people": people})
	seq, err := s.cfg.Writer.AppendEvent(c.Request().Context(), eventPeople, 1, "people", payload, credential(c).Authority())
	if err != nil {
		return err
	}
	res := map[string]any{"imported": len(people), "seq": seq}
	if sep != 0 {
		res["separator"] = bangkom.SeparatorName(sep)
	}
	return c.JSON(http.StatusOK, res)
}

// PeopleCheck is the answer of POST /api/v1/people?dry_run=true: the rows
// read and every problem; Valid when the import would be applied.
type PeopleCheck struct {
	DryRun    bool            `json:"dry_run"`
	Valid     bool            `json:"valid"`
	People    []PeopleRow     `json:"people"`
	Problems  []PeopleProblem `json:"problems"`
	Separator string          `json:"separator,omitempty"`
}

// PeopleRow is a row of an import as read, with its line (as in
// PeopleProblem).
type PeopleRow struct {
	Line int `json:"line"`
	bangkom.Person
}

// PeopleProblem is one problem of an import: the line of a CSV, the row of
// a spreadsheet or the position (from 1) in a JSON array, and the field;
// line 0 and no field for a problem of the whole file.
type PeopleProblem struct {
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// registryCycles finds the supervisor cycles the registry (its entries
// over those registered now) would hold through an imported person after
// the import; each is a *bangkom.FieldError on the line of its first
// imported person (lines[i] is the line of people[i]).
func (s *Server) registryCycles(ctx context.Context, people []bangkom.Person, lines []int) ([]error, error) {
	wctx, cancel := context.WithTimeout(ctx, s.cfg.ReadWait)
	_ = s.cfg.JP.WaitApplied(wctx, s.cfg.Writer.LastSeq())
	cancel()
	registered, err := s.cfg.JP.People(ctx)
	if err != nil {
		return nil, lrs.Internal("jp view", err)
	}
	sup := make(map[bangkom.NIP]bangkom.NIP, len(registered)+len(people))
	for _, nip := range registered {
		p, found, err := s.cfg.JP.Person(ctx, nip, 0)
		if err != nil {
			return nil, lrs.Internal("jp view", err)
		}
		if found {
			sup[nip] = p.SupervisorNIP
		}
	}
	from := make([]bangkom.NIP, len(people))
	index := make(map[bangkom.NIP]int, len(people))
	for i, p := range people {
		sup[p.NIP], from[i] = p.SupervisorNIP, p.NIP
		index[p.NIP] = i
	}
	var out []error
	for _, cycle := range bangkom.SupervisorCycles(sup, from) {
		line := 0
		for _, n := range cycle {
			if i, ok := index[n]; ok {
				line = lines[i]
				break
			}
		}
		out = append(out, &bangkom.FieldError{Line: line, Field: "supervisor_nip", Err: &bangkom.CycleError{Cycle: cycle}})
	}
	return out, nil
}

// decodeJSONBody reads an application/json request body into v, refusing
// unknown fields. The request's own faults (media type, size) come back as
// *lrs.Error; a body that does not decode into v comes back as the
// decoder's error, for the caller to name what it wants.
func (s *Server) decodeJSONBody(c echo.Context, v any) error {
	if _, err := bodyType(c, "application/json"); err != nil {
		return err
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// postCatalogue adds or replaces activity catalogue entries.
func (s *Server) postCatalogue(c echo.Context) error {
	if err := requireRole(c, lrs.RoleAdmin); err != nil {
		return err
	}
	var entries []bangkom.CatalogueEntry
	err := s.decodeJSONBody(c, &entries)
	if errors.As(err, new(*lrs.Error)) {
		return err
	}
	if err != nil || len(entries) == 0 {
		return lrs.Errorf(lrs.EINVALID, "body: want a non-empty JSON array of catalogue entries {activity, form, jp, competencies, name}")
	}
	rules := s.cfg.JP.Rules()
	for i, e := range entries {
		switch {
		case !lrs.IsIRI(e.Activity):
			return lrs.Errorf(lrs.EINVALID, "[%d].activity: %q is not an IRI", i, e.Activity)
		case rules.Forms[e.Form] == nil:
			return lrs.Errorf(lrs.EINVALID, "[%d].form: %q is not a form of the rules", i, e.Form)
		case e.JP != nil && *e.JP < 0:
			return lrs.Errorf(lrs.EINVALID, "[%d].jp: must not be negative", i)
		case e.JP != nil && *e.JP > rules.MaxDeclared(e.Form):
			return lrs.Errorf(lrs.EINVALID, "[%d].jp: %g is more than the %g JP one claim of form %s may declare", i, *e.JP, rules.MaxDeclared(e.Form), e.Form)
		}
	}
	payload, _ := json.Marshal(map[string]any{"entries": entries})
	seq, err := s.cfg.Writer.AppendEvent(c.Request().Context(), eventCatalogue, 1, "catalogue", payload, credential(c).Authority())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"added": len(entries), "seq": seq})
}

// bodyType returns the media type of the request body, one of accepted,
// else 415 naming the accepted types.
func bodyType(c echo.Context, accepted ...string) (string, error) {
	ct := c.Request().Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && slices.Contains(accepted, mt) {
		return mt, nil
	}
	if ct == "" {
		ct = "none"
	}
	return "", lrs.Errorf(lrs.EMEDIATYPE, "Content-Type %q is not accepted here; send %s", ct, strings.Join(accepted, " or "))
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func seqs(s []uint64) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = strconv.FormatUint(x, 10)
	}
	return strings.Join(parts, " ")
}
