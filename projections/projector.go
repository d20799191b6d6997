package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
)

// Projection is a view fed by the log.
type Projection interface {
	Name() string
	// Checkpoint is the last applied sequence.
	Checkpoint() uint64
	// Apply folds a chunk of consecutive events, after the checkpoint, in
	// one atomic write together with the new checkpoint. It must not keep
	// the slice.
	Apply([]lrs.LogEvent) error
}

// Run feeds p from log, resuming at its checkpoint+1, until ctx is done.
// It returns nil on cancellation and the first error otherwise.
func Run(ctx context.Context, log lrs.LogReader, p Projection, logger *slog.Logger) error {
	from := p.Checkpoint() + 1
	logger.Info("projector start", "component", "projector", "view", p.Name(), "from_seq", from)
	err := log.Follow(ctx, from, p.Apply)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("projector %s: %w", p.Name(), err)
}

// CatchUp feeds p until it has applied target (0: the log's last sequence
// as it stood when CatchUp was called), then returns. Events after target
// are not applied. progress, if not nil, is called after every chunk.
func CatchUp(ctx context.Context, log lrs.LogReader, p Projection, target uint64, progress func(applied, last uint64)) error {
	if target == 0 {
		last, err := log.LastSeq(ctx)
		if err != nil {
			return err
		}
		target = last
	}
	if p.Checkpoint() >= target {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := errors.New("caught up")
	err := log.Follow(ctx, p.Checkpoint()+1, func(evs []lrs.LogEvent) error {
		if n := len(evs); n > 0 && evs[n-1].Seq > target {
			i := 0
			for i < n && evs[i].Seq <= target {
				i++
			}
			evs = evs[:i]
		}
		if err := p.Apply(evs); err != nil {
			return err
		}
		if progress != nil {
			progress(p.Checkpoint(), target)
		}
		if p.Checkpoint() >= target {
			return done
		}
		return nil
	})
	if errors.Is(err, done) {
		return nil
	}
	return fmt.Errorf("replay %s: %w", p.Name(), err)
}

// SeqAt returns the last sequence of log whose event was stored at or
// before t (0 when none), by binary search: stored times never decrease
// along the log.
func SeqAt(ctx context.Context, log lrs.LogReader, t time.Time) (uint64, error) {
	last, err := log.LastSeq(ctx)
	if err != nil {
		return 0, err
	}
	var p fastjson.Parser
	lo, hi := uint64(1), last // find the first seq stored after t
	for lo <= hi {
		mid := lo + (hi-lo)/2
		ev, err := log.Get(ctx, mid)
		if err != nil {
			return 0, err
		}
		env, err := lrs.DecodeEnvelope(&p, ev.Data)
		if err != nil {
			return 0, fmt.Errorf("event %d: %w", mid, err)
		}
		if env.Stored.After(t) {
			hi = mid - 1
		} else {
			lo = mid + 1
		}
	}
	return lo - 1, nil
}
