package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestServe_DemoPagesWork signs in to the web of `serve --demo` as each
// demo account, through the sign-in form, and opens every page of its
// role: each answers 200 with its data and no message missing from the
// catalogue.
func TestServe_DemoPagesWork(t *testing.T) {
	data := t.TempDir()
	s, _, _ := startServeOutput(t, data, "--demo")
	root := strings.TrimSuffix(s.base, "/xapi")
	secrets, nips := readDemoAccounts(t, data)
	unit := url.PathEscape(demoUnits[0].Name)
	pages := map[string][]string{
		demoKeyPegawai:  {"/saya", "/saya/catat", "/saya/riwayat"},
		demoKeyAtasan:   {"/atasan", "/atasan/riwayat", "/saya"},
		demoKeyVerifier: {"/atasan"},
		demoKeyAnalis:   {"/analis", "/analis/unit/" + unit, "/analis/unit/" + unit + "/tren", "/analis/pegawai/" + nips[demoKeyPegawai]},
		demoKeyAuditor:  {"/auditor", "/auditor/akses"},
		demoKeyAdmin:    {"/admin", "/admin/kredensial", "/admin/pegawai", "/admin/jabatan", "/admin/katalog", "/auditor"},
	}
	// what each first page must show of the demo's data
	shows := map[string]string{
		"/saya":             "dari 20 JP",
		"/atasan":           nips[demoKeyPegawai] + "",
		"/analis":           demoUnits[0].Name,
		"/auditor":          "JEJAK",
		"/admin/kredensial": demoKeyAnalis,
	}
	for key, paths := range pages {
		t.Run(key, func(t *testing.T) {
			c := signInWeb(t, root, key, secrets[key])
			for _, p := range paths {
				status, body := getPage(t, c, root+p)
				if status != http.StatusOK {
					t.Fatalf("%s as %s: %d\n%s", p, key, status, mainOf(body))
				}
				if m := missingMessage.FindString(body); m != "" {
					t.Fatalf("%s as %s: message %s is not in the catalogue", p, key, m)
				}
				if want, ok := shows[p]; ok && key != demoKeyVerifier && !strings.Contains(body, want) {
					t.Fatalf("%s as %s: no %q on the page\n%s", p, key, want, mainOf(body))
				}
			}
		})
	}
}

var (
	missingMessage = regexp.MustCompile(`\[[a-z_]+\.[a-z0-9_.]+\]`)
	csrfInput      = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// signInWeb signs in through the web's form and returns the client with
// the session.
func signInWeb(t *testing.T, root, key, secret string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	_, body := getPage(t, c, root+"/masuk")
	m := csrfInput.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("/masuk has no CSRF token:\n%s", body)
	}
	res, err := c.PostForm(root+"/masuk", url.Values{"key": {key}, "secret": {secret}, "csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Request.URL.Path == "/masuk" {
		t.Fatalf("sign-in as %s: %d at %s\n%s", key, res.StatusCode, res.Request.URL.Path, mainOf(string(b)))
	}
	return c
}

func getPage(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func mainOf(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if len(body) > 2000 {
		body = body[:2000]
	}
	return body
}
