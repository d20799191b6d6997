package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/projections"
	"github.com/jejak-id/jejak/schemas"
)

// auditLog makes a log with statements, documents, a registry, a claim and
// its approval, then stops the server. It returns the data directory and
// the stored time of the approval.
func auditLog(t *testing.T) (data string, approvedAt time.Time) {
	t.Helper()
	data = t.TempDir()
	// admin imports the registry; verifier decides the claim (policy: decide)
	s := startServe(t, data, "--credentials", testKey+":"+testSecret+":admin+verifier")
	base := strings.TrimSuffix(s.base, "/xapi")
	do := func(method, path, body string) { send(t, method, base+path, testKey, testSecret, body, 0) }
	do("POST", "/api/v1/people", `[{"nip":"199001012015011001","name":"Siti","unit":"U1","position":"Analis","type":"PNS","timezone":"WIB","supervisor_nip":"197805152003121002"}]`)
	siti := `{"account":{"homePage":"https://siasn.bkn.go.id","name":"199001012015011001"}}`
	do("POST", "/xapi/statements", `{"id":"0b7e1c9a-4d7e-4a55-8f0e-9c1d2e3f4a5b","actor":`+siti+`,"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://coaching.example.go.id/1"},"timestamp":"2026-04-01T10:00:00+07:00","context":{"extensions":{"https://jejak.id/xapi/bangkom/extensions/form":"NK-COACHING"}}}`)
	do("PUT", "/xapi/activities/state?activityId="+urlEscape("https://e.go.id/a")+"&agent="+urlEscape(siti)+"&stateId=s", `{"p":1}`)
	time.Sleep(5 * time.Millisecond)
	approvedAt = time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	do("POST", "/xapi/statements", `{"actor":{"account":{"homePage":"https://siasn.bkn.go.id","name":"197805152003121002"}},"verb":{"id":"https://jejak.id/xapi/bangkom/verbs/approved"},"object":{"objectType":"StatementRef","id":"0b7e1c9a-4d7e-4a55-8f0e-9c1d2e3f4a5b"}}`)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	return data, approvedAt
}

