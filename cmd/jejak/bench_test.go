package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
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
	for _, args := range [][]string{{"--batch", "0"}, {"--batch", "1,x"}, {"--reads", "1.5"}, {"--concurrency", "5000"}, {"--count", "-1"}, {"--people", "1"}} {
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
