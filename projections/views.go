package projections

import (
	"errors"
	"os"
	"path/filepath"

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
	open := func(name string, fn func(string) error) error {
		sub := filepath.Join(dir, name)
		if err := os.MkdirAll(sub, 0o750); err != nil {
			return err
		}
		return fn(sub)
	}
	v := &Views{}
	err := open("statements", func(d string) error {
		opts := PebbleOptions(cacheBytes)
		defer opts.Cache.Unref()
		var err error
		v.Statements, err = OpenStatementIndex(d, opts)
		return err
	})
	if err == nil {
		err = open("documents", func(d string) error {
			opts := PebbleOptions(cacheBytes)
			defer opts.Cache.Unref()
			var err error
			v.Documents, err = OpenDocumentIndex(d, opts)
			return err
		})
	}
	if err == nil && jp != nil {
		err = open("jp", func(d string) error {
			opts := PebbleOptions(cacheBytes)
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
