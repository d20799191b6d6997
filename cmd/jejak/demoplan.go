package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/lrs/bangkom"
)

// The demo agency of `jejak serve --demo`: its tables, and the plan that
// turns them into people, learning and assessments. The plan is made from
// a fixed seed and the current date (WIB), so every demo made on one day is
// the same, and "this year" always holds learning.

const (
	demoInstansi = "Kementerian Contoh"
	demoTopUnit  = "Sekretariat Jenderal"
	demoSeed     = 18
	demoIRI      = "https://belajar.kementerian-contoh.go.id/"
)

// demoUnit is one unit of the demo agency: its head's position, how many
// staff it has and the positions they hold.
type demoUnit struct {
	Name     string
	Slug     string // in the key of its head's credential
	Parent   string
	Head     string // the head's position
	Staff    int
	Position []string // staff positions, drawn in turn
}

var demoUnits = []demoUnit{
	{"Biro SDM", "sdm", demoTopUnit, "Kepala Biro", 30, []string{"Analis SDM Aparatur Ahli Muda", "Analis SDM Aparatur Ahli Pertama", "Pengadministrasi Perkantoran", "Pranata Komputer Ahli Pertama"}},
	{"Biro Umum", "umum", demoTopUnit, "Kepala Biro", 45, []string{"Pengadministrasi Perkantoran", "Pengelola Barang Milik Negara", "Pengelola Pengadaan Barang/Jasa", "Pramu Bakti"}},
	{"Pusat Pengembangan Kompetensi", "pusbang", "", "Kepala Pusat", 40, []string{"Widyaiswara Ahli Muda", "Analis Kebijakan Ahli Pertama", "Pengadministrasi Perkantoran", "Pranata Komputer Ahli Pertama"}},
	{"Inspektorat", "inspektorat", "", "Inspektur", 35, []string{"Auditor Ahli Muda", "Auditor Ahli Pertama", "Pengadministrasi Perkantoran"}},
	{"Direktorat Layanan", "layanan", "", "Direktur", 60, []string{"Analis Kebijakan Ahli Muda", "Analis Kebijakan Ahli Pertama", "Pranata Komputer Ahli Pertama", "Pengadministrasi Perkantoran"}},
}

// The demo supervisor (demo-atasan) heads the first unit; the demo
// pegawai is its first staff member.
const demoTopPosition = "Sekretaris Jenderal"

// demoPosition is a position's standard: one level for the managerial and
// socio-cultural competencies, and technical ones apart. "Pramu Bakti"
// has none, so the demo shows people without a standard too.
type demoPosition struct {
	Name       string
	Managerial int
	Technical  map[string]int
}

var demoPositions = []demoPosition{
	{demoTopPosition, 5, map[string]int{"T.MR.01": 4}},
	{"Kepala Biro", 4, map[string]int{"T.MR.01": 4}},
	{"Kepala Pusat", 4, map[string]int{"T.MR.01": 4}},
	{"Inspektur", 4, map[string]int{"T.MR.01": 4}},
	{"Direktur", 4, map[string]int{"T.KEB.01": 4}},
	{"Analis SDM Aparatur Ahli Muda", 3, nil},
	{"Analis SDM Aparatur Ahli Pertama", 1, nil},
	{"Analis Kebijakan Ahli Muda", 3, map[string]int{"T.KEB.01": 3, "T.KEB.02": 3}},
	{"Analis Kebijakan Ahli Pertama", 1, map[string]int{"T.KEB.01": 2}},
	{"Widyaiswara Ahli Muda", 3, map[string]int{"T.KEB.01": 2}},
	{"Auditor Ahli Muda", 3, map[string]int{"T.MR.01": 3}},
	{"Auditor Ahli Pertama", 1, map[string]int{"T.MR.01": 2}},
	{"Pengelola Barang Milik Negara", 1, map[string]int{"T.BMN.01": 2}},
	{"Pengelola Pengadaan Barang/Jasa", 1, map[string]int{"T.PBJ.01": 2}},
	{"Pranata Komputer Ahli Pertama", 1, nil},
	{"Pengadministrasi Perkantoran", 1, nil},
}

