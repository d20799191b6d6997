package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// walkPages are every page of the web that takes a GET, with what each
// visitor gets: "ok" (200), "refused" (403, in the API's words naming its
// policy rule where the API refused), or "sign-in" (sent to /masuk). A GET
// route of the web without a row here fails TestWeb_EveryPageHasARow.
var walkPages = []struct {
	path string
	want map[string]string // by visitor; a visitor not named gets "refused"
}{
	{"/saya", map[string]string{"pegawai": "ok", "atasan": "ok", "sso": "ok"}},
	{"/saya/catat", map[string]string{"pegawai": "ok", "atasan": "ok", "sso": "ok"}},
	{"/saya/riwayat", map[string]string{"pegawai": "ok", "atasan": "ok", "sso": "ok"}},
	// everyone signed in may look for a queue; a decision is the API's
	{"/atasan", everyone},
	{"/atasan/riwayat", everyone},
	{"/analis", map[string]string{"admin": "ok", "analyst": "ok"}},
	{"/analis/unit/" + url.PathEscape(unitUmum), map[string]string{"admin": "ok", "analyst": "ok"}},
	{"/analis/unit/" + url.PathEscape(unitUmum) + "/tren", map[string]string{"admin": "ok", "analyst": "ok"}},
	// rule person-data: the person, their supervisor, an analyst of their unit, an admin
	{"/analis/pegawai/" + nipPegawai, map[string]string{"admin": "ok", "analyst": "ok", "pegawai": "ok", "atasan": "ok"}},
	// rules status and access-log: auditor, admin
	{"/auditor", map[string]string{"admin": "ok", "auditor": "ok"}},
	{"/auditor/akses", map[string]string{"admin": "ok", "auditor": "ok"}},
	// rules credentials, registry (admin, verifier), catalogue (admin)
	{"/admin", map[string]string{"admin": "ok"}},
	{"/admin/kredensial", map[string]string{"admin": "ok"}},
	{"/admin/pegawai", map[string]string{"admin": "ok", "verifier": "ok"}},
	{"/admin/jabatan", map[string]string{"admin": "ok", "verifier": "ok"}},
	{"/admin/katalog", map[string]string{"admin": "ok"}},
}

var everyone = map[string]string{"admin": "ok", "analyst": "ok", "auditor": "ok", "verifier": "ok", "assessor": "ok", "provider": "ok", "pegawai": "ok", "atasan": "ok", "sso": "ok"}

// walkVisitors are who walks: each role's credential signed in with its
// key, a person through OpenID Connect, and nobody.
var walkVisitors = []string{"admin", "analyst", "auditor", "verifier", "assessor", "provider", "pegawai", "atasan", "sso", "anonymous"}

func TestWeb_EveryPageAsEveryRole(t *testing.T) {
	s := newSite(t)
	got := map[string]map[string]string{}
	for _, v := range walkVisitors {
		b := s.browser(t)
		switch v {
		case "anonymous":
		case "sso":
			b.signInOIDC(nipRekan, "Dewi Lestari")
		default:
			b.signIn(v)
		}
		for _, pg := range walkPages {
			p := b.get(pg.path)
			var out string
			switch {
			case p.url == "/masuk":
				out = "sign-in"
			case p.status == http.StatusOK:
				out = "ok"
			case p.status == http.StatusForbidden:
				out = "refused"
			default:
				out = fmt.Sprintf("%d", p.status)
			}
			if m := missingMessage.FindString(p.body); m != "" {
				t.Errorf("%s as %s: message %s is not in the catalogue", pg.path, v, m)
			}
			if got[pg.path] == nil {
				got[pg.path] = map[string]string{}
			}
			got[pg.path][v] = out
		}
	}
	if os.Getenv("JEJAK_WALK_PRINT") != "" {
		for _, pg := range walkPages {
			var row []string
			for _, v := range walkVisitors {
				row = append(row, v+":"+got[pg.path][v])
			}
			t.Logf("%s %s", pg.path, strings.Join(row, " "))
		}
	}
	for _, pg := range walkPages {
		for _, v := range walkVisitors {
			want := pg.want[v]
			if want == "" {
				want = "refused"
			}
			if v == "anonymous" {
				want = "sign-in"
			}
			if got[pg.path][v] != want {
				t.Errorf("%s as %s: %s, want %s", pg.path, v, got[pg.path][v], want)
			}
		}
	}
}

// notPages are the GET routes that are not pages: the sign-in, assets and
// downloads (each download is the API's, under the API's policy, tested
// with its page).
var notPages = map[string]bool{
	"/": true, "/masuk": true, "/static/": true, "/favicon.ico": true,
	"/analis/unit/{unit}/unduh": true, "/atasan/bukti/{id}": true, "/auditor/akses.csv": true,
}

// TestWeb_EveryPageHasARow reads the web's GET routes from its source and
// checks that the walk above visits each.
func TestWeb_EveryPageHasARow(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	route := regexp.MustCompile(`HandleFunc\("GET (/[^"]*)"`)
	walked := map[string]bool{}
	for _, pg := range walkPages {
		walked[pg.path] = true
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f)
		for _, m := range route.FindAllStringSubmatch(string(b), -1) {
			pattern := strings.TrimSuffix(m[1], "{$}")
			if notPages[pattern] || notPages[m[1]] {
				continue
			}
			n++
			wild := regexp.MustCompile(`\{[a-z]+\}`).ReplaceAllString(pattern, "\x00")
			re := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(wild), "\x00", "[^/]+") + "$")
			found := false
			for p := range walked {
				found = found || re.MatchString(p)
			}
			if !found {
				t.Errorf("page GET %s (%s) has no row in walkPages", pattern, f)
			}
		}
	}
	if n < len(walkPages) {
		t.Errorf("found %d page routes in the source, fewer than the %d rows of walkPages", n, len(walkPages))
	}
}
