package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jejak-id/jejak/lrs/bangkom"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/jejak-id/jejak/lrs"
)

// StatementWriter is the write path (lrs.Appender).
type StatementWriter interface {
	Append(ctx context.Context, stmts []lrs.Statement, by lrs.Authority) (uint64, error)
	// LastSeq is the last log sequence this node knows of; reads wait for the
	// view to reach it.
	LastSeq() uint64
	// Inflight is the stored time of an event being appended now, if any.
	Inflight() (time.Time, bool)
	// AppendDocument commits one document write (see lrs.Appender).
	AppendDocument(ctx context.Context, w lrs.DocumentWrite, agent []byte, by lrs.Authority) (uint64, error)
	// AppendEvent appends a registry or catalogue event (see lrs.Appender).
	AppendEvent(ctx context.Context, typ string, v int, kind string, payload []byte, by lrs.Authority) (uint64, error)
}

// Authenticator checks HTTP Basic credentials (lrs.Keyring).
type Authenticator interface {
	// Check returns the credential of key if secret matches, else
	// EUNAUTHORIZED; it may take a slow password check.
	Check(key, secret string) (lrs.Credential, error)
	// Verified returns the credential of key if this secret has passed
	// Check before, without a password check.
	Verified(key, secret string) (lrs.Credential, bool)
	// Lookup returns the credential of key, revoked ones too (a
	// credential's browser session is checked against it).
	Lookup(key string) (lrs.Credential, bool)
}

// AttachmentStore holds attachment data, each body once, named by its SHA-2
// in lowercase hex (natslog.Objects).
type AttachmentStore interface {
	// Put stores the body read from r under hash unless it is stored
	// already; either way it reads r to its end. If r fails, Put returns
	// r's error (wrapped) and stores nothing. The body is held for the
	// request until release is called once, with whether the request's
	// statements were appended: a body stored for requests that all
	// failed, and needed by no statement, is deleted then.
	Put(ctx context.Context, hash string, r io.Reader) (release func(appended bool), err error)
	// Get opens the body stored under hash, ENOTFOUND if there is none.
	// The caller closes it.
	Get(ctx context.Context, hash string) (io.ReadCloser, error)
}

// Config holds the server's dependencies.
type Config struct {
	Auth Authenticator
	// Credentials manages the credentials kept on the log; nil serves no
	// /api/v1/credentials.
	Credentials CredentialManager
	Statements  lrs.StatementView
	Documents   lrs.DocumentView
	// JP is the JP view; nil serves no analyst API.
	JP JPView
	// BangkomProfile is the JSON-LD of the Bangkom xAPI Profile.
	BangkomProfile []byte
	// Frameworks are the competency dictionaries.
	Frameworks bangkom.Frameworks
	Writer     StatementWriter
	Logger     *slog.Logger
	Now        func() time.Time
	NewID      func() uuid.UUID
	// MaxBodyBytes bounds a request body; larger bodies get 413.
	MaxBodyBytes int64
	// Attachments holds attachment data; nil refuses it.
	Attachments AttachmentStore
	// MaxAttachmentBytes bounds the attachment data of one request (the
	// parts after the statements); more gets 413. Zero means 64 MiB.
	MaxAttachmentBytes int64
	// ReadWait bounds how long a read waits for the view to reach this
	// node's last write (read your writes). Zero means 5s.
	ReadWait time.Duration
	// Observe, if set, is told of every request when it is answered: its
	// method, route pattern, status and duration (for metrics).
	Observe func(method, route string, status int, d time.Duration)
	// Ready, if set, says whether the node can take writes now: GET
	// /readyz answers 503 with its error, 200 when it is nil.
	Ready func() error
	// CORSOrigins are the browser origins allowed to call the xAPI; empty
	// means any ("*"). Credentials travel in the Authorization header, never
	// in cookies.
	CORSOrigins []string
	// APICORSOrigins are the browser origins allowed to call /api/v1 (the
	// analyst API, personal data); empty allows none.
	APICORSOrigins []string
	// BodyTimeout and MinBodyRate bound how long a request body may take:
	// BodyTimeout, plus one second for every MinBodyRate bytes received.
	// Zero means 30s and 16 KiB/s.
	BodyTimeout time.Duration
	MinBodyRate int64
	// MaxFormBytes bounds the form of an alternate-syntax request that
	// carries its credentials only in the form: that much is read before
	// they are checked. Zero means 64 KiB.
	MaxFormBytes int64
	// MaxFormReaders bounds how many such forms are read at once; more get
	// 429. Zero means 32.
	MaxFormReaders int
	// AuthFailures failed authentications within AuthWindow block a client
	// address; AuthKeyFailures block a key for password checks (a secret
	// that verified before still passes). Zero means 30, 100 and a minute.
	AuthFailures    int
	AuthKeyFailures int
	AuthWindow      time.Duration
	// Sessions, if set, seals the session cookies of the web's key sign-in
	// (SignIn); without it, the browser sign-in's are used, if any.
	Sessions *Sessions
	// OIDC, if set, accepts bearer tokens of an OpenID Connect provider for
	// people, and serves the browser sign-in under /auth (oidc.go).
	OIDC *OIDC
	// Access is the access log for personal data: every read of a
	// person's, a unit's or a supervisor's records is recorded in it, and
	// GET /api/v1/access reads it. Nil records nothing.
	Access AccessLog
	// HomePage is the account homePage of ASN agents (their name is the
	// NIP): statement queries by such an agent are reads of that person.
	// Empty means bangkom.DefaultHomePage.
	HomePage string
	// ReadOnly, if set, says why this node takes no writes (it serves
	// views replayed as of a moment, with no log): every request that
	// would write is refused with 405 naming it, /readyz says so, and
	// X-Experience-API-Consistent-Through is the stored time of the
	// views' last event.
	ReadOnly string
	// Node, if set, says which node this is and which node decides the
	// log's appends (GET /api/v1/status); nil shows node "" and no decider.
	Node func() NodeStatus
	// LogHead, if set, returns the log's stream name and last sequence
	// (GET /api/v1/status); nil shows no log (a read-only node).
	LogHead func(ctx context.Context) (stream string, head uint64, err error)
	// Nodes, if set, asks every node of the log for its status (GET
	// /api/v1/status?nodes=all), with the views' digests when digests is
	// set; nil answers no other node.
	Nodes func(ctx context.Context, digests bool) ([]json.RawMessage, error)
	// Views are the views GET /api/v1/status shows, with their positions
	// and digests.
	Views []ViewStatus
	// Integrity, if set, is the break of the log's hash chain the views
	// met as they folded (projections.Integrity): GET /api/v1/status shows
	// through which sequence the chain is verified, and the break.
	Integrity Integrity
}