// demoPositionNamed is the position called name; one without a standard
// when there is none.
func demoPositionNamed(name string) demoPosition {
	for _, p := range demoPositions {
		if p.Name == name {
			return p
		}
	}
	return demoPosition{Name: name}
}

var demoManagerial = []string{"M.01", "M.02", "M.03", "M.04", "M.05", "M.06", "M.07", "M.08", "SK.01"}

// standards returns the position's required level per competency, in a
// fixed order; none for a position without a standard.
func (p demoPosition) standards() []demoLevel {
	var out []demoLevel
	if p.Managerial == 0 {
		return nil
	}
	for _, c := range demoManagerial {
		out = append(out, demoLevel{c, p.Managerial})
	}
	for _, c := range []string{"T.KEB.01", "T.KEB.02", "T.BMN.01", "T.MR.01", "T.PBJ.01"} {
		if l, ok := p.Technical[c]; ok {
			out = append(out, demoLevel{c, l})
		}
	}
	return out
}

type demoLevel struct {
	Code  string
	Level int
}

// demoTopic is the learning offered for one competency, in both languages.
type demoTopic struct {
	Code, ID, EN, Slug string
}

var demoTopics = []demoTopic{
	{"M.01", "Integritas dan nilai dasar BerAKHLAK", "Integrity and the BerAKHLAK core values", "integritas"},
	{"M.02", "Kerja sama lintas unit", "Working together across units", "kerja-sama"},
	{"M.03", "Komunikasi efektif dan menulis nota dinas", "Effective communication and official memos", "komunikasi"},
	{"M.04", "Orientasi pada hasil kerja", "Results orientation", "orientasi-hasil"},
	{"M.05", "Pelayanan publik prima", "Excellent public service", "pelayanan-publik"},
	{"M.06", "Mengembangkan diri dan orang lain", "Developing yourself and others", "pengembangan-diri"},
	{"M.07", "Mengelola perubahan", "Managing change", "mengelola-perubahan"},
	{"M.08", "Pengambilan keputusan berbasis data", "Data-driven decision making", "keputusan"},
	{"SK.01", "Wawasan kebangsaan dan perekat bangsa", "National unity", "perekat-bangsa"},
	{"T.KEB.01", "Analisis kebijakan publik", "Public policy analysis", "analisis-kebijakan"},
	{"T.BMN.01", "Pengelolaan barang milik negara", "State asset management", "bmn"},
	{"T.MR.01", "Manajemen risiko sektor publik", "Public-sector risk management", "manajemen-risiko"},
	{"T.PBJ.01", "Pengadaan barang/jasa pemerintah", "Government procurement", "pbj"},
}

// demoForm is one way of learning a topic: its form, what the catalogue
// says of it, and how it is named.
type demoForm struct {
	Form, Path     string
	JP             float64 // declared JP for a catalogue entry; 0 for other units
	PrefixID       string
	PrefixEN       string
	ActivityType   string
	ByProvider     bool    // posted by the provider credential (approved on arrival)
	Weight         float64 // how often people learn this way
	EstimatedJP    float64 // what one claim usually counts, to plan a person's year
	ClassroomLarge bool    // a multi-day course: only for people who learn a lot
}

const demoTypes = bangkom.IRIBase + "/activity-types/"

