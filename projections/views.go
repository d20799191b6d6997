package projections

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// Views are all the views a node keeps, each in its own Pebble database
// under one directory: statements/, documents/.
type Views struct {
	Statements *StatementIndex
	Documents  *DocumentIndex
	JP         *JPIndex // nil when opened without rules
}

// JPOptions are what the JP view folds with.
type JPOptions struct {
	Rules    *bangkom.RuleSet
	HomePage string // the account homePage of ASN agents
}

// Open opens (or creates) every view under dir, each with a block cache of
// cacheBytes; the JP view only when jp is not nil. The caller closes them
// after the projectors and readers stop.
func Open(dir string, cacheBytes int64, jp *JPOptions) (*Views, error) {
	return open(dir, cacheBytes, jp, live)
}

// OpenForRebuild opens fresh views for a rebuild from the log: without
// Pebble's write-ahead log (a rebuild that stops is thrown away and begun
// again, and the log can always replay). Call Flush before Close.
func OpenForRebuild(dir string, cacheBytes int64, jp *JPOptions) (*Views, error) {
	return open(dir, cacheBytes, jp, rebuilding)
}

// OpenReadOnly opens the views under dir for reading only, as `jejak
// replay --out` left them: nothing is written to dir, and every view must
// be there (an error names the one that is not).
func OpenReadOnly(dir string, cacheBytes int64, jp *JPOptions) (*Views, error) {
	return open(dir, cacheBytes, jp, readOnly)
}

// Flush writes every view's memory tables to disk.
func (v *Views) Flush() error {
	var errs []error
	for _, p := range v.All() {
		if f, ok := p.(interface{ Flush() error }); ok {
			errs = append(errs, f.Flush())
		}
	}
	return errors.Join(errs...)
}

// openMode is how views are opened.
type openMode int

const (
	live       openMode = iota // read and written by a serving node
	rebuilding                 // built afresh from the log, without WAL
	readOnly                   // read only, written by nothing
)

func open(dir string, cacheBytes int64, jp *JPOptions, mode openMode) (*Views, error) {
	options := func() *pebble.Options {
		opts := PebbleOptions(cacheBytes)
		switch mode {
		case rebuilding:
			// Larger memory tables do not make a rebuild faster (64 MiB:
			// the same time, 1.15 GB RSS instead of 0.96 for 1 M statements).
			opts.DisableWAL = true
		case readOnly:
			opts.ReadOnly = true
		}
		return opts
	}
	openIn := func(name string, fn func(string) error) error {
		sub := filepath.Join(dir, name)
		if mode == readOnly {
			if entries, err := os.ReadDir(sub); err != nil || len(entries) == 0 {
				return fmt.Errorf("%s holds no %s view (build one with `jejak replay --out %s`)", dir, name, dir)
			}
			return fn(sub)
		}
		if err := os.MkdirAll(sub, 0o750); err != nil {
			return err
		}
		return fn(sub)
	}
	v := &Views{}
	err := openIn("statements", func(d string) error {
		opts := options()
		defer opts.Cache.Unref()
		var err error
		v.Statements, err = OpenStatementIndex(d, opts)
		return err
	})
	if err == nil {
		err = openIn("documents", func(d string) error {
			opts := options()
			defer opts.Cache.Unref()
			var err error
			v.Documents, err = OpenDocumentIndex(d, opts)
			return err
		})
	}
	if err == nil && jp != nil {
		err = openIn("jp", func(d string) error {
			opts := options()
			defer opts.Cache.Unref()
			var err error
			v.JP, err = OpenJPIndex(d, opts, jp.Rules, jp.HomePage)
			return err
		})
	}
	if err != nil {
		v.Close()
		return nil, err
	}
	return v, nil
}

// All returns every view as a Projection, to be fed by the log.
func (v *Views) All() []Projection {
	all := []Projection{v.Statements, v.Documents}
	if v.JP != nil {
		all = append(all, v.JP)
	}
	return all
}

// Close closes every open view.
func (v *Views) Close() error {
	var errs []error
	if v.Statements != nil {
		errs = append(errs, v.Statements.Close())
	}
	if v.Documents != nil {
		errs = append(errs, v.Documents.Close())
	}
	if v.JP != nil {
		errs = append(errs, v.JP.Close())
	}
	return errors.Join(errs...)
}

// StoreMetrics are the metrics of one Pebble database of the views, named
// after what it holds: statements, statements/records, documents, jp.
type StoreMetrics struct {
	Name string
	*pebble.Metrics
}

// Metrics returns the metrics of every Pebble database of the views.
func (v *Views) Metrics() []StoreMetrics {
	var out []StoreMetrics
	for _, p := range v.All() {
		if s, ok := p.(interface{ stores() []StoreMetrics }); ok {
			out = append(out, s.stores()...)
		}
	}
	return out
}

// ForeignCounter is a view that passes over foreign events (see
// lrs.ForeignError) and counts them.
type ForeignCounter interface {
	Foreign() uint64
	OnForeign(fn func(view string, seq uint64, err error))
}

// OnForeign sets fn to be told of every foreign event a view passes over.
func (v *Views) OnForeign(fn func(view string, seq uint64, err error)) {
	for _, p := range v.All() {
		if f, ok := p.(ForeignCounter); ok {
			f.OnForeign(fn)
		}
	}
}
