package web_test

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/jejak-id/jejak/api"
)

// basicGet is GET path with HTTP Basic key and secret: its status.
func (s *site) basicGet(t *testing.T, path, key, secret string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, s.url+path, nil)
	req.SetBasicAuth(key, secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// logHead is the log's last sequence as GET /api/v1/status tells it.
func (s *site) logHead(t *testing.T) uint64 {
	t.Helper()
	var st api.Status
	decode(t, s.apiCall(t, "auditor", http.MethodGet, "/api/v1/status?digests=false", "", http.StatusOK), &st)
	if st.Log == nil || st.Log.Head == nil {
		t.Fatalf("status without a log head: %+v", st)
	}
	return *st.Log.Head
}

var secretField = regexp.MustCompile(`<p class="secret" id="secret">([^<]+)</p>`)

// secretOf is the secret a page shows, failing when it shows none.
func secretOf(t *testing.T, p page) string {
	t.Helper()
	m := secretField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("%s: no secret on the page:\n%s", p.url, snippet(p.body))
	}
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("the secret's page has Cache-Control %q, want no-store", cc)
	}
	return html.UnescapeString(m[1])
}

// An admin adds a credential and sees its secret once; the secret works
// with Basic auth; a rotation gives a new one and the old one is refused;
// a revoked credential is refused; the API's refusals show in its words.
func TestAdmin_Credentials(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	b.signIn("admin")
	expectPage(t, b.get("/admin"), http.StatusOK, `href="/admin/kredensial"`, "Impor pegawai", "Standar jabatan", "Katalog kegiatan")
	expectPage(t, b.get("/admin/kredensial"), http.StatusOK, "<code>admin-uji</code>", "Dari --credentials")

	p := b.post("/admin/kredensial", url.Values{"key": {"lms-baru"}, "name": {"LMS Baru"}, "roles": {"provider"}})
	expectPage(t, p, http.StatusOK, "Kredensial lms-baru dibuat", "hanya ditampilkan sekali")
	secret := secretOf(t, p)
	if strings.Contains(p.url, secret) {
		t.Fatalf("the secret is in the URL %s", p.url)
	}
	u, _ := url.Parse(s.url)
	for _, c := range b.c.Jar.Cookies(u) {
		if strings.Contains(c.Value, secret) {
			t.Fatalf("the secret is in cookie %s", c.Name)
		}
	}
	if got := s.basicGet(t, "/api/v1/catalogue", "lms-baru", secret); got != http.StatusOK {
		t.Fatalf("the new secret with Basic auth: %d, want 200", got)
	}
	list := b.get("/admin/kredensial")
	expectPage(t, list, http.StatusOK, "<code>lms-baru</code>", "LMS Baru", `id="rotate-lms-baru"`, `id="revoke-lms-baru"`, `data-confirm="Cabut kredensial lms-baru?`)
	if strings.Contains(list.body, secret) {
		t.Fatal("the list shows the secret again")
	}

	seqOf := func() string {
		m := regexp.MustCompile(`name="key" value="lms-baru"><input type="hidden" name="seq" value="(\d+)"`).FindStringSubmatch(b.get("/admin/kredensial").body)
		if m == nil {
			t.Fatal("no rotate form for lms-baru")
		}
		return m[1]
	}
	t.Run("a rotation gives a new secret and refuses the old", func(t *testing.T) {
		seq := seqOf()
		p := b.post("/admin/kredensial/putar", url.Values{"key": {"lms-baru"}, "seq": {seq}})
		expectPage(t, p, http.StatusOK, "Rahasia lms-baru diganti")
		fresh := secretOf(t, p)
		if fresh == secret {
			t.Fatal("the rotation showed the old secret")
		}
		if got := s.basicGet(t, "/api/v1/catalogue", "lms-baru", secret); got != http.StatusUnauthorized {
			t.Fatalf("the old secret after the rotation: %d, want 401", got)
		}
		if got := s.basicGet(t, "/api/v1/catalogue", "lms-baru", fresh); got != http.StatusOK {
			t.Fatalf("the new secret: %d, want 200", got)
		}
		// the same form sent again (a reload) rotates nothing
		again := b.post("/admin/kredensial/putar", url.Values{"key": {"lms-baru"}, "seq": {seq}})
		expectPage(t, again, http.StatusConflict, "sudah berubah sejak daftar ini ditampilkan")
		if got := s.basicGet(t, "/api/v1/catalogue", "lms-baru", fresh); got != http.StatusOK {
			t.Fatalf("the new secret after the form was sent again: %d, want 200", got)
		}
		secret = fresh
	})
	t.Run("a revoked credential is refused", func(t *testing.T) {
		p := b.post("/admin/kredensial/cabut", url.Values{"key": {"lms-baru"}})
		expectPage(t, p, http.StatusOK, "Kredensial dicabut.", "Dicabut")
		if got := s.basicGet(t, "/api/v1/catalogue", "lms-baru", secret); got != http.StatusUnauthorized {
			t.Fatalf("a revoked credential: %d, want 401", got)
		}
	})
	t.Run("the API's refusals are shown in its words, the form kept", func(t *testing.T) {
		p := b.post("/admin/kredensial/cabut", url.Values{"key": {"admin-uji"}})
		expectPage(t, p, http.StatusConflict, "credential &#34;admin-uji&#34; comes from --credentials")
		p = b.post("/admin/kredensial", url.Values{"key": {"orang"}, "person": {"123"}, "units": {"Biro Umum\nBiro Lain"}})
		expectPage(t, p, http.StatusBadRequest, "person:", `value="orang"`, "Biro Umum\nBiro Lain")
		p = b.post("/admin/kredensial/putar", url.Values{"key": {"tidak-ada"}, "seq": {"0"}})
		expectPage(t, p, http.StatusNotFound, "no credential &#34;tidak-ada&#34; to rotate")
	})
	t.Run("an analyst's credential with units and a person-bound one", func(t *testing.T) {
		p := b.post("/admin/kredensial", url.Values{"key": {"analis-2"}, "roles": {"analyst"}, "units": {"Biro Umum, Kementerian Uji"}})
		expectPage(t, p, http.StatusOK, "Kredensial analis-2 dibuat")
		p = b.post("/admin/kredensial", url.Values{"key": {"siti"}, "person": {nipPegawai}, "scopes": {"statements/write statements/read/mine"}})
		secret := secretOf(t, p)
		if got := s.basicGet(t, "/api/v1/people/"+nipPegawai+"/jp", "siti", secret); got != http.StatusOK {
			t.Fatalf("a person-bound credential reading its own JP: %d", got)
		}
		expectPage(t, b.get("/admin/kredensial"), http.StatusOK, "Biro Umum, Kementerian Uji", "atas nama NIP "+nipPegawai)
	})
}

