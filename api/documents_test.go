package api_test

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// Tests of the document resources (State, Activity Profile, Agent Profile),
// the Activities and Agents resources and concurrency control, named after
// the requirements of testdata/conformance/document-requirements.tsv
// (xAPI Communication 2.2–2.7 and 3.1).

const (
	dtSari   = `{"objectType":"Agent","name":"Sari","mbox":"mailto:sari@example.go.id"}`
	dtBayu   = `{"account":{"homePage":"https://siasn.bkn.go.id","name":"199201012019012002"}}`
	dtReg    = "8f2d7c1a-3b4e-4f5a-9c6d-1e2f3a4b5c6d"
	dtReg2   = "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f"
	dtBase   = "https://lms.example.go.id/kursus/"
	dtDrop   = "\x00drop" // an edit value that removes the parameter
	dtJSON   = "application/json"
	dtBadTag = `"1111111111111111111111111111111111111111"`
)

var dtVersions = []string{"1.0.3", "2.0.0"}

// dkit addresses the documents of one document resource in one scope.
type dkit struct {
	e       *env
	name    string     // for messages
	res     string     // "/activities/state"
	idParam string     // "stateId" or "profileId"
	scope   url.Values // activityId, agent, registration
	version string     // "" is 1.0.3
}

// dtActivity returns an activity IRI of its own.
func dtActivity() string { return dtBase + uuid.NewString()[:8] }

// dtMbox returns an Agent of its own.
func dtMbox() string {
	return `{"mbox":"mailto:` + uuid.NewString()[:8] + `@example.go.id"}`
}

func dtState(e *env, activity, agent string) dkit {
	return dkit{e: e, name: "State", res: "/activities/state", idParam: "stateId", scope: url.Values{"activityId": {activity}, "agent": {agent}}}
}

func dtActivityProfile(e *env, activity string) dkit {
	return dkit{e: e, name: "Activity Profile", res: "/activities/profile", idParam: "profileId", scope: url.Values{"activityId": {activity}}}
}

func dtAgentProfile(e *env, agent string) dkit {
	return dkit{e: e, name: "Agent Profile", res: "/agents/profile", idParam: "profileId", scope: url.Values{"agent": {agent}}}
}

// fresh returns a kit of the same resource in a scope no other test uses.
func (k dkit) fresh() dkit {
	switch k.res {
	case "/activities/state":
		return dtState(k.e, dtActivity(), dtMbox())
	case "/activities/profile":
		return dtActivityProfile(k.e, dtActivity())
	default:
		return dtAgentProfile(k.e, dtMbox())
	}
}

// v returns the kit speaking version v.
func (k dkit) v(v string) dkit { k.version = v; return k }

// with returns the kit with a scope parameter set.
func (k dkit) with(name, value string) dkit {
	s := url.Values{}
	for n, v := range k.scope {
		s[n] = slices.Clone(v)
	}
	s.Set(name, value)
	k.scope = s
	return k
}

// path returns the resource path with the scope, the document id (unless
// ""), and edits: name/value pairs that set a parameter, or remove it when
// the value is dtDrop.
func (k dkit) path(id string, edits ...string) string {
	q := url.Values{}
	for n, v := range k.scope {
		q[n] = slices.Clone(v)
	}
	if id != "" {
		q.Set(k.idParam, id)
	}
	for i := 0; i+1 < len(edits); i += 2 {
		if edits[i+1] == dtDrop {
			q.Del(edits[i])
		} else {
			q.Set(edits[i], edits[i+1])
		}
	}
	return k.res + "?" + q.Encode()
}

func (k dkit) req(method, path, body, contentType string) req {
	return req{method: method, path: path, body: body, contentType: contentType, version: k.version}
}

// put, post and del write the document id with extra header pairs.
func (k dkit) put(t *testing.T, id, body, contentType string, headers ...string) resp {
	t.Helper()
	return k.e.doWith(t, k.req("PUT", k.path(id), body, contentType), headers...)
}

func (k dkit) post(t *testing.T, id, body, contentType string, headers ...string) resp {
	t.Helper()
	return k.e.doWith(t, k.req("POST", k.path(id), body, contentType), headers...)
}

func (k dkit) del(t *testing.T, id string, headers ...string) resp {
	t.Helper()
	return k.e.doWith(t, k.req("DELETE", k.path(id), "", ""), headers...)
}

// get GETs the document id, checking that HEAD answers the same.
func (k dkit) get(t *testing.T, id string) resp {
	t.Helper()
	return dtGet(t, k.e, k.req("GET", k.path(id), "", ""))
}

// mustPut stores a document that does not exist yet.
func (k dkit) mustPut(t *testing.T, id, body, contentType string) {
	t.Helper()
	expect(t, k.put(t, id, body, contentType, k.creating()...), 204)
}

// creating returns the headers of a PUT that creates a document: none for
// a State, If-None-Match: * for a profile, whose client must send
// If-Match or If-None-Match (XAPI-00273).
func (k dkit) creating() []string {
	if k.res == "/activities/state" {
		return nil
	}
	return []string{"If-None-Match", "*"}
}

// ids GETs the id list of the scope (edits as for path), checking its
// shape and that HEAD answers the same.
func (k dkit) ids(t *testing.T, edits ...string) []string {
	t.Helper()
	got := dtGet(t, k.e, k.req("GET", k.path("", edits...), "", ""))
	expect(t, got, 200)
	if !strings.HasPrefix(got.header.Get("Content-Type"), dtJSON) {
		t.Fatalf("%s id list: Content-Type %q", k.name, got.header.Get("Content-Type"))
	}
	var ids []string
	if err := json.Unmarshal([]byte(got.body), &ids); err != nil || ids == nil {
		t.Fatalf("%s id list is not an array of strings: %s", k.name, got.body)
	}
	slices.Sort(ids)
	return ids
}

// expectDoc checks that the document id holds body with contentType, with
// its ETag and Last-Modified.
func (k dkit) expectDoc(t *testing.T, id, body, contentType string) resp {
	t.Helper()
	got := k.get(t, id)
	if got.status != 200 || got.body != body || got.header.Get("Content-Type") != contentType {
		t.Fatalf("%s %q: %d %q %q, want 200 %q %q", k.name, id, got.status, got.header.Get("Content-Type"), got.body, contentType, body)
	}
	if et := got.header.Get("ETag"); et != dtETag(body) {
		t.Fatalf("%s %q: ETag %q, want %q", k.name, id, et, dtETag(body))
	}
	lm, err := http.ParseTime(got.header.Get("Last-Modified"))
	if err != nil || time.Since(lm) > time.Minute || time.Until(lm) > time.Second {
		t.Fatalf("%s %q: Last-Modified %q (%v)", k.name, id, got.header.Get("Last-Modified"), err)
	}
	return got
}

// expectJSONDoc checks that the document id is the JSON object want, stored
// as application/json.
func (k dkit) expectJSONDoc(t *testing.T, id string, want map[string]any) {
	t.Helper()
	got := k.get(t, id)
	expect(t, got, 200)
	if !strings.HasPrefix(got.header.Get("Content-Type"), dtJSON) {
		t.Fatalf("%s %q: Content-Type %q", k.name, id, got.header.Get("Content-Type"))
	}
	dtNoDuplicateKeys(t, got.body)
	var m map[string]any
	if err := json.Unmarshal([]byte(got.body), &m); err != nil {
		t.Fatalf("%s %q is not a JSON object: %s", k.name, id, got.body)
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("%s %q = %s, want %v", k.name, id, got.body, want)
	}
	if got.header.Get("ETag") != dtETag(got.body) {
		t.Fatalf("%s %q: ETag %q of %s", k.name, id, got.header.Get("ETag"), got.body)
	}
}

// expectMissing checks that the document id does not exist.
func (k dkit) expectMissing(t *testing.T, id string) {
	t.Helper()
	got := k.get(t, id)
	if got.status != 404 {
		t.Fatalf("%s %q: %d %q, want 404", k.name, id, got.status, got.body)
	}
}

// snapshot is what a GET of a document answered, to check that a
// rejected request changed nothing.
type snapshot struct {
	status                int
	body, ctype, etag, lm string
}

func (k dkit) snap(t *testing.T, id string) snapshot {
	t.Helper()
	got := k.get(t, id)
	return snapshot{got.status, got.body, got.header.Get("Content-Type"), got.header.Get("ETag"), got.header.Get("Last-Modified")}
}

func (k dkit) unchanged(t *testing.T, id string, before snapshot, what string) {
	t.Helper()
	if after := k.snap(t, id); after != before {
		t.Fatalf("%s %q changed by %s:\n before %+v\n after  %+v", k.name, id, what, before, after)
	}
}

// dtGet makes the GET r and the same request as HEAD, and checks that HEAD
// answers like GET without a body (XAPI-00125). It returns the GET.
func dtGet(t *testing.T, e *env, r req, headers ...string) resp {
	t.Helper()
	r.method = "GET"
	get := e.doWith(t, r, headers...)
	r.method = "HEAD"
	head := e.doWith(t, r, headers...)
	if head.status != get.status || head.body != "" {
		t.Errorf("HEAD %s = %d with %d bytes of body; GET = %d", r.path, head.status, len(head.body), get.status)
	}
	for _, h := range []string{"Content-Type", "ETag", "Last-Modified", "X-Experience-API-Version", "WWW-Authenticate"} {
		if head.header.Get(h) != get.header.Get(h) {
			t.Errorf("HEAD %s = %d: %s %q, GET has %q", r.path, head.status, h, head.header.Get(h), get.header.Get(h))
		}
	}
	// RFC 9110 8.6: HEAD may leave out Content-Length, but if it sends one it
	// is the length GET would send.
	if cl := head.header.Get("Content-Length"); cl != "" && cl != fmt.Sprint(len(get.body)) {
		t.Errorf("HEAD %s = %d: Content-Length %s, GET sends %d bytes", r.path, head.status, cl, len(get.body))
	}
	return get
}

func dtETag(body string) string {
	sum := sha1.Sum([]byte(body))
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// dtNoDuplicateKeys fails if the top level of a JSON object repeats a key.
func dtNoDuplicateKeys(t *testing.T, body string) {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(body))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", body)
	}
	seen := map[string]bool{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		k := tok.(string)
		if seen[k] {
			t.Fatalf("key %q twice: %s", k, body)
		}
		seen[k] = true
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
	}
}

// dtExpect400 checks that method on path is 400 with an xAPI error naming
// mention (unless ""); a GET is also made as HEAD.
func dtExpect400(t *testing.T, k dkit, method, path, mention string) {
	t.Helper()
	var got resp
	r := k.req(method, path, "", "")
	switch method {
	case "GET":
		got = dtGet(t, k.e, r)
	case "PUT", "POST":
		r.body, r.contentType = `{"x":1}`, dtJSON
		got = k.e.do(t, r)
	default:
		got = k.e.do(t, r)
	}
	if got.status != 400 {
		t.Errorf("%s %s = %d %s, want 400", method, path, got.status, got.body)
		return
	}
	if method != "GET" && mention != "" && !strings.Contains(got.body, mention) {
		t.Errorf("%s %s: 400 %s does not mention %q", method, path, got.body, mention)
	}
}

// ---- shared checks, one per behaviour, run for every document resource ----

