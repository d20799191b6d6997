package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jejak-id/jejak/api"
)

// thousands writes n as the Indonesian pages do (12.345).
func thousands(n uint64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// The auditor's page shows what GET /api/v1/status answers: the log's
// head, through which sequence the chain is verified, this node, and each
// view's position and digest.
func TestAuditor_StatusPageMatchesTheAPI(t *testing.T) {
	s := newSite(t)
	var st api.Status
	decode(t, s.apiCall(t, "auditor", http.MethodGet, "/api/v1/status", "", http.StatusOK), &st)
	if st.Log == nil || st.Log.Head == nil || *st.Log.Head == 0 || st.Chain == nil || len(st.Views) == 0 {
		t.Fatalf("status %+v: want a log head, a chain and views", st)
	}
	b := s.browser(t)
	b.signIn("auditor")
	p := b.get("/auditor")
	want := []string{
		`id="log-head">` + thousands(*st.Log.Head) + `<`,
		`id="chain-verified">` + thousands(st.Chain.VerifiedThrough) + `<`,
		"Utuh", "node-uji", "Node ini yang menentukan", "jejak status --url",
		// a node alone lists itself among the log's nodes
		`id="nodes"`, `data-node="node-uji"`, "Semua node log ini",
	}
	for _, v := range st.Views {
		want = append(want, "<td>"+v.Name+"</td><td class=\"num\">"+thousands(v.Position)+"</td>", v.Digest)
	}
	expectPage(t, p, http.StatusOK, want...)

	t.Run("an admin sees it too", func(t *testing.T) {
		a := s.browser(t)
		a.signIn("admin")
		expectPage(t, a.get("/auditor"), http.StatusOK, `id="log-head"`)
	})
	t.Run("others are refused with the API's words", func(t *testing.T) {
		for _, role := range []string{"analyst", "pegawai", "verifier"} {
			o := s.browser(t)
			o.signIn(role)
			expectPage(t, o.get("/auditor"), http.StatusForbidden, "only an auditor or an admin may read the node&#39;s status (policy: status)")
			expectPage(t, o.get("/auditor/akses?nip="+nipPegawai), http.StatusForbidden, "only an auditor or an admin may read the access log (policy: access-log)")
			if p := o.get("/auditor/akses.csv"); p.status != http.StatusForbidden || strings.Contains(p.body, "time,who") {
				t.Fatalf("the access log's CSV for %s: %d %s", role, p.status, snippet(p.body))
			}
		}
	})
}

// A read of a person's records shows in the access log's search by their
// NIP, in the table and in the CSV download.
func TestAuditor_AccessLogSearch(t *testing.T) {
	s := newSite(t)
	s.apiCall(t, "analyst", http.MethodGet, "/api/v1/people/"+nipPegawai+"/jp", "", http.StatusOK)
	b := s.browser(t)
	b.signIn("auditor")
	p := b.get("/auditor/akses?nip=" + nipPegawai)
	expectPage(t, p, http.StatusOK, "analis-uji", "/api/v1/people/:nip/jp", nipPegawai, `id="access-csv"`, "1 entri")
	csv := b.get("/auditor/akses.csv?nip=" + nipPegawai)
	if csv.status != http.StatusOK || !strings.HasPrefix(csv.body, "time,who,") || !strings.Contains(csv.body, "analis-uji") ||
		!strings.Contains(csv.header.Get("Content-Disposition"), "akses.csv") {
		t.Fatalf("CSV: %d %q %s", csv.status, csv.header.Get("Content-Disposition"), csv.body)
	}
	// without a search, the last week: the read is in it, and the date is
	// in the form and the CSV link
	weekAgo := func() string {
		return time.Now().In(time.FixedZone("WIB", 7*3600)).AddDate(0, 0, -7).Format("2006-01-02")
	}
	since := weekAgo()
	p = b.get("/auditor/akses")
	if since == weekAgo() { // not across midnight in WIB
		expectPage(t, p, http.StatusOK, "/api/v1/people/:nip/jp", `value="`+since+`"`, "akses.csv?since="+since)
	}
	// the reader's search finds it; another reader's finds nothing
	expectPage(t, b.get("/auditor/akses?who=analis-uji"), http.StatusOK, "/api/v1/people/:nip/jp")
	expectPage(t, b.get("/auditor/akses?who=orang-lain"), http.StatusOK, "Tidak ada entri untuk pencarian ini.")
	// a date range that ends before the read finds nothing
	expectPage(t, b.get("/auditor/akses?nip="+nipPegawai+"&until=2020-01-01"), http.StatusOK, "Tidak ada entri")
	// a bad NIP is the API's refusal, shown over the form
	expectPage(t, b.get("/auditor/akses?nip=123"), http.StatusBadRequest, `id="access-search"`, "123")
	expectPage(t, b.get("/auditor/akses?since=kemarin"), http.StatusBadRequest, "since: &#34;kemarin&#34; is not a date")
}
