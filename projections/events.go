package projections

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// The registry events are Jejak's when their payload folds: the JP view
// reads every element of them as these checks do, so an event that passes
// never stops it, and one that does not is foreign (lrs.ForeignError).
func init() {
	lrs.RegisterEventType(EventPeople, EventPeopleV1, func(p *fastjson.Value) error {
		return eachElement(p, "people", func(js []byte) error {
			var person bangkom.Person
			return json.Unmarshal(js, &person)
		})
	})
	lrs.RegisterEventType(EventCatalogue, EventCatalogueV1, func(p *fastjson.Value) error {
		return eachElement(p, "entries", func(js []byte) error {
			var entry bangkom.CatalogueEntry
			return json.Unmarshal(js, &entry)
		})
	})
	lrs.RegisterEventType(EventPositions, EventPositionsV1, func(p *fastjson.Value) error {
		return eachElement(p, "positions", func([]byte) error { return nil })
	})
}

// eachElement calls check with the JSON of every element of the array
// field name of p.
func eachElement(p *fastjson.Value, name string, check func([]byte) error) error {
	v := p.Get(name)
	if v == nil || v.Type() != fastjson.TypeArray {
		return errors.New("no " + name)
	}
	a, _ := v.Array()
	for i, e := range a {
		if err := check(e.MarshalTo(nil)); err != nil {
			return fmt.Errorf("%s[%d]: %v", name, i, err)
		}
	}
	return nil
}
