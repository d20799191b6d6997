package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The Pegawai pages: a person's JP of the year, competencies with learning
// suggested, recording learning with evidence, and the history.

const (
	homePage      = "https://siasn.bkn.go.id"
	evidenceUsage = "https://jejak.id/xapi/bangkom/attachments/evidence"
	rejectReason  = "Tidak ada notulen sesi"
)

// today is today's date in WIB, the zone of the site's people.
func today() string { return time.Now().In(time.FixedZone("WIB", 7*3600)).Format(time.DateOnly) }

// claimFor is a learning claim by nip of form on today's date, with
// extensions ext (JSON members after the form) and statement id id.
func claimFor(nip, id, form, activity, name, ext string) string {
	return `{"id":"` + id + `","actor":{"objectType":"Agent","account":{"homePage":"` + homePage + `","name":"` + nip + `"}},` +
		`"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},` +
		`"object":{"id":"` + activity + `","definition":{"name":{"id-ID":"` + name + `"}}},` +
		`"timestamp":"` + today() + `T00:30:00+07:00","context":{"extensions":{"https://jejak.id/xapi/bangkom/extensions/form":"` + form + `"` + ext + `}}}`
}

// seedPegawai gives Siti (nipPegawai) a position standard, a seminar of 2
// days sent by the provider (8 JP, recognised on arrival), self-study she
// recorded herself (pending), a coaching session her supervisor rejected
// with a reason, and an assessment of M.06 at level 2 of 3.
func seedPegawai(t testing.TB, s *site) (pendingID, rejectedID string) {
	t.Helper()
	s.apiCall(t, "admin", http.MethodPost, "/api/v1/positions",
		`[{"position":"Analis Kebijakan Ahli Muda","standards":{"M.01":3,"M.06":3}}]`, http.StatusOK)
	s.apiCall(t, "provider", http.MethodPost, "/xapi/statements", claimFor(nipPegawai, uuid.NewString(), "KLS-SEMINAR",
		"https://bpsdm.example.go.id/seminar/reformasi-birokrasi-2026", "Seminar nasional reformasi birokrasi",
		`,"https://jejak.id/xapi/bangkom/extensions/days":2`), http.StatusOK)
	pendingID, rejectedID = uuid.NewString(), uuid.NewString()
	selfStudy := claimFor(nipPegawai, pendingID, "NK-MANDIRI", "https://belajar.example.go.id/mandiri/"+pendingID, "Membaca modul kebijakan publik", "")
	selfStudy = strings.Replace(selfStudy, `"timestamp"`, `"result":{"duration":"PT90M"},"timestamp"`, 1)
	s.apiCall(t, "pegawai", http.MethodPost, "/xapi/statements", selfStudy, http.StatusOK)
	s.apiCall(t, "pegawai", http.MethodPost, "/xapi/statements", claimFor(nipPegawai, rejectedID, "NK-COACHING",
		"https://coaching.example.go.id/sesi/"+rejectedID, "Sesi coaching penyusunan SKP", ""), http.StatusOK)
	s.apiCall(t, "atasan", http.MethodPost, "/xapi/statements",
		`{"actor":{"objectType":"Agent","account":{"homePage":"`+homePage+`","name":"`+nipAtasan+`"}},`+
			`"verb":{"id":"https://jejak.id/xapi/bangkom/verbs/rejected"},"object":{"objectType":"StatementRef","id":"`+rejectedID+`"},`+
			`"result":{"response":"`+rejectReason+`"}}`, http.StatusOK)
	s.apiCall(t, "assessor", http.MethodPost, "/xapi/statements",
		`{"actor":{"objectType":"Agent","account":{"homePage":"`+homePage+`","name":"`+nipPegawai+`"}},`+
			`"verb":{"id":"https://jejak.id/xapi/bangkom/verbs/assessed"},"object":{"id":"https://jejak.id/xapi/bangkom/competencies/M.06"},`+
			`"result":{"score":{"raw":2}},"timestamp":"`+today()+`T00:10:00+07:00"}`, http.StatusOK)
	return pendingID, rejectedID
}

// jpItems is the number of items in Siti's JP report of this year.
func jpItems(t testing.TB, s *site) int {
	t.Helper()
	var rep struct {
		Items []struct{} `json:"items"`
	}
	decode(t, s.apiCall(t, "admin", http.MethodGet, "/api/v1/people/"+nipPegawai+"/jp", "", http.StatusOK), &rep)
	return len(rep.Items)
}

// postMultipart sends a multipart form with the CSRF token of the last
// page and, when name is not empty, a file as the evidence.
func (b *browser) postMultipart(path string, form url.Values, name string, file []byte) page {
	b.t.Helper()
	return b.upload(path, form, "evidence", name, file)
}

