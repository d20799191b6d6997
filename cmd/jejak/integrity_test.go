package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/natslog"
)

// damagedLog writes a log of a few events through serve, stops it, and
// flips one byte of the payload of the event that carries marker in the
// embedded store's block file.
func damagedLog(t *testing.T) (data string) {
	return writtenLog(t, func(data string) {
		blocks, _ := filepath.Glob(filepath.Join(data, "nats", "jetstream", "*", "streams", "JEJAK", "msgs", "*.blk"))
		flipped := false
		for _, b := range blocks {
			raw, err := os.ReadFile(b)
			if err != nil {
				t.Fatal(err)
			}
			if i := bytes.Index(raw, []byte("damaged-here")); i >= 0 {
				raw[i] ^= 0x01
				if err := os.WriteFile(b, raw, 0o600); err != nil {
					t.Fatal(err)
				}
				flipped = true
			}
		}
		if !flipped {
			t.Fatalf("no block file of %v holds the marker", blocks)
		}
	})
}

// writtenLog writes four statement events (the second carries the marker
// "damaged-here") through serve, stops it, lets damage change the stopped
// store, and removes the views, for serve to fold the log afresh.
func writtenLog(t *testing.T, damage func(data string)) (data string) {
	t.Helper()
	data = t.TempDir()
	s := startServe(t, data)
	post := func(id, object string) {
		send(t, "POST", s.base+"/statements", testKey, testSecret, `{"id":"`+id+`","actor":{"mbox":"mailto:a@example.org"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"`+object+`"}}`, 0)
	}
	post("0b7e1c9a-4d7e-4a55-8f0e-9c1d2e3f4a51", "https://e.example.org/first")
	post("0b7e1c9a-4d7e-4a55-8f0e-9c1d2e3f4a52", "https://e.example.org/damaged-here")
	post("0b7e1c9a-4d7e-4a55-8f0e-9c1d2e3f4a53", "https://e.example.org/third")
	post("0b7e1c9a-4d7e-4a55-8f0e-9c1d2e3f4a54", "https://e.example.org/fourth")
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	damage(data)
	if err := os.RemoveAll(filepath.Join(data, "views")); err != nil {
		t.Fatal(err)
	}
	return data
}

// A byte changed in a block file of the embedded store: the file store's
// checksum no longer holds and the server gives the event up (the
// message is "not found"). Export writes every other event and names the
// one it lacks, verify names the sequence, and serve's views stop before
// it with /readyz, the log and the metric naming it.
func TestIntegrity_ADamagedBlockIsNamedEverywhere(t *testing.T) {
	data := damagedLog(t)

	// export: every event the log can give, and the gap named
	out := filepath.Join(t.TempDir(), "log.ndjson")
	var stderr strings.Builder
	err := run(t.Context(), []string{"log", "export", "--data", data, "--out", out}, func(string) string { return "" }, nil, io.Discard, &stderr)
	if ee, ok := err.(exitError); !ok || ee.code != 4 {
		t.Fatalf("export: %v, want exit status 4\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "sequence 2: event 2 cannot be read") {
		t.Fatalf("export does not name the event it lacks:\n%s", stderr.String())
	}
	var seqs []uint64
	for _, l := range lines(t, out) {
		var el lrs.ExportLine
		if err := json.Unmarshal([]byte(l), &el); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, el.Seq)
	}
	if len(seqs) != 3 || seqs[0] != 1 || seqs[1] != 3 || seqs[2] != 4 {
		t.Fatalf("export holds events %v, want 1, 3 and 4", seqs)
	}

	// verify: what is wrong and where
	v := runFail(t, "audit", "verify", "--data", data)
	if !strings.Contains(v, "BROKEN at sequence 2: event 2 cannot be read") || !strings.Contains(v, "verified before it: events 1 to 1") {
		t.Fatalf("verify:\n%s", v)
	}

	// serve: the views stop before the break, and the node says so
	metricsAddr := freeAddr(t)
	s := startServe(t, data, "--metrics-addr", metricsAddr)
	body := waitNotReady(t, s.base)
	t.Logf("export:\n%s\nverify:\n%s\n/readyz: %s", stderr.String(), v, body)
	if !strings.Contains(body, "breaks at sequence 2") || !strings.Contains(body, "event 2 cannot be read") {
		t.Fatalf("/readyz: %s", body)
	}
	send(t, "GET", s.base+"/statements?statementId=0b7e1c9a-4d7e-4a55-8f0e-9c1d2e3f4a51", testKey, testSecret, "", http.StatusOK)
	send(t, "GET", s.base+"/statements?statementId=0b7e1c9a-4d7e-4a55-8f0e-9c1d2e3f4a53", testKey, testSecret, "", http.StatusNotFound)
	if m := get(t, "http://"+metricsAddr+"/metrics"); !strings.Contains(m, "jejak_log_integrity_break_sequence 2") {
		t.Fatalf("metrics lack the break:\n%s", grepLines(m, "integrity"))
	}
}

// An event whose prev is not the hash of the event before it (written
// around Jejak, straight to the stream): verify says which link fails,
// and serve's views stop before it.
func TestIntegrity_AWrongPrevStopsTheViews(t *testing.T) {
	data := writtenLog(t, func(data string) {
		withStoppedLog(t, data, func(log *natslog.Log) {
			appendRaw(t, log, func(seq uint64, prev lrs.Hash) []byte {
				prev[0] ^= 1
				return lrs.EncodeEnvelope(nil, lrs.EventStatements, 1, seq, lrs.DefaultStore, time.Now(), prev, []byte(`{"batches":[]}`))
			})
		})
	})
	v := runFail(t, "audit", "verify", "--data", data)
	if !strings.Contains(v, "BROKEN at sequence 5: event 5's prev does not match the hash of event 4") {
		t.Fatalf("verify:\n%s", v)
	}
	s := startServe(t, data)
	t.Logf("verify:\n%s", v)
	if body := waitNotReady(t, s.base); !strings.Contains(body, "breaks at sequence 5: event 5's prev does not match the hash of event 4") {
		t.Fatalf("/readyz: %s", body)
	}
	// everything before the break was folded
	send(t, "GET", s.base+"/statements?statementId=0b7e1c9a-4d7e-4a55-8f0e-9c1d2e3f4a54", testKey, testSecret, "", http.StatusOK)
}

// waitNotReady polls /readyz until it answers 503 and returns its body.
func waitNotReady(t *testing.T, base string) string {
	t.Helper()
	waitReady(t, base, http.StatusServiceUnavailable)
	return get(t, strings.TrimSuffix(base, "/xapi")+"/readyz")
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func grepLines(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
