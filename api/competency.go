package api

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

const eventPositions = "bangkom.positions"

// registerCompetency adds the competency and SIASN routes under /api/v1.
func (s *Server) registerCompetency(g *echo.Group) {
	getHead(g, "/people/:nip/competencies", s.recordAccess(personTarget, s.personCompetencies))
	getHead(g, "/units/:unit/competencies", s.recordAccess(unitTarget, s.unitCompetencies))
	g.POST("/positions", s.postPositions)
	getHead(g, "/positions", s.getPositions)
	getHead(g, "/people/:nip/siasn", s.recordAccess(personTarget, s.personSIASN))
	getHead(g, "/siasn", s.recordAccess(exportTarget, s.allSIASN))
}

// asOfTime is the moment a report describes: as_of, else now.
func (s *Server) asOfTime(c echo.Context) time.Time {
	if t, ok := c.Request().Context().Value(asOfKey{}).(time.Time); ok {
		return t
	}
	return s.cfg.Now()
}

func (s *Server) personCompetencies(c echo.Context) error {
	facts, _, asOf, err := s.personQuery(c)
	if err != nil {
		return err
	}
	nip := facts.Person.NIP
	rep := bangkom.ComputeCompetencies(facts, s.cfg.JP.Rules(), s.cfg.Frameworks, s.asOfTime(c), asOf)
	rep.AsOf = asOfText(c.Request().Context())
	if wantsCSV(c) {
		rows := [][]string{{"code", "name", "type", "required_level", "assessed_level", "assessed_at", "stale", "gap", "evidence_jp", "evidence_activities", "state"}}
		for _, l := range rep.Competencies {
			rows = append(rows, []string{l.Code, l.Name, l.Type, optInt(l.RequiredLevel), optNum(l.AssessedLevel), optStr(l.AssessedAt),
				strconv.FormatBool(l.Stale), optNum(l.Gap), num(l.EvidenceJP), strconv.Itoa(l.EvidenceActivities), l.State})
		}
		return writeCSV(c, "competencies-"+string(nip)+".csv", rows)
	}
	added, err := s.cfg.JP.AddedCatalogue(c.Request().Context())
	if err != nil {
		return lrs.Internal("jp view", err)
	}
	return c.JSON(http.StatusOK, withSuggestions(rep, facts, s.cfg.JP.Rules(), added))
}

// PersonCompetencies is the body of GET /api/v1/people/{nip}/competencies:
// the competency report with, on each competency the person falls short
// of or was never assessed in, the learning the catalogue suggests.
type PersonCompetencies struct {
	bangkom.CompetencyReport
	Competencies []CompetencyWithSuggestions `json:"competencies"`
}

// CompetencyWithSuggestions is a competency line with its suggestions.
type CompetencyWithSuggestions struct {
	bangkom.CompetencyLine
	// Suggestions are catalogue activities tagged with the competency,
	// on a line below the standard, not assessed, or assessed too long
	// ago below it; absent on the others.
	Suggestions []Suggestion `json:"suggestions,omitempty"`
}

// Suggestion is a catalogue activity suggested for a competency.
type Suggestion struct {
	Activity string            `json:"activity"`
	Name     map[string]string `json:"name,omitempty"`
	Form     string            `json:"form"`
	FormName FormName          `json:"form_name"`
	Category string            `json:"category"`
	JP       *float64          `json:"jp,omitempty"`
	// FlowOfWork is true for learning done in the flow of work
	// (coaching, mentoring, self-study, workplace forms), which comes
	// before classroom training.
	FlowOfWork bool `json:"flow_of_work"`
}

// maxSuggestions bounds the suggestions of one competency.
const maxSuggestions = 5

// suggestionRank orders forms for suggestions: learning in the flow of
// work (coaching, mentoring, self-study, on the job) before other
// non-classroom learning, and classroom training and formal education
// last (the 10:20:70 heuristic of BKN SE 3/2022).
func suggestionRank(form string, r *bangkom.Rule) int {
	switch {
	case form == "NK-COACHING":
		return 0
	case form == "NK-MENTORING":
		return 1
	case form == "NK-MANDIRI":
		return 2
	case r != nil && r.Category == "workplace":
		return 3
	case r != nil && !r.Classroom:
		return 4
	}
	return 5
}

