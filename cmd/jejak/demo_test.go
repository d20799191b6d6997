package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/lrs/natslog"
)

// readDemoAccounts reads DATA/demo-akun.txt: key → secret, and the NIP
// each person-bound account names.
func readDemoAccounts(t *testing.T, data string) (secrets, nips map[string]string) {
	t.Helper()
	path := filepath.Join(data, demoAccountsFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	f, _ := os.Open(path)
	defer f.Close()
	secrets, nips = map[string]string{}, map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || strings.HasPrefix(fields[0], "#") || fields[0] == "key" {
			continue
		}
		secrets[fields[0]] = fields[1]
		if i := slices.Index(fields, "NIP"); i > 0 && i+1 < len(fields) {
			nips[fields[0]] = strings.TrimSuffix(fields[i+1], ",")
		}
	}
	return secrets, nips
}

// demoGet reads an /api/v1 path as a demo account and decodes its JSON.
func demoGet(t *testing.T, api string, secrets map[string]string, key, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(send(t, "GET", api+path, key, secrets[key], "", 200), v); err != nil {
		t.Fatalf("GET %s as %s: %v", path, key, err)
	}
}

// demoState is what a demo restart must leave alone: the log's head, the
// people and the credentials.
func demoState(t *testing.T, api string, secrets map[string]string) (head uint64, people, creds int) {
	t.Helper()
	var status struct{ Log struct{ Head uint64 } }
	demoGet(t, api, secrets, demoKeyAuditor, "/status", &status)
	var list struct{ People []json.RawMessage }
	demoGet(t, api, secrets, demoKeyAdmin, "/people?limit=1000", &list)
	var credentials []json.RawMessage
	demoGet(t, api, secrets, demoKeyAdmin, "/credentials", &credentials)
	return status.Log.Head, len(list.People), len(credentials)
}

// serve --demo fills an empty data directory with the demo agency and its
// accounts: the analyst sees a unit with people who met the 20 JP and
// people below it, the supervisor a queue of pending claims of different
// dates, the pegawai recognised, pending and rejected learning and
// competencies in several states. A restart with --demo adds nothing.
func TestServe_DemoFillsAnEmptyDataDirectoryOnce(t *testing.T) {
	data := t.TempDir()
	s, printed, _ := startServeOutput(t, data, "--demo")
	api := strings.TrimSuffix(s.base, "/xapi") + "/api/v1"
	secrets, nips := readDemoAccounts(t, data)
	for _, key := range []string{demoKeyAdmin, demoKeyPegawai, demoKeyAtasan, demoKeyAnalis, demoKeyAuditor, demoKeyVerifier} {
		if secrets[key] == "" || !strings.Contains(printed, key) || !strings.Contains(printed, secrets[key]) {
			t.Fatalf("account %s: not in %s or not printed at start:\n%s", key, demoAccountsFile, printed)
		}
	}
	if !strings.Contains(printed, "Akun demo / demo accounts") || !strings.Contains(printed, filepath.Join(data, demoAccountsFile)) {
		t.Fatalf("the start did not name the demo accounts and their file:\n%s", printed)
	}
	pegawai, atasan := nips[demoKeyPegawai], nips[demoKeyAtasan]

	// the analyst: a unit report with people who met the target and people below it
	var unit struct {
		People, Met int
		Below       []struct{ NIP string } `json:"people_below_target"`
	}
	demoGet(t, api, secrets, demoKeyAnalis, "/units/"+url.PathEscape(demoUnits[0].Name)+"/jp", &unit)
	if unit.People != demoUnits[0].Staff+1 || unit.Met == 0 || len(unit.Below) == 0 {
		t.Fatalf("the unit report of %s has %d people, %d met and %d below: want its %d people, some met and some below",
			demoUnits[0].Name, unit.People, unit.Met, len(unit.Below), demoUnits[0].Staff+1)
	}

	// the supervisor: several pending claims of their staff, of different dates
	var queue struct {
		Pending []struct{ NIP, Date string }
	}
	demoGet(t, api, secrets, demoKeyAtasan, "/approvals", &queue)
	dates := map[string]bool{}
	for _, p := range queue.Pending {
		dates[p.Date] = true
	}
	if len(queue.Pending) < 5 || len(dates) < 3 || !slices.ContainsFunc(queue.Pending, func(p struct{ NIP, Date string }) bool { return p.NIP == pegawai }) {
		t.Fatalf("demo-atasan's queue holds %d claims on %d dates: want several of different dates, the demo pegawai's among them", len(queue.Pending), len(dates))
	}

	// the pegawai: recognised, pending and rejected learning, competencies in several states
	var jp struct {
		Recognized float64
		Items      []struct {
			State, Reason string
			RejectedBy    string `json:"rejected_by"`
		}
	}
	demoGet(t, api, secrets, demoKeyPegawai, "/people/"+pegawai+"/jp", &jp)
	states := map[string]int{}
	for _, it := range jp.Items {
		states[it.State]++
		if it.State == "rejected" && (it.Reason == "" || it.RejectedBy != atasan) {
			t.Errorf("a rejected item of the demo pegawai has reason %q, rejected by %q: want a reason, by demo-atasan (%s)", it.Reason, it.RejectedBy, atasan)
		}
	}
	if states["approved"] == 0 || states["pending"] == 0 || states["rejected"] == 0 || jp.Recognized <= 0 || jp.Recognized >= 20 {
		t.Fatalf("the demo pegawai's JP report has %v and %v JP recognised: want approved, pending and rejected items, below 20 JP", states, jp.Recognized)
	}
	var comp struct{ Competencies []struct{ State string } }
	demoGet(t, api, secrets, demoKeyPegawai, "/people/"+pegawai+"/competencies", &comp)
	compStates := map[string]bool{}
	for _, c := range comp.Competencies {
		compStates[c.State] = true
	}
	for _, want := range []string{"meets_standard", "below_standard", "stale", "not_assessed"} {
		if !compStates[want] {
			t.Fatalf("the demo pegawai's competencies have states %v, want %s among them", compStates, want)
		}
	}

	head, people, creds := demoState(t, api, secrets)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	s, printed, _ = startServeOutput(t, data, "--demo")
	api = strings.TrimSuffix(s.base, "/xapi") + "/api/v1"
	if !strings.Contains(printed, filepath.Join(data, demoAccountsFile)) || strings.Contains(printed, secrets[demoKeyAdmin]) {
		t.Fatalf("a restart with --demo must name the accounts file and print no secret:\n%s", printed)
	}
	if h, p, c := demoState(t, api, secrets); h != head || p != people || c != creds {
		t.Fatalf("after a restart with --demo: log head %d, %d people, %d credentials; before: %d, %d, %d", h, p, c, head, people, creds)
	}
}

