package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// `jejak serve --demo` fills an empty log with the demo agency of
// demoplan.go, through the node's own API (every validation and policy
// applies), and writes the secrets of its accounts once to
// DATA/demo-akun.txt. A log that holds the demo is left as it is; a log
// with any other data is refused, so demo data never mixes with real data.

const demoAccountsFile = "demo-akun.txt"

// demoEnv is what the demo needs of the serving node.
type demoEnv struct {
	Head     func(context.Context) (uint64, error) // the log's last sequence
	Keyring  *lrs.Keyring                          // the log's credentials, folded
	Events   eventAppender                         // for the first admin credential
	API      http.Handler                          // the node's api.Server
	Data     string
	Place    string // where the log is, for messages
	Addr     string // where the node serves
	HomePage string // the account homePage of ASN agents
	Stdout   io.Writer
	Now      time.Time
}

// startDemo makes the demo on an empty log, does nothing on a log that
// holds a complete demo, and refuses any other log. The demo is complete
// when demo-auditor, the credential made last, is on the log.
func startDemo(ctx context.Context, e demoEnv) error {
	head, err := e.Head(ctx)
	if err != nil {
		return fmt.Errorf("--demo: read the head of %s: %w", e.Place, err)
	}
	_, hasDemo := e.Keyring.Lookup(demoKeyAdmin)
	_, complete := e.Keyring.Lookup(demoKeyAuditor)
	accounts := filepath.Join(e.Data, demoAccountsFile)
	switch {
	case head == 0:
		return makeDemo(ctx, e)
	case hasDemo && complete:
		fmt.Fprintf(e.Stdout, "jejak: data demo sudah ada, tidak ada yang ditambah / the demo is here already, nothing added\n")
		if _, err := os.Stat(accounts); err != nil {
			fmt.Fprintf(e.Stdout, "  berkas akun demo %s tidak ada / the demo accounts file %s is missing: on the stopped node add an admin (jejak credentials add KEY --roles admin --data %s) and rotate the demo accounts with it\n", accounts, accounts, e.Data)
			return nil
		}
		fmt.Fprintf(e.Stdout, "  akun demo / demo accounts: %s\n", accounts)
		return nil
	case hasDemo:
		return fmt.Errorf("--demo: the demo on %s is incomplete: an earlier start was stopped while making it (the %s credential, made last, is not there); remove the data directory %s and start again with --demo", e.Place, demoKeyAuditor, e.Data)
	default:
		return usageError{fmt.Sprintf("--demo makes a demo agency only on an empty log, and %s is not empty (its last event is number %d) and holds no demo (no %s credential): demo data is never mixed with other data; start without --demo to serve it, or give --demo an empty data directory (--data ./data-demo)", e.Place, head, demoKeyAdmin)}
	}
}

// makeDemo writes the demo: its admin credential on the log, then
// everything else through the API as that admin or as the demo's other
// credentials, then the accounts file.
func makeDemo(ctx context.Context, e demoEnv) error {
	began := time.Now()
	fmt.Fprintf(e.Stdout, "jejak: membuat data demo %s / making the demo agency…\n", demoInstansi)
	plan := newDemoPlan(e.Now)
	secret := rand.Text()
	admin, err := lrs.NewCredential(demoKeyAdmin, secret, []string{lrs.RoleAdmin})
	if err != nil {
		return err
	}
	admin.Name, admin.Scopes = "Administrator demo "+demoInstansi, []string{lrs.ScopeAll}
	if _, err := appendCredential(ctx, e.Events, e.Keyring, lrs.CredentialChange{Op: lrs.CredentialPut, By: "demo", Credential: &admin}, lrs.DefaultStore); err != nil {
		return fmt.Errorf("--demo: put the %s credential on the log: %w", demoKeyAdmin, err)
	}
	w := &demoWriter{api: e.API, plan: plan, homePage: e.HomePage, secrets: map[string]string{demoKeyAdmin: secret},
		accounts: []demoAccount{{Key: demoKeyAdmin, Role: "admin", SignIn: true}}}
	for _, step := range []func(context.Context) error{w.registry, w.credentials, w.learning, w.decisions, w.assessments, w.problems, w.lastCredentials} {
		if err := step(ctx); err != nil {
			return fmt.Errorf("--demo: %w", err)
		}
	}
	path := filepath.Join(e.Data, demoAccountsFile)
	if err := writeFileAtomic(path, w.accountsFile(e.Addr), 0o600); err != nil {
		return fmt.Errorf("--demo: %w", err)
	}
	fmt.Fprintf(e.Stdout, "jejak: data demo dibuat / demo made in %.1f s: %d unit, %d pegawai / people, %d pernyataan / statements\n",
		time.Since(began).Seconds(), len(demoUnits)+1, len(plan.people), w.statements)
	fmt.Fprintf(e.Stdout, "Akun demo / demo accounts (masuk di / sign in at http://%s/ dengan key dan secret / with key and secret):\n", e.Addr)
	w.printAccounts(e.Stdout, true)
	fmt.Fprintf(e.Stdout, "Rahasia ini hanya disimpan di / these secrets are kept only in %s (mode 0600), with the demo's other credentials\n", path)
	return nil
}

