package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/lrs/bangkom"
)

// claimJSON is a learning claim of nip: activity named name, of form, on
// day (YYYY-MM-DD, 10:00 WIB); extra, if not empty, is more top-level
// members.
func claimJSON(id, nip, form, name, day, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return `{"id":"` + id + `","actor":{"objectType":"Agent","account":{"homePage":"` + bangkom.DefaultHomePage + `","name":"` + nip + `"}},` +
		`"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},` +
		`"object":{"id":"https://belajar.example.go.id/aktivitas/` + id + `","definition":{"name":{"id-ID":"` + name + `"}}},` +
		`"timestamp":"` + day + `T10:00:00+07:00","context":{"extensions":{"` + bangkom.ExtForm + `":"` + form + `"}}` + extra + `}`
}

// postWithAttachment posts statement as role with data as its one
// attachment's body (multipart/mixed).
func (s *site) postWithAttachment(t testing.TB, role, statement, contentType string, data []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json"}})
	io.WriteString(w, statement)
	sum := sha256.Sum256(data)
	w, _ = mw.CreatePart(textproto.MIMEHeader{"Content-Type": {contentType}, "Content-Transfer-Encoding": {"binary"}, "X-Experience-API-Hash": {hex.EncodeToString(sum[:])}})
	w.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.url+"/xapi/statements", &buf)
	a := s.accounts[role]
	req.SetBasicAuth(a.key, a.secret)
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	req.Header.Set("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if b, _ := io.ReadAll(res.Body); res.StatusCode != http.StatusOK {
		t.Fatalf("POST with an attachment as %s: %d %s", role, res.StatusCode, b)
	}
}

// seeded are the claims seedClaims posts, oldest first: mandiri
// (Siti's, three hours: 4 JP claimed of which the daily cap allows 2,
// with a PDF attached), coachRekan, coachSiti, coachRekan2 and coachSiti2.
type seeded struct {
	mandiri, coachRekan, coachSiti, coachRekan2, coachSiti2 string
	pdf                                                     []byte
}

// seedClaims posts learning claims of nipPegawai (as the person) and of
// nipRekan (as the LMS), all waiting for their supervisor nipAtasan.
func seedClaims(t testing.TB, s *site) seeded {
	t.Helper()
	c := seeded{mandiri: uuid.NewString(), coachRekan: uuid.NewString(), coachSiti: uuid.NewString(), coachRekan2: uuid.NewString(),
		coachSiti2: uuid.NewString(), pdf: []byte("%PDF-1.4 laporan belajar mandiri Siti")}
	sum := sha256.Sum256(c.pdf)
	att := fmt.Sprintf(`"result":{"response":"Ringkasan: membaca modul kebijakan publik","duration":"PT3H"},"attachments":[{"usageType":"http://id.tincanapi.com/attachment/certificate",`+
		`"display":{"id-ID":"Laporan belajar"},"contentType":"application/pdf","length":%d,"sha2":"%s"}]`, len(c.pdf), hex.EncodeToString(sum[:]))
	mandiri := claimJSON(c.mandiri, nipPegawai, "NK-MANDIRI", "Membaca modul kebijakan publik", "2026-02-10", att)
	s.postWithAttachment(t, "pegawai", mandiri, "application/pdf", c.pdf)
	s.apiCall(t, "provider", http.MethodPost, "/xapi/statements", "["+
		claimJSON(c.coachRekan, nipRekan, "NK-COACHING", "Coaching penyusunan anggaran", "2026-03-05", "")+","+
		claimJSON(c.coachRekan2, nipRekan, "NK-COACHING", "Coaching pengadaan", "2026-06-01", "")+"]", http.StatusOK)
	s.apiCall(t, "pegawai", http.MethodPost, "/xapi/statements", "["+
		claimJSON(c.coachSiti, nipPegawai, "NK-COACHING", "Coaching analisis kebijakan", "2026-05-12", "")+","+
		claimJSON(c.coachSiti2, nipPegawai, "NK-COACHING", "Coaching menulis naskah", "2026-07-01", "")+"]", http.StatusOK)
	return c
}