// Server is the HTTP face of the LRS.
type Server struct {
	cfg       Config
	echo      *echo.Echo
	addrFails *failures       // by client address
	keyFails  *failures       // by key
	formSlots chan struct{}   // one per unauthenticated form being read
	routes    map[string]bool // "METHOD path" of every route, for authorize
}

// New returns a Server with every route registered.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = uuid.New
	}
	if cfg.ReadWait == 0 {
		cfg.ReadWait = 5 * time.Second
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 8 << 20
	}
	if cfg.MaxAttachmentBytes == 0 {
		cfg.MaxAttachmentBytes = 64 << 20
	}
	if cfg.BodyTimeout == 0 {
		cfg.BodyTimeout = 30 * time.Second
	}
	if cfg.MinBodyRate == 0 {
		cfg.MinBodyRate = 16 << 10
	}
	if cfg.MaxFormBytes == 0 {
		cfg.MaxFormBytes = 64 << 10
	}
	if cfg.MaxFormReaders == 0 {
		cfg.MaxFormReaders = 32
	}
	if cfg.AuthFailures == 0 {
		cfg.AuthFailures = 30
	}
	if cfg.AuthKeyFailures == 0 {
		cfg.AuthKeyFailures = 100
	}
	if cfg.AuthWindow == 0 {
		cfg.AuthWindow = time.Minute
	}
	if cfg.HomePage == "" {
		cfg.HomePage = bangkom.DefaultHomePage
	}
	s := &Server{cfg: cfg, echo: echo.New(), formSlots: make(chan struct{}, cfg.MaxFormReaders)}
	s.addrFails = newFailures(cfg.AuthFailures, cfg.AuthWindow, cfg.Now)
	s.keyFails = newFailures(cfg.AuthKeyFailures, cfg.AuthWindow, cfg.Now)
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	if cfg.Observe != nil {
		e.Use(s.observe)
	}
	e.Pre(s.securityHeaders)
	e.Pre(s.alternateSyntax)
	if cfg.ReadOnly != "" {
		e.Pre(s.refuseWrites) // after alternateSyntax: a POST ?method=GET reads
	}
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.cfg.Logger.Error("panic", "component", "api", "path", c.Request().URL.Path, "err", err, "stack", string(stack))
			return lrs.Internal("handler panic", err)
		},
	}))
	origins := nonEmpty(cfg.CORSOrigins)
	if len(origins) == 0 {
		origins = []string{"*"}
	}
	e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
		Skipper:       isAnalystAPI,
		AllowOrigins:  origins,
		AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete},
		AllowHeaders:  []string{"Authorization", "Content-Type", "X-Experience-API-Version", "If-Match", "If-None-Match", "Accept-Language"},
		ExposeHeaders: []string{"X-Experience-API-Version", "X-Experience-API-Consistent-Through", "ETag", "Last-Modified", "Content-Type"},
		MaxAge:        600,
	}))
	if apiOrigins := nonEmpty(cfg.APICORSOrigins); len(apiOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			Skipper:      func(c echo.Context) bool { return !isAnalystAPI(c) },
			AllowOrigins: apiOrigins,
			AllowMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost},
			AllowHeaders: []string{"Authorization", "Content-Type"},
			MaxAge:       600,
		}))
	}
	e.Use(s.versionHeader)

	e.GET("/xapi/about", s.about)
	e.HEAD("/xapi/about", s.about)
	e.GET("/readyz", s.readyz)
	e.HEAD("/readyz", s.readyz)
	e.GET("/livez", s.livez)
	e.HEAD("/livez", s.livez)

	x := e.Group("/xapi", s.requireVersion, s.authenticate, s.authorize)
	st := x.Group("/statements", s.consistentThrough)
	st.PUT("", s.putStatement)
	st.POST("", s.postStatements)
	st.GET("", s.recordAccess(s.agentTarget, s.getStatements))
	st.HEAD("", s.recordAccess(s.agentTarget, s.getStatements))

	for path, res := range map[string]docResource{
		"/activities/state":   stateResource,
		"/activities/profile": activityProfileResource,
		"/agents/profile":     agentProfileResource,
	} {
		h := s.document(res)
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete} {
			x.Add(m, path, h)
		}
	}
	s.registerJP()
	s.registerOIDC()
	s.registerCredentials()
	s.registerStatus()
	if cfg.Access != nil {
		getHead(e.Group("/api/v1", s.authenticate), "/access", s.getAccess)
	}
	x.GET("/activities", s.activities)
	x.HEAD("/activities", s.activities)
	x.GET("/agents", s.agents)
	x.HEAD("/agents", s.agents)
	s.routes = make(map[string]bool)
	for _, r := range e.Routes() {
		if r.Method != echo.RouteNotFound {
			s.routes[r.Method+" "+r.Path] = true
		}
	}
	return s
}

