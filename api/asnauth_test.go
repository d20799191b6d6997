package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/lrs/lrstest"
)

const dewiNIP = "198811112012122004"

// asnNode is the API over a real log and views with a credential for each
// kind of principal of the ASN policy: by name, the analyst API (/api/v1)
// and the xAPI (/xapi) as it.
type asnNode struct {
	node  *lrstest.Node
	api   map[string]*env
	xapi  map[string]*env
	creds map[string]lrs.Credential
}

// newASNNode registers Siti (U-A under DIR-1, INST-X; supervisor Budi),
// Budi (U-A, INST-X; supervisor Ani), Ani (U-B, INST-X) and Dewi (U-C,
// INST-Y), with credentials: adm (admin), kepeg (verifier), pusdiklat
// (provider), ac (assessor), lms and lms2 (no role), siti-app, budi-app
// and ani-app (bound to each person), an-a (analyst of U-A), an-x
// (analyst of INST-X), an-d (analyst of DIR-1), ac-siti (an assessor
// bound to Siti), kepeg-c (a verifier of U-C) and kepeg-siti (a verifier
// bound to Siti).
func newASNNode(t *testing.T) *asnNode {
	t.Helper()
	node := lrstest.StartNode(t, lrstest.Log(t, lrstest.NATS(t)))
	n := &asnNode{node: node, api: map[string]*env{}, xapi: map[string]*env{}, creds: map[string]lrs.Credential{}}
	secrets := map[string]string{}
	add := func(key string, edit func(*lrs.Credential), roles ...string) {
		c, s := lrstest.Credential(t, key, roles...)
		c.Scopes = nil // the default scopes of a platform
		if edit != nil {
			edit(&c)
		}
		n.creds[key], secrets[key] = c, s
	}
	person := func(nip string) func(*lrs.Credential) { return func(c *lrs.Credential) { c.Person = nip } }
	units := func(u ...string) func(*lrs.Credential) { return func(c *lrs.Credential) { c.Units = u } }
	add("adm", nil, lrs.RoleAdmin)
	add("kepeg", nil, lrs.RoleVerifier)
	add("kepeg-c", units("U-C"), lrs.RoleVerifier)
	add("kepeg-siti", person(sitiNIP), lrs.RoleVerifier)
	add("pusdiklat", nil, lrs.RoleProvider)
	add("ac", nil, lrs.RoleAssessor)
	add("lms", nil)
	add("lms2", nil)
	add("siti-app", person(sitiNIP))
	add("budi-app", person(budiNIP))
	add("ani-app", person(aniNIP))
	add("an-a", units("U-A"), lrs.RoleAnalyst)
	add("an-x", units("INST-X"), lrs.RoleAnalyst)
	add("an-d", units("DIR-1"), lrs.RoleAnalyst)
	add("ac-siti", person(sitiNIP), lrs.RoleAssessor)
	var all []lrs.Credential
	for _, c := range n.creds {
		all = append(all, c)
	}
	srv := api.New(api.Config{
		Auth:       lrs.NewKeyring(all),
		Statements: node.View,
		Documents:  node.Views.Documents,
		JP:         node.Views.JP,
		Writer:     node.Appender,
		Frameworks: frameworks(t),
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	for key, secret := range secrets {
		n.api[key] = &env{ts.URL + "/api/v1", key, secret}
		n.xapi[key] = &env{ts.URL + "/xapi", key, secret}
	}
	people, _ := json.Marshal([]bangkom.Person{
		{NIP: sitiNIP, Name: "Siti", Unit: "U-A", ParentUnit: "DIR-1", Instansi: "INST-X", Position: "Analis", Type: "PNS", Timezone: "WIB", SupervisorNIP: budiNIP},
		{NIP: budiNIP, Name: "Budi", Unit: "U-A", ParentUnit: "DIR-1", Instansi: "INST-X", Position: "Kabid", Type: "PNS", Timezone: "WIB", SupervisorNIP: aniNIP},
		{NIP: aniNIP, Name: "Ani", Unit: "U-B", Instansi: "INST-X", Position: "Kepala", Type: "PNS", Timezone: "WIB"},
		{NIP: dewiNIP, Name: "Dewi", Unit: "U-C", Instansi: "INST-Y", Position: "Analis", Type: "PNS", Timezone: "WITA"},
	})
	expect(t, n.api["adm"].do(t, req{method: "POST", path: "/people", body: string(people)}), 200)
	expect(t, n.api["adm"].do(t, req{method: "POST", path: "/positions", body: `[{"position":"Analis","standards":{"M.01":3}}]`}), 200)
	return n
}

// asnAccount is the actor of an ASN account.
func asnAccount(nip string) string {
	return `{"objectType":"Agent","account":{"homePage":"` + bangkom.DefaultHomePage + `","name":"` + nip + `"}}`
}

// coaching is a coaching claim (pending until decided) of nip with id.
func coaching(id, nip string) string {
	return `{"id":"` + id + `","actor":` + asnAccount(nip) + `,"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},` +
		`"object":{"id":"https://coaching.example.go.id/sesi/` + id + `"},"timestamp":"2026-04-01T10:00:00+07:00",` +
		`"context":{"extensions":{"` + bangkom.ExtForm + `":"NK-COACHING"}}}`
}

// decision is an approval (or rejection) of claim by actor.
func decision(actor, claim string, approve bool) string {
	verb := bangkom.VerbApproved
	if !approve {
		verb = bangkom.VerbRejected
	}
	return `{"actor":` + asnAccount(actor) + `,"verb":{"id":"` + verb + `"},"object":{"objectType":"StatementRef","id":"` + claim + `"}}`
}

// itemState is the state of claim id in nip's JP report and who decided
// it: its approved_by, or for a rejected claim its rejected_by (and then
// approved_by must be empty).
func (n *asnNode) itemState(t *testing.T, nip, id string) (state, by string) {
	t.Helper()
	got := n.api["adm"].do(t, req{method: "GET", path: "/people/" + nip + "/jp?year=2026"})
	expect(t, got, 200)
	v := fastjson.MustParse(got.body)
	for _, it := range v.GetArray("items") {
		if string(it.GetStringBytes("statement_id")) == id {
			state := string(it.GetStringBytes("state"))
			if state == bangkom.Rejected {
				if by := string(it.GetStringBytes("approved_by")); by != "" {
					t.Fatalf("rejected claim %s shows approved_by %q", id, by)
				}
				return state, string(it.GetStringBytes("rejected_by"))
			}
			return state, string(it.GetStringBytes("approved_by"))
		}
	}
	t.Fatalf("claim %s not in %s", id, got.body)
	return "", ""
}

// Decisions and assessments are taken only from who may make them: every
// other is refused with 403 naming the rule, and nothing of it is
// appended (the claim stays pending).
func TestASNPolicy_Decisions(t *testing.T) {
	n := newASNNode(t)
	claims := map[string]string{}
	for _, name := range []string{"siti1", "siti2", "siti3", "budi1"} {
		claims[name] = uuid.NewString()
		nip := sitiNIP
		if name == "budi1" {
			nip = budiNIP
		}
		expect(t, n.xapi["lms"].do(t, req{method: "POST", path: "/statements", body: coaching(claims[name], nip)}), 200)
	}
	refused := []struct {
		name, by, body, reason string
	}{
		{"lms2 approving as the supervisor's NIP", "lms2", decision(budiNIP, claims["siti1"], true), "registered supervisor acting as themselves"},
		{"the claim's writer approving as the supervisor's NIP", "lms", decision(budiNIP, claims["siti1"], true), "registered supervisor acting as themselves"},
		{"an admin approving as the supervisor's NIP", "adm", decision(budiNIP, claims["siti1"], true), "registered supervisor acting as themselves"},
		{"a provider approving as the supervisor's NIP", "pusdiklat", decision(budiNIP, claims["siti1"], true), "registered supervisor acting as themselves"},
		{"the claimant approving their own claim", "siti-app", decision(sitiNIP, claims["siti1"], true), "may not decide their own claim"},
		{"a plain credential approving as the claimant", "lms", decision(sitiNIP, claims["siti1"], true), "may not decide their own claim"},
		{"a verifier approving as the claimant", "kepeg", decision(sitiNIP, claims["siti1"], true), "may not decide their own claim"},
		{"the supervisor's credential writing as another", "budi-app", decision(aniNIP, claims["siti1"], true), "actor must be the person"},
		{"the supervisor's supervisor", "ani-app", decision(aniNIP, claims["siti1"], true), "is not the claimant's registered supervisor"},
		{"staff deciding their supervisor's claim", "siti-app", decision(sitiNIP, claims["budi1"], true), "is not the claimant's registered supervisor"},
		{"the supervisor deciding a claim not known", "budi-app", decision(budiNIP, uuid.NewString(), true), "only a verifier may decide it"},
		{"a decision in a batch after a good one", "budi-app", "[" + decision(budiNIP, claims["siti2"], true) + "," + decision(budiNIP, claims["budi1"], true) + "]", "statements[1]: "},
		{"a plain credential assessing", "lms", assessment("M.01", "3"), "only an assessor"},
		{"a verifier recognising prior learning", "kepeg", `{"actor":` + asnAccount(sitiNIP) + `,"verb":{"id":"` + bangkom.VerbRPL + `"},"object":{"id":"https://e.go.id/modul/1"}}`, "only an assessor"},
		{"an assessor bound to the person assessing themselves", "ac-siti", assessment("M.01", "3"), "may not assess themselves"},
	}
	for _, tc := range refused {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			rule := "(policy: decide)"
			if tc.reason == "only an assessor" || tc.reason == "may not assess themselves" {
				rule = "(policy: assess)"
			}
			expect(t, n.xapi[tc.by].do(t, req{method: "POST", path: "/statements", body: tc.body}), 403, tc.reason, rule)
		})
	}
	// Nothing of a refused request was appended.
	for name, nip := range map[string]string{"siti1": sitiNIP, "siti2": sitiNIP, "budi1": budiNIP} {
		if state, _ := n.itemState(t, nip, claims[name]); state != bangkom.Pending {
			t.Fatalf("claim %s is %s after refused decisions, want pending", name, state)
		}
	}
	expect(t, n.api["adm"].do(t, req{method: "GET", path: "/people/" + sitiNIP + "/competencies"}), 200, `"assessed_level":null`)

	t.Run("allowed: the supervisor's bound credential approves their staff's claim", func(t *testing.T) {
		expect(t, n.xapi["budi-app"].do(t, req{method: "POST", path: "/statements", body: decision(budiNIP, claims["siti1"], true)}), 200)
		if state, by := n.itemState(t, sitiNIP, claims["siti1"]); state != bangkom.Approved || by != budiNIP {
			t.Fatalf("claim is %s by %q, want approved by Budi", state, by)
		}
	})
	t.Run("allowed: the claim and its decision in one batch", func(t *testing.T) {
		id := uuid.NewString()
		expect(t, n.xapi["budi-app"].do(t, req{method: "POST", path: "/statements", body: "[" + coaching(id, sitiNIP) + "," + decision(budiNIP, id, false) + "]"}), 200)
		if state, by := n.itemState(t, sitiNIP, id); state != bangkom.Rejected || by != budiNIP {
			t.Fatalf("claim is %s by %q, want rejected by Budi", state, by)
		}
	})
	t.Run("allowed: a verifier approves", func(t *testing.T) {
		expect(t, n.xapi["kepeg"].do(t, req{method: "POST", path: "/statements", body: decision(aniNIP, claims["siti2"], true)}), 200)
		if state, by := n.itemState(t, sitiNIP, claims["siti2"]); state != bangkom.Approved || by != "verifier:kepeg" {
			t.Fatalf("claim is %s by %q, want approved by the verifier", state, by)
		}
	})
	t.Run("allowed: a verifier decides a claim not known yet", func(t *testing.T) {
		expect(t, n.xapi["kepeg"].do(t, req{method: "POST", path: "/statements", body: decision(aniNIP, uuid.NewString(), true)}), 200)
	})
	t.Run("allowed: an assessor assesses", func(t *testing.T) {
		expect(t, n.xapi["ac"].do(t, req{method: "POST", path: "/statements", body: assessment("M.01", "3")}), 200)
		expect(t, n.api["adm"].do(t, req{method: "GET", path: "/people/" + sitiNIP + "/competencies"}), 200, `"assessed_level":3`)
	})
	t.Run("allowed: a provider's classroom claim is approved on arrival", func(t *testing.T) {
		id := uuid.New()
		st := `{"id":"` + id.String() + `",` + claim("KLS-TEKNIS", `,"`+bangkom.ExtJP+`":16`, "Teknis", "2026-03-10T10:00:00+07:00")[1:]
		expect(t, n.xapi["pusdiklat"].do(t, req{method: "POST", path: "/statements", body: st}), 200)
		if state, by := n.itemState(t, sitiNIP, id.String()); state != bangkom.Approved || by != "provider:pusdiklat" {
			t.Fatalf("classroom claim is %s by %q", state, by)
		}
	})
	// An old log may hold decisions the API now refuses: the fold passes
	// over those it cannot count (by someone not the registered supervisor,
	// the claimant through a verifier). The log does not record whom a
	// writer acted as, so an old decision with the supervisor's NIP as
	// actor still counts, whoever wrote it: the API refuses new ones.
	t.Run("an old log's refused decisions stay ignored", func(t *testing.T) {
		for _, o := range []struct{ by, st string }{
			{"lms2", decision(aniNIP, claims["siti3"], true)},
			{"ani-app", decision(aniNIP, claims["siti3"], true)},
			{"kepeg", decision(sitiNIP, claims["siti3"], true)},
		} {
			by := n.creds[o.by].Authority()
			id := uuid.New()
			js := `{"id":"` + id.String() + `","authority":` + string(by.Agent) + `,"version":"1.0.0",` + o.st[1:]
			st := lrs.Statement{ID: id, JSON: []byte(js), Hash: lrs.ContentHash(fastjson.MustParse(js))}
			if _, err := n.node.Appender.Append(t.Context(), []lrs.Statement{st}, by); err != nil {
				t.Fatal(err)
			}
		}
		if state, _ := n.itemState(t, sitiNIP, claims["siti3"]); state != bangkom.Pending {
			t.Fatalf("claim is %s after ignored decisions, want pending", state)
		}
	})
}

