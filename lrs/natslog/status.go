package natslog

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
)

// The nodes of one log answer requests for their status on one subject,
// outside the log's (jejak.>): an auditor's page on any node shows every
// node's view positions and digests side by side. A request's data is
// "digests" to ask for the views' digests too (each node computes them
// from a snapshot, which takes a moment on a large view).

// StatusSubject is where the nodes of stream answer status requests.
func StatusSubject(stream string) string { return "jejak_status." + stream }

// AnswerStatus answers every status request of the nodes of stream with
// what status returns for it (given whether digests were asked for), until
// the subscription is unsubscribed or drained.
func AnswerStatus(nc *nats.Conn, stream string, status func(digests bool) []byte) (*nats.Subscription, error) {
	return nc.Subscribe(StatusSubject(stream), func(m *nats.Msg) {
		if m.Reply == "" {
			return
		}
		_ = m.Respond(status(string(m.Data) == "digests"))
	})
}

// GatherStatus asks every node of stream for its status and returns the
// answers, in the order they came: it waits at most wait, and stops
// settle after the last answer came (each node answers once).
func GatherStatus(ctx context.Context, nc *nats.Conn, stream string, digests bool, wait, settle time.Duration) ([][]byte, error) {
	inbox := nats.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	var data []byte
	if digests {
		data = []byte("digests")
	}
	if err := nc.PublishRequest(StatusSubject(stream), inbox, data); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var out [][]byte
	for {
		next := ctx
		var stop context.CancelFunc = func() {}
		if len(out) > 0 {
			next, stop = context.WithTimeout(ctx, settle)
		}
		m, err := sub.NextMsgWithContext(next)
		stop()
		switch {
		case err == nil:
			out = append(out, m.Data)
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), errors.Is(err, nats.ErrNoResponders):
			return out, nil
		default:
			return out, err
		}
	}
}
