package api_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
)

// probeNode serves the xAPI to credentials as a security reviewer would
// try it: lms and lms2, two platforms of the default store with the
// default scopes; other, a platform of store agency2; adm, an admin; ro,
// with statements/read only; st, with state only.
type probeNode struct {
	lms, lms2, other, adm, ro, st *env
}

func newProbeNode(t *testing.T) *probeNode {
	t.Helper()
	node := lrstest.StartNode(t, lrstest.Log(t, lrstest.NATS(t)))
	lc, ls := lrstest.Credential(t, "lms")
	l2c, l2s := lrstest.Credential(t, "lms2")
	oc, os := lrstest.Credential(t, "other")
	oc.Store = "agency2"
	ac, as := lrstest.Credential(t, "adm", lrs.RoleAdmin)
	rc, rs := lrstest.Credential(t, "ro")
	rc.Scopes = []string{lrs.ScopeStatementsRead}
	sc, ss := lrstest.Credential(t, "st")
	sc.Scopes = []string{lrs.ScopeState}
	srv := api.New(api.Config{
		Auth:       lrs.NewKeyring([]lrs.Credential{lc, l2c, oc, ac, rc, sc}),
		Statements: node.View,
		Documents:  node.Views.Documents,
		JP:         node.Views.JP,
		Writer:     node.Appender,
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	x := ts.URL + "/xapi"
	return &probeNode{
		lms: &env{x, lc.Key, ls}, lms2: &env{x, l2c.Key, l2s}, other: &env{x, oc.Key, os},
		adm: &env{x, ac.Key, as}, ro: &env{x, rc.Key, rs}, st: &env{x, sc.Key, ss},
	}
}

func voiding(target string) string {
	return `{"actor":{"mbox":"mailto:lms@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},"object":{"objectType":"StatementRef","id":"` + target + `"}}`
}

// listed returns the ids of a GET /statements page, and its more link.
func listed(t *testing.T, got resp) ([]string, string) {
	t.Helper()
	expect(t, got, 200)
	var page struct {
		Statements []struct{ ID string }
		More       string
	}
	if err := json.Unmarshal([]byte(got.body), &page); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range page.Statements {
		ids = append(ids, s.ID)
	}
	return ids, page.More
}

// TestPolicy_ProbeStatements tries the statements routes as each
// credential: a platform reads only what it wrote, voids only that, and
// the probe (lms2 voids lms's statement) is refused naming the
// rule.
func TestPolicy_ProbeStatements(t *testing.T) {
	n := newProbeNode(t)
	s1, s2, s3 := uuid.NewString(), uuid.NewString(), uuid.NewString()
	expect(t, n.lms.do(t, req{method: "PUT", path: "/statements?statementId=" + s1, body: stmt("", "http://e.com/1")}), 204)
	expect(t, n.lms2.do(t, req{method: "POST", path: "/statements", body: stmt(s2, "http://e.com/2")}), 200)
	expect(t, n.lms.do(t, req{method: "POST", path: "/statements", body: stmt(s3, "http://e.com/3")}), 200)

	t.Run("single statement: the writer and full readers, 404 for others", func(t *testing.T) {
		for _, tc := range []struct {
			e      *env
			status int
		}{{n.lms, 200}, {n.lms2, 404}, {n.other, 404}, {n.adm, 200}, {n.ro, 200}} {
			expect(t, tc.e.do(t, req{method: "GET", path: "/statements?statementId=" + s1}), tc.status)
			expect(t, tc.e.do(t, req{method: "HEAD", path: "/statements?statementId=" + s1}), tc.status)
		}
	})
	t.Run("listing: mine on every page, everything for full readers", func(t *testing.T) {
		var all []string
		path := "/statements?limit=1"
		for path != "" {
			ids, more := listed(t, n.lms.do(t, req{method: "GET", path: path}))
			all = append(all, ids...)
			path = ""
			if more != "" {
				u, _ := url.Parse(more)
				path = "/statements?" + u.RawQuery
			}
		}
		if !slices.Equal(all, []string{s3, s1}) {
			t.Fatalf("lms lists %v, want its own [%s %s]", all, s3, s1)
		}
		if ids, _ := listed(t, n.lms2.do(t, req{method: "GET", path: "/statements"})); !slices.Equal(ids, []string{s2}) {
			t.Fatalf("lms2 lists %v, want [%s]", ids, s2)
		}
		if ids, _ := listed(t, n.other.do(t, req{method: "GET", path: "/statements"})); len(ids) != 0 {
			t.Fatalf("other lists %v, want none", ids)
		}
		for _, e := range []*env{n.adm, n.ro} {
			if ids, _ := listed(t, e.do(t, req{method: "GET", path: "/statements"})); !slices.Equal(ids, []string{s3, s2, s1}) {
				t.Fatalf("%s lists %v, want all three", e.key, ids)
			}
		}
	})
	t.Run("lms2 voids lms's statement: 403 naming the rule, nothing appended", func(t *testing.T) {
		for _, e := range []*env{n.lms2, n.other, n.ro} {
			want := "(policy: void)"
			if e == n.ro {
				want = "(policy: statements-write)"
			}
			v := uuid.NewString()
			expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + v, body: voiding(s1)}), 403, want)
			expect(t, n.adm.do(t, req{method: "GET", path: "/statements?statementId=" + v}), 404)
		}
		// in a batch with a statement of its own: the whole request is refused
		mine := uuid.NewString()
		body := `[` + stmt(mine, "http://e.com/4") + `,` + voiding(s1) + `]`
		expect(t, n.lms2.do(t, req{method: "POST", path: "/statements", body: body}), 403, "(policy: void)")
		expect(t, n.adm.do(t, req{method: "GET", path: "/statements?statementId=" + mine}), 404)
		expect(t, n.lms.do(t, req{method: "GET", path: "/statements?statementId=" + s1}), 200)
	})
	t.Run("the writer and an admin may void", func(t *testing.T) {
		expect(t, n.lms.do(t, req{method: "POST", path: "/statements", body: voiding(s1)}), 200)
		expect(t, n.lms.do(t, req{method: "GET", path: "/statements?voidedStatementId=" + s1}), 200)
		expect(t, n.lms2.do(t, req{method: "GET", path: "/statements?voidedStatementId=" + s1}), 404)
		expect(t, n.adm.do(t, req{method: "POST", path: "/statements", body: voiding(s2)}), 200)
		expect(t, n.lms2.do(t, req{method: "GET", path: "/statements?voidedStatementId=" + s2}), 200)
		// a statement and its voiding in one request
		own := uuid.NewString()
		expect(t, n.lms2.do(t, req{method: "POST", path: "/statements", body: `[` + stmt(own, "http://e.com/5") + `,` + voiding(own) + `]`}), 200)
		expect(t, n.lms2.do(t, req{method: "GET", path: "/statements?voidedStatementId=" + own}), 200)
	})
	t.Run("a statement that targets mine is not mine", func(t *testing.T) {
		ref := uuid.NewString()
		body := `{"id":"` + ref + `","actor":{"mbox":"mailto:lms2@example.com"},"verb":{"id":"http://e.com/verbs/liked"},"object":{"objectType":"StatementRef","id":"` + s3 + `"}}`
		expect(t, n.lms2.do(t, req{method: "POST", path: "/statements", body: body}), 200)
		ids, _ := listed(t, n.lms.do(t, req{method: "GET", path: "/statements"}))
		if slices.Contains(ids, ref) || !slices.Contains(ids, s3) {
			t.Fatalf("lms lists %v: want its own %s and not lms2's %s that targets it", ids, s3, ref)
		}
		if ids, _ := listed(t, n.lms2.do(t, req{method: "GET", path: "/statements"})); !slices.Contains(ids, ref) {
			t.Fatalf("lms2 does not list its own %s: %v", ref, ids)
		}
	})
	t.Run("scopes", func(t *testing.T) {
		expect(t, n.ro.do(t, req{method: "POST", path: "/statements", body: stmt("", "http://e.com/6")}), 403, "(policy: statements-write)")
		expect(t, n.st.do(t, req{method: "GET", path: "/statements"}), 403, "(policy: statements-read)")
		expect(t, n.st.do(t, req{method: "GET", path: "/activities?activityId=http://e.com/1"}), 403, "(policy: activities)")
		expect(t, n.lms.do(t, req{method: "GET", path: "/activities?activityId=http://e.com/1"}), 200)
		agent := url.QueryEscape(`{"mbox":"mailto:learner@example.com"}`)
		expect(t, n.lms.do(t, req{method: "GET", path: "/agents?agent=" + agent}), 403, "(policy: agents)")
		expect(t, n.ro.do(t, req{method: "GET", path: "/agents?agent=" + agent}), 200)
		expect(t, n.adm.do(t, req{method: "GET", path: "/agents?agent=" + agent}), 200)
		expect(t, n.lms.do(t, req{method: "GET", path: "/about", noAuth: true}), 200)
	})
}

