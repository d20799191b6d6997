package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// acceptDialogs answers every confirm() of the tab with OK.
func (tb *tab) acceptDialogs() {
	chromedp.ListenTarget(tb.ctx, func(ev any) {
		if _, ok := ev.(*cdppage.EventJavascriptDialogOpening); ok {
			go func() { _ = chromedp.Run(tb.ctx, cdppage.HandleJavaScriptDialog(true)) }()
		}
	})
}

// An admin's day: a new credential whose secret is shown once, a people
// file with an error (the check shows it, nothing applied), fixed and
// applied; position standards and the catalogue; then the auditor's pages.
func TestBrowser_AdminAndAuditor(t *testing.T) {
	s := newSite(t)
	tb := newTab(t, s, 1280, 900)
	tb.acceptDialogs()
	tb.signIn("admin")
	if got := tb.location(); got != "/admin" {
		t.Fatalf("the admin landed on %s, want /admin", got)
	}
	tb.expectText("main", "Kredensial")
	tb.shot("admin")

	tb.open("/admin/kredensial")
	tb.shot("kredensial")
	tb.run("add a credential",
		chromedp.SendKeys("#c-key", "lms-pusdiklat", chromedp.ByQuery),
		chromedp.SendKeys("#c-name", "Pusdiklat Uji", chromedp.ByQuery),
		chromedp.Click("#role-provider", chromedp.ByQuery),
		chromedp.Click("#add-credential", chromedp.ByQuery),
		chromedp.WaitVisible("#secret", chromedp.ByQuery),
	)
	secret := strings.TrimSpace(tb.text("#secret"))
	if len(secret) < 20 {
		t.Fatalf("secret %q", secret)
	}
	tb.shot("kredensial-rahasia")
	if got := s.basicGet(t, "/api/v1/catalogue", "lms-pusdiklat", secret); got != 200 {
		t.Fatalf("the new secret with Basic auth: %d", got)
	}
	if loc := tb.location(); strings.Contains(loc, secret) {
		t.Fatalf("the secret is in the URL %s", loc)
	}
	tb.run("back to the list", chromedp.Click("#secret-done", chromedp.ByQuery), chromedp.WaitVisible("#credentials", chromedp.ByQuery))
	if strings.Contains(tb.text("main"), secret) {
		t.Fatal("the list shows the secret again")
	}
	tb.run("revoke it, confirmed", chromedp.Click("#revoke-lms-pusdiklat", chromedp.ByQuery), chromedp.WaitVisible(".flash", chromedp.ByQuery))
	tb.expectText(".flash", "Kredensial dicabut.")
	if got := s.basicGet(t, "/api/v1/catalogue", "lms-pusdiklat", secret); got != 401 {
		t.Fatalf("the revoked credential: %d, want 401", got)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "pegawai.csv")
	if err := os.WriteFile(bad, []byte(peopleHeader+
		"198203042006041003,Ani Wijaya,Biro Umum,Analis,PNS,WIB,"+nipAtasan+"\n"+
		"198305052007012004,Rina Kartika,Biro Umum,Analis,PNS,WITA,1983\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	head := s.logHead(t)
	tb.open("/admin/pegawai")
	tb.shot("pegawai")
	tb.run("check a file with an error",
		chromedp.SetUploadFiles("#berkas", []string{bad}, chromedp.ByQuery),
		chromedp.Click("#check-people", chromedp.ByQuery),
		chromedp.WaitVisible("#people-invalid", chromedp.ByQuery),
	)
	tb.expectText("#problems", "supervisor_nip")
	if n := tb.nodes("#apply"); n != 0 {
		t.Fatal("a file with an error may be applied")
	}
	tb.shot("pegawai-kesalahan")
	if after := s.logHead(t); after != head {
		t.Fatalf("the log moved from %d to %d on a check", head, after)
	}
	good := filepath.Join(dir, "pegawai-benar.csv")
	if err := os.WriteFile(good, []byte(peopleHeader+
		"198203042006041003,Ani Wijaya,Biro Umum,Analis,PNS,WIB,"+nipAtasan+"\n"+
		"198305052007012004,Rina Kartika,Biro Umum,Analis,PNS,WITA,"+nipAtasan+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tb.run("check the fixed file",
		chromedp.SetUploadFiles("#berkas", []string{good}, chromedp.ByQuery),
		chromedp.Click("#check-people", chromedp.ByQuery),
		chromedp.WaitVisible("#people-valid", chromedp.ByQuery),
	)
	tb.shot("pegawai-pratinjau")
	tb.run("apply it", chromedp.Click("#apply", chromedp.ByQuery), chromedp.WaitVisible(".flash", chromedp.ByQuery))
	tb.expectText(".flash", "Data pegawai diterapkan.")
	if got := s.apiCall(t, "admin", "GET", "/api/v1/people?q=rina", "", 200); !strings.Contains(got, "198305052007012004") {
		t.Fatalf("the applied person is not in the registry: %s", got)
	}

	tb.open("/admin/jabatan")
	tb.run("post a position standard",
		chromedp.SetValue("#pos-json", `[{"position":"Analis","standards":{"M.01":3,"M.05":2}}]`, chromedp.ByQuery),
		chromedp.Click("#post-positions", chromedp.ByQuery),
		chromedp.WaitVisible(".flash", chromedp.ByQuery),
	)
	tb.expectText("#positions", "M.01 3 · M.05 2")
	tb.shot("jabatan")
	tb.open("/admin/katalog")
	tb.shot("katalog")

	tb.open("/auditor")
	tb.expectText("#chain", "Utuh")
	tb.shot("auditor")
	tb.run("open the access log", chromedp.Click("#to-access", chromedp.ByQuery), chromedp.WaitVisible("#access-search", chromedp.ByQuery))
	s.apiCall(t, "analyst", "GET", "/api/v1/people/"+nipPegawai+"/jp", "", 200)
	tb.run("search by NIP",
		chromedp.SendKeys("#nip", nipPegawai, chromedp.ByQuery),
		chromedp.Click("#search", chromedp.ByQuery),
		chromedp.WaitVisible("#access", chromedp.ByQuery),
	)
	tb.expectText("#access", "analis-uji")
	tb.shot("auditor-akses")
}
