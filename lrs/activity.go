package lrs

import (
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

// MergeDefinition returns the canonical definition after a statement
// brought def for an activity whose canonical definition was old (nil if
// none). Later statements refine the definition: language maps (name,
// description) and extensions are merged key by key, the newer value
// winning; every other property is replaced by the newer one. The result is
// built in a.
func MergeDefinition(a *fastjson.Arena, old, def *fastjson.Value) *fastjson.Value {
	if old == nil || old.Type() != fastjson.TypeObject {
		return def
	}
	out := a.NewObject()
	oo, _ := old.Object()
	oo.Visit(func(k []byte, v *fastjson.Value) { out.Set(string(k), v) })
	no, _ := def.Object()
	no.Visit(func(k []byte, v *fastjson.Value) {
		key := string(k)
		switch key {
		case "name", "description", "extensions":
			if prev := old.Get(key); prev != nil && prev.Type() == fastjson.TypeObject && v.Type() == fastjson.TypeObject {
				m := a.NewObject()
				po, _ := prev.Object()
				po.Visit(func(lk []byte, lv *fastjson.Value) { m.Set(string(lk), lv) })
				vo, _ := v.Object()
				vo.Visit(func(lk []byte, lv *fastjson.Value) { m.Set(string(lk), lv) })
				out.Set(key, m)
				return
			}
		}
		out.Set(key, v)
	})
	return out
}

// MergeLanguageMap merges the language map upd into old (nil if none).
func MergeLanguageMap(a *fastjson.Arena, old, upd *fastjson.Value) *fastjson.Value {
	if old == nil || old.Type() != fastjson.TypeObject {
		return upd
	}
	m := a.NewObject()
	po, _ := old.Object()
	po.Visit(func(k []byte, v *fastjson.Value) { m.Set(string(k), v) })
	uo, _ := upd.Object()
	uo.Visit(func(k []byte, v *fastjson.Value) { m.Set(string(k), v) })
	return m
}
