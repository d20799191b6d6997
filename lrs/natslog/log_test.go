package natslog_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/lrs/natslog"
)

func TestOpen_CreatesAppendOnlyStream(t *testing.T) {
	s := lrstest.NATS(t)
	lrstest.Log(t, s)
	js, _ := jetstream.New(lrstest.Conn(t, s))
	st, err := js.Stream(context.Background(), natslog.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	if !cfg.DenyDelete || !cfg.DenyPurge || cfg.Storage != jetstream.FileStorage || cfg.MaxAge != 0 || cfg.MaxBytes > 0 || cfg.MaxMsgs > 0 || cfg.Duplicates == 0 {
		t.Fatalf("stream config not append-only and durable: %+v", cfg)
	}
	// Opening again verifies the existing stream and succeeds.
	lrstest.Log(t, s)
	// Deleting a message is refused by the server.
	if _, err := lrstest.Log(t, s).Append(context.Background(), lrs.AppendRequest{Subject: "jejak.default.statements", Data: []byte("{}"), MsgID: "m1", ExpectLast: 0}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteMsg(context.Background(), 1); err == nil {
		t.Fatal("DeleteMsg succeeded on the log stream")
	}
	if err := st.Purge(context.Background()); err == nil {
		t.Fatal("Purge succeeded on the log stream")
	}
}

func TestOpen_RefusesMismatchedStream(t *testing.T) {
	s := lrstest.NATS(t)
	js, _ := jetstream.New(lrstest.Conn(t, s))
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "OTHER", Subjects: []string{"jejak.>"}, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	_, err := natslog.Open(ctx, lrstest.Conn(t, s), natslog.Config{Stream: "OTHER"})
	if err == nil || !strings.Contains(err.Error(), "storage") || !strings.Contains(err.Error(), "never changes") {
		t.Fatalf("Open on a memory stream: err = %v, want a clear storage mismatch", err)
	}
	info, _ := js.Stream(ctx, "OTHER")
	if info.CachedInfo().Config.Storage != jetstream.MemoryStorage {
		t.Fatal("Open changed the existing stream")
	}
}

func TestLog_AppendExpectsLastSequence(t *testing.T) {
	l := lrstest.Log(t, lrstest.NATS(t))
	ctx := context.Background()
	seq, err := l.Append(ctx, lrs.AppendRequest{Subject: "jejak.default.statements", Data: []byte(`{"a":1}`), MsgID: "id-1", ExpectLast: 0})
	if err != nil || seq != 1 {
		t.Fatalf("first append = %d, %v; want 1, nil", seq, err)
	}
	if _, err := l.Append(ctx, lrs.AppendRequest{Subject: "jejak.default.statements", Data: []byte(`{"a":2}`), MsgID: "id-2", ExpectLast: 0}); !errors.Is(err, lrs.ErrLogMoved) {
		t.Fatalf("append with stale expected sequence: err = %v, want ErrLogMoved", err)
	}
	// A retry with the same message id is deduplicated to the same sequence.
	if seq, err := l.Append(ctx, lrs.AppendRequest{Subject: "jejak.default.statements", Data: []byte(`{"a":1}`), MsgID: "id-1", ExpectLast: 1}); err != nil || seq != 1 {
		t.Fatalf("retry = %d, %v; want 1, nil", seq, err)
	}
	last, err := l.Last(ctx)
	if err != nil || last.Seq != 1 || string(last.Data) != `{"a":1}` {
		t.Fatalf("Last = %+v, %v", last, err)
	}
}

func TestLog_FollowDeliversInOrderFromSequence(t *testing.T) {
	l := lrstest.Log(t, lrstest.NATS(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := uint64(0); i < 5; i++ {
		if _, err := l.Append(ctx, lrs.AppendRequest{Subject: "jejak.default.statements", Data: []byte{'0' + byte(i)}, MsgID: string(rune('a' + i)), ExpectLast: i}); err != nil {
			t.Fatal(err)
		}
	}
	var got []uint64
	err := l.Follow(ctx, 3, func(evs []lrs.LogEvent) error {
		for _, ev := range evs {
			got = append(got, ev.Seq)
			if want := byte('0' + ev.Seq - 1); ev.Data[0] != want {
				t.Errorf("event %d data %q, want %q", ev.Seq, ev.Data, want)
			}
		}
		if len(got) == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow = %v, want context.Canceled", err)
	}
	if len(got) != 3 || got[0] != 3 || got[2] != 5 {
		t.Fatalf("followed %v, want [3 4 5]", got)
	}
}

func TestLog_AppendExpectsSubjectSequence(t *testing.T) {
	l := lrstest.Log(t, lrstest.NATS(t))
	ctx := context.Background()
	doc := "jejak.default.documents.abc"
	if _, err := l.Append(ctx, lrs.AppendRequest{Subject: doc, Data: []byte("1"), MsgID: "d1", ExpectLast: 0, ExpectSubject: true, ExpectSubjectLast: 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, lrs.AppendRequest{Subject: "jejak.default.statements", Data: []byte("2"), MsgID: "s1", ExpectLast: 1}); err != nil {
		t.Fatal(err)
	}
	// The stream is at 2 but the document's subject last saw 1.
	if _, err := l.Append(ctx, lrs.AppendRequest{Subject: doc, Data: []byte("3"), MsgID: "d2", ExpectLast: 2, ExpectSubject: true, ExpectSubjectLast: 0}); !errors.Is(err, lrs.ErrLogMoved) {
		t.Fatalf("stale subject sequence: err = %v, want ErrLogMoved", err)
	}
	if seq, err := l.Append(ctx, lrs.AppendRequest{Subject: doc, Data: []byte("3"), MsgID: "d3", ExpectLast: 2, ExpectSubject: true, ExpectSubjectLast: 1}); err != nil || seq != 3 {
		t.Fatalf("append = %d, %v", seq, err)
	}
}

// Appends sent without waiting land in the order sent; one chained on an
// event that did not land where it was meant to (another writer came
// first) is refused by its expected message id even when the sequence
// matches.
func TestLog_AppendAsyncInOrderAndChained(t *testing.T) {
	l := lrstest.Log(t, lrstest.NATS(t))
	ctx := context.Background()
	const subj = "jejak.default.statements"
	var pend []lrs.PendingAppend
	for i := range 3 {
		req := lrs.AppendRequest{Subject: subj, Data: fmt.Appendf(nil, `{"n":%d}`, i), MsgID: fmt.Sprintf("a-%d", i), ExpectLast: uint64(i)}
		if i > 0 {
			req.ExpectLastMsgID = fmt.Sprintf("a-%d", i-1)
		}
		p, err := l.AppendAsync(req, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		pend = append(pend, p)
	}
	for i, p := range pend {
		<-p.Done()
		if seq, err := p.Result(); err != nil || seq != uint64(i+1) {
			t.Fatalf("append %d = %d, %v; want %d", i, seq, err, i+1)
		}
	}
	// The last event is a-2 at 3. An append expecting 3 but another last
	// message id is refused as the log having moved.
	p, err := l.AppendAsync(lrs.AppendRequest{Subject: subj, Data: []byte(`{"n":9}`), MsgID: "b-1", ExpectLast: 3, ExpectLastMsgID: "mine-that-failed"}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Result(); !errors.Is(err, lrs.ErrLogMoved) {
		t.Fatalf("chained on a lost event: err = %v, want ErrLogMoved", err)
	}
	if _, err := l.Append(ctx, lrs.AppendRequest{Subject: subj, Data: []byte(`{"n":9}`), MsgID: "b-2", ExpectLast: 3, ExpectLastMsgID: "a-1"}); !errors.Is(err, lrs.ErrLogMoved) {
		t.Fatalf("Append with a wrong last message id: err = %v, want ErrLogMoved", err)
	}
	if seq, err := l.Append(ctx, lrs.AppendRequest{Subject: subj, Data: []byte(`{"n":9}`), MsgID: "b-3", ExpectLast: 3, ExpectLastMsgID: "a-2"}); err != nil || seq != 4 {
		t.Fatalf("Append with the right last message id = %d, %v; want 4", seq, err)
	}
}