// Personal data through /api/v1 by role: each route as each principal.
func TestASNPolicy_PersonalData(t *testing.T) {
	n := newASNNode(t)
	siti, budi, ani, dewi := "/people/"+sitiNIP, "/people/"+budiNIP, "/people/"+aniNIP, "/people/"+dewiNIP
	type probe struct {
		by, path string
		status   int
		rule     string
	}
	var probes []probe
	// The three per-person routes answer alike.
	for _, route := range []string{"/jp?year=2026", "/competencies", "/siasn?year=2026"} {
		for _, p := range []probe{
			{"siti-app", siti, 200, ""}, // the person themselves
			{"budi-app", siti, 200, ""}, // their supervisor
			{"ani-app", siti, 200, ""},  // their supervisor's supervisor
			{"an-a", siti, 200, ""},     // an analyst of their unit
			{"an-x", siti, 200, ""},     // an analyst of their instansi
			{"an-d", siti, 200, ""},     // an analyst of their parent unit
			{"adm", siti, 200, ""},      // an admin
			{"adm", "/people/199001012015011009", 404, ""},
			{"lms", siti, 403, "person-data"}, // a plain credential reads another's records
			{"lms", "/people/199001012015011009", 403, "person-data"},
			{"kepeg", siti, 403, "person-data"}, // a verifier
			{"pusdiklat", siti, 403, "person-data"},
			{"ac", siti, 403, "person-data"},
			{"siti-app", budi, 403, "person-data"}, // staff read their supervisor
			{"budi-app", ani, 403, "person-data"},  // upwards
			{"budi-app", dewi, 403, "person-data"}, // outside the chain
			{"an-a", ani, 403, "person-data"},      // an analyst of unit A reads unit B's person
			{"an-x", dewi, 403, "person-data"},     // another instansi
			{"an-d", ani, 403, "person-data"},
		} {
			p.path += route
			probes = append(probes, p)
		}
		probes = append(probes, probe{"lms", "/people/12345" + route, 400, ""})
	}
	for _, route := range []string{"/jp?year=2026", "/competencies"} {
		for _, p := range []probe{
			{"adm", "/units/U-A", 200, ""},
			{"an-a", "/units/U-A", 200, ""},          // an analyst of the unit
			{"an-x", "/units/U-A", 200, ""},          // an analyst of the instansi holding unit A
			{"an-x", "/units/U-B", 200, ""},          // and its other units
			{"an-d", "/units/U-A", 200, ""},          // an analyst of its parent unit
			{"an-a", "/units/U-B", 403, "unit-data"}, // unit A's analyst reads unit B
			{"an-x", "/units/U-C", 403, "unit-data"}, // another instansi
			{"an-x", "/units/U-NONE", 403, "unit-data"},
			{"an-a", "/units/U-NONE", 403, "unit-data"},
			{"adm", "/units/U-NONE", 404, ""},
			{"lms", "/units/U-A", 403, "unit-data"},
			{"kepeg", "/units/U-A", 403, "unit-data"},
			{"budi-app", "/units/U-A", 403, "unit-data"},
		} {
			p.path += route
			probes = append(probes, p)
		}
	}
	approvals := func(nip string) string { return "/approvals?year=2026&supervisor=" + nip }
	probes = append(probes,
		probe{"budi-app", approvals(budiNIP), 200, ""}, // the supervisor themselves
		probe{"kepeg", approvals(budiNIP), 200, ""},
		probe{"adm", approvals(budiNIP), 200, ""},
		probe{"lms", approvals(budiNIP), 403, "approvals"},
		probe{"ani-app", approvals(budiNIP), 403, "approvals"},
		probe{"budi-app", approvals(aniNIP), 403, "approvals"},
		probe{"an-a", approvals(budiNIP), 403, "approvals"},
		probe{"lms", "/approvals?supervisor=12", 400, ""},
		probe{"adm", "/siasn?year=2026", 200, ""},
		probe{"kepeg", "/siasn?year=2026", 200, ""},
		probe{"kepeg", "/siasn?year=2026&unit=U-A", 200, ""},
		probe{"lms", "/siasn?year=2026", 403, "siasn-export"},
		probe{"an-x", "/siasn?year=2026", 403, "siasn-export"},
		probe{"budi-app", "/siasn?year=2026&unit=U-A", 403, "siasn-export"},
	)
	for _, p := range probes {
		t.Run(p.by+" GET "+p.path, func(t *testing.T) {
			var want []string
			if p.rule != "" {
				want = append(want, "(policy: "+p.rule+")")
			}
			got := n.api[p.by].do(t, req{method: "GET", path: p.path})
			expect(t, got, p.status, want...)
			if p.status == 200 {
				got = n.api[p.by].doWith(t, req{method: "GET", path: p.path}, "Accept", "text/csv")
				expect(t, got, 200)
			}
		})
	}
}

