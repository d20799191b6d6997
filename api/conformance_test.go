package api_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/lrs"
)

// requirement is one line of a requirements file of testdata/conformance
// (statement-requirements.tsv, document-requirements.tsv).
type requirement struct{ id, file, text string }

// readTSV reads a tab-separated file of at least n fields per line.
func readTSV(t *testing.T, path string, n int) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if sc.Text() == "" || strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < n || !reqID.MatchString(fields[0]) || fields[0] != reqID.FindString(fields[0]) {
			t.Fatalf("%s:%d: want %d tab-separated fields starting with XAPI-nnnnn: %q", path, line, n, sc.Text())
		}
		rows = append(rows, fields)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

var (
	reqID     = regexp.MustCompile(`XAPI-\d{5}`)
	reqIDFunc = regexp.MustCompile(`XAPI_?(\d{5})`) // in a Go identifier: TestXAPI_00004…
)

// moduleRoot walks up from the working directory to the directory of go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// testedIDs returns the requirement ids named by the module's tests: in the
// name of a test function, in a subtest name (a string passed to Run, or a
// string of a table in a function that runs subtests by a computed name),
// and in the name of a fixture file under lrs/testdata. Comments don't count.
func testedIDs(t *testing.T, root string) map[string][]string {
	t.Helper()
	where := map[string][]string{} // id → places that name it
	add := func(s, place string) {
		for _, id := range reqID.FindAllString(s, -1) {
			where[id] = append(where[id], place)
		}
	}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules" || name == "vendor") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != root {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			// Someone may be editing the file: use what parsed.
			t.Logf("%s: %v", rel, err)
		}
		if f == nil {
			return nil
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			if strings.HasPrefix(fn.Name.Name, "Test") {
				for _, m := range reqIDFunc.FindAllStringSubmatch(fn.Name.Name, -1) {
					where["XAPI-"+m[1]] = append(where["XAPI-"+m[1]], rel+": "+fn.Name.Name)
				}
			}
			computed := false // a Run whose name is not a literal: names come from a table
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) != 2 {
					return true
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Run" {
					return true
				}
				ast.Inspect(call.Args[0], func(n ast.Node) bool {
					if s, ok := stringLit(n); ok {
						add(s, rel+": "+fn.Name.Name+"/"+s)
					}
					return true
				})
				if _, isLit := stringLit(call.Args[0]); !isLit {
					computed = true
				}
				return true
			})
			if !computed {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				cl, ok := n.(*ast.CompositeLit)
				if !ok {
					return true
				}
				for _, elt := range cl.Elts {
					if kv, ok := elt.(*ast.KeyValueExpr); ok {
						elt = kv.Value
					}
					if s, ok := stringLit(elt); ok {
						add(s, rel+": "+fn.Name.Name+"/"+s)
					}
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fixtures := filepath.Join(root, "lrs", "testdata")
	err = filepath.WalkDir(fixtures, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == "node_modules" && d.IsDir() {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		add(d.Name(), rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return where
}

func stringLit(n ast.Node) (string, bool) {
	lit, ok := n.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// requirementFiles are the requirement lists of testdata/conformance and the
// fewest requirements each must hold (a truncated file fails).
var requirementFiles = []struct {
	name string
	min  int
}{
	{"statement-requirements.tsv", 150}, // Statement and About resources, data, requests, security
	{"document-requirements.tsv", 130},  // State, Agents, Activities, Agent and Activity Profile resources
}

// TestConformance_Coverage checks that every requirement of the xAPI LRS
// conformance requirements 1.0.3 (statement-requirements.tsv and
// document-requirements.tsv: every resource) is named by a test or a
// fixture, or is listed as not applicable with a reason.
func TestConformance_Coverage(t *testing.T) {
	dir := filepath.Join("testdata", "conformance")
	var reqs []requirement
	known := map[string]string{} // id → the file that lists it
	for _, rf := range requirementFiles {
		rows := readTSV(t, filepath.Join(dir, rf.name), 3)
		for _, r := range rows {
			if known[r[0]] != "" {
				t.Errorf("%s: %s is listed in %s already", rf.name, r[0], known[r[0]])
			}
			known[r[0]] = rf.name
			reqs = append(reqs, requirement{r[0], r[1], r[2]})
		}
		if len(rows) < rf.min {
			t.Fatalf("%s: only %d requirements, want at least %d", rf.name, len(rows), rf.min)
		}
	}
	na := map[string]string{}
	for _, r := range readTSV(t, filepath.Join(dir, "not-applicable.tsv"), 2) {
		switch {
		case known[r[0]] == "":
			t.Errorf("not-applicable.tsv: %s is not a requirement of any requirements file", r[0])
		case strings.TrimSpace(r[1]) == "":
			t.Errorf("not-applicable.tsv: %s has no reason", r[0])
		case na[r[0]] != "":
			t.Errorf("not-applicable.tsv: %s twice", r[0])
		}
		na[r[0]] = r[1]
	}

	tested := testedIDs(t, moduleRoot(t))
	var missing []string
	nTested, nNA := 0, 0
	for _, r := range reqs {
		switch {
		case len(tested[r.id]) > 0:
			nTested++
			if na[r.id] != "" {
				t.Logf("%s is tested and also listed as not applicable (%s)", r.id, na[r.id])
			}
		case na[r.id] != "":
			nNA++
		default:
			missing = append(missing, r.id+"  "+r.file+"  "+r.text)
		}
	}
	sort.Strings(missing)
	t.Logf("%d requirements: %d named by tests or fixtures, %d not applicable, %d uncovered", len(reqs), nTested, nNA, len(missing))
	if len(missing) > 0 {
		t.Errorf("%d requirements have no test named after them (name the test, a subtest or a fixture after the id, or list the id in not-applicable.tsv with a reason):\n%s",
			len(missing), strings.Join(missing, "\n"))
	}
}

// ---- HTTP behaviour of the Statement and About resources ----

const (
	cfVoided   = "http://adlnet.gov/expapi/verbs/voided"
	cfAnn      = `{"objectType":"Agent","name":"Ann","mbox":"mailto:ann@example.go.id"}`
	cfBudi     = `{"objectType":"Agent","account":{"homePage":"https://siasn.bkn.go.id","name":"198001012005011001"}}`
	cfReg      = "c5f1e0a2-7b3d-4c9e-8f1a-2d6b4e8c0a11"
	cfISO8601T = `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`
)

// cfStmt is a statement by actor with verb on activity; extra is more
// top-level properties (",\"context\":{…}") or "".
func cfStmt(actor, verb, activity, extra string) string {
	return `{"actor":` + actor + `,"verb":{"id":"` + verb + `"},"object":{"id":"` + activity + `"}` + extra + `}`
}

// cfPost posts one statement and returns its id.
func cfPost(t *testing.T, e *env, body string) string {
	t.Helper()
	got := e.do(t, req{method: "POST", path: "/statements", body: body})
	expect(t, got, 200)
	var ids []string
	if err := json.Unmarshal([]byte(got.body), &ids); err != nil || len(ids) != 1 {
		t.Fatalf("POST answered %s", got.body)
	}
	return ids[0]
}

// cfObject decodes a JSON object.
func cfObject(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&m); err != nil || m == nil {
		t.Fatalf("not a JSON object (%v): %s", err, body)
	}
	return m
}

// cfResult is a StatementResult.
type cfResult struct {
	Statements []map[string]any
	More       string
}

// cfList GETs path and decodes the StatementResult, checking its shape: an
// object with exactly one "statements" array and at most one "more" string.
func cfList(t *testing.T, e *env, path string) cfResult {
	t.Helper()
	got := e.do(t, req{method: "GET", path: path})
	expect(t, got, 200)
	cfCheckResultShape(t, got.body)
	var res cfResult
	if err := json.Unmarshal([]byte(got.body), &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// cfCheckResultShape checks the top level of a StatementResult token by
// token, so that duplicate keys are seen.
func cfCheckResultShape(t *testing.T, body string) {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(body))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("StatementResult is not an object: %s", body)
	}
	keys := map[string]int{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		k := tok.(string)
		keys[k]++
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		switch k {
		case "statements":
			if !strings.HasPrefix(string(v), "[") {
				t.Fatalf("statements is not an array: %s", v)
			}
		case "more":
			if !strings.HasPrefix(string(v), `"`) {
				t.Fatalf("more is not a string: %s", v)
			}
		default:
			t.Fatalf("StatementResult has property %q: %s", k, body)
		}
	}
	if keys["statements"] != 1 || keys["more"] > 1 {
		t.Fatalf("StatementResult keys %v: %s", keys, body)
	}
}

// cfMorePath turns a more IRL into a path under e.url.
func cfMorePath(t *testing.T, more string) string {
	t.Helper()
	u, err := url.Parse(more)
	if err != nil || !strings.HasPrefix(u.Path, "/xapi/statements") {
		t.Fatalf("more %q is not an IRL of the statement resource", more)
	}
	return strings.TrimPrefix(u.RequestURI(), "/xapi")
}

func cfIDs(res cfResult) []string {
	var ids []string
	for _, s := range res.Statements {
		id, _ := s["id"].(string)
		ids = append(ids, id)
	}
	return ids
}

var allowedErrorStatus = map[int]bool{400: true, 401: true, 403: true, 404: true, 409: true, 412: true, 413: true, 429: true, 500: true}

func TestConformance_StatementResource(t *testing.T) {
	e := newEnv(t)
	id := uuid.NewString()
	expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: cfStmt(cfAnn, vCompleted, "http://e.com/cf/1", "")}), 204)

	t.Run("XAPI-00139 the Statement resource is base IRI + /statements", func(t *testing.T) {
		got := e.do(t, req{method: "GET", path: "/statements"})
		expect(t, got, 200, `"statements"`)
		expect(t, e.do(t, req{method: "GET", path: "/statement"}), 404)
	})
	t.Run("XAPI-00159 accepts GET", func(t *testing.T) {
		got := e.do(t, req{method: "GET", path: "/statements"})
		expect(t, got, 200)
		if !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") {
			t.Fatalf("Content-Type %q", got.header.Get("Content-Type"))
		}
	})
	t.Run("XAPI-00147 accepts POST of one statement", func(t *testing.T) {
		got := e.do(t, req{method: "POST", path: "/statements", body: cfStmt(cfAnn, vCompleted, "http://e.com/cf/post", "")})
		expect(t, got, 200)
		var ids []string
		if err := json.Unmarshal([]byte(got.body), &ids); err != nil || len(ids) != 1 || !lrs.IsUUID(ids[0]) {
			t.Fatalf("POST answered %s", got.body)
		}
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + ids[0]}), 200, "http://e.com/cf/post")
	})
	t.Run("XAPI-00144 PUT is accepted only with statementId, with 204", func(t *testing.T) {
		other := uuid.NewString()
		got := e.do(t, req{method: "PUT", path: "/statements?statementId=" + other, body: cfStmt(cfAnn, vCompleted, "http://e.com/cf/put", "")})
		expect(t, got, 204)
		if got.body != "" {
			t.Fatalf("204 with a body: %q", got.body)
		}
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + other}), 200, "http://e.com/cf/put")
		// An id in the body does not stand in for the parameter.
		third := uuid.NewString()
		expect(t, e.do(t, req{method: "PUT", path: "/statements", body: `{"id":"` + third + `",` + cfStmt(cfAnn, vCompleted, "http://e.com/cf/put", "")[1:]}), 400, "statementId")
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + third}), 404)
	})
	t.Run("XAPI-00154 GET without statementId or voidedStatementId is a StatementResult", func(t *testing.T) {
		res := cfList(t, e, "/statements")
		if len(res.Statements) == 0 {
			t.Fatal("no statements")
		}
	})
	t.Run("XAPI-00158 GET with statementId is the one statement", func(t *testing.T) {
		got := e.do(t, req{method: "GET", path: "/statements?statementId=" + id})
		expect(t, got, 200)
		m := cfObject(t, got.body)
		if m["id"] != id || m["statements"] != nil {
			t.Fatalf("GET statementId answered %s", got.body)
		}
	})
	t.Run("XAPI-00157 GET with voidedStatementId is the one voided statement", func(t *testing.T) {
		target := cfPost(t, e, cfStmt(cfAnn, vCompleted, "http://e.com/cf/voided", ""))
		cfPost(t, e, `{"actor":`+cfBudi+`,"verb":{"id":"`+cfVoided+`"},"object":{"objectType":"StatementRef","id":"`+target+`"}}`)
		got := e.do(t, req{method: "GET", path: "/statements?voidedStatementId=" + target})
		expect(t, got, 200)
		m := cfObject(t, got.body)
		if m["id"] != target || m["statements"] != nil {
			t.Fatalf("GET voidedStatementId answered %s", got.body)
		}
	})
	t.Run("XAPI-00160 consistent-through is an ISO 8601 combined date and time", func(t *testing.T) {
		re := regexp.MustCompile(cfISO8601T)
		for _, p := range []string{"/statements", "/statements?statementId=" + id, "/statements?statementId=" + uuid.NewString(), "/statements?limit=x"} {
			got := e.do(t, req{method: "GET", path: p})
			ct := got.header.Get("X-Experience-API-Consistent-Through")
			if !re.MatchString(ct) {
				t.Fatalf("GET %s (%d): consistent-through %q", p, got.status, ct)
			}
			if _, err := time.Parse(time.RFC3339Nano, ct); err != nil {
				t.Fatalf("GET %s: consistent-through %q: %v", p, ct, err)
			}
		}
	})
	t.Run("XAPI-00165 GET responses have a Content-Type", func(t *testing.T) {
		for _, p := range []string{"/statements", "/statements?statementId=" + id, "/statements?statementId=" + uuid.NewString(), "/statements?bogus=1"} {
			got := e.do(t, req{method: "GET", path: p})
			if !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") {
				t.Fatalf("GET %s (%d): Content-Type %q", p, got.status, got.header.Get("Content-Type"))
			}
		}
	})
	t.Run("XAPI-00168 format defaults to exact", func(t *testing.T) {
		for _, p := range []string{"/statements?statementId=" + id, "/statements?verb=" + url.QueryEscape(vCompleted)} {
			sep := "&"
			plain := e.do(t, req{method: "GET", path: p})
			exact := e.do(t, req{method: "GET", path: p + sep + "format=exact"})
			expect(t, plain, 200)
			expect(t, exact, 200)
			if plain.body != exact.body {
				t.Fatalf("GET %s without format:\n%s\nwith format=exact:\n%s", p, plain.body, exact.body)
			}
		}
	})
	t.Run("XAPI-00097 stored is assigned on receipt", func(t *testing.T) {
		before := time.Now().Add(-time.Second)
		sid := cfPost(t, e, cfStmt(cfAnn, vCompleted, "http://e.com/cf/stored", `,"stored":"2001-01-01T00:00:00.000Z","timestamp":"2001-01-01T00:00:00.000Z"`))
		after := time.Now().Add(time.Second)
		got := e.do(t, req{method: "GET", path: "/statements?statementId=" + sid})
		expect(t, got, 200)
		m := cfObject(t, got.body)
		s, _ := m["stored"].(string)
		stored, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || stored.Before(before) || stored.After(after) {
			t.Fatalf("stored %q, want a time between %v and %v", s, before, after)
		}
	})
	t.Run("XAPI-00099 authority is filled in when absent", func(t *testing.T) {
		got := e.do(t, req{method: "GET", path: "/statements?statementId=" + id})
		m := cfObject(t, got.body)
		auth, ok := m["authority"].(map[string]any)
		if !ok {
			t.Fatalf("no authority: %s", got.body)
		}
		ifis := 0
		for _, k := range []string{"mbox", "mbox_sha1sum", "openid", "account"} {
			if auth[k] != nil {
				ifis++
			}
		}
		if ot := auth["objectType"]; (ot != nil && ot != "Agent" && ot != "Group") || (ifis != 1 && auth["member"] == nil) {
			t.Fatalf("authority is not an Agent or Group: %v", auth)
		}
	})
	t.Run("XAPI-00096 context activities come back as arrays", func(t *testing.T) {
		ctx := `,"context":{"contextActivities":{"parent":{"id":"http://e.com/cf/p"},"grouping":{"id":"http://e.com/cf/g"},"category":{"id":"http://e.com/cf/c"},"other":{"id":"http://e.com/cf/o"}}}`
		sid := cfPost(t, e, cfStmt(cfAnn, vCompleted, "http://e.com/cf/ctx", ctx))
		for _, p := range []string{"", "&format=exact", "&format=ids", "&format=canonical"} {
			got := e.do(t, req{method: "GET", path: "/statements?statementId=" + sid + p})
			expect(t, got, 200)
			var st struct {
				Context struct{ ContextActivities map[string]json.RawMessage }
			}
			if err := json.Unmarshal([]byte(got.body), &st); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"parent", "grouping", "category", "other"} {
				var list []struct{ ID string }
				if err := json.Unmarshal(st.Context.ContextActivities[k], &list); err != nil || len(list) != 1 || list[0].ID != "http://e.com/cf/"+k[:1] {
					t.Fatalf("format %q: contextActivities.%s = %s", p, k, st.Context.ContextActivities[k])
				}
			}
		}
	})
	t.Run("XAPI-00119 extension values may be null, empty strings or empty objects", func(t *testing.T) {
		ext := `{"http://e.com/ext/null":null,"http://e.com/ext/empty":"","http://e.com/ext/obj":{},"http://e.com/ext/arr":[]}`
		body := `{"actor":` + cfAnn + `,"verb":{"id":"` + vCompleted + `"},"object":{"id":"http://e.com/cf/ext","definition":{"extensions":` + ext + `}},` +
			`"result":{"extensions":` + ext + `},"context":{"extensions":` + ext + `}}`
		sid := uuid.NewString()
		expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + sid, body: body}), 204)
		cfPost(t, e, body)
		got := e.do(t, req{method: "GET", path: "/statements?statementId=" + sid})
		expect(t, got, 200)
		var st struct {
			Result, Context struct{ Extensions map[string]any }
		}
		if err := json.Unmarshal([]byte(got.body), &st); err != nil {
			t.Fatal(err)
		}
		for _, exts := range []map[string]any{st.Result.Extensions, st.Context.Extensions} {
			v, ok := exts["http://e.com/ext/null"]
			if !ok || v != nil || exts["http://e.com/ext/empty"] != "" || len(exts) != 4 {
				t.Fatalf("extensions came back as %v: %s", exts, got.body)
			}
		}
	})
	t.Run("XAPI-00002 numbers keep at least 32-bit float precision", func(t *testing.T) {
		nums := map[string]float64{
			"scaled": 0.12345679104328156,
			"raw":    1.1754943508222875e-38,
			"min":    -3.4028234663852886e+38,
			"max":    3.4028234663852886e+38,
		}
		exts := map[string]float64{"http://e.com/ext/a": 16777215, "http://e.com/ext/b": 0.1, "http://e.com/ext/c": 1.401298464324817e-45, "http://e.com/ext/d": -123456.7890625}
		score, _ := json.Marshal(nums)
		ext, _ := json.Marshal(exts)
		sid := cfPost(t, e, cfStmt(cfAnn, vCompleted, "http://e.com/cf/float", `,"result":{"score":`+string(score)+`,"extensions":`+string(ext)+`}`))
		got := e.do(t, req{method: "GET", path: "/statements?statementId=" + sid})
		var st struct {
			Result struct {
				Score      map[string]float64
				Extensions map[string]float64
			}
		}
		if err := json.Unmarshal([]byte(got.body), &st); err != nil {
			t.Fatalf("%v: %s", err, got.body)
		}
		for k, want := range nums {
			if g, ok := st.Result.Score[k]; !ok || float32(g) != float32(want) {
				t.Errorf("score.%s = %v, sent %v", k, g, want)
			}
		}
		for k, want := range exts {
			if g, ok := st.Result.Extensions[k]; !ok || float32(g) != float32(want) {
				t.Errorf("extension %s = %v, sent %v", k, g, want)
			}
		}
	})
	t.Run("XAPI-00014 bodies that are not well-formed JSON are 400", func(t *testing.T) {
		good := cfStmt(cfAnn, vCompleted, "http://e.com/cf/json", "")
		for _, b := range []string{
			`{"actor":`,
			good + `}`,
			good + good,
			good + ` x`,
			`{'actor':` + cfAnn + `,'verb':{'id':'` + vCompleted + `'},'object':{'id':'http://e.com/cf/json'}}`,
			`{actor:` + cfAnn + `,"verb":{"id":"` + vCompleted + `"},"object":{"id":"http://e.com/cf/json"}}`,
			good[:len(good)-1] + `,}`,
			strings.Replace(good, `"Ann"`, `"A`+"\t"+`nn"`, 1),
			strings.Replace(good, `"Ann"`, `"A\qnn"`, 1),
			good[:len(good)-1] + `,"result":{"score":{"raw":01}}}`,
		} {
			expect(t, e.do(t, req{method: "POST", path: "/statements", body: b}), 400)
			expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + uuid.NewString(), body: b}), 400)
		}
	})
	t.Run("XAPI-00127 PUT and POST need Content-Type application/json or multipart/mixed", func(t *testing.T) {
		body := cfStmt(cfAnn, vCompleted, "http://e.com/cf/ct", "")
		auth := []string{"Authorization", "Basic " + basic(e.key, e.secret), "X-Experience-API-Version", "1.0.3"}
		for _, ct := range []string{"", "text/plain", "application/xml", "application/x-www-form-urlencoded", "application/jsonx"} {
			h := auth
			if ct != "" {
				h = append(slices.Clone(auth), "Content-Type", ct)
			}
			sid := uuid.NewString()
			expect(t, e.raw(t, "PUT", "/statements?statementId="+sid, body, h...), 400)
			expect(t, e.raw(t, "POST", "/statements", body, h...), 400)
			expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + sid}), 404)
		}
		expect(t, e.raw(t, "POST", "/statements", body, append(slices.Clone(auth), "Content-Type", "application/json")...), 200)
	})
	t.Run("XAPI-00148 a POST carrying a GET answers a StatementResult", func(t *testing.T) {
		form := url.Values{
			"Authorization":            {"Basic " + basic(e.key, e.secret)},
			"X-Experience-API-Version": {"1.0.3"},
			"verb":                     {vCompleted},
			"limit":                    {"1"},
		}
		got := e.raw(t, "POST", "/statements?method=GET", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
		expect(t, got, 200)
		cfCheckResultShape(t, got.body)
		var res cfResult
		if err := json.Unmarshal([]byte(got.body), &res); err != nil || len(res.Statements) != 1 || res.More == "" {
			t.Fatalf("POST method=GET answered %s", got.body)
		}
	})
	t.Run("XAPI-00019 the voided verb makes a voiding statement, other verbs on a StatementRef do not", func(t *testing.T) {
		kept := cfPost(t, e, cfStmt(cfAnn, vCompleted, "http://e.com/cf/kept", ""))
		cfPost(t, e, `{"actor":`+cfBudi+`,"verb":{"id":"http://e.com/verbs/approved"},"object":{"objectType":"StatementRef","id":"`+kept+`"}}`)
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + kept}), 200)
		expect(t, e.do(t, req{method: "GET", path: "/statements?voidedStatementId=" + kept}), 404)

		gone := cfPost(t, e, cfStmt(cfAnn, vCompleted, "http://e.com/cf/gone", ""))
		cfPost(t, e, `{"actor":`+cfBudi+`,"verb":{"id":"`+cfVoided+`"},"object":{"objectType":"StatementRef","id":"`+gone+`"}}`)
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + gone}), 404)
		expect(t, e.do(t, req{method: "GET", path: "/statements?voidedStatementId=" + gone}), 200, gone)
	})
	t.Run("XAPI-00020 a voiding statement's object is a StatementRef", func(t *testing.T) {
		target := cfPost(t, e, cfStmt(cfAnn, vCompleted, "http://e.com/cf/target", ""))
		for _, obj := range []string{
			`{"objectType":"Activity","id":"http://e.com/cf/target"}`,
			`{"objectType":"Agent","mbox":"mailto:ann@example.go.id"}`,
			`{"objectType":"SubStatement","actor":` + cfAnn + `,"verb":{"id":"` + vCompleted + `"},"object":{"id":"http://e.com/cf/target"}}`,
		} {
			expect(t, e.do(t, req{method: "POST", path: "/statements", body: `{"actor":` + cfBudi + `,"verb":{"id":"` + cfVoided + `"},"object":` + obj + `}`}), 400, "StatementRef")
		}
		// Without objectType the object is an Activity, here with an id that is no IRI.
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: `{"actor":` + cfBudi + `,"verb":{"id":"` + cfVoided + `"},"object":{"id":"` + target + `"}}`}), 400)
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + target}), 200)
		void := cfPost(t, e, `{"actor":`+cfBudi+`,"verb":{"id":"`+cfVoided+`"},"object":{"objectType":"StatementRef","id":"`+target+`"}}`)
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + void}), 200, `"objectType":"StatementRef"`)
	})
	t.Run("XAPI-00330 a 1.0.0 statement is stored as sent", func(t *testing.T) {
		sent := `{"actor":` + cfAnn + `,"verb":{"id":"` + vCompleted + `","display":{"en-US":"completed"}},` +
			`"object":{"objectType":"Activity","id":"http://e.com/cf/old","definition":{"name":{"en-US":"Old"},"type":"http://adlnet.gov/expapi/activities/course"}},` +
			`"result":{"success":true,"completion":true,"response":"ok","duration":"PT1H","score":{"scaled":0.5}},` +
			`"context":{"registration":"` + cfReg + `","language":"en-US","platform":"p","revision":"r"},"version":"1.0.0"}`
		sid := uuid.NewString()
		expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + sid, body: sent}), 204)
		got := cfObject(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + sid + "&format=exact"}).body)
		want := cfObject(t, sent)
		for k, v := range want {
			if !reflect.DeepEqual(got[k], v) {
				t.Errorf("%s: sent %v, got %v", k, v, got[k])
			}
		}
	})
	t.Run("XAPI-00332 statements keep the version they were accepted with", func(t *testing.T) {
		for _, tc := range []struct{ header, version string }{{"1.0.3", "1.0.3"}, {"1.0.3", "1.0.1"}, {"1.0.3", "1.0"}, {"1.0.0", "1.0.3"}, {"2.0.0", "2.0.0"}, {"2.0.0", "1.0.3"}} {
			sid := uuid.NewString()
			expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + sid, version: tc.header, body: cfStmt(cfAnn, vCompleted, "http://e.com/cf/v", `,"version":"`+tc.version+`"`)}), 204)
			for _, read := range []string{tc.header, "1.0.3", "2.0.0"} {
				if strings.HasPrefix(tc.version, "2.") && !strings.HasPrefix(read, "2.") {
					continue
				}
				got := e.do(t, req{method: "GET", path: "/statements?statementId=" + sid, version: read})
				if m := cfObject(t, got.body); m["version"] != tc.version {
					t.Errorf("accepted with version %s (header %s), read with header %s: version %v", tc.version, tc.header, read, m["version"])
				}
			}
		}
	})
	t.Run("XAPI-00335 HTTP Basic authentication", func(t *testing.T) {
		for _, scheme := range []string{"Basic", "basic", "BASIC"} {
			got := e.raw(t, "GET", "/statements?statementId="+id, "", "X-Experience-API-Version", "1.0.3", "Authorization", scheme+" "+basic(e.key, e.secret))
			expect(t, got, 200, id)
		}
		got := e.raw(t, "GET", "/statements?statementId="+id, "", "X-Experience-API-Version", "1.0.3", "Authorization", "Basic "+basic(e.key, e.secret+"x"))
		expect(t, got, 401)
		got = e.raw(t, "GET", "/statements?statementId="+id, "", "X-Experience-API-Version", "1.0.3", "Authorization", "Bearer "+e.secret)
		expect(t, got, 401)
	})
	t.Run("XAPI-00323 statements are rejected only with the spec's error codes", func(t *testing.T) {
		good := cfStmt(cfAnn, vCompleted, "http://e.com/cf/codes", "")
		big := cfStmt(cfAnn, vCompleted, "http://e.com/cf/"+strings.Repeat("x", 1100<<10), "")
		cases := []struct {
			name string
			r    req
		}{
			{"malformed", req{method: "POST", path: "/statements", body: `{"actor":`}},
			{"invalid", req{method: "POST", path: "/statements", body: `{"actor":` + cfAnn + `}`}},
			{"conflict", req{method: "PUT", path: "/statements?statementId=" + id, body: cfStmt(cfAnn, vCompleted, "http://e.com/cf/other", "")}},
			{"too large", req{method: "POST", path: "/statements", body: big}},
			{"no credentials", req{method: "POST", path: "/statements", body: good, noAuth: true}},
			{"wrong secret", req{method: "PUT", path: "/statements?statementId=" + uuid.NewString(), body: good, secret: "nope"}},
			{"no version", req{method: "POST", path: "/statements", body: good, version: "-"}},
			{"bad version", req{method: "POST", path: "/statements", body: good, version: "3.0.0"}},
			{"no statementId", req{method: "PUT", path: "/statements", body: good}},
			{"bad statementId", req{method: "PUT", path: "/statements?statementId=x", body: good}},
			{"unknown parameter", req{method: "POST", path: "/statements?statementId=" + uuid.NewString(), body: good}},
			{"wrong content type", req{method: "POST", path: "/statements", body: good, contentType: "text/plain"}},
			{"array on PUT", req{method: "PUT", path: "/statements?statementId=" + uuid.NewString(), body: "[" + good + "]"}},
			{"empty body", req{method: "POST", path: "/statements", body: " "}},
		}
		for _, c := range cases {
			got := e.do(t, c.r)
			if got.status < 400 || !allowedErrorStatus[got.status] {
				t.Errorf("%s: %s %s answered %d %s", c.name, c.r.method, c.r.path, got.status, got.body)
			}
		}
	})
	t.Run("XAPI-00163 a voided statement is returned only by voidedStatementId", func(t *testing.T) {
		before := time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano)
		act := "http://e.com/cf/v163"
		ctx := `,"context":{"registration":"` + cfReg + `","instructor":` + cfBudi + `,"contextActivities":{"parent":[{"id":"http://e.com/cf/v163-parent"}]}}`
		voided := cfPost(t, e, cfStmt(cfAnn, vAttended, act, ctx))
		cfPost(t, e, `{"actor":`+cfBudi+`,"verb":{"id":"`+cfVoided+`"},"object":{"objectType":"StatementRef","id":"`+voided+`"}}`)
		for _, q := range []string{
			"",
			"verb=" + url.QueryEscape(vAttended),
			"activity=" + url.QueryEscape(act),
			"activity=" + url.QueryEscape("http://e.com/cf/v163-parent") + "&related_activities=true",
			"agent=" + url.QueryEscape(cfAnn),
			"agent=" + url.QueryEscape(cfBudi) + "&related_agents=true",
			"registration=" + cfReg,
			"since=" + url.QueryEscape(before),
			"since=" + url.QueryEscape(before) + "&ascending=true&limit=1",
			"format=ids",
		} {
			path := "/statements?" + q
			for pages := 0; path != ""; pages++ {
				if pages > 100 {
					t.Fatal("too many pages")
				}
				res := cfList(t, e, path)
				if slices.Contains(cfIDs(res), voided) {
					t.Fatalf("GET /statements?%s returned the voided statement", q)
				}
				path = ""
				if res.More != "" {
					path = cfMorePath(t, res.More)
				}
			}
		}
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + voided}), 404)
		expect(t, e.do(t, req{method: "GET", path: "/statements?voidedStatementId=" + voided}), 200, voided)
	})
}