// jpItem is a claim in a person's JP report (as the admin reads it).
type jpItem struct {
	StatementID  string  `json:"statement_id"`
	State        string  `json:"state"`
	JPRecognized float64 `json:"jp_recognized"`
	ApprovedBy   string  `json:"approved_by"`
	RejectedBy   string  `json:"rejected_by"`
	Reason       string  `json:"reason"`
}

func (s *site) jpItem(t testing.TB, nip, id string) jpItem {
	t.Helper()
	var rep struct{ Items []jpItem }
	decode(t, s.apiCall(t, "admin", http.MethodGet, "/api/v1/people/"+nip+"/jp?year=2026", "", http.StatusOK), &rep)
	for _, it := range rep.Items {
		if it.StatementID == id {
			return it
		}
	}
	t.Fatalf("claim %s is not in %s's report: %+v", id, nip, rep.Items)
	return jpItem{}
}

// order checks that the page lists the claims in that order.
func order(t *testing.T, p page, ids ...string) {
	t.Helper()
	last := -1
	for _, id := range ids {
		i := strings.Index(p.body, `id="klaim-`+id+`"`)
		if i < 0 || i < last {
			t.Fatalf("claim %s is not listed after the one before it (at %d, previous at %d)", id, i, last)
		}
		last = i
	}
	if n := strings.Count(p.body, `class="card atasan-claim"`); n != len(ids) {
		t.Fatalf("%d claims listed, want %d", n, len(ids))
	}
}

// card is the part of the page that shows claim id.
func card(t *testing.T, p page, id string) string {
	t.Helper()
	i := strings.Index(p.body, `id="klaim-`+id+`"`)
	if i < 0 {
		t.Fatalf("no claim %s in the page", id)
	}
	rest := p.body[i:]
	if j := strings.Index(rest, "</li>\n"); j > 0 {
		rest = rest[:j]
	}
	return rest
}

