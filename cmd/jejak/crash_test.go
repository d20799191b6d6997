package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
)

// startChild runs `jejak serve` as a child process (this test binary, see
// TestMain) and returns it once it is serving.
func startChild(t *testing.T, data string) (*exec.Cmd, string) {
	t.Helper()
	return startChildWith(t, data, nil, os.Stderr)
}

// startChildWith is startChild with more environment variables and serve
// arguments (env, then args in JEJAK_TEST_ARGS) and the child's stderr.
func startChildWith(t *testing.T, data string, env []string, stderr io.Writer, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "JEJAK_TEST_ARGS=serve --addr 127.0.0.1:0 --log-level warn --data "+data+" --credentials "+testKey+":"+testSecret+" "+strings.Join(args, " "))
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base, err := waitServing(out)
	if err != nil {
		t.Fatalf("child serve did not start: %v", err)
	}
	go io.Copy(io.Discard, out)
	return cmd, base
}

// sentBatch is a batch of statements a test posted, and whether it was
// acknowledged.
type sentBatch struct {
	ids   []string
	acked bool
}

// checkBatches reads every batch's statements back at base: an
// acknowledged batch must be stored whole, and no batch half (invariants 2
// and 3). It returns how many batches were acknowledged and how many are
// stored.
func checkBatches(t *testing.T, base string, batches []*sentBatch) (acked, present int) {
	t.Helper()
	for i, b := range batches {
		found := 0
		for _, id := range b.ids {
			status, body, _ := call(t, http.MethodGet, base+"/statements?statementId="+id, nil)
			switch status {
			case http.StatusOK:
				found++
			case http.StatusNotFound:
			default:
				t.Fatalf("GET %s = %d %s", id, status, body)
			}
		}
		if b.acked {
			acked++
			if found != len(b.ids) {
				t.Fatalf("acknowledged batch %d: %d of %d statements stored", i, found, len(b.ids))
			}
		}
		if found != 0 && found != len(b.ids) {
			t.Fatalf("batch %d is half stored: %d of %d statements", i, found, len(b.ids))
		}
		if found > 0 {
			present++
		}
	}
	return acked, present
}

// A client posts batches while the server is killed with SIGKILL; after a
// restart every acknowledged statement is there and no batch is half there
// (invariants 2 and 3).
func TestCrash_AcknowledgedBatchesSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs a child process")
	}
	data := t.TempDir()
	cmd, base := startChild(t, data)

	const clients, perBatch = 4, 20
	var mu sync.Mutex
	var batches []*sentBatch
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				b := &sentBatch{}
				var stmts []any
				for range perBatch {
					id := uuid.NewString()
					b.ids = append(b.ids, id)
					stmts = append(stmts, statement(id, completedVerb, fmt.Sprintf("http://example.com/c%d/%d", c, n)))
				}
				mu.Lock()
				batches = append(batches, b)
				mu.Unlock()
				body, _ := json.Marshal(stmts)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/statements", bytesReader(body))
				req.SetBasicAuth(testKey, testSecret)
				req.Header.Set("X-Experience-API-Version", "1.0.3")
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server is gone
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					mu.Lock()
					b.acked = true
					mu.Unlock()
				}
			}
		}()
	}
	// Kill once a good number of batches were acknowledged.
	for {
		mu.Lock()
		acked := 0
		for _, b := range batches {
			if b.acked {
				acked++
			}
		}
		mu.Unlock()
		if acked >= 100 || ctx.Err() != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	cancel()
	wg.Wait()

	_, base = startChild(t, data)
	ackedBatches, present := checkBatches(t, base, batches)
	if ackedBatches < 100 {
		t.Fatalf("only %d batches were acknowledged before the kill", ackedBatches)
	}
	t.Logf("%d batches sent, %d acknowledged, %d present after restart", len(batches), ackedBatches, present)
}
