package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jejak-id/jejak/lrs"
)

// serveAt runs `jejak serve` on data with args, returning its xAPI base,
// what it printed before serving, and a stop that returns run's error.
func serveAt(t *testing.T, data string, args ...string) (base, printed string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "warn"}, args...), func(string) string { return "" }, nil, pw, io.Discard)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	var out strings.Builder
	base, err := waitServing(io.TeeReader(pr, &out))
	if err != nil {
		cancel()
		t.Fatalf("serve did not start: %v (run: %v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	return base, out.String(), stop
}

// status is the answer to GET /xapi/statements with key:secret.
func status(t *testing.T, base, key, secret string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/statements", nil)
	req.SetBasicAuth(key, secret)
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// credentialsCmd runs `jejak credentials args…` with stdin and returns what
// it printed.
func credentialsCmd(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut strings.Builder
	err := run(context.Background(), append([]string{"credentials"}, args...), func(string) string { return "" }, strings.NewReader(stdin), &out, &errOut)
	return out.String() + errOut.String(), err
}

var printedSecret = regexp.MustCompile(`secret: (\S+)`)

// `jejak credentials` against a running serve: the first start's admin
// (its secret on stdin or in a file, never on the command line) adds a
// credential that works at once, rotates it (old secret 401, new 200),
// lists it without secrets and revokes it (401). After a restart with
// --credentials, the stored admin and the flag credential both work, and
// the revocation holds. On the stopped node, --data adds a credential to
// its log directly; a --credentials key that the log holds in use is an
// error naming it.
func TestCredentialsCommand_AgainstRunningServe(t *testing.T) {
	data := t.TempDir()
	base, printed, stop := serveAt(t, data)
	m := regexp.MustCompile(`curl -u '([^:]+):([^']+)'`).FindStringSubmatch(printed)
	if m == nil {
		t.Fatalf("no first credential printed:\n%s", printed)
	}
	adminKey, adminSecret := m[1], m[2]
	url := strings.TrimSuffix(base, "/xapi")

	out, err := credentialsCmd(t, adminSecret+"\n", "add", "lms", "--name", "BPSDM Provinsi Jawa Barat", "--roles", "provider", "--url", url, "--auth", adminKey)
	if err != nil {
		t.Fatalf("add: %v\n%s", err, out)
	}
	sm := printedSecret.FindStringSubmatch(out)
	if sm == nil {
		t.Fatalf("add printed no secret:\n%s", out)
	}
	s1 := sm[1]
	if got := status(t, base, "lms", s1); got != http.StatusOK {
		t.Fatalf("the added credential: %d", got)
	}

	secretFile := filepath.Join(t.TempDir(), "admin-secret")
	if err := os.WriteFile(secretFile, []byte(adminSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = credentialsCmd(t, "", "rotate", "lms", "--url", url, "--auth", adminKey, "--secret-file", secretFile)
	if err != nil {
		t.Fatalf("rotate: %v\n%s", err, out)
	}
	s2 := printedSecret.FindStringSubmatch(out)[1]
	if status(t, base, "lms", s1) != http.StatusUnauthorized || status(t, base, "lms", s2) != http.StatusOK {
		t.Fatal("after rotate: the old secret must get 401 and the new one 200")
	}

	out, err = credentialsCmd(t, "", "list", "--format", "json", "--url", url, "--auth", adminKey+":"+adminSecret)
	if err != nil {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if strings.Contains(out, s2) || strings.Contains(out, "$2a$") || !strings.Contains(out, `"name": "BPSDM Provinsi Jawa Barat"`) || !strings.Contains(out, `"key": "`+adminKey+`"`) {
		t.Fatalf("list:\n%s", out)
	}
	if out, err := credentialsCmd(t, "", "list", "--url", url, "--auth", "lms:"+s2); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("list as a provider: %v\n%s", err, out)
	}

	out, err = credentialsCmd(t, adminSecret, "revoke", "lms", "--url", url, "--auth", adminKey)
	if err != nil {
		t.Fatalf("revoke: %v\n%s", err, out)
	}
	if got := status(t, base, "lms", s2); got != http.StatusUnauthorized {
		t.Fatalf("revoked credential: %d, want 401", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// a stopped node: --data changes its log directly
	out, err = credentialsCmd(t, "", "add", "kms", "--roles", "verifier", "--data", data)
	if err != nil {
		t.Fatalf("add --data: %v\n%s", err, out)
	}
	kmsSecret := printedSecret.FindStringSubmatch(out)[1]
	out, err = credentialsCmd(t, "", "list", "--data", data)
	if err != nil || !strings.Contains(out, "kms") || !strings.Contains(out, "revoked") {
		t.Fatalf("list --data: %v\n%s", err, out)
	}

	// --credentials beside the stored ones, not instead of them
	base, _, stop = serveAt(t, data, "--credentials", testKey+":"+testSecret)
	for _, c := range [][2]string{{adminKey, adminSecret}, {testKey, testSecret}, {"kms", kmsSecret}} {
		if got := status(t, base, c[0], c[1]); got != http.StatusOK {
			t.Fatalf("with --credentials, credential %s: %d, want 200", c[0], got)
		}
	}
	if got := status(t, base, "lms", s2); got != http.StatusUnauthorized {
		t.Fatalf("after a restart the revoked credential: %d, want 401", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// a --credentials key the log holds in use is an error naming it
	err = run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "warn", "--credentials", "kms:another-secret"},
		func(string) string { return "" }, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `"kms"`) {
		t.Fatalf("serve with a --credentials key stored on the log: %v", err)
	}
}

// A data directory from before credentials were events keeps working: its
// credentials.json is put on the log at the first start (and renamed), so
// its credential works beside --credentials, and again after a restart.
func TestCredentials_UpgradeFromCredentialsFile(t *testing.T) {
	data := t.TempDir()
	old, err := lrs.NewCredential("jejak-OLDKEY12", "the-old-secret", []string{lrs.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent([]lrs.Credential{old}, "", "  ")
	if err := os.WriteFile(filepath.Join(data, "credentials.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	base, printed, stop := serveAt(t, data, "--credentials", testKey+":"+testSecret)
	if strings.Contains(printed, "the-old-secret") || strings.Contains(printed, "created the first credential") {
		t.Fatalf("printed:\n%s", printed)
	}
	if status(t, base, old.Key, "the-old-secret") != http.StatusOK || status(t, base, testKey, testSecret) != http.StatusOK {
		t.Fatal("after the upgrade, the credential of credentials.json and --credentials must both work")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(data, "credentials.json.imported")); err != nil {
		t.Fatalf("credentials.json is not renamed: %v", err)
	}
	base, _, _ = serveAt(t, data)
	if status(t, base, old.Key, "the-old-secret") != http.StatusOK {
		t.Fatal("the imported credential does not work after a restart")
	}
}

// `jejak credentials update KEY --strict` makes a credential strict
// without a new secret, and --strict=false makes it ordinary again.
func TestCredentialsCommand_UpdateMakesACredentialStrict(t *testing.T) {
	data := t.TempDir()
	_, _, stop := serveAt(t, data)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out, err := credentialsCmd(t, "", "add", "lms", "--roles", "provider", "--data", data)
	if err != nil {
		t.Fatalf("add: %v\n%s", err, out)
	}
	for _, c := range []struct{ flag, want string }{{"--strict", `"strict": true`}, {"--strict=false", `"key": "lms"`}} {
		out, err = credentialsCmd(t, "", "update", "lms", c.flag, "--data", data)
		if err != nil || !strings.Contains(out, "secret is unchanged") || printedSecret.MatchString(out) {
			t.Fatalf("update %s: %v\n%s", c.flag, err, out)
		}
		out, err = credentialsCmd(t, "", "list", "--format", "json", "--data", data)
		if err != nil || !strings.Contains(out, c.want) {
			t.Fatalf("list after update %s: %v\n%s", c.flag, err, out)
		}
	}
	if strings.Contains(out, `"strict": true`) {
		t.Fatalf("--strict=false left it strict:\n%s", out)
	}
}