// A supervisor sees their staff's claims oldest first with the JP claimed
// and what the caps allow, downloads the evidence, approves one, rejects
// one with a reason (not without one), approves two at once, and finds
// all four in their history; the JP reports show each decision.
func TestAtasan_QueueDecideEvidenceAndHistory(t *testing.T) {
	s := newSite(t)
	c := seedClaims(t, s)
	b := s.browser(t)
	b.signIn("atasan")

	p := b.get("/atasan")
	expectPage(t, p, http.StatusOK, "Persetujuan klaim", "Siti Rahayu", "Dewi Lestari", nipPegawai, nipRekan,
		"Membaca modul kebijakan publik", "NK-MANDIRI", "10 Februari 2026", "Ringkasan: membaca modul kebijakan publik", "Laporan belajar")
	order(t, p, c.mandiri, c.coachRekan, c.coachSiti, c.coachRekan2, c.coachSiti2)
	m := card(t, p, c.mandiri)
	for _, want := range []string{`class="jp-claimed">4<`, `class="jp-allowed">2<`, `href="/atasan/bukti/` + c.mandiri + `?n=0"`} {
		if !strings.Contains(m, want) {
			t.Fatalf("the claim's card lacks %s:\n%s", want, m)
		}
	}

	t.Run("the evidence downloads with its bytes", func(t *testing.T) {
		got := b.get("/atasan/bukti/" + c.mandiri + "?n=0")
		if got.status != http.StatusOK || got.body != string(c.pdf) || got.header.Get("Content-Type") != "application/pdf" ||
			!strings.HasPrefix(got.header.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("evidence: %d %q %v", got.status, got.body, got.header)
		}
		expectPage(t, b.get("/atasan/bukti/"+c.coachSiti), http.StatusNotFound, "has no evidence attached")
	})
	t.Run("a rejection without a reason is refused and nothing is decided", func(t *testing.T) {
		b.get("/atasan")
		p := b.post("/atasan/putuskan", url.Values{"tolak": {c.coachRekan}})
		expectPage(t, p, http.StatusBadRequest, "Penolakan wajib disertai alasan", "Coaching penyusunan anggaran")
		p = b.post("/atasan/putuskan", url.Values{"putusan": {"tolak"}, "id": {c.coachRekan, c.coachSiti}, "alasan_" + c.coachRekan: {"Tidak relevan"}})
		expectPage(t, p, http.StatusBadRequest, "Penolakan wajib disertai alasan", "Coaching analisis kebijakan")
		p = b.post("/atasan/putuskan", url.Values{"putusan": {"setujui"}})
		expectPage(t, p, http.StatusBadRequest, "Pilih sekurang-kurangnya satu klaim")
		for _, it := range []jpItem{s.jpItem(t, nipRekan, c.coachRekan), s.jpItem(t, nipPegawai, c.coachSiti)} {
			if it.State != "pending" {
				t.Fatalf("after refused rejections: %+v", it)
			}
		}
		order(t, p, c.mandiri, c.coachRekan, c.coachSiti, c.coachRekan2, c.coachSiti2)
	})
	t.Run("approve one", func(t *testing.T) {
		b.get("/atasan")
		p := b.post("/atasan/putuskan", url.Values{"setujui": {c.mandiri}})
		expectPage(t, p, http.StatusOK, "Keputusan Anda telah disimpan.")
		order(t, p, c.coachRekan, c.coachSiti, c.coachRekan2, c.coachSiti2)
		if it := s.jpItem(t, nipPegawai, c.mandiri); it.State != "approved" || it.JPRecognized != 2 || !strings.Contains(it.ApprovedBy, nipAtasan) {
			t.Fatalf("after approving: %+v", it)
		}
	})
	t.Run("reject one with a reason", func(t *testing.T) {
		p := b.post("/atasan/putuskan", url.Values{"tolak": {c.coachRekan}, "alasan_" + c.coachRekan: {"Sertifikat tidak terbaca"}})
		expectPage(t, p, http.StatusOK, "Keputusan Anda telah disimpan.")
		order(t, p, c.coachSiti, c.coachRekan2, c.coachSiti2)
		if it := s.jpItem(t, nipRekan, c.coachRekan); it.State != "rejected" || it.Reason != "Sertifikat tidak terbaca" || !strings.Contains(it.RejectedBy, nipAtasan) {
			t.Fatalf("after rejecting: %+v", it)
		}
	})
	t.Run("approve two at once", func(t *testing.T) {
		p := b.post("/atasan/putuskan", url.Values{"putusan": {"setujui"}, "id": {c.coachSiti, c.coachRekan2}})
		expectPage(t, p, http.StatusOK, "Keputusan Anda telah disimpan.")
		order(t, p, c.coachSiti2)
		if it := s.jpItem(t, nipPegawai, c.coachSiti); it.State != "approved" {
			t.Fatalf("%+v", it)
		}
		if it := s.jpItem(t, nipRekan, c.coachRekan2); it.State != "approved" {
			t.Fatalf("%+v", it)
		}
	})
	t.Run("the history lists the decisions, the newest first", func(t *testing.T) {
		p := b.get("/atasan/riwayat")
		expectPage(t, p, http.StatusOK, "Riwayat keputusan", "Sertifikat tidak terbaca", "Ditolak", "Disetujui", "Dewi Lestari")
		last := -1
		for _, name := range []string{"Coaching penyusunan anggaran", "Membaca modul kebijakan publik"} {
			i := strings.Index(p.body, name)
			if i < last || i < 0 {
				t.Fatalf("%s is not after the decision before it", name)
			}
			last = i
		}
		for _, name := range []string{"Coaching analisis kebijakan", "Coaching pengadaan"} {
			if i := strings.Index(p.body, name); i < 0 || i > strings.Index(p.body, "Coaching penyusunan anggaran") {
				t.Fatalf("%s (decided last) is not listed first", name)
			}
		}
		if n := strings.Count(p.body, "<tr>") - 1; n != 4 {
			t.Fatalf("%d decisions listed, want 4", n)
		}
	})
	t.Run("in English", func(t *testing.T) {
		b.post("/bahasa", url.Values{"lang": {"en"}, "return": {"/atasan"}})
		expectPage(t, b.get("/atasan"), http.StatusOK, "Claims to approve", "JP recognised if approved", "Coaching menulis naskah")
		expectPage(t, b.get("/atasan/riwayat"), http.StatusOK, "Decision history", "Rejected")
	})
}

