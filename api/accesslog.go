package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// AccessLog is the access log for personal data (natslog.AccessLog).
type AccessLog interface {
	// Reserve makes room for one entry before a read is served; an error
	// means the read must not be served.
	Reserve(ctx context.Context) error
	// Record queues the entry of a read Reserve made room for.
	Record(e lrs.Access)
	// Query reads entries, the oldest first.
	Query(ctx context.Context, q lrs.AccessQuery) ([]lrs.Access, error)
}

// accessTarget names whose records a request reads; ok is false when it
// reads no one's (e.g. a malformed NIP, answered 400 before any read).
type accessTarget func(c echo.Context) (scope, nip, unit string, ok bool)

// personTarget: the {nip} path parameter.
func personTarget(c echo.Context) (string, string, string, bool) {
	raw, err := pathParam(c, "nip")
	if err != nil {
		return "", "", "", false
	}
	nip, err := bangkom.ParseNIP(raw)
	return lrs.AccessPerson, string(nip), "", err == nil
}

// unitTarget: the {unit} path parameter.
func unitTarget(c echo.Context) (string, string, string, bool) {
	unit, err := pathParam(c, "unit")
	return lrs.AccessUnit, "", unit, err == nil && unit != ""
}

// approvalsTarget: the queue read — a supervisor's (?supervisor=, or a
// person's own), a unit's (?unit=), or a verifier's own, which may hold
// every registered person's claims and is recorded as an export is.
func approvalsTarget(c echo.Context) (string, string, string, bool) {
	q, p := c.QueryParams(), principal(c)
	switch {
	case q.Has("supervisor") && q.Has("unit"):
		return "", "", "", false // 400
	case q.Has("supervisor"):
		nip, err := bangkom.ParseNIP(q.Get("supervisor"))
		return lrs.AccessApprovals, string(nip), "", err == nil
	case q.Has("unit"):
		unit := q.Get("unit")
		return lrs.AccessUnit, "", unit, unit != ""
	case p.HasRole(lrs.RoleVerifier):
		return lrs.AccessExport, "", "", true
	case p.Person != "":
		return lrs.AccessApprovals, p.Person, "", true
	}
	return "", "", "", false // 400: no queue of its own
}

// exportTarget: every registered person, or one unit's.
func exportTarget(c echo.Context) (string, string, string, bool) {
	if unit := c.QueryParam("unit"); unit != "" {
		return lrs.AccessUnit, "", unit, true
	}
	return lrs.AccessExport, "", "", true
}

// agentTarget: statements filtered by the agent of an ASN account (its
// homePage is --home-page, its name a NIP).
func (s *Server) agentTarget(c echo.Context) (string, string, string, bool) {
	agent := c.QueryParam("agent")
	if agent == "" {
		return "", "", "", false
	}
	v, err := fastjson.Parse(agent)
	if err != nil {
		return "", "", "", false
	}
	nip, ok := bangkom.ActorNIP(v, s.cfg.HomePage)
	return lrs.AccessPerson, string(nip), "", ok
}

// recordAccess records every answer of h to a request that reads personal
// data (target says whose) in the access log: room is reserved before h
// runs, so a read the log cannot take is refused, never served unrecorded;
// the entry, with the status answered, is queued when h returns.
func (s *Server) recordAccess(target accessTarget, h echo.HandlerFunc) echo.HandlerFunc {
	if s.cfg.Access == nil {
		return h
	}
	return func(c echo.Context) error {
		scope, nip, unit, ok := target(c)
		if !ok {
			return h(c)
		}
		if err := s.cfg.Access.Reserve(c.Request().Context()); err != nil {
			return err
		}
		p := principal(c)
		e := lrs.Access{Who: p.Key, Kind: p.Kind, Name: p.Name, ActsFor: p.Person, Scope: scope, NIP: nip, Unit: unit,
			Method: c.Request().Method, Route: c.Path(), Query: c.Request().URL.RawQuery}
		e.Status = http.StatusInternalServerError // if h panics
		defer func() {
			e.Time = s.cfg.Now()
			s.cfg.Access.Record(e)
		}()
		err := h(c)
		e.Status = statusFor(c, err)
		return err
	}
}

