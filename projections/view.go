package projections

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
)

// view is what every Pebble view shares: the database, the format check,
// the checkpoint, waiting for it, and the one-batch fold of a chunk of
// events. Every view keeps these two keys:
//
//	m "checkpoint" → seq (8) | stored unix ms (8)   the last applied event
//	m "format"     → the view's key format version
type view struct {
	name string
	db   *pebble.DB
	// others are the databases the view keeps beside db (the statement
	// records), committed before db by beforeCommit.
	others []*pebble.DB

	// commitMu is held while a chunk commits to the view's databases, and
	// while a snapshot of them is taken: a snapshot lies between chunks.
	commitMu sync.Mutex
	// digestMu guards the digest remembered with the position it was
	// taken at (see SnapshotDigest); held while one is computed.
	digestMu  sync.Mutex
	digestPos uint64
	digestSum lrs.Hash
	digestOK  bool

	applied atomic.Uint64
	stored  atomic.Int64 // unix ms of the last applied event

	mu      sync.Mutex
	advance chan struct{} // closed and replaced whenever applied moves

	parser   fastjson.Parser      // used by apply only
	metaSync *pebble.WriteOptions // how the format and such are written
	// wants names the event types the view folds; others only move the
	// checkpoint and are not parsed (nil: every type).
	wants func(typ string) bool
	// beforeCommit, if set, runs before a chunk's batch commits (a view
	// with a second database commits that one first).
	beforeCommit func() error

	foreign   atomic.Uint64                               // foreign events passed over
	onForeign atomic.Pointer[func(seq uint64, err error)] // told of each
}

// Foreign returns how many foreign events (lrs.ForeignError) the view has
// passed over since it was opened.
func (v *view) Foreign() uint64 { return v.foreign.Load() }

// OnForeign sets fn to be told of every foreign event the view passes
// over, with its sequence and why it is foreign (for the node's log).
func (v *view) OnForeign(fn func(view string, seq uint64, err error)) {
	f := func(seq uint64, err error) { fn(v.name, seq, err) }
	v.onForeign.Store(&f)
}

// passForeign notes a foreign event the view passes over.
func (v *view) passForeign(seq uint64, err error) {
	v.foreign.Add(1)
	if fn := v.onForeign.Load(); fn != nil {
		(*fn)(seq, err)
	}
}

var (
	keyCheckpoint = []byte("mcheckpoint")
	keyFormat     = []byte("mformat")
)

// openView opens the Pebble database in dir and checks its key format.
func openView(name, dir string, opts *pebble.Options, format string) (*view, error) {
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open %s view %s: %w", name, dir, err)
	}
	v := &view{name: name, db: db, advance: make(chan struct{}), metaSync: pebble.Sync}
	if opts != nil && opts.DisableWAL {
		v.metaSync = pebble.NoSync // a rebuild: flushed before it is used
	}
	have, err := v.get(keyFormat)
	switch {
	case err != nil:
		db.Close()
		return nil, err
	case have == nil && opts != nil && opts.ReadOnly:
		db.Close()
		return nil, fmt.Errorf("%s view %s holds no view (no format key): build it with `jejak replay --out`", name, dir)
	case have == nil:
		if err := db.Set(keyFormat, []byte(format), v.metaSync); err != nil {
			db.Close()
			return nil, fmt.Errorf("%s view: write format: %w", name, err)
		}
	case string(have) != format:
		db.Close()
		return nil, fmt.Errorf("%s view %s has key format %q, this build reads %q: run `jejak replay` to rebuild it", name, dir, have, format)
	}
	cp, err := v.get(keyCheckpoint)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(cp) == 16 {
		v.applied.Store(binary.BigEndian.Uint64(cp))
		v.stored.Store(int64(binary.BigEndian.Uint64(cp[8:])))
	}
	return v, nil
}

// Close closes the Pebble database, after every reader and the projector
// have stopped.
func (v *view) Close() error { return v.db.Close() }

// Flush writes the view's memory tables to disk.
func (v *view) Flush() error { return v.db.Flush() }

// stores returns the metrics of the view's database.
func (v *view) stores() []StoreMetrics { return []StoreMetrics{{v.name, v.db.Metrics()}} }

// Name is the view's name.
func (v *view) Name() string { return v.name }

// Checkpoint returns the last applied log sequence.
func (v *view) Checkpoint() uint64 { return v.applied.Load() }

// Applied returns the last applied sequence and the stored time of that event.
func (v *view) Applied() (uint64, time.Time) {
	seq := v.applied.Load()
	if seq == 0 {
		return 0, time.Time{}
	}
	return seq, time.UnixMilli(v.stored.Load()).UTC()
}

