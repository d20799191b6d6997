package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// OIDCConfig configures sign-in with OpenID Connect: bearer JWTs on every
// route, and (with ClientID and RedirectURL) the browser authorization-code
// flow with PKCE that leaves a session cookie.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL, exactly as in its tokens' "iss"
	// (e.g. https://sso.example.go.id/realms/asn). Its discovery document
	// names the JWKS the tokens are checked against.
	Issuer string
	// Audience must be among a bearer token's "aud". Empty means ClientID.
	Audience string
	// NIPClaim names the claim that holds the person's 18-digit NIP; empty
	// means "nip". A dotted name (a.b) is looked up in nested objects when
	// no claim has the whole name.
	NIPClaim string
	// NameClaim names the claim with the person's display name; empty
	// means "name".
	NameClaim string
	// RolesClaim, if set, names the claim with the person's roles (a list
	// of strings, or one string separated by spaces or commas), dotted for
	// nested ones such as Keycloak's realm_access.roles. Only Jejak's roles
	// are kept; others are ignored.
	RolesClaim string

	// ClientID, ClientSecret and RedirectURL configure the browser flow;
	// without ClientID and RedirectURL the /auth routes answer 404.
	// ClientSecret may be empty for a public client (PKCE protects it).
	ClientID     string
	ClientSecret string
	// RedirectURL is the public URL of GET /auth/callback, as registered
	// with the provider. It must be https unless its host is loopback.
	RedirectURL string
	// Scopes requested in the browser flow; empty means openid and profile.
	Scopes []string
	// SessionKey seals the session and sign-in cookies (AES-256-GCM): 32
	// bytes. Every node behind one address needs the same key.
	SessionKey []byte
	// Sessions, if set, seals the cookies instead (the server's own, so
	// that the key sign-in and this share one); SessionKey is then unused.
	Sessions *Sessions
	// SessionTTL bounds a browser session; zero means 8 hours. A session
	// is not renewed: after it the person signs in again.
	SessionTTL time.Duration

	// HTTPClient reaches the provider; nil means a client with a 10s timeout.
	HTTPClient *http.Client
	// Now is the clock for token expiry and sessions; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Defaults of OIDCConfig.
const (
	DefaultNIPClaim   = "nip"
	DefaultNameClaim  = "name"
	DefaultSessionTTL = 8 * time.Hour
	// loginTTL bounds the time between /auth/login and /auth/callback.
	loginTTL = 10 * time.Minute
	// discoveryRetry is how often a failed discovery is tried again.
	discoveryRetry = 10 * time.Second
	// maxNameBytes bounds the display name kept from a token.
	maxNameBytes = 256
)

// personRoles are the roles a person may hold through the roles claim.
var personRoles = []string{lrs.RoleAdmin, lrs.RoleAnalyst, lrs.RoleVerifier, lrs.RoleAssessor, lrs.RoleProvider, lrs.RoleAuditor}

// PersonScopes are the xAPI scopes of a signed-in person: they write
// statements (a supervisor's decision, their own claims; the policy says
// which) and read their own records.
var PersonScopes = []string{lrs.ScopeStatementsWrite, lrs.ScopeStatementsReadMine}

// OIDC verifies the tokens of one OpenID Connect provider and runs the
// browser sign-in. The provider's discovery document is fetched on first
// use and, while it cannot be, again at most every ten seconds; meanwhile
// token requests get 500 (the identity provider cannot be reached) and
// HTTP Basic keeps working.
type OIDC struct {
	cfg     OIDCConfig
	browser bool      // the browser flow is configured
	jar     *Sessions // seals the browser flow's cookies

	mu    sync.Mutex
	p     *discovered
	tried time.Time
	err   error
}

// discovered is what the provider's discovery document gives.
type discovered struct {
	bearer *oidc.IDTokenVerifier // access (or ID) tokens for Audience
	id     *oidc.IDTokenVerifier // ID tokens for ClientID (browser flow)
	oauth  oauth2.Config
}

