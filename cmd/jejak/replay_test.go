package main

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jejak-id/jejak/lrs"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/projections"
)

// snapshot reads every statement page and a few single statements.
func snapshot(t *testing.T, base string, ids []string) string {
	t.Helper()
	var sb strings.Builder
	for _, q := range []string{"?limit=3", "?limit=4&ascending=true"} {
		url := base + "/statements" + q
		for url != "" {
			status, body, _ := call(t, http.MethodGet, url, nil)
			if status != http.StatusOK {
				t.Fatalf("GET %s = %d %s", url, status, body)
			}
			sb.Write(body)
			sb.WriteByte('\n')
			more := jsonString(body, "more")
			url = ""
			if more != "" {
				url = strings.TrimSuffix(base, "/xapi") + more
			}
		}
	}
	for _, id := range ids {
		for _, p := range []string{"statementId", "voidedStatementId"} {
			status, body, _ := call(t, http.MethodGet, base+"/statements?"+p+"="+id, nil)
			fmt.Fprintf(&sb, "%s=%s %d %s\n", p, id, status, body)
		}
	}
	return sb.String()
}

// documents reads document resources as a client would.
func documents(t *testing.T, base string, paths []string) string {
	t.Helper()
	var sb strings.Builder
	for _, p := range paths {
		status, body, hdr := call(t, http.MethodGet, base+p, nil)
		fmt.Fprintf(&sb, "%s %d %s %s %s\n", p, status, hdr.Get("ETag"), hdr.Get("Last-Modified"), body)
	}
	return sb.String()
}

// viewDigest returns the digests of every view.
func viewDigest(t *testing.T, data string) string {
	t.Helper()
	views, err := projections.Open(filepath.Join(data, "views"), 8<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer views.Close()
	var out []string
	for _, p := range []interface {
		Name() string
		Digest() (lrs.Hash, error)
	}{views.Statements, views.Documents} {
		d, err := p.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Name()+"="+d.String())
	}
	return strings.Join(out, " ")
}

// `jejak replay` deletes the views and rebuilds them from the log: the
// answers and the view's bytes are the same as before.
func TestRun_ReplayRebuildsIdenticalViews(t *testing.T) {
	data := t.TempDir()
	s := startServe(t, data)
	var ids []string
	for i := range 12 {
		id := uuid.NewString()
		ids = append(ids, id)
		if status, body, _ := call(t, http.MethodPut, s.base+"/statements?statementId="+id, statement("", completedVerb, fmt.Sprintf("http://example.com/%d", i))); status != http.StatusNoContent {
			t.Fatalf("PUT = %d %s", status, body)
		}
	}
	for _, target := range ids[:3] {
		void := map[string]any{
			"actor":  map[string]any{"mbox": "mailto:admin@example.com"},
			"verb":   map[string]any{"id": "http://adlnet.gov/expapi/verbs/voided"},
			"object": map[string]any{"objectType": "StatementRef", "id": target},
		}
		if status, body, _ := call(t, http.MethodPost, s.base+"/statements", void); status != http.StatusOK {
			t.Fatalf("void = %d %s", status, body)
		}
	}
	agent := url.QueryEscape(`{"account":{"homePage":"https://siasn.bkn.go.id","name":"199001012015011001"}}`)
	state := "/activities/state?activityId=" + url.QueryEscape("http://example.com/1") + "&agent=" + agent
	for i, id := range []string{"bookmark", "progress", "notes"} {
		if status, body, _ := call(t, http.MethodPut, s.base+state+"&stateId="+id, map[string]any{"n": i}); status != http.StatusNoContent {
			t.Fatalf("PUT state = %d %s", status, body)
		}
	}
	if status, body, _ := call(t, http.MethodPost, s.base+state+"&stateId=progress", map[string]any{"done": true}); status != http.StatusNoContent {
		t.Fatalf("POST state = %d %s", status, body)
	}
	if status, body, _ := call(t, http.MethodDelete, s.base+state+"&stateId=notes", nil); status != http.StatusNoContent {
		t.Fatalf("DELETE state = %d %s", status, body)
	}
	docs := []string{state, state + "&stateId=progress", state + "&stateId=bookmark", state + "&stateId=notes"}
	before := snapshot(t, s.base, ids) + documents(t, s.base, docs)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	digestBefore := viewDigest(t, data)

	var out strings.Builder
	if err := run(t.Context(), []string{"replay", "--data", data, "--log-level", "warn"}, func(string) string { return "" }, nil, &out, &out); err != nil {
		t.Fatalf("replay: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "rebuilt every view from 20 events") {
		t.Fatalf("replay output: %s", out.String())
	}
	if got := viewDigest(t, data); got != digestBefore {
		t.Fatalf("rebuilt view digest %s, live view %s", got, digestBefore)
	}
	s = startServe(t, data)
	if after := snapshot(t, s.base, ids) + documents(t, s.base, docs); after != before {
		t.Fatalf("answers differ after replay:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
