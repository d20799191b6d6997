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

	"github.com/jejak-id/jejak/lrs"
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