// dtCheckPutGet: PUT stores any content byte-exact (204, no body) and a GET
// by id returns it with its Content-Type, ETag and Last-Modified.
func dtCheckPutGet(t *testing.T, k dkit) {
	t.Helper()
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	docs := []struct{ body, ctype string }{
		{"{\n  \"progress\" : 0.5,\n  \"bookmark\": \"bab-3\"\n}\n", dtJSON},
		{`{"a":1}`, "application/json; charset=utf-8"},
		{"Catatan: latihan integritas selesai — lanjut ke modul 4.", "text/plain; charset=utf-8"},
		{string(binary), "application/octet-stream"},
		{"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"},
		{`[1,2,3]`, dtJSON},
	}
	for _, ver := range dtVersions {
		k := k.fresh().v(ver)
		for i, d := range docs {
			id := fmt.Sprintf("doc-%d", i)
			got := k.put(t, id, d.body, d.ctype, k.creating()...)
			expect(t, got, 204)
			if got.body != "" {
				t.Fatalf("204 with a body: %q", got.body)
			}
			g := k.expectDoc(t, id, d.body, d.ctype)
			if g.header.Get("X-Experience-API-Version") != ver {
				t.Fatalf("%s GET under %s answered version %q", k.name, ver, g.header.Get("X-Experience-API-Version"))
			}
		}
	}
}

// dtCheckPostMissing: a POST to a missing document stores it as a PUT would
// (204), whatever its content type.
func dtCheckPostMissing(t *testing.T, k dkit) {
	t.Helper()
	for _, ver := range dtVersions {
		k := k.fresh().v(ver)
		got := k.post(t, "new-json", `{"x" : "foo"}`, dtJSON)
		expect(t, got, 204)
		if got.body != "" {
			t.Fatalf("204 with a body: %q", got.body)
		}
		k.expectDoc(t, "new-json", `{"x" : "foo"}`, dtJSON)
		expect(t, k.post(t, "new-text", "halaman 12", "text/plain"), 204)
		k.expectDoc(t, "new-text", "halaman 12", "text/plain")
	}
}

// dtCheckMerge: a POST of a JSON object to a JSON object document merges the
// top-level properties (204) (Communication 2.2 example).
func dtCheckMerge(t *testing.T, k dkit) {
	t.Helper()
	for _, ver := range dtVersions {
		k := k.fresh().v(ver)
		k.mustPut(t, "vars", `{"x":"foo","y":"bar"}`, dtJSON)
		got := k.post(t, "vars", `{"x":"bash","z":"faz"}`, dtJSON)
		expect(t, got, 204)
		if got.body != "" {
			t.Fatalf("204 with a body: %q", got.body)
		}
		k.expectJSONDoc(t, "vars", map[string]any{"x": "bash", "y": "bar", "z": "faz"})
		// A content type with parameters is still application/json.
		expect(t, k.post(t, "vars", `{"w":1}`, "application/json; charset=utf-8"), 204)
		k.expectJSONDoc(t, "vars", map[string]any{"x": "bash", "y": "bar", "z": "faz", "w": 1.0})
	}
}

// dtCheckMergeNotObject: a POST where the stored document or the body is not
// a JSON object is 400 and changes nothing.
func dtCheckMergeNotObject(t *testing.T, k dkit) {
	t.Helper()
	k = k.fresh()
	for i, c := range []struct{ stored, posted string }{
		{`[1,2]`, `{"x":1}`},
		{`"kata"`, `{"x":1}`},
		{`42`, `{"x":1}`},
		{`{"x":1}`, `[{"y":2}]`},
		{`{"x":1}`, `"y"`},
		{`{"x":1}`, `null`},
	} {
		id := fmt.Sprintf("not-object-%d", i)
		k.mustPut(t, id, c.stored, dtJSON)
		before := k.snap(t, id)
		got := k.post(t, id, c.posted, dtJSON)
		if got.status != 400 {
			t.Errorf("POST %s onto %s = %d %s, want 400", c.posted, c.stored, got.status, got.body)
		}
		k.unchanged(t, id, before, "a rejected POST")
	}
}

// dtCheckMergeNotJSONType: a POST where either document is not
// application/json is 400 and changes nothing, even when both parse as
// JSON objects.
func dtCheckMergeNotJSONType(t *testing.T, k dkit) {
	t.Helper()
	k = k.fresh()
	for i, c := range []struct{ storedType, postedType string }{
		{"text/plain", dtJSON},
		{"application/octet-stream", dtJSON},
		{dtJSON, "text/plain"},
		{dtJSON, "application/x-www-form-urlencoded"},
		{"text/plain", "text/plain"},
	} {
		id := fmt.Sprintf("not-json-type-%d", i)
		k.mustPut(t, id, `{"x":1}`, c.storedType)
		before := k.snap(t, id)
		got := k.post(t, id, `{"y":2}`, c.postedType)
		if got.status != 400 {
			t.Errorf("POST %s onto %s = %d %s, want 400", c.postedType, c.storedType, got.status, got.body)
		}
		k.unchanged(t, id, before, "a rejected POST")
	}
}

// dtCheckPostInvalidJSON: a POST of invalid JSON declared application/json is
// 400, onto a stored document or a missing one, and stores nothing.
func dtCheckPostInvalidJSON(t *testing.T, k dkit) {
	t.Helper()
	k = k.fresh()
	k.mustPut(t, "exists", `{"x":1}`, dtJSON)
	before := k.snap(t, "exists")
	for _, bad := range []string{`{"y":`, `{y:2}`, `{"y":2}}`, `{"y":'2'}`, `{"y":2,}`, `{"y":NaN}`} {
		if got := k.post(t, "exists", bad, dtJSON); got.status != 400 {
			t.Errorf("POST %q onto a document = %d %s, want 400", bad, got.status, got.body)
		}
		if got := k.post(t, "missing", bad, dtJSON); got.status != 400 {
			t.Errorf("POST %q to a missing document = %d %s, want 400", bad, got.status, got.body)
		}
	}
	k.unchanged(t, "exists", before, "a POST of invalid JSON")
	k.expectMissing(t, "missing")
	if ids := k.ids(t); !slices.Equal(ids, []string{"exists"}) {
		t.Fatalf("ids %v after rejected POSTs", ids)
	}
}

// dtCheckDelete: a DELETE by id deletes that document only (204, no body);
// deleting a missing document is 204 too.
func dtCheckDelete(t *testing.T, k dkit) {
	t.Helper()
	for _, ver := range dtVersions {
		k := k.fresh().v(ver)
		k.mustPut(t, "a", "satu", "text/plain")
		k.mustPut(t, "b", "dua", "text/plain")
		got := k.del(t, "a")
		expect(t, got, 204)
		if got.body != "" {
			t.Fatalf("204 with a body: %q", got.body)
		}
		k.expectMissing(t, "a")
		k.expectDoc(t, "b", "dua", "text/plain")
		if ids := k.ids(t); !slices.Equal(ids, []string{"b"}) {
			t.Fatalf("ids after DELETE: %v", ids)
		}
		expect(t, k.del(t, "a"), 204)
		// A deleted document can be stored again without preconditions.
		k.mustPut(t, "a", "satu lagi", "text/plain")
		k.expectDoc(t, "a", "satu lagi", "text/plain")
	}
}

// dtCheckIDs: a GET without the id parameter is the JSON array of the ids
// of the scope's documents, and only of that scope; [] when there are none.
func dtCheckIDs(t *testing.T, k dkit, others ...dkit) {
	t.Helper()
	for _, ver := range dtVersions {
		k := k.fresh().v(ver)
		if ids := k.ids(t); len(ids) != 0 {
			t.Fatalf("ids of an empty scope: %v", ids)
		}
		want := []string{"a", "b", "c/d é", "http://e.com/id?x=1"}
		for _, id := range want {
			k.mustPut(t, id, `{"id":"`+id+`"}`, dtJSON)
		}
		k.mustPut(t, "gone", "x", "text/plain")
		expect(t, k.del(t, "gone"), 204)
		for _, o := range others {
			expect(t, o.v(ver).put(t, "other-"+uuid.NewString()[:6], "lain", "text/plain", o.creating()...), 204)
		}
		if ids := k.ids(t); !slices.Equal(ids, want) {
			t.Fatalf("ids %v, want %v", ids, want)
		}
	}
}

// dtCheckSince: a GET of the id list with since lists only the documents
// stored or updated after it (exclusive); since with another time zone
// means the same instant.
func dtCheckSince(t *testing.T, k dkit) {
	t.Helper()
	k = k.fresh()
	k.mustPut(t, "early", `{"n":1}`, dtJSON)
	k.mustPut(t, "updated", `{"n":1}`, dtJSON)
	k.mustPut(t, "deleted", `{"n":1}`, dtJSON)
	time.Sleep(20 * time.Millisecond)
	mark := time.Now()
	time.Sleep(20 * time.Millisecond)
	k.mustPut(t, "late", `{"n":2}`, dtJSON)
	expect(t, k.post(t, "updated", `{"m":2}`, dtJSON), 204)
	expect(t, k.del(t, "deleted"), 204)

	utc := mark.UTC().Format(time.RFC3339Nano)
	wib := mark.In(time.FixedZone("WIB", 7*3600)).Format("2006-01-02T15:04:05.000-07:00")
	for _, since := range []string{utc, wib} {
		if ids := k.ids(t, "since", since); !slices.Equal(ids, []string{"late", "updated"}) {
			t.Errorf("since %s: ids %v, want [late updated]", since, ids)
		}
	}
	if ids := k.ids(t, "since", "2000-01-01T00:00:00Z"); !slices.Equal(ids, []string{"early", "late", "updated"}) {
		t.Errorf("since 2000: ids %v", ids)
	}
	if ids := k.ids(t, "since", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)); len(ids) != 0 {
		t.Errorf("since an hour ahead: ids %v", ids)
	}
}

// dtCheckMissingParam: a request without param is 400 for each method.
func dtCheckMissingParam(t *testing.T, k dkit, param string, methods ...string) {
	t.Helper()
	k = k.fresh()
	for _, m := range methods {
		dtExpect400(t, k, m, k.path("doc", param, dtDrop), param)
	}
	if param != k.idParam {
		// Nothing was stored anywhere near.
		if ids := k.ids(t); len(ids) != 0 {
			t.Fatalf("ids %v after rejected requests", ids)
		}
	}
}

// dtCheckBadParam: a request whose param has any of values is 400 for each
// method (with and without the id parameter for GET and DELETE).
func dtCheckBadParam(t *testing.T, k dkit, param string, values []string, methods ...string) {
	t.Helper()
	k = k.fresh()
	for _, v := range values {
		for _, m := range methods {
			dtExpect400(t, k, m, k.path("doc", param, v), param)
			if m == "GET" || (m == "DELETE" && k.res == "/activities/state") {
				dtExpect400(t, k, m, k.path("", param, v), param)
			}
		}
	}
	if ids := k.ids(t); len(ids) != 0 {
		t.Fatalf("ids %v after rejected requests", ids)
	}
}

// dtCheckIDNotString: an id parameter that is not a string is 400: the
// forms a query string library gives an object (id[key]=value) or an array
// (id[]=a, id[0]=a&id[1]=b).
func dtCheckIDNotString(t *testing.T, k dkit, methods ...string) {
	t.Helper()
	dtCheckIDForms(t, k, []string{
		url.QueryEscape(k.idParam+"[key]") + "=value",
		url.QueryEscape(k.idParam+"[]") + "=a",
		url.QueryEscape(k.idParam+"[0]") + "=a&" + url.QueryEscape(k.idParam+"[1]") + "=b",
	}, methods...)
}

