package api_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
)

// serveFrom makes a request to srv as if from the client address addr,
// without a network.
func serveFrom(srv *api.Server, addr string, r *http.Request) *httptest.ResponseRecorder {
	r.RemoteAddr = addr + ":40000"
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	return w
}

func getStatements(key, secret string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/xapi/statements?limit=1", nil)
	r.SetBasicAuth(key, secret)
	r.Header.Set("X-Experience-API-Version", "1.0.3")
	return r
}

// Wrong secrets are limited by client address and by key with 429 and
// Retry-After; a secret that verified before still passes for a blocked key
// from another address; blocked attempts spend no password check.
func TestAuth_FailedAttemptsAreLimitedByAddressAndKey(t *testing.T) {
	var compares atomic.Int64
	e, srv := newEnvWith(t, func(c *api.Config) {
		c.Auth.(*lrs.Keyring).OnCompare(func() { compares.Add(1) })
		c.AuthFailures, c.AuthKeyFailures = 5, 20
	})
	if w := serveFrom(srv, "198.51.100.7", getStatements(e.key, e.secret)); w.Code != http.StatusOK {
		t.Fatalf("right secret = %d %s", w.Code, w.Body)
	}
	retryAfter := func(w *httptest.ResponseRecorder) {
		t.Helper()
		if n, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || n < 1 {
			t.Fatalf("429 with Retry-After %q", w.Header().Get("Retry-After"))
		}
	}
	statuses := map[int]int{}
	for i := range 200 {
		w := serveFrom(srv, "192.0.2.1", getStatements(e.key, fmt.Sprintf("wrong-%d", i)))
		statuses[w.Code]++
		if w.Code == http.StatusTooManyRequests {
			retryAfter(w)
		}
	}
	if statuses[401] != 5 || statuses[429] != 195 {
		t.Fatalf("200 wrong secrets from one address: %v, want 5×401 then 429", statuses)
	}
	// from many addresses, the key's own limit
	statuses = map[int]int{}
	for i := range 200 {
		w := serveFrom(srv, fmt.Sprintf("203.0.113.%d", i), getStatements(e.key, fmt.Sprintf("wrong-%d", i)))
		statuses[w.Code]++
		if w.Code == http.StatusTooManyRequests {
			retryAfter(w)
		}
	}
	if statuses[401] != 15 || statuses[429] != 185 {
		t.Fatalf("200 wrong secrets from many addresses: %v, want 15×401 then 429", statuses)
	}
	if n := compares.Load(); n != 1+20 {
		t.Fatalf("%d password checks, want 21: blocked attempts must not reach bcrypt", n)
	}
	if w := serveFrom(srv, "198.51.100.8", getStatements(e.key, e.secret)); w.Code != http.StatusOK {
		t.Fatalf("right secret from another address while the key is blocked = %d %s", w.Code, w.Body)
	}
	if w := serveFrom(srv, "192.0.2.1", getStatements(e.key, e.secret)); w.Code != http.StatusTooManyRequests {
		t.Fatalf("right secret from the blocked address = %d, want 429", w.Code)
	}
	if n := compares.Load(); n != 21 {
		t.Fatalf("the remembered secret cost a password check (%d)", n)
	}
}