const peopleHeader = "nip,name,unit,position,type,timezone,supervisor_nip\n"

// The people import shows every error of a bad file before anything is
// applied, and the log does not move; a good file applies and the people
// are in the registry.
func TestAdmin_PeopleImport(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	b.signIn("admin")
	expectPage(t, b.get("/admin/pegawai"), http.StatusOK, `enctype="multipart/form-data"`, "supervisor_nip")
	head := s.logHead(t)
	bad := peopleHeader +
		"198203042006041003,Ani Wijaya,Biro Umum,Analis,PNS,WIB," + nipAtasan + "\n" +
		"19820304200604100,,Biro Umum,Analis,PNS,WIB,\n" +
		"198305052007012004,Rina,Biro Umum,Analis,Honorer,CET,\n" +
		"198203042006041003,Ani lagi,Biro Umum,Analis,PNS,WIB,\n"
	p := b.upload("/admin/pegawai", url.Values{}, "berkas", "pegawai.csv", []byte(bad))
	expectPage(t, p, http.StatusOK, "5 kesalahan", "Tidak ada yang diterapkan",
		`<td class="num">3</td><td><code>nip</code></td>`, `<td class="num">3</td><td><code>name</code></td>`,
		`<td class="num">4</td><td><code>type</code></td>`, `<td class="num">4</td><td><code>timezone</code></td>`,
		`<td class="num">5</td><td><code>nip</code></td><td>198203042006041003 also on line 2</td>`,
		"4 baris terbaca", `class="bad-row"`, "Ani Wijaya")
	if strings.Contains(p.body, `id="apply"`) {
		t.Fatal("a file with errors may be applied")
	}
	if after := s.logHead(t); after != head {
		t.Fatalf("the log's head moved from %d to %d on a check", head, after)
	}
	// a file the API cannot read at all
	p = b.upload("/admin/pegawai", url.Values{}, "berkas", "pegawai.csv", []byte("nip,nama\n1,Ani\n"))
	expectPage(t, p, http.StatusOK, "seluruh berkas", "the header lacks column")
	expectPage(t, b.upload("/admin/pegawai", url.Values{}, "berkas", "", nil), http.StatusBadRequest, "Pilih berkas CSV atau .xlsx.")

	good := peopleHeader +
		"198203042006041003,Ani Wijaya,Biro Umum,Analis,PNS,WIB," + nipAtasan + "\n" +
		"198305052007012004,Rina Kartika,Biro Umum,Analis,PPPK,WITA,\n"
	p = b.upload("/admin/pegawai", url.Values{}, "berkas", "pegawai.csv", []byte(good))
	expectPage(t, p, http.StatusOK, "Tidak ada kesalahan: 2 orang siap diterapkan", `id="apply"`, "Rina Kartika")
	if after := s.logHead(t); after != head {
		t.Fatalf("the log's head moved from %d to %d on a good file's check", head, after)
	}
	content := regexp.MustCompile(`name="content" value="([^"]+)"`).FindStringSubmatch(p.body)
	if content == nil {
		t.Fatal("no content to apply")
	}
	p = b.post("/admin/pegawai/terapkan", url.Values{"content": {content[1]}, "kind": {"csv"}})
	expectPage(t, p, http.StatusOK, "Data pegawai diterapkan.")
	if after := s.logHead(t); after != head+1 {
		t.Fatalf("the log's head is %d after the import, want %d", after, head+1)
	}
	people := s.apiCall(t, "admin", http.MethodGet, "/api/v1/people?q=198", "", http.StatusOK)
	for _, want := range []string{"Ani Wijaya", "Rina Kartika", "198305052007012004"} {
		if !strings.Contains(people, want) {
			t.Fatalf("GET /api/v1/people lacks %q: %s", want, people)
		}
	}

	t.Run("a spreadsheet is checked and applied the same way", func(t *testing.T) {
		f := excelize.NewFile()
		for i, row := range [][]any{{"nip", "name", "unit", "type", "timezone"}, {"198707072010011005", "Joko Susilo", "Biro Umum", "PNS", "WIB"}} {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			_ = f.SetSheetRow("Sheet1", cell, &row)
		}
		var buf bytes.Buffer
		_ = f.Write(&buf)
		p := b.upload("/admin/pegawai", url.Values{}, "berkas", "pegawai.xlsx", buf.Bytes())
		expectPage(t, p, http.StatusOK, "1 orang siap diterapkan", `name="kind" value="xlsx"`, "Joko Susilo")
		content := regexp.MustCompile(`name="content" value="([^"]+)"`).FindStringSubmatch(p.body)
		expectPage(t, b.post("/admin/pegawai/terapkan", url.Values{"content": {content[1]}, "kind": {"xlsx"}}), http.StatusOK, "Data pegawai diterapkan.")
		if got := s.apiCall(t, "admin", http.MethodGet, "/api/v1/people?q=joko", "", http.StatusOK); !strings.Contains(got, "198707072010011005") {
			t.Fatalf("the spreadsheet's person is not in the registry: %s", got)
		}
	})
}

