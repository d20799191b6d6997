package web_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// download clicks the link sel and waits for the file it downloads into
// dir, whose name ends in suffix; it returns the file's path.
func (tb *tab) download(dir, sel, suffix string) string {
	tb.t.Helper()
	tb.run("click "+sel, chromedp.Click(sel, chromedp.ByQuery))
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		names, _ := filepath.Glob(filepath.Join(dir, "*"+suffix))
		if len(names) == 1 {
			return names[0]
		}
		time.Sleep(100 * time.Millisecond)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	tb.t.Fatalf("%s: no %s file downloaded; %s holds %q", sel, suffix, dir, names)
	return ""
}

// An analyst opens their units, a unit's dashboard and a person's records,
// and downloads the unit's report as CSV and XLSX through the page's links.
func TestBrowser_Analis(t *testing.T) {
	s := newSite(t)
	seedAnalis(t, s)
	tb := newTab(t, s, 1280, 900)
	tb.signIn("analyst")
	if got := tb.location(); got != "/analis" {
		t.Fatalf("the analyst landed on %s, want /analis", got)
	}
	tb.open("/analis?year=2026")
	tb.expectText("#units", unitUmum)
	tb.expectText("#total-people", "3")
	tb.shot("analis-units")

	tb.run("open the unit", chromedp.Click(`#units a`, chromedp.ByQuery), chromedp.WaitVisible("#heatmap", chromedp.ByQuery))
	tb.expectText("#unit-name", "Biro Umum · 2026")
	tb.expectText("#met", "1")
	tb.expectText("#below", "2")
	tb.expectText("#below-list", "Dewi Lestari")
	tb.expectText("#below-list", "Budi Santoso")
	if n := tb.nodes("svg.chart"); n < 3 {
		t.Fatalf("%d charts on the dashboard, want the distribution, the trend and JP by form", n)
	}
	tb.shot("analis-unit")

	// downloads through the page's links
	dir := t.TempDir()
	tb.run("allow downloads", cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(dir))
	csvPath := tb.download(dir, "#csv", ".csv")
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	checkUnitRows(t, "downloaded CSV", rows)
	xlsxPath := tb.download(dir, "#xlsx", ".xlsx")
	x, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err = x.GetRows(x.GetSheetList()[0])
	x.Close()
	if err != nil {
		t.Fatal(err)
	}
	checkUnitRows(t, "downloaded XLSX", rows)
	if !strings.Contains(filepath.Base(xlsxPath), "Biro_Umum") {
		t.Errorf("the XLSX is named %s", filepath.Base(xlsxPath))
	}

	// drill down to a person below the target
	tb.run("open Dewi's records", chromedp.Click(`tr[data-nip="`+nipRekan+`"] a`, chromedp.ByQuery), chromedp.WaitVisible("#competencies", chromedp.ByQuery))
	tb.expectText("#person-name", "Dewi Lestari")
	tb.expectText("#items", "E-learning Etika ASN")
	tb.expectText("#items", "Menunggu")
	tb.shot("analis-pegawai")

	// the dashboard at a phone's size
	tb.run("phone size", chromedp.EmulateViewport(390, 844))
	tb.open("/analis/unit/Biro%20Umum?year=2026")
	tb.expectText("#below-list", "Dewi Lestari")
	tb.shot("analis-unit-phone")
}