func TestConformance_StatementResult(t *testing.T) {
	e := newEnv(t)
	// A model of what is stored: each statement's actor, verb, activity,
	// registration and stored time, to check every result against.
	type sent struct {
		id, actor, verb, activity, reg string
		stored                         time.Time
	}
	actors := []string{cfAnn, cfBudi}
	verbs := []string{vCompleted, vAttended}
	acts := []string{"http://e.com/cf/r/1", "http://e.com/cf/r/2", "http://e.com/cf/r/3"}
	var all []sent
	for i := range 12 {
		s := sent{actor: actors[i%2], verb: verbs[(i/2)%2], activity: acts[i%3]}
		extra := ""
		if i%4 == 0 {
			s.reg = cfReg
			extra = `,"context":{"registration":"` + cfReg + `"}`
		}
		s.id = cfPost(t, e, cfStmt(s.actor, s.verb, s.activity, extra))
		one := cfObject(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + s.id}).body)
		s.stored, _ = time.Parse(time.RFC3339Nano, one["stored"].(string))
		all = append(all, s)
		time.Sleep(2 * time.Millisecond)
	}
	// everything follows every more link of a query and returns the pages.
	everything := func(t *testing.T, path string) []cfResult {
		t.Helper()
		var pages []cfResult
		for path != "" {
			if len(pages) > 50 {
				t.Fatal("too many pages")
			}
			res := cfList(t, e, path)
			pages = append(pages, res)
			path = ""
			if res.More != "" {
				path = cfMorePath(t, res.More)
			}
		}
		return pages
	}
	ids := func(pages []cfResult) []string {
		var out []string
		for _, p := range pages {
			out = append(out, cfIDs(p)...)
		}
		return out
	}

	t.Run("XAPI-00110 statements is an array of statements", func(t *testing.T) {
		res := cfList(t, e, "/statements?limit=5")
		if len(res.Statements) != 5 {
			t.Fatalf("%d statements", len(res.Statements))
		}
		for _, s := range res.Statements {
			id, _ := s["id"].(string)
			if !lrs.IsUUID(id) || s["actor"] == nil || s["verb"] == nil || s["object"] == nil || s["stored"] == nil || s["authority"] == nil {
				t.Fatalf("not a statement: %v", s)
			}
		}
	})
	t.Run("XAPI-00112 an empty result is 200 with an empty statements array", func(t *testing.T) {
		got := e.do(t, req{method: "GET", path: "/statements?verb=" + url.QueryEscape("http://e.com/verbs/never")})
		expect(t, got, 200)
		cfCheckResultShape(t, got.body)
		var res struct {
			Statements *[]json.RawMessage
			More       string
		}
		if err := json.Unmarshal([]byte(got.body), &res); err != nil || res.Statements == nil || len(*res.Statements) != 0 || res.More != "" {
			t.Fatalf("empty result %s", got.body)
		}
	})
	t.Run("XAPI-00113 one statements and one more property; more while results remain", func(t *testing.T) {
		res := cfList(t, e, "/statements?limit=11")
		if len(res.Statements) != 11 || res.More == "" {
			t.Fatalf("limit 11 of 12: %d statements, more %q", len(res.Statements), res.More)
		}
		last := cfList(t, e, cfMorePath(t, res.More))
		if len(last.Statements) != 1 || last.More != "" {
			t.Fatalf("last page: %d statements, more %q", len(last.Statements), last.More)
		}
		whole := cfList(t, e, "/statements?limit=12")
		if len(whole.Statements) != 12 || whole.More != "" {
			t.Fatalf("limit 12 of 12: %d statements, more %q", len(whole.Statements), whole.More)
		}
	})
	t.Run("XAPI-00114 a paginated result has a container for each page", func(t *testing.T) {
		pages := everything(t, "/statements?limit=5&ascending=true")
		if len(pages) != 3 || len(pages[0].Statements) != 5 || len(pages[1].Statements) != 5 || len(pages[2].Statements) != 2 {
			t.Fatalf("pages of 5 over 12 statements: %d pages", len(pages))
		}
		got := ids(pages)
		for i, s := range all {
			if got[i] != s.id {
				t.Fatalf("page order %v", got)
			}
		}
	})
	t.Run("XAPI-00111 a more container follows the rules of the original request", func(t *testing.T) {
		q := "/statements?verb=" + url.QueryEscape(vAttended) + "&limit=2&format=ids"
		pages := everything(t, q)
		want := 0
		for _, s := range all {
			if s.verb == vAttended {
				want++
			}
		}
		got := ids(pages)
		if len(got) != want || len(pages) != (want+1)/2 {
			t.Fatalf("%d statements in %d pages, want %d", len(got), len(pages), want)
		}
		for _, p := range pages {
			if len(p.Statements) > 2 {
				t.Fatalf("a page of %d with limit 2", len(p.Statements))
			}
			for _, s := range p.Statements {
				if s["verb"].(map[string]any)["id"] != vAttended {
					t.Fatalf("a later page ignores the verb filter: %v", s)
				}
			}
		}
		seen := map[string]bool{}
		for _, id := range got {
			if seen[id] {
				t.Fatalf("%s on two pages", id)
			}
			seen[id] = true
		}
	})
	t.Run("XAPI-00173 limit", func(t *testing.T) {
		for _, tc := range []struct {
			q    string
			n    int
			more bool
		}{{"limit=1", 1, true}, {"limit=3", 3, true}, {"limit=12", 12, false}, {"limit=0", 12, false}, {"", 12, false}, {"limit=100", 12, false}} {
			res := cfList(t, e, "/statements?"+tc.q)
			if len(res.Statements) != tc.n || (res.More != "") != tc.more {
				t.Errorf("%q: %d statements, more %q; want %d, more %v", tc.q, len(res.Statements), res.More, tc.n, tc.more)
			}
		}
	})
	t.Run("XAPI-00164 statements match the filters", func(t *testing.T) {
		mid := all[5].stored.Format(time.RFC3339Nano)
		late := all[9].stored.Format(time.RFC3339Nano)
		tests := []struct {
			q     string
			match func(s sent) bool
		}{
			{"verb=" + url.QueryEscape(vAttended), func(s sent) bool { return s.verb == vAttended }},
			{"activity=" + url.QueryEscape(acts[1]), func(s sent) bool { return s.activity == acts[1] }},
			{"agent=" + url.QueryEscape(cfBudi), func(s sent) bool { return s.actor == cfBudi }},
			{"agent=" + url.QueryEscape(`{"mbox":"mailto:ann@example.go.id"}`), func(s sent) bool { return s.actor == cfAnn }},
			{"registration=" + cfReg, func(s sent) bool { return s.reg == cfReg }},
			{"since=" + url.QueryEscape(mid), func(s sent) bool { return s.stored.After(all[5].stored) }},
			{"until=" + url.QueryEscape(mid), func(s sent) bool { return !s.stored.After(all[5].stored) }},
			{"since=" + url.QueryEscape(mid) + "&until=" + url.QueryEscape(late), func(s sent) bool { return s.stored.After(all[5].stored) && !s.stored.After(all[9].stored) }},
			{"verb=" + url.QueryEscape(vCompleted) + "&agent=" + url.QueryEscape(cfAnn) + "&activity=" + url.QueryEscape(acts[0]), func(s sent) bool {
				return s.verb == vCompleted && s.actor == cfAnn && s.activity == acts[0]
			}},
		}
		for _, tt := range tests {
			var want []string
			for i := len(all) - 1; i >= 0; i-- { // newest first
				if tt.match(all[i]) {
					want = append(want, all[i].id)
				}
			}
			if len(want) == 0 {
				t.Fatalf("%s: the model matches nothing", tt.q)
			}
			got := ids(everything(t, "/statements?limit=2&"+tt.q))
			if !slices.Equal(got, want) {
				t.Errorf("%s:\n got  %v\n want %v", tt.q, got, want)
			}
		}
	})
}