// Position standards and catalogue entries are posted from their pages;
// the API's refusals are shown with what was typed kept.
func TestAdmin_PositionsAndCatalogue(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	b.signIn("admin")
	expectPage(t, b.get("/admin/jabatan"), http.StatusOK, "Belum ada standar jabatan.")
	p := b.post("/admin/jabatan", url.Values{"json": {`[{"position":"Analis Kebijakan Ahli Muda","standards":{"M.01":3,"M.02":4}}]`}})
	expectPage(t, p, http.StatusOK, "Standar jabatan disimpan.", "<td>Analis Kebijakan Ahli Muda</td><td>M.01 3 · M.02 4</td>")
	if got := s.apiCall(t, "analyst", http.MethodGet, "/api/v1/positions", "", http.StatusOK); !strings.Contains(got, `"M.02":4`) {
		t.Fatalf("GET /api/v1/positions: %s", got)
	}
	p = b.post("/admin/jabatan", url.Values{"json": {`[{"position":"Kepala Biro","standards":{"X.99":3}}]`}})
	expectPage(t, p, http.StatusBadRequest, "[0].standards.X.99: not a competency of the loaded frameworks", "X.99")
	p = b.upload("/admin/jabatan", url.Values{"json": {""}}, "berkas", "jabatan.json", []byte(`[{"position":"Kepala Biro","standards":{"M.01":4}}]`))
	expectPage(t, p, http.StatusOK, "Standar jabatan disimpan.", "<td>Kepala Biro</td><td>M.01 4</td>")

	var forms api.FormList
	decode(t, s.apiCall(t, "admin", http.MethodGet, "/api/v1/forms", "", http.StatusOK), &forms)
	form := forms.Forms[0].Form
	expectPage(t, b.get("/admin/katalog"), http.StatusOK, `id="catalogue-form"`, `<option value="`+form+`"`)
	activity := "https://lms.uji.go.id/kursus/etika-asn"
	p = b.post("/admin/katalog", url.Values{"activity": {activity}, "name_id": {"Etika ASN"}, "form": {form}, "jp": {"12,5"}, "competencies": {"M.01, M.03"}})
	expectPage(t, p, http.StatusOK, "Katalog disimpan.", "Etika ASN", activity, "12,5", "M.01, M.03", "ditambahkan")
	if got := s.apiCall(t, "admin", http.MethodGet, "/api/v1/catalogue", "", http.StatusOK); !strings.Contains(got, `"activity":"`+activity+`"`) || !strings.Contains(got, `"jp":12.5`) {
		t.Fatalf("GET /api/v1/catalogue lacks the entry: %s", got)
	}
	expectPage(t, b.get("/admin/katalog?ubah="+url.QueryEscape(activity)), http.StatusOK, `value="Etika ASN"`, `value="12.5"`, "Ubah kegiatan")
	// the page's own "change" link of the entry opens it the same way
	link := regexp.MustCompile(`href="(/admin/katalog\?ubah=[^"]*etika-asn)"`).FindStringSubmatch(b.get("/admin/katalog").body)
	if link == nil {
		t.Fatal("the catalogue page has no change link")
	}
	expectPage(t, b.get(html.UnescapeString(link[1])), http.StatusOK, `value="Etika ASN"`, "Ubah kegiatan")
	p = b.post("/admin/katalog", url.Values{"activity": {"bukan iri"}, "name_id": {"Salah"}, "form": {form}})
	expectPage(t, p, http.StatusBadRequest, "[0].activity: &#34;bukan iri&#34; is not an IRI", `value="Salah"`)
	p = b.post("/admin/katalog", url.Values{"activity": {activity}, "form": {form}, "jp": {"dua"}})
	expectPage(t, p, http.StatusBadRequest, "JP: &#34;dua&#34; bukan angka.")
}

