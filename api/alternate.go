package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/jejak-id/jejak/lrs"
)

// alternateHeaders are the headers the alternate request syntax may carry
// as form fields (Communication 1.3); every other field but "content" is a
// query parameter, except the headers of formOnlyAsHeader.
var alternateHeaders = []string{"Authorization", "X-Experience-API-Version", "Content-Type", "Content-Length", "If-Match", "If-None-Match"}

// formOnlyAsHeader are request headers of xAPI (Communication 1.2) that the
// alternate request syntax does not carry in the form: as form fields they
// are refused, not taken for parameters. So is any other
// X-Experience-API-* header.
var formOnlyAsHeader = []string{"Accept", "Accept-Encoding", "Accept-Language", "Content-Transfer-Encoding"}

// ctxAlternate marks a request that came in the alternate request syntax.
const ctxAlternate = "jejak.alternate"

// alternate is the form of an alternate-syntax request, split into the
// parameters, headers and content of the request it stands for.
type alternate struct {
	query   url.Values  // form fields that are query parameters
	header  http.Header // form fields that are headers, canonical names
	content string
}

// alternateMethod reads the query string of a request: ok is false when it
// has no method parameter (not the alternate syntax); otherwise method is
// the method the request stands for, or err says why the query string is
// not one of the syntax: method, once, and nothing else (Communication 1.3).
func alternateMethod(rawQuery string) (method string, ok bool, err error) {
	q, perr := url.ParseQuery(rawQuery)
	if !q.Has("method") {
		return "", false, nil
	}
	if perr != nil {
		return "", true, lrs.Errorf(lrs.EINVALID, "the query string of an alternate request (method=) is malformed (%v): it carries method only", perr)
	}
	if len(q) != 1 || len(q["method"]) != 1 {
		return "", true, lrs.Errorf(lrs.EINVALID, "with the alternate request syntax, method is the only query parameter, given once; send the others in the form")
	}
	method = q.Get("method")
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete:
		return method, true, nil
	}
	return "", true, lrs.Errorf(lrs.EINVALID, "method: %q is not GET, HEAD, PUT, POST or DELETE", method)
}

// decodeAlternateForm splits the form of an alternate request into the
// parameters, headers and content it carries (Communication 1.3). A header
// field or content given twice, a field naming a header the syntax does
// not carry in the form, content that is not UTF-8 text, and a
// Content-Length field that is not the length of the content are refused.
func decodeAlternateForm(form string) (alternate, error) {
	if i := strings.IndexFunc(form, notInEncodedForm); i >= 0 {
		return alternate{}, lrs.Errorf(lrs.EINVALID, "the form of an alternate request is not URL-encoded (application/x-www-form-urlencoded): it has %q at byte %d, which URL encoding never leaves as it is (Communication 1.3)", form[i:i+utf8RuneLen(form[i:])], i)
	}
	fields, err := url.ParseQuery(form)
	if err != nil {
		return alternate{}, lrs.Errorf(lrs.EINVALID, "the form of an alternate request is not URL-encoded (application/x-www-form-urlencoded): %v", err)
	}
	a := alternate{query: url.Values{}, header: http.Header{}}
	for name, vals := range fields {
		switch h := headerField(name); {
		case name == "content":
			if len(vals) > 1 {
				return alternate{}, lrs.Errorf(lrs.EINVALID, "form field content is given %d times; give it once", len(vals))
			}
			if !utf8.ValidString(vals[0]) {
				return alternate{}, lrs.Errorf(lrs.EINVALID, "form field content is not UTF-8 text: the alternate request syntax carries no binary data (Communication 1.3)")
			}
			a.content = vals[0]
		case h != "":
			if n := len(vals) + len(a.header.Values(h)); n > 1 {
				return alternate{}, lrs.Errorf(lrs.EINVALID, "form field %s is given %d times; give it once", h, n)
			}
			a.header.Set(h, vals[0])
		case refusedInForm(name):
			return alternate{}, lrs.Errorf(lrs.EINVALID, "form field %q: with the alternate request syntax only %s are form fields; send %s as a request header (Communication 1.3)", name, strings.Join(alternateHeaders, ", "), name)
		default:
			a.query[name] = vals
		}
	}
	if vals := a.header.Values("Content-Length"); len(vals) > 0 {
		n, err := strconv.ParseInt(vals[0], 10, 64)
		if err != nil || strings.TrimLeft(vals[0], "0123456789") != "" {
			return alternate{}, lrs.Errorf(lrs.EINVALID, "form field Content-Length %q is not a length in bytes", vals[0])
		}
		if n != int64(len(a.content)) {
			return alternate{}, lrs.Errorf(lrs.EINVALID, "form field Content-Length says %d bytes, but the content is %d bytes", n, len(a.content))
		}
	}
	return a, nil
}

