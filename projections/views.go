package projections

import (
	"errors"
	"os"
	"path/filepath"
)

// Views are all the views a node keeps, each in its own Pebble database
// under one directory: statements/, documents/.
type Views struct {
	Statements *StatementIndex
	Documents  *DocumentIndex
}

// ViewNames lists the views in the order they are opened.
var ViewNames = []string{"statements", "documents"}

// Open opens (or creates) every view under dir, each with a block cache of
// cacheBytes. The caller closes them after the projectors and readers stop.
func Open(dir string, cacheBytes int64) (*Views, error) {
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
	if err != nil {
		v.Close()
		return nil, err
	}
	return v, nil
}

// All returns every view as a Projection, to be fed by the log.
func (v *Views) All() []Projection {
	return []Projection{v.Statements, v.Documents}
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
	return errors.Join(errs...)
}