var demoForms = []demoForm{
	{Form: "NK-ELEARN", Path: "elearning", JP: 3, PrefixID: "E-learning: ", PrefixEN: "E-learning: ",
		ActivityType: demoTypes + "e-learning-course", Weight: 0.34, EstimatedJP: 3},
	{Form: "NK-COACHING", Path: "coaching", PrefixID: "Coaching: ", PrefixEN: "Coaching: ",
		ActivityType: demoTypes + "coaching-session", Weight: 0.16, EstimatedJP: 2},
	{Form: "NK-MENTORING", Path: "mentoring", PrefixID: "Mentoring: ", PrefixEN: "Mentoring: ",
		ActivityType: demoTypes + "coaching-session", Weight: 0.1, EstimatedJP: 2},
	{Form: "NK-MANDIRI", Path: "mandiri", PrefixID: "Belajar mandiri: ", PrefixEN: "Self-study: ",
		ActivityType: demoTypes + "self-study", Weight: 0.25, EstimatedJP: 2},
	{Form: "KLS-WORKSHOP", Path: "workshop", PrefixID: "Lokakarya ", PrefixEN: "Workshop: ",
		ActivityType: demoTypes + "classroom-course", ByProvider: true, Weight: 0.1, EstimatedJP: 10},
	{Form: "KLS-TEKNIS", Path: "pelatihan", JP: 24, PrefixID: "Pelatihan ", PrefixEN: "Training: ",
		ActivityType: demoTypes + "classroom-course", ByProvider: true, Weight: 0.05, EstimatedJP: 24, ClassroomLarge: true},
}

// demoActivity is one catalogue entry of the demo.
type demoActivity struct {
	IRI, NameID, NameEN string
	Topic               demoTopic
	Form                demoForm
}

func newDemoActivity(t demoTopic, f demoForm) demoActivity {
	return demoActivity{IRI: demoIRI + f.Path + "/" + t.Slug, NameID: f.PrefixID + t.ID, NameEN: f.PrefixEN + t.EN, Topic: t, Form: f}
}

// demoCatalogue is every topic in every form.
func demoCatalogue() []demoActivity {
	var out []demoActivity
	for _, t := range demoTopics {
		for _, f := range demoForms {
			out = append(out, newDemoActivity(t, f))
		}
	}
	return out
}

var (
	demoMen     = []string{"Budi", "Agus", "Ahmad", "Dedi", "Eko", "Fajar", "Hendra", "Irfan", "Joko", "Rizki", "Yusuf", "Bambang", "Teguh", "Wahyu", "Arif", "Dimas", "Gilang", "Hadi", "Imam", "Rudi"}
	demoWomen   = []string{"Siti", "Dewi", "Ani", "Rina", "Sri", "Fitri", "Lestari", "Ratna", "Nur", "Putri", "Wulan", "Indah", "Ayu", "Yuni", "Maya", "Ratih", "Dian", "Endah", "Kartika", "Sari"}
	demoFamily  = []string{"Santoso", "Wijaya", "Hidayat", "Saputra", "Nugroho", "Pratama", "Kusuma", "Setiawan", "Lubis", "Siregar", "Nasution", "Harahap", "Tanjung", "Purnomo", "Wibowo", "Susanto", "Halim", "Gunawan", "Rahman", "Sembiring"}
	demoReasons = []string{
		"Bukti belum dilampirkan; mohon unggah sertifikat atau laporan",
		"Tanggal kegiatan tidak sesuai dengan surat tugas",
		"Catatan sesi tidak menjelaskan hasil belajar",
		"Kegiatan sama sudah dicatat sebelumnya",
		"Durasi belajar tidak didukung bukti",
	}
	demoResponses = map[string][]string{
		"NK-COACHING":  {"Catatan sesi: menyusun rencana kerja triwulan", "Catatan sesi: umpan balik atas laporan kinerja", "Catatan sesi: memecahkan masalah layanan"},
		"NK-MENTORING": {"Catatan mentoring: belajar menyusun telaahan staf", "Catatan mentoring: mendampingi rapat koordinasi"},
		"NK-MANDIRI":   {"Ringkasan: membaca modul dan membuat catatan", "Ringkasan: menonton webinar rekaman dan menulis refleksi", "Ringkasan: mempelajari peraturan terbaru"},
	}
)

