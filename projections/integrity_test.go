package projections_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/projections"
)

// An event made for a test: given its sequence and the hashes of the
// events before it (hashes[s] is event s's), its bytes.
type crafted func(seq uint64, hashes []lrs.Hash) []byte

// linkedTo is an empty statements event whose prev is the hash of event
// to; linked links to the event right before it.
func linkedTo(to uint64) crafted {
	return func(seq uint64, hashes []lrs.Hash) []byte {
		var prev lrs.Hash
		if to > 0 {
			prev = hashes[to]
		}
		return lrs.EncodeEnvelope(nil, lrs.EventStatements, 1, seq, lrs.DefaultStore, time.Now(), prev, []byte(`{"batches":[]}`))
	}
}

func linked(seq uint64, hashes []lrs.Hash) []byte { return linkedTo(seq-1)(seq, hashes) }

// foreign is an event that is not Jejak's.
func foreign(uint64, []lrs.Hash) []byte { return []byte("not an envelope") }

// wrongPrev links to the event before it, one bit of the hash changed.
func wrongPrev(seq uint64, hashes []lrs.Hash) []byte {
	h := append([]lrs.Hash(nil), hashes...)
	h[seq-1][0] ^= 1
	return linkedTo(seq-1)(seq, h)
}

// The projector checks every event's prev before the views fold it: an
// event whose prev is not the hash of the Jejak event before it stops
// every view before it, and the break names the sequence and the link; a
// foreign event in between breaks nothing. After a restart the check is
// seeded with the event at the views' checkpoint, read from the log.
func TestProjector_StopsAtAWrongPrev(t *testing.T) {
	ctx := context.Background()
	log := lrstest.Log(t, lrstest.NATS(t))
	hashes := []lrs.Hash{{}}
	// 1, 2 foreign, 3 links past it to 1 (as the appender does), 4, 5
	// with a wrong prev, 6 (right after 5)
	for i, ev := range []crafted{linked, foreign, linkedTo(1), linked, wrongPrev, linked} {
		seq := uint64(i + 1)
		b := ev(seq, hashes)
		if _, err := log.Append(ctx, lrs.AppendRequest{Subject: lrs.Subject(lrs.DefaultStore, "statements"), Data: b, MsgID: uuid.NewString(), ExpectLast: seq - 1}); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, lrs.HashEvent(b))
	}
	const want = "breaks at sequence 5: event 5's prev does not match the hash of event 4"

	dir := t.TempDir()
	views, err := projections.Open(dir, 8<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	// a rebuild up to the end stops at the break and says so
	err = projections.CatchUpAll(ctx, log, views.All(), 0, nil)
	var brk *projections.BreakError
	if !errors.As(err, &brk) || brk.Seq != 5 || !strings.Contains(err.Error(), want) {
		t.Fatalf("catch up: %v, want a break at 5", err)
	}
	for _, p := range views.All() {
		if p.Checkpoint() != 4 {
			t.Fatalf("%s view at %d, want 4 (before the break)", p.Name(), p.Checkpoint())
		}
	}
	if err := views.Close(); err != nil {
		t.Fatal(err)
	}

	// a serving node's projector, resuming at 4, meets it again, keeps it
	// for /readyz and waits: nothing after it is folded
	views, err = projections.Open(dir, 8<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer views.Close()
	integ := new(projections.Integrity)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- projections.RunAllWatched(rctx, log, views.All(), slog.New(slog.DiscardHandler), integ)
	}()
	for integ.Err() == nil {
		select {
		case err := <-done:
			t.Fatalf("the projector ended: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if integ.BreakSeq() != 5 || !strings.Contains(integ.Err().Error(), want) {
		t.Fatalf("integrity: %v", integ.Err())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("the projector ended with %v, want nil on cancellation", err)
	}
	for _, p := range views.All() {
		if p.Checkpoint() != 4 {
			t.Fatalf("%s view at %d, want 4 (before the break)", p.Name(), p.Checkpoint())
		}
	}
}

// An intact log with a foreign event is folded to its end with no break,
// also when the projector resumes right after the foreign event (its hash
// seeds the check; the next event links past it).
func TestProjector_AnIntactChainFoldsToTheEnd(t *testing.T) {
	ctx := context.Background()
	log := lrstest.Log(t, lrstest.NATS(t))
	hashes := []lrs.Hash{{}}
	for i, ev := range []crafted{linked, linked, foreign, linkedTo(2), linked} {
		seq := uint64(i + 1)
		b := ev(seq, hashes)
		if _, err := log.Append(ctx, lrs.AppendRequest{Subject: lrs.Subject(lrs.DefaultStore, "statements"), Data: b, MsgID: uuid.NewString(), ExpectLast: seq - 1}); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, lrs.HashEvent(b))
	}
	for _, stop := range []uint64{3, 2, 1, 0} {
		views, err := projections.Open(t.TempDir(), 8<<20, nil)
		if err != nil {
			t.Fatal(err)
		}
		if stop > 0 {
			if err := projections.CatchUpAll(ctx, log, views.All(), stop, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := projections.CatchUpAll(ctx, log, views.All(), 0, nil); err != nil {
			t.Fatalf("resuming after %d: %v", stop, err)
		}
		if cp := views.Statements.Checkpoint(); cp != 5 {
			t.Fatalf("resuming after %d: at %d, want 5", stop, cp)
		}
		views.Close()
	}
}

// Resuming right after a foreign event, the check still holds the hash
// of the Jejak event before it: a wrong prev after it is a break.
func TestProjector_ResumingAfterAForeignEventStillChecks(t *testing.T) {
	ctx := context.Background()
	log := lrstest.Log(t, lrstest.NATS(t))
	hashes := []lrs.Hash{{}}
	for i, ev := range []crafted{linked, linked, foreign, linkedTo(1)} {
		seq := uint64(i + 1)
		b := ev(seq, hashes)
		if _, err := log.Append(ctx, lrs.AppendRequest{Subject: lrs.Subject(lrs.DefaultStore, "statements"), Data: b, MsgID: uuid.NewString(), ExpectLast: seq - 1}); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, lrs.HashEvent(b))
	}
	views, err := projections.Open(t.TempDir(), 8<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer views.Close()
	if err := projections.CatchUpAll(ctx, log, views.All(), 3, nil); err != nil {
		t.Fatal(err)
	}
	err = projections.CatchUpAll(ctx, log, views.All(), 0, nil)
	if !strings.Contains(fmt.Sprint(err), "breaks at sequence 4: event 4's prev does not match the hash of event 2") {
		t.Fatalf("resuming after the foreign event 3: %v, want a break at 4", err)
	}
}
