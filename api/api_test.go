package api_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
)

type env struct {
	url    string
	key    string
	secret string
}

// newEnv serves the API over a real log and view.
func newEnv(t testing.TB) *env {
	t.Helper()
	e, _ := newEnvWith(t, nil)
	return e
}

// newEnvWith is newEnv with the configuration changed by edit (if not nil)
// before the server is made; it also returns the server, for requests made
// without a network (e.g. from a given client address).
func newEnvWith(t testing.TB, edit func(*api.Config)) (*env, *api.Server) {
	t.Helper()
	nats := lrstest.NATS(t)
	node := lrstest.StartNode(t, lrstest.Log(t, nats))
	cred, secret := lrstest.Credential(t, "provider-1", lrs.RoleProvider)
	cred.Scopes = []string{lrs.ScopeAll} // the conformance suite's client reads and writes everything
	cfg := api.Config{
		Auth:         lrs.NewKeyring([]lrs.Credential{cred}),
		Statements:   node.View,
		Documents:    node.Views.Documents,
		JP:           node.Views.JP,
		Writer:       node.Appender,
		MaxBodyBytes: 1 << 20,
		Attachments:  lrstest.Objects(t, nats),
	}
	if edit != nil {
		edit(&cfg)
	}
	srv := api.New(cfg)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &env{url: ts.URL + "/xapi", key: cred.Key, secret: secret}, srv
}

type req struct {
	method, path, body string
	version            string // "" sends 1.0.3; "-" sends none
	contentType        string
	noAuth             bool
	secret             string
}

type resp struct {
	status int
	body   string
	header http.Header
}

func (e *env) do(t *testing.T, r req) resp {
	t.Helper()
	return e.doWith(t, r)
}

// doWith makes request r with extra header name/value pairs.
func (e *env) doWith(t *testing.T, r req, headers ...string) resp {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, e.url+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	switch r.version {
	case "":
		hr.Header.Set("X-Experience-API-Version", "1.0.3")
	case "-":
	default:
		hr.Header.Set("X-Experience-API-Version", r.version)
	}
	if r.body != "" {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		hr.Header.Set(headers[i], headers[i+1])
	}
	if !r.noAuth {
		secret := e.secret
		if r.secret != "" {
			secret = r.secret
		}
		hr.SetBasicAuth(e.key, secret)
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, string(b), res.Header}
}

func stmt(id, object string) string {
	idPart := ""
	if id != "" {
		idPart = `"id":"` + id + `",`
	}
	return `{` + idPart + `"actor":{"mbox":"mailto:learner@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"` + object + `"}}`
}

func expect(t *testing.T, got resp, status int, contains ...string) {
	t.Helper()
	if got.status != status {
		t.Fatalf("status %d, want %d; body %s", got.status, status, got.body)
	}
	for _, c := range contains {
		if !strings.Contains(got.body, c) {
			t.Fatalf("body %s does not contain %q", got.body, c)
		}
	}
}