// TestPolicy_ProbeDocuments tries every document route as a platform of
// the writer's store and one of another store: documents live per store.
func TestPolicy_ProbeDocuments(t *testing.T) {
	n := newProbeNode(t)
	agent := url.QueryEscape(`{"mbox":"mailto:learner@example.com"}`)
	for _, res := range []struct {
		name, scope, id string // scope: the query naming the scope; id: the document parameter
		rule            string
	}{
		{"state", "/activities/state?activityId=http://e.com/a&agent=" + agent, "stateId", "state"},
		{"activity profile", "/activities/profile?activityId=http://e.com/a", "profileId", "activity-profile"},
		{"agent profile", "/agents/profile?agent=" + agent, "profileId", "agent-profile"},
	} {
		t.Run(res.name, func(t *testing.T) {
			doc := res.scope + "&" + res.id + "=doc"
			put := func(e *env, body string) resp {
				return e.doWith(t, req{method: "PUT", path: doc, body: body}, "If-None-Match", "*")
			}
			expect(t, put(n.lms, `{"by":"lms"}`), 204)
			// the same store: another platform of it reads and writes it
			expect(t, n.lms2.do(t, req{method: "GET", path: doc}), 200, `"lms"`)
			expect(t, put(n.lms2, `{"by":"lms2"}`), 412) // it exists
			// another store: not there, and its own is another document
			expect(t, n.other.do(t, req{method: "GET", path: doc}), 404)
			expect(t, n.other.do(t, req{method: "HEAD", path: doc}), 404)
			expect(t, n.other.do(t, req{method: "GET", path: res.scope}), 200, "[]")
			expect(t, put(n.other, `{"by":"other"}`), 204)
			expect(t, n.other.do(t, req{method: "POST", path: doc, body: `{"more":1}`}), 204)
			expect(t, n.other.do(t, req{method: "GET", path: doc}), 200, `"other"`, `"more"`)
			expect(t, n.lms.do(t, req{method: "GET", path: doc}), 200, `"lms"`)
			if res.name == "state" {
				expect(t, n.other.do(t, req{method: "DELETE", path: res.scope}), 204) // all of its store's
			} else {
				got := n.other.do(t, req{method: "GET", path: doc})
				expect(t, n.other.doWith(t, req{method: "DELETE", path: doc}, "If-Match", got.header.Get("ETag")), 204)
			}
			expect(t, n.other.do(t, req{method: "GET", path: doc}), 404)
			expect(t, n.lms.do(t, req{method: "GET", path: doc}), 200, `"lms"`)
			expect(t, n.lms.do(t, req{method: "GET", path: res.scope}), 200, `"doc"`)
			// scopes
			wrong := n.st
			if res.name == "state" {
				wrong = n.ro
			}
			for _, m := range []string{"GET", "HEAD", "PUT", "POST", "DELETE"} {
				body := ""
				if m == "PUT" || m == "POST" {
					body = `{}`
				}
				got := wrong.do(t, req{method: m, path: doc, body: body})
				if m == "HEAD" {
					expect(t, got, 403)
					continue
				}
				expect(t, got, 403, "(policy: "+res.rule+")")
			}
		})
	}
}