func urlEscape(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", " ", "%20", "#", "%23", "?", "%3F", "=", "%3D", "{", "%7B", "}", "%7D", "\"", "%22", ":", "%3A", "/", "%2F", ",", "%2C")
	return r.Replace(s)
}

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var out strings.Builder
	if err := run(context.Background(), args, func(string) string { return "" }, nil, &out, &out); err != nil {
		t.Fatalf("jejak %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func runFail(t *testing.T, args ...string) string {
	t.Helper()
	var out strings.Builder
	if err := run(context.Background(), args, func(string) string { return "" }, nil, &out, &out); err == nil {
		t.Fatalf("jejak %s succeeded:\n%s", strings.Join(args, " "), out.String())
	}
	return out.String()
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func writeLines(t *testing.T, path string, ls []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(ls, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAudit_ExportVerify(t *testing.T) {
	data, _ := auditLog(t)
	dir := t.TempDir()
	export := filepath.Join(dir, "log.ndjson")
	runOK(t, "log", "export", "--data", data, "--out", export)
	ls := lines(t, export)
	if len(ls) != 4 {
		t.Fatalf("export has %d lines, want 4", len(ls))
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(ls[0]), &first); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"seq", "subject", "time", "headers", "type", "stored", "hash", "prev", "payload", "data"} {
		if _, ok := first[k]; !ok {
			t.Errorf("export line lacks %q: %s", k, ls[0])
		}
	}

	out := runOK(t, "audit", "verify", "--file", export)
	if !strings.Contains(out, "intact: events 1 to 4") || !strings.Contains(out, "xapi.statements v1: 2") || !strings.Contains(out, "bangkom.people v1: 1") {
		t.Fatalf("verify: %s", out)
	}
	if live := runOK(t, "audit", "verify", "--data", data); !strings.Contains(live, "head: "+headOf(out)) {
		t.Fatalf("verify of the log itself:\n%s\nexport:\n%s", live, out)
	}

	t.Run("one byte of a payload changed", func(t *testing.T) {
		bad := append([]string(nil), ls...)
		bad[1] = strings.Replace(bad[1], "NK-COACHING", "NK-COACHINH", 1)
		writeLines(t, filepath.Join(dir, "byte.ndjson"), bad)
		if out := runFail(t, "audit", "verify", "--file", filepath.Join(dir, "byte.ndjson")); !strings.Contains(out, "BROKEN at line 2") {
			t.Fatalf("%s", out)
		}
	})
	t.Run("one byte of the event data changed", func(t *testing.T) {
		bad := append([]string(nil), ls...)
		var l map[string]any
		_ = json.Unmarshal([]byte(bad[2]), &l)
		raw, _ := base64.StdEncoding.DecodeString(l["data"].(string))
		raw[len(raw)/2] ^= 1
		l["data"] = base64.StdEncoding.EncodeToString(raw)
		b, _ := json.Marshal(l)
		bad[2] = string(b)
		writeLines(t, filepath.Join(dir, "data.ndjson"), bad)
		if out := runFail(t, "audit", "verify", "--file", filepath.Join(dir, "data.ndjson")); !strings.Contains(out, "BROKEN at line 3") {
			t.Fatalf("%s", out)
		}
	})
	t.Run("a line dropped", func(t *testing.T) {
		bad := append(append([]string(nil), ls[:1]...), ls[2:]...)
		writeLines(t, filepath.Join(dir, "gap.ndjson"), bad)
		if out := runFail(t, "audit", "verify", "--file", filepath.Join(dir, "gap.ndjson")); !strings.Contains(out, "events 2 to 2 are missing") {
			t.Fatalf("%s", out)
		}
	})
	t.Run("two lines reordered", func(t *testing.T) {
		bad := []string{ls[0], ls[2], ls[1], ls[3]}
		writeLines(t, filepath.Join(dir, "order.ndjson"), bad)
		if out := runFail(t, "audit", "verify", "--file", filepath.Join(dir, "order.ndjson")); !strings.Contains(out, "BROKEN at line 2") {
			t.Fatalf("%s", out)
		}
	})
	t.Run("a signed head, checked later", func(t *testing.T) {
		keys := filepath.Join(dir, "auditor")
		runOK(t, "audit", "keygen", "--out", keys)
		head := filepath.Join(dir, "head.json")
		runOK(t, "audit", "verify", "--file", export, "--sign", keys+".key", "--head-out", head)
		out := runOK(t, "audit", "verify", "--data", data, "--check-signature", keys+".pub", "--head", head)
		if !strings.Contains(out, "signed head 4") || !strings.Contains(out, "holds") {
			t.Fatalf("%s", out)
		}
		runOK(t, "audit", "keygen", "--out", filepath.Join(dir, "other"))
		if out := runFail(t, "audit", "verify", "--file", export, "--check-signature", filepath.Join(dir, "other.pub"), "--head", head); !strings.Contains(out, "signature does not verify") {
			t.Fatalf("%s", out)
		}
	})
	t.Run("a range of sequences verifies on its own", func(t *testing.T) {
		part := filepath.Join(dir, "part.ndjson")
		runOK(t, "log", "export", "--data", data, "--from-seq", "2", "--to-seq", "3", "--out", part)
		if out := runOK(t, "audit", "verify", "--file", part); !strings.Contains(out, "intact: events 2 to 3") {
			t.Fatalf("%s", out)
		}
	})
}

func headOf(verifyOut string) string {
	sc := bufio.NewScanner(strings.NewReader(verifyOut))
	for sc.Scan() {
		if h, ok := strings.CutPrefix(sc.Text(), "head: "); ok {
			return h
		}
	}
	return "?"
}

// Views as of a moment, and the live views against a rebuild.
func TestAudit_ReplayAsOfAndViews(t *testing.T) {
	data, approvedAt := auditLog(t)
	out := runOK(t, "audit", "views", "--data", data)
	if strings.Count(out, ": same") != 3 {
		t.Fatalf("audit views:\n%s", out)
	}
	before := filepath.Join(t.TempDir(), "asof")
	runOK(t, "replay", "--data", data, "--as-of", approvedAt.Format(time.RFC3339Nano), "--out", before)
	rules, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	views, err := projections.Open(before, 8<<20, &projections.JPOptions{Rules: rules, HomePage: bangkom.DefaultHomePage})
	if err != nil {
		t.Fatal(err)
	}
	defer views.Close()
	if views.JP.Checkpoint() != 3 {
		t.Fatalf("as-of view reached event %d, want 3", views.JP.Checkpoint())
	}
	facts, _, err := views.JP.Facts(context.Background(), "199001012015011001", 0)
	if err != nil {
		t.Fatal(err)
	}
	rep := bangkom.Compute(facts, rules, 2026, 0)
	if len(rep.Items) != 1 || rep.Items[0].State != bangkom.Pending {
		t.Fatalf("as of before the approval: %+v", rep.Items)
	}
	var usage strings.Builder
	err = run(context.Background(), []string{"replay", "--data", data, "--as-of", approvedAt.Format(time.RFC3339Nano)}, func(string) string { return "" }, nil, &usage, &usage)
	if err == nil || !strings.Contains(err.Error(), "--out") {
		t.Fatalf("as-of without --out: %v", err)
	}
	if got := runOK(t, "replay", "--data", data, "--view", "jp"); !strings.Contains(got, "rebuilt the jp view from 4 events") {
		t.Fatalf("%s", got)
	}
}

// as_of over HTTP: the JP report as it stood before the approval, each
// item naming the log sequences behind it.
func TestAudit_AsOfOverHTTP(t *testing.T) {
	data, approvedAt := auditLog(t)
	s := startServe(t, data, "--credentials", testKey+":"+testSecret+":admin")
	base := strings.TrimSuffix(s.base, "/xapi")
	get := func(query string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/people/199001012015011001/jp?year=2026"+query, nil)
		req.SetBasicAuth(testKey, testSecret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, string(b)
	}
	type report struct {
		Recognized, Pending float64
		AsOf                string `json:"as_of"`
		Items               []struct {
			State string
			Seqs  []uint64
		}
	}
	var now, then report
	_, body := get("")
	_ = json.Unmarshal([]byte(body), &now)
	status, body := get("&as_of=" + urlEscape(approvedAt.Format(time.RFC3339Nano)))
	_ = json.Unmarshal([]byte(body), &then)
	if status != 200 || then.Pending != 2 || then.Recognized != 0 || then.Items[0].State != "pending" || len(then.Items[0].Seqs) != 1 || then.AsOf == "" {
		t.Fatalf("as of before the approval: %d %s", status, body)
	}
	if now.Recognized != 2 || now.Items[0].State != "approved" || len(now.Items[0].Seqs) != 2 || now.Items[0].Seqs[1] != 4 {
		t.Fatalf("now: %+v", now)
	}
	var before report
	status, body = get("&as_of=" + urlEscape("2000-01-01T00:00:00Z"))
	if err := json.Unmarshal([]byte(body), &before); status != 200 || err != nil || before.Recognized != 0 || before.Pending != 0 || before.Items == nil || len(before.Items) != 0 {
		t.Fatalf("as of before the log began: an empty report, got %d %s", status, body)
	}
}
