package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
)

// oidcConfig is how people sign in with OpenID Connect (serve).
type oidcConfig struct {
	Issuer           string
	Audience         string
	NIPClaim         string
	NameClaim        string
	RolesClaim       string
	ClientID         string
	ClientSecretFile string
	RedirectURL      string
	SessionKeyFile   string
	SessionTTL       time.Duration
}

// oidcSessionKeyFile is the session key kept in the data directory when
// --oidc-session-key-file names none.
const oidcSessionKeyFile = "oidc-session.key"

func (o *oidcConfig) bind(f *envFlags) {
	f.String(&o.Issuer, "oidc-issuer", "", "OpenID Connect issuer URL (e.g. https://sso.example.go.id/realms/asn): people sign in with its tokens; off when empty")
	f.String(&o.Audience, "oidc-audience", "", "audience bearer tokens must be issued for (their aud); default: --oidc-client-id")
	f.String(&o.NIPClaim, "oidc-nip-claim", api.DefaultNIPClaim, "token claim holding the person's 18-digit NIP (a.b for a nested claim); e.g. preferred_username where user names are NIPs")
	f.String(&o.NameClaim, "oidc-name-claim", api.DefaultNameClaim, "token claim holding the person's display name")
	f.String(&o.RolesClaim, "oidc-roles-claim", "", "token claim holding Jejak roles (admin, analyst, verifier, assessor, provider, auditor; others ignored), e.g. resource_access.jejak.roles; none when empty")
	f.String(&o.ClientID, "oidc-client-id", "", "client ID of the browser sign-in (/auth/login); off when empty")
	f.String(&o.ClientSecretFile, "oidc-client-secret-file", "", "file holding the client secret of the browser sign-in; none for a public client (PKCE)")
	f.String(&o.RedirectURL, "oidc-redirect-url", "", "public URL of /auth/callback registered with the provider (https unless loopback), e.g. https://jejak.example.go.id/auth/callback")
	f.String(&o.SessionKeyFile, "oidc-session-key-file", "", "file holding the base64 32-byte key that seals session cookies; every node behind one address needs the same (default: the data directory's "+oidcSessionKeyFile+", created on first use)")
	f.Duration(&o.SessionTTL, "oidc-session-ttl", api.DefaultSessionTTL, "lifetime of a browser session; after it the person signs in again")
}

// open returns the OIDC of the configuration, nil when no issuer is set.
// It reads the client secret; the browser sign-in seals its cookies with
// sessions (webSessions). It does not reach the provider.
func (o oidcConfig) open(sessions *api.Sessions, logger *slog.Logger) (*api.OIDC, error) {
	if o.Issuer == "" {
		for _, f := range []struct{ name, value string }{{"--oidc-client-id", o.ClientID}, {"--oidc-audience", o.Audience}, {"--oidc-redirect-url", o.RedirectURL}, {"--oidc-client-secret-file", o.ClientSecretFile}, {"--oidc-roles-claim", o.RolesClaim}} {
			if f.value != "" {
				return nil, usageError{f.name + " needs --oidc-issuer"}
			}
		}
		return nil, nil
	}
	cfg := api.OIDCConfig{
		Issuer:      o.Issuer,
		Audience:    o.Audience,
		NIPClaim:    o.NIPClaim,
		NameClaim:   o.NameClaim,
		RolesClaim:  o.RolesClaim,
		ClientID:    o.ClientID,
		RedirectURL: o.RedirectURL,
		SessionTTL:  o.SessionTTL,
		Logger:      logger,
	}
	if o.ClientSecretFile != "" {
		b, err := os.ReadFile(o.ClientSecretFile)
		if err != nil {
			return nil, usageError{fmt.Sprintf("--oidc-client-secret-file: %v", err)}
		}
		if cfg.ClientSecret = strings.TrimSpace(string(b)); cfg.ClientSecret == "" {
			return nil, usageError{fmt.Sprintf("--oidc-client-secret-file: %s is empty", o.ClientSecretFile)}
		}
	}
	if o.ClientID != "" || o.RedirectURL != "" {
		cfg.Sessions = sessions
	}
	oidc, err := api.NewOIDC(cfg)
	if err != nil {
		return nil, usageError{"OpenID Connect: " + lrs.ErrorMessage(err)}
	}
	return oidc, nil
}

// loadSessionKey reads the session key from file, or from the data
// directory's key file, which is made (random, mode 0600) when there is
// none.
func loadSessionKey(file, dataDir string) ([]byte, error) {
	path, given := file, file != ""
	if !given {
		path = filepath.Join(dataDir, oidcSessionKeyFile)
	}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("%s: want 32 bytes in base64 (openssl rand -base64 32)", path)
		}
		return key, nil
	case given || !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read the session key: %w", err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return key, nil
}

// webSessions returns the Sessions that seal the web's session cookies,
// with the key of the browser sign-in (--oidc-session-key-file, else the
// data directory's); the cookies are Secure when Jejak is reached over
// https (--public-url, or an https --oidc-redirect-url).
func webSessions(cfg config) (*api.Sessions, error) {
	secure := strings.HasPrefix(cfg.OIDC.RedirectURL, "https://")
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, usageError{fmt.Sprintf("--public-url %q: want the http or https URL people reach Jejak at", cfg.PublicURL)}
		}
		secure = secure || u.Scheme == "https"
	}
	key, err := loadSessionKey(cfg.OIDC.SessionKeyFile, cfg.Data)
	if err != nil {
		return nil, err
	}
	return api.NewSessions(key, secure, cfg.OIDC.SessionTTL, nil)
}
