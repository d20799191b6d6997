package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

func TestBench_NIPsAreValid(t *testing.T) {
	people := benchPeople(7, 5000)
	seen := map[string]bool{}
	for i, p := range people {
		if _, err := bangkom.ParseNIP(p.nip); err != nil {
			t.Fatalf("person %d: %v", i, err)
		}
		if seen[p.nip] {
			t.Fatalf("person %d: NIP %s twice", i, p.nip)
		}
		seen[p.nip] = true
		if i > 0 && (p.sup < 0 || int(p.sup) == i) {
			t.Fatalf("person %d: supervisor %d", i, p.sup)
		}
	}
	again := benchPeople(7, 5000)
	if again[4999] != people[4999] {
		t.Fatal("the same seed gave other people")
	}
}

// Every generated statement, claims and approvals, passes the xAPI rules;
// the forms are the rule codes of schemas/jp-rules, all of them drawn.
func TestBench_StatementsAreValid(t *testing.T) {
	people := benchPeople(1, 200)
	pool := &benchPool{}
	g := newBenchGen(1, 0, people, pool)
	var p fastjson.Parser
	forms := map[string]int{}
	approvals, total, size := 0, 0, 0
	for i := 0; i < 400; i++ {
		body, claims, a := g.batch(1 + i%25)
		size += len(body)
		approvals += a
		pool.add(claims)
		v, err := p.ParseBytes(body)
		if err != nil {
			t.Fatalf("batch %d: %v\n%s", i, err, body)
		}
		items := []*fastjson.Value{v}
		if v.Type() == fastjson.TypeArray {
			items = v.GetArray()
		}
		for _, st := range items {
			total++
			s := st.String()
			if f := string(st.GetStringBytes("context", "extensions", bangkom.ExtForm)); f != "" {
				forms[f]++
			}
			if err := lrs.ValidateStatement(st, lrs.V1); err != nil {
				t.Fatalf("statement %s: %v", s, err)
			}
		}
	}
	if share := float64(approvals) / float64(total); share < 0.02 || share > 0.08 {
		t.Errorf("approvals are %.1f%% of statements, want about 5%%", share*100)
	}
	if avg := size / total; avg < 800 || avg > 1600 {
		t.Errorf("statements average %d bytes, want about 1.2 KB", avg)
	}
	files, err := filepath.Glob("../../schemas/jp-rules/*-*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("rule files: %v", err)
	}
	codes := map[string]bool{}
	for _, f := range files {
		codes[strings.TrimSuffix(filepath.Base(f), ".json")] = true
	}
	for _, f := range benchForms {
		if !codes[f.code] {
			t.Errorf("form %s has no rule file", f.code)
		}
	}
	for code := range codes {
		found := false
		for _, f := range benchForms {
			found = found || f.code == code
		}
		if !found {
			t.Errorf("rule %s is never drawn", code)
		}
	}
	for _, common := range []string{"NK-ELEARN", "KLS-SEMINAR", "NK-COACHING"} {
		if forms[common] == 0 {
			t.Errorf("no %s among %d statements", common, total)
		}
	}
}

func TestBench_LoopbackOnly(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"http://127.0.0.1:8080/xapi", "http://127.9.9.9/xapi", "http://[::1]:9/xapi", "http://localhost:8080/xapi"} {
		if err := benchCheckLoopback(ctx, u, false); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:8080/xapi", "http://8.8.8.8/xapi", "http://[2001:db8::1]/xapi"} {
		err := benchCheckLoopback(ctx, u, false)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--allow-remote") {
			t.Errorf("%s: %v, want a refusal naming --allow-remote", u, err)
		}
		if err := benchCheckLoopback(ctx, u, true); err != nil {
			t.Errorf("%s with --allow-remote: %v", u, err)
		}
	}
	// and through the command: refused before any traffic
	err := run(ctx, []string{"bench", "--url", "http://192.0.2.1/xapi", "--duration", "1s"}, func(string) string { return "" }, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not loopback") {
		t.Fatalf("bench against 192.0.2.1 = %v", err)
	}
}

