package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/api/oidctest"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/projections"
	"github.com/jejak-id/jejak/schemas"
	"github.com/jejak-id/jejak/web"
)

// The people every web test's site has: a unit head (supervisor) and two
// of their staff in unit "Biro Umum" of instansi "Kementerian Uji".
const (
	nipAtasan  = "197805152003121002"
	nipPegawai = "199001012015011001"
	nipRekan   = "199203032018012003"
	unitUmum   = "Biro Umum"
	instansi   = "Kementerian Uji"
)

// account is a credential of the test site with its secret.
type account struct{ key, secret string }

// site is Jejak's API and web over a real log and views, with an OpenID
// Connect provider for people and one credential per role (and
// "analyst-keu", an analyst of another unit).
type site struct {
	url      string
	idp      *oidctest.Provider
	api      *api.Server
	accounts map[string]account // by role, and "pegawai", "atasan" (person-bound)
}

func newSite(t testing.TB) *site {
	t.Helper()
	nats := lrstest.NATS(t)
	node := lrstest.StartNode(t, lrstest.Log(t, nats))
	s := &site{accounts: map[string]account{}}
	var creds []lrs.Credential
	add := func(name, key string, edit func(*lrs.Credential), roles ...string) {
		c, secret := lrstest.Credential(t, key, roles...)
		if edit != nil {
			edit(&c)
		}
		creds = append(creds, c)
		s.accounts[name] = account{key, secret}
	}
	add("admin", "admin-uji", nil, lrs.RoleAdmin)
	add("analyst", "analis-uji", func(c *lrs.Credential) { c.Units = []string{instansi} }, lrs.RoleAnalyst)
	add("analyst-keu", "analis-keu", func(c *lrs.Credential) { c.Units = []string{"Biro Keuangan"} }, lrs.RoleAnalyst)
	add("auditor", "auditor-uji", nil, lrs.RoleAuditor)
	add("verifier", "verifikator-uji", nil, lrs.RoleVerifier)
	add("assessor", "asesor-uji", nil, lrs.RoleAssessor)
	add("provider", "lms-uji", func(c *lrs.Credential) { c.Name = "LMS Uji" }, lrs.RoleProvider)
	add("pegawai", "pegawai-uji", func(c *lrs.Credential) {
		c.Person, c.Scopes = nipPegawai, api.PersonScopes
	})
	add("atasan", "atasan-uji", func(c *lrs.Credential) {
		c.Person, c.Scopes = nipAtasan, api.PersonScopes
	})

	s.idp = oidctest.New(t, "jejak-web", "web-secret")
	ts := httptest.NewUnstartedServer(nil)
	root := "http://" + ts.Listener.Addr().String()
	o, err := api.NewOIDC(api.OIDCConfig{
		Issuer: s.idp.Issuer, ClientID: "jejak-web", ClientSecret: "web-secret",
		RedirectURL: root + "/auth/callback", RolesClaim: "roles",
		SessionKey: []byte(rand.Text() + rand.Text())[:32],
	})
	if err != nil {
		t.Fatal(err)
	}
	fw, err := bangkom.LoadFrameworks(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	keyring := lrs.NewKeyring(creds)
	s.api = api.New(api.Config{
		Frameworks:   fw,
		Auth:         keyring,
		Credentials:  keyring,
		Statements:   node.View,
		Documents:    node.Views.Documents,
		JP:           node.Views.JP,
		Writer:       node.Appender,
		MaxBodyBytes: 8 << 20,
		Attachments:  lrstest.Objects(t, nats),
		OIDC:         o,
		AuthFailures: 1000,
		Access:       siteAccessLog(t, nats),
		Node:         func() api.NodeStatus { return api.NodeStatus{Node: "node-uji", Decider: "node-uji", Deciding: true} },
		LogHead: func(ctx context.Context) (string, uint64, error) {
			head, err := node.Log.LastSeq(ctx)
			return node.Log.Name(), head, err
		},
		Views:     siteViews(node),
		Integrity: new(projections.Integrity),
	})
	h, err := web.New(web.Config{API: s.api})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	s.url = root
	s.register(t)
	return s
}

// register imports the site's people as the admin.
func (s *site) register(t testing.TB) {
	t.Helper()
	people := `[{"nip":"` + nipAtasan + `","name":"Budi Santoso","unit":"` + unitUmum + `","instansi":"` + instansi + `","position":"Kepala Biro","type":"PNS","timezone":"WIB"},
	{"nip":"` + nipPegawai + `","name":"Siti Rahayu","unit":"` + unitUmum + `","instansi":"` + instansi + `","position":"Analis Kebijakan Ahli Muda","type":"PNS","timezone":"WIB","supervisor_nip":"` + nipAtasan + `"},
	{"nip":"` + nipRekan + `","name":"Dewi Lestari","unit":"` + unitUmum + `","instansi":"` + instansi + `","position":"Analis Kebijakan Ahli Muda","type":"PNS","timezone":"WIB","supervisor_nip":"` + nipAtasan + `"}]`
	s.apiCall(t, "admin", http.MethodPost, "/api/v1/people", people, http.StatusOK)
}

// apiCall sends body to the API as the account of role and checks the
// status; it returns the answer's body.
func (s *site) apiCall(t testing.TB, role, method, path, body string, want int) string {
	t.Helper()
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	a := s.accounts[role]
	req.SetBasicAuth(a.key, a.secret)
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
	if res.StatusCode != want {
		t.Fatalf("%s %s as %s: %d %s, want %d", method, path, role, res.StatusCode, b, want)
	}
	return string(b)
}

// browser is a web client with its own cookies; it follows redirects and
// remembers the last page's CSRF token.
type browser struct {
	t    testing.TB
	site *site
	c    *http.Client
	csrf string
}

func (s *site) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, site: s, c: &http.Client{Jar: jar}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// page is an answer of the web.
type page struct {
	status int
	url    string
	body   string
	header http.Header
}

func (b *browser) keep(res *http.Response, err error) page {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return page{status: res.StatusCode, url: res.Request.URL.Path, body: string(body), header: res.Header}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	return b.keep(b.c.Get(b.site.url + path))
}

// post sends a form with the CSRF token of the last page.
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("csrf") {
		form.Set("csrf", b.csrf)
	}
	return b.keep(b.c.PostForm(b.site.url+path, form))
}

