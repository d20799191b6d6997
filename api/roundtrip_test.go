package api_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/lrs"
)

// Round trip: what a client posts is what it reads back, byte for byte in
// meaning, whatever characters its strings hold (XAPI-00015).

// hostileRunes are the characters most likely to be written wrongly.
var hostileRunes = func() []rune {
	rs := []rune{'"', '\\', '/', '\u007f', '\u0080', '\u00e9', '\u2028', '\u2029', '\ufeff', '\uffff',
		'\U0001f600', '\U000e0001', '\U0010ffff', 'a', ' ', '<', '&', '%'}
	for c := range rune(0x20) {
		rs = append(rs, c)
	}
	return rs
}()

// hostileString returns a string of up to 12 hostile characters.
func hostileString(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(13) {
		b.WriteRune(hostileRunes[r.IntN(len(hostileRunes))])
	}
	return b.String()
}

// writeJSONString writes s as a JSON string, choosing at random among the
// forms JSON allows for each character: as it is (where allowed), a short
// escape, or a \u escape (a surrogate pair beyond the BMP), in either case.
func writeJSONString(b *strings.Builder, r *rand.Rand, s string) {
	b.WriteByte('"')
	for _, c := range s {
		u := func(x rune) {
			f := "\\u%04x"
			if r.IntN(2) == 0 {
				f = "\\u%04X"
			}
			fmt.Fprintf(b, f, x)
		}
		switch {
		case c == '"' || c == '\\':
			if r.IntN(2) == 0 {
				u(c)
			} else {
				b.WriteByte('\\')
				b.WriteRune(c)
			}
		case c < 0x20:
			short := map[rune]string{'\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\t': `\t`}[c]
			if short != "" && r.IntN(2) == 0 {
				b.WriteString(short)
			} else {
				u(c)
			}
		case c == '/' && r.IntN(2) == 0:
			b.WriteString(`\/`)
		case r.IntN(3) == 0:
			if c > 0xffff {
				hi, lo := utf16.EncodeRune(c)
				u(hi)
				u(lo)
			} else {
				u(c)
			}
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
}

// hostileStatement returns the JSON of a statement with hostile strings in
// names, language maps, the response and extension values and keys, and
// the statement as encoding/json reads it.
func hostileStatement(r *rand.Rand, id string) string {
	var b strings.Builder
	str := func() { writeJSONString(&b, r, hostileString(r)) }
	b.WriteString(`{"id":"` + id + `","actor":{"objectType":"Agent","name":`)
	str()
	b.WriteString(`,"mbox":"mailto:learner@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/answered","display":{"en-US":`)
	str()
	b.WriteString(`,"id-ID":`)
	str()
	b.WriteString(`}},"object":{"id":"http://e.com/act/` + id + `","definition":{"name":{"en":`)
	str()
	b.WriteString(`},"description":{"en":`)
	str()
	b.WriteString(`}}},"result":{"response":`)
	str()
	b.WriteString(`,"extensions":{"http://e.com/ext/a":{`)
	// keys must be distinct
	seen := map[string]bool{}
	for i := range r.IntN(5) {
		k := hostileString(r) + strconv.Itoa(i)
		if seen[k] {
			continue
		}
		seen[k] = true
		if len(seen) > 1 {
			b.WriteByte(',')
		}
		writeJSONString(&b, r, k)
		b.WriteByte(':')
		switch r.IntN(3) {
		case 0:
			str()
		case 1:
			b.WriteByte('[')
			str()
			b.WriteString(`,1.5e3,-0,true,null,{"k":`)
			str()
			b.WriteString(`}]`)
		default:
			b.WriteString(`{"x":`)
			str()
			b.WriteByte('}')
		}
	}
	b.WriteString(`},"http://e.com/ext/b":`)
	str()
	b.WriteString(`}},"context":{"extensions":{"http://e.com/ext/c":[`)
	str()
	b.WriteString(`]}}}`)
	return b.String()
}

// decodeStatement parses JSON with encoding/json and drops the properties
// the LRS assigns.
func decodeStatement(t *testing.T, b []byte) map[string]any {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("not JSON: %s", b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"stored", "authority", "version", "timestamp"} {
		delete(m, k)
	}
	return m
}

// TestStatements_RoundTripProperty posts statements with generated hostile
// strings through the real write path (PrepareStatements, the log, the
// view) and checks that GET serves JSON that encoding/json parses to the
// statement accepted, one by one and as a page.
func TestStatements_RoundTripProperty(t *testing.T) {
	e := newEnv(t)
	r := rand.New(rand.NewPCG(13, 2026))
	const batches, perBatch = 8, 25
	want := map[string]map[string]any{}
	for range batches {
		stmts := make([]string, perBatch)
		for i := range stmts {
			id := uuid.NewString()
			stmts[i] = hostileStatement(r, id)
			want[id] = decodeStatement(t, []byte(stmts[i]))
		}
		body := "[" + strings.Join(stmts, ",") + "]"
		got := e.do(t, req{method: "POST", path: "/statements", body: body})
		if got.status != 200 {
			t.Fatalf("POST: %d %s\nbody %s", got.status, got.body, body)
		}
	}
	for id, w := range want {
		got := e.do(t, req{method: "GET", path: "/statements?statementId=" + id})
		expect(t, got, 200)
		if g := decodeStatement(t, []byte(got.body)); !reflect.DeepEqual(g, w) {
			t.Fatalf("statement %s reads back as\n%#v\nwant\n%#v", id, g, w)
		}
	}
	page := e.do(t, req{method: "GET", path: "/statements?limit=" + strconv.Itoa(batches*perBatch)})
	expect(t, page, 200)
	var result struct{ Statements []json.RawMessage }
	if err := json.Unmarshal([]byte(page.body), &result); err != nil {
		t.Fatalf("page is not JSON: %v", err)
	}
	if len(result.Statements) != len(want) {
		t.Fatalf("%d statements in the page, want %d", len(result.Statements), len(want))
	}
	for _, s := range result.Statements {
		g := decodeStatement(t, s)
		if w := want[g["id"].(string)]; !reflect.DeepEqual(g, w) {
			t.Fatalf("in the page:\n%#v\nwant\n%#v", g, w)
		}
	}
	for _, f := range []string{"ids", "canonical"} {
		got := e.do(t, req{method: "GET", path: "/statements?format=" + f + "&limit=10"})
		expect(t, got, 200)
		if !json.Valid([]byte(got.body)) {
			t.Fatalf("format=%s: not JSON: %s", f, got.body)
		}
	}
}

// TestStatements_XAPI00015_TextRoundTrip: the strings that were served as
// Go escapes (`\x01`, `\U000e0001`) read back as they were sent, and a lone
// surrogate escape, which no Unicode text can hold, is a 400 naming its
// path rather than the stored text `\ud800`.
func TestStatements_XAPI00015_TextRoundTrip(t *testing.T) {
	e := newEnv(t)
	named := func(id, raw string) string {
		return `{"id":"` + id + `","actor":{"name":"` + raw + `","mbox":"mailto:learner@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/a"}}`
	}
	for raw, want := range map[string]string{`a\u0001b`: "a\x01b", `O\"Brien \udb40\udc01`: "O\"Brien \U000e0001"} {
		id := uuid.NewString()
		expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: named(id, raw)}), 204)
		got := e.do(t, req{method: "GET", path: "/statements?statementId=" + id})
		expect(t, got, 200)
		if name := decodeStatement(t, []byte(got.body))["actor"].(map[string]any)["name"]; name != want {
			t.Fatalf("%s reads back as %q, want %q", raw, name, want)
		}
		page := e.do(t, req{method: "GET", path: "/statements"})
		if !json.Valid([]byte(page.body)) {
			t.Fatalf("page is not JSON: %s", page.body)
		}
	}
	id := uuid.NewString()
	expect(t, e.do(t, req{method: "POST", path: "/statements", body: named(id, `\ud800`)}), 400, "actor.name", `\\ud800`, "surrogate")
	expect(t, e.do(t, req{method: "POST", path: "/statements", body: named(id, "a\xff")}), 400, "actor.name", "UTF-8")
	expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id}), 404)
}

