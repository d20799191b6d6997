package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/natslog"
)

const credentialsFile = "credentials.json"

// flagCredentials parses --credentials: credentials for bootstrap and
// tests, served beside those of the log (never instead of them).
func flagCredentials(flagValue string) ([]lrs.Credential, error) {
	if flagValue == "" {
		return nil, nil
	}
	creds, err := lrs.ParseCredentialFlag(flagValue)
	if err != nil {
		return nil, usageError{"--credentials: " + lrs.ErrorMessage(err)}
	}
	return creds, nil
}

// eventAppender appends a registry-like event (lrs.Appender).
type eventAppender interface {
	AppendEvent(ctx context.Context, typ string, v int, kind string, payload []byte, by lrs.Authority) (uint64, error)
}

// appendCredential appends ch as a jejak.credentials event on store and
// applies it to k at once.
func appendCredential(ctx context.Context, w eventAppender, k *lrs.Keyring, ch lrs.CredentialChange, store string) (uint64, error) {
	payload, err := lrs.EncodeCredentialChange(ch)
	if err != nil {
		return 0, err
	}
	if store == "" {
		store = lrs.DefaultStore
	}
	seq, err := w.AppendEvent(ctx, lrs.EventCredentials, lrs.EventCredentialsV1, lrs.CredentialsKind, payload, lrs.Authority{Key: ch.By, Store: store})
	if err != nil {
		return 0, err
	}
	return seq, k.Apply(seq, time.Now(), ch)
}

// bootstrapCredentials runs once the log's credentials are folded into k:
//   - a key of --credentials that the log also holds in use is an error;
//   - the credentials of an existing credentials.json (before credentials
//     were events) are put on the log, unless it holds their key already,
//     and the file is renamed credentials.json.imported;
//   - when the log holds no credential at all and --credentials gives
//     none, a first admin credential is generated, put on the log (only
//     its hash) and its secret printed once.
func bootstrapCredentials(ctx context.Context, w eventAppender, k *lrs.Keyring, fixed int, dataDir, addr string, stdout io.Writer) error {
	if conflicts := k.Conflicts(); len(conflicts) > 0 {
		return usageError{fmt.Sprintf("--credentials key %q is also a credential in use on the log: choose another key, or revoke the stored one (jejak credentials revoke %s)", conflicts[0], conflicts[0])}
	}
	path := filepath.Join(dataDir, credentialsFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		var creds []lrs.Credential
		if err := json.Unmarshal(b, &creds); err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		for _, c := range creds {
			if _, held := k.Lookup(c.Key); held {
				if k.Fixed(c.Key) {
					return usageError{fmt.Sprintf("--credentials key %q is also a credential of %s: choose another key", c.Key, path)}
				}
				continue
			}
			if _, err := appendCredential(ctx, w, k, lrs.CredentialChange{Op: lrs.CredentialPut, By: credentialsFile, Credential: &c}, c.Store); err != nil {
				return fmt.Errorf("%s: put credential %q on the log: %w", path, c.Key, err)
			}
		}
		if err := os.Rename(path, path+".imported"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "jejak: the %d credentials of %s are now kept on the log (the file is renamed %s.imported)\n", len(creds), path, credentialsFile)
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("read %s: %w", path, err)
	}
	if fixed > 0 || k.Stored() > 0 {
		return nil
	}
	key := "jejak-" + strings.ToLower(rand.Text()[:8])
	secret := rand.Text()
	cred, err := lrs.NewCredential(key, secret, []string{lrs.RoleAdmin})
	if err != nil {
		return err
	}
	cred.Name = "Jejak administrator"
	cred.Scopes = []string{lrs.ScopeAll}
	if _, err := appendCredential(ctx, w, k, lrs.CredentialChange{Op: lrs.CredentialPut, By: "bootstrap", Credential: &cred}, lrs.DefaultStore); err != nil {
		return fmt.Errorf("put the first credential on the log: %w", err)
	}
	fmt.Fprintf(stdout, `jejak: created the first credential, an admin; only a hash of the secret is kept, on the log.
  key:    %s
  secret: %s
This is the only time the secret is shown. Try it:
  curl -u '%s:%s' -H 'X-Experience-API-Version: 1.0.3' http://%s/xapi/statements
Add, list, rotate and revoke credentials with: jejak credentials -h
`, key, secret, key, secret, addr)
	return nil
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
	if err := writeFileAtomic(path, append(b, '\n'), 0o600); err != nil {
		return nil, err
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
