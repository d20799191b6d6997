package natslog_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/natslog"
	"github.com/jejak-id/jejak/lrs/natslog/natstest"
)

func clusterConn(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// A reader opens a log replicated on a cluster as it is, from any server,
// and reads every event; it never checks or changes the stream, and never
// creates one that is missing.
func TestOpenReading_AReplicatedLogOnACluster(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w, err := natslog.Open(ctx, clusterConn(t, c.URLs[0]), natslog.Config{Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	for i := range n {
		if _, err := w.Append(ctx, lrs.AppendRequest{Subject: "jejak.default.statements", Data: fmt.Appendf(nil, `{"n":%d}`, i), MsgID: fmt.Sprint("m", i), ExpectLast: uint64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// What the commands that read did before: open as a writer of one
	// replica. It refuses the cluster's log.
	if _, err := natslog.Open(ctx, clusterConn(t, c.URLs[1]), natslog.Config{Replicas: 1}); err == nil || !strings.Contains(err.Error(), "replicas is 3") {
		t.Fatalf("Open with one replica on an R3 log: %v", err)
	}
	for i, u := range c.URLs {
		nc := clusterConn(t, u)
		r, err := natslog.OpenReading(ctx, nc, "")
		if err != nil {
			t.Fatalf("server %d: %v", i+1, err)
		}
		if last, err := r.LastSeq(ctx); err != nil || last != n {
			t.Fatalf("server %d: last %d, %v", i+1, last, err)
		}
		var got []uint64
		fctx, stop := context.WithCancel(ctx)
		err = r.Follow(fctx, 1, func(evs []lrs.LogEvent) error {
			for _, ev := range evs {
				got = append(got, ev.Seq)
				if want := fmt.Sprintf(`{"n":%d}`, ev.Seq-1); string(ev.Data) != want {
					return fmt.Errorf("event %d: %s, want %s", ev.Seq, ev.Data, want)
				}
			}
			if len(got) == n {
				stop()
			}
			return nil
		})
		stop()
		if !errors.Is(err, context.Canceled) || len(got) != n {
			t.Fatalf("server %d: read %v, %v", i+1, got, err)
		}
		if reps, err := natslog.Replicas(ctx, nc, natslog.DefaultStream); err != nil || reps != 3 {
			t.Fatalf("server %d: replicas %d, %v", i+1, reps, err)
		}
	}
	js, _ := jetstream.New(clusterConn(t, c.URLs[2]))
	if st, err := js.Stream(ctx, natslog.DefaultStream); err != nil || st.CachedInfo().Config.Replicas != 3 {
		t.Fatalf("the log after reading: %v", err)
	}
	// A missing stream is an error, not a creation.
	if _, err := natslog.OpenReading(ctx, clusterConn(t, c.URLs[0]), "NOSUCH"); !errors.Is(err, natslog.ErrNoStream) || !strings.Contains(err.Error(), "NOSUCH") {
		t.Fatalf("OpenReading a missing stream: %v", err)
	}
	if _, err := js.Stream(ctx, "NOSUCH"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("OpenReading created the missing stream: %v", err)
	}
}
