package projections

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/uuid"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
)

// StatementIndex is the statement view: every statement by id and by
// position in stored order, with voiding applied, the filter indexes, and
// the canonical activity definitions and verb displays.
type StatementIndex struct {
	*view

	// used by Apply only; caches that only save work, rebuilt from the
	// database after a failed Apply
	seenDefs    map[string]string      // see recordNames
	canon       map[string]canonEntry  // see recordDefinitions
	voidsDue    map[uuid.UUID]struct{} // targets voided before they came (w keys)
	refsDue     map[uuid.UUID]struct{} // targets referenced before they came (q keys)
	workerTerms []*lrs.TermCache       // one per preparing worker
	workerJSON  []*fastjson.Parser     // one per preparing worker
	defParsers  [2]fastjson.Parser     // see recordDefinitions

	// rec holds the statement records (p keys): written in position order,
	// they are most of the view's bytes, and in a database of their own
	// they pass down the LSM without being merged with the index keys
	// (flushes hold one ascending run; compactions mostly move files).
	rec *pebble.DB
	rb  *pebble.Batch // the records of the chunk being folded (Apply only)

	// ids holds every statement id of the view, and those of the batch
	// being built: an id joins it before its batch commits (a false
	// "maybe" only costs a read), so a writer woken by WaitApplied never
	// misses an id the view has applied.
	ids atomic.Pointer[idFilter]
}

var _ lrs.StatementView = (*StatementIndex)(nil)

// OpenStatementIndex opens (or creates) the view in dir. The caller closes it
// after every reader and the projector have stopped.
func OpenStatementIndex(dir string, opts *pebble.Options) (*StatementIndex, error) {
	v, err := openView("statements", dir, opts, statementFormat)
	if err != nil {
		return nil, err
	}
	v.wants = func(typ string) bool { return typ == lrs.EventStatements }
	ix := &StatementIndex{view: v}
	rdir := filepath.Join(dir, recordsDir)
	if ix.rec, err = pebble.Open(rdir, opts.Clone()); err != nil {
		v.Close()
		return nil, fmt.Errorf("open statements view records %s: %w", rdir, err)
	}
	v.others = []*pebble.DB{ix.rec} // digested after the index (see Digest)
	// The records must be at least as far as the index after any crash:
	// an index entry whose record was lost could not be answered, while
	// records past the checkpoint are written again when the view resumes.
	// Two databases' unsynced writes reach the disk in no set order (a
	// killed process loses the tail its WAL writer had not yet written),
	// so the records are synced before the index commits (metaSync: no
	// sync in a rebuild, which runs without WAL and flushes both).
	v.beforeCommit = func() error { return ix.rb.Commit(v.metaSync) }
	if err := ix.loadCaches(); err != nil {
		ix.Close()
		return nil, err
	}
	if err := ix.loadIDs(); err != nil {
		ix.Close()
		return nil, err
	}
	return ix, nil
}

// recordOverhead is what a batch adds to a record beside its value: the
// kind, the key and the two lengths (uvarints).
const recordOverhead = 1 + 1 + 13 + binary.MaxVarintLen32

// recordsDir is the records database's directory inside the view's.
const recordsDir = "records"

// Close closes both databases, after every reader and the projector have
// stopped.
func (ix *StatementIndex) Close() error {
	var rerr error
	if ix.rec != nil {
		rerr = ix.rec.Close()
	}
	return errors.Join(ix.view.Close(), rerr)
}

// Flush writes both databases' memory tables to disk.
func (ix *StatementIndex) Flush() error {
	return errors.Join(ix.rec.Flush(), ix.view.Flush())
}

// stores returns the metrics of both databases.
func (ix *StatementIndex) stores() []StoreMetrics {
	return append(ix.view.stores(), StoreMetrics{ix.name + "/" + recordsDir, ix.rec.Metrics()})
}

// loadIDs builds the id filter from the database, sized for twice the ids
// held.
func (ix *StatementIndex) loadIDs() error {
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: []byte{famID}, UpperBound: []byte{famID + 1}})
	if err != nil {
		return err
	}
	defer it.Close()
	var ids []uuid.UUID
	for ok := it.First(); ok; ok = it.Next() {
		var id uuid.UUID
		copy(id[:], it.Key()[1:])
		ids = append(ids, id)
	}
	f := newIDFilter(int64(len(ids)) * 2)
	for _, id := range ids {
		f.add(id)
	}
	ix.ids.Store(f)
	return it.Error()
}

