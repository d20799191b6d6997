package natslog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// LeaseConfig configures a Lease.
type LeaseConfig struct {
	// Bucket is the JetStream KV bucket the lease is kept in (one key).
	Bucket   string
	Replicas int
	// Node is this node's id; Subject is where it takes forwarded writes.
	Node    string
	Subject string
	// TTL is how long a lease lasts without renewal. Zero means 3s.
	TTL    time.Duration
	Logger *slog.Logger
}

// Lease decides which node decides for the log (ADR 26). The lease is one
// key of a KV bucket, holding the deciding node's id and subject, written
// only by compare-and-set on its revision:
//
//   - the holder renews it (a new revision) every TTL/6 and holds it while
//     its last acknowledged renewal was sent less than TTL*3/4 ago;
//   - a node that sees the same revision unchanged for a whole TTL (by its
//     own clock, from when it first saw it) takes it over, by writing on
//     that revision: of two contenders, one wins;
//   - a node that finds its own id there (it restarted) takes it back at
//     once; a stopping holder deletes it, for another to take at once.
//
// A contender saw the revision after it was written, so after its holder
// sent it: the holder has stopped counting on it (TTL*3/4) before anyone
// takes it over (TTL). Clocks are only used to measure durations. The log
// is fenced besides: every append expects the log's last sequence, so two
// nodes that both believed they decide could not both append on the same
// tail.
type Lease struct {
	cfg LeaseConfig
	kv  jetstream.KeyValue
	val []byte

	mu        sync.Mutex
	holder    LeaseHolder // as last read; zero when none
	rev       uint64      // the revision last read or written
	seenAt    time.Time   // when rev was first seen
	heldUntil time.Time   // while this node holds it; zero otherwise
	term      uint64      // the revision this node acquired it at
	changed   chan struct{}
}

// LeaseHolder is the node that decides.
type LeaseHolder struct {
	Node    string `json:"node"`
	Subject string `json:"subject"`
}

const leaseKey = "decider"

// OpenLease creates the lease's bucket, or opens it.
func OpenLease(ctx context.Context, nc *nats.Conn, cfg LeaseConfig) (*Lease, error) {
	if cfg.TTL <= 0 {
		cfg.TTL = 3 * time.Second
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	var kv jetstream.KeyValue
	for attempt := 0; ; attempt++ {
		kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      cfg.Bucket,
			Description: "Jejak: which node decides for the log",
			History:     1,
			Replicas:    cfg.Replicas,
			Storage:     jetstream.FileStorage,
		})
		if err == nil || !retryable(err) || attempt == 20 || ctx.Err() != nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		return nil, fmt.Errorf("open the lease bucket %s: %w", cfg.Bucket, err)
	}
	val, _ := json.Marshal(LeaseHolder{Node: cfg.Node, Subject: cfg.Subject})
	return &Lease{cfg: cfg, kv: kv, val: val, changed: make(chan struct{})}, nil
}

// Held reports whether this node holds the lease now, and in which term
// (each acquisition is a new term). It is what the appender asks before
// every append.
func (l *Lease) Held() (term uint64, held bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.heldUntil.IsZero() || !time.Now().Before(l.heldUntil) {
		return 0, false
	}
	return l.term, true
}