// A registry import may name each person's instansi and parent unit, in
// JSON or CSV; older imports without them stay valid.
func TestASNPolicy_RegistryInstansi(t *testing.T) {
	n := newASNNode(t)
	csvBody := "nip,name,unit,type,timezone,instansi,parent_unit\n" + dewiNIP + ",Dewi,U-A,PNS,WITA,INST-X,DIR-1\n"
	expect(t, n.api["adm"].do(t, req{method: "POST", path: "/people", body: csvBody, contentType: "text/csv"}), 200)
	// Dewi moved into U-A of INST-X: the instansi's analyst now reads her.
	expect(t, n.api["an-x"].do(t, req{method: "GET", path: "/people/" + dewiNIP + "/jp?year=2026"}), 200)
	expect(t, n.api["an-d"].do(t, req{method: "GET", path: "/people/" + dewiNIP + "/jp?year=2026"}), 200)
	old := "nip,name,unit,type,timezone\n" + dewiNIP + ",Dewi,U-A,PNS,WITA\n"
	expect(t, n.api["adm"].do(t, req{method: "POST", path: "/people", body: old, contentType: "text/csv"}), 200)
	// Without an instansi, only the unit's analyst reads her.
	expect(t, n.api["an-x"].do(t, req{method: "GET", path: "/people/" + dewiNIP + "/jp?year=2026"}), 403, "(policy: person-data)")
	expect(t, n.api["an-a"].do(t, req{method: "GET", path: "/people/" + dewiNIP + "/jp?year=2026"}), 200)
	expect(t, n.api["adm"].do(t, req{method: "POST", path: "/people", body: `[{"nip":"` + dewiNIP + `","name":"Dewi","unit":"U-A","parent_unit":"U-A","type":"PNS","timezone":"WITA"}]`}), 400, "parent_unit", "its own parent")
}

