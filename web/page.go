package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/jejak-id/jejak/lrs"
)

// Page is what every template gets: the visitor, the language, the CSRF
// token for its forms, and the page's own Data.
type Page struct {
	Lang   string
	Me     *Me
	CSRF   string
	Title  string // message key of the page's title
	Nav    string // the navigation item of the page
	Path   string // the request's path and query, for the language switch
	Flash  string // a message after an action, already in Lang
	Error  string // an error to show above the page, already in Lang
	Status int
	Data   any
	h      *Handler
}

// T is the catalogue's text of key in the page's language.
func (p *Page) T(key string, args ...any) string { return p.h.msgs.T(p.Lang, key, args...) }

// Num writes n with at most two decimals, in the page's language (12,5 in
// Indonesian, 12.5 in English).
func (p *Page) Num(n float64) string {
	s := strconv.FormatFloat(math.Round(n*100)/100, 'f', -1, 64)
	if p.Lang == langID {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// Int writes n with thousands separators of the page's language.
func (p *Page) Int(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := "."
	if p.Lang == langEN {
		sep = ","
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

var monthsID = []string{"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"}

// Date writes a date (time.Time, or a string starting with YYYY-MM-DD) in
// the page's language: 3 Desember 2026, or 3 December 2026.
func (p *Page) Date(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case string:
		if len(x) < 10 {
			return x
		}
		var err error
		if t, err = time.Parse("2006-01-02", x[:10]); err != nil {
			return x
		}
	default:
		return fmt.Sprint(v)
	}
	if t.IsZero() {
		return ""
	}
	if p.Lang == langEN {
		return t.Format("2 January 2006")
	}
	return fmt.Sprintf("%d %s %d", t.Day(), monthsID[t.Month()-1], t.Year())
}

// Pct is part of whole in whole percent (0 when whole is 0).
func (p *Page) Pct(part, whole float64) int {
	if whole <= 0 {
		return 0
	}
	v := int(math.Round(part / whole * 100))
	return max(0, min(v, 100))
}

var funcs = template.FuncMap{
	"add": func(a, b int) int { return a + b },
}

// parseTemplates parses every page with the layout: templates/*.html other
// than layout.html are pages, named by their file name without .html.
func (h *Handler) parseTemplates() error {
	h.pages = map[string]*template.Template{}
	names, _ := fs.Glob(templateFS, "templates/*.html")
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || strings.HasPrefix(base, "_") {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html", n)
		if err != nil {
			return fmt.Errorf("web: template %s: %w", base, err)
		}
		h.pages[strings.TrimSuffix(base, ".html")] = t
	}
	return nil
}

// newPage is a Page for the request, with the CSRF token set.
func (h *Handler) newPage(w http.ResponseWriter, r *http.Request, me *Me) *Page {
	p := &Page{Lang: lang(r), Me: me, Path: r.URL.RequestURI(), h: h}
	p.CSRF = h.csrfToken(w, r)
	if ok := r.URL.Query().Get("ok"); ok != "" && h.msgs.has("flash."+ok) {
		p.Flash = p.T("flash." + ok)
	}
	return p
}

// signedIn returns the visitor's Page, or sends them to the sign-in and
// returns nil.
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request) *Page {
	me := h.me(r)
	if me == nil {
		http.Redirect(w, r, "/masuk?kembali="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	return h.newPage(w, r, me)
}

// areaPage is the visitor's page titled title (a message key) in area nav
// of the header (saya, atasan, analis, auditor, admin), or nil when they
// were sent to the sign-in.
func (h *Handler) areaPage(w http.ResponseWriter, r *http.Request, nav, title string) *Page {
	p := h.signedIn(w, r)
	if p != nil {
		p.Title, p.Nav = title, nav
	}
	return p
}

// sentRefused is the API's refusal of what a form sent (a 4xx other than
// 401, which means the session ended), nil for any other error.
func sentRefused(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) && ae.Status < 500 && ae.Status != http.StatusUnauthorized {
		return ae
	}
	return nil
}

// wib is Western Indonesian Time, the zone of the pages' dates.
var wib = time.FixedZone("WIB", 7*3600)

// render writes page name with p, 200 unless p.Status says otherwise.
func (h *Handler) render(w http.ResponseWriter, name string, p *Page) {
	t, ok := h.pages[name]
	if !ok {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		h.cfg.Logger.Error("page failed", "component", "web", "page", name, "err", err)
		http.Error(w, p.T("err.page"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if p.Status != 0 {
		w.WriteHeader(p.Status)
	}
	_, _ = w.Write(buf.Bytes())
}

// errorPage answers with the error page: status and a message already in
// the visitor's language.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, p *Page, status int, msg string) {
	if p == nil {
		p = h.newPage(w, r, nil)
	}
	p.Title, p.Status, p.Error = "err.title", status, msg
	h.render(w, "galat", p)
}

// fail answers with what went wrong in a call of the API: a session that
// ended goes to the sign-in; a refusal shows the API's own words (they
// name the rule).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, p *Page, err error) {
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Status {
		case http.StatusUnauthorized:
			http.Redirect(w, r, "/masuk?kembali="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		case http.StatusForbidden:
			h.errorPage(w, r, p, ae.Status, p.T("err.forbidden", ae.Message))
			return
		case http.StatusNotFound:
			h.errorPage(w, r, p, ae.Status, p.T("err.not_found", ae.Message))
			return
		}
		if ae.Status < 500 {
			h.errorPage(w, r, p, ae.Status, ae.Message)
			return
		}
	}
	h.cfg.Logger.Error("page failed", "component", "web", "path", r.URL.Path, "err", err)
	h.errorPage(w, r, p, http.StatusBadGateway, p.T("err.server"))
}

// home sends the visitor to the first page of their role.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	me := h.me(r)
	switch {
	case me == nil:
		http.Redirect(w, r, "/masuk", http.StatusSeeOther)
	case me.NIP != "":
		http.Redirect(w, r, "/saya", http.StatusSeeOther)
	case me.Has(lrs.RoleAnalyst):
		http.Redirect(w, r, "/analis", http.StatusSeeOther)
	case me.Has(lrs.RoleVerifier):
		http.Redirect(w, r, "/atasan", http.StatusSeeOther)
	case me.Has(lrs.RoleAuditor):
		http.Redirect(w, r, "/auditor", http.StatusSeeOther)
	case me.Has(lrs.RoleAdmin):
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
	default:
		p := h.newPage(w, r, me)
		p.Title = "home.title"
		h.render(w, "beranda", p)
	}
}

// signInPage shows the ways to sign in.
func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request) {
	p := h.newPage(w, r, nil)
	p.Title = "signin.title"
	p.Data = signInData{OIDC: h.cfg.API.BrowserOIDC(), Return: localReturn(r.URL.Query().Get("kembali"))}
	h.render(w, "masuk", p)
}

type signInData struct {
	OIDC   bool
	Return string
	Key    string
}

// signIn checks a key and secret (POST /masuk) and starts the session.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	key, secret := strings.TrimSpace(r.PostFormValue("key")), r.PostFormValue("secret")
	ret := localReturn(r.PostFormValue("return"))
	_, err := h.cfg.API.SignIn(w, r, key, secret)
	if err == nil {
		http.Redirect(w, r, ret, http.StatusSeeOther)
		return
	}
	p := h.newPage(w, r, nil)
	p.Title = "signin.title"
	p.Data = signInData{OIDC: h.cfg.API.BrowserOIDC(), Return: ret, Key: key}
	p.Status = http.StatusUnauthorized
	p.Error = p.T("signin.wrong")
	if w.Header().Get("Retry-After") != "" {
		p.Status = http.StatusTooManyRequests
		p.Error = p.T("signin.too_many")
	}
	h.render(w, "masuk", p)
}

// signOut ends the session (POST /keluar).
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	h.cfg.API.SignOut(w)
	http.Redirect(w, r, "/masuk?ok=signed_out", http.StatusSeeOther)
}

// Bar is a horizontal bar of Pct percent, named by Label for screen
// readers (template "bar").
type Bar struct {
	Pct   int
	Label string
	Class string
}

// Bar returns a Bar of part out of whole.
func (p *Page) Bar(part, whole float64, label, class string) Bar {
	return Bar{Pct: p.Pct(part, whole), Label: label, Class: class}
}
