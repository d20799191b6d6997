package lrs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"
)

var testAuthority = Authority{Key: "k", Store: DefaultStore, Agent: []byte(`{"objectType":"Agent","account":{"homePage":"https://jejak.id/xapi/credentials","name":"k"}}`)}

func prepare(t testing.TB, body string) ([]Statement, error) {
	t.Helper()
	return PrepareStatements(context.Background(), StatementsInput{Body: []byte(body), Version: V1}, testAuthority, uuid.New)
}

// decodeJSON parses b with encoding/json, failing the test if it is not JSON.
func decodeJSON(t testing.TB, b []byte) any {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("not valid JSON: %s", b)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

func TestAppendJSONString(t *testing.T) {
	var all strings.Builder
	for c := range rune(0x20) {
		all.WriteRune(c)
	}
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Budi Santoso", `"Budi Santoso"`},
		{"quote and backslash", `O"Brien \ z`, `"O\"Brien \\ z"`},
		{"short forms", "\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"other control characters", "a\x01b\x1f\x00", `"a\u0001b\u001f\u0000"`},
		{"astral character", "O\"Brien \U000e0001", "\"O\\\"Brien \U000e0001\""},
		{"line separator and DEL", "\u2028\u2029\x7f", "\"\u2028\u2029\x7f\""},
		{"bytes that are not UTF-8", "a\xff\xfeb", `"a\ufffd\ufffdb"`},
		{"a cut UTF-8 sequence", "é"[:1] + "x", `"\ufffdx"`},
		{"every control character", all.String(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendJSONString([]byte("x"), tt.in)
			if got[0] != 'x' {
				t.Fatalf("dst overwritten: %q", got)
			}
			got = got[1:]
			if tt.want != "" && string(got) != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
			var back string
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("%s: %v", got, err)
			}
			if utf8.ValidString(tt.in) && back != tt.in {
				t.Fatalf("reads back as %q, want %q", back, tt.in)
			}
			if b := AppendJSONString(nil, []byte(tt.in)); string(b) != string(got) {
				t.Fatalf("[]byte form %s, string form %s", b, got)
			}
		})
	}
}

// TestPrepareStatements_RoundTrip is the write path's guarantee: what
// PrepareStatements keeps is JSON that reads back to the statement accepted.
// The two bodies were stored as `\x01` and `\U000e0001` before (Go escapes).
func TestPrepareStatements_RoundTrip(t *testing.T) {
	tests := []struct {
		name, raw, want string // raw: the JSON text of actor.name; want: its value
	}{
		{"control character", `a\u0001b`, "a\x01b"},
		{"quote and astral character", `O\"Brien \udb40\udc01`, "O\"Brien \U000e0001"},
		{"every escape", `\b\f\n\r\t\/\\\"\u0000\u001F\u007f\u2028\ud83d\ude00`, "\b\f\n\r\t/\\\"\x00\x1f\x7f\u2028\U0001f600"},
		{"literal UTF-8", "Sisilia \u00e9\u2028\U0001f600", "Sisilia \u00e9\u2028\U0001f600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"actor":{"name":"` + tt.raw + `","mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed","display":{"en-US":"` + tt.raw + `"}},"object":{"id":"http://e.com/a"},"result":{"extensions":{"http://e.com/x":{"` + tt.raw + `":["` + tt.raw + `"]}}}}`
			out, err := prepare(t, body)
			if err != nil {
				t.Fatal(err)
			}
			js := out[0].WithStored(nil, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
			got := decodeJSON(t, js).(map[string]any)
			if name := got["actor"].(map[string]any)["name"]; name != tt.want {
				t.Fatalf("actor.name reads back as %q, want %q", name, tt.want)
			}
			if d := got["verb"].(map[string]any)["display"].(map[string]any)["en-US"]; d != tt.want {
				t.Fatalf("verb.display reads back as %q, want %q", d, tt.want)
			}
			ext := got["result"].(map[string]any)["extensions"].(map[string]any)["http://e.com/x"].(map[string]any)
			if v, ok := ext[tt.want].([]any); !ok || v[0] != tt.want {
				t.Fatalf("extension reads back as %#v, want key and value %q", ext, tt.want)
			}
			// and the event built from it is JSON too
			ev := EncodeEnvelope(nil, EventStatements, EventStatementsV1, 1, DefaultStore, time.Now(), Hash{}, append(append([]byte(`{"batches":[{"by":"k\u0001","statements":[`), js...), "]}]}"...))
			decodeJSON(t, ev)
		})
	}
}