// TestStatements_ShapeLimits: a statement over a shape limit is a 400
// naming the limit and the path, and is not stored.
func TestStatements_ShapeLimits(t *testing.T) {
	e := newEnv(t)
	withExtension := func(id string, keys int) string {
		var b strings.Builder
		b.WriteString(`{"id":"` + id + `","actor":{"mbox":"mailto:learner@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/a"},"context":{"extensions":{`)
		for i := keys; i > 0; i-- {
			fmt.Fprintf(&b, `"http://e.com/k/%d":%d`, i, i)
			if i > 1 {
				b.WriteByte(',')
			}
		}
		b.WriteString(`}}}`)
		return b.String()
	}
	over := uuid.NewString()
	expect(t, e.do(t, req{method: "POST", path: "/statements", body: withExtension(over, lrs.MaxObjectKeys+1)}), 400, "context.extensions", "object keys limit")
	expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + over}), 404)
	at := uuid.NewString()
	expect(t, e.do(t, req{method: "POST", path: "/statements", body: withExtension(at, lrs.MaxObjectKeys)}), 200)
	expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + at}), 200, `"http://e.com/k/1000":1000`)
}

// TestDocuments_IDsAreText: a document id, activityId or agent that is not
// Unicode text is a 400 naming the parameter (ids were listed as
// `\xff\xfe`); ids with quotes, backslashes and other characters are listed
// as they were given.
func TestDocuments_IDsAreText(t *testing.T) {
	e := newEnv(t)
	k := dtState(e, dtActivity(), dtMbox())
	for _, id := range []string{"\xff\xfe", "a\x00b", "tab\there", "del\x7f"} {
		dtExpect400(t, k, "PUT", k.path(id), "stateId")
		dtExpect400(t, k, "GET", k.path(id), "stateId")
	}
	p := dtActivityProfile(e, dtActivity())
	dtExpect400(t, p, "PUT", p.path("\xff"), "profileId")
	dtExpect400(t, p, "PUT", p.path("x", "activityId", dtBase+"\xff"), "activityId")
	dtExpect400(t, k, "PUT", k.path("x", "agent", `{"name":"\ud800","mbox":"mailto:a@example.com"}`), "agent.name")
	dtExpect400(t, k, "PUT", k.path("x", "agent", "{\"name\":\"\x01\",\"mbox\":\"mailto:a@example.com\"}"), "agent")

	ids := []string{`O"Brien \ z`, "é\u2028\U000e0001", "<&>"}
	for _, id := range ids {
		k.mustPut(t, id, `{"x":1}`, dtJSON)
	}
	got := k.ids(t)
	if want := []string{"<&>", `O"Brien \ z`, "é\u2028\U000e0001"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("listed %q, want %q", got, want)
	}
	for _, id := range got {
		if !utf8.ValidString(id) {
			t.Fatalf("%q", id)
		}
	}
	// a merge writes the merged document anew: it reads back as JSON
	id := ids[0]
	expect(t, k.post(t, id, `{"y":"a\u0001b \udb40\udc01"}`, dtJSON), 204)
	k.expectJSONDoc(t, id, map[string]any{"x": 1.0, "y": "a\x01b \U000e0001"})
	expect(t, k.post(t, id, `{"y":"\ud800"}`, dtJSON), 400, "y", "surrogate")
}
