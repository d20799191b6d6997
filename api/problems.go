package api

import (
	"bytes"
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// Claim problems (docs/adr/0019-claim-problems.md): statements meant as
// learning claims that do not count, each with why.

// Bounds of a listing of claim problems.
const (
	defaultProblemsLimit = 500
	maxProblemsLimit     = 5000
	// maxProblemsScan bounds the problems one request reads, those it
	// may not show included; past it the page ends early with a more link.
	maxProblemsScan = 50000
)

// ProblemList is the body of GET /api/v1/claims/problems.
type ProblemList struct {
	Problems []bangkom.Problem `json:"problems"`
	// More is the URL of the next page, "" when there is none.
	More string `json:"more"`
}

// claimProblems lists claim problems in log order: since= (an RFC 3339
// stored time, exclusive), credential= (the writer's key), nip= (the
// actor's account name as sent), limit= (default 500, at most 5000),
// format= (json, csv, xlsx); the next page is the more link (also a Link
// header, rel="next", with cursor=). With nip= of a registered person, the
// first page also holds the problems judged when read (duplicates, claims
// dated after today).
func (s *Server) claimProblems(c echo.Context) error {
	q := c.QueryParams()
	if err := checkTableParams(q, "since", "credential", "nip", "limit", "cursor"); err != nil {
		return err
	}
	p := principal(c)
	f := bangkom.ProblemFilter{After: q.Get("cursor"), NIP: q.Get("nip"), Credential: q.Get("credential")}
	if len(f.NIP) > 64 || len(f.Credential) > 64 {
		return lrs.Errorf(lrs.EINVALID, "nip and credential are at most 64 characters")
	}
	if err := lrs.CanListProblems(p, f.Credential); err != nil {
		return err
	}
	limit, err := limitParam(q, defaultProblemsLimit, maxProblemsLimit)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	s.waitJP(ctx)
	var since time.Time
	if q.Has("since") {
		t, err := time.Parse(time.RFC3339Nano, q.Get("since"))
		if err != nil {
			hint := ""
			if strings.Contains(q.Get("since"), " ") {
				hint = " (a '+' in a query is read as a space: write it %2B)"
			}
			return lrs.Errorf(lrs.EINVALID, "since: %q is not an RFC 3339 time like 2026-06-30T23:59:59+07:00%s", q.Get("since"), hint)
		}
		since = t
		seq, err := s.cfg.JP.SeqAt(ctx, t)
		if err != nil {
			return lrs.Internal("jp view", err)
		}
		f.FromSeq = seq + 1
	}
	out := ProblemList{Problems: []bangkom.Problem{}}
	people := map[string]*lrs.PersonScope{}
	scanned, last, full := 0, "", false
	var lookupErr error
	err = s.cfg.JP.Problems(ctx, f, func(prob bangkom.Problem, cursor string) bool {
		if len(out.Problems) == limit || scanned == maxProblemsScan {
			full = true
			return false
		}
		scanned++
		last = cursor
		if !since.IsZero() && !prob.Stored.After(since) {
			return true
		}
		scope, seen := people[prob.NIP]
		if !seen {
			if nip, err := bangkom.ParseNIP(prob.NIP); err == nil {
				t, found, err := s.personScope(ctx, nip)
				if err != nil {
					lookupErr = err
					return false
				}
				if found {
					scope = &t
				}
			}
			people[prob.NIP] = scope
		}
		if lrs.MaySeeProblem(p, prob.Credential, scope) {
			out.Problems = append(out.Problems, prob)
		}
		return true
	})
	switch {
	case errors.Is(err, bangkom.ErrBadCursor):
		return lrs.Errorf(lrs.EINVALID, "cursor: %q is not a cursor this server issued (follow the more link)", f.After)
	case err != nil:
		return lrs.Internal("jp view", err)
	case lookupErr != nil:
		return lrs.Internal("jp view", lookupErr)
	}
	if f.After == "" {
		if err := s.addJudgedProblems(c, f, &out, people); err != nil {
			return err
		}
	}
	if full {
		next := url.Values{}
		for _, k := range []string{"since", "credential", "nip", "limit", formatParam} {
			if q.Has(k) {
				next.Set(k, q.Get(k))
			}
		}
		next.Set("cursor", last)
		out.More = c.Request().URL.Path + "?" + next.Encode()
		c.Response().Header().Set("Link", "<"+out.More+`>; rel="next"`)
	}
	if wantsCSV(c) {
		rows := [][]string{{"statement_id", "seq", "nip", "credential", "stored", "timestamp", "activity", "form", "code", "reason", "rule"}}
		for _, pr := range out.Problems {
			ts := ""
			if !pr.Timestamp.IsZero() {
				ts = pr.Timestamp.Format(time.RFC3339Nano)
			}
			rows = append(rows, []string{pr.StatementID, strconv.FormatUint(pr.Seq, 10), pr.NIP, pr.Credential,
				pr.Stored.Format(time.RFC3339Nano), ts, pr.Activity, pr.Form, pr.Code, pr.Reason, pr.Rule})
		}
		return writeCSV(c, "claim-problems.csv", rows)
	}
	return c.JSON(http.StatusOK, out)
}

// addJudgedProblems adds to the first page of a listing by nip= (a
// registered person's NIP) the problems judged when read
// (bangkom.JudgedProblems: duplicates, claims dated after today) that f
// selects and the principal may see, in log order among the others. They
// are one person's, so few: they come whole, beside the page's limit.
func (s *Server) addJudgedProblems(c echo.Context, f bangkom.ProblemFilter, out *ProblemList, people map[string]*lrs.PersonScope) error {
	nip, err := bangkom.ParseNIP(f.NIP)
	if err != nil {
		return nil
	}
	ctx := c.Request().Context()
	facts, found, err := s.cfg.JP.Facts(ctx, nip, 0)
	if err != nil {
		return lrs.Internal("jp view", err)
	}
	if !found {
		return nil
	}
	scope, seen := people[f.NIP]
	if !seen {
		t, _, err := s.personScope(ctx, nip)
		if err != nil {
			return lrs.Internal("jp view", err)
		}
		scope = &t
	}
	p := principal(c)
	added := false
	for _, prob := range bangkom.JudgedProblems(facts, s.cfg.JP.Rules(), s.cfg.Now(), 0) {
		if prob.Seq < f.FromSeq || (f.Credential != "" && prob.Credential != f.Credential) || !lrs.MaySeeProblem(p, prob.Credential, scope) {
			continue
		}
		out.Problems = append(out.Problems, prob)
		added = true
	}
	if added {
		slices.SortStableFunc(out.Problems, func(a, b bangkom.Problem) int { return cmp.Compare(a.Seq, b.Seq) })
	}
	return nil
}

// problemsTarget: a person when nip= is a NIP, else an export.
func problemsTarget(c echo.Context) (string, string, string, bool) {
	if nip, err := bangkom.ParseNIP(c.QueryParam("nip")); err == nil {
		return lrs.AccessPerson, string(nip), "", true
	}
	return lrs.AccessExport, "", "", true
}

// checkStrict refuses, for a strict credential, a request with a statement
// meant as a learning claim that would not count (bangkom.DiagnoseClaim),
// naming the problem and the profile rule; nothing is stored. A claim of a
// NIP not (yet) in the registry is accepted: the statement is right, and
// it counts once the person is registered.
func (s *Server) checkStrict(cred lrs.Credential, stmts []lrs.Statement) error {
	if !cred.Strict || s.cfg.JP == nil {
		return nil
	}
	rules, home := s.cfg.JP.Rules(), s.cfg.JP.HomePage()
	w := bangkom.Writer{Key: cred.Key, Roles: cred.Roles}
	var p fastjson.Parser
	for i, st := range stmts {
		if !bytes.Contains(st.JSON, []byte("adlnet.gov/expapi/verbs/")) {
			continue // no learning verb: not meant as a claim
		}
		v, err := p.ParseBytes(st.JSON)
		if err != nil {
			return lrs.Internal("parse prepared statement", err)
		}
		_, prob, _ := bangkom.DiagnoseClaim(v, 0, w, home, rules, s.cfg.JP.CatalogueEntry)
		if prob == nil {
			continue
		}
		at := ""
		if len(stmts) > 1 {
			at = "statements[" + strconv.Itoa(i) + "]: "
		}
		return lrs.Errorf(lrs.EINVALID, "%sthe statement would not count as a learning claim (%s): %s (profile rule: %s); credential %q is strict, so nothing was stored",
			at, prob.Code, prob.Reason, prob.Rule, cred.Key)
	}
	return nil
}