// NewOIDC checks cfg and returns an OIDC; it does not reach the provider
// (see Discover). Errors are EINVALID and name the setting.
func NewOIDC(cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" {
		return nil, lrs.Errorf(lrs.EINVALID, "OpenID Connect needs the issuer URL")
	}
	if u, err := url.Parse(cfg.Issuer); err != nil || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname()))) || u.Host == "" {
		return nil, lrs.Errorf(lrs.EINVALID, "OpenID Connect issuer %q: want an https URL (http only on loopback)", cfg.Issuer)
	}
	if cfg.Audience == "" {
		cfg.Audience = cfg.ClientID
	}
	if cfg.Audience == "" {
		return nil, lrs.Errorf(lrs.EINVALID, "OpenID Connect needs the audience that bearer tokens are issued for, or a client ID")
	}
	if cfg.NIPClaim == "" {
		cfg.NIPClaim = DefaultNIPClaim
	}
	if cfg.NameClaim == "" {
		cfg.NameClaim = DefaultNameClaim
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.SessionTTL < 0 {
		return nil, lrs.Errorf(lrs.EINVALID, "OpenID Connect session lifetime %v: want a positive duration", cfg.SessionTTL)
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile}
	}
	if !slices.Contains(cfg.Scopes, oidc.ScopeOpenID) {
		cfg.Scopes = append([]string{oidc.ScopeOpenID}, cfg.Scopes...)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	o := &OIDC{cfg: cfg}
	if cfg.ClientID == "" && cfg.RedirectURL == "" {
		return o, nil
	}
	if cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, lrs.Errorf(lrs.EINVALID, "the OpenID Connect browser sign-in needs both a client ID and a redirect URL")
	}
	u, err := url.Parse(cfg.RedirectURL)
	if err != nil || u.Host == "" || !strings.HasSuffix(u.Path, "/auth/callback") || u.RawQuery != "" || u.Fragment != "" {
		return nil, lrs.Errorf(lrs.EINVALID, "OpenID Connect redirect URL %q: want the public URL of /auth/callback, e.g. https://jejak.example.go.id/auth/callback", cfg.RedirectURL)
	}
	secure := false
	switch {
	case u.Scheme == "https":
		secure = true
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
	default:
		return nil, lrs.Errorf(lrs.EINVALID, "OpenID Connect redirect URL %q: must be https (http only on loopback), for the session cookie is Secure", cfg.RedirectURL)
	}
	switch {
	case cfg.Sessions != nil:
		o.jar = cfg.Sessions
	case len(cfg.SessionKey) != 32:
		return nil, lrs.Errorf(lrs.EINVALID, "OpenID Connect session key: want 32 bytes, have %d", len(cfg.SessionKey))
	default:
		o.jar, _ = NewSessions(cfg.SessionKey, secure, cfg.SessionTTL, cfg.Now)
	}
	o.browser = true
	return o, nil
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Discover fetches the provider's discovery document now, if it has not
// been. serve calls it at start to report a provider it cannot reach.
func (o *OIDC) Discover(ctx context.Context) error {
	_, err := o.provider(ctx)
	return err
}

// provider returns the discovered provider, discovering it if it has not
// been and the last failure is older than discoveryRetry. Errors are
// EUNAVAILABLE.
func (o *OIDC) provider(ctx context.Context) (*discovered, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.p != nil {
		return o.p, nil
	}
	if o.err != nil && time.Since(o.tried) < discoveryRetry {
		return nil, o.err
	}
	o.tried = time.Now()
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, o.cfg.HTTPClient), o.cfg.HTTPClient.Timeout+time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		o.err = lrs.Errorf(lrs.EUNAVAILABLE, "the identity provider %s cannot be reached: %v", o.cfg.Issuer, err)
		o.cfg.Logger.Warn("OpenID Connect discovery failed; bearer tokens and sign-in wait for it", "component", "oidc", "issuer", o.cfg.Issuer, "err", err)
		return nil, o.err
	}
	o.p = &discovered{
		bearer: p.Verifier(&oidc.Config{ClientID: o.cfg.Audience, Now: o.cfg.Now}),
		id:     p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID, SkipClientIDCheck: o.cfg.ClientID == "", Now: o.cfg.Now}),
		oauth: oauth2.Config{
			ClientID:     o.cfg.ClientID,
			ClientSecret: o.cfg.ClientSecret,
			Endpoint:     p.Endpoint(),
			RedirectURL:  o.cfg.RedirectURL,
			Scopes:       o.cfg.Scopes,
		},
	}
	o.err = nil
	o.cfg.Logger.Info("OpenID Connect provider discovered", "component", "oidc", "issuer", o.cfg.Issuer, "browser_sign_in", o.browser)
	return o.p, nil
}