// notInEncodedForm reports whether r can not appear in a URL-encoded form:
// what URL encoding leaves as it is are the characters a query may hold
// (RFC 3986: unreserved, sub-delimiters, ":", "@", "/", "?") and "%" of an
// escape. A body with others (a JSON body, say) is not a form.
func notInEncodedForm(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return false
	}
	return !strings.ContainsRune("-._~!$&'()*+,;=:@/?%", r)
}

// utf8RuneLen is the length of the first character of s, at least 1.
func utf8RuneLen(s string) int {
	_, n := utf8.DecodeRuneInString(s)
	return max(n, 1)
}

// refusedInForm reports whether a form field names a header that the
// alternate request syntax sends only as a request header.
func refusedInForm(name string) bool {
	for _, h := range formOnlyAsHeader {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return len(name) > len(xAPIHeaderPrefix) && strings.EqualFold(name[:len(xAPIHeaderPrefix)], xAPIHeaderPrefix)
}

const xAPIHeaderPrefix = "X-Experience-API-"

// alternateSyntax turns an xAPI 1.0.x alternate request (POST ?method=X
// to an xAPI resource, application/x-www-form-urlencoded, with parameters,
// some headers and the content in the form) into the request it stands for
// (XAPI-00336, Communication 1.3):
//   - the query string carries method and nothing else; a request with a
//     method parameter that is not a POST is refused;
//   - a form field named like an allowed header is that header, but a
//     header the request itself carries wins over the field (a client that
//     could set the header did); Content-Type and Content-Length are the
//     content's, only ever from the form (the request's describe the form);
//   - "content" is the body, read within the limits of a body;
//   - every other field is a query parameter, checked by the resource.
//
// The form is read within the body limits (readForm), and the content then
// meets the same limits as any body. xAPI 2.0 (IEEE 9274.1.1) removed the
// syntax, so a request of version 2.0 (by its header, else its form) is
// refused.
func (s *Server) alternateSyntax(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.URL.Path != "/xapi" && !strings.HasPrefix(r.URL.Path, "/xapi/") {
			return next(c)
		}
		method, ok, err := alternateMethod(r.URL.RawQuery)
		if !ok {
			return next(c)
		}
		if r.Method != http.MethodPost {
			return lrs.Errorf(lrs.EINVALID, "a request with the method parameter is the alternate request syntax, which is a POST, not a %s (Communication 1.3)", r.Method)
		}
		if v, err := lrs.ParseVersion(r.Header.Get("X-Experience-API-Version")); err == nil && v == lrs.V2 {
			return lrs.Errorf(lrs.EINVALID, "the alternate request syntax (method=) is not part of xAPI 2.0")
		}
		if err != nil {
			return err
		}
		// The syntax is for clients that may not set headers: a form
		// without its Content-Type is read as one.
		if ct := r.Header.Get("Content-Type"); ct != "" {
			if mt, _, _ := mime.ParseMediaType(ct); mt != "application/x-www-form-urlencoded" {
				return lrs.Errorf(lrs.EINVALID, "the alternate request syntax needs Content-Type application/x-www-form-urlencoded, not %q", ct)
			}
		}
		raw, err := s.readForm(c)
		if err != nil {
			return err
		}
		a, err := decodeAlternateForm(string(raw))
		if err != nil {
			return err
		}
		// The router reads the original request, so it is changed in place.
		for h, v := range a.header { // both canonical
			if h != "Content-Type" && h != "Content-Length" && r.Header.Get(h) == "" {
				r.Header[h] = v
			}
		}
		if v, err := lrs.ParseVersion(r.Header.Get("X-Experience-API-Version")); err == nil && v == lrs.V2 {
			return lrs.Errorf(lrs.EINVALID, "the alternate request syntax (method=) is not part of xAPI 2.0")
		}
		r.Method = method
		r.URL.RawQuery = a.query.Encode()
		r.RequestURI = r.URL.RequestURI()
		r.Header.Del("Content-Type")
		if ct := a.header.Get("Content-Type"); ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		r.Body = io.NopCloser(strings.NewReader(a.content))
		r.ContentLength = int64(len(a.content))
		r.TransferEncoding = nil
		r.Header.Set("Content-Length", strconv.Itoa(len(a.content)))
		c.Set(ctxAlternate, true)
		return next(c)
	}
}

