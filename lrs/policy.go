package lrs

import (
	"net/http"
	"slices"
	"strings"

	"github.com/valyala/fastjson"
)

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
	PolicyPersonData  = "person-data"    // GET /api/v1/people/{nip}/…, /api/v1/claims/{id}/evidence
	PolicyUnitData    = "unit-data"      // GET /api/v1/units/{unit}/…
	PolicyApprovals   = "approvals"      // GET /api/v1/approvals[?supervisor=|?unit=], /api/v1/decisions
	PolicyPeopleList  = "people-list"    // GET /api/v1/people
	PolicyUnitList    = "unit-list"      // GET /api/v1/units
	PolicyCatalogue   = "catalogue"      // GET, POST /api/v1/catalogue
	PolicySIASNExport = "siasn-export"   // GET /api/v1/siasn
	PolicyDecide      = "decide"         // statements with …/verbs/approved, …/verbs/rejected
	PolicyAssess      = "assess"         // statements with …/verbs/assessed, …/verbs/recognized-prior-learning
	PolicyProblems    = "claim-problems" // GET /api/v1/claims/problems
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
// person's unit, parent unit or instansi. Unit and instansi names match
// whatever their case, as the JP view finds units.
func inAnalystScope(p Principal, t PersonScope) bool {
	return p.HasRole(RoleAnalyst) && inUnits(p.Units, t)
}

