package lrs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"
)

// AppenderConfig holds the dependencies of an Appender.
type AppenderConfig struct {
	Log  Log
	View StatementView // decides id conflicts with what is already stored
	// Documents decides document preconditions; nil refuses document writes.
	Documents DocumentView
	Now       func() time.Time // clock for "stored"
	NewID     func() uuid.UUID // ids for events (message dedup ids)
	Logger    *slog.Logger
	// MaxGroupBytes bounds the size of one merged event. Zero means 1 MiB.
	MaxGroupBytes int
	// Linger is how long a group waits for more requests when the last one
	// merged several (load is high). Zero means no waiting.
	Linger time.Duration
	// MaxLag bounds how many statements this appender has appended that
	// the statement view has not yet folded: past it, the next append
	// waits for the view (backpressure). Zero means no bound.
	MaxLag int
	// AppendTimeout bounds the wait for the log to acknowledge one append,
	// and for reading the tail again after a failed one. Zero means 30s.
	AppendTimeout time.Duration
	// Lease says whether this node decides for the log now, and in which
	// term (see ADR 26): it is asked before every append, and a request
	// on a node that does not hold it is refused with ErrNotDecider,
	// nothing of it sent. A new term makes the appender read the log's
	// tail again before it decides anything: another node may have
	// appended meanwhile. Nil means this node always decides (one node).
	Lease func() (term uint64, held bool)
	// NoPipeline keeps one event in flight at a time, each expecting only
	// the log's last sequence. A replicated JetStream stream checks an
	// expected last message id only when each replica applies the event,
	// and a mismatch there stops the stream; without pipelining the
	// expected sequence alone keeps the chain exact (ADR 26).
	NoPipeline bool
}

// ErrNotDecider is the cause of a refusal by an appender whose node does
// not hold the log's lease: nothing of the request was sent to the log, so
// it may be sent to the deciding node instead.
var ErrNotDecider = errors.New("this node does not decide for the log now")

// NotDecided is a refusal for want of a deciding node (ENOTDECIDED, 503)
// with ErrNotDecider as its cause: nothing of the request was appended,
// and message says why to the client.
func NotDecided(message string) *Error {
	return &Error{Code: ENOTDECIDED, Message: message, Err: ErrNotDecider}
}

// notDecider is the error requests refused with ErrNotDecider get.
func notDecider() error { return NotDecided("no node decides for the log now; retry the request") }

// Appender is the write path: it commits statement requests to the log,
// merging requests that arrive while an append is in flight into the next
// event (group commit), one fsync for many requests.
//
// Every event is appended with an expected last sequence, so the appender
// knows the exact sequence and previous hash of each event it writes (the
// hash chain), and it decides id conflicts having seen every earlier event:
// when another writer appended first, it catches its view up and decides
// again. Run must be running for Append to make progress.
type Appender struct {
	cfg  AppenderConfig
	reqs chan *appendReq
	done chan struct{}

	lastSeq  atomic.Uint64 // the log's last sequence as this appender knows it
	events   atomic.Uint64 // statement events appended
	requests atomic.Uint64 // requests those events carried
	inflight atomic.Int64  // stored time (unix ms) of the event being appended, 0 if none
	heldBack atomic.Int64  // nanoseconds appends waited for the view (backpressure)

	failMu       sync.Mutex
	failingSince time.Time // when appends began to fail; zero while they succeed
	failErr      error     // the last failure

	// owned by Run
	tail      tail
	pending   map[uuid.UUID]pendingID // appended, maybe not yet in the view
	queue     []pendingSeq            // pending ids in append order, for pruning
	held      *appendReq              // a request for another store, next in line
	lastGroup int                     // requests in the last group gathered
	// stale is set when an append failed and its outcome may be unknown
	// (the event may or may not be in the log) and the tail could not be
	// read again since: nothing is decided or appended until it is.
	stale bool
	term  uint64 // the lease term the tail was read in
	// pipelined is true while events may be sent before the previous one
	// is acknowledged: each then also expects the previous message id.
	pipelined bool
}

type tail struct {
	seq    uint64
	hash   Hash
	stored time.Time
	msgID  string // the MsgID the event at seq was appended with, if known
}

type pendingID struct {
	hash   Hash
	seq    uint64
	writer []byte // the writer's authority Agent (see checkVoids)
}

type pendingSeq struct {
	seq uint64
	ids []uuid.UUID
}

type appendReq struct {
	stmts []Statement
	doc   *docReq   // a document write instead of statements
	event *eventReq // or an event as it is
	by    Authority
	size  int
	res   chan appendResult
}

