package api

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// Lists for analysts: the people of the registry, the units with their
// JP counts, and the activity catalogue, in JSON or as spreadsheets.

// Page sizes of GET /api/v1/people.
const (
	defaultPeopleLimit = 100
	maxPeopleLimit     = 1000
	maxPeopleQuery     = 200 // characters of q
)

// registerLists adds GET /api/v1/people, /units and /catalogue.
func (s *Server) registerLists(g *echo.Group) {
	getHead(g, "/people", s.recordAccess(listTarget, s.listPeople))
	getHead(g, "/units", s.listUnits)
	getHead(g, "/catalogue", s.listCatalogue)
}

// listTarget: a listing of one unit's people, or of everyone's.
func listTarget(c echo.Context) (string, string, string, bool) {
	if unit := c.QueryParam("unit"); unit != "" {
		return lrs.AccessUnit, "", unit, true
	}
	return lrs.AccessExport, "", "", true
}

// peopleColumns are the columns of the people list as CSV: those of a
// registry import, so a list saved as CSV imports again.
var peopleColumns = []string{"nip", "name", "unit", "position", "type", "timezone", "supervisor_nip", "instansi", "parent_unit"}

// encodePeopleCursor makes the cursor of the page after nip: opaque to
// clients, who follow the more link.
func encodePeopleCursor(nip bangkom.NIP) string {
	return base64.RawURLEncoding.EncodeToString([]byte("p1:" + nip))
}

func decodePeopleCursor(s string) (bangkom.NIP, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	nip, ok := strings.CutPrefix(string(b), "p1:")
	if err != nil || !ok || len(nip) != 18 || strings.Trim(nip, "0123456789") != "" {
		return "", lrs.Errorf(lrs.EINVALID, "cursor: %q is not a cursor this server issued (follow the more link)", s)
	}
	return bangkom.NIP(nip), nil
}

// listPeople serves GET /api/v1/people?unit=&q=&limit=&cursor=: the
// registry entries now, in NIP order, of the people the principal may see
// (lrs.MayListPerson), of one unit (its name in any case) and whose name
// or NIP holds q (in any case). A page holds at most limit people; the
// next page is the more link (also a Link header, rel="next").
func (s *Server) listPeople(c echo.Context) error {
	q := c.QueryParams()
	if err := checkTableParams(q, "unit", "q", "limit", "cursor"); err != nil {
		return err
	}
	p := principal(c)
	if err := lrs.CanListPeople(p); err != nil {
		return err
	}
	limit, err := limitParam(q, defaultPeopleLimit, maxPeopleLimit)
	if err != nil {
		return err
	}
	var after bangkom.NIP
	if q.Has("cursor") {
		if after, err = decodePeopleCursor(q.Get("cursor")); err != nil {
			return err
		}
	}
	match := strings.ToLower(strings.TrimSpace(q.Get("q")))
	if n := len([]rune(match)); n > maxPeopleQuery {
		return lrs.Errorf(lrs.EINVALID, "q: %d characters; at most %d", n, maxPeopleQuery)
	}
	unit := q.Get("unit")
	ctx := c.Request().Context()
	s.waitJP(ctx)
	people := []bangkom.Person{}
	more := false
	fn := func(person bangkom.Person) bool {
		if !lrs.MayListPerson(p, lrs.PersonScope{NIP: string(person.NIP), Unit: person.Unit, ParentUnit: person.ParentUnit, Instansi: person.Instansi}) {
			return true
		}
		if match != "" && !strings.Contains(string(person.NIP), match) && !strings.Contains(strings.ToLower(person.Name), match) {
			return true
		}
		if len(people) == limit {
			more = true
			return false
		}
		people = append(people, person)
		return true
	}
	if unit != "" {
		err = s.cfg.JP.UnitPeople(ctx, unit, after, fn)
	} else {
		err = s.cfg.JP.EachPerson(ctx, after, fn)
	}
	if err != nil {
		return lrs.Internal("jp view", err)
	}
	next := ""
	if more {
		v := url.Values{}
		for _, name := range []string{"unit", "q", "limit"} {
			if q.Has(name) {
				v.Set(name, q.Get(name))
			}
		}
		v.Set("cursor", encodePeopleCursor(people[len(people)-1].NIP))
		next = c.Request().URL.Path + "?" + v.Encode()
		c.Response().Header().Set("Link", "<"+next+`>; rel="next"`)
	}
	if wantsCSV(c) {
		rows := [][]string{peopleColumns}
		for _, p := range people {
			rows = append(rows, []string{string(p.NIP), p.Name, p.Unit, p.Position, p.Type, p.Timezone, string(p.SupervisorNIP), p.Instansi, p.ParentUnit})
		}
		name := "people.csv"
		if unit != "" {
			name = "people-" + unit + ".csv"
		}
		return writeCSV(c, name, rows)
	}
	return c.JSON(http.StatusOK, struct {
		People []bangkom.Person `json:"people"`
		More   string           `json:"more"`
	}{people, next})
}