// withSuggestions adds to rep the catalogue's activities for each
// competency below the standard, not assessed, or stale below it, leaving
// out activities the person already has a claim of (as of the report).
func withSuggestions(rep bangkom.CompetencyReport, facts bangkom.Facts, rules *bangkom.RuleSet, added map[string]bangkom.CatalogueEntry) PersonCompetencies {
	done := map[string]bool{}
	for _, cl := range facts.Claims {
		done[cl.Activity] = true
	}
	byCode := map[string][]bangkom.CatalogueEntry{}
	add := func(e bangkom.CatalogueEntry) {
		if done[e.Activity] {
			return
		}
		for _, code := range e.Competencies {
			byCode[code] = append(byCode[code], e)
		}
	}
	for _, e := range rules.Catalogue {
		if _, ok := added[e.Activity]; !ok {
			add(e)
		}
	}
	for _, e := range added {
		add(e)
	}
	out := PersonCompetencies{CompetencyReport: rep, Competencies: make([]CompetencyWithSuggestions, 0, len(rep.Competencies))}
	for _, l := range rep.Competencies {
		line := CompetencyWithSuggestions{CompetencyLine: l}
		short := l.State == bangkom.BelowStandard || l.State == bangkom.NotAssessed ||
			(l.State == bangkom.Stale && l.Gap != nil && *l.Gap > 0)
		if short {
			line.Suggestions = suggestionsFor(byCode[l.Code], rules)
		}
		out.Competencies = append(out.Competencies, line)
	}
	return out
}

func suggestionsFor(entries []bangkom.CatalogueEntry, rules *bangkom.RuleSet) []Suggestion {
	list := make([]Suggestion, 0, len(entries))
	rank := map[string]int{}
	for _, e := range entries {
		r := rules.Forms[e.Form]
		sg := Suggestion{Activity: e.Activity, Name: e.Name, Form: e.Form, JP: e.JP}
		if r != nil {
			sg.FormName, sg.Category = FormName{ID: r.Name, EN: r.NameEN}, r.Category
		}
		rank[e.Activity] = suggestionRank(e.Form, r)
		sg.FlowOfWork = rank[e.Activity] <= 3
		list = append(list, sg)
	}
	slices.SortFunc(list, func(a, b Suggestion) int {
		if d := rank[a.Activity] - rank[b.Activity]; d != 0 {
			return d
		}
		return strings.Compare(a.Activity, b.Activity)
	})
	if len(list) > maxSuggestions {
		list = list[:maxSuggestions]
	}
	return list
}

// UnitCompetency is one competency of the standards of a unit's people:
// how many are in each state, and who is below the standard (the only
// ones with a gap), not assessed, or assessed too long ago.
type UnitCompetency struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// Counts holds the people whose standard requires the competency, by
	// state: meets_standard, below_standard, not_assessed, stale.
	Counts            map[string]int `json:"counts"`
	PeopleWithGap     []PersonGap    `json:"people_with_gap"` // below_standard
	PeopleNotAssessed []PersonGap    `json:"people_not_assessed"`
	PeopleStale       []PersonGap    `json:"people_stale"`
}

// PersonGap is one person's line in a competency of a unit.
type PersonGap struct {
	NIP           bangkom.NIP `json:"nip"`
	Name          string      `json:"name"`
	State         string      `json:"state"`
	RequiredLevel int         `json:"required_level"`
	AssessedLevel *float64    `json:"assessed_level"`
	Stale         bool        `json:"stale"`
	Gap           *float64    `json:"gap"` // null when not assessed
}

// PersonWithoutStandard is a person of a unit whose position has no
// competency standard (state no_standard).
type PersonWithoutStandard struct {
	NIP      bangkom.NIP `json:"nip"`
	Name     string      `json:"name"`
	Position string      `json:"position"`
	State    string      `json:"state"`
}

// UnitCompetencies is the body of GET /api/v1/units/{unit}/competencies.
type UnitCompetencies struct {
	Unit   string `json:"unit"`
	People int    `json:"people"`
	// Counts holds the people by the state of their report: assessed
	// (every required competency has a current level), incomplete,
	// no_standard.
	Counts                map[string]int          `json:"counts"`
	Competencies          []UnitCompetency        `json:"competencies"`
	PeopleWithoutStandard []PersonWithoutStandard `json:"people_without_standard"`
}

