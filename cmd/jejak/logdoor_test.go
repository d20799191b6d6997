package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/natslog"
	"github.com/jejak-id/jejak/projections"
)

// startServeOutput is startServe that also returns what serve printed
// before it was serving, and a channel that gets run's error if serve
// ends by itself.
func startServeOutput(t *testing.T, data string, extra ...string) (*testServer, string, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--credentials", testKey + ":" + testSecret, "--log-level", "warn"}, extra...)
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, func(string) string { return "" }, nil, pw, io.Discard)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	var printed bytes.Buffer
	base, err := waitServing(io.TeeReader(pr, &printed))
	if err != nil {
		cancel()
		t.Fatalf("serve did not start: %v (run: %v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	var runErr error
	exited := make(chan struct{})
	go func() { runErr = <-done; close(exited) }()
	ended := make(chan error, 1)
	go func() { <-exited; ended <- runErr }()
	s := &testServer{base: base}
	s.stop = func() error {
		cancel()
		<-exited
		return runErr
	}
	t.Cleanup(func() { s.stop() })
	return s, printed.String(), ended
}

// freeAddr returns a loopback address no one listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// withStoppedLog calls fn with the embedded log of a stopped serve's data
// directory, then closes it.
func withStoppedLog(t *testing.T, data string, fn func(*natslog.Log)) {
	t.Helper()
	s, err := natslog.StartEmbedded(natslog.EmbeddedConfig{StoreDir: filepath.Join(data, "nats")})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Shutdown(); s.WaitForShutdown() }()
	nc, err := nats.Connect("", nats.InProcessServer(s))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	log, err := natslog.Open(context.Background(), nc, natslog.Config{})
	if err != nil {
		t.Fatal(err)
	}
	fn(log)
}

