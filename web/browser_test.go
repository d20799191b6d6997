package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Browser tests drive Debian's chromium, headless, through chromedp. A
// machine without it skips them, but CI (CI set) fails: .ci/run installs
// it. JEJAK_CHROMIUM names another binary.

// chromium finds the browser, or skips (fails in CI).
func chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("JEJAK_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on this machine: .ci/run installs it (apt-get install -y chromium)")
	}
	t.Skip("no chromium on this machine (apt-get install -y chromium); CI runs these tests")
	return ""
}

// tab is one headless browser tab with the console errors it saw.
type tab struct {
	t      *testing.T
	ctx    context.Context
	site   *site
	mu     sync.Mutex
	errors []string
	shots  int
}

// newTab starts a browser for the test, width × height pixels (a phone's
// size for the mobile checks).
func newTab(t *testing.T, s *site, width, height int) *tab {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	tb := &tab{t: t, ctx: ctx, site: s}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || e.Type == runtime.APITypeAssert {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				tb.noteError("console: " + strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			tb.noteError("exception: " + e.ExceptionDetails.Error())
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.LevelError {
				tb.noteError(fmt.Sprintf("%s: %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL))
			}
		}
	})
	if err := chromedp.Run(ctx, cdplog.Enable(), runtime.Enable()); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	t.Cleanup(tb.checkConsole)
	return tb
}

func (tb *tab) noteError(s string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.errors = append(tb.errors, s)
}

// checkConsole fails the test for every console error a page gave
// (scripts, CSP violations, assets that did not load).
func (tb *tab) checkConsole() {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, e := range tb.errors {
		tb.t.Errorf("browser console error: %s", e)
	}
}

// run runs actions, failing the test on error.
func (tb *tab) run(what string, actions ...chromedp.Action) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
}

// open loads a page of the site and waits for its main part.
func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.run("open "+path, chromedp.Navigate(tb.site.url+path), chromedp.WaitVisible("main", chromedp.ByQuery))
}

// text is the visible text of the first element matching sel.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	var s string
	tb.run("read "+sel, chromedp.Text(sel, &s, chromedp.ByQuery, chromedp.NodeVisible))
	return s
}

// expectText waits until sel's text holds want.
func (tb *tab) expectText(sel, want string) {
	tb.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		_ = chromedp.Run(tb.ctx, chromedp.Text(sel, &got, chromedp.ByQuery))
		if strings.Contains(got, want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.t.Fatalf("%s: no %q in %q", sel, want, got)
}

// location is the tab's current path.
func (tb *tab) location() string {
	var u string
	tb.run("location", chromedp.Location(&u))
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.Index(u, "/"); j >= 0 {
			return u[j:]
		}
	}
	return u
}

// shot writes a full-page PNG of the tab to the test's artifact directory
// (go test -artifacts keeps it under -outputdir).
func (tb *tab) shot(name string) {
	tb.t.Helper()
	var png []byte
	tb.run("screenshot", chromedp.FullScreenshot(&png, 100))
	tb.shots++
	dir := tb.t.ArtifactDir()
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d-%s.png", tb.shots, name)), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// signIn signs in with role's key and secret through the form.
func (tb *tab) signIn(role string) {
	tb.t.Helper()
	a := tb.site.accounts[role]
	tb.open("/masuk")
	tb.run("sign in as "+role,
		chromedp.SendKeys("#key", a.key, chromedp.ByQuery),
		chromedp.SendKeys("#secret", a.secret, chromedp.ByQuery),
		chromedp.Click("#sign-in", chromedp.ByQuery),
		chromedp.WaitVisible("#sign-out", chromedp.ByQuery),
	)
}

// signOut signs out through the header's button.
func (tb *tab) signOut() {
	tb.t.Helper()
	tb.run("sign out", chromedp.Click("#sign-out", chromedp.ByQuery), chromedp.WaitVisible("#sign-in", chromedp.ByQuery))
}

// nodes counts the elements matching sel.
func (tb *tab) nodes(sel string) int {
	var ns []*cdp.Node
	tb.run("count "+sel, chromedp.Nodes(sel, &ns, chromedp.ByQueryAll, chromedp.AtLeast(0)))
	return len(ns)
}

func TestBrowser_SignInAndLanguage(t *testing.T) {
	s := newSite(t)
	tb := newTab(t, s, 1280, 900)
	tb.open("/")
	if got := tb.location(); got != "/masuk" {
		t.Fatalf("/ went to %s, want /masuk", got)
	}
	tb.expectText("h1", "Masuk")
	tb.shot("masuk")
	tb.run("switch to English", chromedp.Click("#lang-switch", chromedp.ByQuery), chromedp.WaitVisible("#sign-in", chromedp.ByQuery))
	tb.expectText("h1", "Sign in")
	tb.run("back to Bahasa Indonesia", chromedp.Click("#lang-switch", chromedp.ByQuery), chromedp.WaitVisible("#sign-in", chromedp.ByQuery))
	tb.expectText("h1", "Masuk")

	tb.signIn("admin")
	if got := tb.location(); got != "/admin" {
		t.Fatalf("the admin landed on %s, want /admin", got)
	}
	tb.expectText("#who", "admin-uji")
	tb.signOut()
	tb.expectText("main", "Anda telah keluar.")

	// a person through the OpenID Connect provider
	s.idp.SignInAs(map[string]any{"nip": nipPegawai, "name": "Siti Rahayu"})
	tb.run("sign in with SSO", chromedp.Click("#sso", chromedp.ByQuery), chromedp.WaitVisible("#sign-out", chromedp.ByQuery))
	if got := tb.location(); got != "/saya" {
		t.Fatalf("a person landed on %s, want /saya", got)
	}
	tb.expectText("#who", "Siti Rahayu")
}