// Everyone but an admin is refused every admin page, with the API's
// words; the pages of a registry the API lets a verifier write are theirs
// too, but not the credentials.
func TestAdmin_RefusedToOthers(t *testing.T) {
	s := newSite(t)
	head := s.logHead(t)
	for _, role := range []string{"analyst", "pegawai", "auditor"} {
		b := s.browser(t)
		b.signIn(role)
		key := s.accounts[role].key
		lacks := "credential &#34;" + key + "&#34; lacks the role for this (needs one of: admin"
		for _, path := range []string{"/admin", "/admin/kredensial", "/admin/pegawai", "/admin/jabatan", "/admin/katalog"} {
			expectPage(t, b.get(path), http.StatusForbidden, "Anda tidak berhak", lacks)
		}
		for path, form := range map[string]url.Values{
			"/admin/kredensial":       {"key": {"penyusup"}, "roles": {"admin"}},
			"/admin/kredensial/putar": {"key": {"admin-uji"}},
			"/admin/kredensial/cabut": {"key": {"admin-uji"}},
			"/admin/pegawai/terapkan": {"content": {"bmlwLG5hbWUK"}, "kind": {"csv"}},
			"/admin/jabatan":          {"json": {`[{"position":"X","standards":{"M.01":1}}]`}},
			"/admin/katalog":          {"activity": {"https://x.id/a"}, "form": {"KLS-KURSUS"}},
		} {
			expectPage(t, b.post(path, form), http.StatusForbidden, lacks)
		}
		p := b.upload("/admin/pegawai", url.Values{}, "berkas", "p.csv", []byte(peopleHeader+nipRekan+",Dewi,Biro Umum,Analis,PNS,WIB,\n"))
		expectPage(t, p, http.StatusForbidden, lacks)
	}
	if after := s.logHead(t); after != head {
		t.Fatalf("the log's head moved from %d to %d on refused actions", head, after)
	}
	v := s.browser(t)
	v.signIn("verifier")
	expectPage(t, v.get("/admin"), http.StatusForbidden, "needs one of: admin)")
	expectPage(t, v.get("/admin/pegawai"), http.StatusOK, `id="people-form"`)
}

// The admin's and auditor's pages read in English too, every text from
// the catalogue.
func TestAdmin_PagesInEnglish(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	b.signIn("admin")
	b.post("/bahasa", url.Values{"lang": {"en"}, "return": {"/admin"}})
	for path, want := range map[string]string{
		"/admin":            "Import people",
		"/admin/kredensial": "Add a credential",
		"/admin/pegawai":    "Upload a file",
		"/admin/jabatan":    "No position standards yet.",
		"/admin/katalog":    "Add an activity",
		"/auditor":          "Hash chain",
		"/auditor/akses":    "Personal data access log",
	} {
		expectPage(t, b.get(path), http.StatusOK, want, `<html lang="en">`)
	}
	p := b.upload("/admin/pegawai", url.Values{}, "berkas", "p.csv", []byte(peopleHeader+"123,,U,Analis,PNS,WIB,\n"))
	expectPage(t, p, http.StatusOK, "Errors found: 2. Nothing was applied", "Rows read: 1")
}
