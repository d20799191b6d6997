package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/lrs/natslog"
)

// statusEnv serves the API of one node with its views and log in GET
// /api/v1/status; admin, auditor and lms (a platform) call it.
type statusEnv struct {
	node                *lrstest.Node
	admin, auditor, lms *env
	xapi                *env // the admin, on /xapi
	notReady            atomic.Pointer[error]
}

func newStatusEnv(t *testing.T, edit func(*api.Config)) *statusEnv {
	t.Helper()
	node := lrstest.StartNode(t, lrstest.Log(t, lrstest.NATS(t)))
	ac, as := lrstest.Credential(t, "admin-1", lrs.RoleAdmin)
	uc, us := lrstest.Credential(t, "auditor-1", lrs.RoleAuditor)
	lc, ls := lrstest.Credential(t, "lms", lrs.RoleProvider)
	e := &statusEnv{node: node}
	var views []api.ViewStatus
	for _, p := range node.Views.All() {
		views = append(views, p.(api.ViewStatus))
	}
	cfg := api.Config{
		Auth:       lrs.NewKeyring([]lrs.Credential{ac, uc, lc}),
		Statements: node.View,
		Documents:  node.Views.Documents,
		JP:         node.Views.JP,
		Writer:     node.Appender,
		Node:       func() api.NodeStatus { return api.NodeStatus{Node: "node-a", Decider: "node-a", Deciding: true} },
		LogHead: func(ctx context.Context) (string, uint64, error) {
			head, err := node.Log.LastSeq(ctx)
			return node.Log.Name(), head, err
		},
		Views: views,
		Ready: func() error {
			if err := e.notReady.Load(); err != nil {
				return *err
			}
			return nil
		},
	}
	if edit != nil {
		edit(&cfg)
	}
	ts := httptest.NewServer(api.New(cfg))
	t.Cleanup(ts.Close)
	base := ts.URL + "/api/v1"
	e.admin, e.auditor, e.lms = &env{base, ac.Key, as}, &env{base, uc.Key, us}, &env{base, lc.Key, ls}
	e.xapi = &env{ts.URL + "/xapi", ac.Key, as}
	return e
}

// status reads GET /api/v1/status?query as the auditor: the answer, and
// its JSON as a map (to see what is null or left out).
func (e *statusEnv) status(t *testing.T, query string) (api.Status, map[string]any) {
	t.Helper()
	got := e.auditor.do(t, req{method: "GET", path: "/status" + query})
	expect(t, got, 200)
	var st api.Status
	var raw map[string]any
	if err := json.Unmarshal([]byte(got.body), &st); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(got.body), &raw); err != nil {
		t.Fatal(err)
	}
	return st, raw
}