// ServeHTTP makes Server an http.Handler. A request body gets a read
// deadline that moves on as its bytes arrive (see pacedBody).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil && r.Body != http.NoBody {
		rc := http.NewResponseController(w)
		start := time.Now()
		if rc.SetReadDeadline(start.Add(s.cfg.BodyTimeout)) == nil {
			r.Body = &pacedBody{ReadCloser: r.Body, rc: rc, start: start, timeout: s.cfg.BodyTimeout, rate: s.cfg.MinBodyRate}
		}
	}
	s.echo.ServeHTTP(w, r)
}

// isAnalystAPI reports whether c is a request to /api/v1.
func isAnalystAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return p == "/api/v1" || strings.HasPrefix(p, "/api/v1/")
}

func nonEmpty(list []string) []string {
	var out []string
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// securityHeaders marks every response as not to be sniffed, and every
// response but the public ones (about, the profile) as not to be stored:
// they hold personal data.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		switch c.Request().URL.Path {
		case "/xapi/about", "/xapi/profiles/bangkom":
		default:
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// Context keys.
const (
	ctxVersion    = "jejak.version"
	ctxCredential = "jejak.credential"
	ctxPrincipal  = "jejak.principal"
)

func version(c echo.Context) lrs.Version {
	if v, ok := c.Get(ctxVersion).(lrs.Version); ok {
		return v
	}
	return lrs.V1
}

func credential(c echo.Context) lrs.Credential {
	cred, _ := c.Get(ctxCredential).(lrs.Credential)
	return cred
}

// principal is who makes the request, as the authorization policy sees it.
func principal(c echo.Context) lrs.Principal {
	p, _ := c.Get(ctxPrincipal).(lrs.Principal)
	return p
}

// authorize decides the request by its route's row of the policy
// (lrs.Policy) before the handler runs; the handlers decide what depends
// on content (which statements, voiding).
func (s *Server) authorize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		method := c.Request().Method
		if !s.routes[method+" "+c.Path()] {
			return next(c) // echo's 404 or 405: no route to decide on
		}
		if err := lrs.Authorize(principal(c), method, c.Path()); err != nil {
			return err
		}
		return next(c)
	}
}