// TestPrepareStatements_TextJSONCannotCarry: lone surrogate escapes and
// bytes that are not UTF-8 are refused, naming where they are (XAPI-00015),
// rather than kept as the text `\ud800`.
func TestPrepareStatements_TextJSONCannotCarry(t *testing.T) {
	const head = `{"actor":{"mbox":"mailto:a@example.com","name":"`
	const tail = `"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/a"}}`
	ok := head + "ok" + tail
	tests := []struct {
		name, body, want string
	}{
		{"lone high surrogate", head + `\ud800` + tail, `actor.name: holds \ud800, a UTF-16 high surrogate without its low surrogate`},
		{"high surrogate then a letter", head + `\uD800\u0041` + tail, `actor.name: holds \uD800, a UTF-16 high surrogate`},
		{"high surrogate at the end", head + `x\udbff` + tail, `actor.name: holds \udbff`},
		{"lone low surrogate", head + `\udc01` + tail, `actor.name: holds \udc01, a lone UTF-16 low surrogate`},
		{"two high surrogates", head + `\ud800\ud800` + tail, `actor.name: holds \ud800`},
		{"in an extension key, second statement", `[` + ok + `,{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/a"},"context":{"extensions":{"http://e.com/x":{"k\udc00":1}}}}]`, `statements[1]: context.extensions.http://e.com/x: a key holds \udc00`},
		{"in an array", `{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/a"},"result":{"extensions":{"http://e.com/x":["a","\ud800"]}}}`, `result.extensions.http://e.com/x[1]: holds \ud800`},
		{"byte FF", head + "a\xffb" + tail, `actor.name: must be valid UTF-8 (byte 0xff is not)`},
		{"NUL then FE", head + `\u0000` + "\xfe" + tail, `actor.name: must be valid UTF-8 (byte 0xfe is not)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := prepare(t, tt.body)
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID || !strings.Contains(e.Message, tt.want) {
				t.Fatalf("got %v, want EINVALID %q", err, tt.want)
			}
		})
	}
	t.Run("a surrogate pair and an escaped backslash are fine", func(t *testing.T) {
		out, err := prepare(t, head+`\ud83d\ude00 \\ud800 \\\ud83d\ude00`+tail)
		if err != nil {
			t.Fatal(err)
		}
		name := decodeJSON(t, out[0].JSON).(map[string]any)["actor"].(map[string]any)["name"]
		if want := "\U0001f600 \\ud800 \\\U0001f600"; name != want {
			t.Fatalf("name %q, want %q", name, want)
		}
	})
}

// statementWithKeys returns a statement whose context extension has n keys
// in reverse order.
func statementWithKeys(n int) string {
	var b strings.Builder
	b.WriteString(`{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/a"},"context":{"extensions":{"http://e.com/x":1`)
	for i := n - 1; i > 0; i-- {
		fmt.Fprintf(&b, `,"http://e.com/k/%06d":%d`, i, i)
	}
	b.WriteString(`}}}`)
	return b.String()
}

// langMap returns the members of a language map with n distinct tags.
func langMap(n int) string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = fmt.Sprintf(`"en-x-k%d":"x"`, i)
	}
	return strings.Join(tags, ",")
}

func nested(depth int) string {
	return `{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/a"},"result":{"extensions":{"http://e.com/x":` +
		strings.Repeat("[", depth-3) + strings.Repeat("]", depth-3) + `}}}`
}

// TestPrepareStatements_Limits: each limit on a statement's shape is a 400
// naming the limit and the path, checked before anything is kept; a
// statement at the limit is accepted.
func TestPrepareStatements_Limits(t *testing.T) {
	items := func(n int) string {
		return `{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/a"},"result":{"extensions":{"http://e.com/x":[` + strings.TrimSuffix(strings.Repeat("0,", n), ",") + `]}}}`
	}
	tests := []struct {
		name, body, want string
	}{
		{"60,000 keys in reverse order", statementWithKeys(60000), "context.extensions: an object may have at most 1000 properties (the object keys limit), this one has 60000"},
		{"one key too many", statementWithKeys(MaxObjectKeys + 1), "context.extensions: an object may have at most 1000 properties (the object keys limit)"},
		{"too many keys in a language map, second statement", `[` + items(1) + `,{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed","display":{` + langMap(MaxObjectKeys+1) + `}},"object":{"id":"http://e.com/a"}}]`, "statements[1]: verb.display: an object may have at most 1000 properties"},
		{"one item too many", items(MaxArrayLen + 1), "result.extensions.http://e.com/x: an array may have at most 10000 items (the array length limit), this one has 10001"},
		{"too many values", `{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/a"},"result":{"extensions":{"http://e.com/x":[` + strings.Repeat(`[`+strings.TrimSuffix(strings.Repeat("0,", 1000), ",")+`],`, MaxValues/1000) + `0]}}}`, "request body: holds about 50"},
		{"one level too deep", nested(MaxDepth + 1), "result.extensions.http://e.com/x" + strings.Repeat("[0]", MaxDepth-3) + ": objects and arrays may nest at most 32 deep (the depth limit)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := prepare(t, tt.body)
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID || !strings.Contains(e.Message, tt.want) {
				t.Fatalf("got %v, want EINVALID %q", err, tt.want)
			}
		})
	}
	for _, tt := range []struct{ name, body string }{
		{"keys at the limit", statementWithKeys(MaxObjectKeys)},
		{"items at the limit", items(MaxArrayLen)},
		{"depth at the limit", nested(MaxDepth)},
		{"commas in strings are not values", strings.Replace(items(10), `"http://e.com/x"`, `"http://e.com/y":"`+strings.Repeat(",[{", MaxValues)+`","http://e.com/x"`, 1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := prepare(t, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(decodeJSON(t, out[0].JSON).(map[string]any)["context"], decodeJSON(t, []byte(tt.body)).(map[string]any)["context"]) {
				t.Fatal("context differs from the one accepted")
			}
		})
	}
}

// TestPrepareStatements_Canceled: a request whose client has gone stops
// being worked on.
func TestPrepareStatements_Canceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := PrepareStatements(ctx, StatementsInput{Body: []byte(benchStatement), Version: V1}, testAuthority, uuid.New)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestSortedMembers_Large(t *testing.T) {
	v := fastjson.MustParse(statementWithKeys(5000)).Get("context", "extensions")
	ms := sortedMembers(nil, v)
	if len(ms) != 5000 {
		t.Fatalf("%d members", len(ms))
	}
	for i := 1; i < len(ms); i++ {
		if string(ms[i-1].k) >= string(ms[i].k) {
			t.Fatalf("%s before %s", ms[i-1].k, ms[i].k)
		}
	}
}

func TestAppendMergedObject(t *testing.T) {
	var big strings.Builder
	big.WriteString(`{"a":0`)
	for i := range 40 {
		fmt.Fprintf(&big, `,"k%d":%d`, i, i)
	}
	big.WriteString(`}`)
	tests := []struct {
		name, old, upd, want string
	}{
		{"no old", ``, `{"b":1}`, `{"b":1}`},
		{"old not an object", `[1]`, `{"b":1}`, `{"b":1}`},
		{"replaced in place, new keys last", `{"a":1,"b":2,"c":3}`, `{"d":"\u0001","b":"x"}`, `{"a":1,"b":"x","c":3,"d":"\u0001"}`},
		{"large objects", big.String(), `{"k39":"last","z":1,"a":"first"}`, strings.Replace(strings.Replace(big.String(), `"a":0`, `"a":"first"`, 1), `"k39":39}`, `"k39":"last","z":1}`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var old *fastjson.Value
			if tt.old != "" {
				old = fastjson.MustParse(tt.old)
			}
			if got := AppendMergedObject(nil, old, fastjson.MustParse(tt.upd)); string(got) != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestAppendMergedDefinition(t *testing.T) {
	old := fastjson.MustParse(`{"name":{"en":"A","id":"B"},"type":"http://e.com/t1","extensions":{"http://e.com/x":1}}`)
	def := fastjson.MustParse(`{"name":{"id":"B2"},"type":"http://e.com/t2","description":{"en":"d"},"extensions":{"http://e.com/y":2}}`)
	want := `{"name":{"en":"A","id":"B2"},"type":"http://e.com/t2","extensions":{"http://e.com/x":1,"http://e.com/y":2},"description":{"en":"d"}}`
	if got := AppendMergedDefinition(nil, old, def); string(got) != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
