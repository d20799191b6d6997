package natslog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jejak-id/jejak/lrs"
)

// DoorConfig configures a Door.
type DoorConfig struct {
	Conn     *nats.Conn
	Appender *lrs.Appender // decides while the lease is held (its Lease is Lease.Held)
	Lease    *Lease
	// Statements and Documents are this node's views: a forwarded write is
	// answered once they have reached it (read-your-writes on every node).
	Statements lrs.StatementView
	Documents  lrs.DocumentView
	// Timeout bounds how long a write may wait to be decided, across a
	// change of deciding node. Zero means 10s.
	Timeout time.Duration
	// MaxHandling bounds the forwarded writes the node decides at once;
	// more are refused with ENOTDECIDED. Zero means 4096.
	MaxHandling int
	Logger      *slog.Logger
}

// Door is a node's write path when several nodes share a log (ADR 26):
// any node takes writes; the node holding the lease decides and appends
// them with its Appender, and the others hand theirs, prepared and
// validated, to it over NATS request/reply. A write that no node decides
// within the timeout is refused with ENOTDECIDED (503, Retry-After): never
// answered as stored unless the deciding node's append was acknowledged.
type Door struct {
	cfg     DoorConfig
	lastSeq atomic.Uint64 // the highest sequence a write through this node was answered with
	sem     chan struct{}
}

