package lrs_test

import (
	"strings"
	"testing"

	"github.com/jejak-id/jejak/lrs"
)

// Principals of the ASN policy tests.
var (
	pAdmin    = lrs.Principal{Kind: lrs.PrincipalCredential, Key: "adm", Roles: []string{lrs.RoleAdmin}}
	pVerifier = lrs.Principal{Kind: lrs.PrincipalCredential, Key: "kepeg", Roles: []string{lrs.RoleVerifier}}
	pAssessor = lrs.Principal{Kind: lrs.PrincipalCredential, Key: "ac", Roles: []string{lrs.RoleAssessor}}
	pLMS      = lrs.Principal{Kind: lrs.PrincipalCredential, Key: "lms", Scopes: lrs.DefaultScopes}
	pProvider = lrs.Principal{Kind: lrs.PrincipalCredential, Key: "pusdiklat", Roles: []string{lrs.RoleProvider}}
	pAuditor  = lrs.Principal{Kind: lrs.PrincipalCredential, Key: "bpk", Roles: []string{lrs.RoleAuditor}}
	pSiti     = lrs.Principal{Kind: lrs.PrincipalPerson, Key: "person:" + siti, Person: siti}
	pBudi     = lrs.Principal{Kind: lrs.PrincipalPerson, Key: "person:" + budi, Person: budi}
	pAni      = lrs.Principal{Kind: lrs.PrincipalPerson, Key: "person:" + ani, Person: ani}
	pBudiApp  = lrs.Principal{Kind: lrs.PrincipalCredential, Key: "budi-app", Person: budi}
	pAnalystA = lrs.Principal{Kind: lrs.PrincipalCredential, Key: "an-a", Roles: []string{lrs.RoleAnalyst}, Units: []string{"U-A"}}
	pAnalystX = lrs.Principal{Kind: lrs.PrincipalPerson, Key: "person:x", Person: dewi, Roles: []string{lrs.RoleAnalyst}, Units: []string{"INST-X"}}
	pAnalystD = lrs.Principal{Kind: lrs.PrincipalCredential, Key: "an-d", Roles: []string{lrs.RoleAnalyst}, Units: []string{"DIR-1"}}
	pNoScope  = lrs.Principal{Kind: lrs.PrincipalCredential, Key: "an-0", Roles: []string{lrs.RoleAnalyst}}
	pUnitsNoR = lrs.Principal{Kind: lrs.PrincipalCredential, Key: "units-no-role", Units: []string{"U-A", "INST-X"}}
	pVerBudi  = lrs.Principal{Kind: lrs.PrincipalCredential, Key: "kepeg-budi", Person: budi, Roles: []string{lrs.RoleVerifier}}
	pAssSiti  = lrs.Principal{Kind: lrs.PrincipalPerson, Key: "person:" + siti, Person: siti, Roles: []string{lrs.RoleAssessor}}
)

const (
	siti = "199001012015011001"
	budi = "197805152003121002"
	ani  = "198203042006041003"
	dewi = "198811112012122004"
)

// sitiScope: Siti in U-A (under DIR-1) of INST-X, supervised by Budi,
// supervised by Ani.
var sitiScope = lrs.PersonScope{NIP: siti, Unit: "U-A", ParentUnit: "DIR-1", Instansi: "INST-X", Supervisors: []string{budi, ani}}

// checkPolicy fails unless err is nil when allowed, else EFORBIDDEN naming
// rule.
func checkPolicy(t *testing.T, err error, allowed bool, rule string) {
	t.Helper()
	switch {
	case allowed && err != nil:
		t.Fatalf("refused: %v", err)
	case !allowed && err == nil:
		t.Fatal("allowed, want refused")
	case !allowed && (lrs.ErrorCode(err) != lrs.EFORBIDDEN || !strings.Contains(lrs.ErrorMessage(err), "(policy: "+rule+")")):
		t.Fatalf("refused with %v, want forbidden naming policy %s", err, rule)
	}
}

