package lrs

import (
	"errors"
	"testing"

	"github.com/valyala/fastjson"
)

// FuzzValidateStatement feeds arbitrary JSON to ValidateStatement, seeded
// with the fixtures of testdata/statements. The validator must never panic,
// must report failures only as EINVALID *Errors, and must give the same
// answer when run twice on the same parsed value.
func FuzzValidateStatement(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		for _, fx := range loadFixtures(f, dir) {
			f.Add(fx.statement, fx.versions[0] == V2)
		}
	}
	f.Add([]byte(benchStatement), false)
	f.Fuzz(func(t *testing.T, data []byte, v2 bool) {
		var p fastjson.Parser
		v, err := p.ParseBytes(data)
		if err != nil {
			return
		}
		ver := V1
		if v2 {
			ver = V2
		}
		first := ValidateStatement(v, ver)
		if first != nil {
			var e *Error
			if !errors.As(first, &e) || e.Code != EINVALID || e.Message == "" {
				t.Fatalf("got %#v, want an EINVALID *Error", first)
			}
		}
		second := ValidateStatement(v, ver)
		if ErrorMessage(first) != ErrorMessage(second) || (first == nil) != (second == nil) {
			t.Fatalf("not idempotent: %v, then %v", first, second)
		}
		// ValidateAgent on every object value must not panic either.
		if o, err := v.Object(); err == nil {
			o.Visit(func(_ []byte, x *fastjson.Value) { _ = ValidateAgent(x, "agent") })
		}
	})
}
