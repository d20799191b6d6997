package lrs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"
)

// ownDefinitions is the Canonical of an LRS that knows no canonical
// definition yet: each statement's own definitions and displays are used.
type ownDefinitions struct{}

func (ownDefinitions) CanonicalActivity(string) *fastjson.Value    { return nil }
func (ownDefinitions) CanonicalVerbDisplay(string) *fastjson.Value { return nil }

// formatted returns stmt in format (FormatIDs or FormatCanonical, for langs).
func formatted(t *testing.T, stmt []byte, format string, langs []LanguageRange) []byte {
	t.Helper()
	var p fastjson.Parser
	var a fastjson.Arena
	v, err := p.ParseBytes(stmt)
	if err != nil {
		t.Fatalf("%v: %s", err, stmt)
	}
	if format == FormatIDs {
		FormatStatementIDs(&a, v)
	} else {
		FormatStatementCanonical(&a, v, ownDefinitions{}, langs)
	}
	return AppendJSON(nil, v)
}

// FuzzFormatStatement formats every statement PrepareStatements keeps in
// the ids and the canonical format. Each is JSON, formatting it again
// changes nothing, and:
//   - ids: every Activity is its id alone, every Verb its id alone, in the
//     statement and its SubStatement (XAPI-00171);
//   - canonical: every language map of a Verb, an Activity definition (name,
//     description, interaction components) and an attachment holds at most
//     one language, in the statement and its SubStatement, and the Agents
//     and Groups are as stored (XAPI-00169).
//
// Seeds: the fixtures of testdata/statements and
// testdata/fuzz/FuzzFormatStatement (SubStatements with every language map).
//
//	go test -run '^$' -fuzz FuzzFormatStatement -fuzztime 30s ./lrs/
func FuzzFormatStatement(f *testing.F) {
	for _, fx := range loadFixtures(f, "valid") {
		f.Add(fx.statement, fx.versions[0] == V2, "en-GB, id;q=0.5")
	}
	f.Add([]byte(benchStatement), false, "")
	f.Fuzz(func(t *testing.T, data []byte, v2 bool, acceptLanguage string) {
		ver := V1
		if v2 {
			ver = V2
		}
		out, err := PrepareStatements(context.Background(), StatementsInput{Body: data, Version: ver}, testAuthority, uuid.New)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID {
				t.Fatalf("got %#v, want an EINVALID *Error", err)
			}
			return
		}
		langs := AcceptLanguages(acceptLanguage)
		for i, s := range out {
			ids := formatted(t, s.JSON, FormatIDs, nil)
			canon := formatted(t, s.JSON, FormatCanonical, langs)
			for _, f := range []struct {
				name string
				b    []byte
			}{{FormatIDs, ids}, {FormatCanonical, canon}} {
				if !json.Valid(f.b) {
					t.Fatalf("statement %d in format %s is not JSON: %s", i, f.name, f.b)
				}
				if again := formatted(t, f.b, f.name, langs); !bytes.Equal(again, f.b) {
					t.Fatalf("statement %d in format %s changes when formatted again:\n%s\n%s", i, f.name, f.b, again)
				}
			}
			checkIDs(t, fastjson.MustParseBytes(ids))
			checkCanonical(t, fastjson.MustParseBytes(s.JSON), fastjson.MustParseBytes(canon))
		}
	})
}

// levels returns a statement and its SubStatement, if it has one.
func levels(st *fastjson.Value) []*fastjson.Value {
	out := []*fastjson.Value{st}
	if obj := st.Get("object"); string(obj.GetStringBytes("objectType")) == "SubStatement" {
		out = append(out, obj)
	}
	return out
}

func checkIDs(t *testing.T, st *fastjson.Value) {
	t.Helper()
	for _, act := range Activities(st) {
		if o := object(act); o == nil || o.Len() != 1 || act.Get("id") == nil {
			t.Fatalf("ids: an Activity is %s, want its id alone", act)
		}
	}
	for _, l := range levels(st) {
		if verb := object(l.Get("verb")); verb == nil || verb.Len() != 1 || l.Get("verb", "id") == nil {
			t.Fatalf("ids: a Verb is %s, want its id alone", l.Get("verb"))
		}
	}
}

func checkCanonical(t *testing.T, stored, st *fastjson.Value) {
	t.Helper()
	one := func(what string, m *fastjson.Value) {
		if o := object(m); o != nil && o.Len() > 1 {
			t.Fatalf("canonical: %s is %s, want one language", what, m)
		}
	}
	for _, l := range levels(st) {
		one("a Verb's display", l.Get("verb", "display"))
		for _, att := range l.GetArray("attachments") {
			one("an attachment's display", att.Get("display"))
			one("an attachment's description", att.Get("description"))
		}
	}
	for _, act := range Activities(st) {
		def := act.Get("definition")
		one("an Activity's name", def.Get("name"))
		one("an Activity's description", def.Get("description"))
		for _, k := range [...]string{"choices", "scale", "source", "target", "steps"} {
			for _, c := range def.GetArray(k) {
				one("an interaction component's description", c.Get("description"))
			}
		}
	}
	storedLevels, gotLevels := levels(stored), levels(st)
	for i := range storedLevels {
		for _, path := range [][]string{{"actor"}, {"authority"}, {"context", "instructor"}, {"context", "team"}} {
			a, b := storedLevels[i].Get(path...), gotLevels[i].Get(path...)
			if (a == nil) != (b == nil) || (a != nil && !bytes.Equal(AppendJSON(nil, a), AppendJSON(nil, b))) {
				t.Fatalf("canonical: %v is %s, want it as stored: %s", path, b, a)
			}
		}
	}
}