// TestXAPI00024_XAPI00100_AuthorityAgentOrAnonymousPair: a statement's
// authority, as the client sent it, is an Agent or an anonymous Group of
// exactly two Agents (Data 2.4.9). An identified Group, with members or
// without, or a Group of another size is refused with 400 before anything is
// stored; an acceptable one is then replaced by the credential's authority.
func TestXAPI00024_XAPI00100_AuthorityAgentOrAnonymousPair(t *testing.T) {
	e := newEnv(t)
	const (
		oauth = `{"account":{"homePage":"http://example.com/xAPI/OAuth/Token","name":"oauth_consumer_x75db"}}`
		bob   = `{"mbox":"mailto:bob@example.com"}`
		james = `{"mbox":"mailto:james@example.com"}`
		pair  = `"member":[` + oauth + `,` + bob + `]`
	)
	refused := map[string]string{
		"identified Group (mbox) with two members":         `{"objectType":"Group","mbox":"mailto:team@example.com",` + pair + `}`,
		"identified Group (mbox_sha1sum) with two members": `{"objectType":"Group","mbox_sha1sum":"cd9b00a5611f94eaa7b1661edab976068e364975",` + pair + `}`,
		"identified Group (openid) with two members":       `{"objectType":"Group","openid":"http://openid.example.org/12345",` + pair + `}`,
		"identified Group (account) with two members":      `{"objectType":"Group","account":{"homePage":"http://www.example.com","name":"xAPI account name"},` + pair + `}`,
		"identified Group without members":                 `{"objectType":"Group","openid":"http://openid.example.org/12345"}`,
		"anonymous Group of one Agent":                     `{"objectType":"Group","member":[` + bob + `]}`,
		"anonymous Group of three Agents":                  `{"objectType":"Group","member":[` + oauth + `,` + bob + `,` + james + `]}`,
	}
	accepted := map[string]string{
		"Agent":                         cfAnn,
		"anonymous Group of two Agents": `{"objectType":"Group",` + pair + `}`,
	}
	for _, ver := range []string{"1.0.3", "2.0.0"} {
		for name, authority := range refused {
			t.Run(ver+"/refused/"+name, func(t *testing.T) {
				id := uuid.NewString()
				body := cfStmt(cfAnn, vCompleted, "http://e.com/cf/authority", `,"authority":`+authority)
				expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: body, version: ver}), 400, "authority")
				expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id, version: ver}), 404)
			})
		}
		for name, authority := range accepted {
			t.Run(ver+"/accepted/"+name, func(t *testing.T) {
				id := uuid.NewString()
				body := cfStmt(cfAnn, vCompleted, "http://e.com/cf/authority", `,"authority":`+authority)
				expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: body, version: ver}), 204)
				got := e.do(t, req{method: "GET", path: "/statements?statementId=" + id, version: ver})
				expect(t, got, 200)
				auth, _ := cfObject(t, got.body)["authority"].(map[string]any)
				if b, _ := json.Marshal(auth); strings.Contains(string(b), "bob@example.com") || strings.Contains(string(b), "ann@example.go.id") || auth == nil {
					t.Fatalf("authority %s: not the credential's", b)
				}
			})
		}
	}
}