// observe reports each request to Config.Observe.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		status := c.Response().Status
		if err != nil {
			// the error handler has not run yet: name the status it will write
			var he *echo.HTTPError
			switch {
			case errors.As(err, &he):
				status = he.Code
			default:
				status = statusOf(lrs.ErrorCode(err))
			}
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		s.cfg.Observe(c.Request().Method, route, status, time.Since(start))
		return err
	}
}

// versionHeader answers every response with the xAPI version the request
// speaks, or the newest served (2.0.0) when it names none or one not
// served: the 400 of a request without a version states the latest patch
// version (XAPI-00331, 2.0.0 4.1.7). A 1.0.x request is answered 1.0.3.
func (s *Server) versionHeader(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		v, err := lrs.ParseVersion(c.Request().Header.Get("X-Experience-API-Version"))
		if err != nil {
			v = lrs.Newest
		}
		c.Response().Header().Set("X-Experience-API-Version", v.String())
		return next(c)
	}
}

// requireVersion rejects requests without a supported version header
// (XAPI-00321, XAPI-00331).
func (s *Server) requireVersion(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		v, err := lrs.ParseVersion(c.Request().Header.Get("X-Experience-API-Version"))
		if err != nil {
			return err
		}
		c.Set(ctxVersion, v)
		return next(c)
	}
}

// authenticate requires HTTP Basic credentials (XAPI-00334, XAPI-00335),
// an OpenID Connect bearer token, or (without an Authorization header) the
// session cookie of the browser sign-in; it puts the Principal in the
// context.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		var a authn
		var err error
		header := c.Request().Header.Get("Authorization")
		if cookie, ok := s.sessionCookie(c); ok && header == "" {
			a, err = s.checkSession(c, cookie)
		} else {
			a, err = s.checkAuth(c, header)
		}
		if err != nil {
			return err
		}
		c.Set(ctxCredential, a.credential)
		c.Set(ctxPrincipal, a.principal)
		return next(c)
	}
}

// checkAuth checks the HTTP Basic credentials or bearer token of an
// Authorization value. A client address with too many failures in the
// window gets 429; so does a key with too many, unless this secret
// verified before. Failures count against both.
func (s *Server) checkAuth(c echo.Context, authorization string) (authn, error) {
	if token, ok := bearerToken(authorization); ok {
		return s.checkBearer(c, token)
	}
	key, secret, ok := parseBasic(authorization)
	if !ok {
		return authn{}, lrs.Errorf(lrs.EUNAUTHORIZED, "missing HTTP Basic credentials")
	}
	addr := clientAddr(c.Request())
	if wait := s.addrFails.blocked(addr); wait > 0 {
		return authn{}, tooMany(c, wait, "too many failed authentications from %s; retry later", addr)
	}
	if cred, ok := s.cfg.Auth.Verified(key, secret); ok {
		return credentialAuthn(cred), nil
	}
	if wait := s.keyFails.blocked(key); wait > 0 {
		return authn{}, tooMany(c, wait, "too many failed authentications for this key; retry later")
	}
	cred, err := s.cfg.Auth.Check(key, secret)
	if lrs.ErrorCode(err) == lrs.EUNAUTHORIZED {
		s.addrFails.fail(addr)
		s.keyFails.fail(key)
	}
	if err != nil {
		return authn{}, err
	}
	return credentialAuthn(cred), nil
}

// parseBasic reads an HTTP Basic Authorization value.
func parseBasic(authorization string) (key, secret string, ok bool) {
	if authorization == "" {
		return "", "", false
	}
	r := http.Request{Header: http.Header{"Authorization": {authorization}}}
	return r.BasicAuth()
}

// errorHandler is the one place errors become HTTP responses.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, code, msg := http.StatusInternalServerError, lrs.EINTERNAL, "internal error"
	var he *echo.HTTPError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		status, code, msg = http.StatusRequestEntityTooLarge, lrs.ETOOLARGE, "request body is larger than the limit of "+strconv.FormatInt(mbe.Limit, 10)+" bytes"
	case errors.As(err, &he):
		status, code, msg = he.Code, strings.ToLower(strings.ReplaceAll(http.StatusText(he.Code), " ", "_")), http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok {
			msg = m
		}
	default:
		code = lrs.ErrorCode(err)
		msg = lrs.ErrorMessage(err)
		status = statusOf(code)
	}
	if status >= 500 {
		c.Response().Header().Set("Retry-After", "1")
		s.cfg.Logger.Error("request failed", "component", "api", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if c.Response().Header().Get("X-Experience-API-Version") == "" {
		c.Response().Header().Set("X-Experience-API-Version", lrs.V1.String())
	}
	if h := c.Response().Header(); status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
		// A browser asks for a password on a Basic challenge: the sign-in
		// routes, for browsers, name only Bearer.
		if !strings.HasPrefix(c.Request().URL.Path, "/auth/") {
			h.Add("WWW-Authenticate", `Basic realm="jejak", charset="UTF-8"`)
		}
		if s.cfg.OIDC != nil || strings.HasPrefix(c.Request().URL.Path, "/auth/") {
			h.Add("WWW-Authenticate", `Bearer realm="jejak"`)
		}
	}
	// HEAD gets the same headers; net/http drops the body.
	_ = c.JSON(status, map[string]string{"code": code, "message": msg})
}

