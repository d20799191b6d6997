package lrs_test

import (
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
)

func cred(key string, scopes ...string) lrs.Principal {
	return lrs.Credential{Key: key, Scopes: scopes}.Principal()
}

// refusedScopes returns a scope list that holds none of want (directly or
// through all, all/read or statements/read).
func refusedScopes(want []string) []string {
	for _, s := range []string{lrs.ScopeState, lrs.ScopeDefine, lrs.ScopeProfile, lrs.ScopeStatementsWrite} {
		if !slices.Contains(want, s) {
			return []string{s}
		}
	}
	panic("no refused scope")
}

// TestPolicy_EveryRow checks each row of the table, allowed and refused,
// for every method it names: a credential with one of its scopes and an
// admin are allowed; a credential with another scope and a person are
// refused with the row's rule named.
func TestPolicy_EveryRow(t *testing.T) {
	for _, row := range lrs.Policy {
		for _, m := range row.Methods {
			t.Run(m+" "+row.Route, func(t *testing.T) {
				if row.Rule == "" || row.Who == "" {
					t.Fatalf("row without rule or who: %+v", row)
				}
				if len(row.Scopes) == 0 {
					// the ASN API's rows are decided in their handlers by the
					// Can* rules (tested in policy_asn_test.go and api)
					if row.Rule != lrs.RulePublic && !strings.HasPrefix(row.Route, "/api/v1/") && row.Rule != lrs.RuleSignIn {
						t.Fatalf("row %s has no scopes but is neither public nor ASN", row.Rule)
					}
					if err := lrs.Authorize(lrs.Principal{}, m, row.Route); err != nil {
						t.Fatalf("%s: %v", row.Rule, err)
					}
					return
				}
				for _, s := range row.Scopes {
					if err := lrs.Authorize(cred("p", s), m, row.Route); err != nil {
						t.Errorf("scope %s refused: %v", s, err)
					}
				}
				if err := lrs.Authorize(cred("p", lrs.ScopeAll), m, row.Route); err != nil {
					t.Errorf("scope all refused: %v", err)
				}
				admin := lrs.Credential{Key: "adm", Roles: []string{lrs.RoleAdmin}, Scopes: []string{lrs.ScopeState}}.Principal()
				if err := lrs.Authorize(admin, m, row.Route); err != nil {
					t.Errorf("admin refused: %v", err)
				}
				for _, p := range []lrs.Principal{
					cred("p", refusedScopes(row.Scopes)...),
					{Kind: lrs.PrincipalPerson, Key: "person:1", Person: "1"},
				} {
					err := lrs.Authorize(p, m, row.Route)
					if lrs.ErrorCode(err) != lrs.EFORBIDDEN || !strings.Contains(lrs.ErrorMessage(err), "(policy: "+row.Rule+")") {
						t.Errorf("%+v: got %v, want 403 naming policy %s", p, err, row.Rule)
					}
				}
			})
		}
	}
}

func TestPolicy_HeadIsGetAndUnknownRouteRefused(t *testing.T) {
	if err := lrs.Authorize(cred("p", lrs.ScopeStatementsReadMine), http.MethodHead, "/xapi/statements"); err != nil {
		t.Fatal(err)
	}
	err := lrs.Authorize(cred("p", lrs.ScopeAll), http.MethodGet, "/xapi/nowhere")
	if lrs.ErrorCode(err) != lrs.EFORBIDDEN {
		t.Fatalf("a route without a row: %v, want 403", err)
	}
	if err := lrs.Authorize(cred("p", lrs.ScopeAll), http.MethodPatch, "/xapi/statements"); lrs.ErrorCode(err) != lrs.EFORBIDDEN {
		t.Fatalf("a method without a row: %v, want 403", err)
	}
}

func TestCredential_Principal(t *testing.T) {
	p := lrs.Credential{Key: "lms", Name: "Pusdiklat", Person: "1990", Units: []string{"u"}, Roles: []string{lrs.RoleProvider}}.Principal()
	if p.Kind != lrs.PrincipalCredential || p.Key != "lms" || p.Name != "Pusdiklat" || p.Person != "1990" ||
		p.Store != lrs.DefaultStore || !slices.Equal(p.Scopes, lrs.DefaultScopes) || !p.HasRole(lrs.RoleProvider) || !slices.Equal(p.Units, []string{"u"}) {
		t.Fatalf("principal %+v", p)
	}
	p.Scopes[0] = "changed"
	if lrs.DefaultScopes[0] == "changed" {
		t.Fatal("Principal shares DefaultScopes")
	}
	p = lrs.Credential{Key: "k", Store: "agency2", Scopes: []string{lrs.ScopeAllRead}}.Principal()
	if p.Store != "agency2" || !slices.Equal(p.Scopes, []string{lrs.ScopeAllRead}) {
		t.Fatalf("principal %+v", p)
	}
}

