package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/projections"
)

// digestLines are the "name digest" lines replay --out prints.
func digestLines(t *testing.T, out string) []string {
	t.Helper()
	lines := regexp.MustCompile(`(?m)^  (statements|documents|jp) +[0-9a-f]{64}$`).FindAllString(out, -1)
	if len(lines) != 3 {
		t.Fatalf("replay --out printed %d view digests, want 3:\n%s", len(lines), out)
	}
	return lines
}

// An auditor's as-of views: two replays to the same moment print the same
// digests; `serve --read-only --views DIR` answers from DIR with no log (a
// fresh data directory stays without one) what the live node answered as
// of that moment, says read-only on /readyz, and refuses every write with
// 405 naming it.
func TestServe_ReadOnlyViewsAnswerAsTheLiveNodeDidThen(t *testing.T) {
	data, approvedAt := auditLog(t)
	asOf := approvedAt.Format(time.RFC3339Nano)
	get := func(base, path string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.SetBasicAuth(testKey, testSecret)
		req.Header.Set("X-Experience-API-Version", "1.0.3")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, string(b), res.Header
	}
	report := func(body string) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		delete(m, "as_of")
		return m
	}
	const jpPath = "/api/v1/people/199001012015011001/jp?year=2026"
	live := startServe(t, data, "--credentials", testKey+":"+testSecret+":admin")
	liveBase := strings.TrimSuffix(live.base, "/xapi")
	status, liveThen, _ := get(liveBase, jpPath+"&as_of="+urlEscape(asOf))
	if status != 200 {
		t.Fatalf("live as of %s = %d %s", asOf, status, liveThen)
	}
	_, liveNow, _ := get(liveBase, jpPath)
	if err := live.stop(); err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(t.TempDir(), "asof")
	first := digestLines(t, runOK(t, "replay", "--data", data, "--as-of", asOf, "--out", dir))
	second := digestLines(t, runOK(t, "replay", "--data", data, "--as-of", asOf, "--out", filepath.Join(t.TempDir(), "again")))
	if strings.Join(first, "\n") != strings.Join(second, "\n") {
		t.Fatalf("two replays to the same moment:\n%s\n%s", first, second)
	}
	latest := digestLines(t, runOK(t, "replay", "--data", data, "--out", filepath.Join(t.TempDir(), "latest")))
	if latest[2] == first[2] {
		t.Fatalf("the jp view after the approval has the digest of the one before it: %s", latest[2])
	}

	empty := t.TempDir()
	ro := startServe(t, empty, "--read-only", "--views", dir, "--credentials", testKey+":"+testSecret+":admin")
	base := strings.TrimSuffix(ro.base, "/xapi")
	status, roNow, _ := get(base, jpPath)
	if status != 200 {
		t.Fatalf("read-only JP = %d %s", status, roNow)
	}
	got, want := report(roNow), report(liveThen)
	if gb, _ := json.Marshal(got); string(gb) != func() string { wb, _ := json.Marshal(want); return string(wb) }() {
		t.Fatalf("read-only node:\n%s\nlive node as of %s:\n%s", roNow, asOf, liveThen)
	}
	if gb, _ := json.Marshal(got); string(gb) == func() string { wb, _ := json.Marshal(report(liveNow)); return string(wb) }() {
		t.Fatalf("the read-only node answers as the live node does now: %s", roNow)
	}
	status, stmts, hdr := get(base, "/xapi/statements")
	if status != 200 || !strings.Contains(stmts, "0b7e1c9a-4d7e-4a55-8f0e-9c1d2e3f4a5b") || strings.Contains(stmts, "verbs/approved") {
		t.Fatalf("read-only statements = %d %s", status, stmts)
	}
	if ct, err := time.Parse(time.RFC3339Nano, hdr.Get("X-Experience-API-Consistent-Through")); err != nil || ct.After(approvedAt) {
		t.Fatalf("consistent through %q, want at or before %s", hdr.Get("X-Experience-API-Consistent-Through"), asOf)
	}
	res, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	ready, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(ready), "read-only") {
		t.Fatalf("readyz = %d %s", res.StatusCode, ready)
	}
	for _, w := range []struct{ method, path, body string }{
		{http.MethodPost, "/xapi/statements", `{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://example.com/x"}}`},
		{http.MethodPut, "/xapi/activities/state?activityId=" + urlEscape("https://e.go.id/a") + "&agent=" + urlEscape(`{"mbox":"mailto:a@example.com"}`) + "&stateId=s", `{"p":2}`},
		{http.MethodPost, "/api/v1/people", `[]`},
	} {
		body := send(t, w.method, base+w.path, testKey, testSecret, w.body, http.StatusMethodNotAllowed)
		if !strings.Contains(string(body), "read-only") {
			t.Errorf("%s %s: %s", w.method, w.path, body)
		}
	}
	if err := ro.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(empty, "nats")); !os.IsNotExist(err) {
		t.Fatalf("a read-only serve made a log in its data directory: %v", err)
	}
	// serving changed nothing in DIR: its views have the digests replay printed
	jp, err := loadJPOptions(config{HomePage: bangkom.DefaultHomePage})
	if err != nil {
		t.Fatal(err)
	}
	views, err := projections.OpenReadOnly(dir, 8<<20, jp)
	if err != nil {
		t.Fatal(err)
	}
	after, err := viewDigests(views, nil)
	views.Close()
	if err != nil || "  "+strings.Join(after, "\n  ") != strings.Join(first, "\n") {
		t.Fatalf("DIR after serving: %v %q, replay printed %q", err, after, first)
	}

	cred := testKey + ":" + testSecret
	for want, args := range map[string][]string{
		"give --views DIR":             {"serve", "--read-only", "--data", empty, "--credentials", cred},
		"give --read-only too":         {"serve", "--views", dir, "--data", empty, "--credentials", cred},
		"give --credentials":           {"serve", "--read-only", "--views", dir, "--data", empty},
		"holds no statements view":     {"serve", "--read-only", "--views", t.TempDir(), "--data", empty, "--credentials", cred},
		"a read-only serve has no log": {"serve", "--read-only", "--views", dir, "--data", empty, "--credentials", cred, "--nats-listen", "127.0.0.1:0"},
	} {
		err := run(t.Context(), args, func(string) string { return "" }, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("jejak %s: %v, want %q", strings.Join(args, " "), err, want)
		}
	}
}