func statusOf(code string) int {
	switch code {
	case lrs.EINVALID:
		return http.StatusBadRequest
	case lrs.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case lrs.EFORBIDDEN:
		return http.StatusForbidden
	case lrs.ENOTFOUND:
		return http.StatusNotFound
	case lrs.ECONFLICT:
		return http.StatusConflict
	case lrs.EPRECONDITION:
		return http.StatusPreconditionFailed
	case lrs.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case lrs.EMEDIATYPE:
		return http.StatusUnsupportedMediaType
	case lrs.ETOOMANY:
		return http.StatusTooManyRequests
	case lrs.ENOTDECIDED:
		// Several nodes, and none decided the write in time (the deciding
		// node was lost and another has not yet taken over): nothing was
		// appended, or the outcome is unknown; the request may be sent
		// again. Chosen over 500 so that load balancers and clients see a
		// temporary condition (ADR 26).
		return http.StatusServiceUnavailable
	case lrs.EUNAVAILABLE:
		// xAPI allows 500 for "network/server issues" (XAPI-00329) and no
		// other 5xx (XAPI-00323); the message says to retry.
		return http.StatusInternalServerError
	default:
		return http.StatusInternalServerError
	}
}

// readBody reads the request body within the size limit.
func (s *Server) readBody(c echo.Context) ([]byte, error) {
	r := c.Request()
	if r.ContentLength > s.cfg.MaxBodyBytes {
		return nil, lrs.Errorf(lrs.ETOOLARGE, "request body of %d bytes is larger than the limit of %d bytes", r.ContentLength, s.cfg.MaxBodyBytes)
	}
	body, err := readAll(http.MaxBytesReader(c.Response(), r.Body, s.cfg.MaxBodyBytes), r.ContentLength)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, lrs.Errorf(lrs.ETOOLARGE, "request body is larger than the limit of %d bytes", s.cfg.MaxBodyBytes)
		}
		var le *lrs.Error
		if errors.As(err, &le) {
			return nil, le
		}
		return nil, lrs.Errorf(lrs.EINVALID, "reading request body: %v", err)
	}
	return body, nil
}

// readAll reads r to its end into a buffer of the declared length (when
// there is one, as there is for nearly every client), instead of the
// doubling of io.ReadAll, which allocated three times the body. A length
// is only a claim: at most readAhead is allocated before the bytes come.
func readAll(r io.Reader, declared int64) ([]byte, error) {
	if declared <= 0 {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, min(declared+1, readAhead)) // +1: the read that finds the end
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) { // more to come: let it grow
			b = append(b, 0)[:len(b)]
		}
	}
}

const readAhead = 4 << 20

func (s *Server) about(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{
		"version":    lrs.Versions,
		"extensions": map[string]any{"https://jejak.id/xapi/about/product": "Jejak"},
	})
}

// readyz answers a readiness probe (no credentials): 200 while the node
// takes writes, 503 with the reason while its log does not, so that a
// load balancer sends writes elsewhere (the node exits if it does not
// recover: see serve's --log-failure-exit).
// refuseWrites answers every request but GET, HEAD and OPTIONS with 405
// naming why the node is read-only (Config.ReadOnly).
func (s *Server) refuseWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		c.Response().Header().Set("Allow", "GET, HEAD")
		return echo.NewHTTPError(http.StatusMethodNotAllowed, "this node is read-only ("+s.cfg.ReadOnly+"): it takes no writes; send "+c.Request().Method+" to a serving node")
	}
}

func (s *Server) readyz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	if s.cfg.ReadOnly != "" {
		return c.String(http.StatusOK, "ready, read-only: "+s.cfg.ReadOnly+"\n")
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(); err != nil {
			return c.String(http.StatusServiceUnavailable, "not ready: "+err.Error()+"\n")
		}
	}
	return c.String(http.StatusOK, "ready\n")
}

// livez answers a liveness probe (no credentials): the process serves HTTP.
func (s *Server) livez(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(http.StatusOK, "live\n")
}
