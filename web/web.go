// Package web serves Jejak's pages for people: civil servants see and
// record their learning, supervisors decide their staff's claims, analysts
// see their units, auditors the log and the access log, admins the
// credentials and registries. Pages are rendered on the server from
// html/template with every asset embedded; they get their data by calling
// the API in-process with the visitor's session, so every page and action
// is decided by the same policy as the API (lrs.Policy).
package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jejak-id/jejak/api"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config holds the web's dependencies.
type Config struct {
	// API is the server every page calls for its data, with the
	// visitor's session cookie.
	API *api.Server
	// Logger, if set, is told of pages that fail.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxUploadBytes bounds a form with a file (evidence, an import);
	// zero means 16 MiB.
	MaxUploadBytes int64
}

// Handler serves the pages at / and hands /xapi, /api, /auth, /readyz and
// /livez to the API.
type Handler struct {
	cfg   Config
	mux   *http.ServeMux
	pages map[string]*template.Template
	msgs  *catalogue
}

// New returns the web Handler in front of cfg.API.
func New(cfg Config) (*Handler, error) {
	if cfg.API == nil {
		return nil, errors.New("web: no API")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxUploadBytes == 0 {
		cfg.MaxUploadBytes = 16 << 20
	}
	msgs, err := loadCatalogue()
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), msgs: msgs}
	if err := h.parseTemplates(); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFS, "static")
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles(static)))
	h.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/jejak.svg", http.StatusMovedPermanently)
	})
	h.mux.HandleFunc("GET /{$}", h.home)
	h.mux.HandleFunc("GET /masuk", h.signInPage)
	h.mux.HandleFunc("POST /masuk", h.signIn)
	h.mux.HandleFunc("POST /keluar", h.signOut)
	h.mux.HandleFunc("POST /bahasa", h.language)
	h.registerPegawai()
	h.registerAtasan()
	h.registerAnalis()
	h.registerAuditor()
	h.registerAdmin()
	return h, nil
}

// ServeHTTP serves a page, a static file, or the API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isAPIPath(r.URL.Path) {
		h.cfg.API.ServeHTTP(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		hd.Set("Cache-Control", "no-store")
	}
	h.mux.ServeHTTP(w, r)
}

// contentSecurityPolicy allows nothing inline and nothing from elsewhere.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func isAPIPath(p string) bool {
	for _, prefix := range []string{"/xapi", "/api/", "/auth/"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return p == "/api" || p == "/readyz" || p == "/livez"
}

// staticFiles serves the embedded assets, cached for an hour.
func staticFiles(f fs.FS) http.Handler {
	files := http.FileServerFS(f)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// Me is who the visitor is signed in as (GET /auth/me).
type Me struct {
	Kind  string   `json:"kind"`
	Key   string   `json:"key"`
	NIP   string   `json:"nip"`
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
	Units []string `json:"units"` // an analyst's scope: units or instansi
}

// Has reports whether the visitor holds role.
func (m *Me) Has(role string) bool {
	if m == nil {
		return false
	}
	for _, r := range m.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Label is how the visitor is named in the header.
func (m *Me) Label() string {
	switch {
	case m == nil:
		return ""
	case m.Name != "" && m.NIP != "":
		return m.Name + " (" + m.NIP + ")"
	case m.Name != "":
		return m.Name
	case m.NIP != "":
		return m.NIP
	}
	return m.Key
}

// me asks the API who the request's session is; nil when it has none.
func (h *Handler) me(r *http.Request) *Me {
	var m Me
	if err := h.getJSON(r, "/auth/me", &m); err != nil {
		return nil
	}
	return &m
}

// APIError is an answer of the API other than 2xx.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Response is an answer of the API to an in-process call.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Err is the response as an *APIError when it is not 2xx, else nil.
func (a Response) Err() error {
	if a.Status >= 200 && a.Status < 300 {
		return nil
	}
	e := &APIError{Status: a.Status}
	var body struct{ Code, Message string }
	if json.Unmarshal(a.Body, &body) == nil && body.Message != "" {
		e.Code, e.Message = body.Code, body.Message
	} else {
		e.Message = strings.TrimSpace(string(a.Body))
		if e.Message == "" {
			e.Message = http.StatusText(a.Status)
		}
	}
	return e
}

// Call sends a request to the API in-process, as the visitor of r: with
// r's cookies and client address, and the header that marks a request of
// this origin's own pages (the API's CSRF rule for cookie sessions). hdr
// adds headers (Content-Type, Accept, X-Experience-API-Version).
func (h *Handler) Call(r *http.Request, method, target string, body io.Reader, hdr map[string]string) Response {
	req, err := http.NewRequestWithContext(r.Context(), method, target, body)
	if err != nil {
		return Response{Status: http.StatusBadRequest, Body: []byte(`{"code":"invalid","message":"` + err.Error() + `"}`)}
	}
	req.RemoteAddr = r.RemoteAddr
	req.Host = r.Host
	if c := r.Header.Get("Cookie"); c != "" {
		req.Header.Set("Cookie", c)
	}
	for _, k := range []string{"X-Forwarded-For", "X-Real-Ip", "User-Agent"} {
		if v := r.Header.Get(k); v != "" {
			req.Header.Set(k, v)
		}
	}
	req.Header.Set("X-Requested-With", "jejak-web")
	req.Header.Set("Accept", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := &recorder{header: http.Header{}}
	h.cfg.API.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return Response{Status: rec.status, Header: rec.header, Body: rec.body.Bytes()}
}

// getJSON GETs target from the API and decodes its JSON into v.
func (h *Handler) getJSON(r *http.Request, target string, v any) error {
	a := h.Call(r, http.MethodGet, target, nil, map[string]string{"X-Experience-API-Version": "1.0.3"})
	if err := a.Err(); err != nil {
		return err
	}
	if err := json.Unmarshal(a.Body, v); err != nil {
		return fmt.Errorf("reading the answer of %s: %w", target, err)
	}
	return nil
}

// postJSON POSTs v as JSON to target and decodes the answer into out (if
// not nil).
func (h *Handler) postJSON(r *http.Request, target string, v, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	a := h.Call(r, http.MethodPost, target, bytes.NewReader(b), map[string]string{
		"Content-Type": "application/json", "X-Experience-API-Version": "1.0.3"})
	if err := a.Err(); err != nil {
		return err
	}
	if out != nil && len(a.Body) > 0 {
		return json.Unmarshal(a.Body, out)
	}
	return nil
}

// recorder keeps an in-process answer of the API.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
