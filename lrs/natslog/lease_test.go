package natslog_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jejak-id/jejak/lrs/natslog"
	"github.com/jejak-id/jejak/lrs/natslog/natstest"
)

type leaseNode struct {
	id     string
	nc     *nats.Conn
	lease  *natslog.Lease
	cancel context.CancelFunc
	done   chan struct{}
}

func startLease(t *testing.T, url, id string, ttl time.Duration) *leaseNode {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := natslog.OpenLease(ctx, nc, natslog.LeaseConfig{Bucket: "TEST_DECIDER", Replicas: 3, Node: id, Subject: natslog.DecideSubject("TEST", id), TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	n := &leaseNode{id: id, nc: nc, lease: l, done: make(chan struct{})}
	rctx, rcancel := context.WithCancel(context.Background())
	n.cancel = rcancel
	go func() { defer close(n.done); l.Run(rctx) }()
	t.Cleanup(func() { rcancel(); <-n.done })
	return n
}

// holder waits until exactly one of nodes holds the lease and returns it.
func holder(t *testing.T, nodes []*leaseNode, within time.Duration) *leaseNode {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		var h *leaseNode
		n := 0
		for _, x := range nodes {
			if _, held := x.lease.Held(); held {
				h, n = x, n+1
			}
		}
		if n == 1 {
			return h
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no single holder of the lease within %v", within)
	return nil
}

// Of three nodes on a three-server cluster one decides and the others know
// it; when it stops, another takes over at once; when it is lost without a
// word (its connection gone), another takes over once the lease lapses; a
// node that comes back under the id of the holder takes its lease back at
// once. At no moment do two nodes hold the lease.
func TestLease_OneNodeDecidesAtATime(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	const ttl = time.Second
	var nodes []*leaseNode
	for i := range 3 {
		nodes = append(nodes, startLease(t, c.URLs[i], fmt.Sprintf("node-%d", i+1), ttl))
	}
	var mu sync.Mutex
	watched := append([]*leaseNode(nil), nodes...)
	var twice atomic.Value
	stop := make(chan struct{})
	watching := make(chan struct{})
	go func() { // at most one holder, sampled all along
		defer close(watching)
		for {
			select {
			case <-stop:
				return
			default:
			}
			mu.Lock()
			var holders []string
			for _, x := range watched {
				if _, held := x.lease.Held(); held {
					holders = append(holders, x.id)
				}
			}
			mu.Unlock()
			if len(holders) > 1 {
				twice.Store(fmt.Sprint(holders))
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	defer func() {
		close(stop)
		<-watching
		if h := twice.Load(); h != nil {
			t.Errorf("two nodes held the lease at once: %v", h)
		}
	}()

	first := holder(t, nodes, 20*time.Second)
	for _, x := range nodes {
		h, self, ok := x.lease.Holder()
		if deadline := time.Now().Add(10 * time.Second); !ok || h.Node != first.id {
			for (!ok || h.Node != first.id) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
				h, self, ok = x.lease.Holder()
			}
		}
		if !ok || h.Node != first.id || self != (x == first) || h.Subject != natslog.DecideSubject("TEST", first.id) {
			t.Fatalf("%s sees holder %+v (self %v, known %v), want %s", x.id, h, self, ok, first.id)
		}
	}

	// A holder that stops gives the lease up.
	start := time.Now()
	first.cancel()
	<-first.done
	rest := others(nodes, first)
	second := holder(t, rest, 20*time.Second)
	t.Logf("after a stop, %s took over in %v", second.id, time.Since(start).Round(time.Millisecond))

	// A holder lost without a word: the lease lapses first.
	start = time.Now()
	second.nc.Close()
	second.cancel()
	third := holder(t, others(rest, second), 20*time.Second)
	t.Logf("after a loss, %s took over in %v (TTL %v)", third.id, time.Since(start).Round(time.Millisecond), ttl)
	if _, held := second.lease.Held(); held {
		t.Fatalf("the lost node %s still counts on the lease after another took it", second.id)
	}

	// The holder's process restarts: the same id takes it back at once.
	third.nc.Close()
	third.cancel()
	<-third.done
	back := startLease(t, c.URLs[0], third.id, ttl)
	mu.Lock()
	watched = append(watched, back)
	mu.Unlock()
	start = time.Now()
	if got := holder(t, []*leaseNode{back}, 20*time.Second); got != back {
		t.Fatal("the restarted node did not take its lease back")
	}
	t.Logf("a restarted holder took its lease back in %v", time.Since(start).Round(time.Millisecond))
	if t1, _ := back.lease.Held(); t1 == 0 {
		t.Fatal("term 0 under a held lease")
	}
}

func others(nodes []*leaseNode, not *leaseNode) []*leaseNode {
	var out []*leaseNode
	for _, x := range nodes {
		if x != not {
			out = append(out, x)
		}
	}
	return out
}
