package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestAudit_ExportHostileText: statements whose strings hold a control
// character, or a quote and an astral character, are stored as JSON: the
// log exports (it used to stop at "invalid character 'x' in string escape
// code"), verifies, and its payload reads back as sent; a lone surrogate
// escape is refused before anything reaches the log.
func TestAudit_ExportHostileText(t *testing.T) {
	data := t.TempDir()
	s := startServe(t, data, "--credentials", testKey+":"+testSecret+":admin")
	stmt := func(id, name string) string {
		return `{"id":"` + id + `","actor":{"name":"` + name + `","mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://e.go.id/a"}}`
	}
	send(t, "POST", s.base+"/statements", testKey, testSecret, stmt("0b7e1c9a-4d7e-4a55-8f0e-9c1d2e3f4a01", `a\u0001b`), 0)
	send(t, "POST", s.base+"/statements", testKey, testSecret, stmt("0b7e1c9a-4d7e-4a55-8f0e-9c1d2e3f4a02", `O\"Brien \udb40\udc01`), 0)
	if b := send(t, "POST", s.base+"/statements", testKey, testSecret, stmt("0b7e1c9a-4d7e-4a55-8f0e-9c1d2e3f4a03", `\ud800`), 400); !strings.Contains(string(b), "actor.name") {
		t.Fatalf("lone surrogate: %s", b)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	export := filepath.Join(t.TempDir(), "log.ndjson")
	runOK(t, "log", "export", "--data", data, "--out", export)
	ls := lines(t, export)
	if len(ls) != 2 {
		t.Fatalf("export has %d lines, want 2", len(ls))
	}
	for i, want := range []string{"a\x01b", "O\"Brien \U000e0001"} {
		var l struct {
			Payload struct {
				Batches []struct {
					Statements []struct {
						Actor struct{ Name string }
					}
				}
			}
		}
		if err := json.Unmarshal([]byte(ls[i]), &l); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if got := l.Payload.Batches[0].Statements[0].Actor.Name; got != want {
			t.Fatalf("line %d: name %q, want %q", i+1, got, want)
		}
	}
	if out := runOK(t, "audit", "verify", "--file", export); !strings.Contains(out, "intact: events 1 to 2") {
		t.Fatalf("verify: %s", out)
	}
}