// formRequest is an alternate-syntax GET whose form is size bytes, with
// fields before the padding of content; read counts the bytes the server
// takes from it.
func formRequest(fields url.Values, size int, read *atomic.Int64) *http.Request {
	head := fields.Encode()
	if head != "" {
		head += "&"
	}
	head += "content="
	body := io.MultiReader(strings.NewReader(head), io.LimitReader(repeatA{}, int64(size-len(head))))
	r := httptest.NewRequest(http.MethodPost, "/xapi/statements?method=GET", &countingReader{r: body, n: read})
	r.ContentLength = int64(size)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

type repeatA struct{}

func (repeatA) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = 'a'
	}
	return len(b), nil
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// The alternate request syntax authenticates before it reads a form: with
// an Authorization header, nothing is read when it is wrong; with
// credentials only in the form, at most MaxFormBytes are read first.
func TestAlternateSyntax_AuthenticatesBeforeReadingTheForm(t *testing.T) {
	const limit = 64 << 10
	e, srv := newEnvWith(t, func(c *api.Config) { c.MaxFormBytes = limit })
	auth := "Basic " + basic(e.key, e.secret)
	const big = 16 << 20
	t.Run("no credentials: 413 after at most the form limit", func(t *testing.T) {
		var read atomic.Int64
		w := serveFrom(srv, "192.0.2.10", formRequest(url.Values{"X-Experience-API-Version": {"1.0.3"}}, big, &read))
		if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "Authorization") {
			t.Fatalf("= %d %s", w.Code, w.Body)
		}
		if n := read.Load(); n > limit+1 {
			t.Fatalf("read %d bytes of an unauthenticated form, limit %d", n, limit)
		}
	})
	t.Run("wrong Authorization header: 401 before any byte", func(t *testing.T) {
		var read atomic.Int64
		r := formRequest(url.Values{"X-Experience-API-Version": {"1.0.3"}}, big, &read)
		r.SetBasicAuth(e.key, "salah")
		if w := serveFrom(srv, "192.0.2.11", r); w.Code != http.StatusUnauthorized {
			t.Fatalf("= %d %s", w.Code, w.Body)
		}
		if n := read.Load(); n != 0 {
			t.Fatalf("read %d bytes before the credentials were refused", n)
		}
	})
	t.Run("wrong Authorization field first: 401 after at most the form limit", func(t *testing.T) {
		var read atomic.Int64
		f := url.Values{"Authorization": {"Basic " + basic(e.key, "salah")}, "X-Experience-API-Version": {"1.0.3"}}
		if w := serveFrom(srv, "192.0.2.12", formRequest(f, big, &read)); w.Code != http.StatusUnauthorized {
			t.Fatalf("= %d %s", w.Code, w.Body)
		}
		if n := read.Load(); n > limit+1 {
			t.Fatalf("read %d bytes of an unauthenticated form, limit %d", n, limit)
		}
	})
	t.Run("a large form with its Authorization first is served", func(t *testing.T) {
		id := uuid.NewString()
		pad := strings.Repeat("x", 200<<10)
		content := `{"actor":{"mbox":"mailto:learner@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/big","definition":{"description":{"en":"` + pad + `"}}}}`
		body := "Authorization=" + url.QueryEscape(auth) + "&" + url.Values{"X-Experience-API-Version": {"1.0.3"}, "Content-Type": {"application/json"}, "statementId": {id}, "content": {content}}.Encode()
		r := httptest.NewRequest(http.MethodPost, "/xapi/statements?method=PUT", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if w := serveFrom(srv, "192.0.2.13", r); w.Code != http.StatusNoContent {
			t.Fatalf("= %d %s", w.Code, w.Body)
		}
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id}), 200, "http://e.com/big")
	})
}

// blockingBody signals its first read, then blocks until release is closed.
type blockingBody struct {
	once    sync.Once
	reading chan struct{}
	release chan struct{}
}

func (b *blockingBody) Read(p []byte) (int, error) {
	b.once.Do(func() { close(b.reading) })
	<-b.release
	return 0, io.EOF
}

// Forms without an Authorization header are read by at most MaxFormReaders
// requests at once; one more is answered 429 at once, so the memory they
// take is bounded by MaxFormReaders × MaxFormBytes.
func TestAlternateSyntax_BoundsUnauthenticatedFormReaders(t *testing.T) {
	const readers = 3
	_, srv := newEnvWith(t, func(c *api.Config) { c.MaxFormReaders = readers })
	release := make(chan struct{})
	var wg sync.WaitGroup
	codes := make(chan int, readers)
	for range readers {
		b := &blockingBody{reading: make(chan struct{}), release: release}
		r := httptest.NewRequest(http.MethodPost, "/xapi/statements?method=GET", b)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Experience-API-Version", "1.0.3")
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- serveFrom(srv, "192.0.2.20", r).Code
		}()
		<-b.reading
	}
	var read atomic.Int64
	w := serveFrom(srv, "192.0.2.21", formRequest(url.Values{"X-Experience-API-Version": {"1.0.3"}}, 1<<10, &read))
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" || read.Load() != 0 {
		t.Fatalf("form beyond the readers = %d (Retry-After %q, %d bytes read), want 429", w.Code, w.Header().Get("Retry-After"), read.Load())
	}
	close(release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusUnauthorized {
			t.Fatalf("released empty form = %d, want 401", c)
		}
	}
	w = serveFrom(srv, "192.0.2.21", formRequest(url.Values{"X-Experience-API-Version": {"1.0.3"}}, 1<<10, &read))
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("form after the readers left = %d, want 401", w.Code)
	}
}

// Every response says nosniff; responses with personal data are not to be
// stored; a document is served sandboxed, and one that is not JSON as an
// attachment.
func TestHeaders_NosniffNoStoreAndSandboxedDocuments(t *testing.T) {
	e := newEnv(t)
	agent := url.QueryEscape(`{"mbox":"mailto:learner@example.com"}`)
	state := func(id string) string {
		return "/activities/state?activityId=" + url.QueryEscape("http://e.com/act") + "&agent=" + agent + "&stateId=" + id
	}
	expect(t, e.do(t, req{method: "PUT", path: state("page"), body: `<script>alert(1)</script>`, contentType: "text/html"}), 204)
	expect(t, e.do(t, req{method: "PUT", path: state("json"), body: `{"a":1}`}), 204)
	base := strings.TrimSuffix(e.url, "/xapi")
	for _, tc := range []struct {
		name, method, url string
		noAuth            bool
		status            int
		want              map[string]string // header → value; "" means absent
	}{
		{"about", "GET", e.url + "/about", true, 200, map[string]string{"X-Content-Type-Options": "nosniff"}},
		{"statements", "GET", e.url + "/statements", false, 200, map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}},
		{"401", "GET", e.url + "/statements", true, 401, map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}},
		{"html state document", "GET", e.url + state("page"), false, 200, map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "Content-Security-Policy": "sandbox", "Content-Disposition": "attachment", "Content-Type": "text/html"}},
		{"JSON state document", "GET", e.url + state("json"), false, 200, map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "Content-Security-Policy": "sandbox", "Content-Disposition": ""}},
		{"state ids", "GET", e.url + "/activities/state?activityId=" + url.QueryEscape("http://e.com/act") + "&agent=" + agent, false, 200, map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}},
		{"agents", "GET", e.url + "/agents?agent=" + agent, false, 200, map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}},
		{"analyst API", "GET", base + "/api/v1/people/199001012015011001/jp", false, 403, map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}},
		{"analyst API 401", "GET", base + "/api/v1/approvals", true, 401, map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(tc.method, tc.url, nil)
			r.Header.Set("X-Experience-API-Version", "1.0.3")
			if !tc.noAuth {
				r.SetBasicAuth(e.key, e.secret)
			}
			res, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			for h, v := range tc.want {
				if got := res.Header.Get(h); got != v {
					t.Errorf("%s: %q, want %q", h, got, v)
				}
			}
		})
	}
}

