package projections

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/uuid"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
)

// StatementIndex is the statement view: every statement by id and by
// position in stored order, with voiding applied.
type StatementIndex struct {
	db *pebble.DB

	applied atomic.Uint64
	stored  atomic.Int64 // unix ms of the last applied event

	mu      sync.Mutex
	advance chan struct{} // closed and replaced whenever applied moves

	parser fastjson.Parser // used by Apply only
}

var _ lrs.StatementView = (*StatementIndex)(nil)

// OpenStatementIndex opens (or creates) the view in dir. The caller closes it
// after every reader and the projector have stopped.
func OpenStatementIndex(dir string, opts *pebble.Options) (*StatementIndex, error) {
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open statement view %s: %w", dir, err)
	}
	ix := &StatementIndex{db: db, advance: make(chan struct{})}
	format, err := ix.get(keyFormat)
	switch {
	case err != nil:
		db.Close()
		return nil, err
	case format == nil:
		if err := db.Set(keyFormat, []byte(statementFormat), pebble.Sync); err != nil {
			db.Close()
			return nil, fmt.Errorf("statement view: write format: %w", err)
		}
	case string(format) != statementFormat:
		db.Close()
		return nil, fmt.Errorf("statement view %s has key format %q, this build reads %q: run `jejak replay` to rebuild it", dir, format, statementFormat)
	}
	cp, err := ix.get(keyCheckpoint)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(cp) == 16 {
		ix.applied.Store(binary.BigEndian.Uint64(cp))
		ix.stored.Store(int64(binary.BigEndian.Uint64(cp[8:])))
	}
	return ix, nil
}

// Close closes the Pebble database.
func (ix *StatementIndex) Close() error { return ix.db.Close() }

// Name is the view's name.
func (ix *StatementIndex) Name() string { return "statements" }

// Checkpoint returns the last applied log sequence.
func (ix *StatementIndex) Checkpoint() uint64 { return ix.applied.Load() }

// Applied returns the last applied sequence and the stored time of that event.
func (ix *StatementIndex) Applied() (uint64, time.Time) {
	seq := ix.applied.Load()
	if seq == 0 {
		return 0, time.Time{}
	}
	return seq, time.UnixMilli(ix.stored.Load()).UTC()
}

