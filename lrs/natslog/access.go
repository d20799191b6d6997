package natslog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jejak-id/jejak/lrs"
)

// DefaultAccessRetention is how long the access log keeps an entry unless
// told otherwise: two years.
const DefaultAccessRetention = 2 * 365 * 24 * time.Hour

// AccessConfig configures the access log stream and its queue.
type AccessConfig struct {
	Stream    string        // default DefaultStream + "_ACCESS"
	Replicas  int           // 1 embedded, 3 on a cluster
	Retention time.Duration // MaxAge of an entry; default DefaultAccessRetention
	// Queue bounds the reads recorded but not yet stored. Default 65536.
	Queue int
	// Wait is how long a read waits for room in a full queue before it is
	// refused (never served unrecorded). Default 2s.
	Wait time.Duration
	// Linger is how long the publisher gathers entries after the first
	// one before it sends them as one batch: at a few hundred reads a
	// second, one wake-up and one round trip for many entries instead of
	// one each. Default 10ms.
	Linger time.Duration
	Logger *slog.Logger
}

// AccessLog is the access log for personal data, on a JetStream stream of
// its own (not the event log: it is not hash-chained and its entries
// expire after the retention period). A read reserves room in a bounded
// queue before it is served and queues its entry when answered; Run
// publishes the queue in batches, so a read never waits for the stream,
// only, when the stream cannot keep up or is down, for room in the queue.
type AccessLog struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	name   string
	cfg    AccessConfig

	slots chan struct{}   // one per entry reserved or queued and not yet stored
	queue chan lrs.Access // entries answered, to publish

	recorded, stored, refused, failed atomic.Uint64
}

// accessConfig is the access stream Jejak creates.
func accessConfig(cfg AccessConfig) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "Jejak access log for personal data (UU 27/2022): who read whose records, when. Entries expire after the retention period.",
		Subjects:    []string{lrs.AccessSubjectPrefix + ".>"},
		Retention:   jetstream.LimitsPolicy,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		MaxAge:      cfg.Retention,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		Discard:     jetstream.DiscardOld,
		Duplicates:  2 * time.Minute,
		DenyDelete:  true,
		DenyPurge:   true,
		AllowDirect: true,
		PersistMode: persistMode(cfg.Replicas),
	}
}

// persistMode is async on one replica: the server acknowledges an entry
// before its fsync and syncs shortly after (the embedded server otherwise
// syncs every message, one fsync per read). A hard kill of the server may
// lose the last few milliseconds of entries, as a kill of Jejak loses the
// entries still queued. Replicated streams keep the default: the server
// refuses async persistence there, and Raft carries the entries.
func persistMode(replicas int) jetstream.PersistModeType {
	if replicas == 1 {
		return jetstream.AsyncPersistMode
	}
	return jetstream.DefaultPersistMode
}

// OpenAccess creates the access stream on first use, or checks an existing
// one and sets its retention to cfg.Retention (the only property Jejak
// changes: an operator shortens or lengthens it with the flag). nc stays
// owned by the caller; Run publishes what is recorded.
func OpenAccess(ctx context.Context, nc *nats.Conn, cfg AccessConfig) (*AccessLog, error) {
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream + "_ACCESS"
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultAccessRetention
	}
	if cfg.Retention < time.Hour {
		return nil, fmt.Errorf("access log retention %v: want at least an hour", cfg.Retention)
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 1 << 16
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 2 * time.Second
	}
	if cfg.Linger <= 0 {
		cfg.Linger = 10 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(accessBatch*2))
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	want := accessConfig(cfg)
	stream, err := openStream(ctx, js, want)
	if err != nil {
		return nil, fmt.Errorf("open access log stream %s: %w", cfg.Stream, err)
	}
	got := stream.CachedInfo().Config
	switch {
	case !slices.Contains(got.Subjects, lrs.AccessSubjectPrefix+".>"):
		return nil, fmt.Errorf("access log stream %s exists with subjects %v, not %s.>; correct it with the nats CLI or choose another --stream", cfg.Stream, got.Subjects, lrs.AccessSubjectPrefix)
	case got.Storage != jetstream.FileStorage:
		return nil, fmt.Errorf("access log stream %s exists with %v storage, want file; correct it with the nats CLI", cfg.Stream, got.Storage)
	case got.MaxAge != cfg.Retention:
		cfg.Logger.Info("setting the access log's retention", "component", "access", "stream", cfg.Stream, "was", got.MaxAge, "now", cfg.Retention)
		got.MaxAge = cfg.Retention
		if stream, err = js.UpdateStream(ctx, got); err != nil {
			return nil, fmt.Errorf("set the retention of access log stream %s to %v: %w", cfg.Stream, cfg.Retention, err)
		}
	}
	return &AccessLog{js: js, stream: stream, name: cfg.Stream, cfg: cfg,
		slots: make(chan struct{}, cfg.Queue), queue: make(chan lrs.Access, cfg.Queue)}, nil
}