// demoClaim is one learning claim of the plan and what becomes of it.
type demoClaim struct {
	ID       uuid.UUID
	NIP      bangkom.NIP
	Activity demoActivity
	At       time.Time
	Days     int    // a workshop's days
	Minutes  int    // self-study
	Response string // evidence: the claimant's note
	Poster   string // credential key that posts it
	Decision string // "", bangkom.Approved or bangkom.Rejected (provider claims need none)
	Reason   string
	Decider  string // credential key that decides it
	Actor    bangkom.NIP
	Decided  time.Time
	// DecisionID is the id of the decision statement.
	DecisionID uuid.UUID
}

// demoAssessment is one assessment of a person's competency.
type demoAssessment struct {
	ID    uuid.UUID
	NIP   bangkom.NIP
	Code  string
	Level int
	At    time.Time
}

// demoPlan is everything the demo writes, in the order it is written.
type demoPlan struct {
	now, yearStart time.Time
	people         []bangkom.Person
	byNIP          map[bangkom.NIP]bangkom.Person
	top            bangkom.Person
	heads          []bangkom.Person // one per demoUnits entry
	pegawai        bangkom.Person
	claims         []demoClaim
	assessments    []demoAssessment
	catalogue      []demoActivity
	problemClaims  []demoClaim // e-learning claims sent wrong (demoWriter.problems)
	unregistered   bangkom.NIP // a valid NIP nobody registered

	src  *rand.ChaCha8
	rng  *rand.Rand
	nips map[string]bool
}

// Credential keys of the demo. demo-atasan is the head of the first unit,
// demo-pimpinan the top official, demo-atasan-<slug> the other heads.
const (
	demoKeyAdmin     = "demo-admin"
	demoKeyPegawai   = "demo-pegawai"
	demoKeyAtasan    = "demo-atasan"
	demoKeyPimpinan  = "demo-pimpinan"
	demoKeyAnalis    = "demo-analis"
	demoKeyAuditor   = "demo-auditor"
	demoKeyVerifier  = "demo-verifikator"
	demoKeyAsesor    = "demo-asesor"
	demoKeyProvider  = "demo-pusbangkom"
	demoKeyLMS       = "demo-lms"
	demoKeySelfEntry = "demo-catat"
)

func newDemoPlan(now time.Time) *demoPlan {
	wib, _ := bangkom.Zone("WIB")
	now = now.In(wib)
	src := rand.NewChaCha8([32]byte{demoSeed})
	p := &demoPlan{
		now:       now,
		yearStart: time.Date(now.Year(), 1, 1, 0, 0, 0, 0, wib),
		byNIP:     map[bangkom.NIP]bangkom.Person{},
		src:       src, rng: rand.New(src),
		nips:      map[string]bool{},
		catalogue: demoCatalogue(),
	}
	p.planPeople()
	p.planLearning()
	p.planAssessments()
	p.planProblems()
	return p
}

// id is the next statement id of the plan.
func (p *demoPlan) id() uuid.UUID {
	id, _ := uuid.NewRandomFromReader(p.src)
	return id
}

// nip makes a new valid NIP: birth date, appointment, the month (PNS) or
// type code 21 (PPPK), sex and a sequence.
func (p *demoPlan) nip(female, pppk bool) bangkom.NIP {
	sex := '1'
	if female {
		sex = '2'
	}
	for {
		birth := time.Date(1966+p.rng.IntN(34), time.Month(1+p.rng.IntN(12)), 1+p.rng.IntN(28), 0, 0, 0, 0, time.UTC)
		year := min(birth.Year()+22+p.rng.IntN(14), p.now.Year()-1)
		code := 1 + p.rng.IntN(12)
		if pppk {
			year, code = min(max(2019+p.rng.IntN(5), birth.Year()+20), p.now.Year()-1), 21
		}
		s := fmt.Sprintf("%s%04d%02d%c%03d", birth.Format("20060102"), year, code, sex, 1+p.rng.IntN(999))
		if _, err := bangkom.ParseNIP(s); err != nil || p.nips[s] {
			continue
		}
		p.nips[s] = true
		return bangkom.NIP(s)
	}
}

