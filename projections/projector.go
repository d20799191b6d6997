package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

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

// CatchUp feeds p until it has applied the log's last sequence as it stood
// when CatchUp was called, then returns. progress, if not nil, is called
// after every chunk.
func CatchUp(ctx context.Context, log lrs.LogReader, p Projection, progress func(applied, last uint64)) error {
	last, err := log.LastSeq(ctx)
	if err != nil {
		return err
	}
	if p.Checkpoint() >= last {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := errors.New("caught up")
	err = log.Follow(ctx, p.Checkpoint()+1, func(evs []lrs.LogEvent) error {
		if err := p.Apply(evs); err != nil {
			return err
		}
		if progress != nil {
			progress(p.Checkpoint(), last)
		}
		if p.Checkpoint() >= last {
			return done
		}
		return nil
	})
	if errors.Is(err, done) {
		return nil
	}
	return fmt.Errorf("replay %s: %w", p.Name(), err)
}