// Name returns the stream name.
func (a *AccessLog) Name() string { return a.name }

// Retention returns the stream's MaxAge as last read or set.
func (a *AccessLog) Retention() time.Duration { return a.stream.CachedInfo().Config.MaxAge }

// Reserve makes room for one entry before a read is served, waiting up to
// the configured wait for a full queue; if there is still none the read
// must not be served: Reserve returns EUNAVAILABLE (500 with Retry-After)
// and counts it. Every successful Reserve is followed by one Record.
func (a *AccessLog) Reserve(ctx context.Context) error {
	select {
	case a.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(a.cfg.Wait)
	defer t.Stop()
	select {
	case a.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
	case <-t.C:
	}
	a.refused.Add(1)
	return lrs.Errorf(lrs.EUNAVAILABLE, "the access log for personal data cannot record this read now, so it is not served; retry later")
}

// Record queues e, for which Reserve made room; it never blocks.
func (a *AccessLog) Record(e lrs.Access) {
	if len(e.Query) > lrs.MaxAccessQuery {
		e.Query = e.Query[:lrs.MaxAccessQuery]
	}
	a.recorded.Add(1)
	a.queue <- e
}

// Flush waits until every entry recorded before it is stored (or lost at
// shutdown), or ctx is done.
func (a *AccessLog) Flush(ctx context.Context) error {
	want := a.recorded.Load()
	for a.stored.Load()+a.failed.Load() < want {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

// Stats are the access log's counters (for metrics).
type AccessStats struct {
	Queued  int    // recorded or reserved, not yet stored
	Stored  uint64 // entries stored in the stream
	Refused uint64 // reads refused because the queue stayed full
	Failed  uint64 // entries lost: not stored by shutdown
}

// Stats returns the counters.
func (a *AccessLog) Stats() AccessStats {
	return AccessStats{Queued: len(a.slots), Stored: a.stored.Load(), Refused: a.refused.Load(), Failed: a.failed.Load()}
}

// accessBatch is the most entries published before waiting for their acks.
const accessBatch = 512

// Run publishes queued entries until ctx is done, then publishes what is
// left (the reads answered before the HTTP server stopped) within
// drainTimeout and returns. A batch the stream does not take is retried
// until it does: its entries keep their room in the queue meanwhile, so
// reads wait and are then refused rather than served unrecorded.
func (a *AccessLog) Run(ctx context.Context, drainTimeout time.Duration) {
	batch := make([]lrs.Access, 0, accessBatch)
	for {
		select {
		case e := <-a.queue:
			batch = append(batch[:0], e)
		case <-ctx.Done():
			a.drain(drainTimeout)
			return
		}
		batch = a.gather(ctx, batch)
		for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
			err := a.publish(context.WithoutCancel(ctx), batch)
			if err == nil {
				break
			}
			a.cfg.Logger.Error("the access log cannot store its entries; reads wait for room and are refused when none is left", "component", "access", "stream", a.name, "entries", len(batch), "err", err)
			select {
			case <-ctx.Done():
				a.failBatch(batch, drainTimeout)
				a.drain(drainTimeout)
				return
			case <-time.After(backoff):
			}
		}
	}
}

// gather adds to batch what is queued within the linger, up to
// accessBatch. It sleeps through the linger rather than receive each
// entry, so that recording an entry (a send on a buffered channel no one
// waits on) wakes no goroutine. It returns early when ctx is done.
func (a *AccessLog) gather(ctx context.Context, batch []lrs.Access) []lrs.Access {
	if batch = a.fill(batch); len(batch) < accessBatch && len(a.queue) < accessBatch {
		t := time.NewTimer(a.cfg.Linger)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	return a.fill(batch)
}

// fill adds to batch what is queued now, up to accessBatch.
func (a *AccessLog) fill(batch []lrs.Access) []lrs.Access {
	for len(batch) < accessBatch {
		select {
		case e := <-a.queue:
			batch = append(batch, e)
		default:
			return batch
		}
	}
	return batch
}

// failBatch tries batch once more at shutdown; what is not stored is
// counted and logged as lost.
func (a *AccessLog) failBatch(batch []lrs.Access, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := a.publish(ctx, batch); err != nil {
		a.lose(batch, err)
	}
}

// drain publishes every entry still queued, within timeout.
func (a *AccessLog) drain(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	batch := make([]lrs.Access, 0, accessBatch)
	for {
		batch = a.fill(batch[:0])
		if len(batch) == 0 {
			return
		}
		if err := a.publish(ctx, batch); err != nil {
			a.lose(batch, err)
		}
	}
}

func (a *AccessLog) lose(batch []lrs.Access, err error) {
	a.failed.Add(uint64(len(batch)))
	for range batch {
		<-a.slots
	}
	a.cfg.Logger.Error("access log entries lost at shutdown: the stream did not store them", "component", "access", "stream", a.name, "entries", len(batch), "err", err)
}

// publish stores batch: every entry is sent at once, then every ack is
// awaited. Each entry has a message id, so that a batch sent again after
// a partial failure is stored once (within the duplicate window).
func (a *AccessLog) publish(ctx context.Context, batch []lrs.Access) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	futs := make([]jetstream.PubAckFuture, len(batch))
	for i := range batch {
		e := &batch[i]
		data, err := json.Marshal(e)
		if err != nil {
			return err
		}
		id := msgID(e)
		futs[i], err = a.js.PublishMsgAsync(&nats.Msg{Subject: e.Subject(), Data: data}, jetstream.WithMsgID(id), jetstream.WithExpectStream(a.name))
		if err != nil {
			return err
		}
	}
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	for _, f := range futs {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return err
		case <-t.C:
			return errors.New("no acknowledgement within 10s")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	a.stored.Add(uint64(len(batch)))
	for range batch {
		<-a.slots
	}
	return nil
}

// msgID names an entry for the stream's duplicate window.
func msgID(e *lrs.Access) string {
	return fmt.Sprintf("%s|%d|%s|%s|%s", e.Subject(), e.Time.UnixNano(), e.Who, e.Route, e.Method)
}

// Query reads the entries q selects, the oldest first, through an ordered
// consumer filtered by q's subjects (a person's entries are one subject:
// reading them does not read anyone else's).
// It first waits (up to the queue's wait) for the entries recorded before
// it to be stored, so that a read just made is in the answer.
func (a *AccessLog) Query(ctx context.Context, q lrs.AccessQuery) ([]lrs.Access, error) {
	fctx, cancel := context.WithTimeout(ctx, a.cfg.Wait)
	_ = a.Flush(fctx)
	cancel()
	return QueryAccess(ctx, a.stream, q)
}

// OpenAccessReader opens an existing access stream for reading only
// (`jejak audit access`).
func OpenAccessReader(ctx context.Context, nc *nats.Conn, stream string) (jetstream.Stream, error) {
	if stream == "" {
		stream = DefaultStream + "_ACCESS"
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("access log stream %s: %w", stream, err)
	}
	return s, nil
}

// QueryAccess reads the entries q selects from stream.
func QueryAccess(ctx context.Context, stream jetstream.Stream, q lrs.AccessQuery) ([]lrs.Access, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = lrs.DefaultAccessLimit
	}
	limit = min(limit, lrs.MaxAccessLimit)
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	last := info.State.LastSeq
	out := []lrs.Access{}
	if info.State.Msgs == 0 {
		return out, nil
	}
	cc := jetstream.OrderedConsumerConfig{FilterSubjects: q.Subjects, DeliverPolicy: jetstream.DeliverAllPolicy}
	if !q.Since.IsZero() {
		since := q.Since
		cc.DeliverPolicy, cc.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	}
	cons, err := stream.OrderedConsumer(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	for {
		batch, err := cons.FetchNoWait(256)
		if err != nil {
			return nil, fmt.Errorf("access log: %w", err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				return nil, fmt.Errorf("access log: %w", err)
			}
			if !q.Until.IsZero() && md.Timestamp.After(q.Until) {
				return out, nil
			}
			var e lrs.Access
			if json.Unmarshal(m.Data(), &e) == nil && (q.Who == "" || e.Who == q.Who) {
				e.Seq, e.Recorded = md.Sequence.Stream, md.Timestamp
				out = append(out, e)
				if len(out) >= limit {
					return out, nil
				}
			}
			if md.NumPending == 0 || md.Sequence.Stream >= last {
				return out, nil
			}
		}
		if err := batch.Error(); err != nil {
			return nil, fmt.Errorf("access log: %w", err)
		}
		if n == 0 {
			return out, nil
		}
	}
}