func TestStatements_Protocol(t *testing.T) {
	e := newEnv(t)
	id := uuid.NewString()
	expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: stmt("", "http://e.com/1")}), 204)

	t.Run("XAPI-00321 missing version header is 400", func(t *testing.T) {
		expect(t, e.do(t, req{method: "GET", path: "/statements", version: "-"}), 400, "X-Experience-API-Version")
	})
	t.Run("XAPI-00331 unsupported version is 400", func(t *testing.T) {
		expect(t, e.do(t, req{method: "GET", path: "/statements", version: "0.95"}), 400, "0.95")
		expect(t, e.do(t, req{method: "GET", path: "/statements", version: "1.1.0"}), 400)
	})
	t.Run("XAPI-00333 version header on every response", func(t *testing.T) {
		for _, v := range []string{"1.0.0", "1.0.3", "1.0"} {
			got := e.do(t, req{method: "GET", path: "/statements", version: v})
			expect(t, got, 200)
			if got.header.Get("X-Experience-API-Version") != "1.0.3" {
				t.Fatalf("version %s answered with %q", v, got.header.Get("X-Experience-API-Version"))
			}
		}
		got := e.do(t, req{method: "GET", path: "/statements", version: "2.0.0"})
		if got.header.Get("X-Experience-API-Version") != "2.0.0" {
			t.Fatalf("2.0.0 answered with %q", got.header.Get("X-Experience-API-Version"))
		}
		got = e.do(t, req{method: "GET", path: "/statements", noAuth: true})
		if got.header.Get("X-Experience-API-Version") == "" {
			t.Fatal("401 without version header")
		}
	})
	t.Run("XAPI-00334 bad or missing credentials are 401 with a challenge", func(t *testing.T) {
		for _, r := range []req{{method: "GET", path: "/statements", noAuth: true}, {method: "GET", path: "/statements", secret: "wrong"}} {
			got := e.do(t, r)
			expect(t, got, 401)
			if !strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Basic") {
				t.Fatalf("WWW-Authenticate = %q", got.header.Get("WWW-Authenticate"))
			}
		}
	})
	t.Run("XAPI-00143 PUT stores and answers 204; XAPI-00156 GET by id", func(t *testing.T) {
		got := e.do(t, req{method: "GET", path: "/statements?statementId=" + id})
		expect(t, got, 200, id, `"stored"`, `"authority"`, `"version":"1.0.0"`)
		if got.header.Get("Last-Modified") == "" || !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") {
			t.Fatalf("headers %v", got.header)
		}
	})
	t.Run("XAPI-00145 PUT without statementId is 400", func(t *testing.T) {
		expect(t, e.do(t, req{method: "PUT", path: "/statements", body: stmt("", "http://e.com/1")}), 400, "statementId")
	})
	t.Run("PUT whose body id differs from statementId is 400", func(t *testing.T) {
		expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + uuid.NewString(), body: stmt(uuid.NewString(), "http://e.com/1")}), 400, "does not match")
	})
	t.Run("XAPI-00146 POST answers the ids in order", func(t *testing.T) {
		given := uuid.NewString()
		got := e.do(t, req{method: "POST", path: "/statements", body: "[" + stmt(given, "http://e.com/2") + "," + stmt("", "http://e.com/3") + "]"})
		expect(t, got, 200)
		var ids []string
		if err := json.Unmarshal([]byte(got.body), &ids); err != nil || len(ids) != 2 || ids[0] != given || !lrs.IsUUID(ids[1]) {
			t.Fatalf("POST answered %s", got.body)
		}
	})
	t.Run("XAPI-00142 same id same content is accepted, other content is 409", func(t *testing.T) {
		expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: stmt("", "http://e.com/1")}), 204)
		expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: stmt("", "http://e.com/changed")}), 409, id)
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id}), 200, "http://e.com/1")
	})
	t.Run("XAPI-00326 a batch with one bad statement is rejected whole", func(t *testing.T) {
		good := uuid.NewString()
		got := e.do(t, req{method: "POST", path: "/statements", body: "[" + stmt(good, "http://e.com/4") + `,{"actor":{"mbox":"mailto:x@example.com"},"verb":{"id":"http://e.com/v"}}]`})
		expect(t, got, 400, "statements[1]", "object")
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + good}), 404)
	})
	t.Run("XAPI-00150 XAPI-00151 statementId with other parameters is 400", func(t *testing.T) {
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id + "&limit=1"}), 400, "limit")
		expect(t, e.do(t, req{method: "GET", path: "/statements?voidedStatementId=" + id + "&ascending=true"}), 400, "ascending")
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id + "&format=exact&attachments=false"}), 200)
	})
	t.Run("XAPI-00324 XAPI-00325 unknown or miscased parameters are 400", func(t *testing.T) {
		expect(t, e.do(t, req{method: "GET", path: "/statements?bogus=1"}), 400, "bogus")
		expect(t, e.do(t, req{method: "GET", path: "/statements?StatementId=" + id}), 400, "StatementId")
	})
	t.Run("XAPI-00153 consistent-through on every statement response", func(t *testing.T) {
		for _, r := range []req{{method: "GET", path: "/statements"}, {method: "GET", path: "/statements?statementId=" + uuid.NewString()}, {method: "GET", path: "/statements?bogus=1"}} {
			got := e.do(t, r)
			if _, err := time.Parse(time.RFC3339Nano, got.header.Get("X-Experience-API-Consistent-Through")); err != nil {
				t.Fatalf("%s %s (%d): consistent-through %q: %v", r.method, r.path, got.status, got.header.Get("X-Experience-API-Consistent-Through"), err)
			}
		}
	})
	t.Run("XAPI-00152 consistent-through is not before any returned stored", func(t *testing.T) {
		got := e.do(t, req{method: "GET", path: "/statements"})
		ct, _ := time.Parse(time.RFC3339Nano, got.header.Get("X-Experience-API-Consistent-Through"))
		var res struct{ Statements []struct{ Stored time.Time } }
		_ = json.Unmarshal([]byte(got.body), &res)
		if len(res.Statements) == 0 {
			t.Fatal("no statements")
		}
		for _, s := range res.Statements {
			if ct.Before(s.Stored) {
				t.Fatalf("consistent-through %v before stored %v", ct, s.Stored)
			}
		}
	})
	t.Run("XAPI-00328 oversized body is 413", func(t *testing.T) {
		big := `{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://e.com/v"},"object":{"id":"http://e.com/` + strings.Repeat("a", 1100<<10) + `"}}`
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: big}), 413, "limit")
	})
	t.Run("malformed JSON and wrong content type are 400", func(t *testing.T) {
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: `{"actor":`}), 400, "JSON")
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: stmt("", "http://e.com/1"), contentType: "text/plain"}), 400, "text/plain")
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: stmt("", "http://e.com/1"), contentType: "application/json; charset=utf-8"}), 200)
	})
	t.Run("HEAD answers like GET without a body", func(t *testing.T) {
		got := e.do(t, req{method: "HEAD", path: "/statements?statementId=" + id})
		if got.status != 200 || got.body != "" || got.header.Get("X-Experience-API-Consistent-Through") == "" {
			t.Fatalf("HEAD = %d %q %v", got.status, got.body, got.header)
		}
	})
}

