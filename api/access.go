package api

import (
	"bytes"
	"context"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// The ASN API's access checks: the handlers look up the facts the policy
// needs (lrs.CanReadPerson, lrs.CanReadUnit, lrs.CanDecide, …) in the JP
// view and ask it.

// maxChain bounds the supervisor chain walked above a person; the registry
// refuses cycles, this guards a view that holds one anyway.
const maxChain = 64

// personScope looks up what the policy needs to know of nip now: its
// registry entry and its supervisor chain.
func (s *Server) personScope(ctx context.Context, nip bangkom.NIP) (lrs.PersonScope, bool, error) {
	t := lrs.PersonScope{NIP: string(nip)}
	p, found, err := s.cfg.JP.Person(ctx, nip, 0)
	if err != nil || !found {
		return t, found, err
	}
	t.Unit, t.ParentUnit, t.Instansi = p.Unit, p.ParentUnit, p.Instansi
	seen := map[bangkom.NIP]bool{nip: true}
	for sup := p.SupervisorNIP; sup != "" && !seen[sup] && len(t.Supervisors) < maxChain; {
		seen[sup] = true
		t.Supervisors = append(t.Supervisors, string(sup))
		sp, ok, err := s.cfg.JP.Person(ctx, sup, 0)
		if err != nil {
			return t, true, err
		}
		if !ok {
			break
		}
		sup = sp.SupervisorNIP
	}
	return t, true, nil
}

// allowPerson answers 403 (policy: person-data) unless the principal may
// read the records of the person in the {nip} path parameter; a malformed
// NIP is 400 first.
func (s *Server) allowPerson(c echo.Context) error {
	raw, err := pathParam(c, "nip")
	if err != nil {
		return err
	}
	nip, err := parseNIPParam(raw)
	if err != nil {
		return err
	}
	p := principal(c)
	if p.HasRole(lrs.RoleAdmin) || p.Person == string(nip) {
		return lrs.CanReadPerson(p, lrs.PersonScope{NIP: string(nip)}, true) // allowed whatever the registry holds: no lookups
	}
	s.waitJP(c.Request().Context()) // the registry as this node's writes left it
	t, found, err := s.personScope(c.Request().Context(), nip)
	if err != nil {
		return lrs.Internal("jp view", err)
	}
	return lrs.CanReadPerson(p, t, found)
}

// allowUnit answers 403 (policy: unit-data) unless the principal may read
// the reports of the unit in the {unit} path parameter.
func (s *Server) allowUnit(c echo.Context) error {
	p := principal(c)
	if p.HasRole(lrs.RoleAdmin) {
		return nil
	}
	unit, err := pathParam(c, "unit")
	if err != nil {
		return err
	}
	var members []lrs.PersonScope
	if p.HasRole(lrs.RoleAnalyst) {
		ctx := c.Request().Context()
		s.waitJP(ctx) // the registry as this node's writes left it
		nips, err := s.unitOrGroup(c, unit)
		if err != nil {
			return lrs.Internal("jp view", err)
		}
		for _, nip := range nips {
			person, found, err := s.cfg.JP.Person(ctx, nip, 0)
			if err != nil {
				return lrs.Internal("jp view", err)
			}
			if found {
				members = append(members, lrs.PersonScope{NIP: string(nip), Unit: person.Unit, ParentUnit: person.ParentUnit, Instansi: person.Instansi})
			}
		}
	}
	return lrs.CanReadUnit(p, unit, members)
}

// checkDecisions refuses a batch that holds a Bangkom decision or
// assessment its principal may not make (lrs.CanDecide, lrs.CanAssess):
// 403 naming the rule, and nothing of the batch is appended. A decision's
// claim is looked up in the JP view (after it holds this node's writes)
// or among the batch's own statements.
func (s *Server) checkDecisions(c echo.Context, stmts []lrs.Statement) error {
	var p fastjson.Parser
	var batch map[uuid.UUID]bangkom.NIP // the batch's claims, read when a decision needs them
	homePage := bangkom.DefaultHomePage
	if s.cfg.JP != nil {
		homePage = s.cfg.JP.HomePage()
	}
	who := principal(c)
	waited := false
	for i, st := range stmts {
		if !bytes.Contains(st.JSON, []byte(bangkom.IRIBase)) {
			continue
		}
		v, err := p.ParseBytes(st.JSON)
		if err != nil {
			return lrs.Internal("parse prepared statement", err)
		}
		verb := string(v.GetStringBytes("verb", "id"))
		actor, _ := bangkom.ActorNIP(v.Get("actor"), homePage)
		switch verb {
		case bangkom.VerbAssessed, bangkom.VerbRPL:
			err = lrs.CanAssess(who, string(actor))
		case bangkom.VerbApproved, bangkom.VerbRejected:
			if string(v.GetStringBytes("object", "objectType")) != "StatementRef" {
				continue // not a decision on a claim: the JP view passes it over
			}
			d := lrs.DecisionFacts{Actor: string(actor)}
			if s.cfg.JP != nil && !waited {
				// The view must hold this node's writes: the claim, and the
				// registry the supervisor is read from, may be new.
				s.waitJP(c.Request().Context())
				waited = true
			}
			id, perr := uuid.Parse(string(v.GetStringBytes("object", "id")))
			if batch == nil {
				batch = s.batchClaimants(stmts, homePage)
			}
			if nip, ok := batch[id]; ok && perr == nil {
				d.Claimant = string(nip)
			} else if perr == nil && s.cfg.JP != nil {
				nip, found, err := s.cfg.JP.Claimant(c.Request().Context(), id)
				if err != nil {
					return lrs.Internal("jp view", err)
				}
				if found {
					d.Claimant = string(nip)
				}
			}
			if d.Claimant != "" && s.cfg.JP != nil {
				person, found, err := s.cfg.JP.Person(c.Request().Context(), bangkom.NIP(d.Claimant), 0)
				if err != nil {
					return lrs.Internal("jp view", err)
				}
				if found {
					d.Supervisor = string(person.SupervisorNIP)
				}
			}
			err = lrs.CanDecide(who, d)
		default:
			continue
		}
		if err != nil {
			if len(stmts) > 1 {
				return lrs.Errorf(lrs.EFORBIDDEN, "statements[%d]: %s", i, lrs.ErrorMessage(err))
			}
			return err
		}
	}
	return nil
}

// batchClaimants maps the ids of a batch's learning claims (a learning verb,
// an ASN account actor) to their claimant's NIP, for decisions in the same
// batch.
func (s *Server) batchClaimants(stmts []lrs.Statement, homePage string) map[uuid.UUID]bangkom.NIP {
	out := map[uuid.UUID]bangkom.NIP{}
	var p fastjson.Parser
	for _, st := range stmts {
		v, err := p.ParseBytes(st.JSON)
		if err != nil {
			continue
		}
		if !bangkom.IsLearningVerb(string(v.GetStringBytes("verb", "id"))) {
			continue
		}
		if nip, ok := bangkom.ActorNIP(v.Get("actor"), homePage); ok {
			out[st.ID] = nip
		}
	}
	return out
}

// waitJP lets the JP view catch up with this node's writes (bounded by
// ReadWait), so a decision just after its claim finds it.
func (s *Server) waitJP(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ReadWait)
	defer cancel()
	_ = s.cfg.JP.WaitApplied(ctx, s.cfg.Writer.LastSeq())
}
