package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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
// along the log. Foreign events (lrs.ForeignError) have no stored time:
// each probe moves on to the next Jejak event.
func SeqAt(ctx context.Context, log lrs.LogReader, t time.Time) (uint64, error) {
	last, err := log.LastSeq(ctx)
	if err != nil {
		return 0, err
	}
	var p fastjson.Parser
	lo, hi := uint64(1), last // find the first seq stored after t
	for lo <= hi {
		mid := lo + (hi-lo)/2
		// the first Jejak event at or after mid, up to hi
		at, found := mid, false
		var stored time.Time
		for ; at <= hi; at++ {
			ev, err := log.Get(ctx, at)
			if err != nil {
				return 0, err
			}
			if env, err := lrs.ReadEvent(&p, at, ev.Data); err == nil {
				stored, found = env.Stored, true
				break
			}
		}
		if !found || stored.After(t) {
			hi = mid - 1 // mid..at-1 are foreign: they follow what came before
		} else {
			lo = at + 1
		}
	}
	return lo - 1, nil
}

// RunAll feeds every view in ps from one follower of the log, resuming at
// the lowest checkpoint+1; each chunk is folded by all the views side by
// side, each skipping what it already holds. One follower instead of one
// per view reads the log once. It returns nil on cancellation and the
// first error otherwise.
func RunAll(ctx context.Context, log lrs.LogReader, ps []Projection, logger *slog.Logger) error {
	err := followAll(ctx, log, ps, 0, nil)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// CatchUpAll feeds every view in ps until each has applied target (0: the
// log's last sequence when it was called). progress, if not nil, is called
// after every chunk with the lowest checkpoint.
func CatchUpAll(ctx context.Context, log lrs.LogReader, ps []Projection, target uint64, progress func(applied, last uint64)) error {
	if target == 0 {
		last, err := log.LastSeq(ctx)
		if err != nil {
			return err
		}
		target = last
	}
	if lowest(ps) >= target {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := errors.New("caught up")
	err := followAll(ctx, log, ps, target, func(applied uint64) error {
		if progress != nil {
			progress(applied, target)
		}
		if applied >= target {
			return done
		}
		return nil
	})
	if errors.Is(err, done) {
		return nil
	}
	return err
}

func lowest(ps []Projection) uint64 {
	low := ^uint64(0)
	for _, p := range ps {
		low = min(low, p.Checkpoint())
	}
	return low
}

// followAll is the shared loop: one Follow from the lowest checkpoint, each
// chunk (cut at target when target > 0) applied by every view in its own
// goroutine, then after is called with the lowest checkpoint.
func followAll(ctx context.Context, log lrs.LogReader, ps []Projection, target uint64, after func(uint64) error) error {
	if len(ps) == 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	errs := make([]error, len(ps))
	return log.Follow(ctx, lowest(ps)+1, func(evs []lrs.LogEvent) error {
		if target > 0 {
			i := 0
			for i < len(evs) && evs[i].Seq <= target {
				i++
			}
			evs = evs[:i]
		}
		var wg sync.WaitGroup
		for i, p := range ps {
			j := 0
			for j < len(evs) && evs[j].Seq <= p.Checkpoint() {
				j++
			}
			if j == len(evs) {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := p.Apply(evs[j:]); err != nil {
					errs[i] = fmt.Errorf("projector %s: %w", p.Name(), err)
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		if after != nil {
			return after(lowest(ps))
		}
		return nil
	})
}
