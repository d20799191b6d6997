package lrs

import (
	"bytes"

	"github.com/valyala/fastjson"
)

// Activities returns the Activity objects a statement carries with a
// definition or without: the object (if an Activity), the context
// activities, and the same inside a sub-statement.
func Activities(v *fastjson.Value) []*fastjson.Value {
	var out []*fastjson.Value
	var walk func(s *fastjson.Value, depth int)
	walk = func(s *fastjson.Value, depth int) {
		obj := s.Get("object")
		if obj != nil && isActivityObject(obj) && obj.Get("id") != nil {
			out = append(out, obj)
		}
		if ca := s.Get("context", "contextActivities"); ca != nil {
			for _, k := range [...]string{"parent", "grouping", "category", "other"} {
				x := ca.Get(k)
				if x == nil {
					continue
				}
				if x.Type() == fastjson.TypeObject {
					out = append(out, x)
					continue
				}
				out = append(out, x.GetArray()...)
			}
		}
		if depth == 0 && obj != nil && string(obj.GetStringBytes("objectType")) == "SubStatement" {
			walk(obj, 1)
		}
	}
	walk(v, 0)
	return out
}

// AppendMergedDefinition appends to dst the canonical definition after a
// statement brought def for an activity whose canonical definition was old
// (nil if none). Later statements refine the definition: language maps
// (name, description) and extensions are merged key by key, the newer value
// winning; every other property is replaced by the newer one. The work is
// in proportion to the size of old and def.
func AppendMergedDefinition(dst []byte, old, def *fastjson.Value) []byte {
	if old == nil || old.Type() != fastjson.TypeObject || def.Type() != fastjson.TypeObject {
		return AppendJSON(dst, def)
	}
	oo, _ := old.Object()
	no, _ := def.Object()
	dst = append(dst, '{')
	for i, m := range mergeMembers(oo, no) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendJSONString(dst, m.k)
		dst = append(dst, ':')
		switch string(m.k) {
		case "name", "description", "extensions":
			if m.prev != nil && m.prev.Type() == fastjson.TypeObject && m.v.Type() == fastjson.TypeObject {
				dst = AppendMergedObject(dst, m.prev, m.v)
				continue
			}
		}
		dst = AppendJSON(dst, m.v)
	}
	return append(dst, '}')
}

// AppendMergedObject appends to dst the JSON object with the properties of
// old (nil if none) and then those of upd, a later value for a key taking
// the place of the earlier one. It merges language maps and JSON
// documents. If either is not an object, upd is appended as it is.
func AppendMergedObject(dst []byte, old, upd *fastjson.Value) []byte {
	if old == nil || old.Type() != fastjson.TypeObject || upd.Type() != fastjson.TypeObject {
		return AppendJSON(dst, upd)
	}
	oo, _ := old.Object()
	uo, _ := upd.Object()
	dst = append(dst, '{')
	for i, m := range mergeMembers(oo, uo) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendJSONString(dst, m.k)
		dst = append(dst, ':')
		dst = AppendJSON(dst, m.v)
	}
	return append(dst, '}')
}

// mergedMember is a property of merged objects: its key, its value, and
// the value it replaced (nil if none).
type mergedMember struct {
	k       []byte
	v, prev *fastjson.Value
}

// mergeMembers returns the properties of objs in order, each key once, at
// the place it first appeared, with the value it was given last. Small
// objects are merged by comparing keys, larger ones through a map: the work
// stays in proportion to the number of keys.
func mergeMembers(objs ...*fastjson.Object) []mergedMember {
	n := 0
	for _, o := range objs {
		n += o.Len()
	}
	ms := make([]mergedMember, 0, n)
	var index map[string]int
	if n > 16 {
		index = make(map[string]int, n)
	}
	for _, o := range objs {
		o.Visit(func(k []byte, v *fastjson.Value) {
			i := -1
			if index != nil {
				if j, ok := index[string(k)]; ok {
					i = j
				}
			} else {
				for j := range ms {
					if bytes.Equal(ms[j].k, k) {
						i = j
						break
					}
				}
			}
			if i >= 0 {
				ms[i].prev, ms[i].v = ms[i].v, v
				return
			}
			if index != nil {
				index[string(k)] = len(ms)
			}
			ms = append(ms, mergedMember{k: k, v: v})
		})
	}
	return ms
}
