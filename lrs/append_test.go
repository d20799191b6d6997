package lrs_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/lrs/natslog"
	"github.com/jejak-id/jejak/projections"
)

// testStatement builds a stored-form statement without the validator.
func testStatement(t testing.TB, id uuid.UUID, object string) lrs.Statement {
	t.Helper()
	js := fmt.Sprintf(`{"id":%q,"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":%q},"version":"1.0.0"}`, id, object)
	v := fastjson.MustParse(js)
	return lrs.Statement{ID: id, JSON: []byte(js), Hash: lrs.ContentHash(v)}
}

var by = lrs.Authority{Key: "k", Store: lrs.DefaultStore, Agent: []byte(`{"mbox":"mailto:k@example.com"}`)}

// readLog returns every event of log.
func readLog(t *testing.T, log lrs.LogReader) []lrs.LogEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	last, err := log.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []lrs.LogEvent
	if last == 0 {
		return nil
	}
	_ = log.Follow(ctx, 1, func(evs []lrs.LogEvent) error {
		out = append(out, evs...)
		if uint64(len(out)) >= last {
			cancel()
		}
		return nil
	})
	return out
}

// checkChain verifies the hash chain and sequence numbers of the whole log.
func checkChain(t *testing.T, evs []lrs.LogEvent) {
	t.Helper()
	var p fastjson.Parser
	var prev lrs.Hash
	for i, ev := range evs {
		env, err := lrs.DecodeEnvelope(&p, ev.Data)
		if err != nil {
			t.Fatalf("event %d: %v", ev.Seq, err)
		}
		if env.Seq != uint64(i+1) || ev.Seq != env.Seq {
			t.Fatalf("event at %d says seq %d", ev.Seq, env.Seq)
		}
		if env.Prev != prev.String() {
			t.Fatalf("event %d: prev %q, want %q", ev.Seq, env.Prev, prev)
		}
		prev = lrs.HashEvent(ev.Data)
	}
}

func TestAppender_GroupCommitMergesQueuedRequests(t *testing.T) {
	log := lrstest.Log(t, lrstest.NATS(t))
	view := lrstest.StatementView(t)
	app := lrs.NewAppender(lrs.AppenderConfig{Log: log, View: view})
	const n = 50
	var wg sync.WaitGroup
	seqs := make([]uint64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seqs[i], errs[i] = app.Append(context.Background(), []lrs.Statement{testStatement(t, uuid.New(), "http://e.com/a")}, by)
		}()
	}
	for app.Queued() < n {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go app.Run(ctx)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || seqs[i] != 1 {
			t.Fatalf("request %d: seq %d, err %v; want all in event 1", i, seqs[i], errs[i])
		}
	}
	evs := readLog(t, log)
	if len(evs) != 1 {
		t.Fatalf("log has %d events, want 1 merged event", len(evs))
	}
	if got := len(fastjson.MustParseBytes(evs[0].Data).GetArray("payload", "batches")); got != n {
		t.Fatalf("event holds %d batches, want %d", got, n)
	}
}

func TestAppender_StatementIDsFirstWriterWins(t *testing.T) {
	node := lrstest.StartNode(t, lrstest.Log(t, lrstest.NATS(t)))
	ctx := context.Background()
	id := uuid.New()
	first := testStatement(t, id, "http://e.com/first")
	seq, err := node.Appender.Append(ctx, []lrs.Statement{first}, by)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("XAPI-00142 same id same content is a no-op", func(t *testing.T) {
		if _, err := node.Appender.Append(ctx, []lrs.Statement{first}, by); err != nil {
			t.Fatalf("resend: %v", err)
		}
		if node.Appender.LastSeq() != seq {
			t.Fatalf("resend appended an event: last seq %d, want %d", node.Appender.LastSeq(), seq)
		}
	})
	t.Run("XAPI-00142 same id other content is a conflict and changes nothing", func(t *testing.T) {
		other := testStatement(t, id, "http://e.com/other")
		fresh := testStatement(t, uuid.New(), "http://e.com/x")
		_, err := node.Appender.Append(ctx, []lrs.Statement{fresh, other}, by)
		if lrs.ErrorCode(err) != lrs.ECONFLICT {
			t.Fatalf("err = %v, want conflict", err)
		}
		if node.Appender.LastSeq() != seq {
			t.Fatal("a rejected batch appended an event")
		}
		if err := node.View.WaitApplied(ctx, seq); err != nil {
			t.Fatal(err)
		}
		if _, err := node.View.Statement(ctx, fresh.ID, false); lrs.ErrorCode(err) != lrs.ENOTFOUND {
			t.Fatalf("statement from the rejected batch is stored: %v", err)
		}
	})
	t.Run("a statement acknowledged but not yet projected still conflicts", func(t *testing.T) {
		id2 := uuid.New()
		if _, err := node.Appender.Append(ctx, []lrs.Statement{testStatement(t, id2, "http://e.com/1")}, by); err != nil {
			t.Fatal(err)
		}
		if _, err := node.Appender.Append(ctx, []lrs.Statement{testStatement(t, id2, "http://e.com/2")}, by); lrs.ErrorCode(err) != lrs.ECONFLICT {
			t.Fatalf("err = %v, want conflict", err)
		}
	})
	checkChain(t, readLog(t, node.Log))
}