type docReq struct {
	w     DocumentWrite
	agent []byte // the request's Agent JSON, for the event
}

// eventReq is an event appended as it is (registry, catalogue).
type eventReq struct {
	typ     string
	v       int
	kind    string // subject kind: jejak.<store>.<kind>
	payload []byte
}

type appendResult struct {
	seq uint64
	err error
}

// NewAppender returns an Appender; call Run to start it.
func NewAppender(cfg AppenderConfig) *Appender {
	if cfg.MaxGroupBytes <= 0 {
		cfg.MaxGroupBytes = 1 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = uuid.New
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.AppendTimeout <= 0 {
		cfg.AppendTimeout = appendTimeout
	}
	return &Appender{
		cfg:     cfg,
		reqs:    make(chan *appendReq, 1024),
		done:    make(chan struct{}),
		pending: make(map[uuid.UUID]pendingID),
	}
}

// envelopeOverhead is room for the envelope and batch framing.
const envelopeOverhead = 1024

// Append commits one request's statements as a whole and returns the log
// sequence that makes them visible. A statement whose id is already stored
// with the same content is skipped; with other content the whole request
// fails with ECONFLICT. It returns ETOOLARGE when the request cannot fit in
// one event and EUNAVAILABLE when the log cannot be written.
func (a *Appender) Append(ctx context.Context, stmts []Statement, by Authority) (uint64, error) {
	size := envelopeOverhead + len(by.Key)
	for i := range stmts {
		size += len(stmts[i].JSON) + 48
	}
	if size > a.cfg.Log.MaxEventSize() {
		return 0, Errorf(ETOOLARGE, "the statements take %d bytes, more than the %d a single append can hold", size, a.cfg.Log.MaxEventSize())
	}
	return a.submit(ctx, &appendReq{stmts: stmts, by: by, size: size, res: make(chan appendResult, 1)})
}

// submit queues r and waits for its result.
func (a *Appender) submit(ctx context.Context, r *appendReq) (uint64, error) {
	select {
	case a.reqs <- r:
	case <-a.done:
		return 0, Errorf(EUNAVAILABLE, "the LRS is shutting down")
	case <-ctx.Done():
		return 0, Errorf(EUNAVAILABLE, "request cancelled before it was appended")
	}
	select {
	case res := <-r.res:
		return res.seq, res.err
	case <-ctx.Done():
		// The event may still be appended; the caller was not told it was.
		return 0, Errorf(EUNAVAILABLE, "request cancelled while it was being appended")
	}
}

// AppendDocument commits one document write: it decides the write against
// the documents view caught up with every earlier event (preconditions,
// merge) and appends the outcome with the document's expected subject
// sequence. It returns the sequence that makes it visible (0 when nothing
// changed) and the errors of DecideDocument, ETOOLARGE or EUNAVAILABLE.
func (a *Appender) AppendDocument(ctx context.Context, w DocumentWrite, agent []byte, by Authority) (uint64, error) {
	if a.cfg.Documents == nil {
		return 0, Errorf(EUNAVAILABLE, "documents are not served by this node")
	}
	size := envelopeOverhead + len(agent) + len(w.Key.ActivityID) + len(w.Key.ID) + (len(w.Body)*4/3 + 4)
	if size > a.cfg.Log.MaxEventSize() {
		return 0, Errorf(ETOOLARGE, "the document takes %d bytes in the log, more than the %d it accepts", size, a.cfg.Log.MaxEventSize())
	}
	return a.submit(ctx, &appendReq{doc: &docReq{w: w, agent: agent}, by: by, size: size, res: make(chan appendResult, 1)})
}

// AppendEvent appends one event of type typ (schema version v) with payload
// as it is, on subject jejak.<store>.<kind>; for the registry and the
// catalogue, whose checks happen before. It returns the event's sequence.
func (a *Appender) AppendEvent(ctx context.Context, typ string, v int, kind string, payload []byte, by Authority) (uint64, error) {
	size := envelopeOverhead + len(payload)
	if size > a.cfg.Log.MaxEventSize() {
		return 0, Errorf(ETOOLARGE, "the event takes %d bytes, more than the %d the log accepts", size, a.cfg.Log.MaxEventSize())
	}
	return a.submit(ctx, &appendReq{event: &eventReq{typ: typ, v: v, kind: kind, payload: payload}, by: by, size: size, res: make(chan appendResult, 1)})
}

// LastSeq returns the log's last sequence as this node knows it: at least
// every sequence it has acknowledged to a writer. A reader that waits for the
// view to reach it reads every write acknowledged on this node.
func (a *Appender) LastSeq() uint64 { return a.lastSeq.Load() }

// Stats returns how many statement events were appended and how many
// requests they carried (their ratio is the group commit's merge factor).
func (a *Appender) Stats() (events, requests uint64) { return a.events.Load(), a.requests.Load() }

// Queued returns the number of requests waiting for the next append.
func (a *Appender) Queued() int { return len(a.reqs) }

// HeldBack returns how long appends have waited for the statement view
// (see AppenderConfig.MaxLag).
func (a *Appender) HeldBack() time.Duration { return time.Duration(a.heldBack.Load()) }

// Inflight returns the stored time of the event being appended now, if any.
func (a *Appender) Inflight() (time.Time, bool) {
	ms := a.inflight.Load()
	if ms == 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

// Run commits requests until ctx is done. Requests still queued then are
// answered with EUNAVAILABLE.
func (a *Appender) Run(ctx context.Context) error {
	defer close(a.done)
	defer a.failQueued()
	if err := a.resync(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped before the tail was read: a shutdown, not a failure
		}
		return fmt.Errorf("appender: read log tail: %w", err)
	}
	pl, pipelined := a.cfg.Log.(PipelineLog)
	a.pipelined = pipelined && !a.cfg.NoPipeline
	var fl *flight // a statement event sent and not yet acknowledged
	defer func() {
		if fl != nil {
			a.land(ctx, fl, nil)
		}
	}()
	for {
		first := a.held
		a.held = nil
		if first == nil {
			var landed <-chan struct{}
			if fl != nil {
				landed = fl.pending.Done()
			}
			select {
			case first = <-a.reqs:
			case <-landed:
				fl = a.land(ctx, fl, nil)
				continue
			case <-ctx.Done():
				return nil
			}
		}
		if err := a.mayDecide(); err != nil {
			if fl != nil {
				fl = a.land(ctx, fl, nil)
			}
			a.refuseQueued(first, err)
			continue
		}
		if a.stale {
			if fl != nil {
				fl = a.land(ctx, fl, nil)
			}
			if err := a.recover(ctx); err != nil {
				a.refuseQueued(first, err)
				continue
			}
		}
		if first.doc != nil || first.event != nil {
			if fl != nil {
				fl = a.land(ctx, fl, nil)
			}
			if first.doc != nil {
				a.commitDocument(ctx, first)
			} else {
				a.commitEvent(ctx, first)
			}
			continue
		}
		group := a.gather(first)
		if !a.pipelined {
			a.commit(ctx, group)
			continue
		}
		next, riders := a.send(ctx, pl, group)
		if fl != nil {
			fl.waiting = append(fl.waiting, riders...)
			next = a.land(ctx, fl, next)
		} else {
			for _, r := range riders { // nothing in flight: already durable
				r.res <- appendResult{seq: a.lastSeq.Load()}
			}
		}
		fl = next
	}
}

// flight is a statement event sent to the log and not yet acknowledged.
//
// With a PipelineLog the appender sends the next group while the previous
// event is still being made durable: the next event is built on the
// previous one's sequence and hash and expects it as the log's last event
// (sequence and message id), so if the previous one did not land, neither
// does the next, and both are decided again from the log (land). At most
// two events are in flight; requests are answered in log order once their
// event is acknowledged.
type flight struct {
	waiting []*appendReq // the requests the event answers
	seq     uint64
	stored  time.Time
	pending PendingAppend
}

// err waits for the flight's outcome.
func (f *flight) err() error {
	got, err := f.pending.Result()
	if err != nil {
		return err
	}
	return checkSeq(got, f.seq)
}

// send decides group and sends its event without waiting for the log. The
// flight is nil when there is nothing to append (riders are then the
// requests whose statements are all in the event in flight) or the send
// failed (every request answered).
func (a *Appender) send(ctx context.Context, pl PipelineLog, group []*appendReq) (f *flight, riders []*appendReq) {
	a.prune()
	a.backpressure(ctx)
	batches, waiting := a.decide(ctx, group)
	if len(batches) == 0 {
		// nothing new: what is waiting rides on the event in flight
		return nil, waiting
	}
	if err := a.mayAppend(); err != nil {
		for _, r := range waiting {
			r.res <- appendResult{err: err}
		}
		return nil, nil
	}
	store := group[0].by.Store
	req, next := a.next(AppendRequest{Subject: Subject(store, "statements")}, func(seq uint64, stored time.Time) []byte {
		return a.encode(batches, store, seq, stored)
	})
	pending, err := pl.AppendAsync(req, a.cfg.AppendTimeout)
	if err != nil {
		a.cfg.Logger.Error("append failed", "seq", next.seq, "err", err)
		a.failed(err)
		for _, r := range waiting {
			r.res <- appendResult{err: unavailable(err)}
		}
		return nil, nil
	}
	if a.inflight.Load() == 0 {
		a.inflight.Store(next.stored.UnixMilli())
	}
	// What comes next is built on this event, and decided with its ids.
	a.tail = next
	a.remember(batches, next.seq)
	return &flight{waiting: waiting, seq: next.seq, stored: next.stored, pending: pending}, nil
}

// remember notes the ids of an appended event as pending until the view
// folds them.
func (a *Appender) remember(batches []batch, seq uint64) {
	ids := make([]uuid.UUID, 0, len(batches))
	for _, b := range batches {
		for i := range b.stmts {
			a.pending[b.stmts[i].ID] = pendingID{hash: b.stmts[i].Hash, seq: seq, writer: b.writer}
			ids = append(ids, b.stmts[i].ID)
		}
	}
	a.queue = append(a.queue, pendingSeq{seq: seq, ids: ids})
}

// land waits for f and answers its requests; next is the event sent after
// it, if any, which land returns still in flight. If f did not land, next
// was chained on it: land waits for next too, starts again from the log,
// and decides again the requests of both that a mismatch turned away.
func (a *Appender) land(ctx context.Context, f, next *flight) *flight {
	if f.err() == nil {
		a.landed(f, next)
		return next
	}
	var again []*appendReq
	for _, g := range []*flight{f, next} {
		if g == nil {
			continue
		}
		err := g.err()
		if err == nil { // f's acknowledgement was lost, but it was stored
			a.landed(g, nil)
			continue
		}
		if errors.Is(err, ErrLogMoved) {
			again = append(again, g.waiting...)
			continue
		}
		a.cfg.Logger.Error("append failed", "seq", g.seq, "err", err)
		a.failed(err)
		for _, r := range g.waiting {
			r.res <- appendResult{err: unavailable(err)}
		}
	}
	a.inflight.Store(0)
	// The tail was built on f: read it again before anything else.
	a.stale = true
	if rerr := a.recover(ctx); rerr != nil {
		for _, r := range again {
			r.res <- appendResult{err: unavailable(rerr)}
		}
		return nil
	}
	if len(again) > 0 {
		a.commit(ctx, again)
	}
	return nil
}

// landed answers the requests of an acknowledged event.
func (a *Appender) landed(f, next *flight) {
	a.succeeded()
	a.lastSeq.Store(max(a.lastSeq.Load(), f.seq))
	if next != nil {
		a.inflight.Store(next.stored.UnixMilli())
	} else {
		a.inflight.Store(0)
	}
	a.answer(f.waiting, f.seq)
}

// answer counts a statement event appended at seq and answers the requests
// it carried.
func (a *Appender) answer(waiting []*appendReq, seq uint64) {
	a.events.Add(1)
	a.requests.Add(uint64(len(waiting)))
	for _, r := range waiting {
		r.res <- appendResult{seq: seq}
	}
}

// gather merges queued requests of the same store into one group, up to the
// size bound.
//
// Under load it lingers: when the previous group merged several requests,
// it waits up to Linger for more to arrive, so that many small requests
// share one fsync instead of each paying for its own.
func (a *Appender) gather(first *appendReq) []*appendReq {
	group := []*appendReq{first}
	size := first.size
	var linger <-chan time.Time
	if a.cfg.Linger > 0 && a.lastGroup > 1 {
		t := time.NewTimer(a.cfg.Linger)
		defer t.Stop()
		linger = t.C
	}
	for size < a.cfg.MaxGroupBytes {
		var r *appendReq
		select {
		case r = <-a.reqs:
		default:
			if linger == nil {
				return a.grouped(group)
			}
			select {
			case r = <-a.reqs:
			case <-linger:
				return a.grouped(group)
			}
		}
		if r.doc != nil || r.event != nil || r.by.Store != first.by.Store || size+r.size > a.cfg.Log.MaxEventSize() {
			a.held = r
			return a.grouped(group)
		}
		group = append(group, r)
		size += r.size
	}
	return a.grouped(group)
}

// grouped notes the size of the group gathered, for the next linger.
func (a *Appender) grouped(group []*appendReq) []*appendReq {
	a.lastGroup = len(group)
	return group
}

func (a *Appender) failQueued() {
	err := Errorf(EUNAVAILABLE, "the LRS is shutting down")
	if a.held != nil {
		a.held.res <- appendResult{err: err}
	}
	for {
		select {
		case r := <-a.reqs:
			r.res <- appendResult{err: err}
		default:
			return
		}
	}
}

// resync reads the log's tail and waits until the view has folded it, so
// that conflict decisions see every event. The tail is the log's last
// sequence (and the message id stored with it), with the hash and stored
// time of the last Jejak event: foreign events at the end of the log are
// passed over, as every view passes over them (see ForeignError).
func (a *Appender) resync(ctx context.Context) error {
	last, err := a.cfg.Log.Last(ctx)
	if err != nil {
		return err
	}
	t := tail{}
	if last.Seq > 0 {
		t = tail{seq: last.Seq, msgID: headerValue(last.Header, "Nats-Msg-Id")}
		var p fastjson.Parser
		ev := last
		for {
			env, err := ReadEvent(&p, ev.Seq, ev.Data)
			if err == nil {
				t.hash, t.stored = HashEvent(ev.Data), env.Stored
				break
			}
			a.cfg.Logger.Warn("passing over a foreign event at the log's end", "seq", ev.Seq, "err", err)
			if ev.Seq == 1 {
				break // no Jejak event yet: the next one is the first
			}
			if ev, err = a.cfg.Log.Get(ctx, ev.Seq-1); err != nil {
				return err
			}
		}
	}
	if err := a.cfg.View.WaitApplied(ctx, t.seq); err != nil {
		return fmt.Errorf("wait for the statement view to reach %d: %w", t.seq, err)
	}
	a.tail = t
	a.lastSeq.Store(t.seq)
	clear(a.pending)
	a.queue = a.queue[:0]
	return nil
}

// prune forgets pending ids the view has folded.
func (a *Appender) prune() {
	applied, _ := a.cfg.View.Applied()
	n := 0
	for n < len(a.queue) && a.queue[n].seq <= applied {
		for _, id := range a.queue[n].ids {
			if p, ok := a.pending[id]; ok && p.seq == a.queue[n].seq {
				delete(a.pending, id)
			}
		}
		n++
	}
	a.queue = append(a.queue[:0], a.queue[n:]...)
}

const maxAppendAttempts = 8

// appendTimeout bounds the wait for the log to acknowledge one append.
const appendTimeout = 30 * time.Second

// maxBackpressureWait bounds one wait for the view: a view that does not
// move is a fault the projector reports, and writes do not stop for it.
const maxBackpressureWait = 10 * time.Second

// backpressure holds the next append while the statement view trails what
// this appender wrote by more than MaxLag statements. Writers then go at
// the pace the view keeps (their requests queue and merge into larger
// groups) instead of piling up events no read can see yet: what is
// acknowledged is readable soon after, and the lag stays bounded.
func (a *Appender) backpressure(ctx context.Context) {
	if a.cfg.MaxLag <= 0 || len(a.pending) <= a.cfg.MaxLag {
		return
	}
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, maxBackpressureWait)
	defer cancel()
	for len(a.pending) > a.cfg.MaxLag && len(a.queue) > 0 {
		if err := a.cfg.View.WaitApplied(wctx, a.queue[0].seq); err != nil {
			a.cfg.Logger.Warn("statement view behind; appending without waiting further",
				"pending", len(a.pending), "waited", time.Since(start), "err", err)
			break
		}
		a.prune()
	}
	a.heldBack.Add(int64(time.Since(start)))
}