// dtCheckIDForms: a request whose query is the scope followed by any of
// forms is 400 for each method, and the documents "a" and "b" stay as
// they were.
func dtCheckIDForms(t *testing.T, k dkit, forms []string, methods ...string) {
	t.Helper()
	k = k.fresh()
	k.mustPut(t, "a", "satu", "text/plain")
	k.mustPut(t, "b", "dua", "text/plain")
	base := k.path("")
	for _, f := range forms {
		p := base + "&" + f
		for _, m := range methods {
			r := k.req(m, p, "", "")
			if m == "PUT" || m == "POST" {
				r.body, r.contentType = `{"x":1}`, dtJSON
			}
			var got resp
			if m == "GET" {
				got = dtGet(t, k.e, r)
			} else {
				got = k.e.do(t, r)
			}
			if got.status != 400 {
				t.Errorf("%s %s = %d %s, want 400", m, p, got.status, got.body)
			}
		}
	}
	k.expectDoc(t, "a", "satu", "text/plain")
	k.expectDoc(t, "b", "dua", "text/plain")
}

// dtCheckEndpoint: the resource answers at its path under the base IRI and
// not at near misses.
func dtCheckEndpoint(t *testing.T, k dkit, near ...string) {
	t.Helper()
	k = k.fresh()
	k.mustPut(t, "here", "ada", "text/plain")
	k.expectDoc(t, "here", "ada", "text/plain")
	q := strings.TrimPrefix(k.path("here"), k.res)
	for _, p := range near {
		if got := k.e.do(t, req{method: "GET", path: p + q}); got.status != 404 {
			t.Errorf("GET %s = %d, want 404", p+q, got.status)
		}
	}
}

// ---- State ----

func TestDocuments_State(t *testing.T) {
	e := newEnv(t)
	k := dtState(e, dtActivity(), dtSari)
	every := []string{"DELETE", "GET", "POST", "PUT"}

	t.Run("XAPI-00230 the State resource is base IRI + /activities/state", func(t *testing.T) {
		dtCheckEndpoint(t, k, "/activities/states", "/activity/state", "/state")
	})
	t.Run("XAPI-00190 XAPI-00188 XAPI-00192 XAPI-00217 PUT stores any content (204); GET by stateId returns it byte-exact with its Content-Type (200)", func(t *testing.T) {
		dtCheckPutGet(t, k)
	})
	t.Run("XAPI-00189 XAPI-00231 XAPI-00233 POST to a missing state stores it (204)", func(t *testing.T) {
		dtCheckPostMissing(t, k)
	})
	t.Run("XAPI-00234 POST of a JSON object onto a JSON object state merges them (204)", func(t *testing.T) {
		dtCheckMerge(t, k)
	})
	t.Run("XAPI-00229 POST where either document is not a JSON object is 400", func(t *testing.T) {
		dtCheckMergeNotObject(t, k)
	})
	t.Run("XAPI-00232 POST where either document is not application/json is 400", func(t *testing.T) {
		dtCheckMergeNotJSONType(t, k)
	})
	t.Run("XAPI-00235 POST of invalid JSON as application/json is 400", func(t *testing.T) {
		dtCheckPostInvalidJSON(t, k)
	})
	t.Run("XAPI-00187 XAPI-00191 XAPI-00216 DELETE with stateId deletes that state (204)", func(t *testing.T) {
		dtCheckDelete(t, k)
	})
	t.Run("XAPI-00193 GET without stateId is the array of the context's state ids (200)", func(t *testing.T) {
		a := dtActivity()
		k := dtState(e, a, dtSari)
		dtCheckIDs(t, k, dtState(e, a, dtBayu), dtState(e, dtActivity(), dtSari), k.with("registration", dtReg))
	})
	t.Run("XAPI-00194 DELETE without stateId deletes every state of the context and no other (204)", func(t *testing.T) {
		for _, ver := range dtVersions {
			a, agent := dtActivity(), dtMbox()
			k := dtState(e, a, agent).v(ver)
			otherAgent := dtState(e, a, dtBayu).v(ver)
			otherActivity := dtState(e, dtActivity(), agent).v(ver)
			withReg := k.with("registration", dtReg)
			k.mustPut(t, "a", "1", "text/plain")
			k.mustPut(t, "b", `{"n":2}`, dtJSON)
			otherAgent.mustPut(t, "a", "3", "text/plain")
			otherActivity.mustPut(t, "a", "4", "text/plain")
			withReg.mustPut(t, "a", "5", "text/plain")
			got := k.del(t, "")
			expect(t, got, 204)
			if got.body != "" {
				t.Fatalf("204 with a body: %q", got.body)
			}
			if ids := k.ids(t); len(ids) != 0 {
				t.Fatalf("ids after DELETE: %v", ids)
			}
			k.expectMissing(t, "a")
			k.expectMissing(t, "b")
			otherAgent.expectDoc(t, "a", "3", "text/plain")
			otherActivity.expectDoc(t, "a", "4", "text/plain")
			// "No registration" is a registration of its own (see adlnet/xAPI-Spec#1086).
			withReg.expectDoc(t, "a", "5", "text/plain")
			expect(t, withReg.del(t, ""), 204)
			withReg.expectMissing(t, "a")
			if ids := withReg.ids(t); len(ids) != 0 {
				t.Fatalf("ids after DELETE with registration: %v", ids)
			}
			// The states can be stored again.
			k.mustPut(t, "a", "6", "text/plain")
			k.expectDoc(t, "a", "6", "text/plain")
		}
	})
	t.Run("XAPI-00195 XAPI-00221 XAPI-00222 GET with since lists the states stored or updated after it", func(t *testing.T) {
		dtCheckSince(t, k)
		dtCheckSince(t, k.fresh().with("registration", dtReg))
	})
	t.Run("XAPI-00223 DELETE with since is processed", func(t *testing.T) {
		k := k.fresh()
		k.mustPut(t, "a", "1", "text/plain")
		k.mustPut(t, "b", "2", "text/plain")
		since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		expect(t, k.e.do(t, k.req("DELETE", k.path("a", "since", since), "", "")), 204)
		k.expectMissing(t, "a")
		expect(t, k.e.do(t, k.req("DELETE", k.path("", "since", since), "", "")), 204)
		k.expectMissing(t, "b")
	})
	t.Run("XAPI-00196 XAPI-00197 XAPI-00198 XAPI-00199 an agent that is not JSON (or not an Agent) is 400", func(t *testing.T) {
		dtCheckBadParam(t, k, "agent", []string{
			"not JSON", "mailto:sari@example.go.id", `{"mbox":"mailto:sari@example.go.id"`, `{'mbox':'mailto:sari@example.go.id'}`,
			"1", "true", "null", `[]`, `"sari"`,
			`{"name":"Sari"}`, `{"mbox":"sari@example.go.id"}`, `{"mbox":"mailto:sari@example.go.id","openid":"http://openid.example.go.id/sari"}`,
			`{"account":{"name":"sari"}}`,
		}, every...)
	})
	t.Run("XAPI-00200 XAPI-00201 XAPI-00202 XAPI-00203 a registration that is not a UUID is 400", func(t *testing.T) {
		dtCheckBadParam(t, k, "registration", []string{
			"not a UUID", "1", "true", "", "8f2d7c1a3b4e4f5a9c6d1e2f3a4b5c6d", "8f2d7c1a-3b4e-4f5a-9c6d-1e2f3a4b5c6d0",
			"mf2d7c1a-3b4e-4f5a-9c6d-1e2f3a4b5c6d", "{8f2d7c1a-3b4e-4f5a-9c6d-1e2f3a4b5c6d}", "urn:uuid:8f2d7c1a-3b4e-4f5a-9c6d-1e2f3a4b5c6d",
		}, every...)
	})
	t.Run("XAPI-00204 XAPI-00205 a since that is not a Timestamp is 400 on GET and DELETE", func(t *testing.T) {
		dtCheckBadParam(t, k, "since", []string{"yesterday", "2024-13-01T00:00:00Z", "1700000000", "2024-02-30T10:00:00Z", ""}, "GET", "DELETE")
	})
	t.Run("XAPI-00206 XAPI-00211 PUT and POST without stateId are 400", func(t *testing.T) {
		k := k.fresh()
		dtCheckMissingParam(t, k, "stateId", "PUT", "POST")
		if ids := k.ids(t); len(ids) != 0 {
			t.Fatalf("ids %v after rejected writes", ids)
		}
	})
	t.Run("XAPI-00207 XAPI-00208 XAPI-00209 XAPI-00210 a request without activityId is 400", func(t *testing.T) {
		dtCheckMissingParam(t, k, "activityId", every...)
		dtExpect400(t, k, "GET", k.path("", "activityId", dtDrop), "activityId")
		dtExpect400(t, k, "DELETE", k.path("", "activityId", dtDrop), "activityId")
	})
	t.Run("XAPI-00212 XAPI-00213 XAPI-00214 XAPI-00215 a request without agent is 400", func(t *testing.T) {
		dtCheckMissingParam(t, k, "agent", every...)
		dtExpect400(t, k, "GET", k.path("", "agent", dtDrop), "agent")
		dtExpect400(t, k, "DELETE", k.path("", "agent", dtDrop), "agent")
	})
	t.Run("XAPI-00218 XAPI-00219 XAPI-00220 XAPI-00227 PUT, POST, GET and DELETE with registration address the states of that registration", func(t *testing.T) {
		for _, ver := range dtVersions {
			k := k.fresh().v(ver)
			r1, r2 := k.with("registration", dtReg), k.with("registration", dtReg2)
			expect(t, r1.put(t, "s", `{"r":1}`, dtJSON), 204)
			expect(t, k.put(t, "s", `{"r":0}`, dtJSON), 204)
			r1.expectDoc(t, "s", `{"r":1}`, dtJSON)
			k.expectDoc(t, "s", `{"r":0}`, dtJSON)
			r2.expectMissing(t, "s")
			expect(t, r1.post(t, "s", `{"p":1}`, dtJSON), 204)
			r1.expectJSONDoc(t, "s", map[string]any{"r": 1.0, "p": 1.0})
			k.expectDoc(t, "s", `{"r":0}`, dtJSON)
			expect(t, r2.post(t, "s", `{"p":2}`, dtJSON), 204)
			r2.expectDoc(t, "s", `{"p":2}`, dtJSON)
			if ids := r1.ids(t); !slices.Equal(ids, []string{"s"}) {
				t.Fatalf("ids of the registration: %v", ids)
			}
			expect(t, r1.del(t, "s"), 204)
			r1.expectMissing(t, "s")
			k.expectDoc(t, "s", `{"r":0}`, dtJSON)
			r2.expectDoc(t, "s", `{"p":2}`, dtJSON)
		}
	})
	t.Run("XAPI-00224 XAPI-00225 XAPI-00226 XAPI-00228 a stateId that is not a String is 400", func(t *testing.T) {
		dtCheckIDNotString(t, k, every...)
	})
	t.Run("a repeated stateId is 400: two values are not one String", func(t *testing.T) {
		dtCheckIDForms(t, k, []string{"stateId=a&stateId=b"}, every...)
	})
	t.Run("XAPI-00012 an activityId that is not an IRI is 400", func(t *testing.T) {
		dtCheckBadParam(t, k, "activityId", []string{"", "kursus etika", "not an iri", "ab=c://should.fail.com"}, every...)
	})
	t.Run("XAPI-00324 XAPI-00325 unknown or miscased parameters are 400", func(t *testing.T) {
		for _, m := range every {
			dtExpect400(t, k, m, k.path("doc", "bogus", "1"), "bogus")
			dtExpect400(t, k, m, k.path("", "StateId", "doc"), "StateId")
			dtExpect400(t, k, m, k.path("doc", "profileId", "doc"), "profileId")
		}
	})
	t.Run("states of activities and agents the LRS has not seen are accepted (Communication 2.2)", func(t *testing.T) {
		k := dtState(e, "urn:jejak:never-seen:"+uuid.NewString(), `{"openid":"https://openid.example.go.id/`+uuid.NewString()+`"}`)
		k.mustPut(t, "s", "x", "text/plain")
		k.expectDoc(t, "s", "x", "text/plain")
	})
	t.Run("the agent names its state by its identifier, whatever else it says", func(t *testing.T) {
		a := dtActivity()
		plain := dtState(e, a, `{"mbox":"mailto:sari@example.go.id"}`)
		named := dtState(e, a, dtSari)
		plain.mustPut(t, "s", "x", "text/plain")
		named.expectDoc(t, "s", "x", "text/plain")
	})
}

