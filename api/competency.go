package api

import (
	"encoding/json"
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
		rows := [][]string{{"code", "name", "type", "required_level", "assessed_level", "assessed_at", "stale", "gap", "evidence_jp", "evidence_activities"}}
		for _, l := range rep.Competencies {
			rows = append(rows, []string{l.Code, l.Name, l.Type, optInt(l.RequiredLevel), optNum(l.AssessedLevel), optStr(l.AssessedAt),
				strconv.FormatBool(l.Stale), optNum(l.Gap), num(l.EvidenceJP), strconv.Itoa(l.EvidenceActivities)})
		}
		return writeCSV(c, "competencies-"+string(nip)+".csv", rows)
	}
	return c.JSON(http.StatusOK, rep)
}

// UnitCompetency lists the people of a unit with a gap in one competency.
type UnitCompetency struct {
	Code          string      `json:"code"`
	Name          string      `json:"name"`
	PeopleWithGap []PersonGap `json:"people_with_gap"`
}

// PersonGap is one person's gap in a competency.
type PersonGap struct {
	NIP           bangkom.NIP `json:"nip"`
	Name          string      `json:"name"`
	RequiredLevel int         `json:"required_level"`
	AssessedLevel *float64    `json:"assessed_level"`
	Stale         bool        `json:"stale"`
	Gap           float64     `json:"gap"`
}

func (s *Server) unitCompetencies(c echo.Context) error {
	if err := s.allowUnit(c); err != nil {
		return err
	}
	_, asOf, err := s.jpQuery(c)
	if err != nil {
		return err
	}
	unit, nips, err := s.unitMembers(c)
	if err != nil {
		return err
	}
	byCode := map[string]*UnitCompetency{}
	err = s.eachFacts(c.Request().Context(), nips, asOf, func(facts bangkom.Facts) {
		nip := facts.Person.NIP
		rep := bangkom.ComputeCompetencies(facts, s.cfg.JP.Rules(), s.cfg.Frameworks, s.asOfTime(c), asOf)
		for _, l := range rep.Competencies {
			if l.RequiredLevel == nil {
				continue
			}
			uc := byCode[l.Code]
			if uc == nil {
				uc = &UnitCompetency{Code: l.Code, Name: l.Name, PeopleWithGap: []PersonGap{}}
				byCode[l.Code] = uc
			}
			if l.Gap != nil && *l.Gap > 0 {
				uc.PeopleWithGap = append(uc.PeopleWithGap, PersonGap{NIP: nip, Name: facts.Person.Name, RequiredLevel: *l.RequiredLevel, AssessedLevel: l.AssessedLevel, Stale: l.Stale, Gap: *l.Gap})
			}
		}
	})
	if err != nil {
		return err
	}
	out := make([]UnitCompetency, 0, len(byCode))
	for _, uc := range byCode {
		out = append(out, *uc)
	}
	slices.SortFunc(out, func(a, b UnitCompetency) int { return strings.Compare(a.Code, b.Code) })
	if wantsCSV(c) {
		rows := [][]string{{"code", "name", "nip", "person", "required_level", "assessed_level", "stale", "gap"}}
		for _, uc := range out {
			for _, p := range uc.PeopleWithGap {
				rows = append(rows, []string{uc.Code, uc.Name, string(p.NIP), p.Name, strconv.Itoa(p.RequiredLevel), optNum(p.AssessedLevel), strconv.FormatBool(p.Stale), num(p.Gap)})
			}
		}
		return writeCSV(c, "competencies-"+unit+".csv", rows)
	}
	return c.JSON(http.StatusOK, map[string]any{"unit": unit, "people": len(nips), "competencies": out})
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