func TestPolicy_ReadPerson(t *testing.T) {
	for _, tc := range []struct {
		name    string
		p       lrs.Principal
		t       lrs.PersonScope
		found   bool
		allowed bool
	}{
		{"the person themselves", pSiti, sitiScope, true, true},
		{"their supervisor", pBudi, sitiScope, true, true},
		{"their supervisor's supervisor", pAni, sitiScope, true, true},
		{"a credential bound to their supervisor", pBudiApp, sitiScope, true, true},
		{"an analyst of their unit", pAnalystA, sitiScope, true, true},
		{"an analyst of their instansi", pAnalystX, sitiScope, true, true},
		{"an analyst of their parent unit", pAnalystD, sitiScope, true, true},
		{"an admin", pAdmin, sitiScope, true, true},
		{"an admin, someone not registered", pAdmin, lrs.PersonScope{NIP: dewi}, false, true},
		{"oneself, not registered", pSiti, lrs.PersonScope{NIP: siti}, false, true},
		{"a plain credential", pLMS, sitiScope, true, false},
		{"a plain credential, someone not registered", pLMS, lrs.PersonScope{NIP: dewi}, false, false},
		{"a provider", pProvider, sitiScope, true, false},
		{"a verifier", pVerifier, sitiScope, true, false},
		{"an assessor", pAssessor, sitiScope, true, false},
		{"an auditor", pAuditor, sitiScope, true, false},
		{"someone they supervise", pSiti, lrs.PersonScope{NIP: budi, Unit: "U-A", Instansi: "INST-X", Supervisors: []string{ani}}, true, false},
		{"an analyst of another unit", pAnalystA, lrs.PersonScope{NIP: ani, Unit: "U-B", Instansi: "INST-X"}, true, false},
		{"an analyst of another instansi", pAnalystX, lrs.PersonScope{NIP: budi, Unit: "U-C", Instansi: "INST-Y"}, true, false},
		{"an analyst without units", pNoScope, sitiScope, true, false},
		{"units without the analyst role", pUnitsNoR, sitiScope, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkPolicy(t, lrs.CanReadPerson(tc.p, tc.t, tc.found), tc.allowed, lrs.PolicyPersonData)
		})
	}
}

func TestPolicy_ReadUnit(t *testing.T) {
	ua := []lrs.PersonScope{sitiScope, {NIP: budi, Unit: "U-A", ParentUnit: "DIR-1", Instansi: "INST-X"}}
	mixed := []lrs.PersonScope{sitiScope, {NIP: dewi, Unit: "U-A", Instansi: "INST-Y"}}
	for _, tc := range []struct {
		name    string
		p       lrs.Principal
		unit    string
		members []lrs.PersonScope
		allowed bool
	}{
		{"an admin", pAdmin, "U-A", ua, true},
		{"an analyst of the unit", pAnalystA, "U-A", ua, true},
		{"an analyst of its instansi", pAnalystX, "U-A", ua, true},
		{"an analyst of its parent unit", pAnalystD, "U-A", ua, true},
		{"an analyst of the unit, no one in it yet", pAnalystA, "U-A", nil, true},
		{"an analyst of another unit", pAnalystA, "U-B", []lrs.PersonScope{{NIP: ani, Unit: "U-B", Instansi: "INST-X"}}, false},
		{"an analyst of an instansi, a unit with someone of another", pAnalystX, "U-A", mixed, false},
		{"an analyst of an instansi, an empty unit", pAnalystX, "U-Z", nil, false},
		{"a plain credential", pLMS, "U-A", ua, false},
		{"a verifier", pVerifier, "U-A", ua, false},
		{"the unit's supervisor as a person", pBudi, "U-A", ua, false},
		{"units without the analyst role", pUnitsNoR, "U-A", ua, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkPolicy(t, lrs.CanReadUnit(tc.p, tc.unit, tc.members), tc.allowed, lrs.PolicyUnitData)
		})
	}
}