// Someone who is not the claimant's supervisor sees an empty queue and
// cannot decide the claim: the page shows the API's refusal, naming the
// rule. A batch the API refuses in part is decided in the part it allows,
// and the page names the claim that was not decided and why.
func TestAtasan_OnlyTheSupervisorDecides(t *testing.T) {
	s := newSite(t)
	c := seedClaims(t, s)
	own := uuid.NewString()
	s.apiCall(t, "provider", http.MethodPost, "/xapi/statements", claimJSON(own, nipAtasan, "NK-COACHING", "Coaching kepemimpinan", "2026-04-01", ""), http.StatusOK)

	b := s.browser(t)
	b.signIn("pegawai")
	expectPage(t, b.get("/atasan"), http.StatusOK, "Tidak ada klaim yang menunggu keputusan Anda.")
	p := b.post("/atasan/putuskan", url.Values{"setujui": {c.coachRekan}})
	expectPage(t, p, http.StatusForbidden, "Anda tidak berhak", "policy: decide", "not the claimant&#39;s registered supervisor")
	if it := s.jpItem(t, nipRekan, c.coachRekan); it.State != "pending" {
		t.Fatalf("a claim decided by someone not the supervisor: %+v", it)
	}
	expectPage(t, b.get("/atasan/bukti/"+c.mandiri), http.StatusOK) // the claimant's own evidence
	expectPage(t, b.get("/atasan/riwayat"), http.StatusOK, "Anda belum memutuskan klaim apa pun.")
	other := s.browser(t)
	other.signInOIDC("198001012005011001", "Orang Lain")
	expectPage(t, other.get("/atasan/bukti/"+c.mandiri), http.StatusForbidden, "policy: person-data")

	a := s.browser(t)
	a.signIn("atasan")
	a.get("/atasan")
	p = a.post("/atasan/putuskan", url.Values{"putusan": {"setujui"}, "id": {own, c.coachSiti2}})
	expectPage(t, p, http.StatusOK, "1 klaim telah diputuskan.", "1 klaim tidak dapat diputuskan", "klaim "+own, "a claimant may not decide their own claim")
	if it := s.jpItem(t, nipPegawai, c.coachSiti2); it.State != "approved" {
		t.Fatalf("the allowed part of the batch: %+v", it)
	}
	if it := s.jpItem(t, nipAtasan, own); it.State != "pending" {
		t.Fatalf("the supervisor's own claim: %+v", it)
	}
	var body map[string]any
	decode(t, s.apiCall(t, "admin", http.MethodGet, "/api/v1/approvals?supervisor="+nipAtasan, "", http.StatusOK), &body)
	if n := len(body["pending"].([]any)); n != 4 {
		b, _ := json.Marshal(body)
		t.Fatalf("%d claims left in the queue, want 4: %s", n, b)
	}
}

// A verifier signed in with its key decides from its own queue (every
// claim, with no supervisor of its own); an admin, who has no queue, is
// told so.
func TestAtasan_VerifierDecidesAndAdminHasNoQueue(t *testing.T) {
	s := newSite(t)
	c := seedClaims(t, s)
	v := s.browser(t)
	v.signIn("verifier")
	p := v.get("/atasan")
	expectPage(t, p, http.StatusOK, "Persetujuan klaim")
	order(t, p, c.mandiri, c.coachRekan, c.coachSiti, c.coachRekan2, c.coachSiti2)
	p = v.post("/atasan/putuskan", url.Values{"putusan": {"tolak"}, "id": {c.coachSiti2}, "alasan": {"Bukan kegiatan coaching"}})
	expectPage(t, p, http.StatusOK, "Keputusan Anda telah disimpan.")
	if it := s.jpItem(t, nipPegawai, c.coachSiti2); it.State != "rejected" || it.Reason != "Bukan kegiatan coaching" || !strings.Contains(it.RejectedBy, "verifikator-uji") {
		t.Fatalf("after the verifier rejected it: %+v", it)
	}
	expectPage(t, v.get("/atasan/riwayat"), http.StatusOK, "Riwayat keputusan tersedia bagi atasan")

	a := s.browser(t)
	a.signIn("admin")
	expectPage(t, a.get("/atasan"), http.StatusOK, "tidak memiliki antrean persetujuan sendiri")
}