// settle waits until every view holds the log's last event, and returns it.
func (e *statusEnv) settle(t *testing.T) uint64 {
	t.Helper()
	head, err := e.node.Log.LastSeq(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range e.node.Views.All() {
		if err := p.(interface {
			WaitApplied(context.Context, uint64) error
		}).WaitApplied(t.Context(), head); err != nil {
			t.Fatal(err)
		}
	}
	return head
}

// digests are the views' own digests (projections' Digest, as `jejak
// audit views` computes them), by name.
func (e *statusEnv) digests(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range e.node.Views.All() {
		d, err := p.(interface{ Digest() (lrs.Hash, error) }).Digest()
		if err != nil {
			t.Fatal(err)
		}
		out[p.Name()] = d.String()
	}
	return out
}

func TestStatus(t *testing.T) {
	e := newStatusEnv(t, nil)
	expect(t, e.xapi.do(t, req{method: "POST", path: "/statements", body: stmt("", "http://e.com/status/1")}), 200)

	t.Run("the node, the decider, the log's head and each view's position and digest at that position", func(t *testing.T) {
		head := e.settle(t)
		st, raw := e.status(t, "")
		if st.Node != "node-a" || st.Decider == nil || *st.Decider != (api.StatusDecider{Node: "node-a", Self: true}) {
			t.Fatalf("node %q, decider %+v", st.Node, st.Decider)
		}
		if st.Log == nil || st.Log.Stream != natslog.DefaultStream || st.Log.Head == nil || *st.Log.Head != head || st.Log.Error != "" {
			t.Fatalf("log %+v, want stream %s at head %d", st.Log, natslog.DefaultStream, head)
		}
		if !st.Ready || raw["problem"] != nil {
			t.Fatalf("ready %v, problem %v", st.Ready, raw["problem"])
		}
		want := e.digests(t)
		var names []string
		for _, v := range st.Views {
			names = append(names, v.Name)
			if v.Position != head || v.Digest != want[v.Name] || v.Error != "" {
				t.Errorf("view %+v, want position %d and digest %s", v, head, want[v.Name])
			}
		}
		if strings.Join(names, " ") != "statements documents jp" {
			t.Fatalf("views %v", names)
		}
	})
	t.Run("a view that moved on is digested again at its new position", func(t *testing.T) {
		before, _ := e.status(t, "")
		expect(t, e.xapi.do(t, req{method: "POST", path: "/statements", body: stmt("", "http://e.com/status/2")}), 200)
		head := e.settle(t)
		after, _ := e.status(t, "")
		want := e.digests(t)
		for i, v := range after.Views {
			if v.Position != head || v.Digest != want[v.Name] {
				t.Errorf("view %+v after a write, want position %d and digest %s", v, head, want[v.Name])
			}
			if v.Name == "statements" && v.Digest == before.Views[i].Digest {
				t.Errorf("the statement view's digest did not change with a statement: %s", v.Digest)
			}
		}
	})
	t.Run("digests=false shows the positions without digests", func(t *testing.T) {
		head := e.settle(t)
		st, raw := e.status(t, "?digests=false")
		for i, v := range st.Views {
			if v.Position != head || v.Digest != "" {
				t.Errorf("view %+v, want position %d and no digest", v, head)
			}
			if _, ok := raw["views"].([]any)[i].(map[string]any)["digest"]; ok {
				t.Errorf("view %s has a digest key with digests=false", v.Name)
			}
		}
		expect(t, e.auditor.do(t, req{method: "GET", path: "/status?digests=maybe"}), 400, "digests")
		expect(t, e.auditor.do(t, req{method: "GET", path: "/status?verbose=1"}), 400, "verbose")
	})
	t.Run("nodes=all lists every node that answered: a node alone, itself", func(t *testing.T) {
		head := e.settle(t)
		st, _ := e.status(t, "?nodes=all&digests=false")
		if len(st.Nodes) != 1 {
			t.Fatalf("nodes %s: want this node alone", st.Nodes)
		}
		var self api.Status
		if err := json.Unmarshal(st.Nodes[0], &self); err != nil || self.Node != st.Node || len(self.Views) != len(st.Views) || self.Views[0].Position != head {
			t.Fatalf("the node listed %s (%v): want this node's status at %d", st.Nodes[0], err, head)
		}
		expect(t, e.auditor.do(t, req{method: "GET", path: "/status?nodes=some"}), 400, "nodes")
	})
	t.Run("auditors and admins read it; a platform is refused; without credentials 401", func(t *testing.T) {
		expect(t, e.admin.do(t, req{method: "GET", path: "/status?digests=false"}), 200, `"views"`)
		expect(t, e.admin.do(t, req{method: "HEAD", path: "/status"}), 200)
		expect(t, e.lms.do(t, req{method: "GET", path: "/status"}), 403, "policy: status")
		expect(t, e.lms.do(t, req{method: "GET", path: "/status", noAuth: true}), 401)
	})
	t.Run("a node that is not ready says why", func(t *testing.T) {
		why := errors.New("appends to the log fail: test")
		e.notReady.Store(&why)
		defer e.notReady.Store(nil)
		st, _ := e.status(t, "?digests=false")
		if st.Ready || st.Problem != why.Error() {
			t.Fatalf("ready %v, problem %q", st.Ready, st.Problem)
		}
	})
}

// Without a node id the node is "" and the decider null; a log that cannot
// be read is named with why, and the views are still shown.
func TestStatus_WithoutNodeAndWithALogThatCannotBeRead(t *testing.T) {
	s := lrstest.NATS(t)
	nc := lrstest.Conn(t, s)
	gone, err := natslog.Open(t.Context(), nc, natslog.Config{Stream: "OTHER"})
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	e := newStatusEnv(t, func(c *api.Config) {
		c.Node = nil
		c.LogHead = func(ctx context.Context) (string, uint64, error) {
			head, err := gone.LastSeq(ctx)
			return gone.Name(), head, err
		}
	})
	st, raw := e.status(t, "")
	if st.Node != "" || raw["decider"] != nil {
		t.Fatalf("node %q, decider %v: want \"\" and null", st.Node, raw["decider"])
	}
	if _, ok := raw["decider"]; !ok {
		t.Fatal("decider is left out, want null")
	}
	if st.Log == nil || st.Log.Stream != "OTHER" || st.Log.Head != nil || st.Log.Error == "" {
		t.Fatalf("log %+v: want stream OTHER with an error and no head", st.Log)
	}
	if len(st.Views) != 3 || st.Views[0].Digest == "" {
		t.Fatalf("views %+v", st.Views)
	}
}