// NewDoor returns a Door; Run serves the writes other nodes forward.
func NewDoor(cfg DoorConfig) *Door {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxHandling <= 0 {
		cfg.MaxHandling = 4096
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Door{cfg: cfg, sem: make(chan struct{}, cfg.MaxHandling)}
}

// DecideSubject is the subject a node takes forwarded writes on: outside
// the log's subjects (jejak.>), so nothing forwarded is ever stored as is.
func DecideSubject(stream, node string) string { return "jejak_decide." + stream + "." + node }

// Run takes the writes other nodes forward, until ctx is done.
func (d *Door) Run(ctx context.Context) error {
	sub, err := d.cfg.Conn.Subscribe(d.cfg.Lease.cfg.Subject, func(m *nats.Msg) {
		select {
		case d.sem <- struct{}{}:
		default:
			d.reply(m, lrs.ForwardReply{Code: lrs.ENOTDECIDED, Message: "the deciding node has too many writes in hand; retry the request"})
			return
		}
		go func() {
			defer func() { <-d.sem }()
			d.handle(ctx, m)
		}()
	})
	if err != nil {
		return fmt.Errorf("take forwarded writes on %s: %w", d.cfg.Lease.cfg.Subject, err)
	}
	<-ctx.Done()
	return sub.Unsubscribe()
}

// handle decides one forwarded write, if this node decides.
func (d *Door) handle(ctx context.Context, m *nats.Msg) {
	f, err := lrs.ReadForwarded(m.Data)
	if err != nil {
		d.cfg.Logger.Warn("refusing a forwarded write that cannot be read", "err", err)
		d.reply(m, lrs.ReplyOf(0, lrs.Errorf(lrs.EINVALID, "the forwarded write cannot be read: %v", err)))
		return
	}
	if _, held := d.cfg.Lease.Held(); !held {
		d.reply(m, lrs.ReplyOf(0, lrs.NotDecided("this node does not decide for the log now; retry the request")))
		return
	}
	hctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	seq, err := d.local(hctx, f)
	d.reply(m, lrs.ReplyOf(seq, err))
}

func (d *Door) reply(m *nats.Msg, r lrs.ForwardReply) {
	if err := m.Respond(lrs.AppendForwardReply(nil, r)); err != nil {
		d.cfg.Logger.Warn("answering a forwarded write failed", "err", err)
	}
}

// local has this node's appender decide f.
func (d *Door) local(ctx context.Context, f *lrs.Forwarded) (uint64, error) {
	a := d.cfg.Appender
	switch {
	case f.Document != nil:
		return a.AppendDocument(ctx, f.Document.Write, f.Document.Agent, f.By)
	case f.Event != nil:
		return a.AppendEvent(ctx, f.Event.Type, f.Event.V, f.Event.Kind, f.Event.Payload, f.By)
	default:
		return a.Append(ctx, f.Statements, f.By)
	}
}

// Append commits one request's statements (see lrs.Appender.Append).
func (d *Door) Append(ctx context.Context, stmts []lrs.Statement, by lrs.Authority) (uint64, error) {
	return d.write(ctx, &lrs.Forwarded{By: by, Statements: stmts})
}

// AppendDocument commits one document write (see lrs.Appender.AppendDocument).
func (d *Door) AppendDocument(ctx context.Context, w lrs.DocumentWrite, agent []byte, by lrs.Authority) (uint64, error) {
	return d.write(ctx, &lrs.Forwarded{By: by, Document: &lrs.ForwardedDocument{Write: w, Agent: agent}})
}

// AppendEvent appends an event as it is (see lrs.Appender.AppendEvent).
func (d *Door) AppendEvent(ctx context.Context, typ string, v int, kind string, payload []byte, by lrs.Authority) (uint64, error) {
	return d.write(ctx, &lrs.Forwarded{By: by, Event: &lrs.ForwardedEvent{Type: typ, V: v, Kind: kind, Payload: payload}})
}

// LastSeq is the last log sequence a write through this node was answered
// with, or its appender appended: reads on this node wait for it.
func (d *Door) LastSeq() uint64 { return max(d.lastSeq.Load(), d.cfg.Appender.LastSeq()) }

// Inflight is the appender's event in flight, if this node decides.
func (d *Door) Inflight() (time.Time, bool) { return d.cfg.Appender.Inflight() }

// forwardAttempt bounds the wait for the deciding node's answer to a batch
// of statements before it is sent again: an answer can be lost with the
// NATS server that carried it, and statements are stored by id once.
const forwardAttempt = 3 * time.Second

// retryPause is how long a write waits before it tries again.
const retryPause = 50 * time.Millisecond

// write has f decided by the node holding the lease: this one, or another
// over NATS. It tries again, until the timeout, while nothing of f was
// appended (no node decides, or the one asked turned out not to), and for
// statements also when the outcome is unknown (the deciding node was lost
// with f in hand, or the log failed to answer): statements are stored by
// id, once, so sending them again stores them if they were not and changes
// nothing if they were. A document write or an event whose outcome is
// unknown is not sent again: it is answered ENOTDECIDED (503).
func (d *Door) write(ctx context.Context, f *lrs.Forwarded) (uint64, error) {
	wctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	idempotent := f.Document == nil && f.Event == nil
	var wire []byte
	for {
		h, self, ok := d.cfg.Lease.Holder()
		var seq uint64
		var err error
		switch {
		case self:
			seq, err = d.local(wctx, f)
		case ok:
			if wire == nil {
				wire = lrs.AppendForwarded(nil, f)
				if len(wire) > int(d.cfg.Conn.MaxPayload()) {
					return 0, lrs.Errorf(lrs.ETOOLARGE, "the write takes %d bytes to forward to the deciding node, more than the %d NATS carries", len(wire), d.cfg.Conn.MaxPayload())
				}
			}
			var attempt time.Duration
			if idempotent {
				attempt = forwardAttempt // an answer lost with a NATS server is asked for again
			}
			seq, err = d.forward(wctx, h, wire, attempt)
		default:
			err = lrs.NotDecided("no node decides for the log now; retry the request")
		}
		if err == nil {
			d.seen(seq)
			if !self {
				d.caughtUp(wctx, f, seq)
			}
			return seq, nil
		}
		code := lrs.ErrorCode(err)
		again := errors.Is(err, lrs.ErrNotDecider) || (idempotent && (code == lrs.EUNAVAILABLE || code == lrs.ENOTDECIDED))
		if !again || ctx.Err() != nil {
			return 0, d.undecided(ctx, wctx, err)
		}
		t := time.NewTimer(retryPause)
		select {
		case <-wctx.Done():
			t.Stop()
			if errors.Is(err, lrs.ErrNotDecider) && ctx.Err() == nil {
				return 0, &lrs.Error{Code: lrs.ENOTDECIDED, Message: fmt.Sprintf("no node decided the write within %v (the deciding node is changing); nothing was appended; retry the request", d.cfg.Timeout), Err: err}
			}
			return 0, d.undecided(ctx, wctx, err)
		case <-d.cfg.Lease.Changed():
			t.Stop()
		case <-t.C:
		}
	}
}

// errHolderChanged ends the wait for a deciding node that lost the lease.
var errHolderChanged = errors.New("another node decides for the log now")

// forward sends wire to the deciding node h and returns its answer. No
// one there to take it is ErrNotDecider (nothing was appended); no answer
// before another node holds the lease, or before ctx ends, leaves the
// outcome unknown (ENOTDECIDED without ErrNotDecider). A non-zero attempt
// bounds the wait for the answer.
func (d *Door) forward(ctx context.Context, h LeaseHolder, wire []byte, attempt time.Duration) (uint64, error) {
	if attempt > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, attempt)
		defer cancel()
	}
	fctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		for {
			select {
			case <-fctx.Done():
				return
			case <-d.cfg.Lease.Changed():
				if now, _, ok := d.cfg.Lease.Holder(); !ok || now.Node != h.Node {
					cancel(errHolderChanged)
					return
				}
			}
		}
	}()
	m, err := d.cfg.Conn.RequestWithContext(fctx, h.Subject, wire)
	if errors.Is(err, nats.ErrNoResponders) {
		return 0, lrs.NotDecided("the deciding node is gone; retry the request")
	}
	if err != nil {
		if cause := context.Cause(fctx); errors.Is(cause, errHolderChanged) {
			err = cause
		}
		return 0, &lrs.Error{Code: lrs.ENOTDECIDED, Message: fmt.Sprintf("the deciding node did not answer (%v); the write may or may not be stored: retry the request (a statement with an id is stored once)", err), Err: err}
	}
	rep, err := lrs.ReadForwardReply(m.Data)
	if err != nil {
		return 0, lrs.Internal("read the deciding node's answer", err)
	}
	return rep.Seq, rep.Err()
}

