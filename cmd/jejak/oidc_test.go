package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/api/oidctest"
)

// The OpenID Connect settings of serve come from flags or the environment
// and are all shown by -h.
func TestEnvFlags_OIDC(t *testing.T) {
	var cfg config
	f := newFlags("serve", func(string) string { return "" }, io.Discard)
	cfg.bind(f, true)
	if err := f.parse(nil); err != nil {
		t.Fatal(err)
	}
	if o := cfg.OIDC; o.Issuer != "" || o.NIPClaim != "nip" || o.NameClaim != "name" || o.RolesClaim != "" || o.SessionTTL != 8*time.Hour {
		t.Fatalf("defaults = %+v", o)
	}
	env := map[string]string{"JEJAK_OIDC_ISSUER": "https://sso.example.go.id/realms/asn", "JEJAK_OIDC_NIP_CLAIM": "preferred_username", "JEJAK_OIDC_CLIENT_SECRET_FILE": "/run/secrets/jejak-oidc"}
	cfg = config{}
	f = newFlags("serve", func(k string) string { return env[k] }, io.Discard)
	cfg.bind(f, true)
	if err := f.parse([]string{"--oidc-roles-claim", "resource_access.jejak.roles"}); err != nil {
		t.Fatal(err)
	}
	if o := cfg.OIDC; o.Issuer != env["JEJAK_OIDC_ISSUER"] || o.NIPClaim != "preferred_username" || o.ClientSecretFile != "/run/secrets/jejak-oidc" || o.RolesClaim != "resource_access.jejak.roles" {
		t.Fatalf("from the environment = %+v", o)
	}
	var out strings.Builder
	if err := run(context.Background(), []string{"serve", "-h"}, func(string) string { return "" }, nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"-oidc-issuer", "-oidc-audience", "-oidc-nip-claim", "-oidc-name-claim", "-oidc-roles-claim", "-oidc-client-id", "-oidc-client-secret-file", "-oidc-redirect-url", "-oidc-session-key-file", "-oidc-session-ttl", "JEJAK_OIDC_ISSUER", "JEJAK_OIDC_CLIENT_SECRET_FILE"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("serve -h does not show %s", name)
		}
	}
}

// openOIDC opens c as serve does: the session key first (webSessions),
// then the provider's configuration with it.
func openOIDC(c oidcConfig, data string) (*api.OIDC, error) {
	sessions, err := webSessions(config{Data: data, OIDC: c})
	if err != nil {
		return nil, err
	}
	return c.open(sessions, nil)
}

// Settings that cannot work are refused at start, naming the flag; the
// session key is made once in the data directory, readable by its owner
// only, and kept across restarts.
func TestOIDCConfig_Open(t *testing.T) {
	data := t.TempDir()
	if o, err := openOIDC(oidcConfig{}, data); o != nil || err != nil {
		t.Fatalf("no issuer: %v, %v; want nothing", o, err)
	}
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	_ = os.WriteFile(empty, nil, 0o600)
	browser := oidcConfig{Issuer: "https://sso.example.go.id/realms/asn", ClientID: "jejak", ClientSecretFile: secret, RedirectURL: "https://jejak.example.go.id/auth/callback", NIPClaim: "nip", SessionTTL: time.Hour}
	refused := []struct {
		name string
		edit func(*oidcConfig)
		want string
	}{
		{"client without issuer", func(o *oidcConfig) { o.Issuer = "" }, "--oidc-client-id needs --oidc-issuer"},
		{"issuer over http", func(o *oidcConfig) { o.Issuer = "http://sso.example.go.id" }, "want an https URL"},
		{"redirect over http", func(o *oidcConfig) { o.RedirectURL = "http://jejak.example.go.id/auth/callback" }, "must be https"},
		{"redirect elsewhere", func(o *oidcConfig) { o.RedirectURL = "https://jejak.example.go.id/callback" }, "public URL of /auth/callback"},
		{"no audience", func(o *oidcConfig) { o.ClientID, o.RedirectURL = "", "" }, "audience"},
		{"missing secret file", func(o *oidcConfig) { o.ClientSecretFile = secret + ".none" }, "--oidc-client-secret-file"},
		{"empty secret file", func(o *oidcConfig) { o.ClientSecretFile = empty }, "is empty"},
		{"missing key file", func(o *oidcConfig) { o.SessionKeyFile = secret + ".none" }, "session key"},
		{"short key file", func(o *oidcConfig) { o.SessionKeyFile = secret }, "want 32 bytes"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			c := browser
			tc.edit(&c)
			if _, err := openOIDC(c, data); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("open = %v, want an error naming %q", err, tc.want)
			}
		})
	}
	if err := os.Remove(filepath.Join(data, oidcSessionKeyFile)); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if o, err := openOIDC(browser, data); o == nil || err != nil {
		t.Fatalf("open = %v, %v", o, err)
	}
	path := filepath.Join(data, oidcSessionKeyFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %v, want 0600", path, st.Mode().Perm())
	}
	first, _ := os.ReadFile(path)
	if _, err := openOIDC(browser, data); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(path); string(again) != string(first) {
		t.Fatal("the session key changed on a second start: sessions would not survive a restart")
	}
	shared := browser
	shared.SessionKeyFile = path
	if _, err := openOIDC(shared, t.TempDir()); err != nil {
		t.Fatalf("a given key file: %v", err)
	}
}

// jejak serve with --oidc-issuer takes the provider's bearer tokens for
// its audience and still takes HTTP Basic.
func TestRun_ServeTakesBearerTokens(t *testing.T) {
	idp := oidctest.New(t, "jejak-api", "")
	s := startServe(t, t.TempDir(), "--oidc-issuer", idp.Issuer, "--oidc-audience", "jejak-api")
	get := func(token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, s.base+"/statements", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Experience-API-Version", "1.0.3")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode, res.Header.Get("WWW-Authenticate")
	}
	if status, _ := get(idp.Token(idp.Claims(map[string]any{"nip": "199001012015031001"}))); status != http.StatusOK {
		t.Fatalf("valid token: %d", status)
	}
	status, challenge := get(idp.Token(idp.Claims(map[string]any{"nip": "199001012015031001", "aud": "another"})))
	if status != http.StatusUnauthorized || !strings.Contains(challenge, `error="invalid_token"`) {
		t.Fatalf("token for another audience: %d %q", status, challenge)
	}
	if status, _, _ := call(t, http.MethodGet, s.base+"/statements", nil); status != http.StatusOK {
		t.Fatalf("HTTP Basic beside OpenID Connect: %d", status)
	}
}