// statusFor is the status c is answered with, h having returned err (the
// error handler has not run yet).
func statusFor(c echo.Context, err error) int {
	if err == nil {
		return c.Response().Status
	}
	var he *echo.HTTPError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &he):
		return he.Code
	default:
		return statusOf(lrs.ErrorCode(err))
	}
}

var accessHeader = []string{"time", "who", "kind", "name", "acts_for", "scope", "nip", "unit", "method", "route", "query", "status", "seq"}

// getAccess serves GET /api/v1/access: the access log, to auditors and
// admins. nip= selects the reads of that person's records: those naming
// them, and (while the JP view knows them) those of their unit and of
// their supervisor's approval queue, and the national exports.
func (s *Server) getAccess(c echo.Context) error {
	if err := lrs.MayReadAccessLog(principal(c)); err != nil {
		return err
	}
	q := c.QueryParams()
	if err := checkTableParams(q, "nip", "unit", "supervisor", "who", "since", "until", "limit", "direct"); err != nil {
		return err
	}
	var aq lrs.AccessQuery
	ctx := c.Request().Context()
	if q.Has("nip") {
		nip, err := parseNIPParam(q.Get("nip"))
		if err != nil {
			return err
		}
		aq.Subjects = append(aq.Subjects, lrs.AccessSubject(lrs.AccessPerson, string(nip), ""))
		if q.Get("direct") != "true" && s.cfg.JP != nil {
			p, found, err := s.cfg.JP.Person(ctx, nip, 0)
			if err != nil {
				return lrs.Internal("jp view", err)
			}
			if found && p.Unit != "" {
				aq.Subjects = append(aq.Subjects, lrs.AccessUnitSubject(p.Unit))
			}
			if found && p.SupervisorNIP != "" {
				aq.Subjects = append(aq.Subjects, lrs.AccessSubject(lrs.AccessApprovals, string(p.SupervisorNIP), ""))
			}
			aq.Subjects = append(aq.Subjects, lrs.AccessSubject(lrs.AccessExport, "", ""))
		}
	}
	if q.Has("supervisor") {
		nip, err := parseNIPParam(q.Get("supervisor"))
		if err != nil {
			return err
		}
		aq.Subjects = append(aq.Subjects, lrs.AccessSubject(lrs.AccessApprovals, string(nip), ""))
	}
	if unit := q.Get("unit"); q.Has("unit") {
		if unit == "" {
			return lrs.Errorf(lrs.EINVALID, "unit: must not be empty")
		}
		aq.Subjects = append(aq.Subjects, lrs.AccessUnitSubject(unit))
	}
	aq.Who = q.Get("who")
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &aq.Since}, {"until", &aq.Until}} {
		if !q.Has(t.name) {
			continue
		}
		v, err := time.Parse(time.RFC3339Nano, q.Get(t.name))
		if err != nil {
			return lrs.Errorf(lrs.EINVALID, "%s: %q is not an RFC 3339 time like 2026-06-30T23:59:59+07:00", t.name, q.Get(t.name))
		}
		*t.dst = v
	}
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 || n > lrs.MaxAccessLimit {
			return lrs.Errorf(lrs.EINVALID, "limit: %q is not a number from 1 to %d", q.Get("limit"), lrs.MaxAccessLimit)
		}
		aq.Limit = n
	}
	entries, err := s.cfg.Access.Query(ctx, aq)
	if err != nil {
		return lrs.Errorf(lrs.EUNAVAILABLE, "the access log cannot be read now; retry later")
	}
	if wantsCSV(c) {
		rows := [][]string{accessHeader}
		for _, e := range entries {
			rows = append(rows, []string{e.Time.UTC().Format(time.RFC3339Nano), e.Who, e.Kind, e.Name, e.ActsFor, e.Scope, e.NIP, e.Unit,
				e.Method, e.Route, e.Query, strconv.Itoa(e.Status), strconv.FormatUint(e.Seq, 10)})
		}
		return writeCSV(c, "access.csv", rows)
	}
	limit := aq.Limit
	if limit == 0 {
		limit = lrs.DefaultAccessLimit
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": entries, "more": len(entries) >= limit})
}