// ---- Activity Profile ----

func TestDocuments_ActivityProfile(t *testing.T) {
	e := newEnv(t)
	k := dtActivityProfile(e, dtActivity())
	every := []string{"DELETE", "GET", "POST", "PUT"}

	t.Run("XAPI-00311 the Activity Profile resource is base IRI + /activities/profile", func(t *testing.T) {
		dtCheckEndpoint(t, k, "/activities/profiles", "/activity/profile", "/profile")
	})
	t.Run("XAPI-00287 XAPI-00293 XAPI-00288 XAPI-00290 PUT stores any content (204); GET by profileId returns it byte-exact with its Content-Type (200)", func(t *testing.T) {
		dtCheckPutGet(t, k)
	})
	t.Run("XAPI-00286 XAPI-00292 XAPI-00312 XAPI-00310 POST to a missing profile stores it (204)", func(t *testing.T) {
		dtCheckPostMissing(t, k)
	})
	t.Run("XAPI-00308 POST of a JSON object onto a JSON object profile merges them (204)", func(t *testing.T) {
		dtCheckMerge(t, k)
	})
	t.Run("XAPI-00313 POST where either document is not a JSON object is 400", func(t *testing.T) {
		dtCheckMergeNotObject(t, k)
	})
	t.Run("XAPI-00309 POST where either document is not application/json is 400", func(t *testing.T) {
		dtCheckMergeNotJSONType(t, k)
	})
	t.Run("XAPI-00314 POST of invalid JSON as application/json is 400", func(t *testing.T) {
		dtCheckPostInvalidJSON(t, k)
	})
	t.Run("XAPI-00285 XAPI-00291 DELETE deletes the profile (204)", func(t *testing.T) {
		dtCheckDelete(t, k)
	})
	t.Run("XAPI-00289 GET without profileId is the array of the activity's profile ids (200)", func(t *testing.T) {
		dtCheckIDs(t, k, dtActivityProfile(e, dtActivity()), dtState(e, dtActivity(), dtSari))
	})
	t.Run("XAPI-00294 XAPI-00303 GET with since lists the profiles stored or updated after it", func(t *testing.T) {
		dtCheckSince(t, k)
	})
	t.Run("XAPI-00295 a since that is not a Timestamp is 400", func(t *testing.T) {
		dtCheckBadParam(t, k, "since", []string{"yesterday", "2024-13-01T00:00:00Z", "1700000000", ""}, "GET")
	})
	t.Run("XAPI-00296 XAPI-00297 XAPI-00298 XAPI-00299 a request without activityId is 400", func(t *testing.T) {
		dtCheckMissingParam(t, k, "activityId", every...)
		dtExpect400(t, k, "GET", k.path("", "activityId", dtDrop), "activityId")
	})
	t.Run("XAPI-00300 XAPI-00301 XAPI-00302 DELETE, POST and PUT without profileId are 400", func(t *testing.T) {
		k := k.fresh()
		k.mustPut(t, "keep", "ada", "text/plain")
		dtCheckMissingParam(t, k, "profileId", "DELETE", "POST", "PUT")
		dtExpect400(t, k, "DELETE", k.path(""), "profileId")
		k.expectDoc(t, "keep", "ada", "text/plain")
	})
	t.Run("XAPI-00304 an agent parameter, JSON or not, is 400", func(t *testing.T) {
		for _, a := range []string{"not JSON", `{"mbox":`, dtSari} {
			dtExpect400(t, k, "GET", k.path("doc", "agent", a), "agent")
			dtExpect400(t, k, "GET", k.path("", "agent", a), "agent")
		}
	})
	t.Run("XAPI-00305 XAPI-00306 XAPI-00307 a profileId that is not a String is 400", func(t *testing.T) {
		dtCheckIDNotString(t, k, every...)
	})
	t.Run("a repeated profileId is 400: two values are not one String", func(t *testing.T) {
		dtCheckIDForms(t, k, []string{"profileId=a&profileId=b"}, every...)
	})
	t.Run("XAPI-00012 an activityId that is not an IRI is 400", func(t *testing.T) {
		dtCheckBadParam(t, k, "activityId", []string{"", "kursus etika", "ab=c://should.fail.com"}, every...)
	})
	t.Run("XAPI-00324 XAPI-00325 unknown or miscased parameters are 400", func(t *testing.T) {
		for _, m := range every {
			dtExpect400(t, k, m, k.path("doc", "bogus", "1"), "bogus")
			dtExpect400(t, k, m, k.path("", "ProfileId", "doc"), "ProfileId")
			dtExpect400(t, k, m, k.path("doc", "stateId", "doc"), "stateId")
			dtExpect400(t, k, m, k.path("doc", "registration", dtReg), "registration")
		}
	})
	t.Run("the profiles of an activity are not its states", func(t *testing.T) {
		a := dtActivity()
		p, s := dtActivityProfile(e, a), dtState(e, a, dtSari)
		p.mustPut(t, "same-id", "profil", "text/plain")
		s.expectMissing(t, "same-id")
		s.mustPut(t, "same-id", "state", "text/plain")
		p.expectDoc(t, "same-id", "profil", "text/plain")
	})
}

// ---- Agent Profile ----

func TestDocuments_AgentProfile(t *testing.T) {
	e := newEnv(t)
	k := dtAgentProfile(e, dtSari)
	every := []string{"DELETE", "GET", "POST", "PUT"}

	t.Run("XAPI-00282 the Agent Profile resource is base IRI + /agents/profile", func(t *testing.T) {
		dtCheckEndpoint(t, k, "/agents/profiles", "/agent/profile", "/profile")
	})
	t.Run("XAPI-00273 XAPI-00259 XAPI-00269 XAPI-00274 PUT stores any content (204); GET with an agent and profileId returns it byte-exact with its Content-Type (200)", func(t *testing.T) {
		dtCheckPutGet(t, k)
	})
	t.Run("XAPI-00272 XAPI-00283 XAPI-00280 POST to a missing profile stores it (204)", func(t *testing.T) {
		dtCheckPostMissing(t, k)
	})
	t.Run("XAPI-00279 POST of a JSON object onto a JSON object profile merges them (204)", func(t *testing.T) {
		dtCheckMerge(t, k)
	})
	t.Run("XAPI-00281 POST where either document is not a JSON object is 400", func(t *testing.T) {
		dtCheckMergeNotObject(t, k)
	})
	t.Run("XAPI-00278 POST where either document is not application/json is 400", func(t *testing.T) {
		dtCheckMergeNotJSONType(t, k)
	})
	t.Run("XAPI-00284 POST of invalid JSON as application/json is 400", func(t *testing.T) {
		dtCheckPostInvalidJSON(t, k)
	})
	t.Run("XAPI-00271 DELETE deletes the profile (204)", func(t *testing.T) {
		dtCheckDelete(t, k)
	})
	t.Run("XAPI-00270 GET without profileId is the array of the agent's profile ids (200)", func(t *testing.T) {
		dtCheckIDs(t, k, dtAgentProfile(e, dtBayu), dtActivityProfile(e, dtActivity()))
	})
	t.Run("XAPI-00268 XAPI-00275 GET with since lists the profiles stored or updated after it", func(t *testing.T) {
		dtCheckSince(t, k)
	})
	t.Run("XAPI-00260 a since that is not a Timestamp is 400", func(t *testing.T) {
		dtCheckBadParam(t, k, "since", []string{"yesterday", "2024-13-01T00:00:00Z", "1700000000", ""}, "GET")
	})
	t.Run("XAPI-00255 XAPI-00256 XAPI-00257 XAPI-00258 an agent that is not an Agent Object is 400", func(t *testing.T) {
		dtCheckBadParam(t, k, "agent", []string{
			"not JSON", `{"mbox":"mailto:sari@example.go.id"`, "1", "true", "null", `[]`,
			`{"name":"Sari"}`, `{"mbox":"sari@example.go.id"}`, `{"mbox":"mailto:sari@example.go.id","openid":"http://openid.example.go.id/sari"}`,
			`{"objectType":"Person","name":["Sari"],"mbox":["mailto:sari@example.go.id"]}`,
			`{"objectType":"Activity","id":"http://e.com/a"}`,
		}, every...)
	})
	t.Run("XAPI-00255 XAPI-00256 XAPI-00257 XAPI-00258 a Group is not an Agent Object: 400", func(t *testing.T) {
		dtCheckBadParam(t, k, "agent", []string{
			`{"objectType":"Group","mbox":"mailto:tim-integritas@example.go.id"}`,
			`{"objectType":"Group","name":"Tim","member":[` + dtSari + `]}`,
		}, every...)
	})
	t.Run("XAPI-00261 XAPI-00262 XAPI-00263 XAPI-00264 a request without agent is 400", func(t *testing.T) {
		dtCheckMissingParam(t, k, "agent", every...)
		dtExpect400(t, k, "GET", k.path("", "agent", dtDrop), "agent")
	})
	t.Run("XAPI-00265 XAPI-00266 XAPI-00267 DELETE, POST and PUT without profileId are 400", func(t *testing.T) {
		k := k.fresh()
		k.mustPut(t, "keep", "ada", "text/plain")
		dtCheckMissingParam(t, k, "profileId", "DELETE", "POST", "PUT")
		dtExpect400(t, k, "DELETE", k.path(""), "profileId")
		k.expectDoc(t, "keep", "ada", "text/plain")
	})
	t.Run("XAPI-00276 XAPI-00277 a profileId that is not a String is 400", func(t *testing.T) {
		dtCheckIDNotString(t, k, every...)
	})
	t.Run("a repeated profileId is 400: two values are not one String", func(t *testing.T) {
		dtCheckIDForms(t, k, []string{"profileId=a&profileId=b"}, every...)
	})
	t.Run("XAPI-00324 XAPI-00325 unknown or miscased parameters are 400", func(t *testing.T) {
		for _, m := range every {
			dtExpect400(t, k, m, k.path("doc", "bogus", "1"), "bogus")
			dtExpect400(t, k, m, k.path("", "ProfileId", "doc"), "ProfileId")
			dtExpect400(t, k, m, k.path("doc", "activityId", dtActivity()), "activityId")
			dtExpect400(t, k, m, k.path("doc", "registration", dtReg), "registration")
		}
	})
	t.Run("every identifier names its agent: mbox, mbox_sha1sum, openid, account", func(t *testing.T) {
		for _, agent := range []string{
			`{"mbox":"mailto:` + uuid.NewString()[:8] + `@example.go.id"}`,
			`{"mbox_sha1sum":"` + fmt.Sprintf("%x", sha1.Sum([]byte(uuid.NewString()))) + `"}`,
			`{"openid":"https://openid.example.go.id/` + uuid.NewString()[:8] + `"}`,
			`{"account":{"homePage":"https://siasn.bkn.go.id","name":"` + uuid.NewString()[:8] + `"}}`,
		} {
			k := dtAgentProfile(e, agent)
			k.mustPut(t, "p", agent, dtJSON)
			var m map[string]any
			_ = json.Unmarshal([]byte(agent), &m)
			m["objectType"], m["name"] = "Agent", "Nama Lain"
			named, _ := json.Marshal(m)
			dtAgentProfile(e, string(named)).expectDoc(t, "p", agent, dtJSON)
			if ids := dtAgentProfile(e, string(named)).ids(t); !slices.Equal(ids, []string{"p"}) {
				t.Fatalf("%s: ids %v", named, ids)
			}
		}
		// Agents are told apart.
		dtAgentProfile(e, dtMbox()).expectMissing(t, "p")
	})
}

