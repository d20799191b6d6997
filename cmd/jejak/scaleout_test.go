package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jejak-id/jejak/lrs/natslog"
	"github.com/jejak-id/jejak/lrs/natslog/natstest"
)

// deciderNode returns the id of the node holding the log's lease, "" when
// none does.
func deciderNode(js jetstream.JetStream) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, natslog.DefaultStream+"_DECIDER")
	if err != nil {
		return ""
	}
	e, err := kv.Get(ctx, "decider")
	if err != nil {
		return ""
	}
	var h natslog.LeaseHolder
	_ = json.Unmarshal(e.Value(), &h)
	return h.Node
}

// nodeOf returns the node id kept in a data directory.
func nodeOf(t *testing.T, data string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "node-id"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// clusterLoad is the writes of the scale-out test and what each got.
type clusterLoad struct {
	mu      sync.Mutex
	batches []*sentBatch
	// contested ids: every node PUTs each with content of its own; the
	// contents that got 204
	won map[string][]string
	// the If-Match counter: writes acknowledged, and writes whose outcome
	// is unknown (no answer, or 503 after the deciding node was lost)
	counted, unknown int
	// failures by node and status; every 5xx must carry Retry-After
	failures map[string]int
	noRetry  []string
}

func (l *clusterLoad) fail(node string, res *http.Response) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures[fmt.Sprintf("%s %d", node, res.StatusCode)]++
	if res.StatusCode >= 500 && res.Header.Get("Retry-After") == "" {
		l.noRetry = append(l.noRetry, fmt.Sprintf("%s %d %s", node, res.StatusCode, res.Request.URL.Path))
	}
}

var loadClient = &http.Client{Timeout: 30 * time.Second}

func loadDo(ctx context.Context, method, url, body string, hdr map[string]string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.SetBasicAuth(testKey, testSecret)
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := loadClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b, nil
}