func (a *Appender) commit(ctx context.Context, group []*appendReq) {
	for attempt := 1; ; attempt++ {
		a.prune()
		a.backpressure(ctx)
		batches, waiting := a.decide(ctx, group)
		if len(batches) == 0 {
			return
		}
		store := group[0].by.Store
		req := AppendRequest{Subject: Subject(store, "statements")}
		seq, err := a.appendEvent(ctx, req, func(seq uint64, stored time.Time) []byte {
			return a.encode(batches, store, seq, stored)
		})
		if err == nil {
			a.remember(batches, seq)
			a.answer(waiting, seq)
			return
		}
		if retry := errors.Is(err, ErrLogMoved) && attempt < maxAppendAttempts; !retry {
			err = unavailableUnlessNotDecider(err)
			for _, r := range waiting {
				r.res <- appendResult{err: err}
			}
			return
		}
		// decide again for the requests still waiting: the others have
		// their answer
		group = waiting
	}
}

// unavailableUnlessNotDecider is unavailable(err), but a refusal for want
// of the lease as it is: the request may go to the deciding node.
func unavailableUnlessNotDecider(err error) error {
	if errors.Is(err, ErrNotDecider) {
		return err
	}
	return unavailable(err)
}

// mayDecide checks the lease before a request is decided: a refusal when
// this node does not hold it; a new term marks the tail stale, to be read
// again (another node may have appended in between).
func (a *Appender) mayDecide() error {
	if a.cfg.Lease == nil {
		return nil
	}
	term, held := a.cfg.Lease()
	if !held {
		return notDecider()
	}
	if term != a.term {
		a.term = term
		a.stale = true
	}
	return nil
}

