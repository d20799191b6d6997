package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestMain lets a test run the jejak program as a child process: with
// JEJAK_TEST_ARGS set, the test binary is jejak.
func TestMain(m *testing.M) {
	if args := os.Getenv("JEJAK_TEST_ARGS"); args != "" {
		if n, err := strconv.ParseUint(os.Getenv("JEJAK_TEST_NOFILE"), 10, 64); err == nil {
			// a child run with few file descriptors (connections_test.go)
			if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
				fmt.Fprintln(os.Stderr, "jejak test: set RLIMIT_NOFILE:", err)
				os.Exit(1)
			}
		}
		ctx := context.Background()
		if err := run(ctx, strings.Fields(args), os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "jejak:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const testKey, testSecret = "test-key", "test-secret-for-this-run"

// testServer is a jejak serve started by a test.
type testServer struct {
	base string // http://host:port/xapi
	stop func() error
}

// startServe runs `jejak serve` in process on a random port and returns
// once it is serving. stop cancels it and returns run's error.
func startServe(t *testing.T, data string, extra ...string) *testServer {
	t.Helper()
	s, _, _ := startServeOutput(t, data, extra...)
	return s
}

// waitServing reads a serve's stdout until it announces its address.
func waitServing(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "jejak: serving xAPI at "); ok {
			return rest, nil
		}
	}
	if sc.Err() != nil {
		return "", sc.Err()
	}
	return "", io.ErrUnexpectedEOF
}

// call makes an authenticated xAPI request and returns status and body.
func call(t testing.TB, method, url string, body any) (int, []byte, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		default:
			js, _ := json.Marshal(b)
			rd = bytes.NewReader(js)
		}
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(testKey, testSecret)
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

func statement(id, verb, object string) map[string]any {
	s := map[string]any{
		"actor":  map[string]any{"objectType": "Agent", "account": map[string]any{"homePage": "https://siasn.bkn.go.id", "name": "199001012015011001"}},
		"verb":   map[string]any{"id": verb},
		"object": map[string]any{"id": object},
	}
	if id != "" {
		s["id"] = id
	}
	return s
}

const completedVerb = "http://adlnet.gov/expapi/verbs/completed"

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// jsonString returns a top-level string property of a JSON object.
func jsonString(body []byte, key string) string {
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	s, _ := m[key].(string)
	return s
}

// send makes a request as an xAPI 1.0.3 JSON client with the credential
// key:secret and fails the test unless the answer has status want (any
// 2xx when want is 0). It returns the answer's body.
func send(t testing.TB, method, url, key, secret, body string, want int) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.SetBasicAuth(key, secret)
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if (want == 0 && res.StatusCode/100 != 2) || (want != 0 && res.StatusCode != want) {
		t.Fatalf("%s %s = %d %s", method, url, res.StatusCode, b)
	}
	return b
}