// ---- Document merge and rejected requests, every document resource ----

func TestDocuments_Merge(t *testing.T) {
	e := newEnv(t)
	kits := []dkit{dtState(e, dtActivity(), dtSari), dtActivityProfile(e, dtActivity()), dtAgentProfile(e, dtMbox())}

	t.Run("XAPI-00184 a merge overwrites the properties the posted object repeats and keeps the others", func(t *testing.T) {
		for _, k := range kits {
			k := k.fresh()
			k.mustPut(t, "m", `{"x":"foo","y":"bar","n":1,"b":true}`, dtJSON)
			expect(t, k.post(t, "m", `{"x":"bash","z":"faz","n":null,"b":false}`, dtJSON), 204)
			k.expectJSONDoc(t, "m", map[string]any{"x": "bash", "y": "bar", "z": "faz", "n": nil, "b": false})
		}
	})
	t.Run("XAPI-00183 a merge is one level deep: a posted object property replaces the stored one whole", func(t *testing.T) {
		for _, k := range kits {
			k := k.fresh()
			k.mustPut(t, "m", `{"a":{"x":1,"y":2},"l":[1,2,3],"keep":{"k":1}}`, dtJSON)
			expect(t, k.post(t, "m", `{"a":{"z":3},"l":[4]}`, dtJSON), 204)
			k.expectJSONDoc(t, "m", map[string]any{"a": map[string]any{"z": 3.0}, "l": []any{4.0}, "keep": map[string]any{"k": 1.0}})
		}
	})
	t.Run("XAPI-00186 a merge de-serializes both documents first: escaped and spaced keys are the same keys", func(t *testing.T) {
		for _, k := range kits {
			k := k.fresh()
			k.mustPut(t, "m", "{ \"\\u0078\" : \"lama\" ,\n \"y\":\"tetap\", \"caf\\u00e9\": 1 }", dtJSON)
			expect(t, k.post(t, "m", "{\"x\":\"baru\",\r\n\t\"café\" : 2}", dtJSON), 204)
			k.expectJSONDoc(t, "m", map[string]any{"x": "baru", "y": "tetap", "café": 2.0})
		}
	})
	t.Run("XAPI-00186 XAPI-00185 a merge of documents that repeat a key de-serializes them: one value per key, or 400", func(t *testing.T) {
		for _, k := range kits {
			k := k.fresh()
			k.mustPut(t, "stored", `{"x":1,"x":2,"y":0}`, dtJSON)
			before := k.snap(t, "stored")
			switch got := k.post(t, "stored", `{"y":3}`, dtJSON); got.status {
			case 204:
				got := k.get(t, "stored")
				dtNoDuplicateKeys(t, got.body)
			case 400:
				k.unchanged(t, "stored", before, "a rejected merge")
			default:
				t.Fatalf("%s POST onto a document that repeats a key = %d %s", k.name, got.status, got.body)
			}
			k.mustPut(t, "posted", `{"x":0}`, dtJSON)
			switch got := k.post(t, "posted", `{"y":1,"y":2}`, dtJSON); got.status {
			case 204:
				got := k.get(t, "posted")
				dtNoDuplicateKeys(t, got.body)
			case 400:
				k.expectDoc(t, "posted", `{"x":0}`, dtJSON)
			default:
				t.Fatalf("%s POST of an object that repeats a key = %d %s", k.name, got.status, got.body)
			}
		}
	})
	t.Run("XAPI-00185 a merge stores one re-serialized JSON document, with the ETag of what GET returns", func(t *testing.T) {
		for _, k := range kits {
			k := k.fresh()
			k.mustPut(t, "m", "{\n  \"x\": 1\n}\n", dtJSON)
			expect(t, k.post(t, "m", "{\"y\": \"dua\"}  ", dtJSON), 204)
			got := k.get(t, "m")
			expect(t, got, 200)
			if !json.Valid([]byte(got.body)) {
				t.Fatalf("%s merged document is not one JSON value: %q", k.name, got.body)
			}
			k.expectJSONDoc(t, "m", map[string]any{"x": 1.0, "y": "dua"})
			// And merging again keeps it one document.
			expect(t, k.post(t, "m", `{"z":[1]}`, dtJSON), 204)
			k.expectJSONDoc(t, "m", map[string]any{"x": 1.0, "y": "dua", "z": []any{1.0}})
		}
	})
	t.Run("XAPI-00235 XAPI-00284 XAPI-00314 XAPI-00015 a JSON body that is not UTF-8 is not JSON: POST and PUT are 400", func(t *testing.T) {
		for _, k := range kits {
			k := k.fresh()
			k.mustPut(t, "d", `{"x":1}`, dtJSON)
			before := k.snap(t, "d")
			for _, bad := range []string{"{\"y\":\"\xff\"}", "{\"\xc3\x28\":1}", "{\"y\":\"\xed\xa0\x80\"}"} {
				for _, m := range []string{"POST", "PUT"} {
					for _, id := range []string{"d", "new"} {
						got := k.e.do(t, k.req(m, k.path(id), bad, dtJSON))
						if got.status != 400 {
							t.Errorf("%s %s %q as application/json to %q = %d %s, want 400", k.name, m, bad, id, got.status, got.body)
						}
					}
				}
			}
			k.unchanged(t, "d", before, "a body that is not UTF-8")
			k.expectMissing(t, "new")
		}
	})
	t.Run("XAPI-00229 a POST of JSON that is not an object is 400 whether or not the document exists", func(t *testing.T) {
		for _, k := range kits {
			k := k.fresh()
			k.mustPut(t, "d", `{"x":1}`, dtJSON)
			before := k.snap(t, "d")
			for _, body := range []string{`[1,2]`, `"teks"`, `12`, `null`, `true`} {
				for _, id := range []string{"d", "new"} {
					expect(t, k.e.do(t, k.req("POST", k.path(id), body, dtJSON)), 400, "not a JSON object")
				}
			}
			k.unchanged(t, "d", before, "a POST of JSON that is not an object")
			k.expectMissing(t, "new")
		}
	})
	t.Run("XAPI-00182 a rejected request changes no stored data", func(t *testing.T) {
		for _, k := range kits {
			k := k.fresh()
			k.mustPut(t, "d", `{"x":1}`, dtJSON)
			k.mustPut(t, "t", "teks", "text/plain")
			before := map[string]snapshot{"d": k.snap(t, "d"), "t": k.snap(t, "t")}
			beforeIDs := k.ids(t)
			for _, r := range []struct {
				what    string
				r       req
				headers []string
			}{
				{"PUT of invalid JSON", k.req("PUT", k.path("d"), `{"x":`, dtJSON), []string{"If-Match", before["d"].etag}},
				{"POST of invalid JSON", k.req("POST", k.path("d"), `{"x":`, dtJSON), nil},
				{"POST onto text", k.req("POST", k.path("t"), `{"y":2}`, dtJSON), nil},
				{"POST of text", k.req("POST", k.path("d"), `{"y":2}`, "text/plain"), nil},
				{"PUT with a failed If-Match", k.req("PUT", k.path("d"), `{"y":2}`, dtJSON), []string{"If-Match", dtBadTag}},
				{"PUT with a failed If-None-Match", k.req("PUT", k.path("d"), `{"y":2}`, dtJSON), []string{"If-None-Match", "*"}},
				{"DELETE with a failed If-Match", k.req("DELETE", k.path("d"), "", ""), []string{"If-Match", dtBadTag}},
				{"PUT with an unknown parameter", k.req("PUT", k.path("d", "bogus", "1"), `{"y":2}`, dtJSON), []string{"If-Match", before["d"].etag}},
				{"POST with an unknown parameter", k.req("POST", k.path("d", "bogus", "1"), `{"y":2}`, dtJSON), nil},
				{"DELETE with an unknown parameter", k.req("DELETE", k.path("d", "bogus", "1"), "", ""), nil},
				{"PUT without credentials", req{method: "PUT", path: k.path("d"), body: `{"y":2}`, contentType: dtJSON, noAuth: true}, []string{"If-Match", before["d"].etag}},
				{"DELETE with a wrong secret", req{method: "DELETE", path: k.path("d"), secret: "salah"}, nil},
				{"POST without a version", req{method: "POST", path: k.path("d"), body: `{"y":2}`, contentType: dtJSON, version: "-"}, nil},
				{"PUT of a new document without a version", req{method: "PUT", path: k.path("new"), body: `{"y":2}`, contentType: dtJSON, version: "-"}, nil},
			} {
				got := k.e.doWith(t, r.r, r.headers...)
				if got.status < 400 {
					t.Errorf("%s %s: %d, want an error", k.name, r.what, got.status)
				}
				for id, s := range before {
					k.unchanged(t, id, s, r.what)
				}
			}
			if ids := k.ids(t); !slices.Equal(ids, beforeIDs) {
				t.Fatalf("%s ids %v, before %v", k.name, ids, beforeIDs)
			}
		}
	})
}

// ---- Concurrency ----

// TestXAPI00273_ProfilePutWithoutPreconditionHeader: a client's PUT to the
// Agent or Activity Profile resource must carry If-Match or If-None-Match
// (1.0.3 Communication 2.6, 2.7 and 3.1; 2.0.0 9274.1.1 for Content
// 5.1.6.5 and 5.1.6.6). Without either, a PUT of a missing profile is 400
// naming the headers and stores nothing; onto an existing one it is 409.
// A State needs no header to be created, under either version.
func TestXAPI00273_ProfilePutWithoutPreconditionHeader(t *testing.T) {
	e := newEnv(t)
	profiles := []dkit{dtActivityProfile(e, dtActivity()), dtAgentProfile(e, dtMbox())}
	for _, k := range profiles {
		for _, ver := range dtVersions {
			k := k.fresh().v(ver)
			got := k.put(t, "d", `{"v":1}`, dtJSON)
			if got.status != 400 || !strings.Contains(got.body, "If-Match") || !strings.Contains(got.body, "If-None-Match") {
				t.Fatalf("%s %s PUT of a missing document without If-Match or If-None-Match = %d %s, want 400 naming both headers", k.name, ver, got.status, got.body)
			}
			if got.header.Get("X-Experience-API-Version") != ver {
				t.Fatalf("400 under %s answered version %q", ver, got.header.Get("X-Experience-API-Version"))
			}
			k.expectMissing(t, "d")
			if ids := k.ids(t); len(ids) != 0 {
				t.Fatalf("%s %s: a refused PUT left ids %v", k.name, ver, ids)
			}
			// With If-None-Match: * it is created; then a PUT without a
			// header is the 409 of an existing document.
			expect(t, k.put(t, "d", `{"v":1}`, dtJSON, "If-None-Match", "*"), 204)
			before := k.snap(t, "d")
			expect(t, k.put(t, "d", `{"v":2}`, dtJSON), 409, "If-Match")
			k.unchanged(t, "d", before, "a PUT without a precondition header")
			// A deleted profile is missing again: 400.
			expect(t, k.del(t, "d"), 204)
			expect(t, k.put(t, "d", `{"v":3}`, dtJSON), 400, "If-None-Match")
			k.expectMissing(t, "d")
		}
	}
	for _, ver := range dtVersions {
		k := dtState(e, dtActivity(), dtMbox()).v(ver)
		expect(t, k.put(t, "d", `{"v":1}`, dtJSON), 204)
		k.expectDoc(t, "d", `{"v":1}`, dtJSON)
	}
}

