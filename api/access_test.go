package api_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/lrs/natslog"
)

// accessEnv serves the API with the access log, and credentials: an admin,
// an auditor and a platform with no role. Their env urls are /api/v1.
type accessEnv struct {
	admin, auditor, lms *env
	access              *natslog.AccessLog
}

func newAccessEnv(t *testing.T) *accessEnv {
	t.Helper()
	s := lrstest.NATS(t)
	node := lrstest.StartNode(t, lrstest.Log(t, s))
	access, err := natslog.OpenAccess(context.Background(), lrstest.Conn(t, s), natslog.AccessConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { access.Run(ctx, 5*time.Second) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	ac, as := lrstest.Credential(t, "admin-1", lrs.RoleAdmin)
	uc, us := lrstest.Credential(t, "auditor-1", lrs.RoleAuditor)
	// the platform reads as an analyst and verifier of unit U1 (the policy
	// lets it); what it reads is recorded
	lc, ls := lrstest.Credential(t, "lms", lrs.RoleProvider, lrs.RoleAnalyst, lrs.RoleVerifier)
	lc.Name = "Pusdiklat X"
	lc.Units = []string{"U1"}
	srv := api.New(api.Config{
		Auth:       lrs.NewKeyring([]lrs.Credential{ac, uc, lc}),
		Statements: node.View,
		Documents:  node.Views.Documents,
		JP:         node.Views.JP,
		Writer:     node.Appender,
		Frameworks: frameworks(t),
		Access:     access,
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	base := ts.URL + "/api/v1"
	return &accessEnv{admin: &env{url: base, key: ac.Key, secret: as}, auditor: &env{url: base, key: uc.Key, secret: us},
		lms: &env{url: base, key: lc.Key, secret: ls}, access: access}
}

type accessAnswer struct {
	Entries []lrs.Access `json:"entries"`
	More    bool         `json:"more"`
}

func (a *accessEnv) query(t *testing.T, q string) []lrs.Access {
	t.Helper()
	got := a.auditor.do(t, req{method: "GET", path: "/access?" + q})
	expect(t, got, 200)
	var ans accessAnswer
	if err := json.Unmarshal([]byte(got.body), &ans); err != nil {
		t.Fatal(err)
	}
	return ans.Entries
}

const (
	accSiti = "199001012015011001"
	accBudi = "197805152003121002"
)

func TestAccessLog(t *testing.T) {
	a := newAccessEnv(t)
	people := `[{"nip":"` + accSiti + `","name":"Siti","unit":"U1","position":"Analis","type":"PNS","timezone":"WIB","supervisor_nip":"` + accBudi + `"},
	            {"nip":"` + accBudi + `","name":"Budi","unit":"U1","position":"Kabid","type":"PNS","timezone":"WIB"}]`
	expect(t, a.admin.do(t, req{method: "POST", path: "/people", body: people}), 200)
	start := time.Now()

	t.Run("a read of a person's JP is recorded with who, whose and which route; the query by nip returns it", func(t *testing.T) {
		expect(t, a.lms.do(t, req{method: "GET", path: "/people/" + accSiti + "/jp?year=2026"}), 200)
		got := a.query(t, "nip="+accSiti+"&direct=true")
		if len(got) != 1 {
			t.Fatalf("entries for %s: %+v", accSiti, got)
		}
		e := got[0]
		if e.Who != "lms" || e.Kind != lrs.PrincipalCredential || e.Name != "Pusdiklat X" || e.NIP != accSiti || e.Scope != lrs.AccessPerson ||
			e.Route != "/api/v1/people/:nip/jp" || e.Method != "GET" || e.Status != 200 || e.Query != "year=2026" || e.Time.Before(start) {
			t.Fatalf("entry %+v", e)
		}
		if other := a.query(t, "nip="+accBudi+"&direct=true"); len(other) != 0 {
			t.Fatalf("a read of %s is listed for %s: %+v", accSiti, accBudi, other)
		}
	})
	t.Run("competencies, SIASN rows, unit reports, approval queues, exports and refused reads are recorded", func(t *testing.T) {
		expect(t, a.lms.do(t, req{method: "GET", path: "/people/" + accSiti + "/competencies"}), 200)
		expect(t, a.lms.do(t, req{method: "HEAD", path: "/people/" + accSiti + "/siasn"}), 200)
		expect(t, a.lms.do(t, req{method: "GET", path: "/people/199001012015011009/jp"}), 403)
		expect(t, a.lms.do(t, req{method: "GET", path: "/units/U1/jp"}), 200)
		expect(t, a.lms.do(t, req{method: "GET", path: "/approvals?supervisor=" + accBudi}), 200)
		expect(t, a.admin.do(t, req{method: "GET", path: "/siasn?year=2026"}), 200)
		routes := map[string]bool{}
		for _, e := range a.query(t, "nip="+accSiti) { // with the unit, the supervisor's queue and the exports
			routes[e.Method+" "+e.Route] = true
		}
		for _, want := range []string{"GET /api/v1/people/:nip/jp", "GET /api/v1/people/:nip/competencies", "HEAD /api/v1/people/:nip/siasn",
			"GET /api/v1/units/:unit/jp", "GET /api/v1/approvals", "GET /api/v1/siasn"} {
			if !routes[want] {
				t.Errorf("who read %s's records lacks %s: %v", accSiti, want, routes)
			}
		}
		if got := a.query(t, "nip=199001012015011009&direct=true"); len(got) != 1 || got[0].Status != 403 {
			t.Fatalf("a read of an unregistered NIP: %+v", got)
		}
		if got := a.query(t, "unit=U1&who=lms"); len(got) != 1 || got[0].Unit != "U1" || got[0].Scope != lrs.AccessUnit {
			t.Fatalf("unit U1 by lms: %+v", got)
		}
		if got := a.query(t, "supervisor="+accBudi); len(got) != 1 || got[0].NIP != accBudi || got[0].Scope != lrs.AccessApprovals {
			t.Fatalf("approval queue of %s: %+v", accBudi, got)
		}
		if got := a.query(t, "who=admin-1&limit=1"); len(got) != 1 || got[0].Scope != lrs.AccessExport || got[0].Query != "year=2026" {
			t.Fatalf("exports by admin-1: %+v", got)
		}
		expect(t, a.lms.do(t, req{method: "GET", path: "/approvals?unit=U1"}), 200)
		expect(t, a.lms.do(t, req{method: "GET", path: "/approvals"}), 200) // the verifier's own queue
		if got := a.query(t, "unit=U1&who=lms"); len(got) != 2 || got[1].Unit != "U1" || got[1].Route != "/api/v1/approvals" {
			t.Fatalf("unit U1 by lms, with its approval queue: %+v", got)
		}
		if got := a.query(t, "who=lms&limit=100"); got[len(got)-1].Scope != lrs.AccessExport || got[len(got)-1].Route != "/api/v1/approvals" {
			t.Fatalf("a verifier's own queue is not recorded as a read of everyone: %+v", got[len(got)-1])
		}
		if got := a.query(t, "since="+url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339))); len(got) != 0 {
			t.Fatalf("entries from an hour ahead: %+v", got)
		}
	})
	t.Run("xAPI statements filtered by an ASN agent are a read of that person", func(t *testing.T) {
		x := &env{url: strings.TrimSuffix(a.lms.url, "/api/v1") + "/xapi", key: a.lms.key, secret: a.lms.secret}
		agent := url.QueryEscape(`{"account":{"homePage":"` + bangkom.DefaultHomePage + `","name":"` + accBudi + `"}}`)
		expect(t, x.do(t, req{method: "GET", path: "/statements?agent=" + agent}), 200)
		other := url.QueryEscape(`{"mbox":"mailto:someone@example.com"}`)
		expect(t, x.do(t, req{method: "GET", path: "/statements?agent=" + other}), 200)
		got := a.query(t, "nip="+accBudi+"&direct=true")
		if len(got) != 1 || got[0].Route != "/xapi/statements" || got[0].Who != "lms" || got[0].Status != 200 {
			t.Fatalf("entries of %s: %+v", accBudi, got)
		}
	})
	t.Run("the CSV neutralises formula cells", func(t *testing.T) {
		expect(t, a.admin.do(t, req{method: "GET", path: "/units/" + url.PathEscape("=HYPERLINK(\"http://x\")") + "/jp"}), 404)
		got := a.auditor.doWith(t, req{method: "GET", path: "/access?unit=" + url.QueryEscape("=HYPERLINK(\"http://x\")")}, "Accept", "text/csv")
		expect(t, got, 200, "time,who,kind,name,acts_for,scope,nip,unit,method,route,query,status,seq", `'=HYPERLINK`)
		if strings.Contains(got.body, `,=HYPERLINK`) || strings.Contains(got.body, `,"=HYPERLINK`) {
			t.Fatalf("a formula cell reached the CSV: %s", got.body)
		}
	})
	t.Run("the XLSX keeps formula text inert", func(t *testing.T) {
		got := a.auditor.doWith(t, req{method: "GET", path: "/access?unit=" + url.QueryEscape("=HYPERLINK(\"http://x\")")}, "Accept", xlsxType)
		expect(t, got, 200)
		if cd := got.header.Get("Content-Disposition"); cd != `attachment; filename="access.xlsx"` {
			t.Fatalf("Content-Disposition %q", cd)
		}
		rows, text := sheetRows(t, got.body)
		if len(rows) < 2 || strings.Join(rows[0], ",") != strings.Join(accessHeaderForTest, ",") {
			t.Fatalf("rows %q", rows)
		}
		found := false
		for r, row := range rows[1:] {
			for c, cell := range row {
				if strings.HasPrefix(cell, "=") || strings.Contains(cell, "HYPERLINK") && !text[r+1][c] {
					t.Fatalf("cell %q (text %v) could run as a formula", cell, text[r+1][c])
				}
				found = found || cell == `'=HYPERLINK("http://x")`
			}
		}
		if !found {
			t.Fatalf("no entry names the unit: %q", rows)
		}
	})
	t.Run("only auditors and admins read the access log", func(t *testing.T) {
		expect(t, a.lms.do(t, req{method: "GET", path: "/access?nip=" + accSiti}), 403, "policy: access-log")
		expect(t, a.admin.do(t, req{method: "GET", path: "/access?nip=" + accSiti}), 200, `"entries":[`)
		expect(t, a.auditor.do(t, req{method: "GET", path: "/access?nip=12"}), 400)
		expect(t, a.auditor.do(t, req{method: "GET", path: "/access?since=yesterday"}), 400, "since")
		expect(t, a.auditor.do(t, req{method: "GET", path: "/access?limit=0"}), 400, "limit")
		expect(t, a.auditor.do(t, req{method: "GET", path: "/access?nope=1"}), 400)
	})
}

// runAccessLog opens an access log on an in-process server of its own and
// runs it until the test ends.
func runAccessLog(t *testing.T) *natslog.AccessLog {
	t.Helper()
	access, err := natslog.OpenAccess(context.Background(), lrstest.Conn(t, lrstest.NATS(t)), natslog.AccessConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { access.Run(ctx, 5*time.Second) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return access
}

// A person signed in with OpenID Connect is recorded as that person.
func TestAccessLog_RecordsAPersonSignedIn(t *testing.T) {
	access := runAccessLog(t)
	e := newOIDCEnv(t, func(c *api.Config) { c.Access = access })
	tok := e.idp.Token(e.idp.Claims(map[string]any{"nip": personNIP, "name": "Siti Rahayu"}))
	expect(t, e.bearer(t, "GET", approvalsOf, tok), 200)
	got, err := access.Query(context.Background(), lrs.AccessQuery{Subjects: []string{lrs.AccessSubject(lrs.AccessApprovals, personNIP, "")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Kind != lrs.PrincipalPerson || got[0].Who != "person:"+personNIP || got[0].Route != "/api/v1/approvals" || got[0].Status != 200 {
		t.Fatalf("entries: %+v", got)
	}
}

var accessHeaderForTest = []string{"time", "who", "kind", "name", "acts_for", "scope", "nip", "unit", "method", "route", "query", "status", "seq"}
