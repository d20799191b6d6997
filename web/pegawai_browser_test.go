package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A civil servant signs in, sees their JP and competencies, records
// learning with an evidence file through the real form and sees it
// pending; then the same pages at a phone's size.
func TestBrowser_PegawaiRecordsLearningWithEvidence(t *testing.T) {
	s := newSite(t)
	seedPegawai(t, s)
	tb := newTab(t, s, 1280, 900)
	tb.signIn("pegawai")
	if got := tb.location(); got != "/saya" {
		t.Fatalf("the person landed on %s, want /saya", got)
	}
	tb.expectText("#jp-total", "8")
	tb.expectText("#items", "Alasan: "+rejectReason)
	tb.expectText("#comp-M\\.06", "Coaching kinerja oleh atasan langsung")
	tb.shot("saya")

	tb.run("open the record form", chromedp.Click("#record-link", chromedp.ByQuery), chromedp.WaitVisible("#record-form", chromedp.ByQuery))
	tb.shot("catat")
	file := filepath.Join(t.TempDir(), "notulen-coaching.pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	day := today()
	tb.run("fill in and send the record",
		chromedp.SetValue("#form", "NK-COACHING", chromedp.ByQuery),
		chromedp.SetValue("#start", day, chromedp.ByQuery),
		chromedp.SetValue("#end", day, chromedp.ByQuery),
		chromedp.SendKeys("#title", "Coaching kinerja bersama Pak Budi", chromedp.ByQuery),
		chromedp.SendKeys("#description", "Menyusun rencana aksi SKP triwulan", chromedp.ByQuery),
		chromedp.SetUploadFiles("#evidence", []string{file}, chromedp.ByQuery),
		chromedp.Click("#record-submit", chromedp.ByQuery),
		chromedp.WaitVisible(".flash", chromedp.ByQuery),
	)
	if got := tb.location(); got != "/saya?ok=recorded" {
		t.Fatalf("after recording the tab is at %s, want /saya?ok=recorded", got)
	}
	tb.expectText(".flash", "menunggu persetujuan atasan")
	tb.expectText("#items", "Coaching kinerja bersama Pak Budi")
	tb.expectText("#items", "2 menunggu persetujuan")
	tb.shot("saya-tercatat")

	var q struct {
		Pending []struct {
			ActivityName string `json:"activity_name"`
			Evidence     struct {
				Attachments []struct {
					UsageType string `json:"usage_type"`
					Length    int    `json:"length"`
				} `json:"attachments"`
			} `json:"evidence"`
		} `json:"pending"`
	}
	decode(t, s.apiCall(t, "atasan", "GET", "/api/v1/approvals", "", 200), &q)
	found := false
	for _, c := range q.Pending {
		if c.ActivityName == "Coaching kinerja bersama Pak Budi" {
			found = len(c.Evidence.Attachments) == 1 && c.Evidence.Attachments[0].UsageType == evidenceUsage && c.Evidence.Attachments[0].Length == len(pdf)
		}
	}
	if !found {
		t.Fatalf("the supervisor's queue lacks the record with its evidence: %+v", q.Pending)
	}

	tb.open("/saya/riwayat?status=pending")
	tb.expectText("#history", "Coaching kinerja bersama Pak Budi")
	tb.shot("riwayat")

	phone := newTab(t, s, 390, 844)
	// a desktop window is at least 500 px wide: emulate the phone's screen
	phone.run("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	phone.signIn("pegawai")
	phone.expectText("#jp-total", "8")
	var width int
	phone.run("measure the page", chromedp.Evaluate(`document.documentElement.scrollWidth`, &width))
	if width > 390 {
		t.Errorf("/saya at 390 px wide is %d px wide: it scrolls sideways", width)
	}
	phone.shot("saya-ponsel")
	phone.open("/saya/catat")
	phone.run("measure the form", chromedp.Evaluate(`document.documentElement.scrollWidth`, &width))
	if width > 390 {
		t.Errorf("/saya/catat at 390 px wide is %d px wide: it scrolls sideways", width)
	}
	phone.shot("catat-ponsel")
	if !strings.Contains(phone.text("h1"), "Catat pembelajaran") {
		t.Fatalf("the phone's record page has heading %q", phone.text("h1"))
	}
}
