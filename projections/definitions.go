package projections

import (
	"bytes"

	"github.com/cockroachdb/pebble/v2"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
)

// recordDefinitions folds the activity definitions and verb display of a
// statement into the canonical ones (d and e keys).
//
// ix.canon remembers, per activity and verb, the last definition folded and
// the canonical one it left: a definition seen last time changes nothing,
// and another is merged without reading the view. A merge that leaves the
// canonical definition as it was writes nothing. The cache only saves work:
// the view is the same with or without it.
func (ix *StatementIndex) recordDefinitions(b *pebble.Batch, sp *stmtPrep) error {
	a, p, pn := &ix.defArena, &ix.defParsers[0], &ix.defParsers[1]
	a.Reset()
	for _, act := range sp.acts {
		ck := "a" + act.id
		e, cached := ix.canon[ck]
		if cached && e.last == string(act.obj) {
			continue
		}
		key := hashKey(famActivity, act.id)
		old := e.canonical
		if !cached {
			var err error
			if old, err = batchGet(b, key); err != nil {
				return err
			}
		}
		nv, err := pn.ParseBytes(act.obj)
		if err != nil {
			return err
		}
		def := nv.Get("definition")
		if old != nil && def == nil {
			ix.remember(ck, act.obj, old)
			continue
		}
		var oldDef *fastjson.Value
		if old != nil {
			ov, err := p.ParseBytes(old)
			if err != nil {
				return err
			}
			oldDef = ov.Get("definition")
		}
		out := a.NewObject()
		out.Set("objectType", a.NewString("Activity"))
		out.Set("id", a.NewString(act.id))
		if def != nil {
			out.Set("definition", lrs.MergeDefinition(a, oldDef, def))
		}
		merged := out.MarshalTo(nil)
		ix.remember(ck, act.obj, merged)
		if bytes.Equal(merged, old) {
			continue
		}
		if err := b.Set(key, merged, nil); err != nil {
			return err
		}
	}
	if sp.display == nil {
		return nil
	}
	ck := "v" + sp.verb
	e, cached := ix.canon[ck]
	if cached && e.last == string(sp.display) {
		return nil
	}
	key := hashKey(famVerb, sp.verb)
	old := e.canonical
	if !cached {
		var err error
		if old, err = batchGet(b, key); err != nil {
			return err
		}
	}
	display, err := pn.ParseBytes(sp.display)
	if err != nil {
		return err
	}
	var oldMap *fastjson.Value
	if old != nil {
		if oldMap, err = p.ParseBytes(old); err != nil {
			return err
		}
	}
	merged := lrs.MergeLanguageMap(a, oldMap, display).MarshalTo(nil)
	ix.remember(ck, sp.display, merged)
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
