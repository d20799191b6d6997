package web

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
)

// CSRF: every form carries a token that only a page of this site can know:
// an HMAC, under the session key, of a random value kept in an HttpOnly
// SameSite=Strict cookie (a signed double submit). It works before a
// sign-in too, so the sign-in form is covered.

const csrfCookie = "jejak_csrf"

var errCSRF = errors.New("the form's security token is missing or out of date")

// csrfCookieName carries the __Host- prefix when cookies are Secure.
func (h *Handler) csrfCookieName() string {
	if h.secure() {
		return "__Host-" + csrfCookie
	}
	return csrfCookie
}

func (h *Handler) secure() bool {
	j := h.cfg.API.Sessions()
	return j != nil && j.Secure()
}

// csrfToken returns the token of the visitor's CSRF cookie, setting the
// cookie first when it has none.
func (h *Handler) csrfToken(w http.ResponseWriter, r *http.Request) string {
	v := ""
	if c, err := r.Cookie(h.csrfCookieName()); err == nil && len(c.Value) >= 22 {
		v = c.Value
	} else {
		b := make([]byte, 18)
		_, _ = rand.Read(b)
		v = base64.RawURLEncoding.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{Name: h.csrfCookieName(), Value: v, Path: "/", HttpOnly: true,
			Secure: h.secure(), SameSite: http.SameSiteStrictMode})
		// the same request's page must see it
		r.AddCookie(&http.Cookie{Name: h.csrfCookieName(), Value: v})
	}
	return h.csrfOf(v)
}

func (h *Handler) csrfOf(cookie string) string {
	j := h.cfg.API.Sessions()
	if j == nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(j.MAC([]byte("csrf:" + cookie))[:24])
}

// checkCSRF checks the token of a submitted form (already parsed).
func (h *Handler) checkCSRF(r *http.Request) error {
	c, err := r.Cookie(h.csrfCookieName())
	if err != nil || c.Value == "" {
		return errCSRF
	}
	want := h.csrfOf(c.Value)
	got := r.PostFormValue("csrf")
	if want == "" || !hmac.Equal([]byte(want), []byte(got)) {
		return errCSRF
	}
	// a browser tells where a form came from: refuse another site's
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return errCSRF
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" && !strings.HasSuffix(o, "://"+r.Host) {
		return errCSRF
	}
	return nil
}

// parseForm reads a POSTed form (bounded; multipart for files) and checks
// its CSRF token; on failure it has answered.
func (h *Handler) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, h.cfg.MaxUploadBytes)
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(4 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.errorPage(w, r, nil, http.StatusRequestEntityTooLarge, h.msgs.T(lang(r), "err.too_large", mbe.Limit>>20))
			return false
		}
		h.errorPage(w, r, nil, http.StatusBadRequest, h.msgs.T(lang(r), "err.bad_form", err.Error()))
		return false
	}
	if err := h.checkCSRF(r); err != nil {
		h.errorPage(w, r, nil, http.StatusForbidden, h.msgs.T(lang(r), "err.csrf"))
		return false
	}
	return true
}