func (s *Server) unitCompetencies(c echo.Context) error {
	if err := s.allowUnit(c); err != nil {
		return err
	}
	_, asOf, err := s.jpQuery(c, "people")
	if err != nil {
		return err
	}
	// people=false leaves the lists of people out of the JSON: the counts
	// alone, for a unit's summary (a unit of thousands lists tens of
	// thousands of lines otherwise).
	withPeople := true
	switch v := c.QueryParam("people"); v {
	case "", "true":
	case "false":
		withPeople = wantsCSV(c)
	default:
		return lrs.Errorf(lrs.EINVALID, "people: %q is not true or false", v)
	}
	unit, nips, err := s.unitMembers(c)
	if err != nil {
		return err
	}
	out := UnitCompetencies{Unit: unit, People: len(nips), Competencies: []UnitCompetency{}, PeopleWithoutStandard: []PersonWithoutStandard{},
		Counts: map[string]int{bangkom.StandardAssessed: 0, bangkom.StandardIncomplete: 0, bangkom.NoStandard: 0}}
	byCode := map[string]*UnitCompetency{}
	err = s.eachFacts(c.Request().Context(), nips, asOf, func(facts bangkom.Facts) {
		nip := facts.Person.NIP
		rep := bangkom.ComputeCompetencies(facts, s.cfg.JP.Rules(), s.cfg.Frameworks, s.asOfTime(c), asOf)
		out.Counts[rep.State]++
		if rep.State == bangkom.NoStandard {
			if !withPeople {
				return
			}
			out.PeopleWithoutStandard = append(out.PeopleWithoutStandard, PersonWithoutStandard{NIP: nip, Name: facts.Person.Name, Position: facts.Person.Position, State: bangkom.NoStandard})
			return
		}
		for _, l := range rep.Competencies {
			if l.RequiredLevel == nil {
				continue
			}
			uc := byCode[l.Code]
			if uc == nil {
				uc = &UnitCompetency{Code: l.Code, Name: l.Name, PeopleWithGap: []PersonGap{}, PeopleNotAssessed: []PersonGap{}, PeopleStale: []PersonGap{},
					Counts: map[string]int{bangkom.MeetsStandard: 0, bangkom.BelowStandard: 0, bangkom.NotAssessed: 0, bangkom.Stale: 0}}
				byCode[l.Code] = uc
			}
			uc.Counts[l.State]++
			if !withPeople {
				continue
			}
			pg := PersonGap{NIP: nip, Name: facts.Person.Name, State: l.State, RequiredLevel: *l.RequiredLevel, AssessedLevel: l.AssessedLevel, Stale: l.Stale, Gap: l.Gap}
			switch l.State {
			case bangkom.BelowStandard:
				uc.PeopleWithGap = append(uc.PeopleWithGap, pg)
			case bangkom.NotAssessed:
				uc.PeopleNotAssessed = append(uc.PeopleNotAssessed, pg)
			case bangkom.Stale:
				uc.PeopleStale = append(uc.PeopleStale, pg)
			}
		}
	})
	if err != nil {
		return err
	}
	for _, uc := range byCode {
		out.Competencies = append(out.Competencies, *uc)
	}
	slices.SortFunc(out.Competencies, func(a, b UnitCompetency) int { return strings.Compare(a.Code, b.Code) })
	if wantsCSV(c) {
		rows := [][]string{{"code", "name", "nip", "person", "required_level", "assessed_level", "stale", "gap", "state"}}
		for _, uc := range out.Competencies {
			for _, list := range [][]PersonGap{uc.PeopleWithGap, uc.PeopleNotAssessed, uc.PeopleStale} {
				for _, p := range list {
					rows = append(rows, []string{uc.Code, uc.Name, string(p.NIP), p.Name, strconv.Itoa(p.RequiredLevel), optNum(p.AssessedLevel), strconv.FormatBool(p.Stale), optNum(p.Gap), p.State})
				}
			}
		}
		for _, p := range out.PeopleWithoutStandard {
			rows = append(rows, []string{"", "", string(p.NIP), p.Name, "", "", "", "", p.State})
		}
		return writeCSV(c, "competencies-"+unit+".csv", rows)
	}
	return c.JSON(http.StatusOK, out)
}

