package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/lrs/natslog"
)

// credNode is one node serving the API with its credentials folded from
// the log, as serve runs it.
type credNode struct {
	url     string
	keyring *lrs.Keyring
	log     *natslog.Log
}

func startCredNode(t *testing.T, log *natslog.Log, fixed ...lrs.Credential) *credNode {
	t.Helper()
	node := lrstest.StartNode(t, log)
	k := lrs.NewKeyring(fixed)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- lrs.FollowCredentials(ctx, log, k, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("credentials: %v", err)
		}
	})
	if err := k.WaitApplied(ctx, 0); err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Config{Auth: k, Credentials: k, Statements: node.View, Documents: node.Views.Documents,
		JP: node.Views.JP, Writer: node.Appender})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &credNode{url: ts.URL, keyring: k, log: log}
}

// call makes a request with HTTP Basic key:secret and returns its status
// and body.
func (n *credNode) call(t *testing.T, method, path, key, secret, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, n.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(key, secret)
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// authenticated reports whether key:secret passes authentication on n (a
// request that needs no role: anything but 401).
func (n *credNode) authenticated(t *testing.T, key, secret string) bool {
	t.Helper()
	status, body := n.call(t, http.MethodGet, "/xapi/statements", key, secret, "")
	if status == http.StatusTooManyRequests {
		t.Fatalf("rate limited: %s", body)
	}
	return status != http.StatusUnauthorized
}

func (n *credNode) waitFor(t *testing.T, seq uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.keyring.WaitApplied(ctx, seq); err != nil {
		t.Fatalf("the credentials fold did not reach %d: %v", seq, err)
	}
}

// Credentials are events: one added on node A works at once there and on
// node B as soon as B's fold has read the event; a rotation refuses the old
// secret and a revocation refuses the key, at once on A (even a secret A
// had remembered) and on B once it has read them. The secret is in the
// create answer only: not in the list, not on the log.
func TestCredentials_AddRotateRevokeAcrossNodes(t *testing.T) {
	nats := lrstest.NATS(t)
	root, rootSecret := lrstest.Credential(t, "root", lrs.RoleAdmin)
	a := startCredNode(t, lrstest.Log(t, nats), root)
	b := startCredNode(t, lrstest.Log(t, nats))

	status, body := a.call(t, http.MethodPost, "/api/v1/credentials", "root", rootSecret,
		`{"key":"lms","name":"BPSDM Provinsi Jawa Barat","roles":["provider"],"store":"jabar","person":"199001012015011001"}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	var created api.CredentialCreated
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatal(err)
	}
	s1 := created.Secret
	if len(s1) < 20 || created.Credential.Name != "BPSDM Provinsi Jawa Barat" || created.Credential.Store != "jabar" ||
		created.Credential.CreatedBy != "root" || strings.Contains(body, "$2a$") {
		t.Fatalf("create answer: %s", body)
	}
	if !a.authenticated(t, "lms", s1) {
		t.Fatal("a new credential is refused on the node that added it")
	}
	b.waitFor(t, created.Seq)
	if !b.authenticated(t, "lms", s1) {
		t.Fatal("a new credential is refused on another node after its fold read it")
	}

	// the secret only in the create answer: not listed, not on the log
	status, list := a.call(t, http.MethodGet, "/api/v1/credentials", "root", rootSecret, "")
	if status != http.StatusOK || strings.Contains(list, s1) || strings.Contains(list, "$2a$") || !strings.Contains(list, `"key":"lms"`) || !strings.Contains(list, `"source":"flag"`) {
		t.Fatalf("list: %d %s", status, list)
	}
	ev, err := a.log.Get(context.Background(), created.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(ev.Data), s1) || !strings.Contains(string(ev.Data), `"secret_hash":"$2a$`) || ev.Subject != "jejak.jabar.credentials" {
		t.Fatalf("the log event must carry the hash, never the secret: %s %s", ev.Subject, ev.Data)
	}

	// only admins manage credentials; a key in use is not added twice
	if status, body := a.call(t, http.MethodGet, "/api/v1/credentials", "lms", s1, ""); status != http.StatusForbidden {
		t.Fatalf("list as a provider: %d %s", status, body)
	}
	if status, body := a.call(t, http.MethodPost, "/api/v1/credentials", "lms", s1, `{"key":"mine","roles":["admin"]}`); status != http.StatusForbidden {
		t.Fatalf("create as a provider: %d %s", status, body)
	}
	if status, body := a.call(t, http.MethodPost, "/api/v1/credentials", "root", rootSecret, `{"key":"lms"}`); status != http.StatusConflict || !strings.Contains(body, "rotate") {
		t.Fatalf("create of a key in use: %d %s", status, body)
	}
	if status, body := a.call(t, http.MethodPost, "/api/v1/credentials", "root", rootSecret, `{"key":"root","rotate":true}`); status != http.StatusConflict || !strings.Contains(body, "--credentials") {
		t.Fatalf("rotate of a --credentials key: %d %s", status, body)
	}
	for _, bad := range []string{`{"key":"a:b"}`, `{"key":"x","roles":["king"]}`, `{"key":"x","scopes":["everything"]}`, `{"key":"x","store":"A.B"}`, `{"key":"x","person":"123"}`, `{"key":"x","secret_hash":"$2a$10$x"}`} {
		if status, body := a.call(t, http.MethodPost, "/api/v1/credentials", "root", rootSecret, bad); status != http.StatusBadRequest {
			t.Fatalf("create %s: %d %s, want 400", bad, status, body)
		}
	}

	// rotate: the old secret (remembered by both nodes) is refused, the new one works
	status, body = a.call(t, http.MethodPost, "/api/v1/credentials", "root", rootSecret, `{"key":"lms","rotate":true}`)
	if status != http.StatusOK {
		t.Fatalf("rotate: %d %s", status, body)
	}
	var rotated api.CredentialCreated
	if err := json.Unmarshal([]byte(body), &rotated); err != nil {
		t.Fatal(err)
	}
	s2 := rotated.Secret
	if s2 == s1 || rotated.Credential.Name != "BPSDM Provinsi Jawa Barat" || rotated.Credential.RotatedBy != "root" {
		t.Fatalf("rotate answer: %s", body)
	}
	if a.authenticated(t, "lms", s1) || !a.authenticated(t, "lms", s2) {
		t.Fatal("after a rotation, node A must refuse the old secret and take the new one")
	}
	b.waitFor(t, rotated.Seq)
	if b.authenticated(t, "lms", s1) || !b.authenticated(t, "lms", s2) {
		t.Fatal("after a rotation, node B must refuse the old secret and take the new one")
	}

	// revoke: refused at once on A, and on B once read
	status, body = a.call(t, http.MethodDelete, "/api/v1/credentials/lms", "root", rootSecret, "")
	if status != http.StatusOK || !strings.Contains(body, `"revoked_by":"root"`) {
		t.Fatalf("revoke: %d %s", status, body)
	}
	var revoked struct{ Seq uint64 }
	_ = json.Unmarshal([]byte(body), &revoked)
	if a.authenticated(t, "lms", s2) {
		t.Fatal("a revoked credential still works on the node that revoked it")
	}
	b.waitFor(t, revoked.Seq)
	if b.authenticated(t, "lms", s2) {
		t.Fatal("a revoked credential still works on another node after its fold read the revocation")
	}
	if status, body := a.call(t, http.MethodDelete, "/api/v1/credentials/lms", "root", rootSecret, ""); status != http.StatusNotFound {
		t.Fatalf("revoke twice: %d %s", status, body)
	}
	if b.authenticated(t, "root", rootSecret) {
		t.Fatal("node B took node A's --credentials: they are per node, never on the log")
	}
}

// The last admin in use cannot be revoked: nobody could manage
// credentials afterwards.
func TestCredentials_LastAdminStays(t *testing.T) {
	nats := lrstest.NATS(t)
	a := startCredNode(t, lrstest.Log(t, nats))
	adm, secret := lrstest.Credential(t, "adm", lrs.RoleAdmin)
	payload, err := lrs.EncodeCredentialChange(lrs.CredentialChange{Op: lrs.CredentialPut, By: "test", Credential: &adm})
	if err != nil {
		t.Fatal(err)
	}
	node := lrstest.StartNode(t, a.log)
	seq, err := node.Appender.AppendEvent(context.Background(), lrs.EventCredentials, lrs.EventCredentialsV1, lrs.CredentialsKind, payload, lrs.Authority{Store: lrs.DefaultStore})
	if err != nil {
		t.Fatal(err)
	}
	a.waitFor(t, seq)
	if status, body := a.call(t, http.MethodDelete, "/api/v1/credentials/adm", "adm", secret, ""); status != http.StatusConflict || !strings.Contains(body, "last admin") {
		t.Fatalf("revoke of the last admin: %d %s", status, body)
	}
	if !a.authenticated(t, "adm", secret) {
		t.Fatal("the last admin was revoked")
	}
}

// SIASN's institusiPenyelenggara is the display name of the credential
// that wrote the claim, when it has one (over the platform); else the
// claim's platform; else empty, never the credential's key.
func TestCredentials_NameIsTheSIASNInstitution(t *testing.T) {
	nats := lrstest.NATS(t)
	root, rootSecret := lrstest.Credential(t, "root", lrs.RoleAdmin)
	n := startCredNode(t, lrstest.Log(t, nats), root)
	people := `[{"nip":"` + sitiNIP + `","name":"Siti","unit":"U1","position":"Analis","type":"PNS","timezone":"WIB"}]`
	if status, body := n.call(t, http.MethodPost, "/api/v1/people", "root", rootSecret, people); status != http.StatusOK {
		t.Fatalf("people: %d %s", status, body)
	}
	add := func(key, name string) string {
		t.Helper()
		status, body := n.call(t, http.MethodPost, "/api/v1/credentials", "root", rootSecret, `{"key":"`+key+`","name":"`+name+`","roles":["provider"]}`)
		if status != http.StatusCreated {
			t.Fatalf("create %s: %d %s", key, status, body)
		}
		var created api.CredentialCreated
		_ = json.Unmarshal([]byte(body), &created)
		return created.Secret
	}
	named, unnamed, bare := add("bpsdm", "BPSDM Provinsi Jawa Barat"), add("lms2", ""), add("lms3", "")
	for key, secret := range map[string]string{"bpsdm": named, "lms2": unnamed, "lms3": bare} {
		st := claim("KLS-KURSUS", `,"`+bangkom.ExtJP+`":10`, "Kursus "+key, "2026-03-02T09:00:00+07:00")
		if key == "lms3" {
			st = strings.Replace(st, `"platform":"Pusdiklat",`, ``, 1)
		}
		if status, body := n.call(t, http.MethodPost, "/xapi/statements", key, secret, st); status != http.StatusOK {
			t.Fatalf("statement by %s: %d %s", key, status, body)
		}
	}
	status, body := n.call(t, http.MethodGet, "/api/v1/people/"+sitiNIP+"/siasn?year=2026", "root", rootSecret, "")
	if status != http.StatusOK {
		t.Fatalf("siasn: %d %s", status, body)
	}
	var rows []api.SIASNRow
	if err := json.Unmarshal([]byte(body), &rows); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r.NamaKursus] = r.InstitusiPenyelenggara
	}
	if got["Kursus bpsdm"] != "BPSDM Provinsi Jawa Barat" || got["Kursus lms2"] != "Pusdiklat" || got["Kursus lms3"] != "" || len(got) != 3 {
		t.Fatalf("institusiPenyelenggara by course: %v\n%s", got, body)
	}
}
