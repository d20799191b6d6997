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
func (ix *StatementIndex) recordDefinitions(b *pebble.Batch, st *fastjson.Value) error {
	var a fastjson.Arena
	var p fastjson.Parser
	for _, act := range lrs.Activities(st) {
		id := string(act.GetStringBytes("id"))
		if id == "" {
			continue
		}
		ix.scratch = act.MarshalTo(ix.scratch[:0])
		if ix.seen("a"+id, ix.scratch) {
			continue
		}
		key := hashKey(famActivity, id)
		old, err := batchGet(b, key)
		if err != nil {
			return err
		}
		def := act.Get("definition")
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
		out.Set("id", a.NewString(id))
		if def != nil {
			out.Set("definition", lrs.MergeDefinition(&a, oldDef, def))
		}
		if err := b.Set(key, out.MarshalTo(nil), nil); err != nil {
			return err
		}
	}
	if display := st.Get("verb", "display"); display != nil {
		verb := string(st.GetStringBytes("verb", "id"))
		ix.scratch = display.MarshalTo(ix.scratch[:0])
		if ix.seen("v"+verb, ix.scratch) {
			return nil
		}
		key := hashKey(famVerb, verb)
		old, err := batchGet(b, key)
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
func (ix *StatementIndex) recordNames(b *pebble.Batch, st *fastjson.Value) error {
	var err error
	note := func(agent *fastjson.Value) {
		if agent == nil || err != nil {
			return
		}
		name := agent.GetStringBytes("name")
		ifi := lrs.IFI(agent)
		if len(name) == 0 || ifi == "" {
			return
		}
		err = b.Set(append(hashKey(famName, ifi), name...), []byte{1}, nil)
	}
	note(st.Get("actor"))
	for _, m := range st.GetArray("actor", "member") {
		note(m)
	}
	if obj := st.Get("object"); obj != nil {
		switch string(obj.GetStringBytes("objectType")) {
		case "Agent", "Group":
			note(obj)
		}
	}
	note(st.Get("context", "instructor"))
	return err
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