// mayAppend checks the lease again just before an event is sent: held, and
// in the term the decision was made in.
func (a *Appender) mayAppend() error {
	if a.cfg.Lease == nil {
		return nil
	}
	if term, held := a.cfg.Lease(); !held || term != a.term {
		return notDecider()
	}
	return nil
}

func unavailable(err error) error {
	return &Error{Code: EUNAVAILABLE, Message: "the event log could not be written; retry the request", Err: err}
}

// next fills in req for the event after the tail, as build makes it for its
// sequence and stored time, and returns the tail it leaves once appended:
// stored never goes back, and the append expects the tail's sequence and
// message id.
func (a *Appender) next(req AppendRequest, build func(seq uint64, stored time.Time) []byte) (AppendRequest, tail) {
	stored := a.cfg.Now().UTC().Truncate(time.Millisecond)
	if stored.Before(a.tail.stored) {
		stored = a.tail.stored
	}
	seq := a.tail.seq + 1
	req.Data = build(seq, stored)
	req.ExpectLast = a.tail.seq
	if a.pipelined {
		// the previous event may still be in flight: expect it exactly
		req.ExpectLastMsgID = a.tail.msgID
	}
	req.MsgID = a.cfg.NewID().String()
	return req, tail{seq: seq, hash: HashEvent(req.Data), stored: stored, msgID: req.MsgID}
}

