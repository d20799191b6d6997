package api

import (
	"cmp"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// A supervisor's side of the approvals: the decisions they made, and the
// evidence of a claim to decide, whose data a person cannot read over
// xAPI (a person reads only their own statements).

// registerDecisions adds GET /api/v1/decisions and
// GET /api/v1/claims/{id}/evidence.
func (s *Server) registerDecisions(g *echo.Group) {
	getHead(g, "/decisions", s.recordAccess(decisionsTarget, s.decisions))
	getHead(g, "/claims/:id/evidence", s.recordAccess(s.evidenceTarget, s.claimEvidence))
}

// decisionsTarget: the decisions of a supervisor (?supervisor=, or the
// person's own), recorded as a read of their approval queue is.
func decisionsTarget(c echo.Context) (string, string, string, bool) {
	q, p := c.QueryParams(), principal(c)
	switch {
	case q.Has("supervisor"):
		nip, err := bangkom.ParseNIP(q.Get("supervisor"))
		return lrs.AccessApprovals, string(nip), "", err == nil
	case p.Person != "":
		return lrs.AccessApprovals, p.Person, "", true
	}
	return "", "", "", false // 400: no decisions of its own
}

// MadeDecision is one entry of GET /api/v1/decisions: a decision a
// supervisor made on a claim of one of their people, with the claim and
// how it stands now.
type MadeDecision struct {
	NIP          bangkom.NIP `json:"nip"`
	Name         string      `json:"name"`
	Unit         string      `json:"unit,omitempty"`
	StatementID  string      `json:"statement_id"` // the claim
	Form         string      `json:"form"`
	Date         string      `json:"date"`
	Year         int         `json:"year"`
	Activity     string      `json:"activity"`
	ActivityName string      `json:"activity_name,omitempty"`
	JPClaimed    float64     `json:"jp_claimed"`
	// Decision is "approved" or "rejected"; Reason the decision's
	// result.response; DecisionID and Seq the decision statement's id and
	// log sequence.
	Decision   string `json:"decision"`
	Reason     string `json:"reason,omitempty"`
	DecisionID string `json:"decision_id"`
	Seq        uint64 `json:"seq"`
	// State and JPRecognized are how the claim stands in its year's
	// report now (a later decision, a voiding or a change of supervisor
	// may have changed what this decision did).
	State        string  `json:"state"`
	JPRecognized float64 `json:"jp_recognized"`
}

// decisions serves GET /api/v1/decisions[?supervisor={nip}][&year=]: the
// decisions (approvals and rejections) a supervisor made as themselves
// on the claims of the people they supervise now, the newest first (one
// batch's by the claims' dates, the latest first). With
// no parameter, a person's own. Policy approvals: the supervisor
// themselves, a verifier or an admin.
func (s *Server) decisions(c echo.Context) error {
	q, p := c.QueryParams(), principal(c)
	if err := checkTableParams(q, "supervisor", "year"); err != nil {
		return err
	}
	var sup bangkom.NIP
	switch {
	case q.Has("supervisor"):
		nip, err := parseNIPParam(q.Get("supervisor"))
		if err != nil {
			return err
		}
		sup = nip
	case p.Person != "":
		sup = bangkom.NIP(p.Person)
	default:
		return lrs.Errorf(lrs.EINVALID, "missing supervisor parameter (a NIP): credential %q acts for no person, so it has no decisions of its own", p.Key)
	}
	if err := lrs.CanReadApprovals(p, string(sup)); err != nil {
		return err
	}
	year := 0
	if q.Has("year") {
		y, err := strconv.Atoi(q.Get("year"))
		if err != nil || y < 1900 || y > 9999 {
			return lrs.Errorf(lrs.EINVALID, "year: %q is not a year", q.Get("year"))
		}
		year = y
	}
	ctx := c.Request().Context()
	s.waitJP(ctx)
	people, err := approvalQueue{kind: "supervisor", name: string(sup), p: p}.people(c, s, 0)
	if err != nil {
		return err
	}
	rules := s.cfg.JP.Rules()
	now := s.asOfTime(c)
	out := []MadeDecision{}
	for _, f := range people {
		loc := f.Person.Location()
		claims := map[string]bangkom.Claim{}
		for _, cl := range f.Claims {
			claims[cl.StatementID] = cl
		}
		reports := map[int]map[string]bangkom.Item{} // by year, by claim
		for claimID, ds := range f.Decisions {
			cl, ok := claims[claimID]
			if !ok {
				continue
			}
			y := cl.Timestamp.In(loc).Year()
			if year != 0 && y != year {
				continue
			}
			for _, d := range ds {
				if d.Approver != sup {
					continue
				}
				items, ok := reports[y]
				if !ok {
					items = map[string]bangkom.Item{}
					for _, it := range bangkom.ComputeQuery(f, rules, bangkom.Query{Year: y, Now: now}).Items {
						items[it.StatementID] = it
					}
					reports[y] = items
				}
				md := MadeDecision{NIP: f.Person.NIP, Name: f.Person.Name, Unit: f.Person.Unit, StatementID: claimID,
					Form: cl.Form, Date: cl.Timestamp.In(loc).Format("2006-01-02"), Year: y, Activity: cl.Activity,
					ActivityName: cl.ActivityName, Decision: "rejected", Reason: d.Reason, DecisionID: d.StatementID, Seq: d.Seq}
				if d.Approve {
					md.Decision = "approved"
				}
				if it, ok := items[claimID]; ok {
					md.Date, md.Form, md.JPClaimed, md.State, md.JPRecognized = it.Date, it.Form, it.JPClaimed, it.State, it.JPRecognized
				} else {
					md.State = "voided"
					if _, voided := f.Voided[claimID]; !voided {
						md.State = "not_counted"
					}
				}
				out = append(out, md)
			}
		}
	}
	// The newest first; decisions of one batch by the claims' dates, the
	// latest first.
	slices.SortFunc(out, func(a, b MadeDecision) int {
		return cmp.Or(cmp.Compare(b.Seq, a.Seq), strings.Compare(b.Date, a.Date), strings.Compare(a.StatementID, b.StatementID))
	})
	if wantsCSV(c) {
		rows := [][]string{{"nip", "name", "statement_id", "form", "date", "jp_claimed", "activity_name", "decision", "reason", "decision_id", "seq", "state", "jp_recognized", "unit", "activity"}}
		for _, d := range out {
			rows = append(rows, []string{string(d.NIP), d.Name, d.StatementID, d.Form, d.Date, num(d.JPClaimed), d.ActivityName, d.Decision, d.Reason,
				d.DecisionID, strconv.FormatUint(d.Seq, 10), d.State, num(d.JPRecognized), d.Unit, d.Activity})
		}
		return writeCSV(c, "decisions-"+string(sup)+".csv", rows)
	}
	body := map[string]any{"supervisor": sup, "decisions": out}
	if year != 0 {
		body["year"] = year
	}
	return c.JSON(http.StatusOK, body)
}

// evidenceTarget: the claimant of the {id} path parameter, when the JP
// view knows the claim.
func (s *Server) evidenceTarget(c echo.Context) (string, string, string, bool) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return "", "", "", false
	}
	cl, err := s.claimant(c, id)
	if err != nil || !cl.found {
		return "", "", "", false
	}
	return lrs.AccessPerson, string(cl.nip), "", true
}

