package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/jejak-id/jejak/lrs"

	"github.com/jejak-id/jejak/projections"
)

// viewNames are the views replay knows, in the order they are built.
var viewNames = []string{"statements", "documents", "jp"}

// replayOptions choose what a rebuild builds.
type replayOptions struct {
	views []string // names; all when empty
	toSeq uint64   // 0: the log's last event
	asOf  time.Time
}

// rebuild builds the chosen views from the log into dir (which must not
// hold views yet) and returns them open, with the sequence they reached.
func rebuild(ctx context.Context, cfg config, lc *logConn, dir string, opt replayOptions, progress io.Writer) (*projections.Views, uint64, error) {
	jp, err := loadJPOptions(cfg)
	if err != nil {
		return nil, 0, err
	}
	views, err := projections.OpenForRebuild(dir, int64(cfg.CacheMB)<<20, jp)
	if err != nil {
		return nil, 0, err
	}
	target := opt.toSeq
	if !opt.asOf.IsZero() {
		if target, err = projections.SeqAt(ctx, lc.log, opt.asOf); err != nil {
			views.Close()
			return nil, 0, err
		}
		if opt.toSeq > 0 {
			target = min(target, opt.toSeq)
		}
	}
	if target == 0 {
		if target, err = lc.log.LastSeq(ctx); err != nil {
			views.Close()
			return nil, 0, err
		}
	}
	// The views are independent folds of the same log: build them side by
	// side from one follower.
	var chosen []projections.Projection
	var names []string
	for _, p := range views.All() {
		if len(opt.views) == 0 || slices.Contains(opt.views, p.Name()) {
			chosen = append(chosen, p)
			names = append(names, p.Name())
		}
	}
	bar := newProgress(progress, "replay "+strings.Join(names, "+"), target)
	err = projections.CatchUpAll(ctx, lc.log, chosen, target, bar.update)
	bar.finish(target)
	if err != nil {
		views.Close()
		return nil, 0, err
	}
	return views, target, nil
}

// runReplay rebuilds views from the log. Without --out it replaces the
// live views (server stopped): the rebuild is made in a fresh directory
// and swapped in only when complete. With --to-seq or --as-of the views are
// built as they stood at that moment, into --out.
func runReplay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	var view, asOf, out, cpuProfile string
	var toSeq int
	f := newFlags("replay", getenv, stderr)
	cfg.bind(f, false)
	f.String(&cpuProfile, "cpuprofile", "", "write a CPU profile of the rebuild to this file (go tool pprof)")
	f.String(&view, "view", "all", "the view to rebuild: "+strings.Join(viewNames, ", ")+" or all")
	f.Int(&toSeq, "to-seq", 0, "build the views as they stood after this log sequence (needs --out)")
	f.String(&asOf, "as-of", "", "build the views as they stood at this RFC 3339 time (needs --out)")
	f.String(&out, "out", "", "build into this directory and leave the live views alone")
	if err := f.parse(args); err != nil {
		return err
	}
	var opt replayOptions
	if view != "all" {
		if !slices.Contains(viewNames, view) {
			return usageError{fmt.Sprintf("--view %q: want %s or all", view, strings.Join(viewNames, ", "))}
		}
		opt.views = []string{view}
	}
	opt.toSeq = uint64(max(toSeq, 0))
	if asOf != "" {
		t, err := time.Parse(time.RFC3339Nano, asOf)
		if err != nil {
			return usageError{fmt.Sprintf("--as-of %q: want an RFC 3339 time", asOf)}
		}
		opt.asOf = t
	}
	if (opt.toSeq > 0 || !opt.asOf.IsZero()) && out == "" {
		return usageError{"--to-seq and --as-of build past views: give --out DIR so the live views stay as they are"}
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(768 << 20)
	}
	if cpuProfile != "" {
		pf, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); pf.Close() }()
	}
	lc, closeLog, err := openAuditLog(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeLog()

	start := time.Now()
	final := viewsDir(cfg)
	fresh := final + ".rebuild"
	if out != "" {
		fresh = out
		if entries, _ := os.ReadDir(out); len(entries) > 0 {
			return fmt.Errorf("--out %s is not empty", out)
		}
	} else if err := os.RemoveAll(fresh); err != nil {
		return err
	}
	views, reached, err := rebuild(ctx, cfg, lc, fresh, opt, stdout)
	var digests []string
	if err == nil {
		err = views.Flush()
		if err == nil && out != "" {
			digests, err = viewDigests(views, opt.views)
		}
		err = errors.Join(err, views.Close())
	}
	if err != nil {
		return fmt.Errorf("replay: %w (the live views are untouched)", err)
	}
	if out != "" {
		fmt.Fprintf(stdout, "replay: built %s up to event %d into %s in %s\n", view, reached, out, time.Since(start).Round(time.Millisecond))
		fmt.Fprintf(stdout, "replay: digests of the views (SHA-256 over every key and value; a replay of the same log to the same event prints the same):\n")
		for _, d := range digests {
			fmt.Fprintf(stdout, "  %s\n", d)
		}
		fmt.Fprintf(stdout, "replay: serve them with `jejak serve --read-only --views %s --credentials key:secret`\n", out)
		return nil
	}
	// Swap the rebuilt views in: every view, or the one asked for.
	names := viewNames
	if len(opt.views) > 0 {
		names = opt.views
	}
	for _, name := range names {
		live := filepath.Join(final, name)
		if err := os.RemoveAll(live); err != nil {
			return err
		}
		if err := os.MkdirAll(final, 0o750); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(fresh, name), live); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(fresh); err != nil {
		return err
	}
	what := "every view"
	if len(opt.views) > 0 {
		what = "the " + view + " view"
	}
	fmt.Fprintf(stdout, "replay: rebuilt %s from %d events in %s\n", what, reached, time.Since(start).Round(time.Millisecond))
	return nil
}