// TestXAPI00048_EmptyActivityDefinitionAccepted: an Activity's definition is
// an object whose properties are all optional, so {} is a valid definition,
// in a statement's object and inside a SubStatement (Data 2.4.4.1): it is
// accepted and stored as sent, under both versions.
func TestXAPI00048_EmptyActivityDefinitionAccepted(t *testing.T) {
	e := newEnv(t)
	bodies := map[string]string{
		"object": `{"actor":` + cfAnn + `,"verb":{"id":"` + vCompleted + `"},"object":{"objectType":"Activity","id":"http://e.com/cf/empty-def","definition":{}}}`,
		"SubStatement": `{"actor":` + cfAnn + `,"verb":{"id":"` + vCompleted + `"},"object":{"objectType":"SubStatement","actor":` + cfBudi +
			`,"verb":{"id":"` + vCompleted + `"},"object":{"id":"http://e.com/cf/empty-def-sub","definition":{}}}}`,
	}
	for _, ver := range []string{"1.0.3", "2.0.0"} {
		for name, body := range bodies {
			t.Run(ver+"/"+name, func(t *testing.T) {
				got := e.do(t, req{method: "POST", path: "/statements", body: body, version: ver})
				expect(t, got, 200)
				var ids []string
				if err := json.Unmarshal([]byte(got.body), &ids); err != nil || len(ids) != 1 {
					t.Fatalf("POST answered %s", got.body)
				}
				for _, format := range []string{"exact", "ids", "canonical"} {
					got := e.do(t, req{method: "GET", path: "/statements?format=" + format + "&statementId=" + ids[0], version: ver})
					expect(t, got, 200)
					if format != "exact" {
						continue
					}
					obj, _ := cfObject(t, got.body)["object"].(map[string]any)
					if name == "SubStatement" {
						obj, _ = obj["object"].(map[string]any)
					}
					if def, ok := obj["definition"].(map[string]any); !ok || len(def) != 0 {
						t.Fatalf("definition not kept as {}: %s", got.body)
					}
				}
			})
		}
	}
}