// checkSeq is the error of an append the log stored at got instead of want.
func checkSeq(got, want uint64) error {
	if got != want {
		return fmt.Errorf("log wrote event at %d, expected %d", got, want)
	}
	return nil
}

// appendEvent appends the event that build makes for the log's next
// sequence, stored time and, through a.tail, previous hash. On success the
// tail advances; on failure the appender resyncs with the log, and
// ErrLogMoved means another writer came first and the caller may decide
// again and retry.
func (a *Appender) appendEvent(ctx context.Context, req AppendRequest, build func(seq uint64, stored time.Time) []byte) (uint64, error) {
	if err := a.mayAppend(); err != nil {
		return 0, err
	}
	req, next := a.next(req, build)
	a.inflight.Store(next.stored.UnixMilli())
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.AppendTimeout)
	got, err := a.cfg.Log.Append(actx, req)
	cancel()
	a.inflight.Store(0)
	seq := next.seq
	if err == nil {
		err = checkSeq(got, seq)
	}
	if err == nil {
		a.succeeded()
		a.tail = next
		a.lastSeq.Store(seq)
		return seq, nil
	}
	if !errors.Is(err, ErrLogMoved) {
		a.cfg.Logger.Error("append failed", "seq", seq, "err", err)
		a.failed(err)
	}
	// The event may or may not be in the log: read the tail again before
	// anything else is decided or appended.
	a.stale = true
	if rerr := a.recover(ctx); rerr != nil {
		return 0, errors.Join(err, rerr)
	}
	return 0, err
}