// The analyst API allows no browser origin unless configured; the xAPI
// keeps its own origins (any by default).
func TestCORS_AnalystAPIHasItsOwnOriginsNoneByDefault(t *testing.T) {
	preflight := func(e *env, path string) http.Header {
		t.Helper()
		r, _ := http.NewRequest(http.MethodOptions, strings.TrimSuffix(e.url, "/xapi")+path, nil)
		r.Header.Set("Origin", "https://dash.example.go.id")
		r.Header.Set("Access-Control-Request-Method", "GET")
		r.Header.Set("Access-Control-Request-Headers", "authorization")
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.Header
	}
	e := newEnv(t)
	if got := preflight(e, "/api/v1/approvals").Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("/api/v1 allows origin %q by default", got)
	}
	if got := preflight(e, "/xapi/statements").Get("Access-Control-Allow-Origin"); got != "*" {
		t.Fatalf("/xapi allows origin %q by default, want *", got)
	}
	e, _ = newEnvWith(t, func(c *api.Config) {
		c.APICORSOrigins = []string{"https://dash.example.go.id"}
		c.CORSOrigins = []string{"https://lms.example.go.id"}
	})
	if got := preflight(e, "/api/v1/approvals").Get("Access-Control-Allow-Origin"); got != "https://dash.example.go.id" {
		t.Fatalf("/api/v1 with its origin configured allows %q", got)
	}
	if got := preflight(e, "/xapi/statements").Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("/xapi allows %q, which only /api/v1 names", got)
	}
}

// A request body must keep coming at MinBodyRate after BodyTimeout: one
// that trickles is cut with 400, while a slow upload above the rate that
// takes longer than BodyTimeout in all is served.
func TestBody_ReadDeadlineCutsTricklesNotSlowUploads(t *testing.T) {
	e, _ := newEnvWith(t, func(c *api.Config) { c.BodyTimeout, c.MinBodyRate = time.Second, 1000 })
	u, _ := url.Parse(e.url)
	open := func(contentLength int, id string) (net.Conn, *bufio.Reader) {
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		fmt.Fprintf(conn, "PUT /xapi/statements?statementId=%s HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nX-Experience-API-Version: 1.0.3\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", id, basic(e.key, e.secret), contentLength)
		return conn, bufio.NewReader(conn)
	}
	// status reads the answer on conn: its status, 0 if conn was closed
	// unanswered; with no answer in a minute the test fails.
	status := func(conn net.Conn, br *bufio.Reader) int {
		t.Helper()
		_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
		res, err := http.ReadResponse(br, nil)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("no answer in a minute: the body was not cut")
		}
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	t.Run("a trickle is cut", func(t *testing.T) {
		conn, br := open(100000, uuid.NewString())
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
				}
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}()
		if s := status(conn, br); s != http.StatusBadRequest && s != 0 {
			t.Fatalf("trickled body = %d, want 400 or a closed connection", s)
		}
	})
	t.Run("a slow upload above the rate is served", func(t *testing.T) {
		id := uuid.NewString()
		body := []byte(`{"actor":{"mbox":"mailto:learner@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/slow","definition":{"description":{"en":"` + strings.Repeat("x", 8000) + `"}}}}`)
		conn, br := open(len(body), id)
		for i := 0; i < len(body); i += 2000 {
			if _, err := conn.Write(body[i:min(i+2000, len(body))]); err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond)
		}
		if s := status(conn, br); s != http.StatusNoContent {
			t.Fatalf("slow upload = %d, want 204", s)
		}
	})
}

// Clients are counted by IPv4 address or IPv6 /64.
func TestClientAddr(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1:4000":             "192.0.2.1",
		"[::ffff:192.0.2.1]:4000":    "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ff::1]:443":   "2001:db8:1:2::/64",
		"not an address":             "not an address",
	} {
		if got := api.ClientAddr(in); got != want {
			t.Errorf("ClientAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