// holdsUnit reports whether units names unit, whatever its case.
func holdsUnit(units []string, unit string) bool {
	return unit != "" && slices.ContainsFunc(units, func(u string) bool { return strings.EqualFold(u, unit) })
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
		if holdsUnit(p.Units, unit) {
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

// CanListPeople decides GET /api/v1/people: an admin lists everyone, an
// analyst the people MayListPerson allows (others are left out, not
// refused); anyone else is refused.
func CanListPeople(p Principal) error {
	if p.HasRole(RoleAdmin) || p.HasRole(RoleAnalyst) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only an analyst (the people of their units) or an admin may list people (policy: %s)", PolicyPeopleList)
}

// MayListPerson reports whether a listing of people by p shows the
// person: an admin sees everyone, an analyst the people whose records
// they may read as an analyst (CanReadPerson).
func MayListPerson(p Principal, t PersonScope) bool {
	return p.HasRole(RoleAdmin) || inAnalystScope(p, t)
}

// CanListUnits decides GET /api/v1/units: an admin lists every unit, an
// analyst the units CanReadUnit lets them read (others are left out);
// anyone else is refused.
func CanListUnits(p Principal) error {
	if p.HasRole(RoleAdmin) || p.HasRole(RoleAnalyst) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only an analyst (the units they may read) or an admin may list units (policy: %s)", PolicyUnitList)
}

// CanReadCatalogue decides GET /api/v1/catalogue: the activity catalogue
// is not personal data; admins, analysts, verifiers and providers (whose
// courses it lists) read it.
func CanReadCatalogue(p Principal) error {
	for _, r := range []string{RoleAdmin, RoleAnalyst, RoleVerifier, RoleProvider} {
		if p.HasRole(r) {
			return nil
		}
	}
	return Errorf(EFORBIDDEN, "only an admin, an analyst, a verifier or a provider may read the activity catalogue (policy: %s)", PolicyCatalogue)
}

// CanReadApprovals decides a read of a supervisor's queue of claims to
// decide: the supervisor themselves, a verifier or an admin.
func CanReadApprovals(p Principal, supervisor string) error {
	if p.HasRole(RoleAdmin) || p.HasRole(RoleVerifier) || (p.Person != "" && p.Person == supervisor) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the supervisor themselves, a verifier or an admin may read a supervisor's approvals (policy: %s)", PolicyApprovals)
}

// CanReadEvidence decides a download of a claim's evidence (its
// attachments' data): whoever may read the claimant's records
// (CanReadPerson), and a verifier, who may decide any claim. found is
// false when the claim is not known: then only admins and verifiers may
// learn that.
func CanReadEvidence(p Principal, t PersonScope, found bool) error {
	if p.HasRole(RoleAdmin) || p.HasRole(RoleVerifier) || (found && CanReadPerson(p, t, true) == nil) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the claimant, their supervisors, an analyst of their unit or instansi, a verifier or an admin may download a claim's evidence (policy: %s)", PolicyPersonData)
}

// InVerifierQueue reports whether the claims of person t belong in the
// queue of verifier p (GET /api/v1/approvals without a supervisor or
// unit): p is a verifier, t is not the person p acts as (a claimant never
// decides their own claim), and p's Units, when it has any, hold t's unit,
// parent unit or instansi. A verifier may decide any other claim
// (CanDecide); its Units only narrow what its own queue lists.
func InVerifierQueue(p Principal, t PersonScope) bool {
	if !p.HasRole(RoleVerifier) || (p.Person != "" && p.Person == t.NIP) {
		return false
	}
	return len(p.Units) == 0 || inUnits(p.Units, t)
}

// CanReadUnitApprovals decides a read of the queue of a unit's pending
// claims: an admin; a verifier without Units, or whose Units hold the unit
// or every member of it; an analyst who may read the unit's reports
// (CanReadUnit).
func CanReadUnitApprovals(p Principal, unit string, members []PersonScope) error {
	if p.HasRole(RoleAdmin) {
		return nil
	}
	if p.HasRole(RoleVerifier) {
		if len(p.Units) == 0 || holdsUnit(p.Units, unit) {
			return nil
		}
		all := len(members) > 0
		for _, m := range members {
			all = all && inUnits(p.Units, m)
		}
		if all {
			return nil
		}
	}
	if p.HasRole(RoleAnalyst) && CanReadUnit(p, unit, members) == nil {
		return nil
	}
	return Errorf(EFORBIDDEN, "only a verifier or an analyst of the unit or its instansi, or an admin, may read a unit's approvals (policy: %s)", PolicyApprovals)
}

// inUnits reports whether units hold the person's unit, parent unit or
// instansi, whatever the case of the names.
func inUnits(units []string, t PersonScope) bool {
	for _, u := range units {
		if u != "" && (strings.EqualFold(u, t.Unit) || strings.EqualFold(u, t.ParentUnit) || strings.EqualFold(u, t.Instansi)) {
			return true
		}
	}
	return false
}

// CanExportSIASN decides the SIASN export of everyone's recognised
// learning: an admin or a verifier.
func CanExportSIASN(p Principal) error {
	if p.HasRole(RoleAdmin) || p.HasRole(RoleVerifier) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only an admin or a verifier may export SIASN rows (policy: %s)", PolicySIASNExport)
}

// CanListProblems decides a listing of claim problems written by the
// credential credential ("" for any): an admin, a verifier, an analyst or a
// principal acting as a person lists those it may see (MaySeeProblem); any
// other credential lists only the problems of the statements it wrote
// (credential = its own key).
func CanListProblems(p Principal, credential string) error {
	if p.HasRole(RoleAdmin) || p.HasRole(RoleVerifier) || p.HasRole(RoleAnalyst) || p.Person != "" {
		return nil
	}
	if p.Kind == PrincipalCredential && credential == p.Key {
		return nil
	}
	return Errorf(EFORBIDDEN, "credential %q may list only the claim problems of the statements it wrote: add credential=%s (policy: %s)", p.Key, p.Key, PolicyProblems)
}

// MaySeeProblem decides whether p sees one claim problem in a listing: an
// admin or a verifier sees every one; a credential those of the statements
// it wrote (writer, a credential key); anyone those of a registered person
// whose records they may read (CanReadPerson; person is nil when the
// account name is not a registered NIP).
func MaySeeProblem(p Principal, writer string, person *PersonScope) bool {
	switch {
	case p.HasRole(RoleAdmin) || p.HasRole(RoleVerifier):
		return true
	case p.Kind == PrincipalCredential && writer != "" && writer == p.Key:
		return true
	case person != nil:
		return CanReadPerson(p, *person, true) == nil
	}
	return false
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

// xAPI routes, statements and documents

// The authorization policy: who may do what, as pure functions over a
// Principal and facts the caller looked up (no I/O here). Policy is its
// table, one row per route and method; package api checks every request
// against its row before the handler runs, and the handlers ask the
// content rules (statement reads, voiding) below. A refusal is an
// EFORBIDDEN error whose message ends with "(policy: <rule>)".
//
// An xAPI scope check passes for a principal holding the scope (see
// Principal.HasScope: "all" holds every scope, "all/read" the read scopes)
// or the admin role. Documents are confined to the principal's store by
// construction: the store is part of every document key (DocumentKey.Store).

// Rule names: the "policy:" of a refusal and the README's table.
const (
	RulePublic          = "public"
	RuleStatementsWrite = "statements-write"
	RuleStatementsRead  = "statements-read"
	RuleVoid            = "void"
	RuleState           = "state"
	RuleActivityProfile = "activity-profile"
	RuleAgentProfile    = "agent-profile"
	RuleActivities      = "activities"
	RuleAgents          = "agents"
	// RuleSignIn is the browser sign-in of people (OpenID Connect).
	RuleSignIn = "sign-in"
)

// CredentialHomePage is the account homePage of the Agent the LRS puts in
// the authority of every statement written with a credential; the
// account name is the credential's key.
const CredentialHomePage = "https://jejak.id/xapi/credentials"

// PolicyRow is one row of the policy table.
type PolicyRow struct {
	Methods []string // HEAD is decided as GET
	Route   string   // the route pattern as registered (echo)
	Rule    string
	Scopes  []string // any one of these xAPI scopes (or the admin role); none: see Rule
	Who     string   // who may, in words (the README's table)
}

var (
	read  = []string{http.MethodGet}
	write = []string{http.MethodPut, http.MethodPost, http.MethodDelete}
	both  = []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete}
)

// Policy is the table of every route the API serves.
var Policy = []PolicyRow{
	{read, "/xapi/about", RulePublic, nil, "anyone, without credentials"},
	{read, "/xapi/profiles/bangkom", RulePublic, nil, "anyone, without credentials"},
	{read, "/readyz", RulePublic, nil, "anyone, without credentials (load balancers)"},
	{read, "/livez", RulePublic, nil, "anyone, without credentials (load balancers)"},
	{[]string{http.MethodPut, http.MethodPost}, "/xapi/statements", RuleStatementsWrite, []string{ScopeStatementsWrite},
		"scope statements/write (or all, or the admin role); a voiding statement only by the credential that wrote its target, or an admin (rule `void`)"},
	{read, "/xapi/statements", RuleStatementsRead, []string{ScopeStatementsRead, ScopeStatementsReadMine},
		"scope statements/read, all/read, all or the admin role: every statement; statements/read/mine (a default scope): only statements whose authority is this credential, on every page (a single GET of another's is 404)"},
	{both, "/xapi/activities/state", RuleState, []string{ScopeState},
		"scope state (or all, or admin); only the documents of the credential's store"},
	{both, "/xapi/activities/profile", RuleActivityProfile, []string{ScopeProfile},
		"scope profile (or all, or admin); only the documents of the credential's store"},
	{both, "/xapi/agents/profile", RuleAgentProfile, []string{ScopeProfile},
		"scope profile (or all, or admin); only the documents of the credential's store"},
	{read, "/xapi/activities", RuleActivities, []string{ScopeDefine, ScopeStatementsRead, ScopeStatementsReadMine},
		"scope define or any statements read scope (or admin): canonical activity definitions are not personal data"},
	{read, "/xapi/agents", RuleAgents, []string{ScopeStatementsRead},
		"scope statements/read, all/read, all or the admin role: the names an agent went by, from every platform's statements, are personal data"},
	{read, "/auth/login", RuleSignIn, nil, "anyone: starts the sign-in at the agency's OpenID Connect provider"},
	{read, "/auth/callback", RuleSignIn, nil, "anyone: the provider's answer, checked against the sign-in it started"},
	{[]string{http.MethodPost}, "/auth/logout", RuleSignIn, nil, "anyone: removes the session cookie"},
	{read, "/auth/me", RuleSignIn, nil, "any authenticated principal: who it is"},
	{read, "/api/v1/credentials", "credentials", nil, "the `admin` role: lists credentials, never a hash"},
	{[]string{http.MethodPost}, "/api/v1/credentials", "credentials", nil, "the `admin` role: creates or rotates a credential (the secret shown once), or updates its fields (`update`: the secret kept)"},
	{[]string{http.MethodDelete}, "/api/v1/credentials/:key", "credentials", nil, "the `admin` role: revokes (never the last admin)"},
	{read, "/api/v1/people", PolicyPeopleList, nil, "an `admin`: everyone; an `analyst`: the people whose unit, parent unit or instansi their units hold (others are left out)"},
	{read, "/api/v1/units", PolicyUnitList, nil, "an `admin`: every unit; an `analyst`: the units they may read by rule `unit-data` (others are left out)"},
	{read, "/api/v1/catalogue", PolicyCatalogue, nil, "`admin`, `analyst`, `verifier`, `provider`: the catalogue is not personal data"},
	{read, "/api/v1/people/:nip/jp", PolicyPersonData, nil, personWho},
	{read, "/api/v1/people/:nip/competencies", PolicyPersonData, nil, personWho},
	{read, "/api/v1/people/:nip/siasn", PolicyPersonData, nil, personWho},
	{read, "/api/v1/units/:unit/jp", PolicyUnitData, nil, unitWho},
	{read, "/api/v1/units/:unit/competencies", PolicyUnitData, nil, unitWho},
	{read, "/api/v1/approvals", PolicyApprovals, nil, "`?supervisor=`: that supervisor themselves, a `verifier`, an `admin`; `?unit=`: a `verifier` (whose units, if any, hold the unit), an `analyst` who may read the unit, an `admin`; neither: a `verifier`'s own queue (the claims it may decide, within its units if it has any), or a person's as supervisor"},
	{read, "/api/v1/decisions", PolicyApprovals, nil, "`?supervisor=`: that supervisor themselves, a `verifier`, an `admin`; no parameter: a person's own decisions as supervisor"},
	{read, "/api/v1/claims/:id/evidence", PolicyPersonData, nil, "whoever may read the claimant's records by rule `person-data`; a `verifier`; an `admin` (an unknown claim is 404 to verifiers and admins, 403 to others)"},
	{read, "/api/v1/siasn", PolicySIASNExport, nil, "`admin`, `verifier`"},
	{read, "/api/v1/forms", "forms", nil, "any authenticated principal (credential or signed-in person): the forms, their JP rules and who approves are not personal data"},
	{read, "/api/v1/claims/problems", PolicyProblems, nil, "`admin`, `verifier`: every problem; an `analyst`, a person or a supervisor: the problems of the registered people whose records they may read (rule `person-data`); any credential: the problems of the statements it wrote (`?credential=` its key)"},
	{read, "/api/v1/access", "access-log", nil, "`auditor`, `admin`"},
	{read, "/api/v1/status", "status", nil, "`auditor`, `admin`: this node, the deciding node, the log's head, each view's position and digest, and through which sequence the views verified the hash chain"},
	{[]string{http.MethodPost}, "/api/v1/people", "registry", nil, "`admin`, `verifier`; `?dry_run=true` checks the import and answers every problem, appending nothing"},
	{read, "/api/v1/positions", "registry", nil, "`admin`, `verifier`, `analyst`: the position standards as last posted"},
	{[]string{http.MethodPost}, "/api/v1/positions", "registry", nil, "`admin`, `verifier`"},
	{[]string{http.MethodPost}, "/api/v1/catalogue", PolicyCatalogue, nil, "`admin`"},
}

// Who may read a person's or a unit's records (see CanReadPerson, CanReadUnit).
const (
	personWho = "the person (signed in, or a credential with `person` = their NIP); anyone in their supervisor chain; an `analyst` whose units hold the person's unit, parent unit or instansi; an `admin` (an unregistered NIP is 404 to admins and the person, 403 to others)"
	unitWho   = "an `analyst` whose units hold the unit, or every person in it (by unit, parent unit or instansi); an `admin`"
)

// PolicyRowFor returns the row of method on route; false if there is none.
func PolicyRowFor(method, route string) (PolicyRow, bool) {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	for _, r := range Policy {
		if r.Route != route {
			continue
		}
		for _, m := range r.Methods {
			if m == method {
				return r, true
			}
		}
	}
	return PolicyRow{}, false
}

// Authorize decides whether p may call method on route (its pattern), by
// the route's row. A route without a row is refused: nothing is served
// that the policy does not name.
func Authorize(p Principal, method, route string) error {
	row, ok := PolicyRowFor(method, route)
	if !ok {
		return Errorf(EFORBIDDEN, "forbidden: %s %s has no row in the authorization policy (policy: none)", method, route)
	}
	return row.Allows(p)
}

// Allows decides whether p may use the row's route.
func (r PolicyRow) Allows(p Principal) error {
	if len(r.Scopes) == 0 {
		return nil // public, sign-in, or decided by the ASN API's rules
	}
	if p.HasRole(RoleAdmin) {
		return nil
	}
	for _, s := range r.Scopes {
		if p.HasScope(s) {
			return nil
		}
	}
	return Errorf(EFORBIDDEN, "forbidden: %s needs one of the scopes %s (policy: %s)", who(p), strings.Join(r.Scopes, ", "), r.Rule)
}

func who(p Principal) string {
	if p.Kind == PrincipalPerson {
		return "person " + p.Person
	}
	return "credential " + p.Key
}

// ReadsAllStatements reports whether p reads every statement; otherwise
// (statements/read/mine) only those whose authority is p's credential.
func ReadsAllStatements(p Principal) bool {
	return p.HasRole(RoleAdmin) || p.HasScope(ScopeStatementsRead)
}

// MayReadStatement reports whether p may read a statement whose authority
// is the credential authorityKey ("" when it is none of this LRS's
// credentials; a signed-in person writes as "person:" + NIP). A refusal reads as "no such statement" (404), so that a
// platform cannot learn which ids others used.
func MayReadStatement(p Principal, authorityKey string) bool {
	return ReadsAllStatements(p) || (authorityKey != "" && authorityKey == p.Key)
}

// MayVoid decides whether by may void a statement whose authority has
// the IFI target: only the writer that stored it (the same authority), or
// an admin. writer is the IFI of by's authority Agent. The appender decides
// it in log order against every earlier event (see Appender). found is
// false when the target is not stored before: voiding it is accepted, as
// xAPI asks (Data 2.3.2: the LRS should not reject a voiding statement
// because its target is absent).
func MayVoid(by Authority, writer, target string, found bool) error {
	if !found || slices.Contains(by.Roles, RoleAdmin) || (target != "" && target == writer) {
		return nil
	}
	return Errorf(EFORBIDDEN, "forbidden: only the credential that wrote a statement or an admin may void it (policy: %s)", RuleVoid)
}

// AuthorityKey returns the key of the credential a stored statement's
// authority names, "" when it names none of this LRS's credentials.
func AuthorityKey(stmt *fastjson.Value) string {
	a := stmt.Get("authority")
	if a == nil || string(a.GetStringBytes("account", "homePage")) != CredentialHomePage {
		return ""
	}
	return string(a.GetStringBytes("account", "name"))
}

// CredentialIFI is the IFI (see IFI) of the authority Agent of the
// credential key: what a statements/read/mine listing is filtered by.
func CredentialIFI(key string) string { return "account\x00" + CredentialHomePage + "\x00" + key }

// MayReadAccessLog decides GET /api/v1/access and `jejak audit access`:
// auditors and admins only.
func MayReadAccessLog(p Principal) error {
	if p.HasRole(RoleAuditor) || p.HasRole(RoleAdmin) {
		return nil
	}
	return Errorf(EFORBIDDEN, "forbidden: only an auditor or an admin may read the access log (policy: access-log)")
}

// MayReadStatus decides GET /api/v1/status (the node, the log's head,
// the views' positions and digests): auditors and admins only.
func MayReadStatus(p Principal) error {
	if p.HasRole(RoleAuditor) || p.HasRole(RoleAdmin) {
		return nil
	}
	return Errorf(EFORBIDDEN, "forbidden: only an auditor or an admin may read the node's status (policy: status)")
}

// PolicyMarkdown returns the policy table as the README gives it.
func PolicyMarkdown() string {
	var b strings.Builder
	b.WriteString("| Route | Methods | Rule | Who may |\n|---|---|---|---|\n")
	for _, r := range Policy {
		methods := strings.Join(r.Methods, ", ")
		if slices.Contains(r.Methods, http.MethodGet) {
			methods = strings.Replace(methods, http.MethodGet, "GET, HEAD", 1)
		}
		b.WriteString("| `" + r.Route + "` | " + methods + " | `" + r.Rule + "` | " + r.Who + " |\n")
	}
	return b.String()
}