func TestBench_Flags(t *testing.T) {
	env := map[string]string{"JEJAK_BATCH": "1,10,100", "JEJAK_DURATION": "31m"}
	err := run(context.Background(), []string{"bench"}, func(k string) string { return env[k] }, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--duration") {
		t.Fatalf("JEJAK_DURATION=31m: %v", err)
	}
	for _, args := range [][]string{{"--batch", "0"}, {"--batch", "1,x"}, {"--reads", "1.5"}, {"--concurrency", "5000"}, {"--count", "-1"}, {"--people", "1"}, {"--request-timeout", "0s"}, {"--request-timeout", "2m"}} {
		err := run(context.Background(), append([]string{"bench"}, args...), func(string) string { return "" }, nil, io.Discard, io.Discard)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

// A short real run against an in-process jejak serve: writes with a mix of
// batch sizes, approvals, agent queries and JP lookups; no errors.
func TestBench_RunAgainstServe(t *testing.T) {
	// verifier registers people and decides claims; admin reads their JP (policy: person-data)
	s := startServe(t, t.TempDir(), "--credentials", testKey+":"+testSecret+":admin+verifier")
	jp := strings.TrimSuffix(s.base, "/xapi") + "/api/v1"
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	args := []string{"bench", "--url", s.base, "--jp-url", jp, "--auth", testKey + ":" + testSecret, "--concurrency", "4",
		"--batch", "1,10,25", "--count", "10000", "--duration", "2s", "--reads", "0.2", "--people", "300", "--json",
		"--pid", strconv.Itoa(os.Getpid())}
	if err := run(ctx, args, func(string) string { return "" }, nil, &out, &errOut); err != nil {
		t.Fatalf("bench: %v\n%s", err, errOut.String())
	}
	var rep BenchReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	if rep.StatementsAcked <= 0 || rep.AckedPerSec <= 0 || rep.ErrorsTotal != 0 || len(rep.Errors) != 0 {
		t.Fatalf("report: acked %d (%v/s), errors %v %v\n%s", rep.StatementsAcked, rep.AckedPerSec, rep.Errors, rep.ErrorSamples, out.String())
	}
	if rep.StoppedBy == "count" && rep.StatementsAcked != 10000 {
		t.Errorf("stopped by count with %d statements acknowledged, want 10000", rep.StatementsAcked)
	}
	if rep.Latency["write"].Requests == 0 || rep.Latency["read_statements"].Requests == 0 || rep.Latency["read_jp"].Requests == 0 {
		t.Errorf("latency rows: %+v", rep.Latency)
	}
	if !rep.Projection.Supported || !rep.Projection.CaughtUp || rep.Projection.PerSec <= 0 {
		t.Errorf("projection: %+v", rep.Projection)
	}
	if rep.RSS == nil || rep.RSS.PeakBytes <= 0 || rep.RSS.CPUS <= 0 || rep.RSS.CPUPerStatementUS <= 0 {
		t.Errorf("rss: %+v", rep.RSS)
	}
	// the table form prints the headline
	var table bytes.Buffer
	rep.print(&table)
	if !strings.Contains(table.String(), "statements acknowledged") || !strings.Contains(table.String(), "p99 ms") {
		t.Errorf("table:\n%s", table.String())
	}
	t.Logf("\n%s", table.String())
}

func TestBench_Histogram(t *testing.T) {
	var h benchHist
	for i := 1; i <= 10000; i++ {
		h.record(time.Duration(i) * time.Microsecond * 10) // 10 µs .. 100 ms
	}
	s := h.summary()
	for _, c := range []struct{ got, want float64 }{{s.P50, 50}, {s.P90, 90}, {s.P99, 99}, {s.Max, 100}} {
		if c.got < c.want*0.99 || c.got > c.want*1.01 {
			t.Errorf("quantile %v ms, want %v ± 1%%", c.got, c.want)
		}
	}
}

func TestBench_URLList(t *testing.T) {
	urls, err := benchSplitURLs("http://127.0.0.1:8081/xapi/, http://127.0.0.1:8082/xapi")
	if err != nil || len(urls) != 2 || urls[0] != "http://127.0.0.1:8081/xapi" || urls[1] != "http://127.0.0.1:8082/xapi" {
		t.Fatalf("split = %q, %v", urls, err)
	}
	for _, bad := range []string{"", "http://127.0.0.1:8081/xapi,", "http://a/xapi,ftp://b/xapi", "http://a/xapi,http://a/xapi/"} {
		if urls, err := benchSplitURLs(bad); err == nil {
			t.Errorf("%q split into %q, want a refusal", bad, urls)
		}
	}
	// client i goes to URL i mod n: with 3 URLs and 7 clients, 3, 2 and 2
	per := make([]int, 3)
	for i := 0; i < 7; i++ {
		per[benchNode(i, 3)]++
	}
	if per[0] != 3 || per[1] != 2 || per[2] != 2 || benchNode(4, 3) != 1 {
		t.Errorf("7 clients over 3 URLs: %v", per)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--url", "http://127.0.0.1:1/xapi,http://127.0.0.1:2/xapi,http://127.0.0.1:3/xapi", "--concurrency", "2"}, "fewer than the 3 URLs"},
		{[]string{"--url", "http://127.0.0.1:1/xapi,http://127.0.0.1:1/xapi"}, "given twice"},
		{[]string{"--url", "http://127.0.0.1:1/xapi,127.0.0.1:2"}, "not an http(s) URL"},
	} {
		err := run(context.Background(), append([]string{"bench"}, c.args...), func(string) string { return "" }, nil, io.Discard, io.Discard)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want a usage error saying %q", c.args, err, c.want)
		}
	}
	// every URL must be loopback, not only the first
	err = run(context.Background(), []string{"bench", "--url", "http://127.0.0.1:1/xapi,http://192.0.2.1/xapi", "--duration", "1s"}, func(string) string { return "" }, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "192.0.2.1") || !strings.Contains(err.Error(), "not loopback") {
		t.Fatalf("a remote second URL: %v", err)
	}
}

func TestBench_LongestStall(t *testing.T) {
	const ms = time.Millisecond
	for _, c := range []struct {
		name       string
		counts     []int64
		end        time.Duration
		start, stp time.Duration
	}{
		// acks in steps 0, 1, 5 and 6: the gap is from the end of step 1 to step 5
		{"middle", []int64{3, 1, 0, 0, 0, 2, 1, 0}, 75 * ms, 20 * ms, 50 * ms},
		// nothing acknowledged before step 4: the run's start is an edge
		{"start", []int64{0, 0, 0, 0, 5, 0, 5, 0}, 75 * ms, 0, 40 * ms},
		// the last ack in step 1, the run ends at 75 ms: its end is an edge
		{"end", []int64{1, 1, 0, 0, 0, 0, 0, 0}, 75 * ms, 20 * ms, 75 * ms},
		// steps past the run's end do not count (acks of late answers are none of the run's)
		{"past the end", []int64{1, 0, 0, 0, 0, 0, 0, 9}, 35 * ms, 10 * ms, 35 * ms},
		// no ack at all: the whole run
		{"nothing", []int64{0, 0, 0}, 25 * ms, 0, 25 * ms},
		// two gaps of one step each: the first
		{"tie", []int64{1, 0, 1, 0, 1}, 50 * ms, 10 * ms, 20 * ms},
		// an ack in every step: the longest gap is none, 0..0 at the start
		{"steady", []int64{1, 1, 1, 1}, 40 * ms, 0, 0},
	} {
		start, end := benchLongestStall(c.counts, 10*ms, c.end)
		if start != c.start || end != c.stp {
			t.Errorf("%s: stall %v..%v, want %v..%v", c.name, start, end, c.start, c.stp)
		}
	}
}

func TestBench_WritesOverTheStall(t *testing.T) {
	// lifetimes in µs; the stall is 1000..3000 µs
	writes := [][]benchWrite{
		{{start: 0, end: 900}, {start: 900, end: 3100}},     // before it; over all of it (2200 µs)
		{{start: 1500, end: 1600, failed: true}},            // inside it, failed (100 µs)
		{{start: 3000, end: 3050}, {start: 200, end: 1000}}, // starts at its end; ends at its start: neither
		{{start: 2990, end: 9000}},                          // starts inside it (6010 µs)
	}
	n, failed, p99, longest := benchOverlapping(writes, time.Millisecond, 3*time.Millisecond)
	if n != 3 || failed != 1 || p99 != 6010*time.Microsecond || longest != 6010*time.Microsecond {
		t.Fatalf("overlapping = %d (%d failed), p99 %v, max %v; want 3 (1 failed), 6.01ms, 6.01ms", n, failed, p99, longest)
	}
	// p99 of 200 requests is the 198th smallest: the two slowest are above it
	var many []benchWrite
	for i := 1; i <= 200; i++ {
		many = append(many, benchWrite{start: 0, end: uint32(i * 1000)})
	}
	if _, _, p99, longest := benchOverlapping([][]benchWrite{many}, 0, time.Second); p99 != 198*time.Millisecond || longest != 200*time.Millisecond {
		t.Errorf("p99 %v, max %v; want 198ms, 200ms", p99, longest)
	}
	if n, _, _, _ := benchOverlapping(writes, 10*time.Millisecond, 11*time.Millisecond); n != 0 {
		t.Errorf("%d writes overlap a quiet interval", n)
	}
}

func TestBench_RetryAfterCounted(t *testing.T) {
	st := newBenchStats(time.Now(), time.Second, 1, 1)
	retry := http.Header{"Retry-After": {"1"}}
	st.failStatus(benchReqWrite, 503, retry, []byte("busy"))
	st.failStatus(benchReqWrite, 503, retry, nil)
	st.failStatus(benchReqWrite, 503, http.Header{}, nil)           // a 503 without: counted as such
	st.failStatus(benchReqWrite, 500, http.Header{}, nil)           // a 500 without
	st.failStatus(benchReqWrite, 500, retry, nil)                   // a 500 with: in neither count
	st.failStatus(benchReqReadStatements, 502, http.Header{}, nil)  // reads count too
	st.failStatus(benchReqProbe, 503, http.Header{}, nil)           // probes do not
	st.failStatus(benchReqWrite, 409, http.Header{}, []byte("dup")) // not a 5xx
	if r, n := st.retry503.Load(), st.noRetry5xx.Load(); r != 2 || n != 3 {
		t.Errorf("503 with Retry-After %d, 5xx without %d; want 2 and 3", r, n)
	}
	if st.errors["write 503"] != 3 || st.errors["write 500"] != 2 || st.errors["write 409"] != 1 || st.samples["write 503"] != "busy" {
		t.Errorf("errors %v, samples %v", st.errors, st.samples)
	}
}

// countStatements pages through a serve's statements and counts them.
func countStatements(t *testing.T, base string) int {
	t.Helper()
	root := strings.TrimSuffix(base, "/xapi")
	n, next := 0, base+"/statements?limit=500"
	for next != "" {
		status, body, _ := call(t, http.MethodGet, next, nil)
		var page struct {
			Statements []json.RawMessage `json:"statements"`
			More       string            `json:"more"`
		}
		if status != http.StatusOK || json.Unmarshal(body, &page) != nil {
			t.Fatalf("GET %s: %d %s", next, status, body)
		}
		n += len(page.Statements)
		next = ""
		if page.More != "" {
			next = root + page.More
		}
	}
	return n
}

// A short run spread over two real serves (each its own log): client i
// writes to node i mod 2, each node holds exactly what it acknowledged,
// and the stall figures are those of the run.
func TestBench_SpreadOverNodes(t *testing.T) {
	// verifier: the load holds supervisor approvals (policy: decide)
	a := startServe(t, t.TempDir(), "--credentials", testKey+":"+testSecret+":verifier")
	b := startServe(t, t.TempDir(), "--credentials", testKey+":"+testSecret+":verifier")
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	args := []string{"bench", "--url", a.base + "," + b.base + "/", "--auth", testKey + ":" + testSecret, "--concurrency", "3",
		"--batch", "1,10", "--count", "900", "--duration", "3s", "--reads", "0.1", "--people", "300", "--json"}
	if err := run(ctx, args, func(string) string { return "" }, nil, &out, &errOut); err != nil {
		t.Fatalf("bench: %v\n%s", err, errOut.String())
	}
	var rep BenchReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	if rep.StatementsAcked <= 0 || rep.ErrorsTotal != 0 || len(rep.ErrorsByStatus) != 0 || rep.Status5xxNoRetryAfter != 0 {
		t.Fatalf("report: acked %d, errors %v %v\n%s", rep.StatementsAcked, rep.Errors, rep.ErrorSamples, out.String())
	}
	if rep.Target != a.base+","+b.base || len(rep.Nodes) != 2 || rep.Nodes[0].URL != a.base || rep.Nodes[1].URL != b.base {
		t.Fatalf("target %q, nodes %+v", rep.Target, rep.Nodes)
	}
	var sum, reqs int64
	for i, n := range rep.Nodes {
		if n.WriteRequests == 0 || n.StatementsAcked == 0 || n.WriteErrors != 0 {
			t.Errorf("node %d: %+v", i, n)
		}
		sum += n.StatementsAcked
		reqs += n.WriteRequests
	}
	if sum != rep.StatementsAcked || reqs != rep.Latency["write"].Requests {
		t.Errorf("nodes acknowledged %d in %d requests, the run %d in %d", sum, reqs, rep.StatementsAcked, rep.Latency["write"].Requests)
	}
	// two clients on the first node, one on the second: each node holds what it acknowledged
	if got := countStatements(t, a.base); int64(got) != rep.Nodes[0].StatementsAcked {
		t.Errorf("node a holds %d statements, acknowledged %d", got, rep.Nodes[0].StatementsAcked)
	}
	if got := countStatements(t, b.base); int64(got) != rep.Nodes[1].StatementsAcked {
		t.Errorf("node b holds %d statements, acknowledged %d", got, rep.Nodes[1].StatementsAcked)
	}
	if !rep.Projection.CaughtUp {
		t.Errorf("projection: %+v", rep.Projection)
	}
	s := rep.LongestStall
	if s.StartS < 0 || s.EndS < s.StartS || s.EndS > rep.ElapsedS || s.LengthS != benchRound3(s.EndS-s.StartS) || !s.Complete ||
		s.Requests > rep.Latency["write"].Requests || s.Failed != 0 || s.Max < s.P99 {
		t.Errorf("longest stall %+v in a run of %v s", s, rep.ElapsedS)
	}
	var table bytes.Buffer
	rep.print(&table)
	for _, want := range []string{"longest stall without an acknowledged write", "node  ", a.base, b.base} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, table.String())
		}
	}
	t.Logf("\n%s", table.String())
}