func TestPolicy_ReadApprovalsAndSIASN(t *testing.T) {
	for _, tc := range []struct {
		name    string
		p       lrs.Principal
		allowed bool
	}{
		{"the supervisor", pBudi, true},
		{"a credential bound to the supervisor", pBudiApp, true},
		{"a verifier", pVerifier, true},
		{"an admin", pAdmin, true},
		{"the supervisor's supervisor", pAni, false},
		{"a plain credential", pLMS, false},
		{"an analyst", pAnalystA, false},
		{"someone they supervise", pSiti, false},
	} {
		t.Run("approvals: "+tc.name, func(t *testing.T) {
			checkPolicy(t, lrs.CanReadApprovals(tc.p, budi), tc.allowed, lrs.PolicyApprovals)
		})
	}
	for _, tc := range []struct {
		name    string
		p       lrs.Principal
		allowed bool
	}{
		{"an admin", pAdmin, true},
		{"a verifier", pVerifier, true},
		{"a plain credential", pLMS, false},
		{"an analyst", pAnalystX, false},
		{"an auditor", pAuditor, false},
		{"a provider", pProvider, false},
		{"a person", pSiti, false},
	} {
		t.Run("siasn: "+tc.name, func(t *testing.T) {
			checkPolicy(t, lrs.CanExportSIASN(tc.p), tc.allowed, lrs.PolicySIASNExport)
		})
	}
}

func TestPolicy_Decide(t *testing.T) {
	onSiti := lrs.DecisionFacts{Claimant: siti, Supervisor: budi}
	as := func(actor string, d lrs.DecisionFacts) lrs.DecisionFacts { d.Actor = actor; return d }
	for _, tc := range []struct {
		name    string
		p       lrs.Principal
		d       lrs.DecisionFacts
		allowed bool
		reason  string
	}{
		{"the supervisor signed in", pBudi, as(budi, onSiti), true, ""},
		{"a credential bound to the supervisor", pBudiApp, as(budi, onSiti), true, ""},
		{"a verifier, any actor", pVerifier, as(ani, onSiti), true, ""},
		{"a verifier, an actor that is no ASN account", pVerifier, as("", onSiti), true, ""},
		{"a verifier, a claim not known yet", pVerifier, as(ani, lrs.DecisionFacts{}), true, ""},
		{"a verifier bound to a person, as them", pVerBudi, as(budi, onSiti), true, ""},
		{"a plain credential as the supervisor", pLMS, as(budi, onSiti), false, "registered supervisor acting as themselves"},
		{"a provider as the supervisor", pProvider, as(budi, onSiti), false, "registered supervisor"},
		{"an admin as the supervisor", pAdmin, as(budi, onSiti), false, "registered supervisor"},
		{"the supervisor's supervisor", pAni, as(ani, onSiti), false, "is not the claimant's registered supervisor"},
		{"the supervisor writing as someone else", pBudi, as(ani, onSiti), false, "actor must be the person"},
		{"the supervisor with no ASN actor", pBudiApp, as("", onSiti), false, "actor must be the person"},
		{"the claimant signed in", pSiti, as(siti, onSiti), false, "may not decide their own claim"},
		{"a plain credential as the claimant", pLMS, as(siti, onSiti), false, "may not decide their own claim"},
		{"a verifier as the claimant", pVerifier, as(siti, onSiti), false, "may not decide their own claim"},
		{"a verifier bound to the claimant", lrs.Principal{Key: "v", Person: siti, Roles: []string{lrs.RoleVerifier}}, as(siti, onSiti), false, "may not decide their own claim"},
		{"the supervisor, a claim not known", pBudi, as(budi, lrs.DecisionFacts{}), false, "only a verifier may decide it"},
		{"a person, a claimant with no supervisor", pBudi, as(budi, lrs.DecisionFacts{Claimant: siti}), false, "not the claimant's registered supervisor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := lrs.CanDecide(tc.p, tc.d)
			checkPolicy(t, err, tc.allowed, lrs.PolicyDecide)
			if err != nil && !strings.Contains(lrs.ErrorMessage(err), tc.reason) {
				t.Fatalf("refused with %q, want the reason %q", lrs.ErrorMessage(err), tc.reason)
			}
		})
	}
}