// loadCaches fills the in-memory sets of pending voids and references
// from the database.
func (ix *StatementIndex) loadCaches() error {
	ix.seenDefs = map[string]string{}
	ix.canon = map[string]canonEntry{}
	ix.voidsDue = map[uuid.UUID]struct{}{}
	ix.refsDue = map[uuid.UUID]struct{}{}
	for fam, set := range map[byte]map[uuid.UUID]struct{}{famVoid: ix.voidsDue, famAwaited: ix.refsDue} {
		if err := ix.scanFamily(fam, func(k, _ []byte) error {
			var id uuid.UUID
			copy(id[:], k[1:])
			set[id] = struct{}{}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// Apply folds a chunk of events into the view in one batch with the
// checkpoint. Events of other types are passed over.
func (ix *StatementIndex) Apply(events []lrs.LogEvent) error {
	preps, err := ix.prepare(events)
	if err == nil {
		// Exactly: a batch that outgrows its size doubles.
		size := 0
		for _, p := range preps {
			for _, sp := range p.stmts {
				size += len(sp.json) + recordOverhead
			}
		}
		ix.rb = ix.rec.NewIndexedBatchWithSize(size)
		err = ix.applyPrepared(events, preps, ix.applyStatements)
		ix.rb.Close()
		ix.rb = nil
	}
	if err == nil {
		if ix.ids.Load().full() {
			err = ix.loadIDs()
		}
		return err
	}
	if err != nil {
		// the caches may name what was not committed
		if lerr := ix.loadCaches(); lerr != nil {
			return errors.Join(err, lerr)
		}
	}
	return err
}

func (ix *StatementIndex) applyStatements(b *pebble.Batch, e *eventPrep) error {
	if !e.fold {
		return nil
	}
	for i := range e.stmts {
		if err := ix.applyStatement(b, e.head.Seq, uint32(i), &e.stmts[i]); err != nil {
			return err
		}
	}
	if len(e.stmts) == 0 {
		return nil
	}
	return b.Set(timeKey(e.head.Stored.UnixMilli(), e.head.Seq), nil, nil)
}

func (ix *StatementIndex) applyStatement(b *pebble.Batch, seq uint64, index uint32, sp *stmtPrep) error {
	facts := sp.facts
	ids := ix.ids.Load()
	if ids.mayHold(facts.ID) {
		exists, err := getCopy(b, idKey(famID, facts.ID))
		if err != nil {
			return err
		}
		if exists != nil {
			return nil // first writer in log order wins
		}
	}
	ids.add(facts.ID)
	pos := position{seq, index}
	var flags byte
	if facts.VoidTarget != uuid.Nil {
		flags |= flagVoiding
	}
	if _, due := ix.voidsDue[facts.ID]; due && flags&flagVoiding == 0 {
		flags |= flagVoided
	}
	sp.json[0] = flags
	if err := ix.rb.Set(positionKey(seq, index), sp.json, nil); err != nil {
		return err
	}
	rec := idRecord{seq: seq, index: index, hash: sp.hash}
	if err := b.Set(idKey(famID, facts.ID), rec.encode(), nil); err != nil {
		return err
	}

	// Terms: its own, and those of the statement it targets (Filter
	// Conditions for StatementRefs), which in turn include its target's.
	terms := sp.terms
	if facts.RefTarget != uuid.Nil {
		if err := b.Set(refKey(facts.RefTarget, pos), facts.ID[:], nil); err != nil {
			return err
		}
		trec, err := getCopy(b, idKey(famID, facts.RefTarget))
		switch {
		case err != nil:
			return err
		case trec == nil:
			// the target is not here yet: it passes its terms on when it comes
			if err := b.Set(idKey(famAwaited, facts.RefTarget), []byte{1}, nil); err != nil {
				return err
			}
			ix.refsDue[facts.RefTarget] = struct{}{}
		default:
			// its record is in the batch: its own terms and its target's
			if terms, err = ix.termsAt(b, pos, 0); err != nil {
				return err
			}
		}
	}
	if err := setPostings(b, pos, terms); err != nil {
		return err
	}
	// Statements that targeted this one before it arrived inherit its terms.
	if _, awaited := ix.refsDue[facts.ID]; awaited {
		if err := ix.propagate(b, facts.ID, 0); err != nil {
			return err
		}
	}
	if err := ix.recordDefinitions(b, sp); err != nil {
		return err
	}
	if err := ix.recordNames(b, sp); err != nil {
		return err
	}
	if facts.VoidTarget != uuid.Nil {
		return ix.void(b, facts.VoidTarget, facts.ID)
	}
	return nil
}

// maxRefDepth bounds how far terms pass along a chain of StatementRefs.
const maxRefDepth = 16

// setPostings records the postings of terms for the statement at pos; the
// value says whether the term is narrow. Setting a posting again is
// harmless: a statement's terms only grow.
func setPostings(b *pebble.Batch, pos position, terms []lrs.Term) error {
	for _, t := range terms {
		var v byte
		if t.Narrow {
			v = postingNarrow
		}
		if err := b.Set(postingKey(t.Key[:], pos), []byte{v}, nil); err != nil {
			return err
		}
	}
	return nil
}

// termsAt works out the terms of the statement at pos from its record: its
// own, and those it inherits along its StatementRef chain. Only statements
// that target others come here, so the view keeps no term lists.
func (ix *StatementIndex) termsAt(b *pebble.Batch, pos position, depth int) ([]lrs.Term, error) {
	val, err := getCopy(ix.rb, positionKey(pos.seq, pos.index))
	if err != nil || val == nil {
		return nil, err
	}
	st, err := fastjson.ParseBytes(val[statementHead:])
	if err != nil {
		return nil, fmt.Errorf("statement at %v: %w", pos, err)
	}
	terms := lrs.StatementTerms(st)
	obj := st.Get("object")
	if depth >= maxRefDepth || string(obj.GetStringBytes("objectType")) != "StatementRef" {
		return terms, nil
	}
	target, err := uuid.ParseBytes(obj.GetStringBytes("id"))
	if err != nil {
		return terms, nil
	}
	trec, err := getCopy(b, idKey(famID, target))
	if err != nil || trec == nil {
		return terms, err
	}
	tr := decodeIDRecord(trec)
	inherited, err := ix.termsAt(b, position{tr.seq, tr.index}, depth+1)
	if err != nil {
		return nil, err
	}
	return lrs.MergeTerms(terms, inherited), nil
}

// propagate gives every statement that targets statement id the terms it
// now inherits, and on to theirs.
func (ix *StatementIndex) propagate(b *pebble.Batch, id uuid.UUID, depth int) error {
	if depth > maxRefDepth {
		return nil // a reference chain this long is not followed further
	}
	prefix := append([]byte{famRef}, id[:]...)
	it, err := b.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	type ref struct {
		pos position
		id  uuid.UUID
	}
	var refs []ref
	for ok := it.First(); ok; ok = it.Next() {
		var r ref
		r.pos = decodePosition(it.Key()[17:])
		copy(r.id[:], it.Value())
		refs = append(refs, r)
	}
	if err := it.Close(); err != nil {
		return err
	}
	for _, r := range refs {
		terms, err := ix.termsAt(b, r.pos, 0)
		if err != nil {
			return err
		}
		if err := setPostings(b, r.pos, terms); err != nil {
			return err
		}
		if err := ix.propagate(b, r.id, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// void marks target voided by voider. A voiding statement cannot be voided;
// a target not yet stored is voided when it arrives.
func (ix *StatementIndex) void(b *pebble.Batch, target, voider uuid.UUID) error {
	recRaw, err := getCopy(b, idKey(famID, target))
	if err != nil {
		return err
	}
	if recRaw == nil {
		ix.voidsDue[target] = struct{}{}
		return b.Set(idKey(famVoid, target), voider[:], nil)
	}
	rec := decodeIDRecord(recRaw)
	pk := positionKey(rec.seq, rec.index)
	val, err := getCopy(ix.rb, pk)
	if err != nil || val == nil {
		return err
	}
	if val[0]&flagVoiding != 0 {
		return nil // XAPI-00016: a voiding statement cannot be voided; ignore
	}
	val[0] |= flagVoided
	return ix.rb.Set(pk, val, nil)
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
	val, err := getCopy(ix.rec, positionKey(rec.seq, rec.index))
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
	s := storedStatement(rec.seq, val)
	if t, err := time.Parse(time.RFC3339Nano, fastjson.GetString(s.JSON, "stored")); err == nil {
		s.Stored = t
	}
	return s, nil
}

// storedStatement reads a p record. Stored is left zero: only single
// statements need it (see Statement).
func storedStatement(seq uint64, val []byte) lrs.StoredStatement {
	s := lrs.StoredStatement{Seq: seq, Voided: val[0]&flagVoided != 0, JSON: val[statementHead:]}
	copy(s.ID[:], val[1:statementHead])
	return s
}

// ContentHash returns the comparison hash of statement id, if stored.
func (ix *StatementIndex) ContentHash(_ context.Context, id uuid.UUID) (lrs.Hash, bool, error) {
	if !ix.ids.Load().mayHold(id) {
		return lrs.Hash{}, false, nil
	}
	recRaw, err := ix.get(idKey(famID, id))
	if err != nil || recRaw == nil {
		return lrs.Hash{}, false, err
	}
	return decodeIDRecord(recRaw).hash, true, nil
}

// Statements returns one page in stored order, newest first unless
// q.Ascending, leaving out voided statements. Every filter is served from
// an index: time bounds from the stored-time index, the other filters by
// intersecting their posting lists, so a page costs in proportion to the
// page, not to the store.
func (ix *StatementIndex) Statements(_ context.Context, q lrs.StatementQuery) (lrs.StatementPage, error) {
	limit := q.Limit
	if limit <= 0 || limit > lrs.MaxPageSize {
		limit = lrs.MaxPageSize
	}
	lo, hi, ok, err := ix.bounds(q)
	if err != nil {
		return lrs.StatementPage{}, lrs.Internal("statement view bounds", err)
	}
	var page lrs.StatementPage
	if !ok {
		return page, nil
	}
	var last position
	emit := func(pos position, val []byte) bool {
		if val[0]&flagVoided != 0 {
			return true
		}
		if len(page.Statements) == limit {
			page.Next = lrs.Cursor{Seq: last.seq, Index: last.index}
			return false
		}
		page.Statements = append(page.Statements, storedStatement(pos.seq, append([]byte(nil), val...)))
		last = pos
		return true
	}
	if terms := q.Filter.Terms(); len(terms) > 0 {
		// One iterator over the statements, sought to each match: cheaper
		// than a get per match.
		stmts, ierr := ix.rec.NewIter(&pebble.IterOptions{LowerBound: []byte{famPosition}, UpperBound: []byte{famPosition + 1}})
		if ierr != nil {
			return lrs.StatementPage{}, lrs.Internal("statement view iterate", ierr)
		}
		err = ix.intersect(terms, lo, hi, q.Ascending, func(pos position) (bool, error) {
			k := positionKey(pos.seq, pos.index)
			if !stmts.SeekGE(k) || !bytes.Equal(stmts.Key(), k) {
				return false, fmt.Errorf("posting for %v without a statement: %v", pos, stmts.Error())
			}
			return emit(pos, stmts.Value()), nil
		})
		if cerr := stmts.Close(); err == nil {
			err = cerr
		}
	} else {
		err = ix.scan(lo, hi, q.Ascending, emit)
	}
	if err != nil {
		return lrs.StatementPage{}, lrs.Internal("statement view query", err)
	}
	return page, nil
}

// bounds turns since, until and the cursor into an inclusive range of
// positions; ok is false when the range is empty.
func (ix *StatementIndex) bounds(q lrs.StatementQuery) (lo, hi position, ok bool, err error) {
	lo, hi = position{0, 0}, position{ix.applied.Load(), ^uint32(0)}
	if since := q.Filter.Since; since != nil {
		// stored > since, at stored's millisecond precision; nothing is
		// stored before 1970, and stored times are keyed as unsigned
		ms := max(since.UnixMilli()+1, 0)
		seq, found, err := ix.timeSeek(ms, true)
		if err != nil || !found {
			return lo, hi, false, err
		}
		lo = maxPos(lo, position{seq, 0})
	}
	if until := q.Filter.Until; until != nil {
		// stored <= until
		ms := until.UnixMilli()
		if ms < 0 {
			return lo, hi, false, nil
		}
		seq, found, err := ix.timeSeek(ms+1, false)
		if err != nil || !found {
			return lo, hi, false, err
		}
		hi = minPos(hi, position{seq, ^uint32(0)})
	}
	if !q.After.IsZero() {
		cur := position{q.After.Seq, q.After.Index}
		if q.Ascending {
			if cur == maxPosition { // nothing after it; next would wrap to the start
				return lo, hi, false, nil
			}
			lo = maxPos(lo, cur.next())
		} else {
			if cur == (position{}) {
				return lo, hi, false, nil
			}
			hi = minPos(hi, cur.prev())
		}
	}
	return lo, hi, !hi.less(lo), nil
}

// timeSeek finds, with atOrAfter, the first event stored at or after ms;
// without, the last event stored before ms.
func (ix *StatementIndex) timeSeek(ms int64, atOrAfter bool) (uint64, bool, error) {
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: []byte{famTime}, UpperBound: []byte{famTime + 1}})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	var ok bool
	if atOrAfter {
		ok = it.SeekGE(timeKey(ms, 0))
	} else {
		ok = it.SeekLT(timeKey(ms, 0))
	}
	if !ok {
		return 0, false, it.Error()
	}
	return binary.BigEndian.Uint64(it.Key()[9:]), true, nil
}

// scan walks statements by position within [lo, hi].
func (ix *StatementIndex) scan(lo, hi position, asc bool, emit func(position, []byte) bool) error {
	it, err := ix.rec.NewIter(&pebble.IterOptions{
		LowerBound: famPosKey(famPosition, lo),
		UpperBound: upperBound(famPosKey(famPosition, hi)),
	})
	if err != nil {
		return err
	}
	defer it.Close()
	step, ok := it.Next, it.First()
	if !asc {
		step, ok = it.Prev, it.Last()
	}
	for ; ok; ok = step() {
		if !emit(decodePosition(it.Key()[1:]), it.Value()) {
			break
		}
	}
	return it.Error()
}

// intersect calls emit with every position within [lo, hi] that has all
// terms (narrowly where the term asks), in order, until emit returns false.
// It leapfrogs: each posting list seeks to the position the others agree
// on, so it reads about as many keys as the smallest list has in range.
func (ix *StatementIndex) intersect(terms []lrs.Term, lo, hi position, asc bool, emit func(position) (bool, error)) error {
	its := make([]*pebble.Iterator, len(terms))
	for i, t := range terms {
		it, err := ix.db.NewIter(&pebble.IterOptions{
			LowerBound: postingKey(t.Key[:], lo),
			UpperBound: upperBound(postingKey(t.Key[:], hi)),
		})
		if err != nil {
			return err
		}
		defer it.Close()
		its[i] = it
	}
	const prefixLen = 1 + len(lrs.TermKey{})
	// settle steps iterator i past postings that are not narrow when the
	// term asks for narrow ones.
	settle := func(i int, ok bool) bool {
		it := its[i]
		for ok && terms[i].Narrow && (len(it.Value()) == 0 || it.Value()[0]&postingNarrow == 0) {
			if asc {
				ok = it.Next()
			} else {
				ok = it.Prev()
			}
		}
		return ok
	}
	// seek positions iterator i at the first posting at or beyond target in
	// the walking direction.
	seek := func(i int, target position) (position, bool) {
		it := its[i]
		var ok bool
		if asc {
			ok = it.SeekGE(postingKey(terms[i].Key[:], target))
		} else {
			ok = it.SeekLT(upperBound(postingKey(terms[i].Key[:], target)))
		}
		if !settle(i, ok) {
			return position{}, false
		}
		return decodePosition(it.Key()[prefixLen:]), true
	}
	if len(its) == 1 {
		// One list: walk it.
		it := its[0]
		step, ok := it.Next, it.First()
		if !asc {
			step, ok = it.Prev, it.Last()
		}
		for ok = settle(0, ok); ok; ok = settle(0, step()) {
			more, err := emit(decodePosition(it.Key()[prefixLen:]))
			if err != nil || !more {
				return err
			}
		}
		return it.Error()
	}
	target := hi
	if asc {
		target = lo
	}
	for {
		agreed := true
		for i := range its {
			p, ok := seek(i, target)
			if !ok {
				return its[i].Error()
			}
			if p != target {
				target, agreed = p, false
				break
			}
		}
		if !agreed {
			continue
		}
		more, err := emit(target)
		if err != nil || !more {
			return err
		}
		if asc {
			if target == hi {
				return nil
			}
			target = target.next()
		} else {
			if target == lo {
				return nil
			}
			target = target.prev()
		}
	}
}

// upperBound returns the smallest key after k (k + 0x00): an exclusive bound
// that includes k.
func upperBound(k []byte) []byte { return append(append([]byte(nil), k...), 0) }

func maxPos(a, b position) position {
	if a.less(b) {
		return b
	}
	return a
}

func minPos(a, b position) position {
	if a.less(b) {
		return a
	}
	return b
}