// People signed in with OpenID Connect: the supervisor decides their
// staff's claim as themselves; the claimant cannot decide their own, nor
// write a decision as their supervisor; each reads their own records.
func TestASNPolicy_SignedInPeople(t *testing.T) {
	admin, secret := lrstest.Credential(t, "adm", lrs.RoleAdmin)
	lms, lmsSecret := lrstest.Credential(t, "lms")
	e := newOIDCEnv(t, func(c *api.Config) { c.Auth = lrs.NewKeyring([]lrs.Credential{admin, lms}) })
	adm := &env{e.root + "/api/v1", admin.Key, secret}
	people, _ := json.Marshal([]bangkom.Person{
		{NIP: sitiNIP, Name: "Siti", Unit: "U-A", Type: "PNS", Timezone: "WIB", SupervisorNIP: budiNIP},
		{NIP: budiNIP, Name: "Budi", Unit: "U-A", Type: "PNS", Timezone: "WIB"},
	})
	expect(t, adm.do(t, req{method: "POST", path: "/people", body: string(people)}), 200)
	id := uuid.NewString()
	expect(t, (&env{e.root + "/xapi", lms.Key, lmsSecret}).do(t, req{method: "POST", path: "/statements", body: coaching(id, sitiNIP)}), 200)

	token := func(nip string) string { return e.idp.Token(e.idp.Claims(map[string]any{"nip": nip})) }
	as := func(nip, method, path, body string) resp {
		t.Helper()
		hr, err := http.NewRequest(method, e.root+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		hr.Header.Set("X-Experience-API-Version", "1.0.3")
		hr.Header.Set("Authorization", "Bearer "+token(nip))
		if body != "" {
			hr.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return resp{res.StatusCode, string(b), res.Header}
	}
	expect(t, as(sitiNIP, "POST", "/xapi/statements", decision(sitiNIP, id, true)), 403, "may not decide their own claim", "(policy: decide)")
	expect(t, as(sitiNIP, "POST", "/xapi/statements", decision(budiNIP, id, true)), 403, "actor must be the person", "(policy: decide)")
	expect(t, as(sitiNIP, "GET", "/api/v1/people/"+sitiNIP+"/jp?year=2026", ""), 200, `"pending":`)
	expect(t, as(sitiNIP, "GET", "/api/v1/people/"+budiNIP+"/jp?year=2026", ""), 403, "(policy: person-data)")
	expect(t, as(sitiNIP, "GET", "/api/v1/approvals?supervisor="+budiNIP, ""), 403, "(policy: approvals)")
	expect(t, as(budiNIP, "GET", "/api/v1/approvals?supervisor="+budiNIP, ""), 200, id)
	expect(t, as(budiNIP, "POST", "/xapi/statements", decision(budiNIP, id, true)), 200)
	got := as(budiNIP, "GET", "/api/v1/people/"+sitiNIP+"/jp?year=2026", "")
	expect(t, got, 200)
	approved := false
	for _, it := range fastjson.MustParse(got.body).GetArray("items") {
		approved = approved || (string(it.GetStringBytes("statement_id")) == id &&
			string(it.GetStringBytes("state")) == bangkom.Approved && string(it.GetStringBytes("approved_by")) == budiNIP)
	}
	if !approved {
		t.Fatalf("the claim is not approved by the signed-in supervisor: %s", got.body)
	}
	expect(t, as(budiNIP, "GET", "/api/v1/siasn?year=2026", ""), 403, "(policy: siasn-export)")
}
