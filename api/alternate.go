package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jejak-id/jejak/lrs"
)

// alternateHeaders are the form fields of the alternate request syntax that
// become request headers; every other field but "content" becomes a query
// parameter.
var alternateHeaders = []string{"Authorization", "X-Experience-API-Version", "Content-Type", "Content-Length", "If-Match", "If-None-Match"}

// alternateSyntax turns an xAPI 1.0.x alternate request (POST ?method=X,
// application/x-www-form-urlencoded, headers and content in the form) into
// the request it stands for (XAPI-00336). xAPI 2.0 removed the syntax, so a
// 2.0 request using it is rejected.
func (s *Server) alternateSyntax(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		q := r.URL.Query()
		if r.Method != http.MethodPost || !q.Has("method") {
			return next(c)
		}
		if v, err := lrs.ParseVersion(r.Header.Get("X-Experience-API-Version")); err == nil && v == lrs.V2 {
			return lrs.Errorf(lrs.EINVALID, "the alternate request syntax (method=) is not part of xAPI 2.0")
		}
		if len(q) != 1 || len(q["method"]) != 1 {
			return lrs.Errorf(lrs.EINVALID, "with the alternate request syntax, method is the only query parameter; send the others in the form")
		}
		method := q.Get("method")
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete:
		default:
			return lrs.Errorf(lrs.EINVALID, "method: %q is not GET, HEAD, PUT, POST or DELETE", method)
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
			return lrs.Errorf(lrs.EINVALID, "the alternate request syntax needs Content-Type application/x-www-form-urlencoded")
		}
		raw, err := s.readForm(c)
		if err != nil {
			return err
		}
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			return lrs.Errorf(lrs.EINVALID, "alternate request form: %v", err)
		}
		// The router reads the original request, so it is changed in place.
		nr := r
		nr.Method = method
		query := url.Values{}
		content := form.Get("content")
		for name, vals := range form {
			if name == "content" {
				continue
			}
			if h := headerField(name); h != "" {
				nr.Header.Set(h, vals[0])
				continue
			}
			query[name] = vals
		}
		if v, err := lrs.ParseVersion(nr.Header.Get("X-Experience-API-Version")); err == nil && v == lrs.V2 {
			return lrs.Errorf(lrs.EINVALID, "the alternate request syntax (method=) is not part of xAPI 2.0")
		}
		nr.URL.RawQuery = query.Encode()
		nr.RequestURI = nr.URL.RequestURI()
		nr.Body = io.NopCloser(bytes.NewReader([]byte(content)))
		nr.ContentLength = int64(len(content))
		nr.Header.Set("Content-Length", strconv.Itoa(len(content)))
		if content == "" {
			nr.Header.Del("Content-Type")
		}
		return next(c)
	}
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
	canon := textproto.CanonicalMIMEHeaderKey(name)
	for _, h := range alternateHeaders {
		if strings.EqualFold(h, canon) {
			return h
		}
	}
	return ""
}