func TestPolicy_Assess(t *testing.T) {
	for _, tc := range []struct {
		name    string
		p       lrs.Principal
		subject string
		allowed bool
	}{
		{"an assessor credential", pAssessor, siti, true},
		{"a person holding the assessor role, someone else", pAssSiti, budi, true},
		{"a person holding the assessor role, themselves", pAssSiti, siti, false},
		{"a plain credential", pLMS, siti, false},
		{"a verifier", pVerifier, siti, false},
		{"an admin", pAdmin, siti, false},
		{"the person's supervisor", pBudi, siti, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkPolicy(t, lrs.CanAssess(tc.p, tc.subject), tc.allowed, lrs.PolicyAssess)
		})
	}
}

// A credential's Principal carries its person, units and name, with the
// default scopes and store when it names none.
func TestCredential_PrincipalPersonAndUnits(t *testing.T) {
	c := lrs.Credential{Key: "budi-app", Name: "Aplikasi Kinerja", Person: budi, Units: []string{"U-A"}, Roles: []string{lrs.RoleAnalyst}}
	p := c.Principal()
	if p.Kind != lrs.PrincipalCredential || p.Key != "budi-app" || p.Person != budi || p.Name != "Aplikasi Kinerja" ||
		len(p.Units) != 1 || p.Units[0] != "U-A" || !p.HasRole(lrs.RoleAnalyst) || p.Store != lrs.DefaultStore ||
		!p.HasScope(lrs.ScopeStatementsWrite) || p.HasScope(lrs.ScopeStatementsRead) {
		t.Fatalf("principal %+v", p)
	}
	if _, err := lrs.ParseCredentialFlag("a:s:analyst+auditor"); err != nil {
		t.Fatalf("analyst and auditor roles: %v", err)
	}
}

// Lists: admins list every person and unit, analysts those of their
// scope (unit and instansi names in any case), anyone else is refused;
// the catalogue is read by admins, analysts, verifiers and providers.
func TestPolicy_Lists(t *testing.T) {
	for _, tc := range []struct {
		name    string
		p       lrs.Principal
		allowed bool
	}{
		{"an admin", pAdmin, true},
		{"an analyst", pAnalystA, true},
		{"an analyst without units", pNoScope, true},
		{"a verifier", pVerifier, false},
		{"a plain credential", pLMS, false},
		{"a person", pSiti, false},
		{"units without the analyst role", pUnitsNoR, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkPolicy(t, lrs.CanListPeople(tc.p), tc.allowed, lrs.PolicyPeopleList)
			checkPolicy(t, lrs.CanListUnits(tc.p), tc.allowed, lrs.PolicyUnitList)
		})
	}
	lower := lrs.PersonScope{NIP: siti, Unit: "u-a", ParentUnit: "dir-1", Instansi: "inst-x"}
	for _, tc := range []struct {
		name string
		p    lrs.Principal
		t    lrs.PersonScope
		want bool
	}{
		{"an admin", pAdmin, lrs.PersonScope{NIP: dewi, Unit: "U-C"}, true},
		{"an analyst of the unit", pAnalystA, sitiScope, true},
		{"an analyst of the unit, in lower case", pAnalystA, lower, true},
		{"an analyst of the instansi, in lower case", pAnalystX, lower, true},
		{"an analyst of the parent unit, in lower case", pAnalystD, lower, true},
		{"an analyst of another unit", pAnalystA, lrs.PersonScope{NIP: dewi, Unit: "U-C", Instansi: "INST-Y"}, false},
		{"an analyst without units", pNoScope, sitiScope, false},
		{"a verifier", pVerifier, sitiScope, false},
	} {
		t.Run("list "+tc.name, func(t *testing.T) {
			if got := lrs.MayListPerson(tc.p, tc.t); got != tc.want {
				t.Fatalf("MayListPerson = %v, want %v", got, tc.want)
			}
		})
	}
	checkPolicy(t, lrs.CanReadUnit(pAnalystA, "u-a", nil), true, lrs.PolicyUnitData)
	checkPolicy(t, lrs.CanReadUnit(pAnalystA, "u-b", nil), false, lrs.PolicyUnitData)
	for _, p := range []lrs.Principal{pAdmin, pAnalystA, pVerifier, pProvider} {
		checkPolicy(t, lrs.CanReadCatalogue(p), true, lrs.PolicyCatalogue)
	}
	for _, p := range []lrs.Principal{pLMS, pSiti, pAuditor, pAssessor} {
		checkPolicy(t, lrs.CanReadCatalogue(p), false, lrs.PolicyCatalogue)
	}
}