// serve --demo on a data directory that holds other data is refused with
// an error that says why, and appends nothing.
func TestServe_DemoRefusesADataDirectoryWithOtherData(t *testing.T) {
	data := t.TempDir()
	s := startServe(t, data)
	if status, body, _ := call(t, "POST", s.base+"/statements", statement("", completedVerb, "http://example.com/real")); status != 200 {
		t.Fatalf("POST = %d %s", status, body)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := run(ctx, []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "warn"}, func(string) string { return "" }, nil, io.Discard, io.Discard)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--demo makes a demo agency only on an empty log") || !strings.Contains(err.Error(), "is not empty (its last event is number 1) and holds no demo") {
		t.Fatalf("serve --demo on a directory with other data: %v, want a refusal that says why", err)
	}
	if _, err := os.Stat(filepath.Join(data, demoAccountsFile)); err == nil {
		t.Fatal("a refused --demo wrote the accounts file")
	}
	withStoppedLog(t, data, func(log *natslog.Log) {
		if head, err := log.LastSeq(context.Background()); err != nil || head != 1 {
			t.Fatalf("the log's head is %d (%v) after a refused --demo, want 1", head, err)
		}
	})

	err = run(ctx, []string{"serve", "--demo", "--read-only", "--views", data}, func(string) string { return "" }, nil, io.Discard, io.Discard)
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--demo") {
		t.Fatalf("serve --demo --read-only: %v, want a usage error", err)
	}
}

// The demo's plan is the same for one moment, and fits the registry's and
// the log's rules: valid NIPs of the person's type, every head under the
// top official and every staff member under their unit's head, nothing
// dated after now, even on the first hour of a year.
func TestDemoPlan_SameForOneMomentAndNeverInTheFuture(t *testing.T) {
	wib, _ := bangkom.Zone("WIB")
	for _, now := range []time.Time{time.Date(2026, 12, 4, 9, 0, 0, 0, wib), time.Date(2027, 1, 1, 0, 30, 0, 0, wib)} {
		a, b := newDemoPlan(now), newDemoPlan(now)
		if !reflect.DeepEqual(a.people, b.people) || !reflect.DeepEqual(a.claims, b.claims) || !reflect.DeepEqual(a.assessments, b.assessments) {
			t.Fatalf("two plans made at %v differ", now)
		}
		for _, p := range a.people {
			if _, err := bangkom.ParseNIPFor(string(p.NIP), p.Type); err != nil {
				t.Fatal(err)
			}
			want := a.top.NIP
			switch {
			case p.NIP == a.top.NIP:
				want = ""
			case !slices.ContainsFunc(a.heads, func(h bangkom.Person) bool { return h.NIP == p.NIP }):
				want = a.heads[slices.IndexFunc(demoUnits, func(u demoUnit) bool { return u.Name == p.Unit })].NIP
			}
			if p.SupervisorNIP != want {
				t.Fatalf("%s (%s, %s) is supervised by %q, want %q", p.Name, p.Position, p.Unit, p.SupervisorNIP, want)
			}
		}
		for _, c := range a.claims {
			if c.At.After(now) || c.Decided.After(now) || c.Activity.IRI == "" {
				t.Fatalf("a claim made at %v is dated %v, decided %v, of activity %q", now, c.At, c.Decided, c.Activity.IRI)
			}
		}
		for _, as := range a.assessments {
			if as.At.After(now) {
				t.Fatalf("an assessment made at %v is dated %v", now, as.At)
			}
		}
	}
}