// Two nodes on one log race to write the same ids with different content:
// exactly one write of each id wins, both views agree, the chain holds.
func TestAppender_TwoNodesAgreeOnConflicts(t *testing.T) {
	s := lrstest.NATS(t)
	a := lrstest.StartNode(t, lrstest.Log(t, s))
	b := lrstest.StartNode(t, lrstest.Log(t, s))
	ctx := context.Background()
	const n = 40
	type result struct {
		node string
		err  error
	}
	results := make([][2]result, n)
	idsList := make([]uuid.UUID, n)
	var wg sync.WaitGroup
	for i := range n {
		idsList[i] = uuid.New()
		for j, node := range []*lrstest.Node{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := string(rune('a' + j))
				_, err := node.Appender.Append(ctx, []lrs.Statement{testStatement(t, idsList[i], "http://e.com/"+name)}, by)
				results[i][j] = result{name, err}
			}()
		}
	}
	wg.Wait()
	last := max(a.Appender.LastSeq(), b.Appender.LastSeq())
	for _, node := range []*lrstest.Node{a, b} {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := node.View.WaitApplied(wctx, last); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	for i := range n {
		var winner string
		wins := 0
		for _, r := range results[i] {
			switch lrs.ErrorCode(r.err) {
			case "":
				wins++
				winner = r.node
			case lrs.ECONFLICT:
			default:
				t.Fatalf("id %d node %s: unexpected error %v", i, r.node, r.err)
			}
		}
		if wins != 1 {
			t.Fatalf("id %d: %d writers won, want exactly 1", i, wins)
		}
		for _, node := range []*lrstest.Node{a, b} {
			st, err := node.View.Statement(ctx, idsList[i], false)
			if err != nil {
				t.Fatal(err)
			}
			if want := "http://e.com/" + winner; fastjson.GetString(st.JSON, "object", "id") != want {
				t.Fatalf("id %d: view holds %s, winner wrote %s", i, st.JSON, want)
			}
		}
	}
	checkChain(t, readLog(t, a.Log))
}

var t0 = time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)

// With MaxLag, the appender does not run ahead of the statement view by more
// than that many statements: an append waits until the view folds what came
// before, and nothing waiting is lost.
func TestAppender_BackpressureWaitsForTheView(t *testing.T) {
	log := lrstest.Log(t, lrstest.NATS(t))
	view := lrstest.StatementView(t)
	app := lrs.NewAppender(lrs.AppenderConfig{Log: log, View: view, MaxLag: 5})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go app.Run(ctx)
	// No projector yet: the first append goes through (nothing pending)...
	batch := func(n int) []lrs.Statement {
		out := make([]lrs.Statement, n)
		for i := range out {
			out[i] = testStatement(t, uuid.New(), "http://e.com/a")
		}
		return out
	}
	if _, err := app.Append(ctx, batch(6), by); err != nil {
		t.Fatal(err)
	}
	// ...the next waits: 6 statements pending exceed MaxLag.
	done := make(chan error, 1)
	go func() {
		_, err := app.Append(ctx, batch(1), by)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("append went through with the view 6 statements behind (err %v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	if app.LastSeq() != 1 {
		t.Fatalf("last seq %d while held back, want 1", app.LastSeq())
	}
	// The view catches up: the waiting append goes through.
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go projections.Run(pctx, log, view, slog.New(slog.DiscardHandler))
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("append still held back after the view caught up")
	}
	if app.LastSeq() != 2 || app.HeldBack() <= 0 {
		t.Fatalf("last seq %d, held back %v; want 2 and some wait", app.LastSeq(), app.HeldBack())
	}
	checkChain(t, readLog(t, log))
}

// interjectingLog runs before once, ahead of the first pipelined append:
// another writer takes the log's next sequence while this one has events
// on their way.
type interjectingLog struct {
	*natslog.Log
	before func()
	once   sync.Once
}

func (l *interjectingLog) AppendAsync(r lrs.AppendRequest, timeout time.Duration) (lrs.PendingAppend, error) {
	l.once.Do(l.before)
	return l.Log.AppendAsync(r, timeout)
}

// Pipelined appends: when an event in flight does not land (another node
// came first), the event sent after it, chained on it, does not land either
// though its expected sequence now matches; both groups are decided again
// and every request is answered once, in a chain without a break.
func TestAppender_PipelinedEventsAfterALostOneAreDecidedAgain(t *testing.T) {
	s := lrstest.NATS(t)
	other := lrstest.StartNode(t, lrstest.Log(t, s))
	ctx := context.Background()
	otherID := uuid.New()
	log := &interjectingLog{Log: lrstest.Log(t, s), before: func() {
		if _, err := other.Appender.Append(ctx, []lrs.Statement{testStatement(t, otherID, "http://e.com/other")}, by); err != nil {
			t.Errorf("other node: %v", err)
		}
	}}
	view := lrstest.StatementView(t)
	one := testStatement(t, uuid.New(), "http://e.com/x")
	app := lrs.NewAppender(lrs.AppenderConfig{Log: log, View: view, MaxGroupBytes: 3 * len(one.JSON)})
	const n = 12
	var wg sync.WaitGroup
	stmts := make([]lrs.Statement, n)
	errs := make([]error, n)
	for i := range n {
		stmts[i] = testStatement(t, uuid.New(), "http://e.com/a")
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = app.Append(ctx, stmts[i:i+1], by)
		}()
	}
	for app.Queued() < n {
		time.Sleep(time.Millisecond)
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go projections.Run(rctx, log.Log, view, slog.New(slog.DiscardHandler))
	go app.Run(rctx)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	evs := readLog(t, log.Log)
	checkChain(t, evs)
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := view.WaitApplied(wctx, uint64(len(evs))); err != nil {
		t.Fatal(err)
	}
	for _, st := range append(stmts, lrs.Statement{ID: otherID}) {
		if _, err := view.Statement(ctx, st.ID, false); err != nil {
			t.Fatalf("statement %s: %v", st.ID, err)
		}
	}
	if _, ok := app.Inflight(); ok {
		t.Fatal("an event is still marked in flight")
	}
}
