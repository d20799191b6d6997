package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jejak-id/jejak/projections"
)

var errHelp = flag.ErrHelp

// runReplay deletes the views and rebuilds them from the log. The rebuild
// is made in a fresh directory and swapped in only when complete.
func runReplay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	f := newFlags("replay", getenv, stderr)
	cfg.bind(f, false)
	if err := f.parse(args); err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	}
	logger, err := newLogger(cfg.LogLevel, stderr)
	if err != nil {
		return err
	}
	lock, err := lockData(cfg.Data)
	if err != nil {
		return err
	}
	defer lock.unlock()
	lc, err := openLog(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer lc.close()

	final := viewsDir(cfg)
	fresh := final + ".rebuild"
	if err := os.RemoveAll(fresh); err != nil {
		return err
	}
	jp, err := loadJPOptions(cfg)
	if err != nil {
		return err
	}
	views, err := projections.Open(fresh, int64(cfg.CacheMB)<<20, jp)
	if err != nil {
		return err
	}
	start := time.Now()
	for _, p := range views.All() {
		last := time.Time{}
		err = projections.CatchUp(ctx, lc.log, p, func(applied, total uint64) {
			if time.Since(last) >= time.Second || applied == total {
				last = time.Now()
				fmt.Fprintf(stdout, "replay %s: event %d of %d\n", p.Name(), applied, total)
			}
		})
		if err != nil {
			break
		}
	}
	applied := views.Statements.Checkpoint()
	if cerr := views.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("replay: %w (the old views are untouched)", err)
	}
	if err := os.RemoveAll(final); err != nil {
		return err
	}
	if err := os.Rename(fresh, final); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "replay: rebuilt every view from %d events in %s\n", applied, time.Since(start).Round(time.Millisecond))
	return nil
}