// undecided is the error of a write that failed: a client that went away
// is told so; a write that ran out of the door's time while the log or
// the deciding node stalled is ENOTDECIDED (503, Retry-After).
func (d *Door) undecided(ctx, wctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return lrs.Errorf(lrs.EUNAVAILABLE, "request cancelled while it was being appended")
	case wctx.Err() != nil && lrs.ErrorCode(err) == lrs.EUNAVAILABLE:
		return &lrs.Error{Code: lrs.ENOTDECIDED, Message: fmt.Sprintf("the write was not decided within %v; it may or may not be stored: retry the request (a statement with an id is stored once)", d.cfg.Timeout), Err: err}
	}
	return err
}

// seen notes seq as answered through this node.
func (d *Door) seen(seq uint64) {
	for {
		cur := d.lastSeq.Load()
		if seq <= cur || d.lastSeq.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// caughtUp waits until this node's view of f has reached seq, so that the
// writer reads its write on this node too. A view that does not get there
// in time is logged, not failed: the write is stored, and reads wait for
// LastSeq themselves.
func (d *Door) caughtUp(ctx context.Context, f *lrs.Forwarded, seq uint64) {
	var err error
	if f.Document != nil {
		if d.cfg.Documents != nil {
			err = d.cfg.Documents.WaitApplied(ctx, seq)
		}
	} else if d.cfg.Statements != nil {
		err = d.cfg.Statements.WaitApplied(ctx, seq)
	}
	if err != nil {
		d.cfg.Logger.Warn("a forwarded write is stored but this node's view has not reached it yet", "seq", seq, "err", err)
	}
}
