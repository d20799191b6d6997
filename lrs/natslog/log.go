package natslog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jejak-id/jejak/lrs"
)

// DefaultStream is the name of the stream that holds the log.
const DefaultStream = "JEJAK"

// Config names the stream and how it is replicated.
type Config struct {
	Stream   string // default DefaultStream
	Replicas int    // 1 embedded, 3 on a cluster
}

// Log is the event log on a JetStream stream.
type Log struct {
	nc         *nats.Conn
	js         jetstream.JetStream
	stream     jetstream.Stream
	name       string
	maxPayload int

	lostMu sync.Mutex
	lost   chan struct{} // closed when the connection drops (see watchConn)
}

var (
	_ lrs.Log       = (*Log)(nil)
	_ lrs.LogReader = (*Log)(nil)
)

// wantConfig is the stream Jejak creates and insists on.
func wantConfig(cfg Config) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "Jejak event log: the only source of truth. Append-only.",
		Subjects:    []string{"jejak.>"},
		Retention:   jetstream.LimitsPolicy,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		MaxAge:      0,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		Duplicates:  2 * time.Minute,
		DenyDelete:  true,
		DenyPurge:   true,
		AllowDirect: true,
		Discard:     jetstream.DiscardNew,
	}
}

// Open creates the stream on first use, or verifies an existing one, and
// returns the Log. It never changes an existing stream: a mismatch is an
// error naming the property. nc stays owned by the caller.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Log, error) {
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	// An append sent again leaves the first send's acknowledgement behind
	// (see ackWait): it is forgotten after this long.
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(time.Minute))
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	want := wantConfig(cfg)
	stream, err := openStream(ctx, js, want)
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", cfg.Stream, err)
	}
	if err := verify(stream.CachedInfo().Config, want); err != nil {
		return nil, fmt.Errorf("stream %s exists with another configuration: %w; Jejak never changes an existing log stream: correct it with the nats CLI or choose another --stream", cfg.Stream, err)
	}
	l := &Log{nc: nc, js: js, stream: stream, name: cfg.Stream, maxPayload: int(nc.MaxPayload()), lost: make(chan struct{})}
	l.watchConn()
	return l, nil
}

// watchConn closes l.lost, and starts a new one, each time the connection
// drops: an acknowledgement that was on its way then never arrives, and an
// append waiting for it learns at once that its outcome is unknown rather
// than after the append timeout.
func (l *Log) watchConn() {
	ch := l.nc.StatusChanged(nats.DISCONNECTED, nats.CLOSED)
	go func() {
		for st := range ch {
			l.lostMu.Lock()
			close(l.lost)
			l.lost = make(chan struct{})
			l.lostMu.Unlock()
			if st == nats.CLOSED {
				l.nc.RemoveStatusListener(ch)
				return
			}
		}
	}()
}

// connLost returns the channel closed at the next drop of the connection.
func (l *Log) connLost() <-chan struct{} {
	l.lostMu.Lock()
	defer l.lostMu.Unlock()
	if l.lost == nil { // a log opened for reading appends nothing
		l.lost = make(chan struct{})
	}
	return l.lost
}

// ErrNoStream is the error of OpenReading for a stream that does not
// exist.
var ErrNoStream = errors.New("no such stream")

// OpenReading returns the Log on the existing stream named stream (default
// DefaultStream), as it is: for commands that only read the log. It never
// creates, checks or changes the stream's configuration, so a log
// replicated on a cluster reads as well as the embedded one. A missing
// stream is ErrNoStream. nc stays owned by the caller.
func OpenReading(ctx context.Context, nc *nats.Conn, stream string) (*Log, error) {
	if stream == "" {
		stream = DefaultStream
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	st, err := lookupStream(ctx, js, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("stream %s: %w", stream, ErrNoStream)
	}
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", stream, err)
	}
	return &Log{nc: nc, js: js, stream: st, name: stream, maxPayload: int(nc.MaxPayload())}, nil
}

// Replicas returns the replicas of the existing stream named stream, or
// ErrNoStream. It reads the configuration and changes nothing.
func Replicas(ctx context.Context, nc *nats.Conn, stream string) (int, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, fmt.Errorf("jetstream: %w", err)
	}
	st, err := lookupStream(ctx, js, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0, fmt.Errorf("stream %s: %w", stream, ErrNoStream)
	}
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", stream, err)
	}
	return st.CachedInfo().Config.Replicas, nil
}

func retryable(err error) bool {
	return errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders)
}