// pdf is a small PDF file as evidence.
var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func TestPegawai_HomeShowsJPStatesReasonAndSuggestions(t *testing.T) {
	s := newSite(t)
	seedPegawai(t, s)
	b := s.browser(t)
	b.signIn("pegawai")
	p := b.get("/saya")
	expectPage(t, p, http.StatusOK,
		"JP dan kompetensi saya",
		`id="jp-total">8 <small>dari 20 JP`,    // the seminar: 4 JP a day × 2 days
		`aria-label="8 dari 20 JP diakui"`,     // the progress bar
		"Kurang 12 JP",                         // against the 20 JP duty
		"Seminar nasional reformasi birokrasi", // recognised on arrival from the provider
		"disetujui saat diterima dari",
		"4 JP per hari",                  // the rule behind the seminar
		"paling banyak 2 sesi per bulan", // the coaching cap
		"Membaca modul kebijakan publik", // pending
		`<span class="badge pending">Menunggu</span>`,
		`<span class="badge rejected">Ditolak</span>`,
		"Alasan: "+rejectReason, "ditolak oleh Budi Santoso",
		"1 diakui, 1 menunggu persetujuan, 1 ditolak.",
		"Klasikal", // the mix
		"Komposisi 10:20:70", "Kursus dan pelatihan (10)</td><td class=\"num\">8</td><td class=\"num\">100%",
		"Budi Santoso (NIP "+nipAtasan+")", // who decides
		// competencies: M.06 below the standard with suggestions, coaching first
		`id="comp-M.06"`, "Di bawah standar", "Saran belajar", "Coaching kinerja oleh atasan langsung",
		// M.01 never assessed: suggested too
		`id="comp-M.01"`, "Belum dinilai", "Integritas dan nilai dasar BerAKHLAK",
	)
	m06 := p.body[strings.Index(p.body, `id="comp-M.06"`):]
	m06 = m06[:strings.Index(m06, "</article>")]
	if c, w := strings.Index(m06, "Coaching kinerja"), strings.Index(m06, "Lokakarya penyusunan SKP"); c < 0 || w < 0 || c > w {
		t.Fatalf("M.06 suggestions: want coaching before the classroom workshop:\n%s", m06)
	}

	t.Run("another year", func(t *testing.T) {
		y := time.Now().Year() - 1
		expectPage(t, b.get(fmt.Sprintf("/saya?year=%d", y)), http.StatusOK, fmt.Sprintf("JP tahun %d", y), "Belum ada pembelajaran tahun ini.")
		expectPage(t, b.get("/saya?year=2019"), http.StatusOK, `<option value="2019" selected>2019</option>`)
		expectPage(t, b.get("/saya?year=abc"), http.StatusBadRequest, "Tahun &#34;abc&#34; tidak dikenal")
	})
	t.Run("in English", func(t *testing.T) {
		b.post("/bahasa", url.Values{"lang": {"en"}, "return": {"/saya"}})
		expectPage(t, b.get("/saya"), http.StatusOK, "My JP and competencies", "Reason: "+rejectReason, "Suggested learning", "12 JP to go",
			"4 JP a day", "rejected by Budi Santoso")
		expectPage(t, b.get("/saya/catat"), http.StatusOK, "Record learning", "Self-directed learning", "by duration: 1 JP per 45 minutes")
		expectPage(t, b.get("/saya/riwayat?status=pending"), http.StatusOK, "My learning history", "Membaca modul kebijakan publik", "1 of 3 records")
		b.post("/bahasa", url.Values{"lang": {"id"}, "return": {"/saya"}})
	})
	t.Run("history filters by status and form", func(t *testing.T) {
		p := b.get("/saya/riwayat?status=rejected")
		expectPage(t, p, http.StatusOK, "Sesi coaching penyusunan SKP", "1 dari 3 catatan")
		if strings.Contains(p.body, "Seminar nasional") {
			t.Fatal("the rejected filter shows the recognised seminar")
		}
		p = b.get("/saya/riwayat?form=KLS-SEMINAR")
		expectPage(t, p, http.StatusOK, "Seminar nasional reformasi birokrasi", "1 dari 3 catatan; 8 JP diakui.")
		expectPage(t, b.get("/saya/riwayat?status=hilang"), http.StatusBadRequest, "Status &#34;hilang&#34; tidak dikenal")
	})
}