// WaitApplied blocks until the view has applied seq or ctx is done.
func (v *view) WaitApplied(ctx context.Context, seq uint64) error {
	for {
		v.mu.Lock()
		ch := v.advance
		v.mu.Unlock()
		if v.applied.Load() >= seq {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// get returns a copy of the value under key, nil when there is none.
func (v *view) get(key []byte) ([]byte, error) {
	val, err := getCopy(v.db, key)
	if err != nil {
		return nil, fmt.Errorf("%s view get: %w", v.name, err)
	}
	return val, nil
}

// scanFamily calls fn with every key and value of the key family fam, in
// key order; key and value are valid only during the call.
func (v *view) scanFamily(fam byte, fn func(key, value []byte) error) error {
	it, err := v.db.NewIter(&pebble.IterOptions{LowerBound: []byte{fam}, UpperBound: []byte{fam + 1}})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	return errors.Join(it.Error(), it.Close())
}

// apply folds a chunk of events with fold in one batch, together with the
// checkpoint. Events at or below the checkpoint are passed over (exactly
// once); the others must follow it without a gap. It reports whether the
// batch was committed.
func (v *view) apply(events []lrs.LogEvent, fold func(b *pebble.Batch, env lrs.Envelope) error) error {
	if len(events) == 0 {
		return nil
	}
	// Events of types the view does not want are passed over by their
	// header alone (peeked once here). The batch is sized for half the
	// bytes of the others (a JP claim takes about 40% of its statement's),
	// so it seldom grows.
	type passing struct {
		env  lrs.Envelope
		skip bool
	}
	passed := make([]passing, len(events))
	size := 0
	for i, ev := range events {
		if typ, seq, stored, ok := lrs.PeekEnvelope(ev.Data); ok && seq == ev.Seq && v.wants != nil && !v.wants(typ) && lrs.KnownEventType(typ) {
			passed[i] = passing{lrs.Envelope{Type: typ, Seq: seq, Stored: stored}, true}
			continue
		}
		size += len(ev.Data) / 2
	}
	b := v.db.NewIndexedBatchWithSize(size)
	defer b.Close()
	return v.inOrder(b, events, func(i int) (lrs.Envelope, error) {
		ev := events[i]
		if passed[i].skip {
			return passed[i].env, nil
		}
		env, err := lrs.ReadEvent(&v.parser, ev.Seq, ev.Data)
		if err != nil {
			return env, err
		}
		return env, fold(b, env)
	})
}

// inOrder folds events in b in log order with step, which returns the
// envelope (head) of the event it folded; events at or below the
// checkpoint are passed over (exactly once), the others must follow it
// without a gap. An event step finds foreign (lrs.ForeignError, returned
// before it wrote anything to b) is passed over and noted. Then the
// checkpoint is committed with b.
func (v *view) inOrder(b *pebble.Batch, events []lrs.LogEvent, step func(i int) (lrs.Envelope, error)) error {
	var last lrs.Envelope
	for i, ev := range events {
		want := v.applied.Load() + 1
		if last.Seq != 0 {
			want = last.Seq + 1
		}
		if ev.Seq < want {
			continue // already applied
		}
		if ev.Seq != want {
			return fmt.Errorf("%s view: event %d follows %d: a gap in the log", v.name, ev.Seq, want-1)
		}
		env, err := step(i)
		if lrs.IsForeign(err) {
			v.passForeign(ev.Seq, err)
			// the checkpoint keeps the stored time of the last Jejak event
			stored := last.Stored
			if last.Seq == 0 {
				stored = time.UnixMilli(v.stored.Load())
			}
			last = lrs.Envelope{Seq: ev.Seq, Stored: stored}
			continue
		}
		if err != nil {
			return fmt.Errorf("%s view: event %d: %w", v.name, ev.Seq, err)
		}
		if env.Seq != ev.Seq {
			return fmt.Errorf("%s view: event %d claims sequence %d", v.name, ev.Seq, env.Seq)
		}
		last = env
	}
	return v.commit(b, last)
}

// commit writes the checkpoint of last into b, commits b and lets waiters
// know; nothing when no event was applied.
func (v *view) commit(b *pebble.Batch, last lrs.Envelope) error {
	if last.Seq == 0 {
		return nil
	}
	if err := b.Set(keyCheckpoint, encodeCheckpoint(last.Seq, last.Stored.UnixMilli()), nil); err != nil {
		return err
	}
	v.commitMu.Lock()
	defer v.commitMu.Unlock()
	if v.beforeCommit != nil {
		if err := v.beforeCommit(); err != nil {
			return fmt.Errorf("%s view: commit: %w", v.name, err)
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("%s view: commit: %w", v.name, err)
	}
	v.stored.Store(last.Stored.UnixMilli())
	v.applied.Store(last.Seq)
	v.mu.Lock()
	close(v.advance)
	v.advance = make(chan struct{})
	v.mu.Unlock()
	return nil
}

// Digest returns a SHA-256 over every key and value of the view in key
// order (of its main database, then of the others): two views with the
// same digest are the same, byte for byte.
func (v *view) Digest() (lrs.Hash, error) {
	dbs := make([]iterable, 0, 1+len(v.others))
	dbs = append(dbs, v.db)
	for _, db := range v.others {
		dbs = append(dbs, db)
	}
	return digest(dbs...)
}

// Snapshot is a view as it stood between two chunks: every database of
// it, and the position (checkpoint) they hold. Close it when done.
type Snapshot struct {
	position uint64
	snaps    []*pebble.Snapshot
}

// Snapshot takes a snapshot of the view. It waits for a chunk being
// committed, so that the records and the index of the statement view are
// of the same chunk.
func (v *view) Snapshot() (*Snapshot, error) {
	v.commitMu.Lock()
	snaps := make([]*pebble.Snapshot, 0, 1+len(v.others))
	snaps = append(snaps, v.db.NewSnapshot())
	for _, db := range v.others {
		snaps = append(snaps, db.NewSnapshot())
	}
	v.commitMu.Unlock()
	s := &Snapshot{snaps: snaps}
	cp, err := getCopy(snaps[0], keyCheckpoint)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("%s view: read the checkpoint of a snapshot: %w", v.name, err)
	}
	if len(cp) == 16 {
		s.position = binary.BigEndian.Uint64(cp)
	}
	return s, nil
}

// Position is the last log sequence the snapshot holds (0: none).
func (s *Snapshot) Position() uint64 { return s.position }

// Digest is the view's Digest as the snapshot holds it.
func (s *Snapshot) Digest() (lrs.Hash, error) {
	its := make([]iterable, len(s.snaps))
	for i, sn := range s.snaps {
		its[i] = sn
	}
	return digest(its...)
}

// Close releases the snapshot.
func (s *Snapshot) Close() error {
	var errs []error
	for _, sn := range s.snaps {
		errs = append(errs, sn.Close())
	}
	return errors.Join(errs...)
}

// SnapshotDigest returns the view's position and its digest there, both
// read from one snapshot. A digest reads the whole view: it is remembered
// with its position and computed again only when the view has moved on.
func (v *view) SnapshotDigest() (uint64, lrs.Hash, error) {
	v.digestMu.Lock()
	defer v.digestMu.Unlock()
	s, err := v.Snapshot()
	if err != nil {
		return 0, lrs.Hash{}, err
	}
	defer s.Close()
	if v.digestOK && v.digestPos == s.Position() {
		return v.digestPos, v.digestSum, nil
	}
	sum, err := s.Digest()
	if err != nil {
		return 0, lrs.Hash{}, fmt.Errorf("%s view: digest: %w", v.name, err)
	}
	v.digestPos, v.digestSum, v.digestOK = s.Position(), sum, true
	return s.Position(), sum, nil
}

// iterable is a database or a snapshot of one.
type iterable interface {
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

// digest returns a SHA-256 over every key and value of each database in
// turn (see digestDB).
func digest(dbs ...iterable) (lrs.Hash, error) {
	h := sha256.New()
	for _, db := range dbs {
		if err := digestDB(h, db); err != nil {
			return lrs.Hash{}, err
		}
	}
	var out lrs.Hash
	h.Sum(out[:0])
	return out, nil
}

// digestDB writes every key and value of db, in key order and with their
// lengths, to h.
func digestDB(h hash.Hash, db iterable) error {
	it, err := db.NewIter(nil)
	if err != nil {
		return err
	}
	defer it.Close()
	var n [4]byte
	for ok := it.First(); ok; ok = it.Next() {
		binary.BigEndian.PutUint32(n[:], uint32(len(it.Key())))
		h.Write(n[:])
		h.Write(it.Key())
		binary.BigEndian.PutUint32(n[:], uint32(len(it.Value())))
		h.Write(n[:])
		h.Write(it.Value())
	}
	return it.Error()
}

// getCopy returns a copy of the value under key as r (a database or an
// indexed batch) sees it, nil when there is none (so no value in a view is
// ever empty).
func getCopy(r pebble.Reader, key []byte) ([]byte, error) {
	val, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), val...)
	closer.Close()
	return out, nil
}