// claimantOf is who made a claim, as the JP view knows it.
type claimantOf struct {
	nip   bangkom.NIP
	found bool
}

// claimant looks the claimant of claim id up in the JP view (after it
// holds this node's writes), once per request: the access log's target
// and the handler share it.
func (s *Server) claimant(c echo.Context, id uuid.UUID) (claimantOf, error) {
	return perRequest(c, "jejak.claimant\x00"+id.String(), func() (claimantOf, error) {
		ctx := c.Request().Context()
		s.waitJP(ctx)
		nip, found, err := s.cfg.JP.Claimant(ctx, id)
		return claimantOf{nip, found}, err
	})
}

// claimEvidence serves GET /api/v1/claims/{id}/evidence[?n=]: the data of
// the claim's n-th attachment (from 0; default the first that is not a
// signature), with its content type, as a download. Policy person-data:
// whoever may read the claimant's records, a verifier or an admin.
func (s *Server) claimEvidence(c echo.Context) error {
	q, p := c.QueryParams(), principal(c)
	if err := checkTableParams(q, "n"); err != nil {
		return err
	}
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return lrs.Errorf(lrs.EINVALID, "claim id %q is not a UUID", c.Param("id"))
	}
	ctx := c.Request().Context()
	cl, err := s.claimant(c, id)
	if err != nil {
		return lrs.Internal("jp view", err)
	}
	t := lrs.PersonScope{}
	if cl.found {
		if t, _, err = s.personScope(ctx, cl.nip); err != nil {
			return lrs.Internal("jp view", err)
		}
	}
	if err := lrs.CanReadEvidence(p, t, cl.found); err != nil {
		return err
	}
	if !cl.found {
		return lrs.Errorf(lrs.ENOTFOUND, "no learning claim %s is known here", id)
	}
	ev, err := s.cfg.JP.Evidence(ctx, id)
	if err != nil {
		return lrs.Internal("jp view", err)
	}
	n := -1
	if q.Has("n") {
		n, err = strconv.Atoi(q.Get("n"))
		if err != nil || n < 0 || n >= len(ev.Attachments) {
			return lrs.Errorf(lrs.EINVALID, "n: %q is not the number of one of the claim's %d attachments (from 0)", q.Get("n"), len(ev.Attachments))
		}
	} else {
		for i, a := range ev.Attachments {
			if a.UsageType != lrs.SignatureUsage {
				n = i
				break
			}
		}
		if n < 0 {
			return lrs.Errorf(lrs.ENOTFOUND, "claim %s has no evidence attached", id)
		}
	}
	a := ev.Attachments[n]
	var body io.ReadCloser
	if s.cfg.Attachments != nil {
		body, err = s.cfg.Attachments.Get(ctx, strings.ToLower(a.SHA2))
	}
	if s.cfg.Attachments == nil || lrs.ErrorCode(err) == lrs.ENOTFOUND {
		if a.FileURL != "" {
			return lrs.Errorf(lrs.ENOTFOUND, "the data of attachment %d of claim %s is not stored here; it is at its fileUrl %s", n, id, a.FileURL)
		}
		return lrs.Errorf(lrs.ENOTFOUND, "the data of attachment %d of claim %s is not stored here", n, id)
	}
	if err != nil {
		return lrs.Internal("attachment store", err)
	}
	defer body.Close()
	ct := a.ContentType
	if _, _, err := mime.ParseMediaType(ct); err != nil || ct == "" {
		ct = "application/octet-stream"
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": evidenceFileName(a, id, n)}))
	h.Set("X-Content-Type-Options", "nosniff")
	if a.Length > 0 {
		h.Set(echo.HeaderContentLength, strconv.FormatInt(a.Length, 10))
	}
	if c.Request().Method == http.MethodHead {
		return c.NoContent(http.StatusOK)
	}
	return c.Stream(http.StatusOK, ct, body)
}

// evidenceFileName names a downloaded attachment: its display name (only
// letters, digits, spaces, '.', '-' and '_' kept), else "bukti-<claim>",
// with the extension of its content type when it has none.
func evidenceFileName(a bangkom.Attachment, claim uuid.UUID, n int) string {
	name := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return -1
	}, a.Display)
	name = strings.Trim(strings.TrimSpace(name), ".")
	if r := []rune(name); len(r) > 100 {
		name = string(r[:100])
	}
	if name == "" {
		name = "bukti-" + claim.String()[:8]
		if n > 0 {
			name += "-" + strconv.Itoa(n)
		}
	}
	if !strings.Contains(name, ".") {
		if exts, _ := mime.ExtensionsByType(a.ContentType); len(exts) > 0 {
			name += exts[0]
		}
	}
	return name
}