// verify names the first property of got that breaks the log's guarantees.
func verify(got, want jetstream.StreamConfig) error {
	switch {
	case !slices.Contains(got.Subjects, "jejak.>"):
		return fmt.Errorf("subjects %v do not include jejak.>", got.Subjects)
	case got.Storage != jetstream.FileStorage:
		return fmt.Errorf("storage is %v, want file", got.Storage)
	case !got.DenyDelete:
		return errors.New("deny_delete is off")
	case !got.DenyPurge:
		return errors.New("deny_purge is off")
	case got.Retention != jetstream.LimitsPolicy:
		return fmt.Errorf("retention is %v, want limits", got.Retention)
	case got.MaxAge != 0:
		return fmt.Errorf("max_age is %v, want none", got.MaxAge)
	case got.MaxBytes > 0:
		return fmt.Errorf("max_bytes is %d, want none", got.MaxBytes)
	case got.MaxMsgs > 0:
		return fmt.Errorf("max_msgs is %d, want none", got.MaxMsgs)
	case got.MaxMsgsPerSubject > 0:
		return fmt.Errorf("max_msgs_per_subject is %d, want none", got.MaxMsgsPerSubject)
	case got.Duplicates == 0:
		return errors.New("duplicate window is off")
	case got.Replicas != want.Replicas:
		return fmt.Errorf("replicas is %d, want %d", got.Replicas, want.Replicas)
	}
	return nil
}

// Replicas returns the replicas of the log's stream, as it was opened.
func (l *Log) Replicas() int { return l.stream.CachedInfo().Config.Replicas }

// Name returns the stream name.
func (l *Log) Name() string { return l.name }

// MaxEventSize returns the largest message the server accepts.
func (l *Log) MaxEventSize() int { return l.maxPayload }

// Last returns the last event, or a zero LogEvent for an empty log.
func (l *Log) Last(ctx context.Context) (lrs.LogEvent, error) {
	seq, err := l.LastSeq(ctx)
	if err != nil || seq == 0 {
		return lrs.LogEvent{}, err
	}
	m, err := l.stream.GetMsg(ctx, seq)
	if err != nil {
		return lrs.LogEvent{}, fmt.Errorf("get event %d: %w", seq, err)
	}
	return lrs.LogEvent{Seq: m.Sequence, Subject: m.Subject, Data: m.Data, Time: m.Time, Header: m.Header}, nil
}

// Get returns the event at seq.
func (l *Log) Get(ctx context.Context, seq uint64) (lrs.LogEvent, error) {
	m, err := l.stream.GetMsg(ctx, seq)
	if err != nil {
		return lrs.LogEvent{}, fmt.Errorf("get event %d: %w", seq, err)
	}
	return lrs.LogEvent{Seq: m.Sequence, Subject: m.Subject, Data: m.Data, Time: m.Time, Header: m.Header}, nil
}

// LastSeq returns the stream's last sequence.
func (l *Log) LastSeq(ctx context.Context) (uint64, error) {
	info, err := l.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream info: %w", err)
	}
	return info.State.LastSeq, nil
}

// ackWait is how long an append waits for its acknowledgement before it
// sends the same message again. The message keeps its id, so the stream
// stores it once (its duplicate window is 2 minutes) and answers a resend
// of a stored message with the sequence it was stored at: a message lost
// while the stream had no leader, or with a dropped connection, is sent
// again instead of leaving the append waiting for the whole append
// timeout.
const ackWait = time.Second

// Append publishes r.Data and returns its sequence after the PubAck, i.e.
// once the server has stored (and, embedded, synced) it. A mismatch of an
// expected sequence or message id is ErrLogMoved. Without an answer it
// sends the message again (see ackWait) until ctx is done.
func (l *Log) Append(ctx context.Context, r lrs.AppendRequest) (uint64, error) {
	for {
		actx, cancel := context.WithTimeout(ctx, ackWait)
		ack, err := l.js.Publish(actx, r.Subject, r.Data, publishOpts(l.name, r)...)
		cancel()
		if err == nil {
			return ack.Sequence, nil
		}
		if ctx.Err() != nil || !resendable(err) {
			return 0, appendError(r.Subject, err)
		}
		select {
		case <-ctx.Done():
			return 0, appendError(r.Subject, err)
		case <-time.After(ackWait / 10):
		}
	}
}

// resendable tells whether an append's failure leaves it worth sending the
// same message again: no answer, or no stream leader to answer.
func resendable(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrAsyncPublishTimeout) || errors.Is(err, nats.ErrConnectionReconnecting) ||
		errors.Is(err, nats.ErrDisconnected)
}

