package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestWeb_SignInWithKeyAndOut(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	p := b.get("/")
	expectPage(t, p, http.StatusOK, `action="/masuk"`, "Kunci dan rahasia", `id="sso"`)
	if p.url != "/masuk" {
		t.Fatalf("/ without a session went to %s, want /masuk", p.url)
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("Content-Security-Policy %q: want scripts from this origin only, nothing inline", csp)
	}

	t.Run("a wrong secret is refused and names the problem", func(t *testing.T) {
		p := b.post("/masuk", url.Values{"key": {s.accounts["admin"].key}, "secret": {"salah"}})
		expectPage(t, p, http.StatusUnauthorized, "Kunci atau rahasia salah.")
	})
	t.Run("a form without its CSRF token is refused", func(t *testing.T) {
		a := s.accounts["admin"]
		p := b.post("/masuk", url.Values{"key": {a.key}, "secret": {a.secret}, "csrf": {"x"}})
		expectPage(t, p, http.StatusForbidden, "kedaluwarsa")
		if me := b.get("/auth/me"); me.status != http.StatusUnauthorized {
			t.Fatalf("/auth/me after a refused sign-in: %d, want 401", me.status)
		}
	})
	t.Run("the admin signs in with the key and lands on the admin page", func(t *testing.T) {
		p := b.signIn("admin")
		expectPage(t, p, http.StatusOK, `id="sign-out"`, "admin-uji")
		if p.url != "/admin" {
			t.Fatalf("admin landed on %s, want /admin", p.url)
		}
		me := b.get("/auth/me")
		expectPage(t, me, http.StatusOK, `"key":"admin-uji"`)
	})
	t.Run("the session cookie is HttpOnly and SameSite", func(t *testing.T) {
		u, _ := url.Parse(s.url)
		found := false
		for _, c := range b.c.Jar.Cookies(u) {
			found = found || c.Name == "jejak_session"
		}
		if !found {
			t.Fatal("no jejak_session cookie after the sign-in")
		}
		b2 := s.browser(t)
		b2.get("/masuk")
		a := s.accounts["admin"]
		form := url.Values{"key": {a.key}, "secret": {a.secret}, "csrf": {b2.csrf}}
		once := &http.Client{Jar: b2.c.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := once.Do(postReq(t, s.url+"/masuk", form))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		var set string
		for _, v := range res.Header.Values("Set-Cookie") {
			if strings.HasPrefix(v, "jejak_session=") {
				set = v
			}
		}
		if !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Lax") {
			t.Fatalf("Set-Cookie %q: want HttpOnly and SameSite=Lax", set)
		}
	})
	t.Run("signing out ends the session", func(t *testing.T) {
		b.get("/admin")
		p := b.post("/keluar", nil)
		expectPage(t, p, http.StatusOK, "Anda telah keluar.")
		if me := b.get("/auth/me"); me.status != http.StatusUnauthorized {
			t.Fatalf("/auth/me after signing out: %d, want 401", me.status)
		}
		if p := b.get("/admin"); p.url != "/masuk" {
			t.Fatalf("/admin after signing out went to %s, want /masuk", p.url)
		}
	})
}

func postReq(t testing.TB, u string, form url.Values) *http.Request {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func TestWeb_SignInWithOpenIDConnect(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	p := b.signInOIDC(nipPegawai, "Siti Rahayu")
	expectPage(t, p, http.StatusOK, "Siti Rahayu ("+nipPegawai+")")
	if p.url != "/saya" {
		t.Fatalf("a person landed on %s, want /saya", p.url)
	}
}

func TestWeb_LanguageSwitch(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	p := b.get("/masuk")
	expectPage(t, p, http.StatusOK, `<html lang="id">`, "Masuk")
	p = b.post("/bahasa", url.Values{"lang": {"en"}, "return": {"/masuk"}})
	expectPage(t, p, http.StatusOK, `<html lang="en">`, "Key and secret", "Bahasa Indonesia")
	p = b.post("/bahasa", url.Values{"lang": {"id"}, "return": {"https://example.org/"}})
	if p.url != "/masuk" { // "/" → /masuk: another site is never a return
		t.Fatalf("a return to another site went to %s", p.url)
	}
	expectPage(t, p, http.StatusOK, `<html lang="id">`)
}

func TestWeb_SessionReachesTheAPIUnderItsRules(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	b.signIn("pegawai")
	if me := b.get("/auth/me"); me.status != http.StatusOK {
		t.Fatalf("/auth/me: %d", me.status)
	}
	// the API is reached with the session too (a GET needs no CSRF header)
	if p := b.get("/api/v1/people/" + nipPegawai + "/jp"); p.status != http.StatusOK {
		t.Fatalf("own JP with the session: %d %s", p.status, p.body)
	}
	// a POST to the API with the session cookie alone is refused (CSRF)
	res, err := b.c.Do(postReq(t, s.url+"/xapi/statements", url.Values{}))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusBadRequest {
		t.Fatalf("POST /xapi/statements with the cookie and no X-Requested-With: %d, want 403", res.StatusCode)
	}
}
