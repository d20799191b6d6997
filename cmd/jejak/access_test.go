package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/jejak-id/jejak/lrs"
)

// A read of a person's JP through a running serve is in the access log
// after the server stops (the queue is flushed at shutdown), and `jejak
// audit access --nip` lists it from the stopped data directory; the
// auditor reads it over HTTP while serving, the platform may not.
func TestRun_AccessLogSurvivesARestart(t *testing.T) {
	data := t.TempDir()
	s := startServe(t, data, "--credentials", testKey+":"+testSecret+":admin,lms:lms-secret,aud:aud-secret:auditor", "--access-log-retention", "8760h")
	api := strings.TrimSuffix(s.base, "/xapi") + "/api/v1"
	people := `[{"nip":"199001012015011001","name":"Siti","unit":"U1","position":"Analis","type":"PNS","timezone":"WIB"}]`
	send(t, http.MethodPost, api+"/people", testKey, testSecret, people, 200)
	// the platform without a role is refused (and the refusal recorded); an admin reads
	send(t, http.MethodGet, api+"/people/199001012015011001/jp?year=2026", "lms", "lms-secret", "", 403)
	send(t, http.MethodGet, api+"/people/199001012015011001/jp?year=2026", testKey, testSecret, "", 200)
	send(t, http.MethodGet, api+"/access?nip=199001012015011001", "lms", "lms-secret", "", 403)
	body := send(t, http.MethodGet, api+"/access?nip=199001012015011001&direct=true", "aud", "aud-secret", "", 200)
	if !strings.Contains(string(body), `"who":"lms"`) || !strings.Contains(string(body), `"who":"`+testKey+`"`) {
		t.Fatalf("access log while serving: %s", body)
	}
	// answered just before the stop: stored by the shutdown's flush at the latest
	send(t, http.MethodGet, api+"/people/199001012015011001/siasn?year=2026", testKey, testSecret, "", 200)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	var out, errOut strings.Builder
	if err := run(t.Context(), []string{"audit", "access", "--data", data, "--nip", "199001012015011001"}, func(string) string { return "" }, nil, &out, &errOut); err != nil {
		t.Fatalf("audit access: %v %s", err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[2], `"route":"/api/v1/people/:nip/siasn"`) {
		t.Fatalf("audit access --nip printed %d lines: %s", len(lines), out.String())
	}
	var e lrs.Access
	if err := json.Unmarshal([]byte(lines[0]), &e); err != nil {
		t.Fatal(err)
	}
	if e.Who != "lms" || e.NIP != "199001012015011001" || e.Route != "/api/v1/people/:nip/jp" || e.Status != 403 || e.Seq == 0 {
		t.Fatalf("entry %+v", e)
	}
	out.Reset()
	if err := run(t.Context(), []string{"audit", "access", "--data", data, "--who", "nobody"}, func(string) string { return "" }, nil, &out, &errOut); err != nil || out.Len() != 0 {
		t.Fatalf("audit access --who nobody: %v %q", err, out.String())
	}
	if err := run(t.Context(), []string{"audit", "access", "--data", data, "--nip", "12"}, func(string) string { return "" }, nil, &out, &errOut); err == nil {
		t.Fatal("a malformed --nip was taken")
	}
}
