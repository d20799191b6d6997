package lrs

import "slices"

// Principal kinds.
const (
	// PrincipalCredential is a platform (LMS, KMS, app) or service using an
	// HTTP Basic credential.
	PrincipalCredential = "credential"
	// PrincipalPerson is a civil servant signed in as themselves (OpenID
	// Connect), known by their NIP.
	PrincipalPerson = "person"
)

// xAPI scopes a platform credential may hold (xAPI Communication 4.2).
const (
	ScopeStatementsWrite    = "statements/write"
	ScopeStatementsRead     = "statements/read"
	ScopeStatementsReadMine = "statements/read/mine"
	ScopeState              = "state"
	ScopeDefine             = "define"
	ScopeProfile            = "profile"
	ScopeAllRead            = "all/read"
	ScopeAll                = "all"
)

// DefaultScopes are the scopes of a platform credential that names none.
var DefaultScopes = []string{ScopeStatementsWrite, ScopeStatementsReadMine, ScopeState, ScopeProfile}

// Principal is who makes a request, as the authorization policy sees it:
// a platform credential with xAPI scopes and ASN roles, or a person signed
// in as themselves. Handlers never trust an identity the request body
// asserts; they ask the policy about the Principal.
type Principal struct {
	Kind   string   // PrincipalCredential or PrincipalPerson
	Key    string   // the credential key, or "person:" + NIP
	Name   string   // display name: the institution of a credential, a person's name
	Store  string   // the store (tenant) whose documents it reads and writes
	Scopes []string // xAPI scopes (credentials)
	Roles  []string // ASN roles: admin, analyst, verifier, assessor, provider, auditor
	Units  []string // analyst scope: unit or instansi names; a verifier's own approval queue
	Person string   // NIP of the signed-in person, or of the person a credential acts for
}

// HasRole reports whether p holds role.
func (p Principal) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

// HasScope reports whether p holds scope, directly or through "all"
// (and "all/read" for the read scopes).
func (p Principal) HasScope(scope string) bool {
	if slices.Contains(p.Scopes, ScopeAll) || slices.Contains(p.Scopes, scope) {
		return true
	}
	switch scope {
	case ScopeStatementsRead, ScopeStatementsReadMine:
		return slices.Contains(p.Scopes, ScopeAllRead) ||
			(scope == ScopeStatementsReadMine && slices.Contains(p.Scopes, ScopeStatementsRead))
	}
	return false
}
