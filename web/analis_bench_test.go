package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/web"
)

// benchUnit is the unit of the dashboard benchmark.
const benchUnit = "Biro Besar"

// benchNIP is the i-th person of the benchmark's unit: a valid NIP
// (birth date, appointment year and month, sex, sequence).
func benchNIP(i int) string {
	return fmt.Sprintf("%04d0101201501%d%03d", 1970+i/900, 1+i%2, 1+i%900)
}

// benchPositions is the standard of the benchmark's people: sixteen
// competencies, as the example position of schemas/positions.
const benchPositions = `[{"position":"Analis Kebijakan Ahli Muda","standards":{"M.01":3,"M.02":3,"M.03":3,"M.04":3,"M.05":3,"M.06":3,"M.07":3,"M.08":3,"SK.01":3,"T.KEB.01":3,"T.KEB.02":3,"T.KEB.03":3,"T.KEB.04":3,"T.KEB.05":2,"T.KEB.06":3,"T.KEB.07":3}}]`

// seedBigUnit registers n people in benchUnit (in the analyst's instansi,
// supervised by nipAtasan) and gives them claims through the API, in
// batches: a provider's classroom course for everyone (0 to 29 JP, in a
// month of 2026 by person, recognised on arrival), a pending e-learning
// claim for every fifth person, and an assessment of M.01 for every
// third. Their position requires sixteen competencies.
func seedBigUnit(tb testing.TB, s *site, n int) {
	tb.Helper()
	s.apiCall(tb, "admin", http.MethodPost, "/api/v1/positions", benchPositions, http.StatusOK)
	const batch = 1000
	for lo := 0; lo < n; lo += batch {
		var people []bangkom.Person
		for i := lo; i < min(lo+batch, n); i++ {
			people = append(people, bangkom.Person{NIP: bangkom.NIP(benchNIP(i)), Name: fmt.Sprintf("Pegawai %04d", i), Unit: benchUnit,
				Instansi: instansi, Position: "Analis Kebijakan Ahli Muda", Type: "PNS", Timezone: "WIB", SupervisorNIP: nipAtasan})
		}
		body, _ := json.Marshal(people)
		s.apiCall(tb, "admin", http.MethodPost, "/api/v1/people", string(body), http.StatusOK)
	}
	var stmts, levels []string
	post := func(role string, list *[]string) {
		if len(*list) > 0 {
			s.apiCall(tb, role, http.MethodPost, "/xapi/statements", "["+strings.Join(*list, ",")+"]", http.StatusOK)
			*list = (*list)[:0]
		}
	}
	for i := range n {
		date := fmt.Sprintf("2026-%02d-%02d", 1+i%11, 1+i%28)
		stmts = append(stmts, analisClaim(benchNIP(i), "KLS-TEKNIS", float64(i%30), date, "Pelatihan teknis"))
		if i%5 == 0 {
			stmts = append(stmts, analisClaim(benchNIP(i), "NK-ELEARN", 2, date, "E-learning"))
		}
		if i%3 == 0 {
			levels = append(levels, analisAssessment(benchNIP(i), "M.01", 1+i%5, "2025-11-03"))
		}
		if len(stmts) >= 500 {
			post("provider", &stmts)
		}
		if len(levels) >= 500 {
			post("assessor", &levels)
		}
	}
	post("provider", &stmts)
	post("assessor", &levels)
}

// BenchmarkUnitDashboard5000 measures the server's time to render the
// dashboard of a unit of 5,000 people as the analyst: in-process calls of
// the web handler (and, through it, of the API), no network.
func BenchmarkUnitDashboard5000(b *testing.B) {
	s := newSite(b)
	start := time.Now()
	seedBigUnit(b, s, 5000)
	b.Logf("seeded 5,000 people, 6,000 claims and 1,667 assessments in %v", time.Since(start).Round(time.Millisecond))
	h, err := web.New(web.Config{API: s.api})
	if err != nil {
		b.Fatal(err)
	}
	br := s.browser(b)
	br.signIn("analyst")
	u, _ := url.Parse(s.url)
	var cookie string
	for _, c := range br.c.Jar.Cookies(u) {
		cookie += c.Name + "=" + c.Value + "; "
	}
	target := "/analis/unit/" + url.PathEscape(benchUnit) + "?year=2026"
	render := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Cookie", cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	first := render()
	if first.Code != http.StatusOK || !strings.Contains(first.Body.String(), `id="people">5.000<`) {
		b.Fatalf("dashboard: %d\n%s", first.Code, snippet(first.Body.String()))
	}
	// The process's CPU time per render as well: on a shared machine the
	// wall time depends on what else runs, the CPU time much less.
	cpu0 := cpuTime()
	n := 0
	for b.Loop() {
		if rec := render(); rec.Code != http.StatusOK {
			b.Fatalf("dashboard: %d", rec.Code)
		}
		n++
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(n), "cpu-ms/op")
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
