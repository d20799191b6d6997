package lrs_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/lrs/natslog"
	"github.com/jejak-id/jejak/projections"
)

// foreignEvents appends, after the event last, three messages that are not
// Jejak events, as an outside client with publish rights on jejak.> could:
// an envelope with the right sequence and chain link whose statement has
// no id, an envelope of an unknown schema version, and garbage. It returns
// their sequences.
func foreignEvents(t *testing.T, log *natslog.Log, last lrs.LogEvent) []uint64 {
	t.Helper()
	ctx := context.Background()
	prev := lrs.HashEvent(last.Data)
	seq := last.Seq
	msgs := [][]byte{
		lrs.EncodeEnvelope(nil, lrs.EventStatements, 1, seq+1, lrs.DefaultStore, time.Now(), prev, []byte(`{"batches":[{"by":"x","statements":[{"id":"not-a-uuid"}]}]}`)),
		lrs.EncodeEnvelope(nil, lrs.EventStatements, 9, seq+2, lrs.DefaultStore, time.Now(), prev, []byte(`{"batches":[]}`)),
		[]byte(`{"type":"xapi.statements","v":1,"garbage":true}`),
	}
	var seqs []uint64
	for i, m := range msgs {
		got, err := log.Append(ctx, lrs.AppendRequest{Subject: lrs.Subject(lrs.DefaultStore, "statements"), Data: m, MsgID: uuid.NewString(), ExpectLast: seq + uint64(i)})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, got)
	}
	return seqs
}

// runNode feeds view from log and runs app until the test ends.
func runNode(t *testing.T, log lrs.LogReader, views []projections.Projection, app *lrs.Appender) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() {
		if err := projections.RunAll(ctx, log, views, slog.New(slog.DiscardHandler)); err != nil {
			t.Errorf("projector: %v", err)
		}
		done <- struct{}{}
	}()
	go func() {
		if err := app.Run(ctx); err != nil {
			t.Errorf("appender: %v", err)
		}
		done <- struct{}{}
	}()
	t.Cleanup(func() { cancel(); <-done; <-done })
}