// A node that refuses connections (nothing listens at its port): its
// client's writes go to the next node, not counted as errors, and the
// run does not wait for its projection.
func TestBench_RefusedNodeIsSkipped(t *testing.T) {
	a := startServe(t, t.TempDir(), "--credentials", testKey+":"+testSecret+":verifier")
	dead := "http://" + freeAddr(t) + "/xapi"
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	args := []string{"bench", "--url", a.base + "," + dead, "--auth", testKey + ":" + testSecret, "--concurrency", "2",
		"--batch", "5", "--count", "300", "--duration", "3s", "--people", "100", "--request-timeout", "10s", "--json"}
	if err := run(ctx, args, func(string) string { return "" }, nil, &out, &errOut); err != nil {
		t.Fatalf("bench: %v\n%s", err, errOut.String())
	}
	var rep BenchReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	if !strings.Contains(errOut.String(), dead+" refused the connection") {
		t.Errorf("no warning about %s:\n%s", dead, errOut.String())
	}
	if rep.StatementsAcked <= 0 || rep.ErrorsTotal != 0 || rep.Redirected == 0 {
		t.Fatalf("acked %d, errors %v, redirected %d\n%s", rep.StatementsAcked, rep.Errors, rep.Redirected, out.String())
	}
	if rep.Nodes[1].WriteRequests != 0 || rep.Nodes[0].StatementsAcked != rep.StatementsAcked {
		t.Errorf("nodes %+v", rep.Nodes)
	}
	if got := countStatements(t, a.base); int64(got) != rep.StatementsAcked {
		t.Errorf("the live node holds %d statements, %d acknowledged", got, rep.StatementsAcked)
	}
	if !rep.Projection.CaughtUp || len(rep.Projection.Unreachable) != 1 || rep.Projection.Unreachable[0] != dead {
		t.Errorf("projection %+v", rep.Projection)
	}
	// only refused connections are retried elsewhere: a request that was sent is not
	if benchRefused(context.DeadlineExceeded) || benchRefused(io.ErrUnexpectedEOF) {
		t.Error("an error after sending counts as refused")
	}
}