// runAuditViews compares every live view with a fresh rebuild from the log
// up to the same event, by digest (server stopped).
func runAuditViews(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	f := newFlags("audit views", getenv, stderr)
	cfg.bind(f, false)
	if err := f.parse(args); err != nil {
		return err
	}
	lc, closeLog, err := openAuditLog(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	jp, err := loadJPOptions(cfg)
	if err != nil {
		return err
	}
	live, err := projections.Open(viewsDir(cfg), int64(cfg.CacheMB)<<20, jp)
	if err != nil {
		return err
	}
	defer live.Close()
	tmp, err := os.MkdirTemp(filepath.Dir(viewsDir(cfg)), "audit-views-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	differ := false
	for i, p := range live.All() {
		name := p.Name()
		dir := filepath.Join(tmp, name)
		opt := replayOptions{views: []string{name}, toSeq: p.Checkpoint()}
		if p.Checkpoint() == 0 {
			opt.views = []string{"-"} // an empty view: nothing to replay
		}
		views, _, err := rebuild(ctx, cfg, lc, dir, opt, io.Discard)
		if err != nil {
			return err
		}
		liveDigest, err := digest(p)
		if err != nil {
			views.Close()
			return err
		}
		rebuilt, err := digest(views.All()[i])
		views.Close()
		if err != nil {
			return err
		}
		status := "same"
		if liveDigest != rebuilt {
			status, differ = "DIFFERENT", true
		}
		fmt.Fprintf(stdout, "%-10s up to event %d: live %s, rebuilt %s: %s\n", name, p.Checkpoint(), liveDigest, rebuilt, status)
	}
	if differ {
		return errors.New("a view differs from its rebuild from the log")
	}
	return nil
}

// viewDigests returns "name digest" of each view built (all when names is
// empty), in build order.
func viewDigests(views *projections.Views, names []string) ([]string, error) {
	var out []string
	for _, p := range views.All() {
		if len(names) > 0 && !slices.Contains(names, p.Name()) {
			continue
		}
		d, err := digest(p)
		if err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%-10s %s", p.Name(), d))
	}
	return out, nil
}

func digest(p projections.Projection) (string, error) {
	d, ok := p.(interface{ Digest() (lrs.Hash, error) })
	if !ok {
		return "", fmt.Errorf("view %s has no digest", p.Name())
	}
	h, err := d.Digest()
	return h.String(), err
}

// progress shows a rebuild's progress: a bar on a terminal, plain lines
// otherwise, with events per second and the time left.
type progress struct {
	w       io.Writer
	label   string
	total   uint64
	start   time.Time
	last    time.Time
	tty     bool
	started uint64
}

func newProgress(w io.Writer, label string, total uint64) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) update(applied, total uint64) {
	if p.started == 0 {
		p.started = applied
	}
	every := 2 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if time.Since(p.last) < every {
		return
	}
	p.last = time.Now()
	p.print(applied, false)
}

func (p *progress) print(applied uint64, final bool) {
	elapsed := time.Since(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(applied-min(p.started, applied)) / elapsed
	}
	eta := "?"
	if rate > 0 && p.total >= applied {
		eta = (time.Duration(float64(p.total-applied)/rate) * time.Second).Round(time.Second).String()
	}
	pct := 100.0
	if p.total > 0 {
		pct = float64(applied) / float64(p.total) * 100
	}
	if p.tty {
		const width = 30
		filled := int(pct / 100 * width)
		bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
		fmt.Fprintf(p.w, "\r%s %s %5.1f%% %d/%d events  %.0f events/s  ETA %s   ", p.label, bar, pct, applied, p.total, rate, eta)
		if final {
			fmt.Fprintln(p.w)
		}
		return
	}
	fmt.Fprintf(p.w, "%s: event %d of %d (%.1f%%), %.0f events/s, ETA %s\n", p.label, applied, p.total, pct, rate, eta)
}

func (p *progress) finish(applied uint64) { p.print(applied, true) }