// recover reads the tail again after a failed append (see stale). Until it
// succeeds nothing is decided: an id the failed event carried is neither
// known to be in the log nor known to be absent.
func (a *Appender) recover(ctx context.Context) error {
	if !a.stale {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, a.cfg.AppendTimeout)
	defer cancel()
	if err := a.resync(rctx); err != nil {
		a.cfg.Logger.Error("read the log's tail again after a failed append", "err", err)
		a.failed(err)
		return err
	}
	a.stale = false
	return nil
}

// refuseQueued answers first and every request queued behind it: the log
// cannot be written now.
func (a *Appender) refuseQueued(first *appendReq, err error) {
	err = unavailableUnlessNotDecider(err)
	first.res <- appendResult{err: err}
	for {
		select {
		case r := <-a.reqs:
			r.res <- appendResult{err: err}
		default:
			return
		}
	}
}

// failed notes that an append or reading the tail failed.
func (a *Appender) failed(err error) {
	a.failMu.Lock()
	defer a.failMu.Unlock()
	if a.failingSince.IsZero() {
		a.failingSince = time.Now()
	}
	a.failErr = err
}

// succeeded notes that an append was acknowledged.
func (a *Appender) succeeded() {
	a.failMu.Lock()
	defer a.failMu.Unlock()
	a.failingSince, a.failErr = time.Time{}, nil
}

// Failing reports since when appends have failed, with the last error;
// a zero time while they succeed. An append that succeeds clears it.
func (a *Appender) Failing() (since time.Time, err error) {
	a.failMu.Lock()
	defer a.failMu.Unlock()
	return a.failingSince, a.failErr
}

