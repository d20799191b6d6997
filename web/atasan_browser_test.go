package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// A supervisor approves one claim and rejects another with a reason on
// the real page, sees the queue shrink, and finds both in the history;
// the pages fit a phone.
func TestBrowser_AtasanDecides(t *testing.T) {
	s := newSite(t)
	c := seedClaims(t, s)
	tb := newTab(t, s, 1280, 900)
	tb.signIn("atasan")
	tb.open("/atasan")
	tb.expectText("h1", "Persetujuan klaim")
	if n := tb.nodes(".atasan-claim"); n != 5 {
		t.Fatalf("%d claims in the queue, want 5", n)
	}
	tb.expectText("#klaim-"+c.mandiri+" .jp-allowed", "2")
	tb.shot("atasan-antrean")

	tb.run("approve the oldest claim",
		chromedp.Click("#klaim-"+c.mandiri+" button.setujui", chromedp.ByQuery),
		chromedp.WaitNotPresent("#klaim-"+c.mandiri, chromedp.ByQuery))
	tb.expectText(".flash", "Keputusan Anda telah disimpan.")
	if n := tb.nodes(".atasan-claim"); n != 4 {
		t.Fatalf("%d claims in the queue after approving one, want 4", n)
	}

	tb.run("reject with a reason",
		chromedp.SendKeys("#alasan-"+c.coachRekan, "Sertifikat tidak terbaca", chromedp.ByQuery),
		chromedp.Click("#klaim-"+c.coachRekan+" button.tolak", chromedp.ByQuery),
		chromedp.WaitNotPresent("#klaim-"+c.coachRekan, chromedp.ByQuery))
	tb.expectText(".flash", "Keputusan Anda telah disimpan.")
	if n := tb.nodes(".atasan-claim"); n != 3 {
		t.Fatalf("%d claims in the queue after rejecting one, want 3", n)
	}
	if it := s.jpItem(t, nipRekan, c.coachRekan); it.State != "rejected" || it.Reason != "Sertifikat tidak terbaca" {
		t.Fatalf("the rejected claim: %+v", it)
	}
	tb.run("select all", chromedp.Click("#pilih-semua", chromedp.ByQuery))
	if n := tb.nodes("input[name=id]:checked"); n != 3 {
		t.Fatalf("select all checked %d claims, want 3", n)
	}
	tb.shot("atasan-pilih-semua")

	tb.run("to the history", chromedp.Click("#ke-riwayat", chromedp.ByQuery), chromedp.WaitVisible("#riwayat", chromedp.ByQuery))
	tb.expectText("#riwayat", "Sertifikat tidak terbaca")
	tb.expectText("#riwayat", "Membaca modul kebijakan publik")
	tb.shot("atasan-riwayat")

	phone := newTab(t, s, 390, 844)
	// headless chromium keeps a window at least 500 px wide: the
	// viewport is set to the phone's
	phone.run("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	phone.signIn("atasan")
	phone.open("/atasan")
	if n := phone.nodes(".atasan-claim"); n != 3 {
		t.Fatalf("%d claims on the phone, want 3", n)
	}
	var width, inner int
	phone.run("page width", chromedp.Evaluate(`document.documentElement.scrollWidth`, &width), chromedp.Evaluate(`window.innerWidth`, &inner))
	if width > inner {
		t.Errorf("the queue is %d px wide on a %d px phone", width, inner)
	}
	phone.shot("atasan-antrean-ponsel")
	phone.open("/atasan/riwayat")
	phone.shot("atasan-riwayat-ponsel")
}