func TestStatements_VoidingAndPaging(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := range 7 {
		id := uuid.NewString()
		ids = append(ids, id)
		expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: stmt("", "http://e.com/"+string(rune('a'+i)))}), 204)
	}
	void := `{"actor":{"mbox":"mailto:admin@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},"object":{"objectType":"StatementRef","id":"` + ids[2] + `"}}`
	expect(t, e.do(t, req{method: "POST", path: "/statements", body: void}), 200)

	t.Run("XAPI-00018 a voided statement is 404 by statementId", func(t *testing.T) {
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + ids[2]}), 404, "voided")
	})
	t.Run("XAPI-00155 and by voidedStatementId it is found", func(t *testing.T) {
		expect(t, e.do(t, req{method: "GET", path: "/statements?voidedStatementId=" + ids[2]}), 200, ids[2])
		expect(t, e.do(t, req{method: "GET", path: "/statements?voidedStatementId=" + ids[3]}), 404)
	})
	t.Run("XAPI-00017 voiding needs a StatementRef", func(t *testing.T) {
		bad := `{"actor":{"mbox":"mailto:admin@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},"object":{"id":"http://e.com/a"}}`
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: bad}), 400, "StatementRef")
	})
	t.Run("XAPI-00108 XAPI-00109 more pages through everything once, then is empty", func(t *testing.T) {
		path := "/statements?limit=3"
		var seen []string
		for pages := 0; path != ""; pages++ {
			if pages > 5 {
				t.Fatal("too many pages")
			}
			got := e.do(t, req{method: "GET", path: path})
			expect(t, got, 200)
			var res struct {
				Statements []struct{ ID string }
				More       string
			}
			if err := json.Unmarshal([]byte(got.body), &res); err != nil {
				t.Fatal(err)
			}
			for _, s := range res.Statements {
				seen = append(seen, s.ID)
			}
			path = ""
			if res.More != "" {
				if !strings.HasPrefix(res.More, "/xapi/statements?more=") {
					t.Fatalf("more = %q, want an absolute path under /xapi", res.More)
				}
				path = strings.TrimPrefix(res.More, "/xapi")
			}
		}
		// 7 statements + 1 voiding − 1 voided, newest first
		if len(seen) != 7 || seen[1] != ids[6] || seen[6] != ids[0] {
			t.Fatalf("paged ids %v", seen)
		}
		for _, s := range seen {
			if s == ids[2] {
				t.Fatal("voided statement listed (XAPI-00163)")
			}
		}
	})
	t.Run("a forged more cursor is 400", func(t *testing.T) {
		expect(t, e.do(t, req{method: "GET", path: "/statements?more=AAAA"}), 400, "cursor")
	})
}

func TestAbout(t *testing.T) {
	e := newEnv(t)
	// XAPI-00315 XAPI-00319: GET /about needs neither credentials nor version.
	got := e.do(t, req{method: "GET", path: "/about", version: "-", noAuth: true})
	expect(t, got, 200)
	var about struct{ Version []string }
	if err := json.Unmarshal([]byte(got.body), &about); err != nil {
		t.Fatal(err)
	}
	// XAPI-00317 XAPI-00318: an array holding a 1.0.x version; 2.0.0 too.
	if strings.Join(about.Version, ",") != "1.0.3,2.0.0" {
		t.Fatalf("about versions %v", about.Version)
	}
}

func basic(key, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(key + ":" + secret))
}
