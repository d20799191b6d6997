package api

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/jejak-id/jejak/lrs"
)

// FuzzAlternateForm feeds arbitrary query strings and forms to the decoding
// of the alternate request syntax (Communication 1.3), which reads both from
// any client before the resource sees them. It must never panic; a refusal
// is an EINVALID *Error. An accepted query string is method, once, with one
// of the five methods. An accepted form splits into parameters (no field
// that is content or a header), allowed headers with one value each, and
// UTF-8 content no longer than the form, of the length its Content-Length
// field says; the split, encoded as a form again, decodes to itself.
func FuzzAlternateForm(f *testing.F) {
	stmt := `{"id":"c70c2b85-c294-464f-baca-cebd4fb9b348","actor":{"mbox":"mailto:example@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced","display":{"en-US":"experienced"}},"object":{"id":"http://example.com/xAPI/activities/myactivity"}}`
	for _, seed := range []struct{ query, form string }{
		{"method=PUT", url.Values{"statementId": {"c70c2b85-c294-464f-baca-cebd4fb9b348"}, "Authorization": {"Basic VGVzdFVzZXI6cGFzc3dvcmQ="}, "X-Experience-API-Version": {"1.0.3"}, "Content-Type": {"application/json"}, "Content-Length": {strconv.Itoa(len(stmt))}, "content": {stmt}}.Encode()},
		{"method=PUT", "statementId=c70c2b85-c294-464f-baca-cebd4fb9b348&content=" + url.QueryEscape(stmt)},
		{"method=GET", "limit=1&verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fexperienced"},
		{"method=POST", "activityId=http%3A%2F%2Fe.com%2Fa&agent=%7B%22mbox%22%3A%22mailto%3Aa%40e.com%22%7D&stateId=s&If-Match=%22abc%22&content=%7B%7D"},
		{"method=DELETE", "profileId=p&if-none-match=*&x-experience-api-version=1.0.3"},
		{"method=PUT&statementId=x", `{"statementId":"x","content":"{}"}`},
		{"x%zz=1&method=PUT", "a=1;b=2"},
		{"method=%zz", "content=%FF"},
		{"method=put&method=PUT", "Content-Length=5&content=abc"},
		{"method=HEAD", "Authorization=x&authorization=y&content=a&content=b"},
		{"", "Accept-Language=id&X-Experience-API-Hash=00&=x&&"},
		{"method=PATCH", "Content-Length=%2B3&content=abc"},
	} {
		f.Add(seed.query, seed.form)
	}
	invalid := func(t *testing.T, what string, err error) {
		t.Helper()
		var e *lrs.Error
		if !errors.As(err, &e) || e.Code != lrs.EINVALID {
			t.Fatalf("%s refused with %v, want an EINVALID *lrs.Error", what, err)
		}
	}
	f.Fuzz(func(t *testing.T, query, form string) {
		method, ok, err := alternateMethod(query)
		switch {
		case !ok && err != nil:
			t.Fatalf("query %q: not the syntax, but refused: %v", query, err)
		case err != nil:
			invalid(t, "query "+strconv.Quote(query), err)
		case ok:
			q, perr := url.ParseQuery(query)
			if perr != nil || !reflect.DeepEqual(q, url.Values{"method": {method}}) {
				t.Fatalf("query %q accepted as %q: %v %v", query, method, q, perr)
			}
			switch method {
			case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete:
			default:
				t.Fatalf("query %q accepted with method %q", query, method)
			}
		}

		a, err := decodeAlternateForm(form)
		if err != nil {
			invalid(t, "form "+strconv.Quote(form), err)
			return
		}
		if !utf8.ValidString(a.content) || len(a.content) > len(form) {
			t.Fatalf("form %q: content %q", form, a.content)
		}
		for name, vals := range a.header {
			if headerField(name) == "" || len(vals) != 1 {
				t.Fatalf("form %q: header %q = %q", form, name, vals)
			}
		}
		for name := range a.query {
			if name == "content" || headerField(name) != "" || refusedInForm(name) {
				t.Fatalf("form %q: %q taken for a parameter", form, name)
			}
		}
		if cl := a.header.Get("Content-Length"); cl != "" {
			if n, err := strconv.ParseInt(cl, 10, 64); err != nil || n != int64(len(a.content)) {
				t.Fatalf("form %q: Content-Length %q for %d bytes of content", form, cl, len(a.content))
			}
		}
		again := url.Values{}
		for name, vals := range a.query {
			again[name] = vals
		}
		for _, h := range alternateHeaders {
			if v := a.header.Values(h); len(v) > 0 {
				again.Set(h, v[0])
			}
		}
		if a.content != "" {
			again.Set("content", a.content)
		}
		b, err := decodeAlternateForm(again.Encode())
		if err != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("form %q decodes to %+v; encoded again, to %+v (%v)", form, a, b, err)
		}
	})
}