// AppendAsync sends r and returns at once; the PendingAppend reports the
// outcome, as Append would, within timeout. Appends sent one after another
// are stored in that order. Without an answer within ackWait, or when the
// connection drops, the same message is sent again (see ackWait).
func (l *Log) AppendAsync(r lrs.AppendRequest, timeout time.Duration) (lrs.PendingAppend, error) {
	lost := l.connLost()
	msg := func() *nats.Msg { return &nats.Msg{Subject: r.Subject, Data: r.Data} }
	fut, err := l.js.PublishMsgAsync(msg(), publishOpts(l.name, r)...)
	if err != nil {
		return nil, appendError(r.Subject, err)
	}
	p := &pendingAppend{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTimer(timeout)
		defer t.Stop()
		resend := time.NewTicker(ackWait)
		defer resend.Stop()
		for {
			select {
			case ack := <-fut.Ok():
				p.seq = ack.Sequence
				return
			case err := <-fut.Err():
				if !resendable(err) {
					p.err = appendError(r.Subject, err)
					return
				}
				continue // sent again at the next tick
			case <-lost:
				lost = l.connLost()
			case <-resend.C:
			case <-t.C:
				p.err = fmt.Errorf("publish to %s: no acknowledgement within %v", r.Subject, timeout)
				return
			}
			if again, err := l.js.PublishMsgAsync(msg(), publishOpts(l.name, r)...); err == nil {
				fut = again
			}
		}
	}()
	return p, nil
}

type pendingAppend struct {
	done chan struct{}
	seq  uint64
	err  error
}

func (p *pendingAppend) Done() <-chan struct{}   { return p.done }
func (p *pendingAppend) Result() (uint64, error) { <-p.done; return p.seq, p.err }

func publishOpts(stream string, r lrs.AppendRequest) []jetstream.PublishOpt {
	opts := []jetstream.PublishOpt{
		jetstream.WithMsgID(r.MsgID),
		jetstream.WithExpectStream(stream),
		jetstream.WithExpectLastSequence(r.ExpectLast),
	}
	if r.ExpectLastMsgID != "" {
		opts = append(opts, jetstream.WithExpectLastMsgID(r.ExpectLastMsgID))
	}
	if r.ExpectSubject {
		opts = append(opts, jetstream.WithExpectLastSequencePerSubject(r.ExpectSubjectLast))
	}
	return opts
}

// errCodeWrongLastMsgID is the server's error code for a mismatched
// expected last message id (nats-server's JSStreamWrongLastMsgIDErrF).
const errCodeWrongLastMsgID jetstream.ErrorCode = 10070

func appendError(subject string, err error) error {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant, errCodeWrongLastMsgID:
			return lrs.ErrLogMoved
		}
	}
	return fmt.Errorf("publish to %s: %w", subject, err)
}

// followBufferBytes is how much a follower lets the client buffer; it must
// exceed the largest message.
const followBufferBytes = 32 << 20

// followOpts are the pull options of a follower: bounded in bytes, and
// with heartbeats every second, so that a consumer lost with its server
// (an ordered consumer lives on one) is noticed and made again within
// about two seconds rather than the client's default ten.
func followOpts() []jetstream.PullMessagesOpt {
	return []jetstream.PullMessagesOpt{jetstream.PullMaxBytes(followBufferBytes),
		jetstream.PullExpiry(4 * time.Second), jetstream.PullHeartbeat(time.Second)}
}

