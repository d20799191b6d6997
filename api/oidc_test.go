package api_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/api/oidctest"
)

const (
	personNIP   = "199001012015031001"
	webClient   = "jejak-web"
	webSecret   = "web-secret-for-tests"
	rolesClaim  = "realm_access.roles"
	approvalsOf = "/api/v1/approvals?supervisor=" + personNIP
)

// clock is a test clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type oidcEnv struct {
	*env
	root  string // http://host:port
	idp   *oidctest.Provider
	clock *clock
}

// newOIDCEnv serves the API with OpenID Connect from an in-test provider,
// bearer tokens and the browser sign-in, on a loopback address known
// before the server is made (the redirect URL names it).
func newOIDCEnv(t *testing.T, edit func(*api.Config)) *oidcEnv {
	t.Helper()
	idp := oidctest.New(t, webClient, webSecret)
	ts := httptest.NewUnstartedServer(nil)
	root := "http://" + ts.Listener.Addr().String()
	clk := &clock{t: time.Now()}
	o, err := api.NewOIDC(api.OIDCConfig{
		Issuer:       idp.Issuer,
		ClientID:     webClient,
		ClientSecret: webSecret,
		RedirectURL:  root + "/auth/callback",
		RolesClaim:   rolesClaim,
		SessionKey:   []byte(rand.Text() + rand.Text())[:32],
		Now:          clk.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	e, srv := newEnvWith(t, func(c *api.Config) {
		c.OIDC = o
		if edit != nil {
			edit(c)
		}
	})
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	e.url = root + "/xapi"
	return &oidcEnv{env: e, root: root, idp: idp, clock: clk}
}

// bearer makes a request with a bearer token to a path from the root.
func (e *oidcEnv) bearer(t *testing.T, method, path, token string) resp {
	t.Helper()
	return e.request(t, http.DefaultClient, method, path, "Authorization", "Bearer "+token)
}

func (e *oidcEnv) request(t *testing.T, client *http.Client, method, path string, headers ...string) resp {
	t.Helper()
	hr, err := http.NewRequest(method, e.root+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("X-Experience-API-Version", "1.0.3")
	for i := 0; i+1 < len(headers); i += 2 {
		hr.Header.Set(headers[i], headers[i+1])
	}
	res, err := client.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, string(b), res.Header}
}

func expectInvalidToken(t *testing.T, got resp, description string) {
	t.Helper()
	expect(t, got, http.StatusUnauthorized)
	ch := got.header.Get("WWW-Authenticate")
	if !strings.HasPrefix(ch, `Bearer error="invalid_token", error_description="`) || !strings.Contains(ch, description) {
		t.Fatalf("WWW-Authenticate = %q, want invalid_token naming %q", ch, description)
	}
	if !strings.Contains(got.body, description) {
		t.Fatalf("body %s does not name %q", got.body, description)
	}
}

// A bearer token of the provider, for the audience, unexpired, with a NIP,
// authenticates a person on the xAPI and on /api/v1; every other token is
// refused with 401 and a Bearer challenge that says why.
func TestServer_BearerTokens(t *testing.T) {
	e := newOIDCEnv(t, func(c *api.Config) { c.AuthFailures = 1000 }) // every case below is a failure of one address
	person := map[string]any{"nip": personNIP, "name": "Siti Rahayu", "realm_access": map[string]any{"roles": []string{"verifier", "offline_access", "admin-of-something-else"}}}
	valid := e.idp.Token(e.idp.Claims(person))
	other := oidctest.NewKey(t)

	t.Run("valid", func(t *testing.T) {
		expect(t, e.bearer(t, http.MethodGet, "/xapi/statements", valid), http.StatusOK, `"statements"`)
		expect(t, e.bearer(t, http.MethodGet, approvalsOf, valid), http.StatusOK)
		me := e.bearer(t, http.MethodGet, "/auth/me", valid)
		expect(t, me, http.StatusOK)
		var got struct {
			Kind, NIP, Name string
			Roles           []string
		}
		if err := json.Unmarshal([]byte(me.body), &got); err != nil {
			t.Fatal(err)
		}
		if got.Kind != "person" || got.NIP != personNIP || got.Name != "Siti Rahayu" || len(got.Roles) != 1 || got.Roles[0] != "verifier" {
			t.Fatalf("/auth/me = %s: want person %s, Siti Rahayu, roles [verifier] (unknown roles dropped)", me.body, personNIP)
		}
	})
	t.Run("nip as a JSON number", func(t *testing.T) {
		tok := e.idp.Token(e.idp.Claims(map[string]any{"nip": json.Number(personNIP)}))
		expect(t, e.bearer(t, http.MethodGet, "/auth/me", tok), http.StatusOK, `"nip":"`+personNIP+`"`)
	})
	cases := []struct {
		name, token, why string
	}{
		{"expired", e.idp.Token(e.idp.Claims(map[string]any{"nip": personNIP, "exp": time.Now().Add(-time.Minute).Unix()})), "the token expired at"},
		{"no expiry", e.idp.Token(e.idp.Claims(map[string]any{"nip": personNIP, "exp": nil})), "the token has no expiry"},
		{"wrong audience", e.idp.Token(e.idp.Claims(map[string]any{"nip": personNIP, "aud": "another-app"})), "expected audience"},
		{"wrong issuer", e.idp.Token(e.idp.Claims(map[string]any{"nip": personNIP, "iss": "https://sso.elsewhere.example"})), "issued by a different provider"},
		{"tampered", tamper(t, valid), "failed to verify signature"},
		{"unknown key", oidctest.Sign(other, "key-of-another", e.idp.Claims(person)), "failed to verify signature"},
		{"known kid, other key", oidctest.Sign(other, e.idp.KeyID, e.idp.Claims(person)), "failed to verify signature"},
		{"alg none", unsigned(e.idp.Claims(person)), "malformed jwt"},
		{"not a JWT", "opaque-access-token", "malformed jwt"},
		{"no NIP claim", e.idp.Token(e.idp.Claims(map[string]any{"name": "Tanpa NIP"})), "the token has no NIP"},
		{"NIP of 17 digits", e.idp.Token(e.idp.Claims(map[string]any{"nip": personNIP[:17]})), "must be 18 digits"},
		{"NIP with a letter", e.idp.Token(e.idp.Claims(map[string]any{"nip": "19900101201503100X"})), "is not a digit"},
		{"NIP with no birth date", e.idp.Token(e.idp.Claims(map[string]any{"nip": "199013012015031001"})), "not a valid birth date"},
		{"NIP claim not a string", e.idp.Token(e.idp.Claims(map[string]any{"nip": []string{personNIP}})), "does not hold a NIP"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectInvalidToken(t, e.bearer(t, http.MethodGet, "/xapi/statements", tc.token), tc.why)
			expectInvalidToken(t, e.bearer(t, http.MethodGet, approvalsOf, tc.token), tc.why)
		})
	}
	t.Run("in the alternate request syntax", func(t *testing.T) {
		form := url.Values{"Authorization": {"Bearer " + valid}, "X-Experience-API-Version": {"1.0.3"}}
		r := e.doWith(t, req{method: http.MethodPost, path: "/statements?method=GET", body: form.Encode(), contentType: "application/x-www-form-urlencoded", noAuth: true})
		expect(t, r, http.StatusOK, `"statements"`)
		form.Set("Authorization", "Bearer "+tamper(t, valid))
		r = e.doWith(t, req{method: http.MethodPost, path: "/statements?method=GET", body: form.Encode(), contentType: "application/x-www-form-urlencoded", noAuth: true})
		expectInvalidToken(t, r, "failed to verify signature")
	})
	t.Run("nothing appended from a refused token", func(t *testing.T) {
		bad := e.idp.Token(e.idp.Claims(map[string]any{"nip": personNIP, "aud": "another-app"}))
		r := e.doWith(t, req{method: http.MethodPost, path: "/statements", body: stmt("", "http://example.com/refused"), noAuth: true}, "Authorization", "Bearer "+bad)
		expect(t, r, http.StatusUnauthorized)
		expect(t, e.do(t, req{method: http.MethodGet, path: "/statements"}), http.StatusOK)
		if got := e.do(t, req{method: http.MethodGet, path: "/statements"}); strings.Contains(got.body, "example.com/refused") {
			t.Fatalf("a statement posted with a refused token was stored: %s", got.body)
		}
	})
	t.Run("HTTP Basic still works", func(t *testing.T) {
		expect(t, e.do(t, req{method: http.MethodGet, path: "/statements"}), http.StatusOK)
		r := e.do(t, req{method: http.MethodGet, path: "/statements", noAuth: true})
		expect(t, r, http.StatusUnauthorized)
		if ch := r.header.Values("WWW-Authenticate"); len(ch) != 2 || !strings.HasPrefix(ch[0], "Basic ") || ch[1] != `Bearer realm="jejak"` {
			t.Fatalf("WWW-Authenticate without credentials = %q, want Basic and Bearer challenges", ch)
		}
	})
}

// tamper changes the token's payload (the NIP) and keeps its signature.
func tamper(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	payload, err := decodeSegment(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(payload), personNIP, "198502022010122002", 1)
	if changed == string(payload) {
		t.Fatal("tamper: the NIP is not in the payload")
	}
	parts[1] = encodeSegment([]byte(changed))
	return strings.Join(parts, ".")
}

func decodeSegment(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func encodeSegment(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func unsigned(claims map[string]any) string {
	body, _ := json.Marshal(claims)
	return encodeSegment([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + encodeSegment(body) + "."
}

// Refused tokens count against the client address, like wrong Basic
// secrets: past the limit the address gets 429 whatever it sends.
func TestServer_BearerFailuresCountPerAddress(t *testing.T) {
	e := newOIDCEnv(t, func(c *api.Config) { c.AuthFailures = 3 })
	bad := e.idp.Token(e.idp.Claims(map[string]any{"nip": personNIP, "aud": "another-app"}))
	for range 3 {
		expect(t, e.bearer(t, http.MethodGet, "/xapi/statements", bad), http.StatusUnauthorized)
	}
	good := e.idp.Token(e.idp.Claims(map[string]any{"nip": personNIP}))
	expect(t, e.bearer(t, http.MethodGet, "/xapi/statements", good), http.StatusTooManyRequests, "too many failed authentications")
	expect(t, e.do(t, req{method: http.MethodGet, path: "/statements"}), http.StatusTooManyRequests)
}

// Without an issuer configured, a bearer token is refused and says so.
func TestServer_BearerWithoutOIDC(t *testing.T) {
	e := newEnv(t)
	r := e.doWith(t, req{method: http.MethodGet, path: "/statements", noAuth: true}, "Authorization", "Bearer abc")
	expect(t, r, http.StatusUnauthorized, "--oidc-issuer")
	res, err := http.Get(strings.TrimSuffix(e.url, "/xapi") + "/auth/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("/auth/login without OpenID Connect = %d, want 404", res.StatusCode)
	}
}

// browser is a client with a cookie jar that follows redirects.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

// The whole browser sign-in: /auth/login sends the browser to the
// provider with a PKCE challenge, the provider sends it back with a code,
// /auth/callback exchanges it with the verifier, checks the ID token and
// its nonce, sets the session cookie and returns to the page asked for;
// the cookie then authenticates like a bearer token until it expires or
// the person signs out.
func TestServer_BrowserSignIn(t *testing.T) {
	e := newOIDCEnv(t, nil)
	e.idp.SignInAs(map[string]any{"nip": personNIP, "name": "Siti Rahayu", "realm_access": map[string]any{"roles": []string{"assessor"}}})
	b := browser(t)

	r := e.request(t, b, http.MethodGet, "/auth/login?return=/xapi/about")
	expect(t, r, http.StatusOK, `"version"`)
	if e.idp.PKCEChecked() != 1 {
		t.Fatalf("the provider checked PKCE %d times, want 1", e.idp.PKCEChecked())
	}
	root, _ := url.Parse(e.root)
	var session *http.Cookie
	for _, ck := range b.Jar.Cookies(root) {
		switch ck.Name {
		case "jejak_session":
			session = ck
		case "jejak_login":
			t.Errorf("the sign-in cookie outlived the callback")
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}

	me := e.request(t, b, http.MethodGet, "/auth/me")
	expect(t, me, http.StatusOK, `"nip":"`+personNIP+`"`, `"name":"Siti Rahayu"`, `"roles":["assessor"]`, `"kind":"person"`)
	expect(t, e.request(t, b, http.MethodGet, "/xapi/statements"), http.StatusOK)
	expect(t, e.request(t, b, http.MethodGet, approvalsOf), http.StatusOK)

	t.Run("unsafe methods need X-Requested-With", func(t *testing.T) {
		r := e.request(t, b, http.MethodPost, "/xapi/statements", "Content-Type", "application/json")
		expect(t, r, http.StatusForbidden, "X-Requested-With", "policy: csrf")
		r = e.request(t, b, http.MethodPost, "/xapi/statements", "Content-Type", "application/json", "X-Requested-With", "XMLHttpRequest")
		if r.status == http.StatusForbidden || r.status == http.StatusUnauthorized {
			t.Fatalf("POST with X-Requested-With = %d %s: the CSRF rule refused it", r.status, r.body)
		}
	})
	t.Run("an Authorization header wins over the cookie", func(t *testing.T) {
		r := e.request(t, b, http.MethodGet, "/auth/me", "Authorization", "Bearer not-a-token")
		expect(t, r, http.StatusUnauthorized)
	})
	t.Run("a changed cookie is refused", func(t *testing.T) {
		forged := *session
		forged.Value = session.Value[:len(session.Value)-2] + "AA"
		c := browser(t)
		c.Jar.SetCookies(root, []*http.Cookie{&forged})
		expectInvalidToken(t, e.request(t, c, http.MethodGet, "/auth/me"), "not one of this server's")
	})
	t.Run("the session ends when its lifetime does", func(t *testing.T) {
		e.clock.add(api.DefaultSessionTTL + time.Second)
		defer e.clock.add(-api.DefaultSessionTTL - time.Second)
		expectInvalidToken(t, e.request(t, b, http.MethodGet, "/auth/me"), "the session expired")
	})
	t.Run("sign out", func(t *testing.T) {
		expect(t, e.request(t, b, http.MethodPost, "/auth/logout"), http.StatusNoContent)
		r := e.request(t, b, http.MethodGet, "/auth/me")
		expect(t, r, http.StatusUnauthorized)
		if ch := r.header.Values("WWW-Authenticate"); len(ch) != 1 || !strings.HasPrefix(ch[0], "Bearer") {
			t.Fatalf("/auth/me challenge = %q: want only Bearer (a Basic one makes browsers ask for a password)", ch)
		}
	})
}

// The sign-in refuses what does not belong to it: a return address on
// another site, a callback without its cookie or with another state, an
// ID token with another nonce or without a NIP, a code the provider
// refuses.
func TestServer_BrowserSignInRefusals(t *testing.T) {
	e := newOIDCEnv(t, nil)
	e.idp.SignInAs(map[string]any{"nip": personNIP})
	noFollow := func() *http.Client {
		c := browser(t)
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return c
	}
	// start signs in up to the provider's answer and returns the client
	// and the callback URL the provider sent it to.
	start := func(t *testing.T) (*http.Client, string) {
		t.Helper()
		c := noFollow()
		r := e.request(t, c, http.MethodGet, "/auth/login?return=/app/")
		expect(t, r, http.StatusFound)
		authz, _ := url.Parse(r.header.Get("Location"))
		q := authz.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
			t.Fatalf("authorization request %s lacks PKCE S256, nonce or state", authz)
		}
		res, err := c.Get(authz.String())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return c, res.Header.Get("Location")
	}
	follow := func(t *testing.T, c *http.Client, callback string) resp {
		t.Helper()
		return e.request(t, c, http.MethodGet, strings.TrimPrefix(callback, e.root))
	}

	for _, ret := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "app"} {
		expect(t, e.request(t, noFollow(), http.MethodGet, "/auth/login?return="+url.QueryEscape(ret)), http.StatusBadRequest, "a path on this server")
	}
	t.Run("valid, returning to the page asked for", func(t *testing.T) {
		c, cb := start(t)
		r := follow(t, c, cb)
		expect(t, r, http.StatusSeeOther)
		if r.header.Get("Location") != "/app/" {
			t.Fatalf("callback redirects to %q, want /app/", r.header.Get("Location"))
		}
	})
	t.Run("no sign-in cookie", func(t *testing.T) {
		_, cb := start(t)
		expect(t, follow(t, noFollow(), cb), http.StatusBadRequest, "no sign-in is in progress")
	})
	t.Run("another sign-in's state", func(t *testing.T) {
		c1, cb1 := start(t)
		_, cb2 := start(t)
		u1, _ := url.Parse(cb1)
		u2, _ := url.Parse(cb2)
		q := u1.Query()
		q.Set("state", u2.Query().Get("state"))
		u1.RawQuery = q.Encode()
		expect(t, follow(t, c1, u1.String()), http.StatusBadRequest, "state parameter")
	})
	t.Run("a code used twice", func(t *testing.T) {
		c, cb := start(t)
		expect(t, follow(t, c, cb), http.StatusSeeOther)
		expect(t, follow(t, c, cb), http.StatusBadRequest, "no sign-in is in progress") // the sign-in cookie is gone
		// a new sign-in in the same browser, answered with the used code
		r := e.request(t, c, http.MethodGet, "/auth/login")
		authz, _ := url.Parse(r.header.Get("Location"))
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("state", authz.Query().Get("state"))
		u.RawQuery = q.Encode()
		expect(t, follow(t, c, u.String()), http.StatusForbidden, "invalid_grant")
	})
	t.Run("the provider refuses", func(t *testing.T) {
		c, cb := start(t)
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("error", "access_denied")
		q.Set("error_description", "user cancelled")
		u.RawQuery = q.Encode()
		expect(t, follow(t, c, u.String()), http.StatusForbidden, "access_denied")
	})
	t.Run("a code the provider does not know", func(t *testing.T) {
		c, cb := start(t)
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("code", "made-up")
		u.RawQuery = q.Encode()
		expect(t, follow(t, c, u.String()), http.StatusForbidden, "invalid_grant")
	})
	t.Run("another nonce", func(t *testing.T) {
		e.idp.WrongNonce("replayed-nonce")
		defer e.idp.WrongNonce("")
		c, cb := start(t)
		expect(t, follow(t, c, cb), http.StatusForbidden, "nonce")
	})
	t.Run("no NIP", func(t *testing.T) {
		e.idp.SignInAs(map[string]any{"name": "Tanpa NIP"})
		defer e.idp.SignInAs(map[string]any{"nip": personNIP})
		c, cb := start(t)
		expect(t, follow(t, c, cb), http.StatusForbidden, "no NIP")
	})
	t.Run("too slow", func(t *testing.T) {
		c, cb := start(t)
		e.clock.add(11 * time.Minute)
		defer e.clock.add(-11 * time.Minute)
		expect(t, follow(t, c, cb), http.StatusBadRequest, "took longer")
	})
}

// The test provider's PKCE check can fail: a code exchanged with the
// wrong verifier is refused.
func TestProvider_ChecksPKCE(t *testing.T) {
	e := newOIDCEnv(t, nil)
	e.idp.SignInAs(map[string]any{"nip": personNIP})
	c := browser(t)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r := e.request(t, c, http.MethodGet, "/auth/login")
	res, err := c.Get(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cb, _ := url.Parse(res.Header.Get("Location"))
	form := url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")}, "redirect_uri": {e.root + "/auth/callback"}, "code_verifier": {"not-the-verifier-not-the-verifier-not-the-verifier"}, "client_id": {webClient}, "client_secret": {webSecret}}
	tr, err := http.PostForm(e.idp.Issuer+"/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Body.Close()
	body, _ := io.ReadAll(tr.Body)
	if tr.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "code_verifier does not match") {
		t.Fatalf("token with a wrong verifier = %d %s, want 400 invalid_grant", tr.StatusCode, body)
	}
}