// TestXAPI00122_TimestampSetToStored: a statement that comes without a
// timestamp is returned with timestamp = stored, to the millisecond, in
// every format and from every query (Data 2.4.7; a MUST in xAPI 2.0); a
// timestamp the client sent is kept. The log keeps the statement as sent, so
// the same statement sent again without timestamp under its id is the same
// statement, not a conflict.
func TestXAPI00122_TimestampSetToStored(t *testing.T) {
	e := newEnv(t)
	for _, ver := range []string{"1.0.3", "2.0.0"} {
		t.Run(ver, func(t *testing.T) {
			id, dated := uuid.NewString(), uuid.NewString()
			activity := "http://e.com/cf/timestamp/" + ver
			body := `{"id":"` + id + `",` + cfStmt(cfAnn, vCompleted, activity, "")[1:]
			expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: body, version: ver}), 204)
			const ts = "2013-05-18T05:32:34.804Z"
			expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + dated, body: cfStmt(cfAnn, vCompleted, activity, `,"timestamp":"`+ts+`"`), version: ver}), 204)

			check := func(t *testing.T, s map[string]any) {
				t.Helper()
				stored, _ := s["stored"].(string)
				got, _ := s["timestamp"].(string)
				want := stored
				if s["id"] == dated {
					want = ts
				}
				if stored == "" || got != want || !regexp.MustCompile(`\.\d{3}`).MatchString(got) {
					t.Fatalf("statement %v: timestamp %q, stored %q, want timestamp %q", s["id"], got, stored, want)
				}
			}
			for _, format := range []string{"exact", "ids", "canonical"} {
				for _, sid := range []string{id, dated} {
					got := e.do(t, req{method: "GET", path: "/statements?format=" + format + "&statementId=" + sid, version: ver})
					expect(t, got, 200)
					check(t, cfObject(t, got.body))
				}
				res := cfList(t, e, "/statements?format="+format+"&activity="+url.QueryEscape(activity))
				if len(res.Statements) != 2 {
					t.Fatalf("format %s: %d statements, want 2", format, len(res.Statements))
				}
				for _, s := range res.Statements {
					check(t, s)
				}
			}

			// The same statement again, still without timestamp: no conflict,
			// and nothing changes.
			before := e.do(t, req{method: "GET", path: "/statements?statementId=" + id, version: ver}).body
			expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: body, version: ver}), 204)
			expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, version: ver}), 200, id)
			if after := e.do(t, req{method: "GET", path: "/statements?statementId=" + id, version: ver}).body; after != before {
				t.Fatalf("sent again, the statement changed:\n%s\n%s", before, after)
			}
			// A different timestamp under the same id is a different statement.
			expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: `{"id":"` + id + `",` + cfStmt(cfAnn, vCompleted, activity, `,"timestamp":"2020-01-01T00:00:00.000Z"`)[1:], version: ver}), 409)
		})
	}
}

// ---- Statement formats: ids and canonical (Communication 2.1.3) ----

// cfFormatStatement is a statement with every kind of object a format
// rewrites: an Agent actor, a SubStatement whose actor is an identified
// Group and whose object is an interaction Activity with language maps in
// its name, description and choices, context activities at both levels,
// anonymous and identified Groups in the contexts, and an attachment; each
// language map holds several languages. tag makes its ids its own.
func cfFormatStatement(tag string) string {
	act := func(id, name string) string {
		return `{"objectType":"Activity","id":"http://e.com/cf/fmt/` + tag + `/` + id + `","definition":{"name":{"en-GB":"` + name + ` (GB)","en-US":"` + name + ` (US)","id-ID":"` + name + ` (ID)"}}}`
	}
	return `{"actor":{"objectType":"Agent","name":"Ann","mbox":"mailto:ann.` + tag + `@example.go.id"},` +
		`"verb":{"id":"` + vAttended + `","display":{"en-GB":"attended","en-US":"attended","id-ID":"menghadiri"}},` +
		`"object":{"objectType":"SubStatement",` +
		`"actor":{"objectType":"Group","name":"Team","mbox":"mailto:team.` + tag + `@example.go.id"},` +
		`"verb":{"id":"http://e.com/cf/verbs/` + tag + `/marked","display":{"en-GB":"marked (GB)","en-US":"marked (US)","ja-JP":"マーク"}},` +
		`"object":{"objectType":"Activity","id":"http://e.com/cf/fmt/` + tag + `/map","definition":{` +
		`"name":{"en":"Other","en-GB":"Map (GB)","en-US":"Map (US)","ko-KR":"지도"},` +
		`"description":{"en-US":"Mark Franklin, TN (US)","en-GB":"Mark Franklin, TN (GB)"},` +
		`"type":"http://adlnet.gov/expapi/activities/cmi.interaction","moreInfo":"http://e.com/cf/more",` +
		`"interactionType":"choice","correctResponsesPattern":["a"],` +
		`"choices":[{"id":"a","description":{"en-GB":"A (GB)","en-US":"A (US)"}},{"id":"b","description":{"en-US":"B (US)","en-GB":"B (GB)"}}],` +
		`"extensions":{"http://e.com/ext/where":{"name":"Thomas"}}}},` +
		`"context":{"instructor":{"objectType":"Group","member":[{"name":"Mentor","mbox":"mailto:mentor@example.go.id"},{"objectType":"Agent","name":"Budi","account":{"homePage":"https://siasn.bkn.go.id","name":"198001012005011001"}}]},` +
		`"contextActivities":{"parent":[` + act("sub-parent", "Sub parent") + `]}}},` +
		`"context":{"team":{"objectType":"Group","name":"Unit","mbox":"mailto:unit.` + tag + `@example.go.id","member":[{"name":"Cici","mbox":"mailto:cici@example.go.id"}]},` +
		`"contextActivities":{"category":[` + act("category", "Category") + `],"grouping":[{"id":"http://e.com/cf/fmt/` + tag + `/grouping"}]}},` +
		`"attachments":[{"usageType":"http://e.com/cf/usage","display":{"en-GB":"Minutes (GB)","en-US":"Minutes (US)"},"description":{"en-US":"The minutes (US)","en-GB":"The minutes (GB)"},` +
		`"contentType":"text/plain","length":5,"sha2":"` + strings.Repeat("ab", 32) + `","fileUrl":"http://e.com/cf/minutes.txt"}]}`
}

// cfFormatReads returns the statement id as it comes back from each read of
// the Statement resource, in the format q: by statementId, in a
// StatementResult (the listing), and, for the voided copy voided, by
// voidedStatementId. The three reads must go one way: the test compares
// each with the same expectation.
func cfFormatReads(t *testing.T, e *env, id, voided, q string, headers ...string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	got := e.doWith(t, req{method: "GET", path: "/statements?statementId=" + id + "&" + q}, headers...)
	expect(t, got, 200)
	out["statementId"] = cfObject(t, got.body)
	got = e.doWith(t, req{method: "GET", path: "/statements?" + q}, headers...)
	expect(t, got, 200)
	cfCheckResultShape(t, got.body)
	var res struct{ Statements []map[string]any }
	if err := cfDecode(got.body, &res); err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Statements {
		if s["id"] == id {
			out["StatementResult"] = s
		}
	}
	if out["StatementResult"] == nil {
		t.Fatalf("the listing in format %q has no statement %s: %s", q, id, got.body)
	}
	got = e.doWith(t, req{method: "GET", path: "/statements?voidedStatementId=" + voided + "&" + q}, headers...)
	expect(t, got, 200)
	out["voidedStatementId"] = cfObject(t, got.body)
	return out
}

// cfDecode decodes JSON keeping numbers as text, as cfObject does.
func cfDecode(s string, v any) error {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	return d.Decode(v)
}

// cfJSON decodes a JSON value for comparison with a decoded response.
func cfJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := cfDecode(s, &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return v
}

