package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// syncBuffer is a bytes.Buffer safe for a child's stderr and a test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A child `jejak serve` with RLIMIT_NOFILE 1024 is flooded from loopback:
// connections beyond the per-address and the total cap are refused at
// once, the total keeps descriptors for the log, a write from another
// address works during the flood and after it, bodies that trickle are
// cut by the read deadline, and the log never runs out of descriptors.
func TestServe_ConnectionCapsAndBodyDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	const nofile, perAddr = 1024, 100
	var stderr syncBuffer
	_, base := startChildWith(t, t.TempDir(), []string{fmt.Sprintf("JEJAK_TEST_NOFILE=%d", nofile)}, &stderr,
		"--max-conns-per-ip", fmt.Sprint(perAddr), "--body-timeout", "10s", "--min-body-rate", "1000")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	dial := func(src string) net.Conn {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
		c, err := d.Dial("tcp", u.Host)
		if err != nil {
			t.Fatalf("dial from %s: %v", src, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// served asks for /xapi/about on c: true if answered, false if the
	// connection was closed unanswered (refused). No answer at all within
	// the guard fails the test: the server is stuck.
	served := func(c net.Conn) bool {
		t.Helper()
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		defer c.SetDeadline(time.Time{})
		if _, err := io.WriteString(c, "GET /xapi/about HTTP/1.1\r\nHost: jejak\r\n\r\n"); err != nil {
			return false
		}
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			t.Fatalf("no answer and no refusal: %v", err)
		case err != nil:
			return false
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}
	write := func(src string) int {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		client := http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
		body := fmt.Sprintf(`{"id":%q,"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":%q},"object":{"id":"http://example.com/c"}}`, uuid.NewString(), completedVerb)
		req, _ := http.NewRequest(http.MethodPost, base+"/statements", strings.NewReader(body))
		req.SetBasicAuth(testKey, testSecret)
		req.Header.Set("X-Experience-API-Version", "1.0.3")
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return 0 // refused
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("write from %s = %d %s", src, res.StatusCode, b)
		}
		return res.StatusCode
	}

	// Up to the per-address cap of connections that send their headers and
	// then trickle a body of 100000 bytes.
	auth := base64.StdEncoding.EncodeToString([]byte(testKey + ":" + testSecret))
	var tricklers []net.Conn
	for range perAddr {
		c := dial("127.0.0.2")
		fmt.Fprintf(c, "POST /xapi/statements HTTP/1.1\r\nHost: jejak\r\nAuthorization: Basic %s\r\nX-Experience-API-Version: 1.0.3\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n[", auth)
		tricklers = append(tricklers, c)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(250 * time.Millisecond):
			}
			for _, c := range tricklers {
				_, _ = c.Write([]byte(" "))
			}
		}
	}()
	if served(dial("127.0.0.2")) {
		t.Fatalf("connection %d from one address was served; the cap is %d", perAddr+1, perAddr)
	}
	if write("127.0.0.3") != http.StatusOK {
		t.Fatal("a write from another address was refused during the flood")
	}

	// Idle connections from more addresses until one is refused.
	open := len(tricklers)
	var idle []net.Conn
	refused := false
	for i := 0; open < nofile && !refused; i++ {
		c := dial(fmt.Sprintf("127.0.1.%d", 1+i/(perAddr/2)))
		if served(c) {
			idle = append(idle, c)
			open++
		} else {
			refused = true
		}
	}
	if !refused || open > nofile-fdReserve {
		t.Fatalf("%d connections open (refused: %v) with RLIMIT_NOFILE %d: at least %d descriptors must stay for the log", open, refused, nofile, fdReserve)
	}
	t.Logf("%d connections open when the next was refused", open)
	for _, c := range idle {
		c.Close()
	}
	ok := false
	for range 100 { // the server sees the closes a moment later
		if write("127.0.0.3") == http.StatusOK {
			ok = true
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !ok {
		t.Fatal("writes refused after the idle connections closed")
	}

	// Every trickling connection is cut: answered or closed.
	for i, c := range tricklers {
		_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
		_, err := io.Copy(io.Discard, c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("trickling connection %d was not cut by the body deadline", i)
		}
	}
	if write("127.0.0.3") != http.StatusOK {
		t.Fatal("a write after the flood was refused")
	}
	if s := stderr.String(); strings.Contains(s, "too many open files") {
		t.Fatalf("the child ran out of descriptors:\n%s", s)
	}
}
