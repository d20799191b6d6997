package api_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func (e *env) raw(t *testing.T, method, path, body string, headers ...string) resp {
	t.Helper()
	hr, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		hr.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, string(b), res.Header}
}

func TestAlternateRequestSyntax(t *testing.T) {
	e := newEnv(t)
	id := uuid.NewString()
	auth := "Basic " + basic(e.key, e.secret)
	form := url.Values{
		"Authorization":            {auth},
		"X-Experience-API-Version": {"1.0.3"},
		"Content-Type":             {"application/json"},
		"statementId":              {id},
		"content":                  {stmt("", "http://e.com/alt")},
	}
	ct := []string{"Content-Type", "application/x-www-form-urlencoded"}
	t.Run("XAPI-00336 PUT through a form POST", func(t *testing.T) {
		got := e.raw(t, "POST", "/statements?method=PUT", form.Encode(), ct...)
		expect(t, got, 204)
		get := url.Values{"Authorization": {auth}, "X-Experience-API-Version": {"1.0.3"}, "statementId": {id}}
		got = e.raw(t, "POST", "/statements?method=GET", get.Encode(), ct...)
		expect(t, got, 200, "http://e.com/alt")
	})
	t.Run("other query parameters next to method are 400", func(t *testing.T) {
		expect(t, e.raw(t, "POST", "/statements?method=GET&statementId="+id, url.Values{"Authorization": {auth}, "X-Experience-API-Version": {"1.0.3"}}.Encode(), ct...), 400, "method is the only")
	})
	t.Run("credentials are still required", func(t *testing.T) {
		expect(t, e.raw(t, "POST", "/statements?method=GET", url.Values{"X-Experience-API-Version": {"1.0.3"}}.Encode(), ct...), 401)
	})
	t.Run("rejected under xAPI 2.0", func(t *testing.T) {
		v2 := url.Values{"Authorization": {auth}, "X-Experience-API-Version": {"2.0.0"}, "statementId": {id}}
		expect(t, e.raw(t, "POST", "/statements?method=GET", v2.Encode(), ct...), 400, "2.0")
	})
}

func TestCORS(t *testing.T) {
	e := newEnv(t)
	pre := e.raw(t, "OPTIONS", "/statements", "", "Origin", "https://lms.example.go.id",
		"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "authorization,content-type,x-experience-api-version")
	if pre.status != http.StatusNoContent || pre.header.Get("Access-Control-Allow-Origin") == "" ||
		!strings.Contains(strings.ToLower(pre.header.Get("Access-Control-Allow-Headers")), "x-experience-api-version") {
		t.Fatalf("preflight = %d %v", pre.status, pre.header)
	}
	got := e.doWith(t, req{method: "GET", path: "/statements"}, "Origin", "https://lms.example.go.id")
	if !strings.Contains(got.header.Get("Access-Control-Expose-Headers"), "X-Experience-API-Consistent-Through") {
		t.Fatalf("expose headers %q", got.header.Get("Access-Control-Expose-Headers"))
	}
}

func TestVersion2(t *testing.T) {
	e := newEnv(t)
	id := uuid.NewString()
	body := `{"actor":{"mbox":"mailto:learner@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/v2"},` +
		`"timestamp":"2026-11-29T09:00:00+07:00","context":{"contextAgents":[{"objectType":"contextAgent","agent":{"mbox":"mailto:coach@example.go.id"},"relevantTypes":["https://jejak.id/xapi/bangkom/roles/coach"]}]}}`
	v2 := req{method: "PUT", path: "/statements?statementId=" + id, body: body, version: "2.0.0"}
	t.Run("contextAgents accepted under 2.0, rejected under 1.0.3", func(t *testing.T) {
		r := v2
		r.version = "1.0.3"
		expect(t, e.do(t, r), 400, "contextAgents")
		expect(t, e.do(t, v2), 204)
	})
	t.Run("timestamp normalised to UTC, version 2.0.0", func(t *testing.T) {
		got := e.do(t, req{method: "GET", path: "/statements?statementId=" + id, version: "2.0.0"})
		expect(t, got, 200, `"timestamp":"2026-11-29T02:00:00Z"`, `"version":"2.0.0"`)
		if got.header.Get("Last-Modified") == "" || got.header.Get("X-Experience-API-Version") != "2.0.0" {
			t.Fatalf("headers %v", got.header)
		}
	})
	t.Run("a statement stored under one version is served to clients of the other", func(t *testing.T) {
		got := e.do(t, req{method: "GET", path: "/statements?statementId=" + id, version: "1.0.3"})
		expect(t, got, 200, id, `"version":"2.0.0"`)
		if got.header.Get("X-Experience-API-Version") != "1.0.3" {
			t.Fatalf("answered as %s", got.header.Get("X-Experience-API-Version"))
		}
		v1 := uuid.NewString()
		expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + v1, body: stmt("", "http://e.com/v1")}), 204)
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + v1, version: "2.0.0"}), 200, v1, `"version":"1.0.0"`)
	})
	t.Run("contextAgents are related agents", func(t *testing.T) {
		q := "/statements?related_agents=true&agent=" + url.QueryEscape(`{"mbox":"mailto:coach@example.go.id"}`)
		expect(t, e.do(t, req{method: "GET", path: q, version: "2.0.0"}), 200, id)
		q = "/statements?agent=" + url.QueryEscape(`{"mbox":"mailto:coach@example.go.id"}`)
		got := e.do(t, req{method: "GET", path: q, version: "2.0.0"})
		if strings.Contains(got.body, id) {
			t.Fatal("a context agent matched without related_agents")
		}
	})
}
