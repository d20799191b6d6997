package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jejak-id/jejak/api"
)

// runStatusCmd runs `jejak status args…` and returns what it printed, its
// exit status (0, or that of its exitError; 2 for a usage error) and its
// error.
func runStatusCmd(t *testing.T, args ...string) (string, int, error) {
	t.Helper()
	var out strings.Builder
	err := run(context.Background(), append([]string{"status", "--auth", testKey + ":" + testSecret}, args...), func(string) string { return "" }, nil, &out, &out)
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		return out.String(), 0, nil
	case errors.As(err, &ee):
		return out.String(), ee.code, err
	case errors.As(err, &ue):
		return out.String(), 2, err
	}
	t.Fatalf("jejak status %v: %v\n%s", args, err, out.String())
	return "", 0, nil
}

// Two nodes on one log (an outside NATS): `jejak status` shows each node's
// log head and views, and compares them: a node read twice is the same as
// itself (0); a node whose JP view was folded for another home page
// differs from the first in that view only, at the same position (1, the
// view and both nodes named); a read-only node whose views stop before the
// log's head never meets the others (3); a node that does not answer is
// named (4). The digests it shows are those `jejak replay --out` prints at
// the same position.
func TestStatus_ComparesNodes(t *testing.T) {
	o := &outsideNATS{dir: t.TempDir(), addr: freeAddr(t)}
	o.start(t)
	nats := "nats://" + o.addr
	admin := testKey + ":" + testSecret + ":admin"
	a := startServe(t, t.TempDir(), "--nats-url", nats, "--credentials", admin)
	for i := range 3 {
		body := fmt.Sprintf(`{"actor":{"account":{"homePage":"https://siasn.bkn.go.id","name":"199001012015011001"}},"verb":{"id":%q},"object":{"id":"https://e.go.id/c/%d"}}`, completedVerb, i)
		send(t, "POST", a.base+"/statements", testKey, testSecret, body, 200)
	}
	b := startServe(t, t.TempDir(), "--nats-url", nats, "--credentials", admin, "--home-page", "https://other.example.go.id")

	t.Run("one node read twice is the same as itself", func(t *testing.T) {
		out, code, err := runStatusCmd(t, "--url", a.base+","+a.base, "--wait", "30s")
		if code != 0 || !strings.Contains(out, "same: every view has the same digest on all 2 nodes") {
			t.Fatalf("exit %d (%v):\n%s", code, err, out)
		}
		for _, col := range []string{"URL", "NODE", "DECIDER", "HEAD", "STATEMENTS", "DOCUMENTS", "JP"} {
			if !strings.Contains(out, col) {
				t.Errorf("the table has no column %s:\n%s", col, out)
			}
		}
		out, code, err = runStatusCmd(t, "--url", a.base+","+a.base, "--wait", "30s", "--json")
		var rep statusReport
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Verdict != "same" || len(rep.Nodes) != 2 {
			t.Fatalf("--json: exit %d (%v):\n%s", code, err, out)
		}
		st := rep.Nodes[0].Status
		if st == nil || st.Log == nil || st.Log.Head == nil || *st.Log.Head != rep.Target || len(st.Views) != 3 {
			t.Fatalf("--json node: %+v", rep.Nodes[0])
		}
		for _, v := range st.Views {
			if v.Position != rep.Target || len(v.Digest) != 64 {
				t.Errorf("view %+v, want position %d and a digest", v, rep.Target)
			}
		}
	})
	t.Run("each node shows its own id and the same deciding node", func(t *testing.T) {
		var rep statusReport
		for i := 0; ; i++ { // until the second node has seen the lease
			out, _, _ := runStatusCmd(t, "--url", a.base+","+b.base, "--json")
			if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Nodes) != 2 || rep.Nodes[0].Status == nil || rep.Nodes[1].Status == nil {
				t.Fatalf("--json: %v\n%s", err, out)
			}
			if rep.Nodes[0].Status.Decider != nil && rep.Nodes[1].Status.Decider != nil {
				break
			}
			if i == 300 {
				t.Fatalf("a node names no deciding node: %+v %+v", rep.Nodes[0].Status, rep.Nodes[1].Status)
			}
			time.Sleep(20 * time.Millisecond)
		}
		sa, sb := rep.Nodes[0].Status, rep.Nodes[1].Status
		if sa.Node == "" || sb.Node == "" || sa.Node == sb.Node {
			t.Fatalf("node ids %q and %q: want two ids", sa.Node, sb.Node)
		}
		// the first node appended the statements: it decides
		if *sa.Decider != (api.StatusDecider{Node: sa.Node, Self: true}) || *sb.Decider != (api.StatusDecider{Node: sa.Node, Self: false}) {
			t.Fatalf("deciders %+v and %+v: want %s, itself on the first node", *sa.Decider, *sb.Decider, sa.Node)
		}
	})
	t.Run("a view that differs at the same position is named with both nodes", func(t *testing.T) {
		out, code, err := runStatusCmd(t, "--url", a.base+","+b.base, "--wait", "30s")
		if code != 1 || err == nil {
			t.Fatalf("exit %d (%v), want 1:\n%s", code, err, out)
		}
		msg := err.Error()
		if !strings.Contains(msg, "view jp differs at position") || !strings.Contains(msg, strings.TrimSuffix(a.base, "/xapi")) || !strings.Contains(msg, strings.TrimSuffix(b.base, "/xapi")) {
			t.Fatalf("the difference is not named with the view and both nodes: %v", msg)
		}
	})
	t.Run("every node answers for itself on any node, and the web marks the view that differs", func(t *testing.T) {
		var st api.Status
		var nodes []api.Status
		for i := 0; ; i++ { // until both nodes answer at the log's head
			if err := json.Unmarshal(send(t, "GET", strings.TrimSuffix(b.base, "/xapi")+"/api/v1/status?nodes=all", testKey, testSecret, "", 200), &st); err != nil {
				t.Fatal(err)
			}
			nodes = nodes[:0]
			for _, raw := range st.Nodes {
				var n api.Status
				if err := json.Unmarshal(raw, &n); err != nil {
					t.Fatalf("a node's status %s: %v", raw, err)
				}
				nodes = append(nodes, n)
			}
			if len(nodes) == 2 && nodes[0].Views[0].Position == nodes[1].Views[0].Position {
				break
			}
			if i == 100 {
				t.Fatalf("GET /api/v1/status?nodes=all on one node: %d nodes answered, want both: %+v", len(nodes), nodes)
			}
			time.Sleep(50 * time.Millisecond)
		}
		ids := []string{nodes[0].Node, nodes[1].Node}
		slices.Sort(ids)
		if !slices.Contains(ids, st.Node) || ids[0] == ids[1] {
			t.Fatalf("nodes %v: want two ids, %s (the node asked) among them", ids, st.Node)
		}
		digest := func(n api.Status, view string) string {
			for _, v := range n.Views {
				if v.Name == view {
					return v.Digest
				}
			}
			return ""
		}
		if digest(nodes[0], "jp") == digest(nodes[1], "jp") || digest(nodes[0], "statements") != digest(nodes[1], "statements") {
			t.Fatalf("digests: want jp to differ and statements to agree: %+v", nodes)
		}
		c := signInWeb(t, strings.TrimSuffix(a.base, "/xapi"), testKey, testSecret)
		code, page := getPage(t, c, strings.TrimSuffix(a.base, "/xapi")+"/auditor")
		if code != 200 || strings.Count(page, "digest-differs") != 2 || !strings.Contains(page, `data-node="`+ids[0]+`"`) || !strings.Contains(page, `data-node="`+ids[1]+`"`) {
			t.Fatalf("/auditor on one node: %d; want both nodes and the jp view of each marked as differing:\n%s", code, mainOf(page))
		}
	})
	t.Run("views that never reach the log's head are apart", func(t *testing.T) {
		views := filepath.Join(t.TempDir(), "views")
		replayed := runOK(t, "replay", "--nats-url", nats, "--data", t.TempDir(), "--out", views, "--to-seq", "2", "--log-level", "warn")
		r := startServe(t, t.TempDir(), "--read-only", "--views", views, "--credentials", admin)
		out, code, err := runStatusCmd(t, "--url", a.base+","+r.base, "--wait", "300ms")
		if code != 3 || err == nil || !strings.Contains(err.Error(), "did not all reach one position") || !strings.Contains(err.Error(), "2 on "+strings.TrimSuffix(r.base, "/xapi")) {
			t.Fatalf("exit %d (%v), want 3 naming the read-only node at 2:\n%s", code, err, out)
		}
		// The read-only node's digests are those replay printed.
		out, code, err = runStatusCmd(t, "--url", r.base, "--json")
		var rep statusReport
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Nodes[0].Status == nil {
			t.Fatalf("status of the read-only node: exit %d (%v):\n%s", code, err, out)
		}
		if rep.Nodes[0].Status.Log != nil {
			t.Errorf("a read-only node shows a log: %+v", rep.Nodes[0].Status.Log)
		}
		var shown []string
		for _, v := range rep.Nodes[0].Status.Views {
			if v.Position != 2 {
				t.Errorf("read-only view %+v, want position 2", v)
			}
			shown = append(shown, fmt.Sprintf("  %-10s %s", v.Name, v.Digest))
		}
		if want := digestLines(t, replayed); strings.Join(shown, "\n") != strings.Join(want, "\n") {
			t.Fatalf("status shows\n%s\nreplay printed\n%s", strings.Join(shown, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("a node that does not answer is named", func(t *testing.T) {
		gone := "http://" + freeAddr(t)
		out, code, err := runStatusCmd(t, "--url", a.base+","+gone)
		if code != 4 || err == nil || !strings.Contains(err.Error(), gone+" could not be read") {
			t.Fatalf("exit %d (%v), want 4 naming %s:\n%s", code, err, gone, out)
		}
	})
	t.Run("remote nodes only with --allow-remote; --auth is needed", func(t *testing.T) {
		if _, code, err := runStatusCmd(t, "--url", "http://192.0.2.1:8080"); code != 2 || !strings.Contains(err.Error(), "--allow-remote") {
			t.Fatalf("a remote node: exit %d (%v), want 2 naming --allow-remote", code, err)
		}
		var out strings.Builder
		err := run(context.Background(), []string{"status", "--url", a.base}, func(string) string { return "" }, nil, &out, &out)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--auth") {
			t.Fatalf("without --auth: %v", err)
		}
	})
}
