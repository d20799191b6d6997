package api

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"

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
		raw, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, s.cfg.MaxBodyBytes*2))
		if err != nil {
			return lrs.Errorf(lrs.ETOOLARGE, "request body is larger than the limit")
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