// demoWriter sends the plan to the node's API.
type demoWriter struct {
	api        http.Handler
	plan       *demoPlan
	homePage   string
	secrets    map[string]string // key → secret, of the credentials made
	accounts   []demoAccount     // in the order made
	statements int               // statements written
}

// demoAccount is one credential of the demo and what it is for.
type demoAccount struct {
	Key, Name, Role string
	Roles           []string
	Person          bangkom.NIP
	Units           []string
	SignIn          bool // one of the accounts printed at start
}

// call sends one request as the credential key and checks its status.
func (w *demoWriter) call(ctx context.Context, key, method, path string, body any, want int) ([]byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, path, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(key, w.secrets[key])
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	rec := httptest.NewRecorder()
	w.api.ServeHTTP(rec, req)
	if rec.Code != want {
		return nil, fmt.Errorf("%s %s as %s: %d %s", method, path, key, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	return rec.Body.Bytes(), nil
}

// registry records the position standards, the catalogue and the people.
func (w *demoWriter) registry(ctx context.Context) error {
	var positions []api.Position
	for _, p := range demoPositions {
		std := map[string]int{}
		for _, l := range p.standards() {
			std[l.Code] = l.Level
		}
		positions = append(positions, api.Position{Position: p.Name, Standards: std})
	}
	if _, err := w.call(ctx, demoKeyAdmin, http.MethodPost, "/api/v1/positions", positions, http.StatusOK); err != nil {
		return err
	}
	var catalogue []bangkom.CatalogueEntry
	for _, a := range w.plan.catalogue {
		e := bangkom.CatalogueEntry{Activity: a.IRI, Form: a.Form.Form, Competencies: []string{a.Topic.Code},
			Name: map[string]string{"id-ID": a.NameID, "en": a.NameEN}}
		if a.Form.JP > 0 {
			e.JP = &a.Form.JP
		}
		catalogue = append(catalogue, e)
	}
	if _, err := w.call(ctx, demoKeyAdmin, http.MethodPost, "/api/v1/catalogue", catalogue, http.StatusOK); err != nil {
		return err
	}
	_, err := w.call(ctx, demoKeyAdmin, http.MethodPost, "/api/v1/people", w.plan.people, http.StatusOK)
	return err
}

// create makes a credential through the API and keeps its secret.
func (w *demoWriter) create(ctx context.Context, a demoAccount) error {
	body := map[string]any{"key": a.Key, "name": a.Name, "roles": a.Roles, "units": a.Units, "person": string(a.Person)}
	b, err := w.call(ctx, demoKeyAdmin, http.MethodPost, "/api/v1/credentials", body, http.StatusCreated)
	if err != nil {
		return err
	}
	var got struct{ Secret string }
	if err := json.Unmarshal(b, &got); err != nil || got.Secret == "" {
		return fmt.Errorf("credential %s: no secret in the answer %s", a.Key, b)
	}
	w.secrets[a.Key] = got.Secret
	w.accounts = append(w.accounts, a)
	return nil
}

// who describes a person for the accounts list.
func (w *demoWriter) who(nip bangkom.NIP) string {
	p := w.plan.byNIP[nip]
	return fmt.Sprintf("%s, NIP %s, %s", p.Name, p.NIP, p.Unit)
}

// credentials makes the credentials that write the demo's learning and
// decisions: the platforms, the assessor, the verifier, and one bound to
// each person who writes as themselves (the demo pegawai and every
// supervisor).
func (w *demoWriter) credentials(ctx context.Context) error {
	pl := w.plan
	accounts := []demoAccount{
		{Key: demoKeyPegawai, Name: pl.pegawai.Name, Person: pl.pegawai.NIP, Role: "pegawai / staff: " + w.who(pl.pegawai.NIP), SignIn: true},
		{Key: demoKeyAtasan, Name: pl.heads[0].Name, Person: pl.heads[0].NIP, Role: "atasan / supervisor: " + w.who(pl.heads[0].NIP), SignIn: true},
		{Key: demoKeyVerifier, Name: "Bagian Kepegawaian " + demoInstansi, Roles: []string{lrs.RoleVerifier}, Role: "verifikator / verifier", SignIn: true},
		{Key: demoKeyPimpinan, Name: pl.top.Name, Person: pl.top.NIP, Role: "pimpinan / top official: " + w.who(pl.top.NIP)},
	}
	for i, h := range pl.heads[1:] {
		accounts = append(accounts, demoAccount{Key: demoKeyAtasan + "-" + demoUnits[i+1].Slug, Name: h.Name, Person: h.NIP, Role: "atasan / supervisor: " + w.who(h.NIP)})
	}
	accounts = append(accounts,
		demoAccount{Key: demoKeyProvider, Name: "Pusat Pengembangan Kompetensi " + demoInstansi, Roles: []string{lrs.RoleProvider}, Role: "penyelenggara pelatihan / training provider (platform)"},
		demoAccount{Key: demoKeyLMS, Name: "LMS " + demoInstansi, Role: "LMS e-learning (platform)"},
		demoAccount{Key: demoKeySelfEntry, Name: "Aplikasi Catat Pembelajaran " + demoInstansi, Role: "aplikasi catat pembelajaran / learning diary app (platform)"},
		demoAccount{Key: demoKeyAsesor, Name: "Tim Penilai Kompetensi " + demoInstansi, Roles: []string{lrs.RoleAssessor}, Role: "asesor / assessor"},
	)
	for _, a := range accounts {
		if err := w.create(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// lastCredentials makes the accounts that write nothing: the analyst and
// the auditor. The auditor's is made last: its presence says the demo is
// complete.
func (w *demoWriter) lastCredentials(ctx context.Context) error {
	if err := w.create(ctx, demoAccount{Key: demoKeyAnalis, Name: "Analis " + demoInstansi, Roles: []string{lrs.RoleAnalyst}, Units: []string{demoInstansi},
		Role: "analis / analyst: " + demoInstansi, SignIn: true}); err != nil {
		return err
	}
	return w.create(ctx, demoAccount{Key: demoKeyAuditor, Name: "Inspektorat " + demoInstansi, Roles: []string{lrs.RoleAuditor}, Role: "auditor", SignIn: true})
}

// post writes statements as key, in batches.
func (w *demoWriter) post(ctx context.Context, key string, stmts []map[string]any) error {
	for len(stmts) > 0 {
		n := min(len(stmts), 500)
		if _, err := w.call(ctx, key, http.MethodPost, "/xapi/statements", stmts[:n], http.StatusOK); err != nil {
			return err
		}
		w.statements += n
		stmts = stmts[n:]
	}
	return nil
}

// postGrouped writes each credential's statements, in the order the keys
// first appear.
func (w *demoWriter) postGrouped(ctx context.Context, keys []string, stmts []map[string]any) error {
	var order []string
	byKey := map[string][]map[string]any{}
	for i, k := range keys {
		if _, seen := byKey[k]; !seen {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], stmts[i])
	}
	for _, k := range order {
		if err := w.post(ctx, k, byKey[k]); err != nil {
			return err
		}
	}
	return nil
}

func (w *demoWriter) agent(nip bangkom.NIP) map[string]any {
	return map[string]any{"objectType": "Agent", "name": w.plan.byNIP[nip].Name,
		"account": map[string]any{"homePage": w.homePage, "name": string(nip)}}
}

func demoVerb(id, idID, en string) map[string]any {
	return map[string]any{"id": id, "display": map[string]string{"id-ID": idID, "en-US": en}}
}

// claimStatement is the xAPI statement of a learning claim, as the
// Bangkom profile's templates have it.
func (w *demoWriter) claimStatement(c demoClaim) map[string]any {
	a := c.Activity
	ext := map[string]any{bangkom.ExtForm: a.Form.Form}
	result := map[string]any{"completion": true}
	switch a.Form.Form {
	case "KLS-TEKNIS":
		ext[bangkom.ExtDays], ext[bangkom.ExtJP] = c.Days, 8*c.Days
	case "KLS-WORKSHOP":
		ext[bangkom.ExtDays] = c.Days
	case "NK-ELEARN":
		ext[bangkom.ExtJP] = a.Form.JP
	}
	if c.Minutes > 0 {
		result["duration"] = fmt.Sprintf("PT%dM", c.Minutes)
	}
	if c.Response != "" {
		result["response"] = c.Response
	}
	return map[string]any{
		"id":    c.ID,
		"actor": w.agent(c.NIP),
		"verb":  demoVerb("http://adlnet.gov/expapi/verbs/completed", "menyelesaikan", "completed"),
		"object": map[string]any{"objectType": "Activity", "id": a.IRI, "definition": map[string]any{
			"name": map[string]string{"id-ID": a.NameID, "en-US": a.NameEN}, "type": a.Form.ActivityType}},
		"result":    result,
		"context":   map[string]any{"extensions": ext, "language": "id-ID"},
		"timestamp": c.At.Format(time.RFC3339),
	}
}

// learning writes every claim, each with the credential that sends it.
func (w *demoWriter) learning(ctx context.Context) error {
	var keys []string
	var stmts []map[string]any
	for _, c := range w.plan.claims {
		keys, stmts = append(keys, c.Poster), append(stmts, w.claimStatement(c))
	}
	return w.postGrouped(ctx, keys, stmts)
}

// decisions writes the approvals and rejections, each as its decider: a
// supervisor as themselves, or the verifier.
func (w *demoWriter) decisions(ctx context.Context) error {
	var keys []string
	var stmts []map[string]any
	for _, c := range w.plan.claims {
		if c.Decision == "" {
			continue
		}
		actor := map[string]any{"objectType": "Agent", "name": "Bagian Kepegawaian " + demoInstansi, "mbox": "mailto:kepegawaian@kementerian-contoh.go.id"}
		if c.Actor != "" {
			actor = w.agent(c.Actor)
		}
		verb := demoVerb(bangkom.VerbApproved, "menyetujui", "approved")
		if c.Decision == bangkom.Rejected {
			verb = demoVerb(bangkom.VerbRejected, "menolak", "rejected")
		}
		st := map[string]any{
			"id": c.DecisionID, "actor": actor, "verb": verb,
			"object":    map[string]any{"objectType": "StatementRef", "id": c.ID},
			"timestamp": c.Decided.Format(time.RFC3339),
		}
		if c.Reason != "" {
			st["result"] = map[string]any{"response": c.Reason}
		}
		keys, stmts = append(keys, c.Decider), append(stmts, st)
	}
	return w.postGrouped(ctx, keys, stmts)
}

// assessments writes the assessor's statements.
func (w *demoWriter) assessments(ctx context.Context) error {
	var stmts []map[string]any
	for _, a := range w.plan.assessments {
		stmts = append(stmts, map[string]any{
			"id": a.ID, "actor": w.agent(a.NIP),
			"verb": demoVerb(bangkom.VerbAssessed, "menilai", "assessed"),
			"object": map[string]any{"objectType": "Activity", "id": bangkom.CompetencyPrefix + a.Code,
				"definition": map[string]any{"type": demoTypes + "competency"}},
			"result":    map[string]any{"score": map[string]any{"raw": a.Level, "min": 1, "max": 5}},
			"timestamp": a.At.Format(time.RFC3339),
		})
	}
	return w.post(ctx, demoKeyAsesor, stmts)
}

// problems writes three claims from the LMS that do not count, so the
// claim problems list has something to show: a form code in the wrong
// case, a NIP not in the registry, and a homePage with a trailing slash.
func (w *demoWriter) problems(ctx context.Context) error {
	pl := w.plan
	lowercase := w.claimStatement(pl.problemClaims[0])
	lowercase["context"].(map[string]any)["extensions"].(map[string]any)[bangkom.ExtForm] = "nk-elearn"
	unregistered := w.claimStatement(pl.problemClaims[1])
	unregistered["actor"] = map[string]any{"objectType": "Agent", "account": map[string]any{"homePage": w.homePage, "name": string(pl.unregistered)}}
	slash := w.claimStatement(pl.problemClaims[2])
	slash["actor"].(map[string]any)["account"].(map[string]any)["homePage"] = strings.TrimSuffix(w.homePage, "/") + "/"
	return w.post(ctx, demoKeyLMS, []map[string]any{lowercase, unregistered, slash})
}

// printAccounts writes the accounts as `key  secret  peran`: only those to
// sign in with when signIn, else every one.
func (w *demoWriter) printAccounts(out io.Writer, signIn bool) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  key\tsecret\tperan / role")
	for _, a := range w.accounts {
		if a.SignIn || !signIn {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", a.Key, w.secrets[a.Key], a.Role)
		}
	}
	tw.Flush()
}

// accountsFile is the text of DATA/demo-akun.txt.
func (w *demoWriter) accountsFile(addr string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Akun demo Jejak / Jejak demo accounts: %s\n", demoInstansi)
	fmt.Fprintf(&b, "# Dibuat / made %s. Rahasia hanya ada di berkas ini / the secrets are only in this file.\n", w.plan.now.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "# Masuk di web dengan key dan secret / sign in to the web with key and secret: http://%s/\n", addr)
	fmt.Fprintf(&b, "# API: curl -u KEY:SECRET http://%s/api/v1/forms\n", addr)
	w.printAccounts(&b, false)
	return b.Bytes()
}