// isAlternate reports whether c came in the alternate request syntax.
func isAlternate(c echo.Context) bool {
	ok, _ := c.Get(ctxAlternate).(bool)
	return ok
}

// readForm reads the form of an alternate request, authenticating before
// any large read. With an Authorization header, that is checked first and
// the form may be up to twice the body limit (content is URL-encoded). With
// credentials only in the form, at most MaxFormBytes are read before they
// are checked, by at most MaxFormReaders requests at once: a larger form
// must carry its Authorization field before the rest, in the bytes read.
func (s *Server) readForm(c echo.Context) ([]byte, error) {
	r := c.Request()
	limit := s.cfg.MaxBodyBytes * 2
	if auth := r.Header.Get("Authorization"); auth != "" {
		if _, err := s.checkAuth(c, auth); err != nil {
			return nil, err
		}
		return readFormRest(c, nil, limit)
	}
	select {
	case s.formSlots <- struct{}{}:
	default:
		return nil, tooMany(c, time.Second, "too many alternate-syntax forms without an Authorization header are being read; retry later, or send Authorization as a request header")
	}
	head, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxFormBytes+1))
	<-s.formSlots
	if err != nil {
		return nil, formReadError(err)
	}
	if int64(len(head)) <= s.cfg.MaxFormBytes {
		return head, nil // its credentials are checked as the header's
	}
	auth := ""
	if i := bytes.LastIndexByte(head, '&'); i >= 0 {
		fields, _ := url.ParseQuery(string(head[:i]))
		for name, vals := range fields {
			if headerField(name) == "Authorization" {
				auth = vals[0]
			}
		}
	}
	if auth == "" {
		return nil, lrs.Errorf(lrs.ETOOLARGE, "an alternate-syntax form of more than %d bytes needs its credentials first: an Authorization request header, or the Authorization field within the first %d bytes", s.cfg.MaxFormBytes, s.cfg.MaxFormBytes)
	}
	if _, err := s.checkAuth(c, auth); err != nil {
		return nil, err
	}
	return readFormRest(c, head, limit)
}

// readFormRest reads the rest of a form after head, to limit bytes in all.
func readFormRest(c echo.Context, head []byte, limit int64) ([]byte, error) {
	r := c.Request()
	if r.ContentLength > limit {
		return nil, lrs.Errorf(lrs.ETOOLARGE, "alternate-syntax form of %d bytes is larger than the limit of %d bytes", r.ContentLength, limit)
	}
	raw, err := readAll(http.MaxBytesReader(c.Response(), io.NopCloser(io.MultiReader(bytes.NewReader(head), r.Body)), limit), r.ContentLength)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, lrs.Errorf(lrs.ETOOLARGE, "alternate-syntax form is larger than the limit of %d bytes", limit)
		}
		return nil, formReadError(err)
	}
	return raw, nil
}

func formReadError(err error) error {
	var le *lrs.Error
	if errors.As(err, &le) {
		return le
	}
	return lrs.Errorf(lrs.EINVALID, "reading alternate-syntax form: %v", err)
}

// headerField returns the canonical header a form field stands for, "" if
// it is not one.
func headerField(name string) string {
	for _, h := range alternateHeaders {
		if strings.EqualFold(h, name) {
			return h
		}
	}
	return ""
}