// Three Jejak nodes write to one log on a three-server JetStream cluster:
// node 1 a child process that decides first, nodes 2 and 3 in this
// process. Writers on every node post batches, race for the same
// statement ids with different content, and read-modify-write one State
// document with If-Match. Mid-load the NATS server leading the log is shut
// down and started again, then node 1 is killed with SIGKILL and nodes 2
// and 3 carry on. Then: every acknowledged batch is stored, no batch is
// half stored, each contested id holds the content of the one write that
// won, the document counted every acknowledged write, the chain verifies,
// and the views of every node equal a replay of the log (issue 17).
func TestCluster_NodesWriteAsOneAndSurviveLosses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a JetStream cluster and a child process")
	}
	c := natstest.StartCluster(t, 3)
	url := c.URL()
	common := []string{"--nats-url", url, "--lease-ttl", "1s", "--decide-timeout", "8s", "--log-failure-exit", "0"}
	data := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	childLog := &syncBuffer{}
	child, base1 := startChildWith(t, data[0], nil, childLog, append(common, "--replicas", "3", "--log-level", "info")...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("node 1 (child) logged:\n%s", childLog.String())
		}
	})
	js := jetStreamAt(t, url)
	for deadline := time.Now().Add(20 * time.Second); deciderNode(js) != nodeOf(t, data[0]); {
		if time.Now().After(deadline) {
			t.Fatal("node 1 did not take the lease")
		}
		time.Sleep(20 * time.Millisecond)
	}
	n2 := startServe(t, data[1], common...)
	n3 := startServe(t, data[2], common...)
	bases := []string{base1, n2.base, n3.base}
	names := []string{"node1", "node2", "node3"}

	load := &clusterLoad{won: map[string][]string{}, failures: map[string]int{}}
	ctx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	actor := `{"account":{"homePage":"https://siasn.bkn.go.id","name":"199001012015011001"}}`
	stateURL := "/activities/state?activityId=" + urlEscape("https://e.go.id/counter") + "&agent=" + urlEscape(actor) + "&stateId=count"
	var contested []string
	for range 40 {
		contested = append(contested, uuid.NewString())
	}
	for n, base := range bases {
		// two batch writers
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; ctx.Err() == nil; k++ {
					b := &sentBatch{}
					var stmts []string
					for j := range 5 {
						id := uuid.NewString()
						b.ids = append(b.ids, id)
						stmts = append(stmts, fmt.Sprintf(`{"id":%q,"actor":%s,"verb":{"id":%q},"object":{"id":"https://e.go.id/%d/%d/%d/%d"}}`, id, actor, completedVerb, n, w, k, j))
					}
					load.mu.Lock()
					load.batches = append(load.batches, b)
					load.mu.Unlock()
					res, _, err := loadDo(context.WithoutCancel(ctx), http.MethodPost, base+"/statements", "["+strings.Join(stmts, ",")+"]", nil)
					switch {
					case err != nil:
						if n == 0 {
							return // node 1 is gone
						}
						t.Errorf("%s: %v", names[n], err)
						return
					case res.StatusCode == http.StatusOK:
						load.mu.Lock()
						b.acked = true
						load.mu.Unlock()
					default:
						load.fail(names[n], res)
					}
				}
			}()
		}
		// one writer racing the other nodes for the contested ids
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, id := range contested {
				if ctx.Err() != nil {
					return
				}
				obj := fmt.Sprintf("https://e.go.id/contested/%s", names[n])
				res, _, err := loadDo(context.WithoutCancel(ctx), http.MethodPut, base+"/statements?statementId="+id,
					fmt.Sprintf(`{"actor":%s,"verb":{"id":%q},"object":{"id":%q}}`, actor, completedVerb, obj), nil)
				switch {
				case err != nil:
					return
				case res.StatusCode == http.StatusNoContent:
					load.mu.Lock()
					load.won[id] = append(load.won[id], obj)
					load.mu.Unlock()
				case res.StatusCode == http.StatusConflict:
				default:
					load.fail(names[n], res)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
		// one read-modify-write of the counter document
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				res, body, err := loadDo(context.WithoutCancel(ctx), http.MethodGet, base+stateURL, "", nil)
				if err != nil {
					return
				}
				var doc struct{ N int }
				hdr := map[string]string{"If-None-Match": "*"}
				switch res.StatusCode {
				case http.StatusOK:
					_ = json.Unmarshal(body, &doc)
					hdr = map[string]string{"If-Match": res.Header.Get("ETag")}
				case http.StatusNotFound:
				default:
					load.fail(names[n], res)
					continue
				}
				res, _, err = loadDo(context.WithoutCancel(ctx), http.MethodPut, base+stateURL, fmt.Sprintf(`{"N":%d}`, doc.N+1), hdr)
				switch {
				case err != nil:
					load.mu.Lock()
					load.unknown++
					load.mu.Unlock()
					return
				case res.StatusCode == http.StatusNoContent:
					load.mu.Lock()
					load.counted++
					load.mu.Unlock()
				case res.StatusCode == http.StatusPreconditionFailed:
				default:
					load.mu.Lock()
					load.unknown++ // 503: the write may be stored
					load.mu.Unlock()
					load.fail(names[n], res)
				}
			}
		}()
	}

	acked := func() int {
		load.mu.Lock()
		defer load.mu.Unlock()
		n := 0
		for _, b := range load.batches {
			if b.acked {
				n++
			}
		}
		return n
	}
	waitAcked := func(more int, why string) {
		t.Helper()
		want := acked() + more
		for deadline := time.Now().Add(30 * time.Second); acked() < want; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d batches acknowledged in 30 s, want %d", why, acked(), want)
			}
		}
	}
	waitAcked(100, "before any loss")

	// The NATS server leading the log goes away, and comes back.
	leader := c.StreamLeader(natslog.DefaultStream)
	if leader < 0 {
		t.Fatal("no server leads the log")
	}
	start := time.Now()
	c.Stop(leader)
	waitAcked(50, "with the log's leading NATS server down")
	t.Logf("NATS server %d (the log's leader) down: 50 more batches acknowledged within %v", leader+1, time.Since(start).Round(time.Millisecond))
	c.Restart(leader)

	// The deciding node is killed.
	waitAcked(50, "after the NATS server came back")
	start = time.Now()
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	waitAcked(50, "after the deciding node was killed")
	t.Logf("node 1 killed: 50 more batches acknowledged on nodes 2 and 3 within %v", time.Since(start).Round(time.Millisecond))
	stopLoad()
	wg.Wait()

	load.mu.Lock()
	defer load.mu.Unlock()
	if len(load.noRetry) > 0 {
		t.Errorf("5xx without Retry-After: %v", load.noRetry)
	}
	for k, n := range load.failures {
		if !strings.HasSuffix(k, " 503") && !strings.HasSuffix(k, " 500") {
			t.Errorf("%d failures %s: only 503 or 500 with Retry-After are expected", n, k)
		}
	}
	t.Logf("failures by node and status: %v", load.failures)

	// Read everything back on node 2 (node 3's views are compared below).
	base := n2.base
	ackedN, present := checkBatches(t, base, load.batches)
	for _, id := range contested {
		won := load.won[id]
		status, body, _ := call(t, http.MethodGet, base+"/statements?statementId="+id, nil)
		if len(won) == 0 {
			continue // every try failed or lost to a write whose answer was lost
		}
		if status != http.StatusOK {
			t.Fatalf("contested %s: %d, but %v was acknowledged", id, status, won)
		}
		for _, w := range won[1:] {
			if w != won[0] {
				t.Fatalf("contested %s: two contents acknowledged: %v (first writer must win)", id, won)
			}
		}
		if !strings.Contains(string(body), won[0]) {
			t.Fatalf("contested %s holds %s, but %s won", id, body, won[0])
		}
	}
	status, body, _ := call(t, http.MethodGet, base+stateURL, nil)
	var doc struct{ N int }
	if err := json.Unmarshal(body, &doc); status != http.StatusOK || err != nil {
		t.Fatalf("counter: %d %s", status, body)
	}
	if doc.N < load.counted || doc.N > load.counted+load.unknown {
		t.Fatalf("the counter is %d after %d acknowledged If-Match writes (%d unknown): an update was lost or doubled", doc.N, load.counted, load.unknown)
	}
	t.Logf("%d batches sent, %d acknowledged, %d stored; counter %d (%d acknowledged, %d unknown)", len(load.batches), ackedN, present, doc.N, load.counted, load.unknown)

	// The chain verifies, and every node's views equal a replay of the log:
	// node 1 restarted after its kill, nodes 2 and 3 stopped.
	if out := runOK(t, "audit", "verify", "--nats-url", url); !strings.Contains(out, "intact") {
		t.Fatalf("audit verify:\n%s", out)
	}
	n1 := startServe(t, data[0], common...)
	waitWritable(t, n1.base)
	for i, n := range []*testServer{n1, n2, n3} {
		if err := n.stop(); err != nil {
			t.Fatalf("%s stopped with %v", names[i], err)
		}
	}
	for i, d := range data {
		if out := runOK(t, "audit", "views", "--data", d, "--nats-url", url); !strings.Contains(out, "same") || strings.Contains(out, "differ") {
			t.Fatalf("%s: audit views:\n%s", names[i], out)
		}
	}
}

// waitWritable posts one statement until a node takes it.
func waitWritable(t *testing.T, base string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		status, body, _ := call(t, http.MethodPost, base+"/statements", statement("", completedVerb, "https://e.go.id/probe"))
		if status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write taken in 30 s: %d %s", status, body)
		}
	}
}