// commitDocument decides and appends one document write. Documents are
// few, so each write is its own event, decided against the documents view
// caught up with the log's tail.
func (a *Appender) commitDocument(ctx context.Context, r *appendReq) {
	w := r.doc.w
	w.Key.Store = r.by.Store // the writer's store: it never writes another's
	for attempt := 1; ; attempt++ {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := a.cfg.Documents.WaitApplied(wctx, a.tail.seq)
		cancel()
		if err != nil {
			r.res <- appendResult{err: &Error{Code: EUNAVAILABLE, Message: "the documents view is behind the log; retry the request", Err: err}}
			return
		}
		cur, err := a.cfg.Documents.Document(ctx, w.Key)
		if err != nil {
			r.res <- appendResult{err: err}
			return
		}
		change, err := DecideDocument(cur, w)
		if err != nil || change.Op == "" {
			r.res <- appendResult{err: err}
			return
		}
		store := r.by.Store
		req := AppendRequest{Subject: w.Key.Subject(store), ExpectSubject: true, ExpectSubjectLast: cur.SubjectSeq}
		if change.Op == DocDeleteAll {
			req = AppendRequest{Subject: w.Key.ScopeSubject(store)}
		}
		payload := EncodeDocumentPayload(w.Key, r.doc.agent, change)
		seq, err := a.appendEvent(ctx, req, func(seq uint64, stored time.Time) []byte {
			return EncodeEnvelope(make([]byte, 0, len(payload)+256), EventDocument, EventDocumentV1, seq, store, stored, a.tail.hash, payload)
		})
		if err == nil {
			r.res <- appendResult{seq: seq}
			return
		}
		if retry := errors.Is(err, ErrLogMoved) && attempt < maxAppendAttempts; !retry {
			r.res <- appendResult{err: unavailableUnlessNotDecider(err)}
			return
		}
	}
}

// commitEvent appends an event as it is.
func (a *Appender) commitEvent(ctx context.Context, r *appendReq) {
	e, store := r.event, r.by.Store
	for attempt := 1; ; attempt++ {
		seq, err := a.appendEvent(ctx, AppendRequest{Subject: Subject(store, e.kind)}, func(seq uint64, stored time.Time) []byte {
			return EncodeEnvelope(make([]byte, 0, len(e.payload)+256), e.typ, e.v, seq, store, stored, a.tail.hash, e.payload)
		})
		if err == nil {
			r.res <- appendResult{seq: seq}
			return
		}
		if retry := errors.Is(err, ErrLogMoved) && attempt < maxAppendAttempts; !retry {
			r.res <- appendResult{err: unavailableUnlessNotDecider(err)}
			return
		}
	}
}

type batch struct {
	by     string
	roles  []string
	writer []byte // the authority Agent, for void decisions
	stmts  []Statement
}

// decide answers the requests that need no append (all no-ops, or a
// conflict) and returns the batches to append with the requests waiting on
// them.
func (a *Appender) decide(ctx context.Context, group []*appendReq) ([]batch, []*appendReq) {
	var batches []batch
	var waiting []*appendReq
	inGroup := make(map[uuid.UUID]Hash)
	writers := make(map[uuid.UUID][]byte) // authority Agents of inGroup's ids
	for _, r := range group {
		keep := r.stmts[:0:0]
		var seenSeq uint64
		err := a.checkVoids(ctx, r, writers)
		inThisGroup := false
		for i := range r.stmts {
			if err != nil {
				break
			}
			s := &r.stmts[i]
			h, found, seq, grouped, lerr := a.lookup(ctx, s.ID, inGroup)
			if lerr != nil {
				err = lerr
				break
			}
			if !found {
				keep = append(keep, *s)
				continue
			}
			if h != s.Hash {
				err = Errorf(ECONFLICT, "statement %s already exists with different content", s.ID)
				break
			}
			seenSeq = max(seenSeq, seq)
			// in this group, or in an event still in flight: durable when
			// that is
			inThisGroup = inThisGroup || grouped || seq > a.lastSeq.Load()
		}
		switch {
		case err != nil:
			r.res <- appendResult{err: err}
		case len(keep) == 0 && inThisGroup:
			// the same statements are in this group or in flight: durable
			// when that is
			waiting = append(waiting, r)
		case len(keep) == 0:
			r.res <- appendResult{seq: seenSeq}
		default:
			for i := range keep {
				inGroup[keep[i].ID] = keep[i].Hash
				writers[keep[i].ID] = r.by.Agent
			}
			batches = append(batches, batch{by: r.by.Key, roles: r.by.Roles, writer: r.by.Agent, stmts: keep})
			waiting = append(waiting, r)
		}
	}
	return batches, waiting
}

