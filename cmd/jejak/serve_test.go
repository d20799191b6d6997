package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// The whole program: post, get, stop, start again on the same data
// directory, get again; then a second serve on the same directory is
// refused.
func TestRun_ServeEndToEnd(t *testing.T) {
	data := t.TempDir()
	s := startServe(t, data)
	id := uuid.NewString()

	status, body, _ := call(t, http.MethodPut, s.base+"/statements?statementId="+id, statement("", completedVerb, "http://example.com/course/1"))
	if status != http.StatusNoContent {
		t.Fatalf("PUT = %d %s", status, body)
	}
	status, body, _ = call(t, http.MethodPost, s.base+"/statements", []any{
		statement("", completedVerb, "http://example.com/course/2"),
		statement("", completedVerb, "http://example.com/course/3"),
	})
	var posted []string
	if status != http.StatusOK || json.Unmarshal(body, &posted) != nil || len(posted) != 2 {
		t.Fatalf("POST = %d %s", status, body)
	}
	// read your writes: visible at once
	status, body, hdr := call(t, http.MethodGet, s.base+"/statements?statementId="+id, nil)
	if status != http.StatusOK || !strings.Contains(string(body), "course/1") {
		t.Fatalf("GET = %d %s", status, body)
	}
	if hdr.Get("X-Experience-API-Consistent-Through") == "" || hdr.Get("Last-Modified") == "" || hdr.Get("X-Experience-API-Version") != "1.0.3" {
		t.Fatalf("GET headers = %v", hdr)
	}
	var st map[string]any
	_ = json.Unmarshal(body, &st)
	for _, k := range []string{"id", "stored", "authority", "version"} {
		if st[k] == nil {
			t.Errorf("stored statement lacks %q: %s", k, body)
		}
	}
	if err := s.stop(); err != nil {
		t.Fatalf("serve returned %v on cancel, want nil", err)
	}

	s = startServe(t, data)
	status, body, _ = call(t, http.MethodGet, s.base+"/statements?statementId="+posted[1], nil)
	if status != http.StatusOK || !strings.Contains(string(body), "course/3") {
		t.Fatalf("GET after restart = %d %s", status, body)
	}
	status, body, _ = call(t, http.MethodGet, s.base+"/statements", nil)
	var res struct {
		Statements []map[string]any `json:"statements"`
		More       string           `json:"more"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &res) != nil || len(res.Statements) != 3 {
		t.Fatalf("GET all after restart = %d %s", status, body)
	}

	ctx := t.Context()
	err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--credentials", "a:b"}, func(string) string { return "" }, nil, &strings.Builder{}, &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), "in use by another jejak process") {
		t.Fatalf("second serve on %s: err = %v, want a clear refusal", filepath.Base(data), err)
	}
}

// --metrics-addr serves Prometheus metrics on a listener of its own: request
// counts by route and status, the log's head, each view's lag.
func TestRun_Metrics(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := startServe(t, t.TempDir(), "--metrics-addr", addr)
	if status, body, _ := call(t, http.MethodPost, s.base+"/statements", statement("", completedVerb, "http://example.com/m")); status != 200 {
		t.Fatalf("POST = %d %s", status, body)
	}
	call(t, http.MethodGet, s.base+"/statements?bogus=1", nil)
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`jejak_http_requests_total{method="POST",route="/xapi/statements",status="200"} 1`,
		`jejak_http_requests_total{method="GET",route="/xapi/statements",status="400"} 1`,
		`jejak_log_last_sequence 1`,
		`jejak_view_applied_sequence{view="statements"}`,
		`jejak_view_lag_events{view="jp"}`,
		`jejak_append_requests_total 1`,
		`jejak_append_held_back_seconds_total 0`,
		`jejak_store_disk_bytes{store="statements/records"}`,
		`jejak_store_compacted_bytes_total{store="jp"}`,
		`jejak_store_wal_bytes_total{store="jp"}`,
		`jejak_store_flushed_bytes_total{store="statements"}`,
		`jejak_store_block_cache_misses_total{store="statements"}`,
		`jejak_http_connections_refused_total 0`,
		`jejak_http_connections_max `,
		`jejak_decider 1`, // the only node decides
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// the Go profiles are there for whoever can reach the metrics listener
	res, err = http.Get("http://" + addr + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), "heap profile") {
		t.Errorf("GET /debug/pprof/heap = %d %.80s", res.StatusCode, b)
	}
}