func TestDocuments_Concurrency(t *testing.T) {
	e := newEnv(t)
	kits := []dkit{dtState(e, dtActivity(), dtSari), dtActivityProfile(e, dtActivity()), dtAgentProfile(e, dtMbox())}
	isState := func(k dkit) bool { return k.res == "/activities/state" }

	t.Run("XAPI-00322 a GET of a document has an ETag: the quoted lowercase hex SHA-1 of its content", func(t *testing.T) {
		for _, k := range kits {
			for _, ver := range dtVersions {
				k := k.fresh().v(ver)
				for i, body := range []string{`{"x":1}`, "", "\x00\xff", strings.Repeat("abc", 10000)} {
					id := fmt.Sprint(i)
					k.mustPut(t, id, body, "application/octet-stream")
					got := k.get(t, id)
					expect(t, got, 200)
					et := got.header.Get("ETag")
					if et != dtETag(body) || et != strings.ToLower(et) {
						t.Fatalf("%s %s: ETag %q, want %q", k.name, ver, et, dtETag(body))
					}
				}
			}
		}
	})
	t.Run("XAPI-00322 PUT with If-Match: the current ETag replaces the document; another ETag or a missing document is 412 and changes nothing", func(t *testing.T) {
		for _, k := range kits {
			for _, ver := range dtVersions {
				k := k.fresh().v(ver)
				k.mustPut(t, "d", `{"v":1}`, dtJSON)
				et := k.get(t, "d").header.Get("ETag")
				before := k.snap(t, "d")
				for _, bad := range []string{dtBadTag, strings.Trim(et, `"`), `"` + strings.ToUpper(strings.Trim(et, `"`)) + `"`} {
					got := k.put(t, "d", `{"v":2}`, dtJSON, "If-Match", bad)
					if got.status != 412 {
						t.Fatalf("%s %s PUT If-Match %s = %d %s, want 412", k.name, ver, bad, got.status, got.body)
					}
					k.unchanged(t, "d", before, "a PUT with a failed If-Match")
				}
				got := k.put(t, "missing", `{"v":2}`, dtJSON, "If-Match", et)
				if got.status != 412 {
					t.Fatalf("%s %s PUT If-Match onto a missing document = %d %s, want 412", k.name, ver, got.status, got.body)
				}
				k.expectMissing(t, "missing")
				expect(t, k.put(t, "d", `{"v":2}`, dtJSON, "If-Match", et), 204)
				k.expectDoc(t, "d", `{"v":2}`, dtJSON)
				// The old ETag is stale now; a list holding the new one matches.
				if got := k.put(t, "d", `{"v":3}`, dtJSON, "If-Match", et); got.status != 412 {
					t.Fatalf("%s %s PUT with a stale ETag = %d, want 412", k.name, ver, got.status)
				}
				expect(t, k.put(t, "d", `{"v":3}`, dtJSON, "If-Match", dtBadTag+", "+dtETag(`{"v":2}`)), 204)
				k.expectDoc(t, "d", `{"v":3}`, dtJSON)
				expect(t, k.put(t, "d", `{"v":4}`, dtJSON, "If-Match", "*"), 204)
				k.expectDoc(t, "d", `{"v":4}`, dtJSON)
			}
		}
	})
	t.Run("XAPI-00322 If-Match compares strongly: a weak entity tag never matches", func(t *testing.T) {
		for _, k := range kits {
			k := k.fresh()
			k.mustPut(t, "d", `{"v":1}`, dtJSON)
			before := k.snap(t, "d")
			got := k.put(t, "d", `{"v":2}`, dtJSON, "If-Match", "W/"+before.etag)
			if got.status != 412 {
				t.Errorf("%s PUT If-Match W/%s = %d %s, want 412 (RFC 7232 3.1: If-Match uses the strong comparison)", k.name, before.etag, got.status, got.body)
			}
			k.unchanged(t, "d", before, "a PUT with a weak If-Match")
		}
	})
	t.Run("XAPI-00322 PUT with If-None-Match: * creates a missing document; onto an existing one it is 412 and changes nothing", func(t *testing.T) {
		for _, k := range kits {
			for _, ver := range dtVersions {
				k := k.fresh().v(ver)
				expect(t, k.put(t, "d", `{"v":1}`, dtJSON, "If-None-Match", "*"), 204)
				k.expectDoc(t, "d", `{"v":1}`, dtJSON)
				before := k.snap(t, "d")
				for _, inm := range []string{"*", before.etag} {
					got := k.put(t, "d", `{"v":2}`, dtJSON, "If-None-Match", inm)
					if got.status != 412 {
						t.Fatalf("%s %s PUT If-None-Match %s onto an existing document = %d %s, want 412", k.name, ver, inm, got.status, got.body)
					}
					k.unchanged(t, "d", before, "a PUT with a failed If-None-Match")
				}
				// If-None-Match with another ETag is a precondition that holds.
				expect(t, k.put(t, "d", `{"v":3}`, dtJSON, "If-None-Match", dtBadTag), 204)
				k.expectDoc(t, "d", `{"v":3}`, dtJSON)
			}
		}
	})
	t.Run("XAPI-00322 PUT onto an existing profile without If-Match or If-None-Match is 409, explains, and changes nothing", func(t *testing.T) {
		for _, k := range kits {
			for _, ver := range dtVersions {
				if isState(k) && ver == "1.0.3" {
					continue // next subtest
				}
				k := k.fresh().v(ver)
				k.mustPut(t, "d", `{"v":1}`, dtJSON)
				before := k.snap(t, "d")
				got := k.put(t, "d", `{"v":2}`, dtJSON)
				if got.status != 409 {
					t.Fatalf("%s %s PUT onto an existing document without preconditions = %d %s, want 409", k.name, ver, got.status, got.body)
				}
				if !strings.Contains(got.body, "If-Match") {
					t.Fatalf("409 does not explain how to resolve the conflict: %s", got.body)
				}
				k.unchanged(t, "d", before, "a PUT without preconditions")
				if got.header.Get("X-Experience-API-Version") != ver {
					t.Fatalf("409 under %s answered version %q", ver, got.header.Get("X-Experience-API-Version"))
				}
			}
		}
	})
	t.Run("XAPI-00322 XAPI-00190 under 1.0.3 a PUT replaces an existing state without preconditions (204)", func(t *testing.T) {
		k := kits[0].fresh()
		k.mustPut(t, "d", `{"v":1}`, dtJSON)
		expect(t, k.put(t, "d", "dua", "text/plain"), 204)
		k.expectDoc(t, "d", "dua", "text/plain")
		// Also under 1.0.0 and 1.0.1.
		for _, v := range []string{"1.0.0", "1.0.1"} {
			expect(t, k.v(v).put(t, "d", v, "text/plain"), 204)
			k.expectDoc(t, "d", v, "text/plain")
		}
	})
	t.Run("XAPI-00322 POST and DELETE honour If-Match and If-None-Match (412, nothing changed)", func(t *testing.T) {
		for _, k := range kits {
			for _, ver := range dtVersions {
				k := k.fresh().v(ver)
				k.mustPut(t, "d", `{"v":1}`, dtJSON)
				before := k.snap(t, "d")
				for _, h := range [][]string{{"If-Match", dtBadTag}, {"If-None-Match", "*"}, {"If-None-Match", before.etag}} {
					if got := k.post(t, "d", `{"w":2}`, dtJSON, h...); got.status != 412 {
						t.Errorf("%s %s POST %s = %d %s, want 412", k.name, ver, h, got.status, got.body)
					}
					k.unchanged(t, "d", before, "a POST with a failed precondition")
				}
				if got := k.post(t, "missing", `{"w":2}`, dtJSON, "If-Match", before.etag); got.status != 412 {
					t.Errorf("%s %s POST If-Match onto a missing document = %d %s, want 412", k.name, ver, got.status, got.body)
				}
				k.expectMissing(t, "missing")
				if got := k.del(t, "d", "If-Match", dtBadTag); got.status != 412 {
					t.Errorf("%s %s DELETE If-Match %s = %d %s, want 412", k.name, ver, dtBadTag, got.status, got.body)
				}
				k.unchanged(t, "d", before, "a DELETE with a failed If-Match")
				expect(t, k.post(t, "d", `{"w":2}`, dtJSON, "If-Match", before.etag), 204)
				k.expectJSONDoc(t, "d", map[string]any{"v": 1.0, "w": 2.0})
				expect(t, k.post(t, "new", `{"w":2}`, dtJSON, "If-None-Match", "*"), 204)
				k.expectDoc(t, "new", `{"w":2}`, dtJSON)
				cur := k.get(t, "d").header.Get("ETag")
				expect(t, k.del(t, "d", "If-Match", cur), 204)
				k.expectMissing(t, "d")
			}
		}
	})
	t.Run("XAPI-00322 the ETag changes with the content and only with it", func(t *testing.T) {
		for _, k := range kits {
			k := k.fresh()
			k.mustPut(t, "a", `{"v":1}`, dtJSON)
			k.mustPut(t, "b", `{"v":1}`, "text/plain")
			ea, eb := k.get(t, "a").header.Get("ETag"), k.get(t, "b").header.Get("ETag")
			if ea != eb {
				t.Fatalf("%s: same content, ETags %s and %s", k.name, ea, eb)
			}
			expect(t, k.post(t, "a", `{"w":1}`, dtJSON), 204)
			if k.get(t, "a").header.Get("ETag") == ea {
				t.Fatalf("%s: ETag unchanged by a merge", k.name)
			}
		}
	})
	t.Run("id-list GETs carry an ETag of the list (Communication 3.1: every GET)", func(t *testing.T) {
		for _, k := range kits {
			k := k.fresh()
			k.mustPut(t, "a", "1", "text/plain")
			got := dtGet(t, k.e, k.req("GET", k.path(""), "", ""))
			expect(t, got, 200)
			if got.header.Get("ETag") != dtETag(got.body) {
				t.Errorf("%s GET %s: ETag %q, want %q (SHA-1 of %s)", k.name, k.path(""), got.header.Get("ETag"), dtETag(got.body), got.body)
			}
		}
	})
	t.Run("id-list GETs carry the Last-Modified of the newest document (Communication 2.2)", func(t *testing.T) {
		for _, k := range kits {
			k := k.fresh()
			k.mustPut(t, "a", "1", "text/plain")
			k.mustPut(t, "b", "2", "text/plain")
			newest := k.get(t, "b").header.Get("Last-Modified")
			got := dtGet(t, k.e, k.req("GET", k.path(""), "", ""))
			expect(t, got, 200)
			if lm := got.header.Get("Last-Modified"); lm != newest {
				t.Errorf("%s GET %s: Last-Modified %q, want %q", k.name, k.path(""), lm, newest)
			}
		}
	})
}

// ---- every document resource together ----