// Position is a position standard: jabatan → required level per competency.
type Position struct {
	Position  string         `json:"position"`
	Standards map[string]int `json:"standards"`
}

// postPositions records position standards (event-sourced like the registry).
func (s *Server) postPositions(c echo.Context) error {
	if err := requireRole(c, lrs.RoleAdmin, lrs.RoleVerifier); err != nil {
		return err
	}
	if _, err := bodyType(c, "application/json"); err != nil {
		return err
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	positions, err := ParsePositions(body, s.cfg.Frameworks)
	if err != nil {
		return err
	}
	payload, _ := json.Marshal(map[string]any{"positions": positions})
	seq, err := s.cfg.Writer.AppendEvent(c.Request().Context(), eventPositions, 1, "positions", payload, credential(c).Authority())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"imported": len(positions), "seq": seq})
}

// getPositions lists the position standards as last posted, by position
// name (GET /api/v1/positions): admins, verifiers and analysts.
func (s *Server) getPositions(c echo.Context) error {
	if err := requireRole(c, lrs.RoleAdmin, lrs.RoleVerifier, lrs.RoleAnalyst); err != nil {
		return err
	}
	if err := checkParams(c.QueryParams()); err != nil {
		return err
	}
	s.waitJP(c.Request().Context())
	all, err := s.cfg.JP.Positions(c.Request().Context())
	if err != nil {
		return lrs.Internal("jp view", err)
	}
	out := make([]Position, 0, len(all))
	for _, name := range slices.Sorted(maps.Keys(all)) {
		out = append(out, Position{Position: name, Standards: all[name]})
	}
	return c.JSON(http.StatusOK, out)
}

// ParsePositions reads and checks position standards: a non-empty array,
// each with a position name and levels 1–5 of known competency codes.
func ParsePositions(body []byte, fw bangkom.Frameworks) ([]Position, error) {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	var positions []Position
	if err := dec.Decode(&positions); err != nil || len(positions) == 0 {
		return nil, lrs.Errorf(lrs.EINVALID, "body: want a non-empty JSON array of {\"position\", \"standards\": {\"M.01\": 3, …}}")
	}
	seen := map[string]int{}
	for i, p := range positions {
		if strings.TrimSpace(p.Position) == "" {
			return nil, lrs.Errorf(lrs.EINVALID, "[%d].position: must not be empty", i)
		}
		if j, dup := seen[p.Position]; dup {
			return nil, lrs.Errorf(lrs.EINVALID, "[%d].position: %q is also [%d]", i, p.Position, j)
		}
		seen[p.Position] = i
		if len(p.Standards) == 0 {
			return nil, lrs.Errorf(lrs.EINVALID, "[%d].standards: must name at least one competency", i)
		}
		for code, lvl := range p.Standards {
			if _, ok := fw[code]; !ok {
				return nil, lrs.Errorf(lrs.EINVALID, "[%d].standards.%s: not a competency of the loaded frameworks", i, code)
			}
			if lvl < 1 || lvl > 5 {
				return nil, lrs.Errorf(lrs.EINVALID, "[%d].standards.%s: level %d is not 1-5", i, code, lvl)
			}
		}
	}
	return positions, nil
}

// SIASNRow is one recognised learning item as a SIASN riwayat kursus row.
type SIASNRow struct {
	NIP                    bangkom.NIP `json:"nip"`
	JenisDiklatID          *int        `json:"jenisDiklatId"`
	NamaKursus             string      `json:"namaKursus"`
	InstitusiPenyelenggara string      `json:"institusiPenyelenggara"`
	TanggalKursus          string      `json:"tanggalKursus"`
	TanggalSelesaiKursus   string      `json:"tanggalSelesaiKursus"`
	TahunKursus            int         `json:"tahunKursus"`
	JumlahJam              float64     `json:"jumlahJam"`
	StatementID            string      `json:"statement_id"`
	Form                   string      `json:"form"`
}