// A verifier's own queue holds the claims it may decide: everyone's but
// its own person's, narrowed to its units when it has any; a unit's queue
// is read by an admin, a verifier of the unit and an analyst of the unit.
func TestPolicy_VerifierAndUnitQueues(t *testing.T) {
	pVerC := lrs.Principal{Kind: lrs.PrincipalCredential, Key: "kepeg-c", Roles: []string{lrs.RoleVerifier}, Units: []string{"U-C"}}
	pVerX := lrs.Principal{Kind: lrs.PrincipalCredential, Key: "kepeg-x", Roles: []string{lrs.RoleVerifier}, Units: []string{"INST-X"}}
	budiScope := lrs.PersonScope{NIP: budi, Unit: "U-A", ParentUnit: "DIR-1", Instansi: "INST-X"}
	for _, tc := range []struct {
		name string
		p    lrs.Principal
		t    lrs.PersonScope
		want bool
	}{
		{"a verifier: anyone's claims", pVerifier, sitiScope, true},
		{"a verifier bound to Budi: Siti's claims", pVerBudi, sitiScope, true},
		{"a verifier bound to Budi: not his own", pVerBudi, budiScope, false},
		{"a verifier of U-C: not U-A's", pVerC, sitiScope, false},
		{"a verifier of INST-X: Siti's by instansi", pVerX, sitiScope, true},
		{"an admin has no verifier queue", pAdmin, sitiScope, false},
		{"an analyst has no verifier queue", pAnalystA, sitiScope, false},
	} {
		t.Run("verifier queue: "+tc.name, func(t *testing.T) {
			if got := lrs.InVerifierQueue(tc.p, tc.t); got != tc.want {
				t.Fatalf("InVerifierQueue = %v, want %v", got, tc.want)
			}
		})
	}
	members := []lrs.PersonScope{sitiScope, budiScope}
	for _, tc := range []struct {
		name    string
		p       lrs.Principal
		allowed bool
	}{
		{"an admin", pAdmin, true},
		{"a verifier without units", pVerifier, true},
		{"a verifier of the instansi of every member", pVerX, true},
		{"an analyst of the unit", pAnalystA, true},
		{"an analyst of the parent unit", pAnalystD, true},
		{"a verifier of another unit", pVerC, false},
		{"an analyst without units", pNoScope, false},
		{"a plain credential", pLMS, false},
		{"units without a role", pUnitsNoR, false},
		{"the members' supervisor", pBudi, false},
	} {
		t.Run("unit queue: "+tc.name, func(t *testing.T) {
			checkPolicy(t, lrs.CanReadUnitApprovals(tc.p, "U-A", members), tc.allowed, lrs.PolicyApprovals)
		})
	}
}
