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
// first error otherwise. The hash chain is checked as the events come
// (see RunAllWatched): at a break the views stop before it and RunAll
// waits for ctx.
func RunAll(ctx context.Context, log lrs.LogReader, ps []Projection, logger *slog.Logger) error {
	return RunAllWatched(ctx, log, ps, logger, new(Integrity))
}

// RunAllWatched is RunAll that checks every event's link in the log's
// hash chain before any view folds it, as `jejak audit verify` does: its
// prev must be the hash of the Jejak event before it (or of a foreign
// event since, docs/adr/0009-foreign-events.md), and no sequence may be
// missing. At the first break the views fold what comes before it and
// stop; the break is logged and kept in integ (for /readyz and metrics),
// and RunAllWatched waits for ctx and returns nil.
func RunAllWatched(ctx context.Context, log lrs.LogReader, ps []Projection, logger *slog.Logger, integ *Integrity) error {
	err := followAll(ctx, log, ps, 0, nil, integ)
	var brk *BreakError
	if errors.As(err, &brk) {
		logger.Error("the log's hash chain is broken: every view stops before the break and the node is not ready; run `jejak audit verify`",
			"component", "projector", "seq", brk.Seq, "err", brk.Reason)
		<-ctx.Done()
		return nil
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// BreakError is a break of the log's hash chain a projector met: the
// views hold every event before Seq and none from it on.
type BreakError lrs.ChainError

func (e *BreakError) Error() string {
	return fmt.Sprintf("the log's hash chain breaks at sequence %d: %s; the views stop before it", e.Seq, e.Reason)
}

// Integrity holds the break of the log's hash chain the projector met, if
// any. The zero value is an intact log.
type Integrity struct {
	mu  sync.Mutex
	brk *BreakError
}

// Err returns the break, nil while the log is intact as far as it was
// folded.
func (i *Integrity) Err() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.brk == nil {
		return nil
	}
	return i.brk
}

// BreakSeq returns the sequence of the break, 0 while there is none.
func (i *Integrity) BreakSeq() uint64 {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.brk == nil {
		return 0
	}
	return i.brk.Seq
}

func (i *Integrity) set(b *BreakError) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.brk == nil {
		i.brk = b
	}
}

// chainFrom returns a verifier of the chain for the events from on. Past
// the first event it is seeded from the log (the views' checkpoint does not
// hold hashes): with the last Jejak event before from and the foreign
// events after it, as a Jejak event may link to either.
func chainFrom(ctx context.Context, log lrs.LogReader, from uint64) (*lrs.Verifier, error) {
	if from <= 1 {
		return lrs.NewVerifier(1), nil
	}
	get := func(seq uint64) (lrs.LogEvent, error) {
		ev, err := log.Get(ctx, seq)
		if err != nil {
			return ev, fmt.Errorf("read event %d to check the link of the events after %d, the views' checkpoint: %w", seq, from-1, err)
		}
		return ev, nil
	}
	var p fastjson.Parser
	start := from - 1
	for ; start > 1; start-- {
		ev, err := get(start)
		if err != nil {
			return nil, err
		}
		if _, err := lrs.ReadEvent(&p, start, ev.Data); err == nil {
			break
		}
	}
	v := lrs.NewVerifier(start)
	for seq := start; seq < from; seq++ {
		ev, err := get(seq)
		if err != nil {
			return nil, err
		}
		if err := v.Event(ev.Seq, ev.Data, 0); err != nil {
			return nil, err
		}
	}
	return v, nil
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
	}, new(Integrity))
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
// chunk (cut at target when target > 0) checked link by link in the hash
// chain, then applied by every view in its own goroutine, then after is
// called with the lowest checkpoint. At a break of the chain, what comes
// before it is applied, the break is kept in integ and returned as a
// *BreakError.
func followAll(ctx context.Context, log lrs.LogReader, ps []Projection, target uint64, after func(uint64) error, integ *Integrity) error {
	if len(ps) == 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	from := lowest(ps) + 1
	chain, err := chainFrom(ctx, log, from)
	if err != nil {
		return err
	}
	errs := make([]error, len(ps))
	var brk *BreakError
	err = log.Follow(ctx, from, func(evs []lrs.LogEvent) error {
		if target > 0 {
			i := 0
			for i < len(evs) && evs[i].Seq <= target {
				i++
			}
			evs = evs[:i]
		}
		for k, ev := range evs {
			if err := chain.Event(ev.Seq, ev.Data, 0); err != nil {
				var ce *lrs.ChainError
				if !errors.As(err, &ce) {
					return err
				}
				brk = (*BreakError)(ce)
				evs = evs[:k]
				break
			}
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
		if brk != nil {
			return brk
		}
		if after != nil {
			return after(lowest(ps))
		}
		return nil
	})
	var gap *lrs.GapError
	if errors.As(err, &gap) {
		// the log cannot give these events: the chain breaks at the first
		_, why := log.Get(ctx, gap.From)
		if why == nil {
			why = errors.New("the log skips it when read in order")
		}
		brk = &BreakError{Seq: gap.From, Reason: fmt.Sprintf("event %d cannot be read: %v", gap.From, why)}
		if gap.To > gap.From {
			brk.Reason = fmt.Sprintf("events %d to %d cannot be read (event %d: %v)", gap.From, gap.To, gap.From, why)
		}
		err = brk
	}
	if errors.As(err, &brk) {
		integ.set(brk)
	}
	return err
}
