package projections_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
)

// A snapshot of the statement view holds its index and its records as
// they stood together after one chunk: its digest is the digest of a
// rebuild up to the snapshot's position, whatever is folded after it was
// taken, and also while chunks are being committed.
func TestStatementIndex_SnapshotDigestIsTheDigestAtItsPosition(t *testing.T) {
	var groups [][]string
	for i := 1; i <= 30; i++ {
		g := []string{stmt(id(i), completed, activity(fmt.Sprintf("http://e.com/%d", i))), stmt(id(500+i), completed, activity("http://e.com/x"))}
		if i%5 == 0 {
			g = append(g, stmt(id(1000+i), lrs.VoidVerb, ref(id(i-2))))
		}
		groups = append(groups, g)
	}
	evs := events(groups...)

	// the digest of the view at every position, from a rebuild event by event
	rebuilt := map[uint64]lrs.Hash{}
	fresh := lrstest.StatementView(t)
	if d, err := fresh.Digest(); err != nil {
		t.Fatal(err)
	} else {
		rebuilt[0] = d
	}
	for _, ev := range evs {
		if err := fresh.Apply([]lrs.LogEvent{ev}); err != nil {
			t.Fatal(err)
		}
		d, err := fresh.Digest()
		if err != nil {
			t.Fatal(err)
		}
		rebuilt[ev.Seq] = d
	}

	ix := lrstest.StatementView(t)
	if err := ix.Apply(evs[:10]); err != nil {
		t.Fatal(err)
	}
	s, err := ix.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Apply(evs[10:12]); err != nil {
		t.Fatal(err)
	}
	d, err := s.Digest()
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if s.Position() != 10 || d != rebuilt[10] {
		t.Fatalf("snapshot at %d has digest %s; the rebuild at 10 has %s", s.Position(), d, rebuilt[10])
	}
	pos, d, err := ix.SnapshotDigest()
	if err != nil || pos != 12 || d != rebuilt[12] {
		t.Fatalf("SnapshotDigest = %d %s %v, want 12 %s", pos, d, err, rebuilt[12])
	}
	if pos, again, err := ix.SnapshotDigest(); err != nil || pos != 12 || again != d {
		t.Fatalf("SnapshotDigest again, unmoved = %d %s %v, want 12 %s", pos, again, err, d)
	}

	// Chunks of two events are folded while snapshots are digested.
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 12; i < len(evs); i += 2 {
			if err := ix.Apply(evs[i:min(i+2, len(evs))]); err != nil {
				t.Error(err)
				return
			}
		}
	})
	seen := map[uint64]bool{}
	var bad error
	for bad == nil {
		pos, d, err := ix.SnapshotDigest()
		switch {
		case err != nil:
			bad = err
		case d != rebuilt[pos]:
			bad = fmt.Errorf("SnapshotDigest at %d = %s, the rebuild at %d has %s", pos, d, pos, rebuilt[pos])
		}
		seen[pos] = true
		if pos == uint64(len(evs)) {
			break
		}
	}
	wg.Wait()
	if bad != nil {
		t.Fatal(bad)
	}
	t.Logf("digested at %d positions while folding", len(seen))
}
