package lrs_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/projections"
)

// testLease is a lease the test hands out and takes back.
type testLease struct {
	mu   sync.Mutex
	term uint64
	held bool
}

func (l *testLease) Held() (uint64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.term, l.held
}

func (l *testLease) set(term uint64, held bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.term, l.held = term, held
}

// An appender whose node does not hold the lease appends nothing and says
// so (ENOTDECIDED, ErrNotDecider: the request may go to the deciding
// node); holding it, it appends; after another node appended under
// another term, it decides on the log as it is: first writer wins, and
// the chain links every event to the one before (ADR 26).
func TestAppender_AppendsOnlyUnderTheLease(t *testing.T) {
	s := lrstest.NATS(t)
	ctx := context.Background()
	log := lrstest.Log(t, s)
	views, err := projections.Open(t.TempDir(), 16<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { views.Close() })
	lease := &testLease{}
	app := lrs.NewAppender(lrs.AppenderConfig{Log: log, View: views.Statements, Documents: views.Documents, Lease: lease.Held})
	runNode(t, log, views.All(), app)

	s1 := testStatement(t, uuid.New(), "http://e.com/1")
	_, err = app.Append(ctx, []lrs.Statement{s1}, by)
	if lrs.ErrorCode(err) != lrs.ENOTDECIDED || !errors.Is(err, lrs.ErrNotDecider) {
		t.Fatalf("append without the lease: %v; want %s with ErrNotDecider", err, lrs.ENOTDECIDED)
	}
	if _, err := app.AppendEvent(ctx, "jejak.test", 1, "test", []byte(`{}`), by); !errors.Is(err, lrs.ErrNotDecider) {
		t.Fatalf("event without the lease: %v; want ErrNotDecider", err)
	}
	if last, err := log.LastSeq(ctx); err != nil || last != 0 {
		t.Fatalf("the log holds %d events (%v) after refusals", last, err)
	}

	lease.set(1, true)
	if _, err := app.Append(ctx, []lrs.Statement{s1}, by); err != nil {
		t.Fatalf("append under the lease: %v", err)
	}

	// Another node decides meanwhile (term 2) and stores x first.
	lease.set(1, false)
	other := lrstest.StartNode(t, lrstest.Log(t, s))
	x := uuid.New()
	if _, err := other.Appender.Append(ctx, []lrs.Statement{testStatement(t, x, "http://e.com/first")}, by); err != nil {
		t.Fatal(err)
	}
	lease.set(3, true) // back to this node, in a new term
	_, err = app.Append(ctx, []lrs.Statement{testStatement(t, x, "http://e.com/second")}, by)
	if lrs.ErrorCode(err) != lrs.ECONFLICT {
		t.Fatalf("x again with other content on the node deciding again: %v, want %s (first writer wins)", err, lrs.ECONFLICT)
	}
	s3 := testStatement(t, uuid.New(), "http://e.com/3")
	seq, err := app.Append(ctx, []lrs.Statement{s3}, by)
	if err != nil {
		t.Fatal(err)
	}
	if seq != 3 {
		t.Fatalf("appended at %d, want 3 (after the other node's event)", seq)
	}
	v := lrs.NewVerifier(1)
	for _, ev := range readLog(t, log) {
		if err := v.Event(ev.Seq, ev.Data, 0); err != nil {
			t.Fatalf("chain: %v", err)
		}
	}
}
