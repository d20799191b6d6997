package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jejak-id/jejak/lrs"
)

func TestEnvFlags_FlagWinsOverEnvironment(t *testing.T) {
	env := map[string]string{"JEJAK_ADDR": "127.0.0.1:9999", "JEJAK_DATA": "/from/env", "JEJAK_REPLICAS": "3"}
	var cfg config
	f := newFlags("serve", func(k string) string { return env[k] }, io.Discard)
	cfg.bind(f, true)
	if err := f.parse([]string{"--data", "/from/flag"}); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9999" || cfg.Data != "/from/flag" || cfg.Replicas != 3 || cfg.LogLevel != "info" {
		t.Fatalf("config = %+v", cfg)
	}
	bad := newFlags("serve", func(k string) string { return map[string]string{"JEJAK_REPLICAS": "three"}[k] }, io.Discard)
	cfg.bind(bad, true)
	if err := bad.parse(nil); err == nil || !strings.Contains(err.Error(), "JEJAK_REPLICAS") {
		t.Fatalf("bad environment value: err = %v", err)
	}
}

// The connection, body and CORS settings of serve come from flags or the
// environment, with defaults that keep /api/v1 closed to browsers.
func TestEnvFlags_ConnectionAndHeaderSettings(t *testing.T) {
	var cfg config
	f := newFlags("serve", func(string) string { return "" }, io.Discard)
	cfg.bind(f, true)
	if err := f.parse(nil); err != nil {
		t.Fatal(err)
	}
	if cfg.APICORS != "" || cfg.CORS != "*" || cfg.MaxConns != 10000 || cfg.MaxConnsIP != 256 || cfg.BodyTimeout != 30*time.Second || cfg.MinBodyRate != 16<<10 {
		t.Fatalf("defaults = %+v", cfg)
	}
	env := map[string]string{"JEJAK_API_CORS_ORIGINS": "https://dash.example.go.id", "JEJAK_MAX_CONNS": "500", "JEJAK_MAX_CONNS_PER_IP": "20", "JEJAK_BODY_TIMEOUT": "5s", "JEJAK_MIN_BODY_RATE": "1000"}
	cfg = config{}
	f = newFlags("serve", func(k string) string { return env[k] }, io.Discard)
	cfg.bind(f, true)
	if err := f.parse([]string{"--max-conns-per-ip", "30"}); err != nil {
		t.Fatal(err)
	}
	if cfg.APICORS != "https://dash.example.go.id" || cfg.MaxConns != 500 || cfg.MaxConnsIP != 30 || cfg.BodyTimeout != 5*time.Second || cfg.MinBodyRate != 1000 {
		t.Fatalf("from the environment = %+v", cfg)
	}
	var out strings.Builder
	if err := run(context.Background(), []string{"serve", "-h"}, func(string) string { return "" }, nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"JEJAK_API_CORS_ORIGINS", "JEJAK_MAX_CONNS", "JEJAK_MAX_CONNS_PER_IP", "JEJAK_BODY_TIMEOUT", "JEJAK_MIN_BODY_RATE"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("serve -h does not show %s", name)
		}
	}
}

func TestRun_Usage(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), []string{"bogus"}, os.Getenv, nil, &out, &out); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("unknown command: %v", err)
	}
	if err := run(context.Background(), []string{"serve", "--log-level", "loud"}, func(string) string { return "" }, nil, &out, &out); err == nil || !strings.Contains(err.Error(), "log-level") {
		t.Fatalf("bad log level: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"serve", "-h"}, func(string) string { return "" }, nil, &out, &out); err != nil || !strings.Contains(out.String(), "JEJAK_NATS_URL") {
		t.Fatalf("serve -h: %v\n%s", err, out.String())
	}
}

// With no credentials configured, the first start creates an admin pair,
// puts only a hash of the secret on the log, and prints the secret once;
// it works at once and after a restart, and is not printed again.
func TestRun_FirstStartCreatesCredential(t *testing.T) {
	data := t.TempDir()
	start := func() (string, string, func()) {
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "warn"}, func(string) string { return "" }, nil, pw, io.Discard)
			pw.Close()
		}()
		var printed strings.Builder
		base, err := waitServing(io.TeeReader(pr, &printed))
		if err != nil {
			t.Fatal(err)
		}
		go io.Copy(io.Discard, pr)
		return base, printed.String(), func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}
	base, printed, stop := start()
	m := regexp.MustCompile(`curl -u '([^:]+):([^']+)'`).FindStringSubmatch(printed)
	if m == nil {
		t.Fatalf("no credential printed:\n%s", printed)
	}
	key, secret := m[1], m[2]
	if _, err := os.Stat(filepath.Join(data, "credentials.json")); err == nil {
		t.Fatal("the first credential is kept on the log, not in credentials.json")
	}
	listed := send(t, "GET", strings.TrimSuffix(base, "/xapi")+"/api/v1/credentials", key, secret, "", 200)
	var creds []struct {
		Key    string
		Roles  []string
		Scopes []string
	}
	if err := json.Unmarshal(listed, &creds); err != nil || len(creds) != 1 {
		t.Fatalf("credentials: %v\n%s", err, listed)
	}
	if c := creds[0]; c.Key != key || !slices.Equal(c.Roles, []string{lrs.RoleAdmin}) || !slices.Equal(c.Scopes, []string{lrs.ScopeAll}) {
		t.Fatalf("the first credential is %+v, want an admin with scope all", c)
	}
	check := func(base string) {
		req, _ := http.NewRequest(http.MethodGet, base+"/statements", nil)
		req.SetBasicAuth(key, secret)
		req.Header.Set("X-Experience-API-Version", "1.0.3")
		client := http.Client{Timeout: 10 * time.Second}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("printed credential: status %d", res.StatusCode)
		}
	}
	check(base)
	stop()
	base, printed, stop = start()
	defer stop()
	if strings.Contains(printed, secret) {
		t.Fatal("secret printed again on the second start")
	}
	check(base)
}
