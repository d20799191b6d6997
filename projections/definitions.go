package projections

import (
	"bytes"

	"github.com/cockroachdb/pebble/v2"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
)

// recordDefinitions folds the activity definitions and verb display of a
// statement into the canonical ones (d and e keys).
func (ix *StatementIndex) recordDefinitions(b *pebble.Batch, sp *stmtPrep) error {
	for _, act := range sp.acts {
		err := ix.foldCanonical(b, "a"+act.id, hashKey(famActivity, act.id), act.obj, func(in, old *fastjson.Value) []byte {
			def := in.Get("definition")
			if old != nil && def == nil {
				return nil
			}
			out := append([]byte(nil), `{"objectType":"Activity","id":`...)
			out = lrs.AppendJSONString(out, act.id)
			if def != nil {
				out = append(out, `,"definition":`...)
				out = lrs.AppendMergedDefinition(out, old.Get("definition"), def)
			}
			return append(out, '}')
		})
		if err != nil {
			return err
		}
	}
	if sp.display == nil {
		return nil
	}
	return ix.foldCanonical(b, "v"+sp.verb, hashKey(famVerb, sp.verb), sp.display, func(in, old *fastjson.Value) []byte {
		return lrs.AppendMergedObject(nil, old, in)
	})
}

// foldCanonical merges in into the canonical value under key (an activity
// or a verb display) with merge, which returns the JSON of the new canonical
// value, or nil to leave it as it is; old is nil when there is none yet.
//
// ix.canon remembers, under ck, the last value folded and the canonical one
// it left: a value seen last time changes nothing, and another is merged
// without reading the view. A merge that leaves the canonical value as it
// was writes nothing. The cache only saves work: the view is the same with
// or without it.
func (ix *StatementIndex) foldCanonical(b *pebble.Batch, ck string, key, in []byte, merge func(in, old *fastjson.Value) []byte) error {
	e, cached := ix.canon[ck]
	if cached && e.last == string(in) {
		return nil
	}
	old := e.canonical
	if !cached {
		var err error
		if old, err = getCopy(b, key); err != nil {
			return err
		}
	}
	pin, pold := &ix.defParsers[0], &ix.defParsers[1]
	nv, err := pin.ParseBytes(in)
	if err != nil {
		return err
	}
	var ov *fastjson.Value
	if old != nil {
		if ov, err = pold.ParseBytes(old); err != nil {
			return err
		}
	}
	merged := merge(nv, ov)
	if merged == nil {
		ix.remember(ck, in, old)
		return nil
	}
	ix.remember(ck, in, merged)
	if bytes.Equal(merged, old) {
		return nil
	}
	return b.Set(key, merged, nil)
}

// canonEntry is what ix.canon keeps of an activity or verb.
type canonEntry struct {
	last      string // the definition (or display) last folded
	canonical []byte // the canonical one the view holds after it
}

// remember notes that folding def under key left canonical in the view.
func (ix *StatementIndex) remember(key string, def, canonical []byte) {
	if len(ix.canon) >= 1<<15 {
		clear(ix.canon)
	}
	ix.canon[key] = canonEntry{last: string(def), canonical: canonical}
}

// seen reports whether def is the last value folded under key (an agent's
// name), and remembers it.
func (ix *StatementIndex) seen(key string, def []byte) bool {
	if prev, ok := ix.seenDefs[key]; ok && prev == string(def) {
		return true
	}
	if len(ix.seenDefs) >= 1<<14 {
		clear(ix.seenDefs)
	}
	ix.seenDefs[key] = string(def)
	return false
}

// Activity returns the canonical Activity object for id, assembled from the
// statements that used it, or ENOTFOUND.
func (ix *StatementIndex) Activity(id string) ([]byte, error) {
	v, err := ix.get(hashKey(famActivity, id))
	if err != nil {
		return nil, lrs.Internal("statement view", err)
	}
	if v == nil {
		return nil, lrs.Errorf(lrs.ENOTFOUND, "no activity %q is known", id)
	}
	return v, nil
}

// VerbDisplay returns the canonical display language map of a verb, nil if
// none is known.
func (ix *StatementIndex) VerbDisplay(id string) ([]byte, error) {
	v, err := ix.get(hashKey(famVerb, id))
	if err != nil {
		return nil, lrs.Internal("statement view", err)
	}
	return v, nil
}

// recordNames remembers the names agents went by, for the Agents resource
// (n keys).
func (ix *StatementIndex) recordNames(b *pebble.Batch, sp *stmtPrep) error {
	for _, n := range sp.names {
		if ix.seen("n"+n.ifi, []byte(n.name)) {
			continue
		}
		if err := b.Set(append(hashKey(famName, n.ifi), n.name...), []byte{1}, nil); err != nil {
			return err
		}
	}
	return nil
}

// AgentNames returns the names an agent (by IFI) went by in statements.
func (ix *StatementIndex) AgentNames(ifi string) ([]string, error) {
	prefix := hashKey(famName, ifi)
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, lrs.Internal("statement view", err)
	}
	defer it.Close()
	var names []string
	for ok := it.First(); ok; ok = it.Next() {
		names = append(names, string(it.Key()[len(prefix):]))
	}
	return names, it.Error()
}