// appendRaw appends data after the log's last event.
func appendRaw(t *testing.T, log *natslog.Log, data func(seq uint64, prev lrs.Hash) []byte) uint64 {
	t.Helper()
	ctx := context.Background()
	last, err := log.Last(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seq, err := log.Append(ctx, lrs.AppendRequest{Subject: lrs.Subject(lrs.DefaultStore, "statements"), Data: data(last.Seq+1, lrs.HashEvent(last.Data)), MsgID: uuid.NewString(), ExpectLast: last.Seq})
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// --nats-listen opens the embedded server's port only to its users: a
// read-only auditor whose password is made and shown once on first start
// (its bcrypt hash kept in the data directory), and Jejak itself. No one
// else connects, and the auditor reads and verifies the log but cannot
// write it or change the stream (row 9 of issue 13).
func TestServe_NATSListenTakesOnlyItsUsers(t *testing.T) {
	data := t.TempDir()
	addr := freeAddr(t)
	s, printed, _ := startServeOutput(t, data, "--nats-listen", addr)
	m := regexp.MustCompile(`(?m)^\s*password: (\S+)$`).FindStringSubmatch(printed)
	if m == nil || !strings.Contains(printed, "nats --server nats://auditor:"+m[1]+"@"+addr+" stream info JEJAK") {
		t.Fatalf("first start did not show the auditor's password with a nats CLI example:\n%s", printed)
	}
	password := m[1]
	stored, err := os.ReadFile(filepath.Join(data, natsAuditorFile))
	if err != nil || bytes.Contains(stored, []byte(password)) || !bytes.Contains(stored, []byte(`"$2`)) {
		t.Fatalf("%s = %s (%v): want a bcrypt hash, not the password", natsAuditorFile, stored, err)
	}
	if status, body, _ := call(t, http.MethodPost, s.base+"/statements", statement("", completedVerb, "http://example.com/door")); status != 200 {
		t.Fatalf("POST = %d %s", status, body)
	}

	for _, url := range []string{"nats://" + addr, "nats://auditor:wrong@" + addr, "nats://jejak:guess@" + addr} {
		if nc, err := nats.Connect(url, nats.MaxReconnects(0)); err == nil {
			nc.Close()
			t.Errorf("connected to the log's port as %s", url)
		}
	}

	auditor := "nats://auditor:" + password + "@" + addr
	// bcrypt checks the password: on a loaded machine (or under -race) that
	// takes longer than the client's default 2 s connect timeout.
	nc, err := nats.Connect(auditor, nats.Timeout(20*time.Second), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatalf("auditor: %v", err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(ctx, natslog.DefaultStream)
	if err != nil {
		t.Fatalf("auditor: stream info: %v", err)
	}
	if _, err := st.GetMsg(ctx, 1); err != nil {
		t.Fatalf("auditor: get event 1: %v", err)
	}
	// what the auditor may not do is refused (the server answers nothing:
	// each waits for its own short deadline)
	denied := func(what string, op func(context.Context) error) {
		dctx, dcancel := context.WithTimeout(ctx, time.Second)
		defer dcancel()
		if err := op(dctx); err == nil {
			t.Errorf("the auditor %s", what)
		}
	}
	denied("published on the log's subject", func(c context.Context) error {
		_, err := js.Publish(c, "jejak.default.statements", []byte(`{"type":"xapi.statements","v":1,"garbage":true}`))
		return err
	})
	denied("deleted the log's stream", func(c context.Context) error { return js.DeleteStream(c, natslog.DefaultStream) })
	denied("changed the log's stream", func(c context.Context) error {
		_, err := js.UpdateStream(c, jetstream.StreamConfig{Name: natslog.DefaultStream, Subjects: []string{"jejak.>"}})
		return err
	})
	denied("put an object in the attachment store", func(c context.Context) error {
		_, err := js.Publish(c, "$O.JEJAK_ATTACHMENTS.C.x", []byte("x"))
		return err
	})
	info, err := st.Info(ctx)
	if err != nil || info.State.Msgs != 1 {
		t.Fatalf("the log holds %+v (%v), want the one event Jejak wrote", info, err)
	}
	// the auditor verifies the log of the running node
	if out := runOK(t, "audit", "verify", "--nats-url", auditor); !strings.Contains(out, "intact: events 1 to 1") {
		t.Fatalf("audit verify as the auditor:\n%s", out)
	}

	// A second start shows no password, and the first one still works.
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	_, printed, _ = startServeOutput(t, data, "--nats-listen", addr)
	if strings.Contains(printed, "password") {
		t.Fatalf("second start showed a password:\n%s", printed)
	}
	nc2, err := nats.Connect(auditor, nats.Timeout(20*time.Second))
	if err != nil {
		t.Fatalf("auditor after a restart: %v", err)
	}
	nc2.Close()
}

// Messages on the log's subjects that are not Jejak events (published by a
// client of an open NATS port, before the port took only Jejak's users)
// stop nothing: serve starts on the log, serves everything else, counts
// them, takes writes; audit verify passes and lists them; export writes
// them with their data only (row 9 of issue 13).
func TestServe_StartsOnALogWithForeignEvents(t *testing.T) {
	data := t.TempDir()
	s := startServe(t, data)
	first := uuid.NewString()
	if status, body, _ := call(t, http.MethodPut, s.base+"/statements?statementId="+first, statement("", completedVerb, "http://example.com/1")); status != http.StatusNoContent {
		t.Fatalf("PUT = %d %s", status, body)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	var foreign []uint64
	// an envelope whose statement has no id; one of an unknown schema
	// version; one of a type Jejak does not know; a registry event whose
	// person is a number; garbage last
	withStoppedLog(t, data, func(log *natslog.Log) {
		foreign = append(foreign,
			appendRaw(t, log, func(seq uint64, prev lrs.Hash) []byte {
				return lrs.EncodeEnvelope(nil, lrs.EventStatements, 1, seq, lrs.DefaultStore, time.Now(), prev, []byte(`{"batches":[{"by":"x","statements":[{"verb":{}}]}]}`))
			}),
			appendRaw(t, log, func(seq uint64, prev lrs.Hash) []byte {
				return lrs.EncodeEnvelope(nil, lrs.EventStatements, 2, seq, lrs.DefaultStore, time.Now(), prev, []byte(`{"batches":[]}`))
			}),
			appendRaw(t, log, func(seq uint64, prev lrs.Hash) []byte {
				return lrs.EncodeEnvelope(nil, "xapi.surprise", 1, seq, lrs.DefaultStore, time.Now(), prev, []byte(`{}`))
			}),
			appendRaw(t, log, func(seq uint64, prev lrs.Hash) []byte {
				return lrs.EncodeEnvelope(nil, projections.EventPeople, 1, seq, lrs.DefaultStore, time.Now(), prev, []byte(`{"people":[1]}`))
			}),
			appendRaw(t, log, func(uint64, lrs.Hash) []byte { return []byte(`{"type":"xapi.statements","v":1,"garbage":true}`) }),
		)
	})

	metrics := freeAddr(t)
	s = startServe(t, data, "--metrics-addr", metrics)
	if status, body, _ := call(t, http.MethodGet, s.base+"/statements?statementId="+first, nil); status != 200 || !strings.Contains(string(body), "example.com/1") {
		t.Fatalf("GET after restart = %d %s", status, body)
	}
	second := uuid.NewString()
	if status, body, _ := call(t, http.MethodPut, s.base+"/statements?statementId="+second, statement("", completedVerb, "http://example.com/2")); status != http.StatusNoContent {
		t.Fatalf("PUT after restart = %d %s", status, body)
	}
	status, body, _ := call(t, http.MethodGet, s.base+"/statements", nil)
	var page struct{ Statements []map[string]any }
	if status != 200 || json.Unmarshal(body, &page) != nil || len(page.Statements) != 2 {
		t.Fatalf("GET all = %d %s", status, body)
	}
	res, err := http.Get("http://" + metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	// the JP view folds statements and the registry: it passes over all
	if want := fmt.Sprintf(`jejak_log_foreign_events_total{view="jp"} %d`, len(foreign)); !strings.Contains(string(b), want) {
		t.Errorf("metrics lack %s", want)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	// once more, with the foreign events in the middle of the log
	s = startServe(t, data)
	if status, body, _ := call(t, http.MethodGet, s.base+"/statements?statementId="+second, nil); status != 200 {
		t.Fatalf("GET after the second restart = %d %s", status, body)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	out := runOK(t, "audit", "verify", "--data", data)
	if !strings.Contains(out, "intact: events 1 to 7") || !strings.Contains(out, "foreign: 5 events") {
		t.Fatalf("audit verify:\n%s", out)
	}
	for _, seq := range foreign {
		if !strings.Contains(out, "sequence "+strconv.FormatUint(seq, 10)+":") {
			t.Errorf("audit verify does not list foreign event %d:\n%s", seq, out)
		}
	}
	export := filepath.Join(t.TempDir(), "log.ndjson")
	var stderr strings.Builder
	err = run(context.Background(), []string{"log", "export", "--data", data, "--out", export}, func(string) string { return "" }, nil, io.Discard, &stderr)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 3 {
		t.Fatalf("log export: %v, want exit status 3\n%s", err, stderr.String())
	}
	if got := lines(t, export); len(got) != 7 {
		t.Fatalf("export holds %d lines, want 7", len(got))
	}
	for _, seq := range foreign {
		if !strings.Contains(stderr.String(), "sequence "+strconv.FormatUint(seq, 10)+":") {
			t.Errorf("log export does not name event %d:\n%s", seq, stderr.String())
		}
	}
	if out := runOK(t, "audit", "verify", "--file", export); !strings.Contains(out, "intact: events 1 to 7") || !strings.Contains(out, "foreign: 5 events") {
		t.Fatalf("audit verify --file:\n%s", out)
	}
}

// An event some early builds wrote, whose statement JSON holds Go-style
// escapes (\x01) that JSON does not have, is in the chain like any other:
// log export writes every other event in full and that one with its exact
// bytes only, names it and exits with status 3; audit verify reads on past
// it, on the log and on the export (issue 13, round trip for auditors).
func TestLogExport_AnEventItCannotShowIsNamedAndPassed(t *testing.T) {
	data := t.TempDir()
	s := startServe(t, data)
	if status, body, _ := call(t, http.MethodPost, s.base+"/statements", statement("", completedVerb, "http://example.com/1")); status != 200 {
		t.Fatalf("POST = %d %s", status, body)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	var bad uint64
	withStoppedLog(t, data, func(log *natslog.Log) {
		bad = appendRaw(t, log, func(seq uint64, prev lrs.Hash) []byte {
			st := `{"id":"` + uuid.NewString() + `","actor":{"name":"a\x01b","mbox":"mailto:a@example.com"},"verb":{"id":"` + completedVerb + `"},"object":{"id":"http://example.com/x"},"stored":"2026-01-01T00:00:00.000Z","version":"1.0.0"}`
			return lrs.EncodeEnvelope(nil, lrs.EventStatements, 1, seq, lrs.DefaultStore, time.Now(), prev, []byte(`{"batches":[{"by":"k","statements":[`+st+`]}]}`))
		})
	})
	s = startServe(t, data)
	if status, body, _ := call(t, http.MethodPost, s.base+"/statements", statement("", completedVerb, "http://example.com/3")); status != 200 {
		t.Fatalf("POST after = %d %s", status, body)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	export := filepath.Join(t.TempDir(), "log.ndjson")
	var stderr strings.Builder
	err := run(context.Background(), []string{"log", "export", "--data", data, "--out", export}, func(string) string { return "" }, nil, io.Discard, &stderr)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 3 || !strings.Contains(stderr.String(), "sequence "+strconv.FormatUint(bad, 10)+": ") {
		t.Fatalf("log export: %v (want exit status 3 naming event %d)\n%s", err, bad, stderr.String())
	}
	got := lines(t, export)
	if len(got) != 3 {
		t.Fatalf("export holds %d lines, want 3", len(got))
	}
	for i, l := range got {
		var line lrs.ExportLine
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("line %d is not JSON: %v", i+1, err)
		}
		if unreadable := line.Seq == bad; unreadable != (line.Unreadable != "") || unreadable == (len(line.Payload) > 0) {
			t.Errorf("line %d: seq %d, unreadable %q, payload %d bytes", i+1, line.Seq, line.Unreadable, len(line.Payload))
		}
	}
	for _, args := range [][]string{{"audit", "verify", "--data", data}, {"audit", "verify", "--file", export}} {
		if out := runOK(t, args...); !strings.Contains(out, "intact: events 1 to 3") {
			t.Fatalf("jejak %s:\n%s", strings.Join(args, " "), out)
		}
	}
}

// outsideNATS is a nats-server with JetStream on a port and store of its
// own, that a test stops and starts again.
type outsideNATS struct {
	dir, addr string
	srv       *server.Server
}

func (o *outsideNATS) start(t *testing.T) {
	t.Helper()
	s, err := natslog.StartEmbedded(natslog.EmbeddedConfig{StoreDir: o.dir, Listen: o.addr})
	if err != nil {
		t.Fatal(err)
	}
	o.srv = s
	t.Cleanup(o.stop)
}

func (o *outsideNATS) stop() {
	if o.srv.Running() {
		o.srv.Shutdown()
		o.srv.WaitForShutdown()
	}
}

// ready polls /readyz until it answers want.
func waitReady(t *testing.T, base string, want int) {
	t.Helper()
	for i := 0; ; i++ {
		res, err := http.Get(strings.TrimSuffix(base, "/xapi") + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == want {
			return
		}
		if i == 600 {
			t.Fatalf("/readyz still answers %d, want %d", res.StatusCode, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// No sticky failure: when the log's NATS goes away, /readyz answers 503;
// when it comes back, the node takes writes again. When it stays away past
// --log-failure-exit, serve ends with an error naming the cause, for a
// supervisor to start it again, instead of answering 500 forever (issue 13).
func TestServe_RecoversOrExitsWhenTheLogGoesAway(t *testing.T) {
	o := &outsideNATS{dir: t.TempDir(), addr: freeAddr(t)}
	o.start(t)
	url := "nats://" + o.addr
	s, _, ended := startServeOutput(t, t.TempDir(), "--nats-url", url, "--log-failure-exit", "1h")
	post := func(object string) (int, []byte) {
		status, body, _ := call(t, http.MethodPost, s.base+"/statements", statement("", completedVerb, object))
		return status, body
	}
	if status, body := post("http://example.com/before"); status != 200 {
		t.Fatalf("POST = %d %s", status, body)
	}
	waitReady(t, s.base, http.StatusOK)
	o.stop()
	waitReady(t, s.base, http.StatusServiceUnavailable)
	o.start(t)
	waitReady(t, s.base, http.StatusOK)
	var ids []string
	status, body := post("http://example.com/after")
	if status != 200 || json.Unmarshal(body, &ids) != nil {
		t.Fatalf("POST after NATS came back = %d %s", status, body)
	}
	if status, body, _ := call(t, http.MethodGet, s.base+"/statements?statementId="+ids[0], nil); status != 200 {
		t.Fatalf("GET after NATS came back = %d %s", status, body)
	}
	select {
	case err := <-ended:
		t.Fatalf("serve ended: %v", err)
	default:
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	s, _, ended = startServeOutput(t, t.TempDir(), "--nats-url", url, "--log-failure-exit", "2s")
	waitReady(t, s.base, http.StatusOK)
	o.stop()
	err := <-ended
	if err == nil || !strings.Contains(err.Error(), "--log-failure-exit") || !strings.Contains(err.Error(), "NATS") {
		t.Fatalf("serve with the log gone ended with %v, want an error naming the cause", err)
	}
}

// Row 9 of issue 13 as it was found: while serve runs, a raw NATS client
// with publish rights on the log's subjects (here an outside NATS without
// users) publishes garbage on the log's subject. The node keeps serving
// and writing; the message stays in the log as a foreign event.
func TestServe_GarbagePublishedWhileServingStopsNothing(t *testing.T) {
	o := &outsideNATS{dir: t.TempDir(), addr: freeAddr(t)}
	o.start(t)
	s, _, ended := startServeOutput(t, t.TempDir(), "--nats-url", "nats://"+o.addr)
	if status, body, _ := call(t, http.MethodPost, s.base+"/statements", statement("", completedVerb, "http://example.com/1")); status != 200 {
		t.Fatalf("POST = %d %s", status, body)
	}
	nc, err := nats.Connect("nats://" + o.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ack, err := js.Publish(context.Background(), "jejak.default.statements", []byte(`{"type":"xapi.statements","v":1,"garbage":true}`))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	status, body, _ := call(t, http.MethodPost, s.base+"/statements", statement("", completedVerb, "http://example.com/2"))
	if status != 200 || json.Unmarshal(body, &ids) != nil {
		t.Fatalf("POST after the garbage at %d = %d %s", ack.Sequence, status, body)
	}
	if status, body, _ := call(t, http.MethodGet, s.base+"/statements?statementId="+ids[0], nil); status != 200 {
		t.Fatalf("GET = %d %s", status, body)
	}
	select {
	case err := <-ended:
		t.Fatalf("serve ended: %v", err)
	default:
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	out := runOK(t, "audit", "verify", "--nats-url", "nats://"+o.addr)
	if !strings.Contains(out, "intact: events 1 to 3") || !strings.Contains(out, "sequence "+strconv.FormatUint(ack.Sequence, 10)+":") {
		t.Fatalf("audit verify:\n%s", out)
	}
}