// siasnRows turns a person's recognised items of a year into SIASN rows.
// Dates are written dd-mm-yyyy as SIASN's riwayat services take them:
// tanggalKursus the first day (the start-date extension, else the
// completion date minus days − 1), tanggalSelesaiKursus the completion date
// (the statement's date in the person's zone). namaKursus is the item's
// name, which is never an IRI (empty when the claim has none:
// bangkom.MissingName). institution names an item's institusiPenyelenggara
// (nil: its organizer).
func siasnRows(rep bangkom.YearReport, rules *bangkom.RuleSet, institution func(bangkom.Item) string) []SIASNRow {
	rows := []SIASNRow{}
	for _, it := range rep.Items {
		if it.State != bangkom.Approved || it.JPRecognized <= 0 {
			continue
		}
		inst := it.Organizer
		if institution != nil {
			inst = institution(it)
		}
		row := SIASNRow{NIP: rep.NIP, NamaKursus: it.ActivityName, InstitusiPenyelenggara: inst,
			TanggalKursus: it.StartDate().Format("02-01-2006"), TanggalSelesaiKursus: it.EndDate().Format("02-01-2006"),
			TahunKursus: it.Day().Year(), JumlahJam: it.JPRecognized, StatementID: it.StatementID, Form: it.Form}
		if r := rules.Forms[it.Form]; r != nil {
			row.JenisDiklatID = r.SIASN
		}
		rows = append(rows, row)
	}
	return rows
}

var siasnHeader = []string{"nip", "jenisDiklatId", "namaKursus", "institusiPenyelenggara", "tanggalKursus", "tanggalSelesaiKursus", "tahunKursus", "jumlahJam", "statement_id", "form"}

func siasnCSV(rows []SIASNRow) [][]string {
	out := [][]string{siasnHeader}
	for _, r := range rows {
		out = append(out, []string{string(r.NIP), optInt(r.JenisDiklatID), r.NamaKursus, r.InstitusiPenyelenggara, r.TanggalKursus, r.TanggalSelesaiKursus,
			strconv.Itoa(r.TahunKursus), num(r.JumlahJam), r.StatementID, r.Form})
	}
	return out
}

func (s *Server) personSIASN(c echo.Context) error {
	facts, year, asOf, err := s.personQuery(c, "from", "to")
	if err != nil {
		return err
	}
	from, to, err := periodQuery(c)
	if err != nil {
		return err
	}
	nip := facts.Person.NIP
	rows := siasnRows(bangkom.ComputeQuery(facts, s.cfg.JP.Rules(), s.reportQuery(c, year, asOf, from, to)), s.cfg.JP.Rules(), s.institution)
	if wantsCSV(c) {
		return writeCSV(c, "siasn-"+string(nip)+"-"+reportLabel(year, from, to)+".csv", siasnCSV(rows))
	}
	return c.JSON(http.StatusOK, rows)
}

// allSIASN exports every registered person's recognised learning of a year
// (optionally one unit): what `jejak export siasn` fetches.
func (s *Server) allSIASN(c echo.Context) error {
	if err := lrs.CanExportSIASN(principal(c)); err != nil {
		return err
	}
	year, asOf, err := s.jpQuery(c, "unit", "from", "to")
	if err != nil {
		return err
	}
	from, to, err := periodQuery(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var nips []bangkom.NIP
	if unit := c.QueryParam("unit"); unit != "" {
		nips, err = s.cfg.JP.Unit(ctx, unit)
	} else {
		nips, err = s.cfg.JP.People(ctx)
	}
	if err != nil {
		return lrs.Internal("jp view", err)
	}
	rows := []SIASNRow{}
	q := s.reportQuery(c, year, asOf, from, to)
	err = s.eachFacts(ctx, nips, asOf, func(facts bangkom.Facts) {
		rows = append(rows, siasnRows(bangkom.ComputeQuery(facts, s.cfg.JP.Rules(), q), s.cfg.JP.Rules(), s.institution)...)
	})
	if err != nil {
		return err
	}
	if wantsCSV(c) {
		return writeCSV(c, "siasn-"+reportLabel(year, from, to)+".csv", siasnCSV(rows))
	}
	return c.JSON(http.StatusOK, rows)
}

func optInt(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func optNum(p *float64) string {
	if p == nil {
		return ""
	}
	return num(*p)
}

func optStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
