package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The client tests drive a running Jejak with the xAPI client libraries
// real learning platforms embed: TinCanJS (npm "tincanjs", xAPI 1.0.2) and
// xAPI.js (npm "@xapi/xapi", xAPI 1.0.3). The scripts and the pinned
// packages are in testdata/clients; the test installs the packages itself
// (npm ci) and is skipped only where Node.js is not installed.

const (
	clientsDir = "testdata/clients"
	// clientsStamp, inside node_modules, holds the digest of package.json and
	// package-lock.json the installed tree was made from.
	clientsStamp   = ".jejak-installed"
	npmTimeout     = 5 * time.Minute
	scriptTimeout  = 60 * time.Second
	minNodeVersion = 18 // global fetch, Blob and crypto.randomUUID
)

func TestClients_TincanJS(t *testing.T) { runClient(t, "tincanjs.js") }

func TestClients_XAPIjs(t *testing.T) { runClient(t, "xapijs.js") }

// runClient serves the real API and runs one client script against it. The
// script prints one line per check; its output is the test log, and a
// non-zero exit fails the test with it.
func runClient(t *testing.T, script string) {
	node := requireNode(t)
	dir := clientsAbsDir(t)
	ensureClientPackages(t, dir)

	// A shared lock on the folder: another go test process may not reinstall
	// node_modules under a running script.
	unlock := lockDir(t, dir, syscall.LOCK_SH)
	defer unlock()

	e := newEnv(t)
	ctx, cancel := context.WithTimeout(t.Context(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = dir
	cmd.Env = append(clientEnv(),
		"JEJAK_XAPI_ENDPOINT="+e.url,
		"JEJAK_XAPI_KEY="+e.key,
		"JEJAK_XAPI_SECRET="+e.secret,
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start).Round(time.Millisecond)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		t.Fatalf("node %s did not finish within %v and was killed; output so far:\n%s", script, scriptTimeout, out.String())
	case err != nil:
		t.Fatalf("node %s failed (%v) after %v:\n%s", script, err, took, out.String())
	}
	t.Logf("node %s passed in %v:\n%s", script, took, out.String())
}

// requireNode skips the test where Node.js or npm is not installed and fails
// it where Node.js is too old for the scripts.
func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: the xAPI client library tests (tincanjs, @xapi/xapi) need Node.js " + strconv.Itoa(minNodeVersion) + "+ and npm on PATH")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("node not installed: node is on PATH but npm is not; the xAPI client library tests need both to install tincanjs and @xapi/xapi")
	}
	v, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", node, err)
	}
	major, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(string(v)), "v"), ".")
	if n, err := strconv.Atoi(major); err != nil || n < minNodeVersion {
		t.Fatalf("node %s at %s is too old: the client scripts need Node.js %d or later", strings.TrimSpace(string(v)), node, minNodeVersion)
	}
	return node
}

func clientsAbsDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(clientsDir)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// clientEnv is the environment without proxy settings (the scripts talk to
// a server on loopback, never through a proxy, and axios honours
// HTTP_PROXY) and without NODE_OPTIONS (the run does not depend on the
// caller's Node flags).
func clientEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(name) {
		case "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "NODE_OPTIONS":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "NO_PROXY=127.0.0.1,localhost,::1")
}

// clientPackages makes the first test in this process check (and, when
// needed, install) node_modules; the other reuses the outcome.
var clientPackages struct {
	sync.Mutex
	tried  bool
	failed string // why the install failed, for the other test
}

// ensureClientPackages runs npm ci when node_modules is missing or was
// installed from another package.json or package-lock.json. An exclusive
// lock on the folder keeps two go test processes (or a process and a
// running script) from racing. A failing install fails the test.
func ensureClientPackages(t *testing.T, dir string) {
	t.Helper()
	clientPackages.Lock()
	defer clientPackages.Unlock()
	if !clientPackages.tried {
		clientPackages.tried = true
		clientPackages.failed = installClientPackages(t, dir)
	}
	if clientPackages.failed != "" {
		t.Fatal(clientPackages.failed)
	}
}

// installClientPackages answers why the install failed, or "".
func installClientPackages(t *testing.T, dir string) string {
	t.Helper()
	unlock := lockDir(t, dir, syscall.LOCK_EX)
	defer unlock()

	want, err := installDigest(dir)
	if err != nil {
		return err.Error()
	}
	stamp := filepath.Join(dir, "node_modules", clientsStamp)
	if got, err := os.ReadFile(stamp); err == nil && string(got) == want {
		return ""
	}
	ctx, cancel := context.WithTimeout(t.Context(), npmTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Sprintf("npm ci in %s did not finish within %v:\n%s", dir, npmTimeout, out)
		}
		return fmt.Sprintf("npm ci in %s failed (%v): the client tests need the packages pinned in package-lock.json from the npm registry:\n%s", dir, err, out)
	}
	t.Logf("npm ci in %s took %v", dir, time.Since(start).Round(time.Millisecond))
	if err := os.WriteFile(stamp, []byte(want), 0o644); err != nil {
		return err.Error()
	}
	return ""
}

// installDigest identifies what node_modules must be installed from.
func installDigest(dir string) (string, error) {
	h := sha256.New()
	for _, name := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "", err
		}
		h.Write([]byte(name + "\x00"))
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)) + "\n", nil
}

// lockDir takes an flock on the folder itself (no lock file to ignore) and
// returns its release.
func lockDir(t *testing.T, dir string, how int) func() {
	t.Helper()
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		t.Fatalf("locking %s: %v", dir, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}