func TestPolicy_StatementReads(t *testing.T) {
	for _, tc := range []struct {
		p        lrs.Principal
		all, own bool
		other    bool
	}{
		{cred("lms"), false, true, false}, // default scopes: read/mine
		{cred("lms", lrs.ScopeStatementsReadMine), false, true, false},
		{cred("lms", lrs.ScopeStatementsRead), true, true, true},
		{cred("lms", lrs.ScopeAllRead), true, true, true},
		{cred("lms", lrs.ScopeAll), true, true, true},
		{lrs.Credential{Key: "lms", Roles: []string{lrs.RoleAdmin}}.Principal(), true, true, true},
		{lrs.Principal{Kind: lrs.PrincipalPerson, Key: "lms", Scopes: []string{lrs.ScopeStatementsReadMine}}, false, true, false},
		{lrs.Principal{Kind: lrs.PrincipalPerson, Key: "person:1"}, false, false, false},
	} {
		if got := lrs.ReadsAllStatements(tc.p); got != tc.all {
			t.Errorf("%+v: ReadsAllStatements = %v", tc.p, got)
		}
		if got := lrs.MayReadStatement(tc.p, "lms"); got != tc.own {
			t.Errorf("%+v: own statement = %v", tc.p, got)
		}
		if got := lrs.MayReadStatement(tc.p, "lms2"); got != tc.other {
			t.Errorf("%+v: another's statement = %v", tc.p, got)
		}
		if got := lrs.MayReadStatement(tc.p, ""); got != tc.all {
			t.Errorf("%+v: a statement of no credential = %v", tc.p, got)
		}
	}
}

func TestPolicy_Void(t *testing.T) {
	lms, lms2 := lrs.Credential{Key: "lms"}.Authority(), lrs.Credential{Key: "lms2", Scopes: []string{lrs.ScopeAll}}.Authority()
	admin := lrs.Credential{Key: "adm", Roles: []string{lrs.RoleAdmin}}.Authority()
	for _, tc := range []struct {
		name   string
		by     lrs.Authority
		target string
		found  bool
		ok     bool
	}{
		{"writer", lms, lrs.CredentialIFI("lms"), true, true},
		{"another credential", lms2, lrs.CredentialIFI("lms"), true, false},
		{"admin", admin, lrs.CredentialIFI("lms"), true, true},
		{"target of no authority", lms, "", true, false},
		{"target absent", lms2, "", false, true},
	} {
		err := lrs.MayVoid(tc.by, lrs.CredentialIFI(tc.by.Key), tc.target, tc.found)
		if tc.ok && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !tc.ok && (lrs.ErrorCode(err) != lrs.EFORBIDDEN || !strings.Contains(lrs.ErrorMessage(err), "(policy: void)")) {
			t.Errorf("%s: got %v, want 403 naming policy void", tc.name, err)
		}
	}
}

func TestAuthorityKey(t *testing.T) {
	c := lrs.Credential{Key: "lms"}
	st := fastjson.MustParse(`{"authority":` + string(c.Authority().Agent) + `}`)
	if got := lrs.AuthorityKey(st); got != "lms" {
		t.Fatalf("AuthorityKey = %q", got)
	}
	if got := lrs.IFI(st.Get("authority")); got != lrs.CredentialIFI("lms") {
		t.Fatalf("CredentialIFI = %q, the authority's IFI is %q", lrs.CredentialIFI("lms"), got)
	}
	if got := lrs.AuthorityKey(fastjson.MustParse(`{"authority":{"account":{"homePage":"https://elsewhere","name":"lms"}}}`)); got != "" {
		t.Fatalf("foreign authority: %q", got)
	}
}

func TestParseCredentialFlag_ScopesAndStore(t *testing.T) {
	creds, err := lrs.ParseCredentialFlag("a:s1,b:s2:provider+all/read,c:s3::agency2")
	if err != nil {
		t.Fatal(err)
	}
	if p := creds[0].Principal(); !slices.Equal(p.Scopes, lrs.DefaultScopes) || p.Store != lrs.DefaultStore {
		t.Fatalf("a: %+v", p)
	}
	if p := creds[1].Principal(); !slices.Equal(p.Scopes, []string{lrs.ScopeAllRead}) || !p.HasRole(lrs.RoleProvider) {
		t.Fatalf("b: %+v", p)
	}
	if p := creds[2].Principal(); p.Store != "agency2" {
		t.Fatalf("c: %+v", p)
	}
	for _, bad := range []string{"a:s:wizard", "a:s::bad.store", "a:s::jejak*"} {
		if _, err := lrs.ParseCredentialFlag(bad); lrs.ErrorCode(err) != lrs.EINVALID {
			t.Errorf("%q: %v, want invalid", bad, err)
		}
	}
}

// The README's policy table, between the markers, is PolicyMarkdown.
func TestPolicy_READMETable(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- policy table -->\n", "<!-- end policy table -->"
	i := strings.Index(string(readme), begin)
	if i < 0 {
		t.Skip("README.md has no policy table yet")
	}
	rest := string(readme[i+len(begin):])
	j := strings.Index(rest, end)
	if j >= 0 && os.Getenv("JEJAK_UPDATE_README") != "" {
		// JEJAK_UPDATE_README=1 go test ./lrs -run TestPolicy_READMETable rewrites the table.
		out := string(readme[:i+len(begin)]) + lrs.PolicyMarkdown() + rest[j:]
		if err := os.WriteFile("../README.md", []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if j < 0 || rest[:j] != lrs.PolicyMarkdown() {
		t.Fatalf("README.md's policy table is not lrs.PolicyMarkdown(); put this between the markers (or run with JEJAK_UPDATE_README=1):\n%s", lrs.PolicyMarkdown())
	}
}
