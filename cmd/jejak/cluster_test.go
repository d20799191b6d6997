package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jejak-id/jejak/lrs/natslog/natstest"
)

// runServeFails runs serve with args and returns its error; it fails the
// test if serve started serving.
func runServeFails(t *testing.T, data string, args ...string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--credentials", testKey + ":" + testSecret, "--log-level", "warn"}, args...), func(string) string { return "" }, nil, pw, io.Discard)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	if base, err := waitServing(pr); err == nil {
		cancel()
		<-done
		t.Fatalf("serve %v started serving at %s", args, base)
	}
	err := <-done
	if err == nil {
		t.Fatalf("serve %v ended without error", args)
	}
	return err
}

// streamReplicas returns the replicas of stream on the cluster, or 0 when
// there is no such stream.
func streamReplicas(t *testing.T, url, stream string) int {
	t.Helper()
	if info := streamInfo(t, url, stream); info != nil {
		return info.Config.Replicas
	}
	return 0
}

// jetStreamAt connects to the NATS of url for the rest of the test.
func jetStreamAt(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	return js
}

// streamInfo returns the info of stream on the cluster, or nil when there
// is no such stream.
func streamInfo(t *testing.T, url, stream string) *jetstream.StreamInfo {
	t.Helper()
	st, err := jetStreamAt(t, url).Stream(context.Background(), stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return st.CachedInfo()
}

// On a JetStream cluster, every command that reads the log reads a
// replicated one, from any server, as it is, and changes nothing; serve
// takes an existing replicated log without --replicas.
func TestCluster_CommandsThatReadTakeAReplicatedLogAsItIs(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	data := t.TempDir()

	// --replicas 3 creates the log replicated; statements go in.
	s := startServe(t, data, "--nats-url", c.URL(), "--replicas", "3")
	for i := range 3 {
		body := fmt.Sprintf(`{"actor":{"account":{"homePage":"https://siasn.bkn.go.id","name":"199001012015011001"}},"verb":{"id":%q},"object":{"id":"https://e.go.id/c/%d"}}`, completedVerb, i)
		send(t, "POST", s.base+"/statements", testKey, testSecret, body, 200)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	info := streamInfo(t, c.URLs[0], "JEJAK")
	if info == nil || info.Config.Replicas != 3 || info.State.LastSeq < 3 {
		t.Fatalf("log stream: %+v", info)
	}
	n := int(info.State.LastSeq)

	// The commands that read, each against a different server.
	export := filepath.Join(t.TempDir(), "log.ndjson")
	runOK(t, "log", "export", "--nats-url", c.URLs[1], "--out", export)
	if got := len(lines(t, export)); got != n {
		t.Fatalf("export of the replicated log has %d lines, want %d", got, n)
	}
	if out := runOK(t, "audit", "verify", "--nats-url", c.URLs[2]); !strings.Contains(out, fmt.Sprintf("intact: events 1 to %d (%d events)", n, n)) {
		t.Fatalf("audit verify of the replicated log:\n%s", out)
	}
	if out := runOK(t, "replay", "--nats-url", c.URLs[0], "--data", t.TempDir(), "--out", filepath.Join(t.TempDir(), "v")); !strings.Contains(out, fmt.Sprintf("up to event %d ", n)) {
		t.Fatalf("replay of the replicated log:\n%s", out)
	}
	if out := runOK(t, "replay", "--nats-url", c.URL(), "--data", data); !strings.Contains(out, fmt.Sprintf("from %d events", n)) {
		t.Fatalf("replay of the replicated log into the live views:\n%s", out)
	}
	if out := runOK(t, "audit", "views", "--nats-url", c.URLs[1], "--data", data); strings.Count(out, ": same") != 3 {
		t.Fatalf("audit views of the replicated log:\n%s", out)
	}
	if r := streamReplicas(t, c.URLs[0], "JEJAK"); r != 3 {
		t.Fatalf("after reading, the log stream has %d replicas, want 3", r)
	}

	// Without --replicas, serve takes the existing log as it is; its
	// views are where the replay above left them.
	s = startServe(t, data, "--nats-url", c.URL())
	send(t, "GET", s.base+"/statements?limit=1", testKey, testSecret, "", 200)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	// A stream that is not there is named, with where it was looked for,
	// and not created.
	err := run(context.Background(), []string{"log", "export", "--nats-url", c.URLs[0], "--stream", "NOSUCH"}, func(string) string { return "" }, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no log stream NOSUCH") || !strings.Contains(err.Error(), c.URLs[0]) {
		t.Fatalf("export of a missing stream: %v", err)
	}
	if r := streamReplicas(t, c.URLs[0], "NOSUCH"); r != 0 {
		t.Fatal("export created the missing stream")
	}
}

// On a JetStream cluster, serve refuses to create or use a log of one
// replica unless --replicas 1 is given, and says why.
func TestCluster_ServeRefusesASingleReplicaLogUnlessToldSo(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	data := t.TempDir()
	const knowingly = "give --replicas 1 to run a single-replica log on a cluster knowingly"

	// No --replicas: the log would be created with one replica. Refused,
	// and nothing created.
	err := runServeFails(t, data, "--nats-url", c.URL())
	for _, want := range []string{"JEJAK", "1 replica", `cluster "` + natstest.ClusterName + `"`, knowingly} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("serve on a cluster without --replicas: %v; want it to say %q", err, want)
		}
	}
	if r := streamReplicas(t, c.URLs[0], "JEJAK"); r != 0 {
		t.Fatalf("a refused serve created the log stream with %d replicas", r)
	}

	// --replicas 1 runs a single-replica log on the cluster knowingly;
	// without it, serve refuses to use that log.
	s := startServe(t, data, "--nats-url", c.URL(), "--replicas", "1")
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if r := streamReplicas(t, c.URLs[0], "JEJAK"); r != 1 {
		t.Fatalf("log stream has %d replicas, want 1", r)
	}
	err = runServeFails(t, data, "--nats-url", c.URL())
	for _, want := range []string{"JEJAK has 1 replica", `cluster "` + natstest.ClusterName + `"`, knowingly} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("serve on an R1 log on a cluster without --replicas: %v; want it to say %q", err, want)
		}
	}
	// JEJAK_REPLICAS=1 says it as well as the flag.
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		env := func(k string) string {
			if k == "JEJAK_REPLICAS" {
				return "1"
			}
			return ""
		}
		err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--credentials", testKey + ":" + testSecret, "--log-level", "warn", "--nats-url", c.URL()}, env, nil, pw, io.Discard)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	_, err = waitServing(pr)
	go io.Copy(io.Discard, pr)
	cancel()
	if runErr := <-done; err != nil {
		t.Fatalf("serve with JEJAK_REPLICAS=1 on an R1 log: %v (run: %v)", err, runErr)
	}
}