// invalidToken is a refused bearer token or session: 401 with a Bearer
// challenge naming why (RFC 6750 §3.1).
func invalidToken(c echo.Context, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	c.Response().Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+challengeText(msg)+`"`)
	return lrs.Errorf(lrs.EUNAUTHORIZED, "%s", msg)
}

// challengeText keeps the characters RFC 6750 allows in error_description.
func challengeText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\'')
		case r >= 0x20 && r <= 0x7e:
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
		if b.Len() >= 200 {
			break
		}
	}
	return b.String()
}

// bearerToken returns the token of a "Bearer" Authorization value.
func bearerToken(authorization string) (string, bool) {
	const prefix = "bearer "
	if len(authorization) < len(prefix) || !strings.EqualFold(authorization[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(authorization[len(prefix):]), true
}

// checkBearer verifies a bearer token and returns the person it names.
// A client address with too many failures gets 429; a refused token counts
// as a failure of its address (there is no key to count it against).
func (s *Server) checkBearer(c echo.Context, token string) (authn, error) {
	o := s.cfg.OIDC
	if o == nil {
		return authn{}, lrs.Errorf(lrs.EUNAUTHORIZED, "bearer tokens are not accepted: this server has no OpenID Connect issuer (--oidc-issuer); use HTTP Basic")
	}
	addr := clientAddr(c.Request())
	if wait := s.addrFails.blocked(addr); wait > 0 {
		return authn{}, tooMany(c, wait, "too many failed authentications from %s; retry later", addr)
	}
	p, err := o.provider(c.Request().Context())
	if err != nil {
		return authn{}, err
	}
	tok, err := p.bearer.Verify(c.Request().Context(), token)
	if err == nil {
		var pr lrs.Principal
		if pr, err = o.principal(tok); err == nil {
			return personAuthn(pr), nil
		}
	}
	s.addrFails.fail(addr)
	var expired *oidc.TokenExpiredError
	if errors.As(err, &expired) {
		if expired.Expiry.IsZero() {
			return authn{}, invalidToken(c, "the token has no expiry (exp)")
		}
		return authn{}, invalidToken(c, "the token expired at %s", expired.Expiry.UTC().Format(time.RFC3339))
	}
	return authn{}, invalidToken(c, "%s", strings.TrimPrefix(err.Error(), "oidc: "))
}

// principal makes the Principal of a verified token's claims: the NIP
// must be there and valid.
func (o *OIDC) principal(tok *oidc.IDToken) (lrs.Principal, error) {
	var claims map[string]json.RawMessage
	if err := tok.Claims(&claims); err != nil {
		return lrs.Principal{}, fmt.Errorf("token claims: %v", err)
	}
	raw, ok := claim(claims, o.cfg.NIPClaim)
	if !ok {
		return lrs.Principal{}, fmt.Errorf("the token has no NIP: it has no claim %s", o.cfg.NIPClaim)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		// an 18-digit number, as it stands: no float64 could hold it
		s = string(bytes.TrimSpace(raw))
	}
	if len(s) > 40 {
		return lrs.Principal{}, fmt.Errorf("claim %s does not hold a NIP: it has %d characters, a NIP 18 digits", o.cfg.NIPClaim, len(s))
	}
	nip, err := bangkom.ParseNIP(s)
	if err != nil {
		return lrs.Principal{}, fmt.Errorf("claim %s does not hold a NIP: %v", o.cfg.NIPClaim, err)
	}
	p := lrs.Principal{
		Kind:   lrs.PrincipalPerson,
		Key:    "person:" + string(nip),
		Person: string(nip),
		Store:  lrs.DefaultStore,
		Scopes: PersonScopes,
	}
	if raw, ok := claim(claims, o.cfg.NameClaim); ok {
		var name string
		if json.Unmarshal(raw, &name) == nil {
			p.Name = truncate(name, maxNameBytes)
		}
	}
	if o.cfg.RolesClaim != "" {
		if raw, ok := claim(claims, o.cfg.RolesClaim); ok {
			p.Roles = knownRoles(raw)
		}
	}
	return p, nil
}

// claim looks name up in claims: the whole name first, then as a dotted
// path through nested objects.
func claim(claims map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	if v, ok := claims[name]; ok && string(v) != "null" {
		return v, true
	}
	head, rest, dotted := strings.Cut(name, ".")
	if !dotted {
		return nil, false
	}
	var inner map[string]json.RawMessage
	if json.Unmarshal(claims[head], &inner) != nil {
		return nil, false
	}
	return claim(inner, rest)
}

// knownRoles reads a roles claim (a list of strings, or one string
// separated by spaces or commas) and keeps Jejak's roles, each once.
func knownRoles(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		var one string
		if json.Unmarshal(raw, &one) != nil {
			return nil
		}
		list = strings.FieldsFunc(one, func(r rune) bool { return r == ' ' || r == ',' })
	}
	var out []string
	for _, r := range personRoles {
		if slices.Contains(list, r) {
			out = append(out, r)
		}
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// authn is who a request authenticated as: the Principal the policy decides
// on, and the credential its writes carry as authority.
type authn struct {
	principal  lrs.Principal
	credential lrs.Credential
}

func credentialAuthn(c lrs.Credential) authn { return authn{principal: c.Principal(), credential: c} }

// personAuthn is a signed-in person. Until the handlers take the authority
// from the Principal, a person writes with a credential of their own key
// ("person:" + NIP, which no Basic key can be: keys hold no colon).
func personAuthn(p lrs.Principal) authn {
	return authn{principal: p, credential: lrs.Credential{Key: p.Key, Name: p.Name, Person: p.Person, Roles: p.Roles, Scopes: p.Scopes, Store: p.Store}}
}

// Cookies. With https they carry the __Host- prefix (Sessions.CookieName).
const (
	sessionCookieName = "jejak_session"
	loginCookieName   = "jejak_login"
)

// login is the content of the sign-in cookie, from /auth/login to
// /auth/callback.
type login struct {
	State    string `json:"state"`
	Verifier string `json:"verifier"` // PKCE code verifier
	Nonce    string `json:"nonce"`
	Return   string `json:"return"`
	Expires  int64  `json:"exp"`
}

// sessionCookie returns the session cookie's value, if the request has one.
func (s *Server) sessionCookie(c echo.Context) (string, bool) {
	j := s.sessions()
	if j == nil {
		return "", false
	}
	ck, err := c.Cookie(j.CookieName(sessionCookieName))
	if err != nil || ck.Value == "" {
		return "", false
	}
	return ck.Value, true
}

// checkSession authenticates a request by its session cookie. A cookie
// that does not open counts as a failure of the client address; an expired
// one does not (it is the normal end of a session). A request that may
// change something needs the X-Requested-With header, which a page of
// another site cannot send without the CORS preflight this server refuses.
func (s *Server) checkSession(c echo.Context, value string) (authn, error) {
	j := s.sessions()
	addr := clientAddr(c.Request())
	if wait := s.addrFails.blocked(addr); wait > 0 {
		return authn{}, tooMany(c, wait, "too many failed authentications from %s; retry later", addr)
	}
	var ss session
	if !j.open(sessionCookieName, value, &ss) {
		s.addrFails.fail(addr)
		return authn{}, invalidToken(c, "the session cookie is not one of this server's; sign in again at /auth/login")
	}
	if !j.now().Before(time.Unix(ss.Expires, 0)) {
		return authn{}, invalidToken(c, "the session expired at %s; sign in again at /auth/login", time.Unix(ss.Expires, 0).UTC().Format(time.RFC3339))
	}
	switch c.Request().Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if c.Request().Header.Get("X-Requested-With") == "" {
			return authn{}, lrs.Errorf(lrs.EFORBIDDEN, "forbidden: a %s authenticated by the session cookie must carry the X-Requested-With header (policy: csrf)", c.Request().Method)
		}
	}
	if ss.Cred != "" {
		return s.credentialSession(ss)
	}
	return personAuthn(lrs.Principal{
		Kind:   lrs.PrincipalPerson,
		Key:    "person:" + ss.NIP,
		Person: ss.NIP,
		Name:   ss.Name,
		Roles:  ss.Roles,
		Store:  lrs.DefaultStore,
		Scopes: PersonScopes,
	}), nil
}

// registerOIDC adds the browser sign-in routes under /auth.
func (s *Server) registerOIDC() {
	e := s.echo
	e.GET("/auth/login", s.authLogin)
	e.GET("/auth/callback", s.authCallback)
	e.POST("/auth/logout", s.authLogout)
	e.GET("/auth/me", s.authMe, s.authenticate)
	e.HEAD("/auth/me", s.authMe, s.authenticate)
}

func (s *Server) browserOIDC() (*OIDC, error) {
	if s.cfg.OIDC == nil || !s.cfg.OIDC.browser {
		return nil, lrs.Errorf(lrs.ENOTFOUND, "the browser sign-in is not configured on this server (--oidc-issuer, --oidc-client-id, --oidc-redirect-url)")
	}
	return s.cfg.OIDC, nil
}

// LocalPath checks where to return a browser after a sign-in or a form
// (the return parameter of /auth/login, the web's): a path on this
// server, never another site; "" is "/".
func LocalPath(p string) (string, error) {
	if p == "" {
		return "/", nil
	}
	u, err := url.Parse(p)
	if err != nil || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		u.Scheme != "" || u.Host != "" || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) || len(p) > 2048 {
		return "", lrs.Errorf(lrs.EINVALID, "return %q: want a path on this server, such as /app/", truncate(p, 100))
	}
	return p, nil
}

// authLogin starts the browser sign-in: a state, a PKCE verifier and a
// nonce go into a sealed cookie that lives ten minutes, and the browser is
// sent to the provider.
func (s *Server) authLogin(c echo.Context) error {
	o, err := s.browserOIDC()
	if err != nil {
		return err
	}
	ret, err := LocalPath(c.QueryParam("return"))
	if err != nil {
		return err
	}
	p, err := o.provider(c.Request().Context())
	if err != nil {
		return err
	}
	l := login{
		State:    rand.Text(),
		Verifier: oauth2.GenerateVerifier(),
		Nonce:    rand.Text(),
		Return:   ret,
		Expires:  o.cfg.Now().Add(loginTTL).Unix(),
	}
	c.SetCookie(o.jar.Cookie(loginCookieName, o.jar.seal(loginCookieName, l), loginTTL))
	return c.Redirect(http.StatusFound, p.oauth.AuthCodeURL(l.State, oauth2.S256ChallengeOption(l.Verifier), oidc.Nonce(l.Nonce)))
}

// authCallback ends the browser sign-in: it checks the state against the
// sign-in cookie, exchanges the code with the PKCE verifier, verifies the
// ID token and its nonce, and sets the session cookie.
func (s *Server) authCallback(c echo.Context) error {
	o, err := s.browserOIDC()
	if err != nil {
		return err
	}
	ck, err := c.Cookie(o.jar.CookieName(loginCookieName))
	var l login
	if err != nil || !o.jar.open(loginCookieName, ck.Value, &l) {
		return lrs.Errorf(lrs.EINVALID, "no sign-in is in progress in this browser (its cookie is missing or not this server's); start again at /auth/login")
	}
	c.SetCookie(o.jar.Cookie(loginCookieName, "", 0)) // one use only
	if !o.cfg.Now().Before(time.Unix(l.Expires, 0)) {
		return lrs.Errorf(lrs.EINVALID, "the sign-in took longer than %v; start again at /auth/login", loginTTL)
	}
	q := c.QueryParams()
	if e := q.Get("error"); e != "" {
		return lrs.Errorf(lrs.EFORBIDDEN, "forbidden: the identity provider did not sign you in: %s %s", truncate(e, 100), truncate(q.Get("error_description"), 300))
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(l.State)) != 1 {
		return lrs.Errorf(lrs.EINVALID, "the state parameter is not that of this browser's sign-in; start again at /auth/login")
	}
	code := q.Get("code")
	if code == "" {
		return lrs.Errorf(lrs.EINVALID, "the identity provider sent no code")
	}
	p, err := o.provider(c.Request().Context())
	if err != nil {
		return err
	}
	ctx := oidc.ClientContext(c.Request().Context(), o.cfg.HTTPClient)
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(l.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return lrs.Errorf(lrs.EFORBIDDEN, "forbidden: the identity provider refused the code: %s %s", re.ErrorCode, truncate(re.ErrorDescription, 300))
		}
		return lrs.Errorf(lrs.EUNAVAILABLE, "the identity provider's token endpoint cannot be reached: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return lrs.Errorf(lrs.EFORBIDDEN, "forbidden: the identity provider's answer has no ID token (is the openid scope allowed for client %s?)", o.cfg.ClientID)
	}
	idt, err := p.id.Verify(c.Request().Context(), raw)
	if err != nil {
		return lrs.Errorf(lrs.EFORBIDDEN, "forbidden: the ID token is not valid: %s", strings.TrimPrefix(err.Error(), "oidc: "))
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(l.Nonce)) != 1 {
		return lrs.Errorf(lrs.EFORBIDDEN, "forbidden: the ID token's nonce is not that of this sign-in")
	}
	pr, err := o.principal(idt)
	if err != nil {
		return lrs.Errorf(lrs.EFORBIDDEN, "forbidden: %v", err)
	}
	ss := session{NIP: pr.Person, Name: pr.Name, Roles: pr.Roles, Expires: o.cfg.Now().Add(o.cfg.SessionTTL).Unix()}
	c.SetCookie(o.jar.Cookie(sessionCookieName, o.jar.seal(sessionCookieName, ss), o.cfg.SessionTTL))
	o.cfg.Logger.Info("signed in", "component", "oidc", "principal", pr.Key, "roles", pr.Roles)
	return c.Redirect(http.StatusSeeOther, l.Return)
}

// authLogout ends the browser session by removing its cookie. The
// provider's own session (single sign-on) is the provider's to end.
func (s *Server) authLogout(c echo.Context) error {
	if s.sessions() == nil {
		_, err := s.browserOIDC()
		return err
	}
	s.SignOut(c.Response())
	return c.NoContent(http.StatusNoContent)
}

// authMe describes who the request is authenticated as.
func (s *Server) authMe(c echo.Context) error {
	p := principal(c)
	out := map[string]any{"kind": p.Kind, "name": p.Name, "roles": nonNil(p.Roles)}
	if len(p.Units) > 0 {
		out["units"] = p.Units // an analyst's scope, a verifier's queue
	}
	switch p.Kind {
	case lrs.PrincipalPerson:
		out["nip"] = p.Person
	default:
		out["key"] = p.Key
		if p.Person != "" {
			out["nip"] = p.Person
		}
	}
	return c.JSON(http.StatusOK, out)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
