package api

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jejak-id/jejak/lrs"
)

// Sessions seals the browser's cookies: the session a person gets from the
// OpenID Connect sign-in or a credential from the key sign-in of the web
// (SignIn), and the short-lived cookie of a sign-in under way. Values are
// encrypted and authenticated with AES-256-GCM; every node behind one
// address needs the same key.
type Sessions struct {
	aead   cipher.AEAD
	mac    []byte // key of MAC, derived from the session key
	secure bool   // cookies are Secure and carry the __Host- prefix
	ttl    time.Duration
	now    func() time.Time
}

// NewSessions returns the Sessions of a 32-byte key. With secure the
// cookies are Secure (Jejak is reached over https); ttl bounds a session
// (zero means DefaultSessionTTL); now is the clock (nil means time.Now).
func NewSessions(key []byte, secure bool, ttl time.Duration, now func() time.Time) (*Sessions, error) {
	if len(key) != 32 {
		return nil, lrs.Errorf(lrs.EINVALID, "session key: want 32 bytes, have %d", len(key))
	}
	if ttl < 0 {
		return nil, lrs.Errorf(lrs.EINVALID, "session lifetime %v: want a positive duration", ttl)
	}
	if ttl == 0 {
		ttl = DefaultSessionTTL
	}
	if now == nil {
		now = time.Now
	}
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(block)
	m := hmac.New(sha256.New, key)
	m.Write([]byte("jejak session MAC key"))
	return &Sessions{aead: aead, mac: m.Sum(nil), secure: secure, ttl: ttl, now: now}, nil
}

// Secure reports whether the cookies are Secure.
func (j *Sessions) Secure() bool { return j.secure }

// CookieName is the name of the cookie base: with https it carries the
// __Host- prefix (Secure, Path=/, no Domain), so no other host or path can
// set or shadow it.
func (j *Sessions) CookieName(base string) string {
	if j.secure {
		return "__Host-" + base
	}
	return base
}

// Cookie is the cookie base with value, HttpOnly and SameSite=Lax, that
// lives maxAge; a maxAge of zero or less removes it.
func (j *Sessions) Cookie(base, value string, maxAge time.Duration) *http.Cookie {
	ck := &http.Cookie{
		Name:     j.CookieName(base),
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   j.secure,
		SameSite: http.SameSiteLaxMode,
		MaxAge:   int(maxAge / time.Second),
	}
	if maxAge <= 0 {
		ck.MaxAge = -1
	}
	return ck
}

// seal encrypts and authenticates v for the cookie named base (the name is
// the additional data, so one cookie's value cannot stand for another's).
func (j *Sessions) seal(base string, v any) string {
	plain, _ := json.Marshal(v)
	nonce := make([]byte, j.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(j.aead.Seal(nonce, nonce, plain, []byte(base)))
}

// open reverses seal; false if value was not sealed with this key for base.
func (j *Sessions) open(base, value string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(b) < j.aead.NonceSize() {
		return false
	}
	plain, err := j.aead.Open(nil, b[:j.aead.NonceSize()], b[j.aead.NonceSize():], []byte(base))
	return err == nil && json.Unmarshal(plain, v) == nil
}

// MAC is an HMAC-SHA256 of data under a key derived from the session key,
// the same on every node that shares it (the web's CSRF tokens).
func (j *Sessions) MAC(data []byte) []byte {
	m := hmac.New(sha256.New, j.mac)
	m.Write(data)
	return m.Sum(nil)
}

// session is the content of the session cookie: a person signed in with
// OpenID Connect (NIP), or a credential signed in with its key and secret
// (Cred, with a digest of its secret's hash so that rotating the secret
// ends the session).
type session struct {
	NIP     string   `json:"nip,omitempty"`
	Name    string   `json:"name,omitempty"`
	Roles   []string `json:"roles,omitempty"`
	Cred    string   `json:"cred,omitempty"`
	Secret  string   `json:"sh,omitempty"`
	Expires int64    `json:"exp"` // Unix seconds
}

// secretDigest names a credential's secret hash without holding it.
func secretDigest(c lrs.Credential) string {
	sum := sha256.Sum256([]byte(c.SecretHash))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// sessions returns the Sessions of the server: Config.Sessions, else the
// browser sign-in's; nil when neither is configured.
func (s *Server) sessions() *Sessions {
	if s.cfg.Sessions != nil {
		return s.cfg.Sessions
	}
	if o := s.cfg.OIDC; o != nil && o.browser {
		return o.jar
	}
	return nil
}

// Sessions returns the server's Sessions (nil when it has none).
func (s *Server) Sessions() *Sessions { return s.sessions() }

// SignIn checks a credential's key and secret as HTTP Basic would (with the
// same limits on failures) and sets a session cookie for it on w: the web's
// sign-in for admins and other credentials. A credential with no session
// key configured gets EINVALID.
func (s *Server) SignIn(w http.ResponseWriter, r *http.Request, key, secret string) (lrs.Principal, error) {
	j := s.sessions()
	if j == nil {
		return lrs.Principal{}, lrs.Errorf(lrs.EINVALID, "sign-in with a key needs a session key (serve makes one in the data directory)")
	}
	c := s.echo.NewContext(r, echo.NewResponse(w, s.echo))
	a, err := s.checkAuth(c, basicAuthorization(key, secret))
	if err != nil {
		return lrs.Principal{}, err
	}
	cred := a.credential
	ss := session{Cred: cred.Key, Secret: secretDigest(cred), Expires: j.now().Add(j.ttl).Unix()}
	http.SetCookie(w, j.Cookie(sessionCookieName, j.seal(sessionCookieName, ss), j.ttl))
	s.cfg.Logger.Info("signed in", "component", "web", "principal", cred.Key, "roles", cred.Roles)
	return a.principal, nil
}

// SignOut removes the session cookie.
func (s *Server) SignOut(w http.ResponseWriter) {
	if j := s.sessions(); j != nil {
		http.SetCookie(w, j.Cookie(sessionCookieName, "", 0))
	}
}

// BrowserOIDC reports whether people can sign in with OpenID Connect here
// (GET /auth/login).
func (s *Server) BrowserOIDC() bool { return s.cfg.OIDC != nil && s.cfg.OIDC.browser }

func basicAuthorization(key, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"+secret))
}

// credentialSession authenticates the session of a credential signed in
// with its key: it must still exist, not be revoked, and have the secret it
// signed in with.
func (s *Server) credentialSession(ss session) (authn, error) {
	cred, ok := s.cfg.Auth.Lookup(ss.Cred)
	if !ok || !cred.Revoked.IsZero() {
		return authn{}, lrs.Errorf(lrs.EUNAUTHORIZED, "the credential %s of this session is revoked or gone; sign in again", ss.Cred)
	}
	if !hmac.Equal([]byte(secretDigest(cred)), []byte(ss.Secret)) {
		return authn{}, lrs.Errorf(lrs.EUNAUTHORIZED, "the secret of credential %s was changed after this session began; sign in again", ss.Cred)
	}
	return credentialAuthn(cred), nil
}

// HomePage is the account homePage of ASN people: a person's statements
// name them by an account on it whose name is their NIP.
func (s *Server) HomePage() string {
	if s.cfg.JP != nil {
		return s.cfg.JP.HomePage()
	}
	return s.cfg.HomePage
}