// person makes a new person of unit with position, supervised by sup.
func (p *demoPlan) person(unit demoUnit, position string, sup bangkom.NIP) bangkom.Person {
	female := p.rng.IntN(2) == 0
	first := demoMen
	if female {
		first = demoWomen
	}
	pppk := position == "Pramu Bakti" || (position == "Pengadministrasi Perkantoran" && p.rng.IntN(3) == 0)
	typ := bangkom.PNS
	if pppk {
		typ = "PPPK"
	}
	per := bangkom.Person{
		NIP:  p.nip(female, pppk),
		Name: first[p.rng.IntN(len(first))] + " " + demoFamily[p.rng.IntN(len(demoFamily))],
		Unit: unit.Name, ParentUnit: unit.Parent, Instansi: demoInstansi,
		Position: position, Type: typ, Timezone: "WIB", SupervisorNIP: sup,
	}
	p.people = append(p.people, per)
	p.byNIP[per.NIP] = per
	return per
}

// planPeople makes the top official, one head per unit under them, and
// each unit's staff under its head.
func (p *demoPlan) planPeople() {
	p.top = p.person(demoUnit{Name: demoTopUnit}, demoTopPosition, "")
	for i, u := range demoUnits {
		head := p.person(u, u.Head, p.top.NIP)
		p.heads = append(p.heads, head)
		for j := range u.Staff {
			per := p.person(u, u.Position[j%len(u.Position)], head.NIP)
			if i == 0 && j == 0 {
				p.pegawai = per
			}
		}
	}
}

// day is a moment on the learning day frac of the way through this year
// so far (0 is 1 January), during working hours, never after now.
func (p *demoPlan) day(frac float64) time.Time {
	days := int(p.now.Sub(p.yearStart).Hours() / 24)
	d := p.yearStart.AddDate(0, 0, int(frac*float64(days)))
	t := d.Add(time.Duration(8+p.rng.IntN(8))*time.Hour + time.Duration(p.rng.IntN(60))*time.Minute)
	if latest := p.now.Add(-time.Hour); t.After(latest) {
		t = latest
	}
	return t
}

// activity draws an activity of form f not taken yet (a coaching,
// mentoring or self-study topic may come again), mostly of a competency
// of the person's own standard.
func (p *demoPlan) activity(f demoForm, taken map[string]bool, per bangkom.Person) demoActivity {
	var own []demoTopic
	for _, l := range demoPositionNamed(per.Position).standards() {
		for _, t := range demoTopics {
			if t.Code == l.Code {
				own = append(own, t)
			}
		}
	}
	for range 20 {
		t := demoTopics[p.rng.IntN(len(demoTopics))]
		if len(own) > 0 && p.rng.IntN(4) > 0 {
			t = own[p.rng.IntN(len(own))]
		}
		a := newDemoActivity(t, f)
		if !taken[a.IRI] || f.Form == "NK-COACHING" || f.Form == "NK-MENTORING" || f.Form == "NK-MANDIRI" {
			taken[a.IRI] = true
			return a
		}
	}
	return demoActivity{}
}

// form draws a form by weight; a large classroom course only when need is
// large.
func (p *demoPlan) form(need float64) demoForm {
	for {
		x := p.rng.Float64()
		for _, f := range demoForms {
			if x -= f.Weight; x < 0 {
				if f.ClassroomLarge && need < 16 {
					break
				}
				return f
			}
		}
	}
}

// planLearning gives everyone a year of learning: some aim past the 20 JP,
// most stay below, a few learn nothing. The demo pegawai's year is set by
// hand so that their page shows every state.
func (p *demoPlan) planLearning() {
	for _, per := range p.people {
		if per.NIP == p.pegawai.NIP {
			p.planPegawai()
			continue
		}
		var aim float64
		switch x := p.rng.Float64(); {
		case x < 0.3:
			aim = 20 + float64(p.rng.IntN(16))
		case x < 0.8:
			aim = 6 + float64(p.rng.IntN(13))
		case x < 0.93:
			aim = 1 + float64(p.rng.IntN(5))
		}
		taken := map[string]bool{}
		for sum := 0.0; sum < aim && len(taken) < 12; {
			f := p.form(aim - sum)
			a := p.activity(f, taken, per)
			if a.IRI == "" {
				break
			}
			c := p.claim(per, a, p.day(p.rng.Float64()))
			p.decide(&c, per)
			p.claims = append(p.claims, c)
			sum += f.EstimatedJP
		}
	}
	p.planOldPending()
}