// cfAt returns the value at a path of object keys and array indexes.
func cfAt(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// cfPostVoided posts body and voids it, returning its id.
func cfPostVoided(t *testing.T, e *env, body string) string {
	t.Helper()
	target := cfPost(t, e, body)
	cfPost(t, e, `{"actor":`+cfBudi+`,"verb":{"id":"`+cfVoided+`"},"object":{"objectType":"StatementRef","id":"`+target+`"}}`)
	return target
}

// TestXAPI00171_IDsFormat: with format=ids, Agents are their IFI (and
// objectType when sent), identified Groups their objectType and IFI,
// anonymous Groups their objectType and members so reduced, Activities
// their id alone, Verbs their id: in the statement, in its SubStatement and
// in both contexts; the same in every read (statementId, voidedStatementId,
// the StatementResult) and under both versions.
func TestXAPI00171_IDsFormat(t *testing.T) {
	e := newEnv(t)
	id := cfPost(t, e, cfFormatStatement("ids"))
	voided := cfPostVoided(t, e, cfFormatStatement("ids"))
	want := map[string]string{
		"actor":                     `{"objectType":"Agent","mbox":"mailto:ann.ids@example.go.id"}`,
		"verb":                      `{"id":"` + vAttended + `"}`,
		"object.actor":              `{"objectType":"Group","mbox":"mailto:team.ids@example.go.id"}`,
		"object.verb":               `{"id":"http://e.com/cf/verbs/ids/marked"}`,
		"object.object":             `{"id":"http://e.com/cf/fmt/ids/map"}`,
		"object.context.instructor": `{"objectType":"Group","member":[{"mbox":"mailto:mentor@example.go.id"},{"objectType":"Agent","account":{"homePage":"https://siasn.bkn.go.id","name":"198001012005011001"}}]}`,
		"object.context.parent":     `[{"id":"http://e.com/cf/fmt/ids/sub-parent"}]`,
		"context.team":              `{"objectType":"Group","mbox":"mailto:unit.ids@example.go.id"}`,
		"context.category":          `[{"id":"http://e.com/cf/fmt/ids/category"}]`,
		"context.grouping":          `[{"id":"http://e.com/cf/fmt/ids/grouping"}]`,
		"object.objectType":         `"SubStatement"`,
	}
	paths := map[string][]any{
		"actor":                     {"actor"},
		"verb":                      {"verb"},
		"object.actor":              {"object", "actor"},
		"object.verb":               {"object", "verb"},
		"object.object":             {"object", "object"},
		"object.context.instructor": {"object", "context", "instructor"},
		"object.context.parent":     {"object", "context", "contextActivities", "parent"},
		"context.team":              {"context", "team"},
		"context.category":          {"context", "contextActivities", "category"},
		"context.grouping":          {"context", "contextActivities", "grouping"},
		"object.objectType":         {"object", "objectType"},
	}
	for _, version := range []string{"1.0.3", "2.0.0"} {
		for read, st := range cfFormatReads(t, e, id, voided, "format=ids", "X-Experience-API-Version", version) {
			for name, w := range want {
				if got := cfAt(st, paths[name]...); !reflect.DeepEqual(got, cfJSON(t, w)) {
					t.Errorf("%s, %s: %s is %v, want %s", version, read, name, got, w)
				}
			}
		}
	}
}

// cfLanguageMaps returns, for each language map under a display, name or
// description key anywhere in v, its path and its languages.
func cfLanguageMaps(v any, path string, out map[string][]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, y := range x {
			if m, ok := y.(map[string]any); ok && (k == "display" || k == "name" || k == "description") {
				var langs []string
				for l := range m {
					langs = append(langs, l)
				}
				sort.Strings(langs)
				out[path+"."+k] = langs
				continue
			}
			cfLanguageMaps(y, path+"."+k, out)
		}
	case []any:
		for i, y := range x {
			cfLanguageMaps(y, path+"["+strconv.Itoa(i)+"]", out)
		}
	}
}

// TestXAPI00169_CanonicalFormat: with format=canonical and Accept-Language,
// every language map of the statement comes back in the one chosen
// language: the Verbs' display (the SubStatement's too), the Activities'
// name, description and choices (the SubStatement's Activity and context
// activities too, from the LRS's canonical definition, which the
// Activities resource also serves), the attachments' display and
// description. Agents and Groups come back as received ("as in exact",
// Communication 2.1.3): the identified Group as objectType, IFI and name.
// The same in every read and under both versions.
func TestXAPI00169_CanonicalFormat(t *testing.T) {
	e := newEnv(t)
	body := cfFormatStatement("canon")
	id := cfPost(t, e, body)
	voided := cfPostVoided(t, e, body)
	want := map[string]string{
		"verb":          `{"id":"` + vAttended + `","display":{"en-GB":"attended"}}`,
		"object.verb":   `{"id":"http://e.com/cf/verbs/canon/marked","display":{"en-GB":"marked (GB)"}}`,
		"object.object": `{"objectType":"Activity","id":"http://e.com/cf/fmt/canon/map","definition":{"name":{"en-GB":"Map (GB)"},"description":{"en-GB":"Mark Franklin, TN (GB)"},"type":"http://adlnet.gov/expapi/activities/cmi.interaction","moreInfo":"http://e.com/cf/more","interactionType":"choice","correctResponsesPattern":["a"],"choices":[{"id":"a","description":{"en-GB":"A (GB)"}},{"id":"b","description":{"en-GB":"B (GB)"}}],"extensions":{"http://e.com/ext/where":{"name":"Thomas"}}}}`,
		"object.actor":  `{"objectType":"Group","name":"Team","mbox":"mailto:team.canon@example.go.id"}`,
		"object.parent": `[{"objectType":"Activity","id":"http://e.com/cf/fmt/canon/sub-parent","definition":{"name":{"en-GB":"Sub parent (GB)"}}}]`,
		"category":      `[{"objectType":"Activity","id":"http://e.com/cf/fmt/canon/category","definition":{"name":{"en-GB":"Category (GB)"}}}]`,
		"attachment":    `{"usageType":"http://e.com/cf/usage","display":{"en-GB":"Minutes (GB)"},"description":{"en-GB":"The minutes (GB)"},"contentType":"text/plain","length":5,"sha2":"` + strings.Repeat("ab", 32) + `","fileUrl":"http://e.com/cf/minutes.txt"}`,
	}
	paths := map[string][]any{
		"verb":          {"verb"},
		"object.verb":   {"object", "verb"},
		"object.object": {"object", "object"},
		"object.actor":  {"object", "actor"},
		"object.parent": {"object", "context", "contextActivities", "parent"},
		"category":      {"context", "contextActivities", "category"},
		"attachment":    {"attachments", 0},
	}
	// as received: every Agent and Group
	asSent := [][]any{{"actor"}, {"object", "actor"}, {"object", "context", "instructor"}, {"context", "team"}}
	for _, version := range []string{"1.0.3", "2.0.0"} {
		reads := cfFormatReads(t, e, id, voided, "format=canonical", "X-Experience-API-Version", version, "Accept-Language", "en-GB")
		for read, st := range reads {
			for name, w := range want {
				if got := cfAt(st, paths[name]...); !reflect.DeepEqual(got, cfJSON(t, w)) {
					g, _ := json.Marshal(got)
					t.Errorf("%s, %s: %s is %s, want %s", version, read, name, g, w)
				}
			}
			for _, p := range asSent {
				if got, w := cfAt(st, p...), cfAt(cfJSON(t, body), p...); !reflect.DeepEqual(got, w) {
					t.Errorf("%s, %s: %v is %v, want it as sent: %v", version, read, p, got, w)
				}
			}
			maps := map[string][]string{}
			cfLanguageMaps(st, "", maps)
			for p, langs := range maps {
				if len(langs) != 1 {
					t.Errorf("%s, %s: %s has languages %v, want one", version, read, p, langs)
				}
			}
		}
	}

	// The canonical definition is the Activities resource's: a later
	// statement refines the SubStatement's Activity, and both show it.
	later := `{"actor":` + cfAnn + `,"verb":{"id":"` + vCompleted + `"},"object":{"id":"http://e.com/cf/fmt/canon/map","definition":{"name":{"id-ID":"Peta"}}}}`
	cfPost(t, e, later)
	act := e.do(t, req{method: "GET", path: "/activities?activityId=" + url.QueryEscape("http://e.com/cf/fmt/canon/map")})
	expect(t, act, 200, `"id-ID":"Peta"`, `"en-GB":"Map (GB)"`)
	for read, st := range cfFormatReads(t, e, id, voided, "format=canonical", "Accept-Language", "id-ID, en-GB;q=0.5") {
		if got := cfAt(st, "object", "object", "definition", "name"); !reflect.DeepEqual(got, cfJSON(t, `{"id-ID":"Peta"}`)) {
			t.Errorf("%s: the SubStatement's Activity name is %v, want the canonical id-ID one", read, got)
		}
		if got := cfAt(st, "object", "object", "definition", "description"); !reflect.DeepEqual(got, cfJSON(t, `{"en-GB":"Mark Franklin, TN (GB)"}`)) {
			t.Errorf("%s: the SubStatement's Activity description is %v, want the en-GB one (no id-ID)", read, got)
		}
	}
	// Each map on its own (XAPI-00172): en-AU matches no tag of the name,
	// id-ID does; it matches none of the SubStatement verb's display either,
	// which still comes back with one language, English the nearest.
	for read, st := range cfFormatReads(t, e, id, voided, "format=canonical", "Accept-Language", "en-AU, id-ID;q=0.5") {
		if got := cfAt(st, "object", "object", "definition", "name"); !reflect.DeepEqual(got, cfJSON(t, `{"id-ID":"Peta"}`)) {
			t.Errorf("%s: the SubStatement's Activity name is %v, want the acceptable id-ID one", read, got)
		}
		if got := cfAt(st, "object", "verb", "display"); !reflect.DeepEqual(got, cfJSON(t, `{"en-GB":"marked (GB)"}`)) {
			t.Errorf("%s: the SubStatement's verb display is %v, want English", read, got)
		}
	}
	// exact, the default, keeps every language
	for read, st := range cfFormatReads(t, e, id, voided, "format=exact", "Accept-Language", "en-GB") {
		if got, w := cfAt(st, "object"), cfAt(cfJSON(t, body), "object"); !reflect.DeepEqual(got, w) {
			t.Errorf("%s: exact SubStatement is %v, want it as sent", read, got)
		}
	}
}