func TestPegawai_RecordLearningWithEvidenceWaitsForTheSupervisor(t *testing.T) {
	s := newSite(t)
	seedPegawai(t, s)
	b := s.browser(t)
	b.signIn("pegawai")
	expectPage(t, b.get("/saya/catat"), http.StatusOK, "Catat pembelajaran", `enctype="multipart/form-data"`,
		`<option value="NK-MANDIRI"`, "Belajar mandiri", "sesuai durasi: 1 JP per 45 menit")
	before := jpItems(t, s)

	day := today()
	p := b.postMultipart("/saya/catat", url.Values{"form": {"NK-COACHING"}, "start": {day}, "end": {day},
		"title": {"Coaching kinerja bersama Pak Budi"}, "description": {"Menyusun rencana aksi SKP triwulan"}}, "notulen.pdf", pdf)
	expectPage(t, p, http.StatusOK, "Pembelajaran tercatat dan menunggu persetujuan atasan Anda.", "Coaching kinerja bersama Pak Budi")
	if p.url != "/saya" {
		t.Fatalf("after recording the page is %s, want /saya", p.url)
	}
	if n := jpItems(t, s); n != before+1 {
		t.Fatalf("JP items %d after recording, want %d", n, before+1)
	}

	// pending in the supervisor's queue, with the evidence attached
	var q struct {
		Pending []struct {
			NIP          string `json:"nip"`
			StatementID  string `json:"statement_id"`
			Form         string `json:"form"`
			ActivityName string `json:"activity_name"`
			Evidence     struct {
				Response    string `json:"response"`
				Attachments []struct {
					UsageType   string `json:"usage_type"`
					ContentType string `json:"content_type"`
					Length      int    `json:"length"`
					SHA2        string `json:"sha2"`
				} `json:"attachments"`
			} `json:"evidence"`
		} `json:"pending"`
	}
	decode(t, s.apiCall(t, "atasan", http.MethodGet, "/api/v1/approvals", "", http.StatusOK), &q)
	sum := sha256.Sum256(pdf)
	var id string
	for _, c := range q.Pending {
		if c.ActivityName != "Coaching kinerja bersama Pak Budi" {
			continue
		}
		id = c.StatementID
		if c.NIP != nipPegawai || c.Form != "NK-COACHING" || c.Evidence.Response != "Menyusun rencana aksi SKP triwulan" ||
			len(c.Evidence.Attachments) != 1 || c.Evidence.Attachments[0].UsageType != evidenceUsage ||
			c.Evidence.Attachments[0].ContentType != "application/pdf" || c.Evidence.Attachments[0].Length != len(pdf) ||
			c.Evidence.Attachments[0].SHA2 != hex.EncodeToString(sum[:]) {
			t.Fatalf("the recorded claim in the supervisor's queue: %+v", c)
		}
	}
	if id == "" {
		t.Fatalf("the recorded claim is not in the supervisor's queue: %+v", q.Pending)
	}
	// the attachment's data is stored with the statement
	req, _ := http.NewRequest(http.MethodGet, s.url+"/xapi/statements?attachments=true&statementId="+id, nil)
	a := s.accounts["admin"]
	req.SetBasicAuth(a.key, a.secret)
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Contains(body, pdf) || !strings.Contains(string(body), `"name":"`+nipPegawai+`"`) {
		t.Fatalf("the statement with its attachment: %d\n%s", res.StatusCode, body)
	}

	// pending on the person's own pages
	p = b.get("/saya/riwayat?status=pending")
	expectPage(t, p, http.StatusOK, "Coaching kinerja bersama Pak Budi", `<span class="badge pending">Menunggu</span>`)

	t.Run("without a file, a duration form", func(t *testing.T) {
		b.get("/saya/catat")
		p := b.postMultipart("/saya/catat", url.Values{"form": {"NK-MANDIRI"}, "start": {day}, "end": {day}, "minutes": {"120"},
			"title": {"Membaca buku manajemen risiko"}}, "", nil)
		expectPage(t, p, http.StatusOK, "Pembelajaran tercatat", "Membaca buku manajemen risiko")
	})
}