// Messages that are not Jejak's at the log's end (row 9 of issue 13) stop
// nothing: a node starts on the log, its views pass over them and count
// them, the next event links to the last Jejak event, and the chain
// verifies, listing them.
func TestAppender_ForeignEventsAtTheTailArePassedOver(t *testing.T) {
	s := lrstest.NATS(t)
	ctx := context.Background()
	first := lrstest.StartNode(t, lrstest.Log(t, s))
	s1 := testStatement(t, uuid.New(), "http://e.com/1")
	if _, err := first.Appender.Append(ctx, []lrs.Statement{s1}, by); err != nil {
		t.Fatal(err)
	}
	log := lrstest.Log(t, s)
	last, err := log.Last(ctx)
	if err != nil {
		t.Fatal(err)
	}
	foreign := foreignEvents(t, log, last)

	// a node starting now, with fresh views
	views, err := projections.Open(t.TempDir(), 16<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { views.Close() })
	app := lrs.NewAppender(lrs.AppenderConfig{Log: log, View: views.Statements, Documents: views.Documents})
	runNode(t, log, views.All(), app)
	s2 := testStatement(t, uuid.New(), "http://e.com/2")
	seq, err := app.Append(ctx, []lrs.Statement{s2}, by)
	if err != nil {
		t.Fatal(err)
	}
	if want := foreign[len(foreign)-1] + 1; seq != want {
		t.Fatalf("appended at %d, want %d", seq, want)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := views.Statements.WaitApplied(wctx, seq); err != nil {
		t.Fatal(err)
	}
	for _, st := range []lrs.Statement{s1, s2} {
		if _, err := views.Statements.Statement(ctx, st.ID, false); err != nil {
			t.Fatalf("statement %s: %v", st.ID, err)
		}
	}
	if n := views.Statements.Foreign(); n != uint64(len(foreign)) {
		t.Errorf("statement view passed over %d foreign events, want %d", n, len(foreign))
	}
	if n := views.Documents.Foreign(); n != 1 {
		t.Errorf("documents view passed over %d foreign events, want 1 (the garbage; the statement events are not its own)", n)
	}
	ev, err := log.Get(ctx, seq)
	if err != nil {
		t.Fatal(err)
	}
	if env, err := lrs.ReadEvent(new(fastjson.Parser), seq, ev.Data); err != nil || env.Prev != lrs.HashEvent(last.Data).String() {
		t.Fatalf("event %d: %v; want one linked to the last Jejak event %d", seq, err, last.Seq)
	}

	v := lrs.NewVerifier(1)
	for _, ev := range readLog(t, log) {
		if err := v.Event(ev.Seq, ev.Data, 0); err != nil {
			t.Fatal(err)
		}
	}
	sum := v.Summary()
	var listed []uint64
	for _, f := range sum.Foreign {
		listed = append(listed, f.Seq)
		if f.LinkedBy != 0 {
			t.Errorf("foreign event %d linked by %d: the appender linked to a foreign event", f.Seq, f.LinkedBy)
		}
	}
	if fmt.Sprint(listed) != fmt.Sprint(foreign) || sum.Last != seq || sum.Counts["xapi.statements v1"] != 2 {
		t.Fatalf("verified %+v, want foreign %v", sum, foreign)
	}
}

// restartable is an embedded server that can be stopped and started again
// on the same port and store, as an outside NATS would be.
type restartable struct {
	dir  string
	port int
	srv  *server.Server
}

func (r *restartable) start(t *testing.T) {
	t.Helper()
	listen := "127.0.0.1:" + strconv.Itoa(r.port)
	if r.port == 0 {
		listen = "127.0.0.1:-1"
	}
	s, err := natslog.StartEmbedded(natslog.EmbeddedConfig{StoreDir: r.dir, Listen: listen})
	if err != nil {
		t.Fatal(err)
	}
	r.srv = s
	r.port = s.Addr().(*net.TCPAddr).Port
}

func (r *restartable) stop() {
	r.srv.Shutdown()
	r.srv.WaitForShutdown()
}

// An append whose outcome is unknown (the server went away) leaves the
// appender unsure of the log's tail: it reads the tail again before it
// decides or appends anything, so a retry is never acknowledged on the
// strength of an event that may not exist, and writes come back when the
// server does (issue 13, no sticky failure).
func TestAppender_RecoversWhenTheLogServerComesBack(t *testing.T) {
	r := &restartable{dir: t.TempDir()}
	r.start(t)
	t.Cleanup(func() {
		if r.srv.Running() {
			r.stop()
		}
	})
	nc, err := nats.Connect(r.srv.ClientURL(), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx := context.Background()
	log, err := natslog.Open(ctx, nc, natslog.Config{})
	if err != nil {
		t.Fatal(err)
	}
	views, err := projections.Open(t.TempDir(), 16<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { views.Close() })
	app := lrs.NewAppender(lrs.AppenderConfig{Log: log, View: views.Statements, Documents: views.Documents, AppendTimeout: time.Second})
	runNode(t, log, views.All(), app)

	s1 := testStatement(t, uuid.New(), "http://e.com/1")
	if _, err := app.Append(ctx, []lrs.Statement{s1}, by); err != nil {
		t.Fatal(err)
	}
	r.stop()
	s2 := testStatement(t, uuid.New(), "http://e.com/2")
	for i := range 2 {
		seq, err := app.Append(ctx, []lrs.Statement{s2}, by)
		if lrs.ErrorCode(err) != lrs.EUNAVAILABLE {
			t.Fatalf("append %d with the server down = seq %d, err %v; want unavailable", i+1, seq, err)
		}
	}
	if since, err := app.Failing(); since.IsZero() || err == nil {
		t.Fatal("the appender does not report failing appends")
	}

	r.start(t)
	for !nc.IsConnected() {
		time.Sleep(10 * time.Millisecond)
	}
	// A client retries what was not acknowledged; the views' followers
	// take a moment to come back too.
	var seq2 uint64
	for attempt := 1; ; attempt++ {
		if seq2, err = app.Append(ctx, []lrs.Statement{s2}, by); err == nil {
			break
		}
		if attempt == 20 {
			t.Fatalf("append after the server came back, %d attempts: %v", attempt, err)
		}
	}
	s3 := testStatement(t, uuid.New(), "http://e.com/3")
	seq3, err := app.Append(ctx, []lrs.Statement{s3}, by)
	if err != nil {
		t.Fatal(err)
	}
	if since, _ := app.Failing(); !since.IsZero() {
		t.Fatal("the appender still reports failing after appends succeeded")
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := views.Statements.WaitApplied(wctx, seq3); err != nil {
		t.Fatal(err)
	}
	for _, st := range []lrs.Statement{s1, s2, s3} {
		if _, err := views.Statements.Statement(ctx, st.ID, false); err != nil {
			t.Fatalf("statement %s: %v", st.ID, err)
		}
	}
	// each statement once: the append that timed out may have landed when
	// the connection came back, and then the retry found it
	evs := readLog(t, log)
	checkChain(t, evs)
	var p fastjson.Parser
	stored := map[string]int{}
	for _, ev := range evs {
		env, err := lrs.DecodeEnvelope(&p, ev.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range env.Payload.GetArray("batches") {
			for _, st := range b.GetArray("statements") {
				stored[string(st.GetStringBytes("id"))]++
			}
		}
	}
	if len(stored) != 3 || stored[s1.ID.String()] != 1 || stored[s2.ID.String()] != 1 || stored[s3.ID.String()] != 1 || seq2 >= seq3 {
		t.Fatalf("statements in the log %v (s2 at %d, s3 at %d); want each of 3 once", stored, seq2, seq3)
	}
}

// The embedded server's JetStream stops (as nats-server stops it when its
// store cannot be written): appends fail and the appender says so; when it
// runs again, writes come back without a restart of the appender.
func TestAppender_RecoversWhenEmbeddedJetStreamComesBack(t *testing.T) {
	if raceDetector {
		// nats-server's EnableJetStream writes state its running
		// connections read without a lock: a race in the server, not here.
		t.Skip("nats-server's EnableJetStream is not safe with -race")
	}
	dir := t.TempDir()
	s, err := natslog.StartEmbedded(natslog.EmbeddedConfig{StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	log := lrstest.Log(t, s)
	views, err := projections.Open(t.TempDir(), 16<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { views.Close() })
	app := lrs.NewAppender(lrs.AppenderConfig{Log: log, View: views.Statements, Documents: views.Documents, AppendTimeout: time.Second})
	runNode(t, log, views.All(), app)
	ctx := context.Background()
	if _, err := app.Append(ctx, []lrs.Statement{testStatement(t, uuid.New(), "http://e.com/1")}, by); err != nil {
		t.Fatal(err)
	}
	if err := s.DisableJetStream(); err != nil {
		t.Fatal(err)
	}
	s2 := testStatement(t, uuid.New(), "http://e.com/2")
	if _, err := app.Append(ctx, []lrs.Statement{s2}, by); lrs.ErrorCode(err) != lrs.EUNAVAILABLE {
		t.Fatalf("append with JetStream stopped: %v, want unavailable", err)
	}
	if since, _ := app.Failing(); since.IsZero() {
		t.Fatal("the appender does not report failing appends")
	}
	if err := s.EnableJetStream(&server.JetStreamConfig{StoreDir: dir, SyncAlways: true}); err != nil {
		t.Fatal(err)
	}
	var seq uint64
	for attempt := 1; ; attempt++ {
		if seq, err = app.Append(ctx, []lrs.Statement{s2}, by); err == nil {
			break
		}
		if attempt == 20 {
			t.Fatalf("append after JetStream came back, %d attempts: %v", attempt, err)
		}
	}
	if since, _ := app.Failing(); !since.IsZero() {
		t.Fatal("the appender still reports failing after an append succeeded")
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := views.Statements.WaitApplied(wctx, seq); err != nil {
		t.Fatal(err)
	}
	if _, err := views.Statements.Statement(ctx, s2.ID, false); err != nil {
		t.Fatal(err)
	}
	checkChain(t, readLog(t, log))
}
