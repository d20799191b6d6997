package projections

import (
	"github.com/cockroachdb/pebble/v2"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
)

// recordDefinitions folds the activity definitions and verb display of a
// statement into the canonical ones (d and e keys).
//
// Merging the same definition again changes nothing, so a definition equal
// to the last one folded for its activity is passed over (ix.seenDefs, a
// cache that only saves work: the view is the same with or without it).
func (ix *StatementIndex) recordDefinitions(b *pebble.Batch, sp *stmtPrep) error {
	var a fastjson.Arena
	var p, pn fastjson.Parser
	for _, act := range sp.acts {
		if ix.seen("a"+act.id, act.obj) {
			continue
		}
		key := hashKey(famActivity, act.id)
		old, err := batchGet(b, key)
		if err != nil {
			return err
		}
		nv, err := pn.ParseBytes(act.obj)
		if err != nil {
			return err
		}
		def := nv.Get("definition")
		if old != nil && def == nil {
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
			out.Set("definition", lrs.MergeDefinition(&a, oldDef, def))
		}
		if err := b.Set(key, out.MarshalTo(nil), nil); err != nil {
			return err
		}
	}
	if sp.display != nil && !ix.seen("v"+sp.verb, sp.display) {
		key := hashKey(famVerb, sp.verb)
		old, err := batchGet(b, key)
		if err != nil {
			return err
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
		if err := b.Set(key, lrs.MergeLanguageMap(&a, oldMap, display).MarshalTo(nil), nil); err != nil {
			return err
		}
	}
	return nil
}

// seen reports whether def is the last definition folded under key (an
// activity or verb id), and remembers it.
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