// claim is a claim of per for a, on at.
func (p *demoPlan) claim(per bangkom.Person, a demoActivity, at time.Time) demoClaim {
	c := demoClaim{ID: p.id(), NIP: per.NIP, Activity: a, At: at, Poster: demoKeySelfEntry}
	switch a.Form.Form {
	case "NK-ELEARN":
		c.Poster = demoKeyLMS
	case "KLS-WORKSHOP":
		c.Poster, c.Days = demoKeyProvider, 2+p.rng.IntN(2)
	case "KLS-TEKNIS":
		c.Poster, c.Days = demoKeyProvider, 3+p.rng.IntN(3)
	case "NK-MANDIRI":
		c.Minutes = []int{90, 90, 120, 180}[p.rng.IntN(4)]
	}
	if rs := demoResponses[a.Form.Form]; len(rs) > 0 {
		c.Response = rs[p.rng.IntN(len(rs))]
	}
	if per.NIP == p.pegawai.NIP && c.Poster == demoKeySelfEntry {
		c.Poster = demoKeyPegawai
	}
	return c
}

// decide says what becomes of a claim that waits for a decision: most are
// approved by the claimant's supervisor (some by the verifier), some
// rejected with a reason, and some stay pending, more of them in the
// demo supervisor's unit.
func (p *demoPlan) decide(c *demoClaim, per bangkom.Person) {
	if c.Activity.Form.ByProvider {
		return
	}
	pending := 0.12
	if per.SupervisorNIP == p.heads[0].NIP {
		pending = 0.2
	}
	switch x := p.rng.Float64(); {
	case x < pending:
		return
	case x < pending+0.07:
		c.Decision, c.Reason = bangkom.Rejected, demoReasons[p.rng.IntN(len(demoReasons))]
	default:
		c.Decision = bangkom.Approved
	}
	c.Decider, c.Actor = p.supervisorKey(per.SupervisorNIP), per.SupervisorNIP
	if p.rng.IntN(10) == 0 || c.Decider == "" { // the top official's claims: the verifier
		c.Decider, c.Actor = demoKeyVerifier, ""
	}
	c.Decided = p.notAfterNow(c.At.Add(time.Duration(1+p.rng.IntN(10)) * 24 * time.Hour))
	c.DecisionID = p.id()
}

// notAfterNow is t, or a minute ago when t is later.
func (p *demoPlan) notAfterNow(t time.Time) time.Time {
	if latest := p.now.Add(-time.Minute); t.After(latest) {
		return latest
	}
	return t
}

// supervisorKey is the key of the credential bound to supervisor nip.
func (p *demoPlan) supervisorKey(nip bangkom.NIP) string {
	if nip == p.top.NIP {
		return demoKeyPimpinan
	}
	for i, h := range p.heads {
		if h.NIP == nip {
			if i == 0 {
				return demoKeyAtasan
			}
			return demoKeyAtasan + "-" + demoUnits[i].Slug
		}
	}
	return ""
}

// formNamed is the demo form of code.
func formNamed(code string) demoForm {
	for _, f := range demoForms {
		if f.Form == code {
			return f
		}
	}
	panic("demo: no form " + code)
}