// Holder returns the node that decides, as last known: this node while it
// holds the lease. ok is false when none is known.
func (l *Lease) Holder() (h LeaseHolder, self, ok bool) {
	if _, held := l.Held(); held {
		return LeaseHolder{Node: l.cfg.Node, Subject: l.cfg.Subject}, true, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.holder, false, l.holder.Node != "" && l.holder.Node != l.cfg.Node
}

// WaitKnown waits until a deciding node is known, at most for d or until
// ctx is done, and says whether one is.
func (l *Lease) WaitKnown(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		ch := l.Changed()
		if _, _, ok := l.Holder(); ok {
			return true
		}
		select {
		case <-ch:
		case <-t.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// Changed returns a channel closed at the next change of holder seen.
func (l *Lease) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

// Run keeps the lease until ctx is done: renews it while held, watches it
// and takes it over when it lapses. On return it gives the lease up if
// held, so that another node can take it at once.
func (l *Lease) Run(ctx context.Context) {
	tick := time.NewTicker(l.cfg.TTL / 6)
	defer tick.Stop()
	defer l.release()
	for {
		l.step(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// opTimeout bounds one KV operation: a renewal slower than that is no use.
func (l *Lease) opTimeout() time.Duration { return l.cfg.TTL / 2 }

// step renews or watches once.
func (l *Lease) step(ctx context.Context) {
	octx, cancel := context.WithTimeout(ctx, l.opTimeout())
	defer cancel()
	l.mu.Lock()
	held, rev := !l.heldUntil.IsZero(), l.rev
	l.mu.Unlock()
	if held {
		sent := time.Now()
		nrev, err := l.kv.Update(octx, leaseKey, l.val, rev)
		switch {
		case err == nil:
			l.mu.Lock()
			l.rev, l.seenAt = nrev, sent
			l.heldUntil = sent.Add(l.cfg.TTL * 3 / 4)
			l.mu.Unlock()
		case errors.Is(err, jetstream.ErrKeyRevisionMismatch), errors.Is(err, jetstream.ErrKeyNotFound):
			l.lose("another node took the lease")
		default:
			l.mu.Lock()
			lapsed := !time.Now().Before(l.heldUntil)
			l.mu.Unlock()
			if lapsed {
				l.lose(fmt.Sprintf("the lease could not be renewed: %v", err))
			} else {
				l.cfg.Logger.Warn("renewing the lease failed; trying again", "err", err)
			}
		}
		return
	}
	e, err := l.kv.Get(octx, leaseKey)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		l.see(LeaseHolder{}, 0)
		sent := time.Now()
		if nrev, err := l.kv.Create(octx, leaseKey, l.val); err == nil {
			l.acquire(nrev, sent)
		}
		return
	case err != nil:
		return // no answer: nothing to learn, nothing to take
	}
	var h LeaseHolder
	if err := json.Unmarshal(e.Value(), &h); err != nil {
		l.cfg.Logger.Warn("the lease holds what is not a node; taking it over when it lapses", "err", err)
	}
	firstSeen := l.see(h, e.Revision())
	if h.Node != l.cfg.Node && time.Since(firstSeen) < l.cfg.TTL {
		return
	}
	sent := time.Now()
	nrev, err := l.kv.Update(octx, leaseKey, l.val, e.Revision())
	if err == nil {
		l.acquire(nrev, sent)
	}
}

// see notes the holder read at rev and returns when rev was first seen.
func (l *Lease) see(h LeaseHolder, rev uint64) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if rev != l.rev || l.seenAt.IsZero() {
		l.rev, l.seenAt = rev, time.Now()
	}
	if h != l.holder {
		l.holder = h
		l.announce()
	}
	return l.seenAt
}

// announce wakes whoever waits on Changed; l.mu is held.
func (l *Lease) announce() {
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *Lease) acquire(rev uint64, sent time.Time) {
	l.mu.Lock()
	l.rev, l.seenAt, l.term = rev, sent, rev
	l.heldUntil = sent.Add(l.cfg.TTL * 3 / 4)
	l.holder = LeaseHolder{Node: l.cfg.Node, Subject: l.cfg.Subject}
	l.announce()
	l.mu.Unlock()
	l.cfg.Logger.Info("this node decides for the log now", "term", rev)
}

func (l *Lease) lose(why string) {
	l.mu.Lock()
	was := !l.heldUntil.IsZero()
	l.heldUntil = time.Time{}
	l.holder = LeaseHolder{}
	l.seenAt = time.Time{}
	l.announce()
	l.mu.Unlock()
	if was {
		l.cfg.Logger.Warn("this node no longer decides for the log", "why", why)
	}
}

// release gives the lease up if held: deleted at the revision this node
// wrote, so that a lease another node took meanwhile is left alone.
func (l *Lease) release() {
	l.mu.Lock()
	held, rev := !l.heldUntil.IsZero(), l.rev
	l.heldUntil = time.Time{}
	l.mu.Unlock()
	if !held {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.opTimeout())
	defer cancel()
	if err := l.kv.Delete(ctx, leaseKey, jetstream.LastRevision(rev)); err != nil {
		l.cfg.Logger.Warn("giving the lease up failed; another node takes it over when it lapses", "err", err)
	}
}