// WaitApplied blocks until the view has applied seq or ctx is done.
func (ix *StatementIndex) WaitApplied(ctx context.Context, seq uint64) error {
	for {
		ix.mu.Lock()
		ch := ix.advance
		ix.mu.Unlock()
		if ix.applied.Load() >= seq {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (ix *StatementIndex) get(key []byte) ([]byte, error) {
	v, closer, err := ix.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("statement view get: %w", err)
	}
	out := append([]byte(nil), v...)
	closer.Close()
	return out, nil
}

// Apply folds a chunk of events into the view in one batch with the
// checkpoint. Events must follow the checkpoint without a gap. Events of
// other types are passed over.
func (ix *StatementIndex) Apply(events []lrs.LogEvent) error {
	if len(events) == 0 {
		return nil
	}
	b := ix.db.NewIndexedBatch()
	defer b.Close()
	var last lrs.Envelope
	for _, ev := range events {
		if want := ix.applied.Load() + 1; ev.Seq < want {
			continue // already applied
		}
		env, err := lrs.DecodeEnvelope(&ix.parser, ev.Data)
		if err != nil {
			return fmt.Errorf("statement view: event %d: %w", ev.Seq, err)
		}
		if env.Seq != ev.Seq {
			return fmt.Errorf("statement view: event %d claims sequence %d", ev.Seq, env.Seq)
		}
		if env.Type == lrs.EventStatements {
			if err := ix.applyStatements(b, env); err != nil {
				return fmt.Errorf("statement view: event %d: %w", ev.Seq, err)
			}
		}
		last = env
	}
	if last.Seq == 0 {
		return nil
	}
	if err := b.Set(keyCheckpoint, encodeCheckpoint(last.Seq, last.Stored.UnixMilli()), nil); err != nil {
		return err
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("statement view: commit: %w", err)
	}
	ix.stored.Store(last.Stored.UnixMilli())
	ix.applied.Store(last.Seq)
	ix.mu.Lock()
	close(ix.advance)
	ix.advance = make(chan struct{})
	ix.mu.Unlock()
	return nil
}

func (ix *StatementIndex) applyStatements(b *pebble.Batch, env lrs.Envelope) error {
	if env.V != lrs.EventStatementsV1 {
		return fmt.Errorf("unknown %s schema version %d", env.Type, env.V)
	}
	var index uint32
	for _, bt := range env.Payload.GetArray("batches") {
		for _, st := range bt.GetArray("statements") {
			if err := ix.applyStatement(b, env.Seq, index, st); err != nil {
				return err
			}
			index++
		}
	}
	return nil
}

func (ix *StatementIndex) applyStatement(b *pebble.Batch, seq uint64, index uint32, st *fastjson.Value) error {
	facts, err := lrs.Facts(st)
	if err != nil {
		return err
	}
	exists, err := batchGet(b, idKey(famID, facts.ID))
	if err != nil {
		return err
	}
	if exists != nil {
		return nil // first writer in log order wins
	}
	var flags byte
	if facts.VoidTarget != uuid.Nil {
		flags |= flagVoiding
	}
	if voider, err := batchGet(b, idKey(famVoid, facts.ID)); err != nil {
		return err
	} else if voider != nil && flags&flagVoiding == 0 {
		flags |= flagVoided
	}
	json := st.MarshalTo([]byte{flags})
	if err := b.Set(positionKey(seq, index), json, nil); err != nil {
		return err
	}
	rec := idRecord{seq: seq, index: index, hash: lrs.ContentHash(st)}
	if err := b.Set(idKey(famID, facts.ID), rec.encode(), nil); err != nil {
		return err
	}
	if facts.VoidTarget != uuid.Nil {
		return ix.void(b, facts.VoidTarget, facts.ID)
	}
	return nil
}

// void marks target voided by voider. A voiding statement cannot be voided;
// a target not yet stored is voided when it arrives.
func (ix *StatementIndex) void(b *pebble.Batch, target, voider uuid.UUID) error {
	recRaw, err := batchGet(b, idKey(famID, target))
	if err != nil {
		return err
	}
	if recRaw == nil {
		return b.Set(idKey(famVoid, target), voider[:], nil)
	}
	rec := decodeIDRecord(recRaw)
	pk := positionKey(rec.seq, rec.index)
	val, err := batchGet(b, pk)
	if err != nil || val == nil {
		return err
	}
	if val[0]&flagVoiding != 0 {
		return nil // XAPI-00016: a voiding statement cannot be voided; ignore
	}
	val[0] |= flagVoided
	return b.Set(pk, val, nil)
}

func batchGet(b *pebble.Batch, key []byte) ([]byte, error) {
	v, closer, err := b.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), v...)
	closer.Close()
	return out, nil
}

// Statement returns one statement by id (see lrs.StatementView).
func (ix *StatementIndex) Statement(_ context.Context, id uuid.UUID, voided bool) (lrs.StoredStatement, error) {
	recRaw, err := ix.get(idKey(famID, id))
	if err != nil {
		return lrs.StoredStatement{}, lrs.Internal("statement view", err)
	}
	if recRaw == nil {
		return lrs.StoredStatement{}, lrs.Errorf(lrs.ENOTFOUND, "no statement with id %s", id)
	}
	rec := decodeIDRecord(recRaw)
	val, err := ix.get(positionKey(rec.seq, rec.index))
	if err != nil || val == nil {
		return lrs.StoredStatement{}, lrs.Internal("statement view", fmt.Errorf("statement %s: position record missing: %v", id, err))
	}
	isVoided := val[0]&flagVoided != 0
	switch {
	case voided && !isVoided:
		return lrs.StoredStatement{}, lrs.Errorf(lrs.ENOTFOUND, "statement %s is not voided; fetch it with statementId", id)
	case !voided && isVoided:
		return lrs.StoredStatement{}, lrs.Errorf(lrs.ENOTFOUND, "statement %s is voided; fetch it with voidedStatementId", id)
	}
	return ix.storedStatement(id, rec.seq, val)
}