// UnitCount is one unit of GET /api/v1/units: its people now and how
// many of them met the year's JP target.
type UnitCount struct {
	Unit        string `json:"unit"`
	People      int    `json:"people"`
	Met         int    `json:"met"`
	BelowTarget int    `json:"below_target"`
}

// listUnits serves GET /api/v1/units?year=&as_of=: every unit someone is
// registered in now that the principal may read (lrs.CanReadUnit), with
// its people and how many met the year's target, as the unit's JP report
// counts them. It works out every listed person's JP (bangkom.ComputeQuery),
// so it costs what the unit reports of every unit cost together.
func (s *Server) listUnits(c echo.Context) error {
	p := principal(c)
	if err := lrs.CanListUnits(p); err != nil {
		return err
	}
	year, asOf, err := s.jpQuery(c)
	if err != nil {
		return err
	}
	q := s.reportQuery(c, year, asOf, time.Time{}, time.Time{})
	ctx := c.Request().Context()
	units, err := s.cfg.JP.Units(ctx)
	if err != nil {
		return lrs.Internal("jp view", err)
	}
	out := []UnitCount{}
	for _, u := range units {
		if !p.HasRole(lrs.RoleAdmin) {
			var members []lrs.PersonScope
			for _, nip := range u.People {
				person, found, err := s.cfg.JP.Person(ctx, nip, 0)
				if err != nil {
					return lrs.Internal("jp view", err)
				}
				if found {
					members = append(members, lrs.PersonScope{NIP: string(nip), Unit: person.Unit, ParentUnit: person.ParentUnit, Instansi: person.Instansi})
				}
			}
			if lrs.CanReadUnit(p, u.Unit, members) != nil {
				continue
			}
		}
		uc := UnitCount{Unit: u.Unit}
		err := s.eachFacts(ctx, u.People, asOf, func(facts bangkom.Facts) {
			uc.People++
			if bangkom.ComputeQuery(facts, s.cfg.JP.Rules(), q).Met {
				uc.Met++
			}
		})
		if err != nil {
			return err
		}
		uc.BelowTarget = uc.People - uc.Met
		out = append(out, uc)
	}
	if wantsCSV(c) {
		rows := [][]string{{"unit", "people", "met", "below_target"}}
		for _, u := range out {
			rows = append(rows, []string{u.Unit, strconv.Itoa(u.People), strconv.Itoa(u.Met), strconv.Itoa(u.BelowTarget)})
		}
		return writeCSV(c, "units-"+strconv.Itoa(year)+".csv", rows)
	}
	return c.JSON(http.StatusOK, struct {
		Year  int         `json:"year"`
		Units []UnitCount `json:"units"`
	}{year, out})
}

// CatalogueItem is one entry of GET /api/v1/catalogue: source is "rules"
// for the static catalogue (schemas/catalogue), "api" for an entry added
// with POST /api/v1/catalogue (which wins over a static one).
type CatalogueItem struct {
	bangkom.CatalogueEntry
	Source string `json:"source"`
}

// listCatalogue serves GET /api/v1/catalogue?form=: the activity
// catalogue the JP view counts with, in activity order.
func (s *Server) listCatalogue(c echo.Context) error {
	q := c.QueryParams()
	if err := checkTableParams(q, "form"); err != nil {
		return err
	}
	if err := lrs.CanReadCatalogue(principal(c)); err != nil {
		return err
	}
	ctx := c.Request().Context()
	s.waitJP(ctx)
	added, err := s.cfg.JP.AddedCatalogue(ctx)
	if err != nil {
		return lrs.Internal("jp view", err)
	}
	items := []CatalogueItem{}
	for _, e := range s.cfg.JP.Rules().Catalogue {
		if _, ok := added[e.Activity]; !ok {
			items = append(items, CatalogueItem{e, "rules"})
		}
	}
	for _, e := range added {
		items = append(items, CatalogueItem{e, "api"})
	}
	if form := q.Get("form"); form != "" {
		items = slices.DeleteFunc(items, func(it CatalogueItem) bool { return it.Form != form })
	}
	slices.SortFunc(items, func(a, b CatalogueItem) int { return strings.Compare(a.Activity, b.Activity) })
	if wantsCSV(c) {
		rows := [][]string{{"activity", "form", "jp", "competencies", "name_id", "name_en", "source"}}
		for _, it := range items {
			rows = append(rows, []string{it.Activity, it.Form, optNum(it.JP), strings.Join(it.Competencies, " "), it.Name["id-ID"], it.Name["en"], it.Source})
		}
		return writeCSV(c, "catalogue.csv", rows)
	}
	return c.JSON(http.StatusOK, items)
}

// limitParam reads a page's limit: def when absent, else a whole number
// from 1 to max.
func limitParam(q url.Values, def, max int) (int, error) {
	if !q.Has("limit") {
		return def, nil
	}
	n, err := strconv.Atoi(q.Get("limit"))
	if err != nil || n < 1 || n > max {
		return 0, lrs.Errorf(lrs.EINVALID, "limit: %q is not a whole number from 1 to %d", q.Get("limit"), max)
	}
	return n, nil
}
