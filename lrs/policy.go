package lrs

import "slices"

// ASN API and Bangkom decisions
//
// Who may read personal data through /api/v1 and who may decide or assess
// a person's learning. The functions are pure: the caller looks up the
// facts (a person's registry entry and supervisor chain, a claim's
// claimant) and asks. Access is decided by role, scope and person, never
// by store: the ASN views are national. Each refusal is EFORBIDDEN naming
// its rule as "(policy: name)".

// Policy rule names of the ASN API and Bangkom decisions.
const (
	PolicyPersonData  = "person-data"  // GET /api/v1/people/{nip}/…
	PolicyUnitData    = "unit-data"    // GET /api/v1/units/{unit}/…
	PolicyApprovals   = "approvals"    // GET /api/v1/approvals?supervisor=
	PolicySIASNExport = "siasn-export" // GET /api/v1/siasn
	PolicyDecide      = "decide"       // statements with …/verbs/approved, …/verbs/rejected
	PolicyAssess      = "assess"       // statements with …/verbs/assessed, …/verbs/recognized-prior-learning
)

// PersonScope is what the policy needs to know of a registered person
// whose records are asked for.
type PersonScope struct {
	NIP         string
	Unit        string
	ParentUnit  string
	Instansi    string
	Supervisors []string // the supervisor chain above the person, nearest first
}

// inAnalystScope reports whether p is an analyst whose Units hold the
// person's unit, parent unit or instansi.
func inAnalystScope(p Principal, t PersonScope) bool {
	if !p.HasRole(RoleAnalyst) {
		return false
	}
	for _, u := range p.Units {
		if u != "" && (u == t.Unit || u == t.ParentUnit || u == t.Instansi) {
			return true
		}
	}
	return false
}

// CanReadPerson decides a read of a person's records (JP, competencies,
// SIASN rows): the person themselves, anyone in their supervisor chain, an
// analyst whose scope holds the person's unit, parent unit or instansi, or
// an admin. found is false when the NIP is not in the registry: then only
// the person themselves and admins may learn that (404); anyone else is
// refused as for a person outside their scope.
func CanReadPerson(p Principal, t PersonScope, found bool) error {
	switch {
	case p.HasRole(RoleAdmin):
		return nil
	case p.Person != "" && p.Person == t.NIP:
		return nil
	case !found:
	case p.Person != "" && slices.Contains(t.Supervisors, p.Person):
		return nil
	case inAnalystScope(p, t):
		return nil
	}
	return Errorf(EFORBIDDEN, "only the person, their supervisors, an analyst of their unit or instansi, or an admin may read a person's records (policy: %s)", PolicyPersonData)
}

// CanReadUnit decides a read of a unit's reports: an admin, or an analyst
// whose scope holds the unit or holds every member of it (by unit, parent
// unit or instansi), so a unit report shows no one the analyst could not
// read one by one.
func CanReadUnit(p Principal, unit string, members []PersonScope) error {
	if p.HasRole(RoleAdmin) {
		return nil
	}
	if p.HasRole(RoleAnalyst) {
		if slices.Contains(p.Units, unit) && unit != "" {
			return nil
		}
		all := len(members) > 0
		for _, m := range members {
			if !inAnalystScope(p, m) {
				all = false
				break
			}
		}
		if all {
			return nil
		}
	}
	return Errorf(EFORBIDDEN, "only an analyst of the unit or its instansi, or an admin, may read a unit's reports (policy: %s)", PolicyUnitData)
}

// CanReadApprovals decides a read of a supervisor's queue of claims to
// decide: the supervisor themselves, a verifier or an admin.
func CanReadApprovals(p Principal, supervisor string) error {
	if p.HasRole(RoleAdmin) || p.HasRole(RoleVerifier) || (p.Person != "" && p.Person == supervisor) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the supervisor themselves, a verifier or an admin may read a supervisor's approvals (policy: %s)", PolicyApprovals)
}

// CanExportSIASN decides the SIASN export of everyone's recognised
// learning: an admin or a verifier.
func CanExportSIASN(p Principal) error {
	if p.HasRole(RoleAdmin) || p.HasRole(RoleVerifier) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only an admin or a verifier may export SIASN rows (policy: %s)", PolicySIASNExport)
}

// DecisionFacts is what the policy needs to know of a decision statement
// (approved or rejected, a StatementRef to a claim).
type DecisionFacts struct {
	Actor      string // NIP of the statement's actor, "" if not an ASN account
	Claimant   string // NIP of the claim's claimant, "" if the claim is not known
	Supervisor string // the claimant's registered supervisor now, "" if none
}

// CanDecide decides a decision on a claim. A claimant never decides their
// own claim. A principal acting as a person (signed in, or a credential
// bound to a person) writes decisions only as that person: the actor must
// be their NIP. The decision counts, and so is taken, when it is made by
// the claimant's registered supervisor acting as themselves, or by a
// verifier; a claim the registry does not know (yet) only a verifier may
// decide.
func CanDecide(p Principal, d DecisionFacts) error {
	forbid := func(why string) error {
		return Errorf(EFORBIDDEN, "%s (policy: %s)", why, PolicyDecide)
	}
	if p.Person != "" && d.Actor != p.Person {
		return forbid("a decision's actor must be the person the principal acts as (" + p.Person + ")")
	}
	if d.Claimant != "" && (d.Actor == d.Claimant || p.Person == d.Claimant) {
		return forbid("a claimant may not decide their own claim")
	}
	if p.HasRole(RoleVerifier) {
		return nil
	}
	switch {
	case d.Claimant == "":
		return forbid("the claim is not a registered person's learning claim known here; only a verifier may decide it")
	case p.Person == "":
		return forbid("only the claimant's registered supervisor acting as themselves (signed in, or a credential bound to them) or a verifier may decide a claim")
	case d.Supervisor == "" || p.Person != d.Supervisor:
		return forbid("only the claimant's registered supervisor acting as themselves or a verifier may decide a claim; " + p.Person + " is not the claimant's registered supervisor")
	}
	return nil
}

// CanAssess decides an assessment or a recognition of prior learning of
// the person subject (its actor's NIP): an assessor credential or a person
// holding the assessor role, never about themselves.
func CanAssess(p Principal, subject string) error {
	if !p.HasRole(RoleAssessor) {
		return Errorf(EFORBIDDEN, "only an assessor may record assessments and recognition of prior learning (policy: %s)", PolicyAssess)
	}
	if p.Person != "" && p.Person == subject {
		return Errorf(EFORBIDDEN, "an assessor may not assess themselves (policy: %s)", PolicyAssess)
	}
	return nil
}

// MayReadAccessLog decides GET /api/v1/access and `jejak audit access`:
// auditors and admins only.
func MayReadAccessLog(p Principal) error {
	if p.HasRole(RoleAuditor) || p.HasRole(RoleAdmin) {
		return nil
	}
	return Errorf(EFORBIDDEN, "forbidden: only an auditor or an admin may read the access log (policy: access-log)")
}
