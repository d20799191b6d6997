package main

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/natslog"
)

const credentialsFile = "credentials.json"

// loadCredentials returns the credentials to serve with. Credentials given
// with --credentials are used as they are. Otherwise the data directory's
// credentials file is read; when there is none, a first key/secret pair is
// generated, only its hash is stored, and the secret is printed once.
func loadCredentials(flagValue, dataDir, addr string, stdout io.Writer) ([]lrs.Credential, error) {
	if flagValue != "" {
		creds, err := lrs.ParseCredentialFlag(flagValue)
		if err != nil {
			return nil, usageError{"--credentials: " + lrs.ErrorMessage(err)}
		}
		return creds, nil
	}
	path := filepath.Join(dataDir, credentialsFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		var creds []lrs.Credential
		if err := json.Unmarshal(b, &creds); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		if len(creds) == 0 {
			return nil, fmt.Errorf("%s holds no credentials; delete it to generate a new pair", path)
		}
		return creds, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	key := "jejak-" + rand.Text()[:8]
	secret := rand.Text()
	cred, err := lrs.NewCredential(key, secret, []string{lrs.RoleAdmin})
	if err != nil {
		return nil, err
	}
	b, _ = json.MarshalIndent([]lrs.Credential{cred}, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintf(stdout, `jejak: created the first credential; only a hash of the secret is kept in %s.
  key:    %s
  secret: %s
This is the only time the secret is shown. Try it:
  curl -u '%s:%s' -H 'X-Experience-API-Version: 1.0.3' http://%s/xapi/statements
`, path, key, secret, key, secret, addr)
	return []lrs.Credential{cred}, nil
}

const natsAuditorFile = "nats-auditor.json"

// natsAuditor is the stored read-only NATS user of --nats-listen: only a
// bcrypt hash of its password, which nats-server checks as it is.
type natsAuditor struct {
	User         string `json:"user"`
	PasswordHash string `json:"password_hash"`
}

// loadNATSAuth returns the users of an embedded server that listens on
// listen: Jejak's own, with a password made afresh at each start and never
// stored or shown, and the read-only auditor from the data directory's
// nats-auditor.json. When there is none, the auditor's password is
// generated, only its hash is stored, and it is printed once with a nats
// CLI example.
func loadNATSAuth(dataDir, listen, stream string, stdout io.Writer) (*natslog.EmbeddedAuth, error) {
	auth := &natslog.EmbeddedAuth{InternalPassword: rand.Text() + rand.Text()}
	path := filepath.Join(dataDir, natsAuditorFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		var a natsAuditor
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		if a.User == "" || a.User == natslog.InternalUser || !strings.HasPrefix(a.PasswordHash, "$2") {
			return nil, fmt.Errorf("%s holds no usable user and bcrypt password hash; delete it to generate a new password", path)
		}
		auth.Auditor, auth.AuditorHash = a.User, a.PasswordHash
		return auth, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	password := rand.Text()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return nil, err
	}
	a := natsAuditor{User: "auditor", PasswordHash: string(h)}
	b, _ = json.MarshalIndent(a, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	url := "nats://" + a.User + ":" + password + "@" + listen
	fmt.Fprintf(stdout, `jejak: the NATS port %s takes only authenticated clients. Created its read-only user for
operators and auditors; only a hash of the password is kept in %s.
  user:     %s
  password: %s
This is the only time the password is shown. It can inspect and read the log, never write it:
  nats --server %s stream info %s
  jejak audit verify --nats-url %s --stream %s
`, listen, path, a.User, password, url, stream, url, stream)
	auth.Auditor, auth.AuditorHash = a.User, a.PasswordHash
	return auth, nil
}