func TestConformance_HEAD(t *testing.T) {
	e := newEnv(t)
	id := uuid.NewString()
	expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: cfStmt(cfAnn, vCompleted, "http://e.com/cf/head", "")}), 204)
	voided := cfPost(t, e, cfStmt(cfAnn, vCompleted, "http://e.com/cf/head-voided", ""))
	cfPost(t, e, `{"actor":`+cfBudi+`,"verb":{"id":"`+cfVoided+`"},"object":{"objectType":"StatementRef","id":"`+voided+`"}}`)

	t.Run("XAPI-00126 accepts HEAD", func(t *testing.T) {
		for _, p := range []string{"/statements", "/statements?statementId=" + id, "/about"} {
			got := e.do(t, req{method: "HEAD", path: p})
			if got.status != 200 {
				t.Fatalf("HEAD %s = %d", p, got.status)
			}
		}
	})
	t.Run("XAPI-00125 HEAD answers like GET without a body", func(t *testing.T) {
		for _, r := range []req{
			{path: "/statements"},
			{path: "/statements?limit=1"},
			{path: "/statements?statementId=" + id},
			{path: "/statements?statementId=" + id + "&format=ids"},
			{path: "/statements?voidedStatementId=" + voided},
			{path: "/statements?statementId=" + voided},
			{path: "/statements?statementId=" + uuid.NewString()},
			{path: "/statements?verb=" + url.QueryEscape(vCompleted)},
			{path: "/statements?bogus=1"},
			{path: "/statements?agent=notjson"},
			{path: "/statements", noAuth: true},
			{path: "/statements", version: "-"},
			{path: "/about", version: "-", noAuth: true},
		} {
			r.method = "GET"
			get := e.do(t, r)
			r.method = "HEAD"
			head := e.do(t, r)
			what := fmt.Sprintf("HEAD %s (version %q, noAuth %v)", r.path, r.version, r.noAuth)
			if head.status != get.status || head.body != "" {
				t.Errorf("%s = %d with %d bytes of body; GET = %d", what, head.status, len(head.body), get.status)
				continue
			}
			for _, h := range []string{"Content-Type", "Last-Modified", "X-Experience-API-Version", "WWW-Authenticate", "ETag"} {
				if head.header.Get(h) != get.header.Get(h) {
					t.Errorf("%s = %d: %s %q, GET has %q", what, head.status, h, head.header.Get(h), get.header.Get(h))
				}
			}
			if (head.header.Get("X-Experience-API-Consistent-Through") == "") != (get.header.Get("X-Experience-API-Consistent-Through") == "") {
				t.Errorf("%s = %d: consistent-through %q, GET has %q", what, head.status, head.header.Get("X-Experience-API-Consistent-Through"), get.header.Get("X-Experience-API-Consistent-Through"))
			}
		}
	})
}

func TestConformance_About(t *testing.T) {
	e := newEnv(t)
	about := func(t *testing.T, r req) (map[string]json.RawMessage, resp) {
		t.Helper()
		r.method, r.path = "GET", "/about"
		got := e.do(t, r)
		expect(t, got, 200)
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(got.body), &m); err != nil {
			t.Fatalf("about is not a JSON object: %s", got.body)
		}
		return m, got
	}
	versions := func(t *testing.T) []string {
		t.Helper()
		m, _ := about(t, req{version: "-", noAuth: true})
		var vs []string
		if err := json.Unmarshal(m["version"], &vs); err != nil {
			t.Fatalf("version %s: %v", m["version"], err)
		}
		return vs
	}
	t.Run("XAPI-00315 the About resource is base IRI + /about", func(t *testing.T) {
		_, got := about(t, req{version: "-", noAuth: true})
		if !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") {
			t.Fatalf("Content-Type %q", got.header.Get("Content-Type"))
		}
	})
	t.Run("XAPI-00319 GET about is 200 with a version property, with or without credentials and version", func(t *testing.T) {
		for _, r := range []req{{version: "-", noAuth: true}, {}, {version: "2.0.0"}, {noAuth: true, version: "9.9"}} {
			m, _ := about(t, r)
			if m["version"] == nil {
				t.Fatalf("no version property (%+v)", r)
			}
		}
	})
	t.Run("XAPI-00318 version is an array of strings", func(t *testing.T) {
		m, _ := about(t, req{version: "-", noAuth: true})
		var raw []any
		if err := json.Unmarshal(m["version"], &raw); err != nil || len(raw) == 0 {
			t.Fatalf("version %s", m["version"])
		}
		for _, v := range raw {
			if _, ok := v.(string); !ok {
				t.Fatalf("version element %v is not a string", v)
			}
		}
	})
	t.Run("XAPI-00317 version has a 1.0.x", func(t *testing.T) {
		re := regexp.MustCompile(`^1\.0\.\d+$`)
		if !slices.ContainsFunc(versions(t), re.MatchString) {
			t.Fatalf("versions %v", versions(t))
		}
	})
	t.Run("XAPI-00316 versions are 0.9, 0.95, 1.0.0, 1.0.x (or 2.0.x of xAPI 2.0)", func(t *testing.T) {
		// xAPI 2.0 (IEEE 9274.1.1) adds 2.0.x to the values of 1.0.3, and
		// this LRS serves both.
		re := regexp.MustCompile(`^(0\.9|0\.95|1\.0\.\d+|2\.0\.\d+)$`)
		vs := versions(t)
		for _, v := range vs {
			if !re.MatchString(v) {
				t.Fatalf("version %q in %v", v, vs)
			}
		}
		if len(slices.Compact(slices.Sorted(slices.Values(vs)))) != len(vs) {
			t.Fatalf("versions repeat: %v", vs)
		}
	})
	t.Run("XAPI-00320 about may have an extensions object; nothing else", func(t *testing.T) {
		m, got := about(t, req{version: "-", noAuth: true})
		for k, v := range m {
			switch k {
			case "version":
			case "extensions":
				var ext map[string]json.RawMessage
				if err := json.Unmarshal(v, &ext); err != nil || ext == nil {
					t.Fatalf("extensions is not an object: %s", v)
				}
				for key := range ext {
					if u, err := url.Parse(key); err != nil || u.Scheme == "" || !lrs.IsIRI(key) {
						t.Fatalf("extension key %q is not an IRI", key)
					}
				}
			default:
				t.Fatalf("about has property %q: %s", k, got.body)
			}
		}
	})
}

// ---- Communication 1.3: the alternate request syntax ----

// cfAlt makes an alternate-syntax request: a POST of form to path with
// ?method=method, declared as a form, with extra request header pairs.
func cfAlt(t *testing.T, e *env, path, method string, form url.Values, headers ...string) resp {
	t.Helper()
	return e.raw(t, "POST", path+"?method="+method, form.Encode(), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}

// cfMissing checks that no statement id is stored.
func cfMissing(t *testing.T, e *env, id string) {
	t.Helper()
	expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id}), 404)
}