// upload posts a multipart form with the CSRF token of the last page and,
// when name is not empty, a file in field.
func (b *browser) upload(path string, fields url.Values, field, name string, content []byte) page {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if !fields.Has("csrf") {
		_ = mw.WriteField("csrf", b.csrf)
	}
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if name != "" {
		fw, _ := mw.CreateFormFile(field, name)
		_, _ = fw.Write(content)
	}
	_ = mw.Close()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, b.site.url+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.keep(b.c.Do(req))
}

// signIn signs in with the key and secret of role's account.
func (b *browser) signIn(role string) page {
	b.t.Helper()
	b.get("/masuk")
	a := b.site.accounts[role]
	p := b.post("/masuk", url.Values{"key": {a.key}, "secret": {a.secret}})
	if p.status != http.StatusOK || p.url == "/masuk" {
		b.t.Fatalf("sign-in as %s: %d at %s", role, p.status, p.url)
	}
	return p
}

// signInOIDC signs in through the OpenID Connect provider as the person
// with nip, name and roles.
func (b *browser) signInOIDC(nip, name string, roles ...string) page {
	b.t.Helper()
	b.site.idp.SignInAs(map[string]any{"nip": nip, "name": name, "roles": roles})
	return b.get("/auth/login?return=/")
}

// expectPage checks a page's status and that it holds every text.
func expectPage(t testing.TB, p page, status int, texts ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: status %d, want %d; page:\n%s", p.url, p.status, status, snippet(p.body))
	}
	for _, s := range texts {
		if !strings.Contains(p.body, s) {
			t.Fatalf("%s: no %q in the page:\n%s", p.url, s, snippet(p.body))
		}
	}
	if m := missingMessage.FindString(p.body); m != "" {
		t.Fatalf("%s: message %s is not in the catalogue", p.url, m)
	}
}

// missingMessage is how a key the catalogue lacks shows.
var missingMessage = regexp.MustCompile(`\[[a-z_]+\.[a-z0-9_.]+\]`)

func snippet(s string) string {
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		s = s[:3000] + "…"
	}
	return s
}

func decode(t testing.TB, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
}