// Follow delivers events from sequence from onwards in order, in chunks of
// up to 1024 of what has arrived, until ctx is done or fn fails.
func (l *Log) Follow(ctx context.Context, from uint64, fn func([]lrs.LogEvent) error) error {
	if from == 0 {
		from = 1
	}
	cons, err := l.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   from,
	})
	if err != nil {
		return fmt.Errorf("follow %s from %d: %w", l.name, from, err)
	}
	// Bound what waits in memory by bytes, not by count: events of merged
	// batches can be a megabyte each.
	it, err := cons.Messages(followOpts()...)
	if err != nil {
		return fmt.Errorf("follow %s from %d: %w", l.name, from, err)
	}
	ch := make(chan lrs.LogEvent, 256)
	errc := make(chan error, 1)
	go func() {
		defer close(ch)
		for {
			m, err := it.Next()
			if err != nil {
				if !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					errc <- err
				}
				return
			}
			md, err := m.Metadata()
			if err != nil {
				errc <- fmt.Errorf("event metadata: %w", err)
				return
			}
			ev := lrs.LogEvent{Seq: md.Sequence.Stream, Subject: m.Subject(), Data: m.Data(), Time: md.Timestamp}
			if h := m.Headers(); len(h) > 0 {
				ev.Header = h
			}
			select {
			case ch <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() {
		it.Stop()
		for range ch { // let the reader finish
		}
	}()
	// A chunk is one batch in each view: bounded in events and in bytes, so
	// that a view's batch stays small however large the events are.
	const chunk, chunkBytes = 1024, 4 << 20
	buf := make([]lrs.LogEvent, 0, chunk)
	next := from
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-errc:
			return fmt.Errorf("follow %s: %w", l.name, err)
		case ev, ok := <-ch:
			if !ok {
				select {
				case err := <-errc:
					return fmt.Errorf("follow %s: %w", l.name, err)
				default:
					return ctx.Err()
				}
			}
			buf = append(buf[:0], ev)
			size := len(ev.Data)
		drain:
			for len(buf) < chunk && size < chunkBytes {
				select {
				case ev, ok := <-ch:
					if !ok {
						break drain
					}
					buf = append(buf, ev)
					size += len(ev.Data)
				default:
					break drain
				}
			}
			// A gap (a damaged store lost events): what comes before it
			// is delivered, then the gap is the error.
			var gap error
			for i, ev := range buf {
				if ev.Seq != next {
					if ev.Seq < next {
						return fmt.Errorf("follow %s: expected event %d, got %d", l.name, next, ev.Seq)
					}
					gap = &lrs.GapError{Log: l.name, From: next, To: ev.Seq - 1}
					buf = buf[:i]
					break
				}
				next++
			}
			if len(buf) > 0 {
				if err := fn(buf); err != nil {
					return err
				}
			}
			if gap != nil {
				return gap
			}
		}
	}
}

// FollowSubject delivers the events on subjects matching filter (e.g.
// "jejak.*.credentials"), from sequence from onwards, in order, one at a
// time, until ctx is done or fn fails; JetStream leaves the others out, so
// following a few events of a large log reads only them. caughtUp is true
// for an event after which none matched when it was delivered; when none
// matches at the start, fn is first called with no event and caughtUp.
func (l *Log) FollowSubject(ctx context.Context, filter string, from uint64, fn func(evs []lrs.LogEvent, caughtUp bool) error) error {
	if from == 0 {
		from = 1
	}
	info, err := l.stream.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		return fmt.Errorf("follow %s on %s: %w", l.name, filter, err)
	}
	var matching uint64
	for _, n := range info.State.Subjects {
		matching += n
	}
	if matching == 0 {
		if err := fn(nil, true); err != nil {
			return err
		}
	}
	cons, err := l.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{filter},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    from,
	})
	if err != nil {
		return fmt.Errorf("follow %s on %s from %d: %w", l.name, filter, from, err)
	}
	it, err := cons.Messages(followOpts()...)
	if err != nil {
		return fmt.Errorf("follow %s on %s from %d: %w", l.name, filter, from, err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	var last uint64
	for {
		// NextContext: with the connection down, Next can keep waiting
		// after Stop; the context ends it at shutdown.
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("follow %s on %s: %w", l.name, filter, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("event metadata: %w", err)
		}
		ev := lrs.LogEvent{Seq: md.Sequence.Stream, Subject: m.Subject(), Data: m.Data(), Time: md.Timestamp}
		if h := m.Headers(); len(h) > 0 {
			ev.Header = h
		}
		if ev.Seq <= last {
			return fmt.Errorf("follow %s on %s: event %d after %d", l.name, filter, ev.Seq, last)
		}
		last = ev.Seq
		if err := fn([]lrs.LogEvent{ev}, md.NumPending == 0); err != nil {
			return err
		}
	}
}

// openStream returns the stream named in want, creating it with want when
// there is none. A cluster's JetStream may take a moment to elect a leader
// after start, so retryable errors are retried for about five seconds.
func openStream(ctx context.Context, js jetstream.JetStream, want jetstream.StreamConfig) (jetstream.Stream, error) {
	for attempt := 0; ; attempt++ {
		stream, err := js.Stream(ctx, want.Name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			stream, err = js.CreateStream(ctx, want)
		}
		if err == nil || attempt >= 20 || ctx.Err() != nil || !retryable(err) {
			return stream, err
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// lookupStream returns the existing stream name, retrying as openStream
// does; it never creates one.
func lookupStream(ctx context.Context, js jetstream.JetStream, name string) (jetstream.Stream, error) {
	for attempt := 0; ; attempt++ {
		stream, err := js.Stream(ctx, name)
		if err == nil || attempt >= 20 || ctx.Err() != nil || !retryable(err) {
			return stream, err
		}
		time.Sleep(250 * time.Millisecond)
	}
}
