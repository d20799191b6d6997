// Package oidctest runs an OpenID Connect provider inside a test: discovery,
// a JWKS of RSA keys made at start, /authorize and /token of the
// authorization-code flow, which checks PKCE (S256) as a real provider does.
// It signs tokens with whatever claims a test gives, to try the server's
// checks of issuer, audience, expiry, signature and key.
package oidctest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Provider is an OpenID Connect provider served over loopback HTTP.
type Provider struct {
	// Issuer is the provider's URL, the "iss" of its tokens.
	Issuer       string
	ClientID     string
	ClientSecret string
	// Key signs tokens; its public half is in the JWKS under KeyID.
	Key   *rsa.PrivateKey
	KeyID string

	mu     sync.Mutex
	user   map[string]any // claims of the person who signs in next
	nonce  *string        // if set, the nonce put in ID tokens instead of the one asked for
	grants map[string]grant
	pkce   int // code exchanges whose code_verifier matched the code_challenge
}

type grant struct {
	challenge, nonce, redirect string
	claims                     map[string]any
}

// New starts a Provider for client clientID (with secret, if not empty);
// it stops when the test ends.
func New(t testing.TB, clientID, secret string) *Provider {
	t.Helper()
	p := &Provider{ClientID: clientID, ClientSecret: secret, Key: NewKey(t), KeyID: "test-key-1", grants: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p.Issuer = srv.URL
	return p
}

// NewKey makes an RSA key (2048 bits).
func NewKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Claims returns the claims of a valid token for the client, valid for an
// hour from now, with extra added (a nil value removes a claim).
func (p *Provider) Claims(extra map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss": p.Issuer,
		"aud": p.ClientID,
		"sub": "subject-1",
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// Token signs claims with the provider's key.
func (p *Provider) Token(claims map[string]any) string {
	return Sign(p.Key, p.KeyID, claims)
}

// Sign makes a JWT of claims signed RS256 with key, naming kid.
func Sign(key *rsa.PrivateKey, kid string, claims map[string]any) string {
	head, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid})
	body, _ := json.Marshal(claims)
	signing := b64(head) + "." + b64(body)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return signing + "." + b64(sig)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// SignInAs sets the claims (beyond iss, aud, exp, iat, nonce) of the ID
// token of the next sign-ins.
func (p *Provider) SignInAs(claims map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = maps.Clone(claims)
}

// WrongNonce makes the provider put nonce in ID tokens, whatever the
// client asked for; "" makes it honest again.
func (p *Provider) WrongNonce(nonce string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nonce = nil
	if nonce != "" {
		p.nonce = &nonce
	}
}

// PKCEChecked returns how many code exchanges passed the PKCE check.
func (p *Provider) PKCEChecked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pkce
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.Issuer,
		"authorization_endpoint":                p.Issuer + "/authorize",
		"token_endpoint":                        p.Issuer + "/token",
		"jwks_uri":                              p.Issuer + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"end_session_endpoint":                  p.Issuer + "/logout",
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	pub := p.Key.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": p.KeyID,
		"n": b64(pub.N.Bytes()),
		"e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// authorize signs in at once as the configured user (no login page) and
// sends the browser back with a code.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("response_type") != "code":
		http.Error(w, "response_type must be code", http.StatusBadRequest)
		return
	case q.Get("client_id") != p.ClientID:
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	case !strings.Contains(" "+q.Get("scope")+" ", " openid "):
		http.Error(w, "scope must hold openid", http.StatusBadRequest)
		return
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		http.Error(w, "PKCE with S256 is required", http.StatusBadRequest)
		return
	case q.Get("redirect_uri") == "" || q.Get("state") == "":
		http.Error(w, "redirect_uri and state are required", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	code := rand.Text()
	nonce := q.Get("nonce")
	if p.nonce != nil {
		nonce = *p.nonce
	}
	p.grants[code] = grant{challenge: q.Get("code_challenge"), nonce: nonce, redirect: q.Get("redirect_uri"), claims: maps.Clone(p.user)}
	p.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	v := back.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token exchanges a code once, checking the client, the redirect URI and
// the PKCE verifier against the challenge.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, "invalid_request", err.Error())
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	} else {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	}
	if id != p.ClientID || (p.ClientSecret != "" && secret != p.ClientSecret) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		oauthError(w, "unsupported_grant_type", "only authorization_code")
		return
	}
	p.mu.Lock()
	g, ok := p.grants[r.PostForm.Get("code")]
	delete(p.grants, r.PostForm.Get("code"))
	p.mu.Unlock()
	if !ok {
		oauthError(w, "invalid_grant", "unknown or used code")
		return
	}
	if r.PostForm.Get("redirect_uri") != g.redirect {
		oauthError(w, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if b64(sum[:]) != g.challenge {
		oauthError(w, "invalid_grant", "code_verifier does not match code_challenge")
		return
	}
	p.mu.Lock()
	p.pkce++
	p.mu.Unlock()
	claims := p.Claims(g.claims)
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": p.Token(p.Claims(g.claims)),
		"token_type":   "Bearer",
		"expires_in":   3600,
		"id_token":     p.Token(claims),
	})
}

func oauthError(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		panic(fmt.Sprintf("oidctest: %v", err))
	}
}