func TestConformance_AlternateRequestSyntax(t *testing.T) {
	e := newEnv(t)
	auth := "Basic " + basic(e.key, e.secret)
	hdrs := []string{"X-Experience-API-Version", "1.0.3", "Authorization", auth}
	put := func(id string) url.Values { // a statement PUT, headers as request headers
		return url.Values{"statementId": {id}, "content": {stmt(id, "http://e.com/alt/"+id)}}
	}

	t.Run("XAPI-00336 PUT of a statement: statementId and content in the form, no Content-Type field", func(t *testing.T) {
		id := uuid.NewString()
		expect(t, cfAlt(t, e, "/statements", "PUT", put(id), hdrs...), 204)
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id}), 200, "http://e.com/alt/"+id)
	})
	t.Run("XAPI-00336 PUT with credentials and version in the form and no request header but Content-Type", func(t *testing.T) {
		id := uuid.NewString()
		f := put(id)
		f.Set("Authorization", auth)
		f.Set("X-Experience-API-Version", "1.0.3")
		expect(t, cfAlt(t, e, "/statements", "PUT", f), 204)
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id}), 200, id)
	})
	t.Run("XAPI-00336 a form without its Content-Type request header is still a form", func(t *testing.T) {
		id := uuid.NewString()
		expect(t, e.raw(t, "POST", "/statements?method=PUT", put(id).Encode(), hdrs...), 204)
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id}), 200, id)
	})
	t.Run("XAPI-00336 POST of statements and a GET through the form (XAPI-00148)", func(t *testing.T) {
		id := uuid.NewString()
		f := url.Values{"Content-Type": {"application/json"}, "content": {"[" + stmt(id, "http://e.com/alt/post") + "]"}}
		expect(t, cfAlt(t, e, "/statements", "POST", f, hdrs...), 200, id)
		got := cfAlt(t, e, "/statements", "GET", url.Values{"verb": {"http://adlnet.gov/expapi/verbs/completed"}, "activity": {"http://e.com/alt/post"}, "limit": {"1"}}, hdrs...)
		expect(t, got, 200, `"statements"`, id)
	})
	t.Run("XAPI-00336 a request header wins over the same header in the form", func(t *testing.T) {
		id := uuid.NewString()
		f := put(id)
		f.Set("X-Experience-API-Version", "0.8")
		f.Set("Authorization", "Basic "+basic(e.key, "not-the-secret"))
		expect(t, cfAlt(t, e, "/statements", "PUT", f, hdrs...), 204)
		got := e.do(t, req{method: "GET", path: "/statements?statementId=" + id})
		expect(t, got, 200, `"version":"1.0.0"`)
	})
	t.Run("XAPI-00336 the query string carries method, once, and nothing else", func(t *testing.T) {
		id := uuid.NewString()
		for _, q := range []string{"method=PUT&statementId=" + id, "method=PUT&x%zz=1", "method=PUT&method=PUT", "method=PATCH", "method=put"} {
			got := e.raw(t, "POST", "/statements?"+q, put(id).Encode(), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, hdrs...)...)
			expect(t, got, 400, "method")
		}
		cfMissing(t, e, id)
	})
	t.Run("XAPI-00336 the syntax is a POST", func(t *testing.T) {
		id := uuid.NewString()
		for _, m := range []string{"GET", "PUT", "DELETE"} {
			got := e.raw(t, m, "/statements?method="+m, put(id).Encode(), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, hdrs...)...)
			expect(t, got, 400, "POST")
		}
		cfMissing(t, e, id)
	})
	t.Run("XAPI-00336 a form field naming a header the form does not carry is 400", func(t *testing.T) {
		id := uuid.NewString()
		for _, h := range []string{"Accept-Language", "content-transfer-encoding", "X-Experience-API-Hash"} {
			f := put(id)
			f.Set(h, "x")
			expect(t, cfAlt(t, e, "/statements", "PUT", f, hdrs...), 400, "form field", "request header")
		}
		cfMissing(t, e, id)
	})
	t.Run("XAPI-00336 a form field naming a parameter the resource does not take is 400", func(t *testing.T) {
		id := uuid.NewString()
		f := put(id)
		f.Set("verb", "http://adlnet.gov/expapi/verbs/completed")
		expect(t, cfAlt(t, e, "/statements", "PUT", f, hdrs...), 400, "unknown parameter", "verb")
		// A body that is not a form (here JSON) has no statementId field.
		body, _ := json.Marshal(map[string]string{"statementId": id, "content": stmt(id, "http://e.com/alt")})
		got := e.raw(t, "POST", "/statements?method=PUT", string(body), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, hdrs...)...)
		expect(t, got, 400, "not URL-encoded")
		// Without credentials too: a body that is not a form is 400, not 401
		// for want of the Authorization field it may hold.
		body, _ = json.Marshal(map[string]string{"statementId": id, "content": stmt(id, "http://e.com/alt"), "X-Experience-API-Version": "1.0.3", "Authorization": auth})
		got = e.raw(t, "POST", "/statements?method=PUT", string(body), "Content-Type", "application/x-www-form-urlencoded")
		expect(t, got, 400, "not URL-encoded")
		expect(t, cfAlt(t, e, "/statements", "PUT", url.Values{}, hdrs...), 400, "statementId")
		cfMissing(t, e, id)
	})
	t.Run("XAPI-00336 header fields and content are given once", func(t *testing.T) {
		id := uuid.NewString()
		for _, extra := range []string{"&content=" + url.QueryEscape(stmt(id, "http://e.com/alt")), "&If-None-Match=*&if-none-match=*", "&X-Experience-API-Version=1.0.3&X-Experience-API-Version=1.0.3"} {
			got := e.raw(t, "POST", "/statements?method=PUT", put(id).Encode()+extra, append([]string{"Content-Type", "application/x-www-form-urlencoded"}, hdrs...)...)
			expect(t, got, 400, "once")
		}
		cfMissing(t, e, id)
	})
	t.Run("XAPI-00336 content is UTF-8 text of the length its Content-Length field says", func(t *testing.T) {
		id := uuid.NewString()
		got := e.raw(t, "POST", "/statements?method=PUT", "statementId="+id+"&content=%FF", append([]string{"Content-Type", "application/x-www-form-urlencoded"}, hdrs...)...)
		expect(t, got, 400, "UTF-8")
		content := stmt(id, "http://e.com/alt/länge")
		for _, n := range []string{strconv.Itoa(len(content) - 1), "-1", "+" + strconv.Itoa(len(content)), "x"} {
			f := put(id)
			f.Set("content", content)
			f.Set("Content-Length", n)
			expect(t, cfAlt(t, e, "/statements", "PUT", f, hdrs...), 400, "Content-Length")
		}
		cfMissing(t, e, id)
		f := put(id)
		f.Set("content", content)
		f.Set("Content-Length", strconv.Itoa(len(content)))
		expect(t, cfAlt(t, e, "/statements", "PUT", f, hdrs...), 204)
	})
	t.Run("XAPI-00336 the Content-Type of the content is its form field, never the form's", func(t *testing.T) {
		k := dtState(e, dtActivity(), dtMbox())
		doc := func(id, content, ct string) url.Values {
			f := url.Values{"activityId": k.scope["activityId"], "agent": k.scope["agent"], "stateId": {id}, "content": {content}}
			if ct != "" {
				f.Set("Content-Type", ct)
			}
			return f
		}
		expect(t, cfAlt(t, e, "/activities/state", "PUT", doc("text", "halo", "text/plain"), hdrs...), 204)
		k.expectDoc(t, "text", "halo", "text/plain")
		expect(t, cfAlt(t, e, "/activities/state", "PUT", doc("none", "a=1", ""), hdrs...), 204)
		k.expectDoc(t, "none", "a=1", "application/octet-stream")
		id := uuid.NewString()
		f := put(id)
		f.Set("Content-Type", "text/plain")
		expect(t, cfAlt(t, e, "/statements", "PUT", f, hdrs...), 400, "text/plain")
		cfMissing(t, e, id)
	})
	t.Run("XAPI-00336 the document resources take their parameters and concurrency headers from the form", func(t *testing.T) {
		since := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)
		s := dtState(e, dtActivity(), dtMbox())
		reg := uuid.NewString()
		sf := func(extra url.Values) url.Values {
			f := url.Values{"activityId": s.scope["activityId"], "agent": s.scope["agent"], "registration": {reg}}
			for n, v := range extra {
				f[n] = v
			}
			return f
		}
		expect(t, cfAlt(t, e, "/activities/state", "PUT", sf(url.Values{"stateId": {"s1"}, "content": {`{"a":1}`}, "Content-Type": {dtJSON}}), hdrs...), 204)
		expect(t, cfAlt(t, e, "/activities/state", "POST", sf(url.Values{"stateId": {"s1"}, "content": {`{"b":2}`}, "Content-Type": {dtJSON}}), hdrs...), 204)
		s.with("registration", reg).expectJSONDoc(t, "s1", map[string]any{"a": 1.0, "b": 2.0})
		expect(t, cfAlt(t, e, "/activities/state", "GET", sf(url.Values{"since": {since}}), hdrs...), 200, `"s1"`)
		expect(t, cfAlt(t, e, "/activities/state", "GET", sf(url.Values{"stateId": {"s1"}}), hdrs...), 200, `"b":2`)
		expect(t, cfAlt(t, e, "/activities/state", "DELETE", sf(url.Values{"stateId": {"s1"}}), hdrs...), 204)
		s.with("registration", reg).expectMissing(t, "s1")

		p := dtAgentProfile(e, dtMbox())
		pf := func(extra url.Values) url.Values {
			f := url.Values{"agent": p.scope["agent"], "profileId": {"p1"}}
			for n, v := range extra {
				f[n] = v
			}
			return f
		}
		expect(t, cfAlt(t, e, "/agents/profile", "PUT", pf(url.Values{"content": {`{"x":1}`}, "Content-Type": {dtJSON}, "If-None-Match": {"*"}}), hdrs...), 204)
		expect(t, cfAlt(t, e, "/agents/profile", "PUT", pf(url.Values{"content": {`{"x":2}`}, "Content-Type": {dtJSON}, "If-None-Match": {"*"}}), hdrs...), 412)
		p.expectDoc(t, "p1", `{"x":1}`, dtJSON)
		expect(t, cfAlt(t, e, "/agents/profile", "DELETE", pf(url.Values{"If-Match": {dtBadTag}}), hdrs...), 412)
		expect(t, cfAlt(t, e, "/agents/profile", "DELETE", pf(url.Values{"If-Match": {dtETag(`{"x":1}`)}}), hdrs...), 204)
		p.expectMissing(t, "p1")

		a := dtActivityProfile(e, dtActivity())
		af := url.Values{"activityId": a.scope["activityId"], "profileId": {"q"}, "content": {"isi"}, "Content-Type": {"text/plain"}, "If-None-Match": {"*"}}
		expect(t, cfAlt(t, e, "/activities/profile", "PUT", af, hdrs...), 204)
		a.expectDoc(t, "q", "isi", "text/plain")
		expect(t, cfAlt(t, e, "/activities/profile", "GET", url.Values{"activityId": a.scope["activityId"], "since": {since}}, hdrs...), 200, `"q"`)
	})
	t.Run("XAPI-00336 content is bound by the body limit", func(t *testing.T) {
		id := uuid.NewString()
		big := `{"actor":{"mbox":"mailto:learner@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/big","definition":{"description":{"en":"` + strings.Repeat("a", 1200<<10) + `"}}}}`
		f := url.Values{"statementId": {id}, "content": {big}}
		expect(t, cfAlt(t, e, "/statements", "PUT", f, hdrs...), 413)
		cfMissing(t, e, id)
	})
	t.Run("XAPI-00336 refused under xAPI 2.0, which removed the syntax", func(t *testing.T) {
		id := uuid.NewString()
		expect(t, cfAlt(t, e, "/statements", "PUT", put(id), "X-Experience-API-Version", "2.0.0", "Authorization", auth), 400, "2.0")
		f := put(id)
		f.Set("X-Experience-API-Version", "2.0.0")
		expect(t, cfAlt(t, e, "/statements", "PUT", f, "Authorization", auth), 400, "2.0")
		cfMissing(t, e, id)
	})
	t.Run("XAPI-00336 only the xAPI resources take the syntax", func(t *testing.T) {
		base := strings.TrimSuffix(e.url, "/xapi")
		hr, err := http.NewRequest("POST", base+"/livez?method=GET", strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("POST /livez?method=GET = %d, want 405: only /xapi takes the alternate syntax", res.StatusCode)
		}
	})
}

// TestXAPI00331_MissingVersionAnsweredWithNewest: a request to any resource
// but About without a served X-Experience-API-Version is 400, stores
// nothing, and its answer states the newest version served, 2.0.0 (2.0.0
// 9274.1.1 4.1.7: the header is on every response, set to the latest
// patch version). A request naming a version is answered in it; About
// needs no version header and answers 200.
func TestXAPI00331_MissingVersionAnsweredWithNewest(t *testing.T) {
	e := newEnv(t)
	id := uuid.NewString()
	agent := url.QueryEscape(cfAnn)
	activity := url.QueryEscape("http://e.com/cf/v")
	for _, v := range []string{"-", "0.95", "1.1.0", "3.0.0"} {
		for _, r := range []req{
			{method: "GET", path: "/statements?statementId=" + id},
			{method: "GET", path: "/statements"},
			{method: "POST", path: "/statements", body: cfStmt(cfAnn, vCompleted, "http://e.com/cf/v", "")},
			{method: "PUT", path: "/statements?statementId=" + id, body: cfStmt(cfAnn, vCompleted, "http://e.com/cf/v", "")},
			{method: "GET", path: "/activities?activityId=" + activity},
			{method: "GET", path: "/activities/profile?activityId=" + activity},
			{method: "GET", path: "/activities/state?activityId=" + activity + "&agent=" + agent},
			{method: "GET", path: "/agents?agent=" + agent},
			{method: "GET", path: "/agents/profile?agent=" + agent},
		} {
			r.version = v
			got := e.do(t, r)
			if got.status != 400 || !strings.Contains(got.body, "X-Experience-API-Version") {
				t.Fatalf("%s %s with version %q = %d %s, want 400 naming the header", r.method, r.path, v, got.status, got.body)
			}
			if h := got.header.Get("X-Experience-API-Version"); h != "2.0.0" {
				t.Fatalf("%s %s with version %q: 400 states version %q, want 2.0.0, the newest served", r.method, r.path, v, h)
			}
		}
	}
	expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id}), 404)
	if res := cfList(t, e, "/statements"); len(res.Statements) != 0 {
		t.Fatalf("a refused request stored %d statements", len(res.Statements))
	}
	// A request in a served version is answered in it, also when refused.
	for v, want := range map[string]string{"1.0.3": "1.0.3", "1.0": "1.0.3", "2.0.0": "2.0.0", "2.0": "2.0.0"} {
		got := e.do(t, req{method: "GET", path: "/statements?bogus=1", version: v})
		expect(t, got, 400)
		if h := got.header.Get("X-Experience-API-Version"); h != want {
			t.Fatalf("a %s request answered with version %q, want %s", v, h, want)
		}
	}
	// About needs no version header.
	for v, want := range map[string]string{"-": "2.0.0", "1.0.3": "1.0.3", "2.0.0": "2.0.0"} {
		for _, auth := range []bool{false, true} {
			got := e.do(t, req{method: "GET", path: "/about", version: v, noAuth: !auth})
			expect(t, got, 200, `"version"`)
			if h := got.header.Get("X-Experience-API-Version"); h != want {
				t.Fatalf("About with version %q answered version %q, want %s", v, h, want)
			}
		}
	}
}