func (ix *StatementIndex) storedStatement(id uuid.UUID, seq uint64, val []byte) (lrs.StoredStatement, error) {
	s := lrs.StoredStatement{ID: id, Seq: seq, Voided: val[0]&flagVoided != 0, JSON: val[1:]}
	if t, err := time.Parse(time.RFC3339Nano, fastjson.GetString(s.JSON, "stored")); err == nil {
		s.Stored = t
	}
	return s, nil
}

// ContentHash returns the comparison hash of statement id, if stored.
func (ix *StatementIndex) ContentHash(_ context.Context, id uuid.UUID) (lrs.Hash, bool, error) {
	recRaw, err := ix.get(idKey(famID, id))
	if err != nil || recRaw == nil {
		return lrs.Hash{}, false, err
	}
	return decodeIDRecord(recRaw).hash, true, nil
}

// Statements returns one page in stored order, newest first unless
// q.Ascending, leaving out voided statements.
func (ix *StatementIndex) Statements(_ context.Context, q lrs.StatementQuery) (lrs.StatementPage, error) {
	limit := q.Limit
	if limit <= 0 || limit > lrs.MaxPageSize {
		limit = lrs.MaxPageSize
	}
	opts := &pebble.IterOptions{LowerBound: []byte{famPosition}, UpperBound: []byte{famPosition + 1}}
	if !q.After.IsZero() {
		if q.Ascending {
			opts.LowerBound = positionKey(q.After.Seq, q.After.Index+1)
			if q.After.Index == ^uint32(0) {
				opts.LowerBound = positionKey(q.After.Seq+1, 0)
			}
		} else {
			opts.UpperBound = positionKey(q.After.Seq, q.After.Index)
		}
	}
	it, err := ix.db.NewIter(opts)
	if err != nil {
		return lrs.StatementPage{}, lrs.Internal("statement view iterate", err)
	}
	defer it.Close()
	var page lrs.StatementPage
	var lastPos lrs.Cursor
	step := it.Next
	ok := it.First()
	if !q.Ascending {
		step, ok = it.Prev, it.Last()
	}
	for ; ok; ok = step() {
		val := it.Value()
		if val[0]&flagVoided != 0 {
			continue
		}
		if len(page.Statements) == limit {
			page.Next = lastPos // there is more
			break
		}
		seq, index := parsePositionKey(it.Key())
		s, err := ix.storedStatement(uuid.UUID{}, seq, append([]byte(nil), val...))
		if err != nil {
			return lrs.StatementPage{}, err
		}
		s.ID, _ = uuid.Parse(fastjson.GetString(s.JSON, "id"))
		page.Statements = append(page.Statements, s)
		lastPos = lrs.Cursor{Seq: seq, Index: index}
	}
	if err := it.Error(); err != nil {
		return lrs.StatementPage{}, lrs.Internal("statement view iterate", err)
	}
	return page, nil
}

var _ io.Closer = (*StatementIndex)(nil)

// Digest returns a SHA-256 over every key and value of the view in key
// order: two views with the same digest are the same, byte for byte.
func (ix *StatementIndex) Digest() (lrs.Hash, error) {
	it, err := ix.db.NewIter(nil)
	if err != nil {
		return lrs.Hash{}, err
	}
	defer it.Close()
	h := sha256.New()
	var n [4]byte
	for ok := it.First(); ok; ok = it.Next() {
		binary.BigEndian.PutUint32(n[:], uint32(len(it.Key())))
		h.Write(n[:])
		h.Write(it.Key())
		binary.BigEndian.PutUint32(n[:], uint32(len(it.Value())))
		h.Write(n[:])
		h.Write(it.Value())
	}
	var out lrs.Hash
	h.Sum(out[:0])
	return out, it.Error()
}
