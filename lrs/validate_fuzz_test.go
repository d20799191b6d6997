package lrs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"
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

// FuzzStatementRoundTrip feeds arbitrary request bodies to
// PrepareStatements. A body is refused with an EINVALID *Error, or each
// statement kept is JSON (encoding/json agrees) that reads back to the
// statement sent, but for what the LRS assigns, and that PrepareStatements
// takes again unchanged. Seeds: the fixtures of testdata/statements, and
// testdata/fuzz/FuzzStatementRoundTrip.
//
//	go test -run '^$' -fuzz FuzzStatementRoundTrip -fuzztime 30s ./lrs/
func FuzzStatementRoundTrip(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		for _, fx := range loadFixtures(f, dir) {
			f.Add(fx.statement, fx.versions[0] == V2)
		}
	}
	f.Add([]byte(benchStatement), false)
	f.Fuzz(func(t *testing.T, data []byte, v2 bool) {
		ver := V1
		if v2 {
			ver = V2
		}
		out, err := PrepareStatements(context.Background(), StatementsInput{Body: data, Version: ver}, testAuthority, uuid.New)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID || e.Message == "" {
				t.Fatalf("got %#v, want an EINVALID *Error", err)
			}
			return
		}
		sent := decodeNumbers(t, data)
		items, ok := sent.([]any)
		if !ok {
			items = []any{sent}
		}
		if len(items) != len(out) {
			t.Fatalf("%d statements kept of %d", len(out), len(items))
		}
		for i, s := range out {
			if !json.Valid(s.JSON) {
				t.Fatalf("statement %d is not JSON: %s", i, s.JSON)
			}
			got, want := withoutAssigned(decodeNumbers(t, s.JSON)), withoutAssigned(items[i])
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("statement %d reads back as\n%#v\nwant\n%#v", i, got, want)
			}
			again, err := PrepareStatements(context.Background(), StatementsInput{Body: s.JSON, Version: ver}, testAuthority, uuid.New)
			if err != nil {
				t.Fatalf("statement %d is refused when sent again: %v\n%s", i, err, s.JSON)
			}
			if !bytes.Equal(again[0].JSON, s.JSON) || again[0].Hash != s.Hash {
				t.Fatalf("statement %d changes when sent again:\n%s\n%s", i, s.JSON, again[0].JSON)
			}
		}
	})
}

// decodeNumbers parses JSON with encoding/json, keeping numbers as text.
func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("encoding/json: %v: %s", err, b)
	}
	return v
}

// withoutAssigned removes from a decoded statement what the LRS assigns or
// rewrites (id, stored, authority, version, timestamp) and puts single
// context activities in arrays, as PrepareStatements does.
func withoutAssigned(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for _, k := range []string{"id", "stored", "authority", "version", "timestamp"} {
		delete(m, k)
	}
	wrap := func(st map[string]any) {
		ctx, _ := st["context"].(map[string]any)
		ca, _ := ctx["contextActivities"].(map[string]any)
		for k, x := range ca {
			if o, ok := x.(map[string]any); ok {
				ca[k] = []any{o}
			}
		}
	}
	wrap(m)
	if obj, ok := m["object"].(map[string]any); ok && obj["objectType"] == "SubStatement" {
		wrap(obj)
	}
	return m
}