func TestDocuments_Resources(t *testing.T) {
	e := newEnv(t)

	t.Run("XAPI-00140 the Statement, State, Activity Profile, Agent Profile, Activities and Agents resources are all served", func(t *testing.T) {
		a, agent := dtActivity(), dtMbox()
		cfPost(t, e, cfStmt(agent, vCompleted, a, ""))
		for _, k := range []dkit{dtState(e, a, agent), dtActivityProfile(e, a), dtAgentProfile(e, agent)} {
			for _, ver := range dtVersions {
				k := k.v(ver)
				expect(t, k.put(t, "p", `{"x":1}`, dtJSON, "If-None-Match", "*"), 204)
				expect(t, k.post(t, "p", `{"y":2}`, dtJSON), 204)
				expect(t, k.get(t, "p"), 200, `"y":2`)
				if ids := k.ids(t); !slices.Equal(ids, []string{"p"}) {
					t.Fatalf("%s ids %v", k.name, ids)
				}
				expect(t, k.del(t, "p"), 204)
			}
		}
		for _, r := range []req{
			{method: "GET", path: "/statements"},
			{method: "GET", path: "/activities?activityId=" + url.QueryEscape(a)},
			{method: "GET", path: "/agents?agent=" + url.QueryEscape(agent)},
		} {
			for _, ver := range dtVersions {
				r.version = ver
				expect(t, dtGet(t, e, r), 200)
			}
		}
	})
	t.Run("XAPI-00141 every id list honours since", func(t *testing.T) {
		dtCheckSince(t, dtState(e, dtActivity(), dtSari))
		dtCheckSince(t, dtActivityProfile(e, dtActivity()))
		dtCheckSince(t, dtAgentProfile(e, dtMbox()))
	})
	t.Run("XAPI-00334 XAPI-00321 XAPI-00331 XAPI-00333 every route needs credentials and a version, and answers with its version", func(t *testing.T) {
		a, agent := dtActivity(), dtMbox()
		cfPost(t, e, cfStmt(agent, vCompleted, a, ""))
		var routes []req
		for _, k := range []dkit{dtState(e, a, agent), dtActivityProfile(e, a), dtAgentProfile(e, agent)} {
			k.mustPut(t, "p", `{"x":1}`, dtJSON)
			for _, m := range []string{"GET", "HEAD", "PUT", "POST", "DELETE"} {
				routes = append(routes, req{method: m, path: k.path("p"), body: map[bool]string{true: `{"y":1}`}[m == "PUT" || m == "POST"]})
			}
			routes = append(routes, req{method: "GET", path: k.path("")})
		}
		routes = append(routes,
			req{method: "GET", path: "/activities?activityId=" + url.QueryEscape(a)},
			req{method: "HEAD", path: "/activities?activityId=" + url.QueryEscape(a)},
			req{method: "GET", path: "/agents?agent=" + url.QueryEscape(agent)},
			req{method: "HEAD", path: "/agents?agent=" + url.QueryEscape(agent)},
		)
		for _, r := range routes {
			for _, bad := range []req{{noAuth: true}, {secret: "salah"}} {
				rr := r
				rr.noAuth, rr.secret = bad.noAuth, bad.secret
				got := e.do(t, rr)
				if got.status != 401 || !strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Basic") {
					t.Errorf("%s %s without good credentials = %d, WWW-Authenticate %q", r.method, r.path, got.status, got.header.Get("WWW-Authenticate"))
				}
			}
			for _, v := range []string{"-", "0.95", "1.1.0", "3.0.0"} {
				rr := r
				rr.version = v
				got := e.do(t, rr)
				if got.status != 400 {
					t.Errorf("%s %s with version %q = %d, want 400", r.method, r.path, v, got.status)
				}
				if got.header.Get("X-Experience-API-Version") == "" {
					t.Errorf("%s %s with version %q: no version header", r.method, r.path, v)
				}
			}
			for _, v := range dtVersions {
				rr := r
				rr.version = v
				if got := e.do(t, rr); got.header.Get("X-Experience-API-Version") != v {
					t.Errorf("%s %s under %s (%d) answered version %q", r.method, r.path, v, got.status, got.header.Get("X-Experience-API-Version"))
				}
			}
		}
		// The last write of each resource was a DELETE with good credentials
		// and version: the document is gone.
		for _, k := range []dkit{dtState(e, a, agent), dtActivityProfile(e, a), dtAgentProfile(e, agent)} {
			k.expectMissing(t, "p")
		}
	})
	t.Run("XAPI-00125 XAPI-00126 HEAD answers like GET without a body on every resource, also for errors", func(t *testing.T) {
		a, agent := dtActivity(), dtMbox()
		cfPost(t, e, cfStmt(agent, vCompleted, a, ""))
		s := dtState(e, a, agent)
		s.mustPut(t, "p", "isi", "text/plain")
		for _, r := range []req{
			{path: s.path("p")},
			{path: s.path("missing")},
			{path: s.path("")},
			{path: s.path("p", "agent", "not JSON")},
			{path: s.path("p"), noAuth: true},
			{path: s.path("p"), version: "-"},
			{path: "/activities?activityId=" + url.QueryEscape(a)},
			{path: "/activities?activityId=" + url.QueryEscape(dtActivity())},
			{path: "/activities"},
			{path: "/agents?agent=" + url.QueryEscape(agent)},
			{path: "/agents"},
			{path: "/agents?agent=x", noAuth: true},
		} {
			for _, v := range dtVersions {
				if r.version != "-" {
					r.version = v
				}
				dtGet(t, e, r)
			}
		}
	})
	t.Run("XAPI-00336 the alternate request syntax reaches the document resources, concurrency headers included", func(t *testing.T) {
		k := dtActivityProfile(e, dtActivity())
		alt := func(method string, fields url.Values) resp {
			t.Helper()
			fields.Set("activityId", k.scope.Get("activityId"))
			fields.Set("profileId", "alt")
			fields.Set("X-Experience-API-Version", "1.0.3")
			fields.Set("Authorization", "Basic "+basic(e.key, e.secret))
			hr, err := http.NewRequest("POST", e.url+"/activities/profile?method="+method, strings.NewReader(fields.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := http.DefaultClient.Do(hr)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			return resp{res.StatusCode, string(b), res.Header}
		}
		expect(t, alt("PUT", url.Values{"content": {`{"x":1}`}, "Content-Type": {dtJSON}, "If-None-Match": {"*"}}), 204)
		k.expectDoc(t, "alt", `{"x":1}`, dtJSON)
		expect(t, alt("PUT", url.Values{"content": {`{"x":2}`}, "Content-Type": {dtJSON}}), 409)
		expect(t, alt("PUT", url.Values{"content": {`{"x":2}`}, "Content-Type": {dtJSON}, "If-Match": {dtBadTag}}), 412)
		expect(t, alt("PUT", url.Values{"content": {`{"x":2}`}, "Content-Type": {dtJSON}, "If-Match": {dtETag(`{"x":1}`)}}), 204)
		expect(t, alt("POST", url.Values{"content": {`{"y":3}`}, "Content-Type": {dtJSON}}), 204)
		k.expectJSONDoc(t, "alt", map[string]any{"x": 2.0, "y": 3.0})
		got := alt("GET", url.Values{})
		expect(t, got, 200)
		if got.header.Get("ETag") != dtETag(got.body) {
			t.Fatalf("alternate GET: ETag %q of %s", got.header.Get("ETag"), got.body)
		}
		expect(t, alt("DELETE", url.Values{}), 204)
		k.expectMissing(t, "alt")
	})
	t.Run("a document larger than the body limit is 413 and stores nothing", func(t *testing.T) {
		for _, k := range []dkit{dtState(e, dtActivity(), dtSari), dtActivityProfile(e, dtActivity()), dtAgentProfile(e, dtMbox())} {
			big := strings.Repeat("a", 1100<<10)
			for _, m := range []string{"PUT", "POST"} {
				if got := k.e.do(t, k.req(m, k.path("big"), big, "text/plain")); got.status != 413 {
					t.Errorf("%s %s of %d bytes = %d %.200s, want 413", k.name, m, len(big), got.status, got.body)
				}
			}
			k.expectMissing(t, "big")
		}
	})
	t.Run("CORS: browsers may call every route with the concurrency headers and read ETag and Last-Modified", func(t *testing.T) {
		s := dtState(e, dtActivity(), dtSari)
		s.mustPut(t, "p", "isi", "text/plain")
		for _, p := range []string{s.path("p"), dtActivityProfile(e, dtActivity()).path("p"), dtAgentProfile(e, dtSari).path("p"), "/activities?activityId=x", "/agents?agent=x"} {
			for _, m := range []string{"GET", "PUT", "POST", "DELETE", "HEAD"} {
				hr, err := http.NewRequest("OPTIONS", e.url+p, nil)
				if err != nil {
					t.Fatal(err)
				}
				hr.Header.Set("Origin", "https://lms.example.go.id")
				hr.Header.Set("Access-Control-Request-Method", m)
				hr.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-experience-api-version,if-match,if-none-match")
				res, err := http.DefaultClient.Do(hr)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				allowed := strings.ToLower(res.Header.Get("Access-Control-Allow-Headers"))
				if res.StatusCode >= 300 || res.Header.Get("Access-Control-Allow-Origin") == "" || !strings.Contains(res.Header.Get("Access-Control-Allow-Methods"), m) ||
					!strings.Contains(allowed, "if-match") || !strings.Contains(allowed, "if-none-match") {
					t.Errorf("preflight %s %s = %d %v", m, p, res.StatusCode, res.Header)
				}
			}
		}
		got := e.doWith(t, req{method: "GET", path: s.path("p")}, "Origin", "https://lms.example.go.id")
		expect(t, got, 200)
		exposed := strings.ToLower(got.header.Get("Access-Control-Expose-Headers"))
		if got.header.Get("Access-Control-Allow-Origin") == "" || !strings.Contains(exposed, "etag") || !strings.Contains(exposed, "last-modified") {
			t.Errorf("GET with Origin: %v", got.header)
		}
	})
}

// ---- Activities ----

func TestActivities_Resource(t *testing.T) {
	e := newEnv(t)
	act := dtActivity()
	agent := dtMbox()
	cfPost(t, e, `{"actor":`+agent+`,"verb":{"id":"`+vCompleted+`"},"object":{"id":"`+act+`","definition":{
		"name":{"en-US":"Policy analysis"},"description":{"en-US":"A course on policy analysis"},
		"type":"http://adlnet.gov/expapi/activities/course"}}}`)
	cfPost(t, e, `{"actor":`+agent+`,"verb":{"id":"`+vCompleted+`"},"object":{"id":"`+act+`","definition":{
		"name":{"id-ID":"Analisis kebijakan"},"description":{"id-ID":"Kursus analisis kebijakan"},
		"moreInfo":"https://lms.example.go.id/info","extensions":{"https://jejak.id/xapi/jp":4}}}}`)
	parent := dtActivity()
	cfPost(t, e, `{"actor":`+agent+`,"verb":{"id":"`+vCompleted+`"},"object":{"id":"`+dtActivity()+`"},
		"context":{"contextActivities":{"parent":[{"id":"`+parent+`","definition":{"name":{"id-ID":"Program induk"}}}]}}}`)
	bare := dtActivity()
	cfPost(t, e, cfStmt(agent, vCompleted, bare, ""))

	activity := func(t *testing.T, id, version string) map[string]any {
		t.Helper()
		got := dtGet(t, e, req{path: "/activities?activityId=" + url.QueryEscape(id), version: version})
		expect(t, got, 200)
		if !strings.HasPrefix(got.header.Get("Content-Type"), dtJSON) {
			t.Fatalf("Content-Type %q", got.header.Get("Content-Type"))
		}
		dtNoDuplicateKeys(t, got.body)
		var m map[string]any
		if err := json.Unmarshal([]byte(got.body), &m); err != nil {
			t.Fatalf("not a JSON object: %s", got.body)
		}
		if m["id"] != id || (m["objectType"] != nil && m["objectType"] != "Activity") {
			t.Fatalf("activity %s answered %s", id, got.body)
		}
		return m
	}

	t.Run("XAPI-00252 XAPI-00253 the Activities resource is base IRI + /activities and accepts GET", func(t *testing.T) {
		activity(t, act, "")
		for _, p := range []string{"/activity", "/activitys"} {
			if got := e.do(t, req{method: "GET", path: p + "?activityId=" + url.QueryEscape(act)}); got.status != 404 {
				t.Errorf("GET %s = %d", p, got.status)
			}
		}
	})
	t.Run("XAPI-00251 GET is 200 with the complete Activity object", func(t *testing.T) {
		for _, ver := range dtVersions {
			m := activity(t, act, ver)
			def, _ := m["definition"].(map[string]any)
			want := map[string]any{
				"name":        map[string]any{"en-US": "Policy analysis", "id-ID": "Analisis kebijakan"},
				"description": map[string]any{"en-US": "A course on policy analysis", "id-ID": "Kursus analisis kebijakan"},
				"type":        "http://adlnet.gov/expapi/activities/course",
				"moreInfo":    "https://lms.example.go.id/info",
				"extensions":  map[string]any{"https://jejak.id/xapi/jp": 4.0},
			}
			if !reflect.DeepEqual(def, want) {
				t.Fatalf("%s definition %v, want %v", ver, def, want)
			}
			// An activity met in a context, and one with no definition.
			if d, _ := activity(t, parent, ver)["definition"].(map[string]any); !reflect.DeepEqual(d, map[string]any{"name": map[string]any{"id-ID": "Program induk"}}) {
				t.Fatalf("parent definition %v", d)
			}
			if m := activity(t, bare, ver); m["definition"] != nil && !reflect.DeepEqual(m["definition"], map[string]any{}) {
				t.Fatalf("bare activity %v", m)
			}
		}
	})
	t.Run("XAPI-00254 two statements with another language each: GET has both", func(t *testing.T) {
		def := activity(t, act, "")["definition"].(map[string]any)
		for _, k := range []string{"name", "description"} {
			lm, _ := def[k].(map[string]any)
			if lm["en-US"] == nil || lm["id-ID"] == nil {
				t.Fatalf("%s %v lacks a language", k, lm)
			}
		}
	})
	t.Run("XAPI-00250 GET without activityId is 400", func(t *testing.T) {
		for _, ver := range dtVersions {
			got := dtGet(t, e, req{path: "/activities", version: ver})
			expect(t, got, 400, "activityId")
			expect(t, dtGet(t, e, req{path: "/activities?activityid=" + url.QueryEscape(act), version: ver}), 400)
		}
	})
	t.Run("an unknown activity is its id alone (Communication 2.5)", func(t *testing.T) {
		id := dtActivity()
		expect(t, dtGet(t, e, req{path: "/activities?activityId=" + url.QueryEscape(id)}), 200, `"objectType":"Activity"`, id)
	})
	t.Run("XAPI-00012 XAPI-00324 an activityId that is not an IRI, or another parameter, is 400", func(t *testing.T) {
		for _, p := range []string{"activityId=", "activityId=not+an+iri", "activityId=" + url.QueryEscape(act) + "&bogus=1", "activityId=" + url.QueryEscape(act) + "&agent=" + url.QueryEscape(dtSari)} {
			expect(t, dtGet(t, e, req{path: "/activities?" + p}), 400)
		}
	})
	t.Run("GETs carry an ETag (Communication 2.5: the resource has concurrency controls)", func(t *testing.T) {
		got := dtGet(t, e, req{path: "/activities?activityId=" + url.QueryEscape(act)})
		expect(t, got, 200)
		if got.header.Get("ETag") != dtETag(got.body) {
			t.Errorf("GET /activities: ETag %q, want %q", got.header.Get("ETag"), dtETag(got.body))
		}
	})
}

// ---- Agents ----

func TestAgents_Resource(t *testing.T) {
	e := newEnv(t)
	mbox := "mailto:" + uuid.NewString()[:8] + "@example.go.id"
	agent := `{"mbox":"` + mbox + `"}`
	cfPost(t, e, cfStmt(`{"objectType":"Agent","name":"Sari Wulandari","mbox":"`+mbox+`"}`, vCompleted, dtActivity(), ""))
	cfPost(t, e, cfStmt(`{"name":"Sari W.","mbox":"`+mbox+`"}`, vCompleted, dtActivity(), ""))
	cfPost(t, e, cfStmt(dtBayu, vCompleted, dtActivity(), `,"context":{"instructor":{"name":"Bu Sari","mbox":"`+mbox+`"}}`))
	cfPost(t, e, cfStmt(`{"name":"Orang Lain","mbox":"mailto:lain@example.go.id"}`, vCompleted, dtActivity(), ""))

	// person GETs the Person for agent and checks its shape: objectType
	// Person, every other property once and an array.
	person := func(t *testing.T, agent, version string) map[string][]any {
		t.Helper()
		got := dtGet(t, e, req{path: "/agents?agent=" + url.QueryEscape(agent), version: version})
		expect(t, got, 200)
		if !strings.HasPrefix(got.header.Get("Content-Type"), dtJSON) {
			t.Fatalf("Content-Type %q", got.header.Get("Content-Type"))
		}
		dtNoDuplicateKeys(t, got.body)
		var raw map[string]any
		if err := json.Unmarshal([]byte(got.body), &raw); err != nil {
			t.Fatalf("not a JSON object: %s", got.body)
		}
		if raw["objectType"] != "Person" {
			t.Fatalf("objectType %v: %s", raw["objectType"], got.body)
		}
		p := map[string][]any{}
		for k, v := range raw {
			switch k {
			case "objectType":
			case "name", "mbox", "mbox_sha1sum", "openid", "account":
				arr, ok := v.([]any)
				if !ok || len(arr) == 0 {
					t.Fatalf("%s is not a non-empty array: %s", k, got.body)
				}
				p[k] = arr
			default:
				t.Fatalf("Person has property %q: %s", k, got.body)
			}
		}
		return p
	}
	strs := func(t *testing.T, vs []any) []string {
		t.Helper()
		var out []string
		for _, v := range vs {
			s, ok := v.(string)
			if !ok {
				t.Fatalf("%v is not a string", v)
			}
			out = append(out, s)
		}
		slices.Sort(out)
		return out
	}

	t.Run("XAPI-00245 XAPI-00236 the Agents resource is base IRI + /agents and answers GET with a Person (200)", func(t *testing.T) {
		person(t, agent, "")
		for _, p := range []string{"/agent", "/person"} {
			if got := e.do(t, req{method: "GET", path: p + "?agent=" + url.QueryEscape(agent)}); got.status != 404 {
				t.Errorf("GET %s = %d", p, got.status)
			}
		}
	})
	t.Run("XAPI-00237 XAPI-00246 objectType is Person and every other property an array", func(t *testing.T) {
		for _, ver := range dtVersions {
			p := person(t, agent, ver)
			if len(p["mbox"]) != 1 || len(p["name"]) == 0 {
				t.Fatalf("%s: %v", ver, p)
			}
		}
	})
	t.Run("XAPI-00248 XAPI-00238 the Person has the names the agent went by, as an array of strings", func(t *testing.T) {
		p := person(t, agent, "")
		if got := strs(t, p["name"]); !slices.Equal(got, []string{"Bu Sari", "Sari W.", "Sari Wulandari"}) {
			t.Fatalf("names %v", got)
		}
	})
	t.Run("XAPI-00239 XAPI-00244 mbox is an array of mailto IRIs", func(t *testing.T) {
		p := person(t, agent, "")
		for _, m := range strs(t, p["mbox"]) {
			if !strings.HasPrefix(m, "mailto:") || !strings.Contains(m, "@") {
				t.Fatalf("mbox %q", m)
			}
		}
		if got := strs(t, p["mbox"]); !slices.Equal(got, []string{mbox}) {
			t.Fatalf("mbox %v", got)
		}
	})
	t.Run("XAPI-00240 mbox_sha1sum is an array of strings", func(t *testing.T) {
		sum := fmt.Sprintf("%x", sha1.Sum([]byte(mbox)))
		p := person(t, `{"mbox_sha1sum":"`+sum+`"}`, "")
		if got := strs(t, p["mbox_sha1sum"]); !slices.Equal(got, []string{sum}) {
			t.Fatalf("mbox_sha1sum %v", got)
		}
	})
	t.Run("XAPI-00241 openid is an array of strings", func(t *testing.T) {
		p := person(t, `{"openid":"https://openid.example.go.id/sari"}`, "")
		if got := strs(t, p["openid"]); !slices.Equal(got, []string{"https://openid.example.go.id/sari"}) {
			t.Fatalf("openid %v", got)
		}
	})
	t.Run("XAPI-00242 account is an array of account objects", func(t *testing.T) {
		p := person(t, dtBayu, "")
		want := []any{map[string]any{"homePage": "https://siasn.bkn.go.id", "name": "199201012019012002"}}
		if !reflect.DeepEqual(p["account"], want) {
			t.Fatalf("account %v", p["account"])
		}
	})
	t.Run("XAPI-00247 an agent the LRS does not know is a Person of what the request says", func(t *testing.T) {
		unknown := `{"objectType":"Agent","name":"Tamu","openid":"https://openid.example.go.id/` + uuid.NewString()[:8] + `"}`
		p := person(t, unknown, "")
		var a map[string]any
		_ = json.Unmarshal([]byte(unknown), &a)
		want := map[string][]any{"name": {"Tamu"}, "openid": {a["openid"]}}
		if !reflect.DeepEqual(p, want) {
			t.Fatalf("Person %v, want %v", p, want)
		}
		if p := person(t, `{"mbox":"mailto:baru@example.go.id"}`, ""); !reflect.DeepEqual(p, map[string][]any{"mbox": {"mailto:baru@example.go.id"}}) {
			t.Fatalf("Person %v", p)
		}
	})
	t.Run("XAPI-00243 GET without agent is 400", func(t *testing.T) {
		for _, ver := range dtVersions {
			expect(t, dtGet(t, e, req{path: "/agents", version: ver}), 400, "agent")
			expect(t, dtGet(t, e, req{path: "/agents?Agent=" + url.QueryEscape(agent), version: ver}), 400)
		}
	})
	t.Run("XAPI-00249 an agent that is not a valid Agent is 400", func(t *testing.T) {
		for _, a := range []string{
			"not JSON", mbox, `{"mbox":"` + mbox + `"`, "1", "null", `[]`,
			`{"name":"Sari"}`, `{"mbox":"sari@example.go.id"}`, `{"mbox":"` + mbox + `","openid":"http://openid.example.go.id/sari"}`,
			`{"account":{"name":"sari"}}`, `{"objectType":"Person","mbox":["` + mbox + `"]}`,
		} {
			if got := dtGet(t, e, req{path: "/agents?agent=" + url.QueryEscape(a)}); got.status != 400 {
				t.Errorf("GET /agents?agent=%s = %d %s, want 400", a, got.status, got.body)
			}
		}
	})
	t.Run("XAPI-00249 a Group is not an Agent: 400", func(t *testing.T) {
		for _, a := range []string{
			`{"objectType":"Group","mbox":"mailto:tim-integritas@example.go.id"}`,
			`{"objectType":"Group","name":"Tim","member":[` + agent + `]}`,
		} {
			if got := dtGet(t, e, req{path: "/agents?agent=" + url.QueryEscape(a)}); got.status != 400 {
				t.Errorf("GET /agents?agent=%s = %d %s, want 400 (Communication 2.4: the agent parameter is not a Group)", a, got.status, got.body)
			}
		}
	})
	t.Run("XAPI-00324 another parameter is 400", func(t *testing.T) {
		expect(t, dtGet(t, e, req{path: "/agents?agent=" + url.QueryEscape(agent) + "&bogus=1"}), 400, "bogus")
	})
	t.Run("GETs carry an ETag (Communication 2.4: the resource has concurrency controls)", func(t *testing.T) {
		got := dtGet(t, e, req{path: "/agents?agent=" + url.QueryEscape(agent)})
		expect(t, got, 200)
		if got.header.Get("ETag") != dtETag(got.body) {
			t.Errorf("GET /agents: ETag %q, want %q", got.header.Get("ETag"), dtETag(got.body))
		}
	})
}