// planPegawai gives the demo pegawai recognised, pending and rejected
// learning, below the 20 JP so far.
func (p *demoPlan) planPegawai() {
	per := p.pegawai
	taken := map[string]bool{}
	for _, step := range []struct {
		form     string
		frac     float64
		decision string
	}{
		{"KLS-WORKSHOP", 0.2, ""},
		{"NK-ELEARN", 0.45, bangkom.Approved},
		{"NK-COACHING", 0.6, bangkom.Approved},
		{"NK-MANDIRI", 0.7, bangkom.Rejected},
		{"NK-COACHING", 0.8, ""},
		{"NK-ELEARN", 0.9, ""},
		{"NK-MANDIRI", 0.97, ""},
	} {
		c := p.claim(per, p.activity(formNamed(step.form), taken, per), p.day(step.frac))
		if c.Days > 0 {
			c.Days = 2 // 10 JP: with the rest, 15 JP recognised
		}
		if step.decision != "" {
			c.Decision, c.Decider, c.Actor = step.decision, demoKeyAtasan, per.SupervisorNIP
			if step.decision == bangkom.Rejected {
				c.Reason = demoReasons[0]
			}
			c.Decided = p.notAfterNow(c.At.Add(3 * 24 * time.Hour))
			c.DecisionID = p.id()
		}
		p.claims = append(p.claims, c)
	}
}

// planOldPending adds claims of last December that still wait, so the
// demo supervisor's queue reaches into the year before.
func (p *demoPlan) planOldPending() {
	staff := p.people[2 : 2+demoUnits[0].Staff] // the top official, the first head, then its staff
	for i, per := range staff[1:3] {
		at := p.yearStart.AddDate(0, 0, -10-7*i).Add(10 * time.Hour)
		p.claims = append(p.claims, p.claim(per, p.activity(formNamed("NK-COACHING"), map[string]bool{}, per), at))
	}
}

// planAssessments assesses a quarter of the people in every competency
// of their standard (within the last two years), half of them in some
// (a fifth of those over three years ago: stale), and leaves the rest
// never assessed. A level is about the required one. The demo pegawai
// gets one of each state.
func (p *demoPlan) planAssessments() {
	for _, per := range p.people {
		assessed := []float64{1, 0.45, 0.45, 0}[p.rng.IntN(4)] // the share of competencies assessed
		for i, std := range demoPositionNamed(per.Position).standards() {
			if per.NIP == p.pegawai.NIP {
				p.assessPegawai(i, std)
				continue
			}
			if p.rng.Float64() >= assessed {
				continue
			}
			if assessed < 1 && p.rng.IntN(5) == 0 {
				p.assess(per.NIP, std.Code, max(1, std.Level-p.rng.IntN(2)), p.now.AddDate(-4, 0, -p.rng.IntN(300)))
				continue
			}
			level := std.Level + []int{-1, -1, 0, 0, 0, 1}[p.rng.IntN(6)]
			p.assess(per.NIP, std.Code, max(1, min(5, level)), p.now.AddDate(0, 0, -30-p.rng.IntN(640)))
		}
	}
}

// assessPegawai: the first competency meets the standard, the next two
// are below it, the fourth is stale, the rest not assessed.
func (p *demoPlan) assessPegawai(i int, std demoLevel) {
	switch i {
	case 0:
		p.assess(p.pegawai.NIP, std.Code, std.Level, p.now.AddDate(0, -5, 0))
	case 1, 2:
		p.assess(p.pegawai.NIP, std.Code, max(1, std.Level-1), p.now.AddDate(0, -5, 0))
	case 3:
		p.assess(p.pegawai.NIP, std.Code, std.Level, p.now.AddDate(-4, 0, 0))
	}
}

func (p *demoPlan) assess(nip bangkom.NIP, code string, level int, at time.Time) {
	p.assessments = append(p.assessments, demoAssessment{ID: p.id(), NIP: nip, Code: code, Level: level, At: at})
}

// planProblems makes three e-learning claims of the last people that the
// LMS will send wrong, and a NIP that is not registered.
func (p *demoPlan) planProblems() {
	for _, per := range p.people[len(p.people)-3:] {
		p.problemClaims = append(p.problemClaims, p.claim(per, p.activity(formNamed("NK-ELEARN"), map[string]bool{}, per), p.day(p.rng.Float64())))
	}
	p.unregistered = p.nip(true, false)
}