// agentIFI is the IFI of an authority Agent: what a stored statement's
// authority is compared with.
func agentIFI(agent []byte) string {
	v, err := fastjson.ParseBytes(agent)
	if err != nil {
		return ""
	}
	return IFI(v)
}

// checkVoids refuses r when one of its statements voids a statement that
// another writer stored (policy: void), looked up in log order: in the
// group being built (writers), among appended statements the view has not
// folded, then in the view, which has seen every earlier event. A target
// in none of them (absent, or in r itself) is no refusal: see MayVoid.
func (a *Appender) checkVoids(ctx context.Context, r *appendReq, writers map[uuid.UUID][]byte) error {
	var p fastjson.Parser
	for i := range r.stmts {
		if !bytes.Contains(r.stmts[i].JSON, []byte(`"StatementRef"`)) {
			continue
		}
		v, err := p.ParseBytes(r.stmts[i].JSON)
		if err != nil {
			continue // not ours to judge here; the views skip what they cannot read
		}
		f, err := Facts(v)
		if err != nil || f.VoidTarget == uuid.Nil {
			continue
		}
		target, found, err := a.writerOf(ctx, f.VoidTarget, writers)
		if err != nil {
			return err
		}
		if err := MayVoid(r.by, agentIFI(r.by.Agent), target, found); err != nil {
			return err
		}
	}
	return nil
}

// writerOf returns the IFI of the authority of the statement id stored
// before (see checkVoids); found is false when there is none.
func (a *Appender) writerOf(ctx context.Context, id uuid.UUID, writers map[uuid.UUID][]byte) (string, bool, error) {
	if w, ok := writers[id]; ok {
		return agentIFI(w), true, nil
	}
	if p, ok := a.pending[id]; ok {
		return agentIFI(p.writer), true, nil
	}
	st, err := a.cfg.View.Statement(ctx, id, false)
	if ErrorCode(err) == ENOTFOUND {
		st, err = a.cfg.View.Statement(ctx, id, true)
	}
	switch ErrorCode(err) {
	case "":
	case ENOTFOUND:
		return "", false, nil
	default:
		return "", false, err
	}
	v, err := fastjson.ParseBytes(st.JSON)
	if err != nil {
		return "", false, Internal("parse stored statement "+id.String(), err)
	}
	return IFI(v.Get("authority")), true, nil
}

// lookup finds id in the group being built (grouped), among appended ids
// the view has not folded yet (seq is their event), or in the view.
func (a *Appender) lookup(ctx context.Context, id uuid.UUID, inGroup map[uuid.UUID]Hash) (h Hash, found bool, seq uint64, grouped bool, err error) {
	if h, ok := inGroup[id]; ok {
		return h, true, 0, true, nil
	}
	if p, ok := a.pending[id]; ok {
		return p.hash, true, p.seq, false, nil
	}
	h, found, err = a.cfg.View.ContentHash(ctx, id)
	if err != nil {
		return h, false, 0, false, Internal("look up statement "+id.String(), err)
	}
	return h, found, 0, false, nil
}

var bufPool = sync.Pool{New: func() any { return new([]byte) }}

// encode builds the event for batches.
func (a *Appender) encode(batches []batch, store string, seq uint64, stored time.Time) []byte {
	bp := bufPool.Get().(*[]byte)
	payload := append((*bp)[:0], `{"batches":[`...)
	for i, b := range batches {
		if i > 0 {
			payload = append(payload, ',')
		}
		payload = append(payload, `{"by":`...)
		payload = AppendJSONString(payload, b.by)
		if len(b.roles) > 0 {
			payload = append(payload, `,"roles":[`...)
			for k, role := range b.roles {
				if k > 0 {
					payload = append(payload, ',')
				}
				payload = AppendJSONString(payload, role)
			}
			payload = append(payload, ']')
		}
		payload = append(payload, `,"statements":[`...)
		for j := range b.stmts {
			if j > 0 {
				payload = append(payload, ',')
			}
			payload = b.stmts[j].WithStored(payload, stored)
		}
		payload = append(payload, "]}"...)
	}
	payload = append(payload, "]}"...)
	data := EncodeEnvelope(make([]byte, 0, len(payload)+256), EventStatements, EventStatementsV1, seq, store, stored, a.tail.hash, payload)
	*bp = payload
	bufPool.Put(bp)
	return data
}

// headerValue returns the first value of header name, matched without
// regard to case.
func headerValue(h map[string][]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}