func TestPegawai_BadRecordsAreRefusedWithMessagesAndNothingPosted(t *testing.T) {
	s := newSite(t)
	seedPegawai(t, s)
	b := s.browser(t)
	b.signIn("pegawai")
	b.get("/saya/catat")
	before := jpItems(t, s)
	day := today()
	tomorrow := time.Now().In(time.FixedZone("WIB", 7*3600)).AddDate(0, 0, 1).Format(time.DateOnly)
	good := func(edit func(url.Values)) url.Values {
		v := url.Values{"form": {"NK-ELEARN"}, "start": {day}, "end": {day}, "jp": {"3"}, "title": {"Judul yang disimpan"}}
		edit(v)
		return v
	}
	for _, c := range []struct {
		name  string
		form  url.Values
		file  string
		data  []byte
		wants []string
	}{
		{"no form", good(func(v url.Values) { v.Del("form") }), "", nil, []string{"Pilih bentuk pengembangan kompetensi."}},
		{"an unknown form", good(func(v url.Values) { v.Set("form", "KLS-PELATIHAN") }), "", nil, []string{"Bentuk &#34;KLS-PELATIHAN&#34; tidak dikenal"}},
		{"no dates", good(func(v url.Values) { v.Del("start"); v.Del("end") }), "", nil, []string{`id="start-err">Isi tanggal.`, `id="end-err">Isi tanggal.`}},
		{"a date that is not one", good(func(v url.Values) { v.Set("end", "31-12-2026") }), "", nil, []string{"Tanggal &#34;31-12-2026&#34; tidak terbaca"}},
		{"an end after today", good(func(v url.Values) { v.Set("end", tomorrow) }), "", nil, []string{"Tanggal selesai tidak boleh setelah hari ini"}},
		{"a start after the end", good(func(v url.Values) { v.Set("start", day); v.Set("end", "2026-01-01") }), "", nil, []string{"Tanggal mulai jatuh setelah tanggal selesai."}},
		{"no JP for a declared form", good(func(v url.Values) { v.Del("jp") }), "", nil, []string{"E-learning dihitung sesuai JP yang dinyatakan: isi JP."}},
		{"JP not a number", good(func(v url.Values) { v.Set("jp", "tiga") }), "", nil, []string{"JP &#34;tiga&#34; bukan bilangan lebih dari 0."}},
		{"JP above the form's bound", good(func(v url.Values) { v.Set("jp", "101") }), "", nil, []string{"Paling banyak 100 JP per klaim untuk E-learning."}},
		{"no duration for a duration form", good(func(v url.Values) { v.Set("form", "NK-MANDIRI") }), "", nil, []string{"isi durasi dalam menit"}},
		{"no title", good(func(v url.Values) { v.Set("title", " ") }), "", nil, []string{"Isi judul kegiatan."}},
		{"evidence that is not a document", good(func(v url.Values) {}), "catatan.exe", []byte("MZ\x90\x00 not a document"), []string{"catatan.exe bukan PDF, JPEG, PNG atau WebP."}},
		{"an empty file", good(func(v url.Values) {}), "kosong.pdf", []byte{}, []string{"Berkas bukti kosong."}},
		{"a file too large", good(func(v url.Values) {}), "besar.pdf", append(append([]byte{}, pdf...), make([]byte, 5<<20)...), []string{"Berkas bukti terlalu besar (paling besar 5 MiB)."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := b.postMultipart("/saya/catat", c.form, c.file, c.data)
			wants := append([]string{"Catatan belum terkirim: perbaiki isian yang ditandai."}, c.wants...)
			if c.form.Get("title") == "Judul yang disimpan" {
				wants = append(wants, `value="Judul yang disimpan"`) // what was typed is kept
			}
			expectPage(t, p, http.StatusBadRequest, wants...)
			if n := jpItems(t, s); n != before {
				t.Fatalf("a refused record changed the JP items: %d, want %d", n, before)
			}
		})
	}
	t.Run("a form without its CSRF token", func(t *testing.T) {
		p := b.postMultipart("/saya/catat", good(func(v url.Values) { v.Set("csrf", "x") }), "", nil)
		expectPage(t, p, http.StatusForbidden, "kedaluwarsa")
		if n := jpItems(t, s); n != before {
			t.Fatalf("a refused record changed the JP items: %d, want %d", n, before)
		}
	})
}

func TestPegawai_OnlyTheSignedInPersonsOwnRecords(t *testing.T) {
	s := newSite(t)
	seedPegawai(t, s)

	// a colleague signed in with OpenID Connect sees their own, empty, year
	b := s.browser(t)
	b.signInOIDC(nipRekan, "Dewi Lestari")
	for _, path := range []string{"/saya", "/saya?nip=" + nipPegawai, "/saya/riwayat", "/saya/riwayat?nip=" + nipPegawai} {
		p := b.get(path)
		expectPage(t, p, http.StatusOK, "Dewi Lestari")
		for _, leak := range []string{"Seminar nasional reformasi birokrasi", rejectReason, "Membaca modul kebijakan publik"} {
			if strings.Contains(p.body, leak) {
				t.Fatalf("%s as %s shows Siti's %q", path, nipRekan, leak)
			}
		}
	}
	expectPage(t, b.get("/saya"), http.StatusOK, `id="jp-total">0 <small>dari 20 JP`)

	// an account not bound to a person has no such page
	a := s.browser(t)
	a.signIn("admin")
	expectPage(t, a.get("/saya"), http.StatusForbidden, "tidak terikat pada NIP")
	expectPage(t, a.get("/saya/catat"), http.StatusForbidden, "tidak terikat pada NIP")

	// without a session: the sign-in
	if p := s.browser(t).get("/saya/riwayat"); p.url != "/masuk" {
		t.Fatalf("/saya/riwayat without a session went to %s, want /masuk", p.url)
	}
}
