package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jejak-id/jejak/lrs/bangkom"
)

// Hard limits: a bench run is bounded in time, size and fan-out whatever
// the flags say.
const (
	benchMaxDuration    = 30 * time.Minute
	benchMaxWarmup      = time.Minute
	benchMaxCount       = 100_000_000
	benchMaxConcurrency = 1024
	benchMaxBatch       = 1000
	benchMaxPeople      = 1_000_000
	benchProbeEvery     = 200 * time.Millisecond
	benchProbesInFlight = 8
	benchDrainMax       = 30 * time.Second // wait for consistent-through after the last ack
	benchRequestTimeout = time.Minute      // the most --request-timeout may be
	benchDownFor        = time.Second      // a node that refused a connection is skipped this long
	benchAllDownPause   = 100 * time.Millisecond
	benchApprovalShare  = 0.05
	benchTimelineStep   = 10 * time.Millisecond
)

// benchConfig is the command line of `jejak bench`.
type benchConfig struct {
	URL         string
	urls        []string // --url split at commas, trailing slashes trimmed
	JPURL       string
	jpURLs      []string
	Auth        string
	Version     string
	Concurrency int
	Batch       string
	batches     []int
	Duration    time.Duration
	Warmup      time.Duration
	Timeout     time.Duration
	Count       int64
	Reads       float64
	People      int
	Seed        uint64
	AllowRemote bool
	PID         int
	JSON        bool
}

const benchUsage = `usage: jejak bench [flags]

Posts realistic ASN xAPI traffic (NIP-keyed account agents, the Bangkom forms
of learning with their extensions, supervisor approvals) to any xAPI endpoint
and reports acknowledged and projected statements/s, latency percentiles,
errors by status and, with --pid, the server's peak RSS and its CPU time per
statement. Loopback targets only unless --allow-remote.

Flags:
`

// runBench serves `jejak bench`.
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg benchConfig
	f := newFlags("bench", getenv, stderr)
	f.String(&cfg.URL, "url", "http://127.0.0.1:8080/xapi", "xAPI base URL of the LRS under test, or several nodes' separated by commas: client i writes, reads and probes at URL i mod n")
	f.String(&cfg.JPURL, "jp-url", "", "Jejak /api/v1 base URL (or several, separated by commas, as --url); when set, reads include JP lookups and the generated people are registered first")
	f.String(&cfg.Auth, "auth", "", "key:secret for HTTP Basic authentication")
	f.String(&cfg.Version, "xapi-version", "1.0.3", "X-Experience-API-Version header to send")
	f.Int(&cfg.Concurrency, "concurrency", 8, "concurrent clients (≤ 1024)")
	f.String(&cfg.Batch, "batch", "1", "statements per POST, or a mix drawn uniformly per request, e.g. 1,10,100 (each ≤ 1000)")
	benchFlag(f, "duration", "how long to run (≤ 30m); the run stops at duration or count, whichever comes first", func(n, h string) {
		f.fs.DurationVar(&cfg.Duration, n, 10*time.Second, h)
	})
	benchFlag(f, "warmup", "unmeasured traffic before the run (≤ 1m)", func(n, h string) {
		f.fs.DurationVar(&cfg.Warmup, n, 0, h)
	})
	benchFlag(f, "request-timeout", "give up on a request after this long (≤ 1m); it counts as a transport error", func(n, h string) {
		f.fs.DurationVar(&cfg.Timeout, n, benchRequestTimeout, h)
	})
	benchFlag(f, "count", "total statements to post, 0 = bounded by --duration only (≤ 100000000)", func(n, h string) {
		f.fs.Int64Var(&cfg.Count, n, 0, h)
	})
	benchFlag(f, "reads", "fraction of requests that are reads (agent-filtered statement queries; JP lookups with --jp-url), 0..1", func(n, h string) {
		f.fs.Float64Var(&cfg.Reads, n, 0, h)
	})
	f.Int(&cfg.People, "people", 10000, "distinct NIPs in the traffic (2..1000000)")
	benchFlag(f, "seed", "seed of the traffic (people, forms, batch sizes); statement ids are random per run", func(n, h string) {
		f.fs.Uint64Var(&cfg.Seed, n, 1, h)
	})
	benchFlag(f, "allow-remote", "allow a target that is not loopback (127.0.0.0/8, ::1)", func(n, h string) {
		f.fs.BoolVar(&cfg.AllowRemote, n, false, h)
	})
	f.Int(&cfg.PID, "pid", 0, "server process id: sample its VmRSS from /proc/<pid>/status and report the peak, and the CPU time it used (/proc/<pid>/stat)")
	benchFlag(f, "json", "print the report as one JSON object", func(n, h string) {
		f.fs.BoolVar(&cfg.JSON, n, false, h)
	})
	f.fs.Usage = func() {
		fmt.Fprint(stderr, benchUsage)
		f.fs.PrintDefaults()
	}
	if err := f.parse(args); err != nil {
		return err
	}
	if err := cfg.check(); err != nil {
		return err
	}
	for _, u := range append(append([]string(nil), cfg.urls...), cfg.jpURLs...) {
		if err := benchCheckLoopback(ctx, u, cfg.AllowRemote); err != nil {
			return err
		}
	}
	rep, err := benchRun(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	if cfg.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(stdout)
	return nil
}

// benchFlag registers a flag of a type envFlags has no helper for, with its
// JEJAK_* environment fallback.
func benchFlag(f *envFlags, name, help string, def func(name, help string)) {
	f.env[name] = envName(name)
	def(name, help+" ["+envName(name)+"]")
}

func (c *benchConfig) check() error {
	bad := func(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }
	var err error
	if c.urls, err = benchSplitURLs(c.URL); err != nil {
		return bad("--url: %v; want an http(s) URL such as http://127.0.0.1:8080/xapi, or several separated by commas", err)
	}
	c.jpURLs = nil
	if c.JPURL != "" {
		if c.jpURLs, err = benchSplitURLs(c.JPURL); err != nil {
			return bad("--jp-url: %v; want an http(s) URL such as http://127.0.0.1:8080/api/v1, or several separated by commas", err)
		}
	}
	if c.Auth != "" {
		if k, _, ok := strings.Cut(c.Auth, ":"); !ok || k == "" {
			return bad("--auth: want key:secret")
		}
	}
	if c.Version == "" {
		return bad("--xapi-version must not be empty")
	}
	if c.Concurrency < 1 || c.Concurrency > benchMaxConcurrency {
		return bad("--concurrency %d: want 1..%d", c.Concurrency, benchMaxConcurrency)
	}
	if n := max(len(c.urls), len(c.jpURLs)); c.Concurrency < n {
		return bad("--concurrency %d is fewer than the %d URLs given: client i goes to URL i mod %d, so some would get no load", c.Concurrency, n, n)
	}
	c.batches = nil
	for _, s := range strings.Split(c.Batch, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > benchMaxBatch {
			return bad("--batch %q: want sizes 1..%d separated by commas, e.g. 1,10,100", c.Batch, benchMaxBatch)
		}
		c.batches = append(c.batches, n)
	}
	if c.Duration <= 0 || c.Duration > benchMaxDuration {
		return bad("--duration %s: want more than 0 and at most %s", c.Duration, benchMaxDuration)
	}
	if c.Warmup < 0 || c.Warmup > benchMaxWarmup {
		return bad("--warmup %s: want 0..%s", c.Warmup, benchMaxWarmup)
	}
	if c.Timeout <= 0 || c.Timeout > benchRequestTimeout {
		return bad("--request-timeout %s: want more than 0 and at most %s", c.Timeout, benchRequestTimeout)
	}
	if c.Count < 0 || c.Count > benchMaxCount {
		return bad("--count %d: want 0..%d", c.Count, benchMaxCount)
	}
	if math.IsNaN(c.Reads) || c.Reads < 0 || c.Reads > 1 {
		return bad("--reads %v: want a fraction 0..1", c.Reads)
	}
	if c.People < 2 || c.People > benchMaxPeople {
		return bad("--people %d: want 2..%d", c.People, benchMaxPeople)
	}
	if c.PID < 0 {
		return bad("--pid %d: want a process id", c.PID)
	}
	return nil
}

// benchSplitURLs splits a comma-separated list of http(s) base URLs and
// trims their trailing slashes; a URL given twice is refused (its node
// would take twice the load).
func benchSplitURLs(list string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, raw := range strings.Split(list, ",") {
		raw = strings.TrimSuffix(strings.TrimSpace(raw), "/")
		u, err := url.Parse(raw)
		if raw == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%q is not an http(s) URL", raw)
		}
		if seen[raw] {
			return nil, fmt.Errorf("%s is given twice", raw)
		}
		seen[raw] = true
		out = append(out, raw)
	}
	return out, nil
}

// benchNode is the index of the URL client (or probe) i uses among n.
func benchNode(i, n int) int { return i % n }

// benchCheckLoopback refuses a target whose host is not, or does not resolve
// only to, loopback addresses (127.0.0.0/8, ::1), unless allowRemote.
func benchCheckLoopback(ctx context.Context, raw string, allowRemote bool) error {
	if allowRemote {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return usageError{fmt.Sprintf("%q: %v", raw, err)}
	}
	host := u.Hostname()
	if host == "" {
		return usageError{fmt.Sprintf("%q has no host", raw)}
	}
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		addrs, err := net.DefaultResolver.LookupIPAddr(rctx, host)
		cancel()
		if err != nil {
			return fmt.Errorf("resolve %s: %w", host, err)
		}
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	if len(ips) == 0 {
		return fmt.Errorf("resolve %s: no addresses", host)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return usageError{fmt.Sprintf("%s resolves to %s, which is not loopback; give --allow-remote to load a remote LRS (only one you are allowed to load)", host, ip)}
		}
	}
	return nil
}

// ---------------------------------------------------------------- traffic

// benchPerson is one civil servant of the generated population.
type benchPerson struct {
	nip  string
	name string
	tz   int8 // hours east of UTC: 7 WIB, 8 WITA, 9 WIT
	sup  int32
}

var (
	benchFirstNames = []string{"Siti", "Budi", "Rina", "Agus", "Dewi", "Andi", "Nur", "Wayan", "Made", "Putu", "Rahmat", "Fitri",
		"Yusuf", "Ratna", "Hendra", "Sri", "Bambang", "Ayu", "Dian", "Eko", "Lestari", "Teguh", "Indah", "Ahmad", "Maria", "Yohanes"}
	benchLastNames = []string{"Rahmawati", "Santoso", "Wulandari", "Saputra", "Lestari", "Pratama", "Hidayat", "Susanti", "Nugroho",
		"Kurniawan", "Siregar", "Harahap", "Simanjuntak", "Wijaya", "Setiawan", "Permata", "Sitompul", "Manurung", "Tanjung", "Pane"}
	benchUnits = []string{"Biro Umum", "Biro SDM", "Direktorat Perencanaan", "Pusdiklat", "Inspektorat", "BKPSDM Kota Bandung",
		"BKPSDM Kab. Sleman", "Dinas Pendidikan", "Dinas Kesehatan", "Bappeda"}
	benchPositions = []string{"Analis Kebijakan Ahli Muda", "Pranata Komputer Ahli Pertama", "Analis SDM Aparatur", "Perencana Ahli Muda",
		"Auditor Ahli Pertama", "Pengelola Keuangan", "Guru Ahli Pertama", "Perawat Terampil"}
	benchCompetencies = []string{"M.01", "M.02", "M.03", "M.04", "M.05", "M.06", "M.07", "M.08"}
	benchCourses      = []struct{ slug, id, en string }{
		{"analisis-kebijakan-publik", "Analisis Kebijakan Publik", "Public Policy Analysis"},
		{"manajemen-risiko", "Manajemen Risiko Sektor Publik", "Public Sector Risk Management"},
		{"pelayanan-publik-prima", "Pelayanan Publik Prima", "Excellent Public Service"},
		{"literasi-digital-asn", "Literasi Digital ASN", "Digital Literacy for Civil Servants"},
		{"anggaran-berbasis-kinerja", "Penyusunan Anggaran Berbasis Kinerja", "Performance-Based Budgeting"},
		{"etika-integritas", "Etika dan Integritas ASN", "Civil Service Ethics and Integrity"},
		{"manajemen-asn", "Manajemen ASN", "Civil Service Management"},
		{"wawasan-kebangsaan", "Wawasan Kebangsaan", "National Insight"},
		{"sakip", "Sistem Akuntabilitas Kinerja", "Performance Accountability System"},
		{"pengadaan-barang-jasa", "Pengadaan Barang dan Jasa Pemerintah", "Government Procurement"},
	}
	benchPlatforms = []string{"LMS Pusdiklat", "ASN Unggul", "MOOC LAN", "KMS Kementerian", "SIPKA Pusdiklat", "Bapekom Jakarta",
		"BPSDM Provinsi Jawa Barat", "Pusbin JF Analis Kebijakan"}
)

// benchKind is how a form of learning shows in a statement.
type benchKind int

const (
	benchKindElearn       benchKind = iota // result.duration, sometimes declared JP
	benchKindDuration                      // result.duration
	benchKindSession                       // attended, one session with an instructor
	benchKindPerDay                        // attended, days, sometimes international
	benchKindClassroom                     // completed, declared JP, days, a provider platform
	benchKindAssignment                    // completed, days
	benchKindContribution                  // a KMS contribution
)

// benchForms are the rule codes of schemas/jp-rules with realistic weights
// (per mille): e-learning dominates, then classroom and seminars.
var benchForms = []struct {
	code   string
	weight int
	kind   benchKind
}{
	{"NK-ELEARN", 300, benchKindElearn}, {"WPL-MICRO", 90, benchKindElearn}, {"NK-PJJ", 40, benchKindElearn},
	{"KLS-SEMINAR", 80, benchKindPerDay}, {"KLS-WORKSHOP", 40, benchKindPerDay}, {"KLS-SOSIALISASI", 30, benchKindPerDay},
	{"KLS-TEKNIS", 60, benchKindClassroom}, {"KLS-BIMTEK", 50, benchKindClassroom}, {"KLS-FUNGS", 20, benchKindClassroom},
	{"KLS-KURSUS", 20, benchKindClassroom}, {"KLS-MANAJ", 15, benchKindClassroom}, {"KLS-SOSKUL", 10, benchKindClassroom},
	{"KLS-STRUK", 5, benchKindClassroom}, {"KLS-PENATARAN", 5, benchKindClassroom}, {"KLS-LAIN", 5, benchKindClassroom},
	{"NK-OUTBOND", 5, benchKindClassroom}, {"PDD-TUBEL", 1, benchKindClassroom}, {"PDD-IZBEL", 1, benchKindClassroom},
	{"NK-COACHING", 50, benchKindSession}, {"NK-MENTORING", 40, benchKindSession}, {"NK-BIMKERJA", 15, benchKindSession},
	{"NK-KOMUNITAS", 25, benchKindDuration}, {"NK-MANDIRI", 25, benchKindDuration}, {"WPL-KASUS", 10, benchKindDuration},
	{"WPL-SIMULASI", 10, benchKindDuration}, {"NK-TEAMBLD", 5, benchKindDuration}, {"NK-PRIORITAS", 5, benchKindDuration},
	{"NK-LAIN", 3, benchKindDuration}, {"WPL-JOBAID", 5, benchKindDuration},
	{"WPL-KMS", 20, benchKindContribution},
	{"NK-BENCHMARK", 4, benchKindAssignment}, {"NK-MAGANG", 3, benchKindAssignment}, {"NK-DETASERING", 2, benchKindAssignment},
	{"NK-PERTUKARAN", 1, benchKindAssignment},
}

var benchFormTotal = func() int {
	t := 0
	for _, f := range benchForms {
		t += f.weight
	}
	return t
}()

// benchNIP draws a valid 18-digit NIP: birth date (1965–2000), appointment
// year and month 19–35 years later and not after 2025, sex digit, sequence.
func benchNIP(r *rand.Rand) string {
	birth := time.Date(1965+r.IntN(36), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
	year := birth.Year() + 19 + r.IntN(17)
	if year > 2025 {
		year = 2025
	}
	b := make([]byte, 0, 18)
	b = birth.AppendFormat(b, "20060102")
	b = strconv.AppendInt(b, int64(year), 10)
	m := 1 + r.IntN(12)
	b = append(b, byte('0'+m/10), byte('0'+m%10))
	b = append(b, byte('1'+r.IntN(2)))
	s := 1 + r.IntN(999)
	b = append(b, byte('0'+s/100), byte('0'+s/10%10), byte('0'+s%10))
	return string(b)
}

// benchPeople draws n distinct people; person i reports to the head of its
// team of ten, a head to the head of its hundred, those to person 0.
func benchPeople(seed uint64, n int) []benchPerson {
	r := rand.New(rand.NewPCG(seed, 0x6e6970))
	seen := make(map[string]struct{}, n)
	people := make([]benchPerson, n)
	for i := range people {
		nip := benchNIP(r)
		for {
			if _, dup := seen[nip]; !dup {
				break
			}
			nip = benchNIP(r)
		}
		seen[nip] = struct{}{}
		tz := int8(7)
		switch x := r.IntN(10); {
		case x >= 9:
			tz = 9
		case x >= 7:
			tz = 8
		}
		sup := i - i%10
		if sup == i {
			sup = i - i%100
		}
		if sup == i {
			sup = 0
		}
		if i == 0 {
			sup = -1
		}
		people[i] = benchPerson{nip: nip, tz: tz, sup: int32(sup),
			name: benchFirstNames[r.IntN(len(benchFirstNames))] + " " + benchLastNames[r.IntN(len(benchLastNames))]}
	}
	return people
}

// benchClaim is an acknowledged claim an approval may reference.
type benchClaim struct {
	id     [36]byte
	person int32
}

// benchPool holds acknowledged claims awaiting a supervisor's approval;
// bounded, oldest dropped.
type benchPool struct {
	mu     sync.Mutex
	claims []benchClaim
}

const benchPoolMax = 4096

func (p *benchPool) add(cs []benchClaim) {
	p.mu.Lock()
	p.claims = append(p.claims, cs...)
	if over := len(p.claims) - benchPoolMax; over > 0 {
		p.claims = append(p.claims[:0], p.claims[over:]...)
	}
	p.mu.Unlock()
}

func (p *benchPool) take(r *rand.Rand) (benchClaim, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.claims) == 0 {
		return benchClaim{}, false
	}
	i := r.IntN(len(p.claims))
	c := p.claims[i]
	p.claims[i] = p.claims[len(p.claims)-1]
	p.claims = p.claims[:len(p.claims)-1]
	return c, true
}

// benchGen writes statements; one per worker (not safe for concurrent use).
type benchGen struct {
	worker int // its index: it goes to URL worker mod n
	people []benchPerson
	pool   *benchPool
	r      *rand.Rand // traffic, from --seed
	ids    *rand.Rand // statement ids, random per run
	now    time.Time
	buf    []byte
}

func newBenchGen(seed uint64, worker int, people []benchPerson, pool *benchPool) *benchGen {
	var k [16]byte
	_, _ = crand.Read(k[:])
	return &benchGen{worker: worker, people: people, pool: pool,
		r:   rand.New(rand.NewPCG(seed, uint64(worker)+1)),
		ids: rand.New(rand.NewPCG(binary.LittleEndian.Uint64(k[:8]), binary.LittleEndian.Uint64(k[8:]))),
		now: time.Now()}
}

// benchAppendUUID appends a random version 4 UUID.
func benchAppendUUID(b []byte, r *rand.Rand) []byte {
	var u [16]byte
	binary.LittleEndian.PutUint64(u[:8], r.Uint64())
	binary.LittleEndian.PutUint64(u[8:], r.Uint64())
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hex[x>>4], hex[x&0x0f])
	}
	return b
}

// benchAppendStr appends s as a JSON string.
func benchAppendStr(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, fmt.Sprintf(`\u%04x`, c)...)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func benchAppendAgent(b []byte, p *benchPerson) []byte {
	b = append(b, `{"objectType":"Agent","name":`...)
	b = benchAppendStr(b, p.name)
	b = append(b, `,"account":{"homePage":"`+bangkom.DefaultHomePage+`","name":"`...)
	b = append(b, p.nip...)
	return append(b, `"}}`...)
}

// appendTimestamp appends a time in the last year (not the future, and not
// before 1 January of the current year unless the year is young) in the
// person's zone.
func (g *benchGen) appendTimestamp(b []byte, p *benchPerson) []byte {
	back := g.now.Sub(time.Date(g.now.Year(), 1, 1, 0, 0, 0, 0, time.UTC))
	if back < 30*24*time.Hour {
		back = 30 * 24 * time.Hour
	}
	t := g.now.Add(-time.Hour - time.Duration(g.r.Int64N(int64(back)))).In(time.FixedZone("", int(p.tz)*3600)).Truncate(time.Second)
	b = append(b, '"')
	b = t.AppendFormat(b, "2006-01-02T15:04:05-07:00")
	return append(b, '"')
}

// claim appends one learning claim of a form drawn by weight and returns
// the buffer and the claim (for a later approval).
func (g *benchGen) claim(b []byte) ([]byte, benchClaim) {
	r := g.r
	pi := r.IntN(len(g.people))
	p := &g.people[pi]
	x := r.IntN(benchFormTotal)
	fi := 0
	for ; x >= benchForms[fi].weight; fi++ {
		x -= benchForms[fi].weight
	}
	form := benchForms[fi]
	course := benchCourses[r.IntN(len(benchCourses))]
	platform := benchPlatforms[r.IntN(len(benchPlatforms))]
	host := "lms.bangkom.go.id"

	var c benchClaim
	b = append(b, `{"id":"`...)
	start := len(b)
	b = benchAppendUUID(b, g.ids)
	copy(c.id[:], b[start:])
	c.person = int32(pi)
	b = append(b, `","actor":`...)
	b = benchAppendAgent(b, p)

	verb, verbEN, verbID := "completed", "completed", "menyelesaikan"
	actType, actName, path := "http://adlnet.gov/expapi/activities/course", course.id, "/course/"+course.slug
	switch form.kind {
	case benchKindElearn, benchKindDuration:
		m := 1 + r.IntN(8)
		actType, actName, path = "http://adlnet.gov/expapi/activities/module", course.id+": Modul "+strconv.Itoa(m), "/course/"+course.slug+"/modul-"+strconv.Itoa(m)
		if r.IntN(4) == 0 {
			verb, verbEN, verbID = "passed", "passed", "lulus"
		}
	case benchKindSession:
		verb, verbEN, verbID = "attended", "attended", "menghadiri"
		actType, actName, path = "http://adlnet.gov/expapi/activities/meeting", "Sesi "+strings.ToLower(form.code[3:])+": "+course.id, "/sesi/"+strings.ToLower(form.code)+"/"+course.slug
		host = "coaching.bangkom.go.id"
	case benchKindPerDay:
		verb, verbEN, verbID = "attended", "attended", "menghadiri"
		actType, actName, path = "http://adlnet.gov/expapi/activities/meeting", "Seminar Nasional "+course.id, "/event/"+course.slug
		host = "event.bangkom.go.id"
	case benchKindClassroom:
		host = "sipka.pusdiklat.go.id"
		path = "/pelatihan/" + strings.ToLower(form.code) + "/" + course.slug + "/angkatan-" + strconv.Itoa(1+r.IntN(40))
		actName = "Pelatihan " + course.id + " Angkatan " + strconv.Itoa(1+r.IntN(40))
	case benchKindAssignment:
		host = "simpeg.bangkom.go.id"
		path = "/penugasan/" + strings.ToLower(form.code) + "/" + course.slug
		actName = "Penugasan: " + course.id
	case benchKindContribution:
		host = "kms.bangkom.go.id"
		actType, path = "http://id.tincanapi.com/activitytype/blog", "/artikel/"+course.slug+"-"+strconv.Itoa(r.IntN(10000))
		actName = "Artikel KMS: " + course.id
	}
	b = append(b, `,"verb":{"id":"http://adlnet.gov/expapi/verbs/`...)
	b = append(b, verb...)
	b = append(b, `","display":{"en-US":"`...)
	b = append(b, verbEN...)
	b = append(b, `","id-ID":"`...)
	b = append(b, verbID...)
	b = append(b, `"}},"object":{"objectType":"Activity","id":"https://`...)
	b = append(b, host...)
	b = append(b, path...)
	b = append(b, `","definition":{"type":"`...)
	b = append(b, actType...)
	b = append(b, `","name":{"id-ID":`...)
	b = benchAppendStr(b, actName)
	b = append(b, `,"en-US":`...)
	b = benchAppendStr(b, course.en)
	b = append(b, `},"description":{"id-ID":`...)
	b = benchAppendStr(b, "Pengembangan kompetensi ASN: "+course.id+", bentuk "+form.code+", diselenggarakan oleh "+platform+".")
	b = append(b, `}}}`...)

	// result
	minutes := 0
	switch form.kind {
	case benchKindElearn:
		if form.code == "WPL-MICRO" {
			minutes = 5 + r.IntN(20)
		} else {
			minutes = 45 + r.IntN(225)
		}
	case benchKindDuration:
		minutes = 30 + r.IntN(240)
	case benchKindSession:
		minutes = 45 + r.IntN(75)
	}
	b = append(b, `,"result":{`...)
	if form.kind == benchKindElearn || form.kind == benchKindClassroom {
		score := 60 + r.IntN(41)
		b = append(b, `"score":{"scaled":`...)
		b = strconv.AppendFloat(b, float64(score)/100, 'f', -1, 64)
		b = append(b, `,"raw":`...)
		b = strconv.AppendInt(b, int64(score), 10)
		b = append(b, `,"min":0,"max":100},"success":`...)
		b = strconv.AppendBool(b, score >= 65)
		b = append(b, ',')
	}
	b = append(b, `"completion":true`...)
	if minutes > 0 {
		b = append(b, `,"duration":"PT`...)
		if h := minutes / 60; h > 0 {
			b = strconv.AppendInt(b, int64(h), 10)
			b = append(b, 'H')
		}
		if m := minutes % 60; m > 0 || minutes < 60 {
			b = strconv.AppendInt(b, int64(m), 10)
			b = append(b, 'M')
		}
		b = append(b, '"')
	}
	b = append(b, '}')

	// context
	b = append(b, `,"context":{"registration":"`...)
	b = benchAppendUUID(b, r)
	b = append(b, `","platform":`...)
	b = benchAppendStr(b, platform)
	b = append(b, `,"language":"id-ID"`...)
	if form.kind == benchKindSession {
		coach := &g.people[(pi+1+r.IntN(len(g.people)-1))%len(g.people)]
		b = append(b, `,"instructor":`...)
		b = benchAppendAgent(b, coach)
	}
	b = append(b, `,"contextActivities":{"parent":[{"id":"https://`...)
	b = append(b, host...)
	b = append(b, `/program/`...)
	b = append(b, course.slug...)
	b = append(b, `"}],"category":[{"id":"`+bangkom.IRIBase+`/forms/`...)
	b = append(b, form.code...)
	b = append(b, `"}]},"extensions":{"`+bangkom.ExtForm+`":"`...)
	b = append(b, form.code...)
	b = append(b, '"')
	days := 0
	switch form.kind {
	case benchKindElearn:
		if form.code != "WPL-MICRO" && r.IntN(3) == 0 {
			b = append(b, `,"`+bangkom.ExtJP+`":`...)
			b = strconv.AppendInt(b, int64(1+minutes/45), 10)
		}
	case benchKindPerDay:
		days = 1 + r.IntN(3)
	case benchKindClassroom:
		days = 2 + r.IntN(10)
		jp := days * 8
		if form.code == "KLS-STRUK" {
			jp = 200 + r.IntN(300)
		}
		b = append(b, `,"`+bangkom.ExtJP+`":`...)
		b = strconv.AppendInt(b, int64(jp), 10)
	case benchKindAssignment:
		days = 5 + r.IntN(60)
	}
	if days > 0 {
		b = append(b, `,"`+bangkom.ExtDays+`":`...)
		b = strconv.AppendInt(b, int64(days), 10)
	}
	if (form.kind == benchKindPerDay || form.kind == benchKindSession || form.kind == benchKindClassroom) && r.IntN(20) == 0 {
		b = append(b, `,"`+bangkom.ExtScope+`":"internasional"`...)
	}
	b = append(b, `,"`+bangkom.ExtCompetencies+`":["`...)
	n := 1 + r.IntN(2)
	first := r.IntN(len(benchCompetencies))
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, `","`...)
		}
		b = append(b, benchCompetencies[(first+i*3)%len(benchCompetencies)]...)
	}
	b = append(b, `"]}},"timestamp":`...)
	b = g.appendTimestamp(b, p)
	return append(b, '}'), c
}

// approval appends a supervisor's approval of an acknowledged claim.
func (g *benchGen) approval(b []byte, c benchClaim) []byte {
	p := &g.people[c.person]
	approver := int(p.sup)
	if approver < 0 || approver == int(c.person) {
		approver = (int(c.person) + 1) % len(g.people)
	}
	b = append(b, `{"id":"`...)
	b = benchAppendUUID(b, g.ids)
	b = append(b, `","actor":`...)
	b = benchAppendAgent(b, &g.people[approver])
	b = append(b, `,"verb":{"id":"`+bangkom.VerbApproved+`","display":{"en-US":"approved","id-ID":"menyetujui"}},"object":{"objectType":"StatementRef","id":"`...)
	b = append(b, c.id[:]...)
	b = append(b, `"},"context":{"language":"id-ID"},"timestamp":"`...)
	b = time.Now().UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	return append(b, `"}`...)
}

// batch returns the body of n statements (a bare object when n is 1), the
// claims in it and how many are approvals.
func (g *benchGen) batch(n int) ([]byte, []benchClaim, int) {
	b := g.buf[:0]
	var claims []benchClaim
	approvals := 0
	if n > 1 {
		b = append(b, '[')
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		if g.r.Float64() < benchApprovalShare {
			if c, ok := g.pool.take(g.r); ok {
				b = g.approval(b, c)
				approvals++
				continue
			}
		}
		var c benchClaim
		b, c = g.claim(b)
		claims = append(claims, c)
	}
	if n > 1 {
		b = append(b, ']')
	}
	g.buf = b
	return b, claims, approvals
}

// ---------------------------------------------------------------- measuring

// benchHist is a log-linear latency histogram in microseconds (HDR style,
// under 1% error, fixed 32 KiB), with the exact maximum.
type benchHist struct {
	mu     sync.Mutex
	counts [4096]int64
	n      int64
	max    int64
}

func benchHistIndex(v int64) int {
	if v < 256 {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - 8
	i := 128*shift + int(v>>shift)
	if i >= 4096 {
		return 4095
	}
	return i
}

func benchHistValue(i int) int64 {
	if i < 256 {
		return int64(i)
	}
	shift := i/128 - 1
	m := int64(i - 128*shift)
	return m<<shift + (int64(1)<<shift)/2
}

func (h *benchHist) record(d time.Duration) {
	us := d.Microseconds()
	h.mu.Lock()
	h.counts[benchHistIndex(us)]++
	h.n++
	if us > h.max {
		h.max = us
	}
	h.mu.Unlock()
}

// quantile returns the q quantile in microseconds.
func (h *benchHist) quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(benchHistValue(i), h.max)
		}
	}
	return h.max
}

// BenchLatency is one row of the latency table, in milliseconds.
type BenchLatency struct {
	Requests int64   `json:"requests"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
}

func (h *benchHist) summary() BenchLatency {
	h.mu.Lock()
	defer h.mu.Unlock()
	toMS := func(us int64) float64 { return math.Round(float64(us)/10) / 100 }
	return BenchLatency{Requests: h.n, P50: toMS(h.quantile(0.50)), P90: toMS(h.quantile(0.90)), P99: toMS(h.quantile(0.99)), Max: toMS(h.max)}
}

// request kinds
const (
	benchReqWrite = iota
	benchReqReadStatements
	benchReqReadJP
	benchReqProbe
	benchReqKinds
)

var benchReqNames = [benchReqKinds]string{"write", "read_statements", "read_jp", "ct_probe"}

// benchStats collects one phase (warm-up or the measured run).
type benchStats struct {
	hist      [benchReqKinds]benchHist
	sent      atomic.Int64 // statements reserved for posting
	acked     atomic.Int64
	approvals atomic.Int64
	bytes     atomic.Int64 // body bytes of acknowledged statements
	stopped   atomic.Bool

	mu      sync.Mutex
	errors  map[string]int64
	samples map[string]string

	t0       time.Time
	timeline []atomic.Int64 // acknowledged statements per 10 ms since t0
	lastAck  atomic.Int64   // ns since t0 of the latest ack

	// 5xx answers (probes not counted): 503 with Retry-After, and any 5xx
	// without it.
	retry503, noRetry5xx atomic.Int64
	redirected           atomic.Int64     // writes answered by another node after theirs refused the connection
	nodes                []benchNodeStats // per URL of --url
	// writes[w] holds the lifetimes of worker w's write requests, for the
	// latency over the longest stall; at most benchMaxWriteLog in all.
	writes    [][]benchWrite
	writesN   atomic.Int64
	writesCut atomic.Bool
}

// benchNodeStats is what one node of --url answered to writes.
type benchNodeStats struct {
	writes, acked, errors atomic.Int64
}

// benchWrite is one write request's lifetime, in µs since the run's start
// (uint32: 71 minutes, more than a run and its last request can last).
type benchWrite struct {
	start, end uint32
	failed     bool
}

// benchMaxWriteLog bounds the write lifetimes kept (12 bytes each).
const benchMaxWriteLog = 8 << 20

func newBenchStats(t0 time.Time, span time.Duration, nodes, workers int) *benchStats {
	return &benchStats{t0: t0, errors: map[string]int64{}, samples: map[string]string{},
		timeline: make([]atomic.Int64, int(span/benchTimelineStep)+2),
		nodes:    make([]benchNodeStats, nodes), writes: make([][]benchWrite, workers)}
}

func (s *benchStats) fail(kind int, key string, sample string) {
	k := benchReqNames[kind] + " " + key
	s.mu.Lock()
	s.errors[k]++
	if _, ok := s.samples[k]; !ok && sample != "" {
		s.samples[k] = sample
	}
	s.mu.Unlock()
}

// failStatus counts a non-2xx answer, and whether a 5xx said when to retry.
func (s *benchStats) failStatus(kind, status int, hdr http.Header, body []byte) {
	if status/100 == 5 && kind != benchReqProbe {
		switch {
		case hdr.Get("Retry-After") == "":
			s.noRetry5xx.Add(1)
		case status == http.StatusServiceUnavailable:
			s.retry503.Add(1)
		}
	}
	s.fail(kind, strconv.Itoa(status), string(body))
}

// write keeps the lifetime of worker w's write request.
func (s *benchStats) write(w int, start, end time.Time, failed bool) {
	if s.writesN.Add(1) > benchMaxWriteLog {
		s.writesCut.Store(true)
		return
	}
	us := func(t time.Time) uint32 { return uint32(min(max(t.Sub(s.t0).Microseconds(), 0), math.MaxUint32)) }
	s.writes[w] = append(s.writes[w], benchWrite{start: us(start), end: us(end), failed: failed})
}

func (s *benchStats) ack(n int, at time.Time) {
	d := at.Sub(s.t0)
	i := int(d / benchTimelineStep)
	if i >= len(s.timeline) {
		i = len(s.timeline) - 1
	}
	s.timeline[i].Add(int64(n))
	for {
		last := s.lastAck.Load()
		if int64(d) <= last || s.lastAck.CompareAndSwap(last, int64(d)) {
			break
		}
	}
}

// benchClient makes the requests.
type benchClient struct {
	cfg   benchConfig
	http  *http.Client
	key   string
	sec   string
	xapis []string // bases without trailing slash; client i uses i mod n
	jps   []string
	// down[i]: until when (Unix ns) node i is skipped, after it refused a
	// connection.
	down []atomic.Int64
}

// pick returns the node client i sends to: its own, i mod n, unless that
// one refused a connection within benchDownFor; then the next one that
// did not. When all did, its own.
func (c *benchClient) pick(i int) int {
	n := len(c.xapis)
	own := benchNode(i, n)
	now := time.Now().UnixNano()
	for k := 0; k < n; k++ {
		if j := (own + k) % n; c.down[j].Load() <= now {
			return j
		}
	}
	return own
}

// benchRefused tells a request that failed before anything was sent: the
// connection could not be made (refused, or the dial timed out).
func benchRefused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// doSpread sends a request to the node pick gives client i. When that
// node refuses the connection (nothing was sent), it is skipped for
// benchDownFor and the request goes to the next node, as a load balancer
// would; when every node refuses, the error is returned after a pause of
// benchAllDownPause. It returns the node that answered (or the last one
// tried) and how many nodes refused.
func (c *benchClient) doSpread(ctx context.Context, i int, method, path string, body []byte) (node, refused int, status int, hdr http.Header, resp []byte, err error) {
	node = c.pick(i)
	for {
		status, hdr, resp, err = c.do(ctx, method, c.xapis[node]+path, body)
		if err == nil || !benchRefused(err) || ctx.Err() != nil {
			return node, refused, status, hdr, resp, err
		}
		refused++
		c.down[node].Store(time.Now().Add(benchDownFor).UnixNano())
		next := c.pick(i)
		if c.down[next].Load() > time.Now().UnixNano() || refused >= len(c.xapis) {
			select {
			case <-ctx.Done():
			case <-time.After(benchAllDownPause):
			}
			return node, refused, status, hdr, resp, err
		}
		node = next
	}
}

func (c *benchClient) do(ctx context.Context, method, u string, body []byte) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if c.key != "" {
		req.SetBasicAuth(c.key, c.sec)
	}
	req.Header.Set("X-Experience-API-Version", c.cfg.Version)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	var keep []byte
	if res.StatusCode/100 != 2 {
		keep, _ = io.ReadAll(io.LimitReader(res.Body, 512))
	}
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, res.Header, keep, nil
}

// benchCTSample is one reading of X-Experience-API-Consistent-Through.
type benchCTSample struct {
	recv time.Time
	ct   time.Time
	node int // index in --url
}

// benchRun runs the warm-up and the measured phase and builds the report.
func benchRun(ctx context.Context, cfg benchConfig, stderr io.Writer) (*BenchReport, error) {
	key, sec, _ := strings.Cut(cfg.Auth, ":")
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2*cfg.Concurrency + 8,
		MaxIdleConnsPerHost: 2*cfg.Concurrency + 8,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	c := &benchClient{cfg: cfg, http: &http.Client{Transport: tr, Timeout: cfg.Timeout}, key: key, sec: sec,
		xapis: cfg.urls, jps: cfg.jpURLs, down: make([]atomic.Int64, len(cfg.urls))}

	rep := &BenchReport{Target: strings.Join(c.xapis, ","), XAPIVersion: cfg.Version, Concurrency: cfg.Concurrency, Batch: cfg.batches,
		Reads: cfg.Reads, People: cfg.People, Seed: cfg.Seed, WarmupS: cfg.Warmup.Seconds(), DurationS: cfg.Duration.Seconds(), Count: cfg.Count,
		Errors: map[string]int64{}, ErrorSamples: map[string]string{}, Latency: map[string]BenchLatency{}}

	// Preflight: every endpoint answers and takes the credentials (one
	// that refuses the connection is a warning while another answers: its
	// clients go to the next); the projection is followed when all that
	// answer show consistent-through.
	rep.Projection.Supported = true
	answered := 0
	for i, xapi := range c.xapis {
		status, hdr, body, err := c.do(ctx, http.MethodGet, xapi+"/statements?limit=1", nil)
		if err != nil && benchRefused(err) && (answered > 0 || i < len(c.xapis)-1) {
			fmt.Fprintf(stderr, "bench: warning: %s refused the connection (%v); its clients go to the next node while it does\n", xapi, err)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reach the LRS at %s: %w", xapi, err)
		}
		answered++
		switch {
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return nil, fmt.Errorf("the LRS at %s refused the credentials (%d): %s", xapi, status, strings.TrimSpace(string(body)))
		case status/100 != 2:
			fmt.Fprintf(stderr, "bench: warning: GET %s/statements?limit=1 answered %d: %s\n", xapi, status, strings.TrimSpace(string(body)))
		}
		if _, err := time.Parse(time.RFC3339Nano, hdr.Get("X-Experience-API-Consistent-Through")); err != nil {
			rep.Projection.Supported = false
		}
	}

	people := benchPeople(cfg.Seed, cfg.People)
	if len(c.jps) > 0 {
		benchRegister(ctx, c, people, stderr)
	}
	pool := &benchPool{}
	gens := make([]*benchGen, cfg.Concurrency)
	for i := range gens {
		gens[i] = newBenchGen(cfg.Seed, i, people, pool)
	}
	limit := "unbounded count"
	if cfg.Count > 0 {
		limit = strconv.FormatInt(cfg.Count, 10) + " statements"
	}
	fmt.Fprintf(stderr, "bench: %s for %s or %s, %d clients, batch %s, reads %.0f%%, warm-up %s\n",
		strings.Join(c.xapis, ", "), cfg.Duration, limit, cfg.Concurrency, cfg.Batch, cfg.Reads*100, cfg.Warmup)

	if cfg.Warmup > 0 {
		ws := newBenchStats(time.Now(), cfg.Warmup+cfg.Timeout, len(c.xapis), len(gens))
		benchPhase(ctx, c, gens, people, ws, cfg.Warmup, 0)
		rep.WarmupStatements = ws.acked.Load()
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	// The measured run, with the consistent-through probe and RSS sampler.
	t0 := time.Now()
	cpu0 := benchCPU()
	st := newBenchStats(t0, cfg.Duration+cfg.Timeout+benchDrainMax, len(c.xapis), len(gens))
	var (
		samplesMu sync.Mutex
		samples   []benchCTSample
		rss       = benchRSSSampler{pid: cfg.PID}
	)
	rss.sample()
	srvCPU0, srvCPUErr := benchProcCPU(cfg.PID)
	// probe reads consistent-through from node i; it tells whether the
	// node refused the connection.
	probe := func(i int) (refused bool) {
		start := time.Now()
		status, hdr, body, err := c.do(ctx, http.MethodGet, c.xapis[i]+"/statements?limit=1", nil)
		recv := time.Now()
		st.hist[benchReqProbe].record(recv.Sub(start))
		if err != nil {
			if ctx.Err() == nil {
				st.fail(benchReqProbe, "transport", err.Error())
			}
			if benchRefused(err) {
				c.down[i].Store(time.Now().Add(benchDownFor).UnixNano())
				return true
			}
			return false
		}
		if status/100 != 2 {
			st.failStatus(benchReqProbe, status, hdr, body)
		}
		if ct, err := time.Parse(time.RFC3339Nano, hdr.Get("X-Experience-API-Consistent-Through")); err == nil {
			samplesMu.Lock()
			samples = append(samples, benchCTSample{recv: recv, ct: ct, node: i})
			samplesMu.Unlock()
		}
		return false
	}
	// A probe every 200 ms, to the nodes in turn. A server may hold a read
	// until its view has caught up (Jejak does, up to 5 s), so probes
	// overlap, at most benchProbesInFlight at a time; RSS is sampled on
	// its own beat.
	probeCtx, stopProbe := context.WithCancel(ctx)
	var probes sync.WaitGroup
	probes.Add(1)
	go func() {
		defer probes.Done()
		tick := time.NewTicker(benchProbeEvery)
		defer tick.Stop()
		var inflight atomic.Int32
		for k := 0; ; k++ {
			select {
			case <-probeCtx.Done():
				return
			case <-tick.C:
				rss.sample()
				if rep.Projection.Supported && inflight.Load() < benchProbesInFlight {
					inflight.Add(1)
					probes.Add(1)
					go func(i int) {
						defer probes.Done()
						defer inflight.Add(-1)
						probe(i)
					}(c.pick(k))
				}
			}
		}
	}()
	rep.StoppedBy = benchPhase(ctx, c, gens, people, st, cfg.Duration, cfg.Count)
	end := time.Now()
	rep.ClientCPUS = benchRound3((benchCPU() - cpu0).Seconds())
	srvCPU1, srvCPUErr1 := benchProcCPU(cfg.PID)
	stopProbe()
	probes.Wait()
	sort.Slice(samples, func(i, j int) bool { return samples[i].recv.Before(samples[j].recv) })
	inWindow := sort.Search(len(samples), func(i int) bool { return samples[i].recv.After(end) })

	// Drain: how long until every node's consistent-through covers the
	// last ack (the last node to get there counts).
	lastAck := t0.Add(time.Duration(st.lastAck.Load()))
	if rep.Projection.Supported && st.acked.Load() > 0 && ctx.Err() == nil {
		deadline := time.Now().Add(benchDrainMax)
		behind := make([]bool, len(c.xapis))
		for i := range behind {
			behind[i] = true
		}
		left := len(behind)
		var caught time.Time
		for left > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
			for i := range behind {
				if !behind[i] {
					continue
				}
				if refused := probe(i); refused {
					behind[i] = false
					left--
					rep.Projection.Unreachable = append(rep.Projection.Unreachable, c.xapis[i])
					continue
				}
				if n := len(samples); n > 0 && samples[n-1].node == i && !samples[n-1].ct.Before(lastAck.Truncate(time.Millisecond)) {
					behind[i] = false
					left--
					caught = samples[n-1].recv
				}
			}
			rss.sample()
			if left > 0 {
				time.Sleep(20 * time.Millisecond)
			}
		}
		if left == 0 && !caught.IsZero() {
			rep.Projection.CaughtUp = true
			rep.Projection.LagMS = benchMS(caught.Sub(lastAck))
			rep.Projection.PerSec = float64(st.acked.Load()) / caught.Sub(t0).Seconds()
		}
	}
	rss.sample()

	// The report.
	elapsed := end.Sub(t0)
	rep.ElapsedS = benchRound3(elapsed.Seconds())
	rep.StatementsSent = st.sent.Load()
	rep.StatementsAcked = st.acked.Load()
	rep.ApprovalsAcked = st.approvals.Load()
	if rep.StatementsAcked > 0 {
		rep.AvgStatementBytes = int(st.bytes.Load() / rep.StatementsAcked)
	}
	rep.AckedPerSec = benchRound1(float64(rep.StatementsAcked) / elapsed.Seconds())
	for k := 0; k < benchReqKinds; k++ {
		if s := st.hist[k].summary(); s.Requests > 0 {
			rep.Latency[benchReqNames[k]] = s
		}
	}
	rep.ErrorsByStatus = map[string]int64{}
	for k, v := range st.errors {
		rep.Errors[k] = v
		if !strings.HasPrefix(k, benchReqNames[benchReqProbe]) {
			rep.ErrorsTotal += v
			_, status, _ := strings.Cut(k, " ")
			rep.ErrorsByStatus[status] += v
		}
	}
	rep.Redirected = st.redirected.Load()
	rep.Status503RetryAfter = st.retry503.Load()
	rep.Status5xxNoRetryAfter = st.noRetry5xx.Load()
	for i := range st.nodes {
		n := &st.nodes[i]
		rep.Nodes = append(rep.Nodes, BenchNode{URL: c.xapis[i], WriteRequests: n.writes.Load(), StatementsAcked: n.acked.Load(), WriteErrors: n.errors.Load()})
	}
	rep.stall(st, elapsed)
	for k, v := range st.samples {
		rep.ErrorSamples[k] = strings.TrimSpace(v)
	}
	rep.projection(st, samples, inWindow, end)
	if cfg.PID > 0 {
		rep.RSS = &BenchRSS{PID: cfg.PID, PeakBytes: rss.peak, LastBytes: rss.last, Samples: rss.n, Error: rss.err}
		if srvCPUErr == nil && srvCPUErr1 == nil {
			rep.RSS.CPUS = benchRound3((srvCPU1 - srvCPU0).Seconds())
			if rep.StatementsAcked > 0 {
				rep.RSS.CPUPerStatementUS = benchRound1(float64((srvCPU1 - srvCPU0).Microseconds()) / float64(rep.StatementsAcked))
			}
		}
	}
	return rep, nil
}

// benchPhase runs the clients until d has passed, count statements have
// been posted (0: no limit) or ctx ends; requests in flight finish. It
// returns what stopped it.
func benchPhase(ctx context.Context, c *benchClient, gens []*benchGen, people []benchPerson, st *benchStats, d time.Duration, count int64) string {
	deadline := st.t0.Add(d)
	var wg sync.WaitGroup
	for w := range gens {
		wg.Add(1)
		go func(g *benchGen) {
			defer wg.Done()
			for !st.stopped.Load() && ctx.Err() == nil {
				if !time.Now().Before(deadline) {
					return
				}
				g.now = time.Now()
				if c.cfg.Reads > 0 && g.r.Float64() < c.cfg.Reads {
					benchRead(ctx, c, g, people, st)
					continue
				}
				n := c.cfg.batches[g.r.IntN(len(c.cfg.batches))]
				if count > 0 {
					for {
						cur := st.sent.Load()
						if cur >= count {
							st.stopped.Store(true)
							return
						}
						k := min(int64(n), count-cur)
						if st.sent.CompareAndSwap(cur, cur+k) {
							n = int(k)
							break
						}
					}
				} else {
					st.sent.Add(int64(n))
				}
				body, claims, approvals := g.batch(n)
				start := time.Now()
				node, refused, status, hdr, errBody, err := c.doSpread(ctx, g.worker, http.MethodPost, "/statements", body)
				recv := time.Now()
				ns := &st.nodes[node]
				ns.writes.Add(1)
				if err == nil && refused > 0 {
					st.redirected.Add(1)
				}
				st.hist[benchReqWrite].record(recv.Sub(start))
				switch {
				case err != nil:
					if ctx.Err() == nil {
						st.fail(benchReqWrite, "transport", err.Error())
						ns.errors.Add(1)
					}
				case status/100 != 2:
					st.failStatus(benchReqWrite, status, hdr, errBody)
					ns.errors.Add(1)
				default:
					st.acked.Add(int64(n))
					ns.acked.Add(int64(n))
					st.approvals.Add(int64(approvals))
					st.bytes.Add(int64(len(body)))
					st.ack(n, recv)
					g.pool.add(claims)
				}
				if err == nil || ctx.Err() == nil {
					st.write(g.worker, start, recv, err != nil || status/100 != 2)
				}
			}
		}(gens[w])
	}
	wg.Wait()
	switch {
	case ctx.Err() != nil:
		return "interrupted"
	case st.stopped.Load():
		return "count"
	default:
		return "duration"
	}
}

// benchRead makes one read: an agent-filtered statement query, or with
// --jp-url, half of the time a JP lookup.
func benchRead(ctx context.Context, c *benchClient, g *benchGen, people []benchPerson, st *benchStats) {
	p := &people[g.r.IntN(len(people))]
	kind, u := benchReqReadStatements, ""
	if len(c.jps) > 0 && g.r.IntN(2) == 0 {
		kind = benchReqReadJP
		u = c.jps[benchNode(g.worker, len(c.jps))] + "/people/" + p.nip + "/jp?year=" + strconv.Itoa(g.now.Year())
	} else {
		agent := `{"objectType":"Agent","account":{"homePage":"` + bangkom.DefaultHomePage + `","name":"` + p.nip + `"}}`
		u = "/statements?agent=" + url.QueryEscape(agent) + "&limit=100"
	}
	start := time.Now()
	var (
		status int
		hdr    http.Header
		body   []byte
		err    error
	)
	if kind == benchReqReadJP {
		status, hdr, body, err = c.do(ctx, http.MethodGet, u, nil)
	} else {
		_, _, status, hdr, body, err = c.doSpread(ctx, g.worker, http.MethodGet, u, nil)
	}
	st.hist[kind].record(time.Since(start))
	switch {
	case err != nil:
		if ctx.Err() == nil {
			st.fail(kind, "transport", err.Error())
		}
	case status/100 != 2:
		st.failStatus(kind, status, hdr, body)
	}
}

// benchRegister sends the generated people to Jejak's registry so that JP
// lookups find them; a refusal is a warning (lookups then answer 404).
func benchRegister(ctx context.Context, c *benchClient, people []benchPerson, stderr io.Writer) {
	units := len(benchUnits)
	for from := 0; from < len(people); from += 2000 {
		to := min(from+2000, len(people))
		chunk := make([]bangkom.Person, 0, to-from)
		for i := from; i < to; i++ {
			p := people[i]
			bp := bangkom.Person{NIP: bangkom.NIP(p.nip), Name: p.name, Unit: benchUnits[(i/100)%units],
				Position: benchPositions[i%len(benchPositions)], Type: bangkom.PNS, Timezone: map[int8]string{7: "WIB", 8: "WITA", 9: "WIT"}[p.tz]}
			if i%7 == 3 {
				bp.Type = bangkom.PPPK
			}
			if p.sup >= 0 {
				bp.SupervisorNIP = bangkom.NIP(people[p.sup].nip)
			}
			chunk = append(chunk, bp)
		}
		body, _ := json.Marshal(chunk)
		status, _, msg, err := c.do(ctx, http.MethodPost, c.jps[0]+"/people", body)
		if err != nil || status/100 != 2 {
			if err != nil {
				msg = []byte(err.Error())
			}
			fmt.Fprintf(stderr, "bench: warning: registering the generated people at %s/people failed (%d): %s; JP lookups of unregistered NIPs will answer 404\n",
				c.jps[0], status, strings.TrimSpace(string(msg)))
			return
		}
	}
}

// benchRSSSampler follows VmRSS of a process.
type benchRSSSampler struct {
	pid        int
	peak, last int64
	n          int
	err        string
}

func (r *benchRSSSampler) sample() {
	if r.pid <= 0 {
		return
	}
	v, err := benchVmRSS(r.pid)
	if err != nil {
		if r.err == "" {
			r.err = err.Error()
		}
		return
	}
	r.n++
	r.last = v
	r.peak = max(r.peak, v)
}

// benchCPU returns the user and system CPU time of this process so far.
func benchCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchProcCPU returns the user and system CPU time pid has used, from
// /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s, the
// USER_HZ of Linux).
func benchProcCPU(pid int) (time.Duration, error) {
	if pid <= 0 {
		return 0, errors.New("no pid")
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	var ticks int64
	for _, s := range f[11:13] { // fields 14 and 15 of the whole line
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// benchVmRSS returns the resident set size of pid in bytes.
func benchVmRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				n, err := strconv.ParseInt(f[0], 10, 64)
				return n * 1024, err
			}
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
}

// ---------------------------------------------------------------- report

// BenchReport is the result of a run (the --json output).
type BenchReport struct {
	Target            string                  `json:"target"`
	XAPIVersion       string                  `json:"xapi_version"`
	Concurrency       int                     `json:"concurrency"`
	Batch             []int                   `json:"batch"`
	Reads             float64                 `json:"reads"`
	People            int                     `json:"people"`
	Seed              uint64                  `json:"seed"`
	WarmupS           float64                 `json:"warmup_s"`
	WarmupStatements  int64                   `json:"warmup_statements"`
	DurationS         float64                 `json:"duration_s"`
	Count             int64                   `json:"count"`
	StoppedBy         string                  `json:"stopped_by"`
	ElapsedS          float64                 `json:"elapsed_s"`
	StatementsSent    int64                   `json:"statements_sent"`
	StatementsAcked   int64                   `json:"statements_acked"`
	ApprovalsAcked    int64                   `json:"approvals_acked"`
	AvgStatementBytes int                     `json:"avg_statement_bytes"`
	AckedPerSec       float64                 `json:"acked_per_s"`
	ClientCPUS        float64                 `json:"client_cpu_s"` // CPU time of this bench process during the run
	Projection        BenchProjection         `json:"projection"`
	Latency           map[string]BenchLatency `json:"latency"`
	ErrorsTotal       int64                   `json:"errors_total"`
	Errors            map[string]int64        `json:"errors"`
	ErrorSamples      map[string]string       `json:"error_samples,omitempty"`
	// ErrorsByStatus: the errors of every request kind but the probe, by
	// HTTP status ("503") or "transport" (no answer: refused, reset,
	// timed out).
	ErrorsByStatus map[string]int64 `json:"errors_by_status"`
	// Status503RetryAfter: 503 answers that carried Retry-After;
	// Status5xxNoRetryAfter: 5xx answers that did not (probes not counted).
	Status503RetryAfter int64 `json:"status_503_retry_after"`
	// Redirected: writes answered by another node because theirs refused
	// the connection (nothing sent; not errors).
	Redirected            int64       `json:"writes_redirected"`
	Status5xxNoRetryAfter int64       `json:"status_5xx_no_retry_after"`
	Nodes                 []BenchNode `json:"nodes"`
	LongestStall          BenchStall  `json:"longest_stall"`
	RSS                   *BenchRSS   `json:"rss,omitempty"`
}

// BenchNode is what one URL of --url answered to writes.
type BenchNode struct {
	URL             string `json:"url"`
	WriteRequests   int64  `json:"write_requests"`
	StatementsAcked int64  `json:"statements_acked"`
	WriteErrors     int64  `json:"write_errors"`
}

// BenchStall is the longest interval of the measured run in which no
// write was acknowledged (the start of the run and its end count as
// edges), to the 10 ms of the ack timeline: StartS is the end of the 10 ms
// in which the ack before it came, EndS the start of the 10 ms in which
// the ack after it came (or the end of the run). The write figures are of
// the write requests whose lifetime overlapped it: their latency, and how
// many failed. Complete is false when the run had more write requests than
// the bench keeps lifetimes of (8 Mi): then the figures cover the first.
type BenchStall struct {
	StartS   float64 `json:"start_s"`
	EndS     float64 `json:"end_s"`
	LengthS  float64 `json:"length_s"`
	Requests int64   `json:"writes"`
	Failed   int64   `json:"writes_failed"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
	Complete bool    `json:"complete"`
}

// BenchProjection is what X-Experience-API-Consistent-Through showed.
type BenchProjection struct {
	Supported bool `json:"supported"`
	Samples   int  `json:"samples"`
	// PerSec: acknowledged statements ÷ time from the start until
	// consistent-through covered the last ack.
	PerSec float64 `json:"projected_per_s"`
	// WindowPerSec: statements covered by consistent-through at the last
	// probe of the run window ÷ the time of that probe.
	WindowPerSec float64 `json:"window_projected_per_s"`
	// BehindMax/BehindAvg: acknowledged statements not yet covered by
	// consistent-through at a probe; LagP50/LagMax: probe time − value.
	BehindMax int64   `json:"behind_max_statements"`
	BehindAvg float64 `json:"behind_avg_statements"`
	CTLagP50  float64 `json:"ct_lag_p50_ms"`
	CTLagMax  float64 `json:"ct_lag_max_ms"`
	// LagMS: from the last ack until consistent-through passed it.
	CaughtUp bool    `json:"caught_up"`
	LagMS    float64 `json:"projection_lag_ms"`
	// Unreachable: nodes that refused the connection after the run, so
	// that CaughtUp and LagMS are of the others.
	Unreachable []string `json:"unreachable,omitempty"`
}

// BenchRSS is the server's resident memory during the run, and the CPU
// time it used in the run window (CPUPerStatementUS: that time per
// acknowledged statement, in µs; both 0 when /proc does not show it).
type BenchRSS struct {
	PID               int     `json:"pid"`
	PeakBytes         int64   `json:"peak_bytes"`
	LastBytes         int64   `json:"last_bytes"`
	Samples           int     `json:"samples"`
	Error             string  `json:"error,omitempty"`
	CPUS              float64 `json:"server_cpu_s"`
	CPUPerStatementUS float64 `json:"server_cpu_us_per_statement"`
}

func benchMS(d time.Duration) float64 { return benchRound1(float64(d.Microseconds()) / 1000) }
func benchRound1(f float64) float64   { return math.Round(f*10) / 10 }
func benchRound3(f float64) float64   { return math.Round(f*1000) / 1000 }

// benchLongestStall returns the longest interval of [0, runEnd) that holds
// no ack, given the acks per step since the start (counts). An interval
// runs from the end of the step of the ack before it (or 0) to the start
// of the step of the ack after it (or runEnd); of equal ones, the first.
func benchLongestStall(counts []int64, step, runEnd time.Duration) (start, end time.Duration) {
	last := time.Duration(0) // the end of the step of the latest ack so far
	for i, n := range counts {
		at := time.Duration(i) * step
		if at >= runEnd {
			break
		}
		if n == 0 {
			continue
		}
		if at-last > end-start {
			start, end = last, at
		}
		last = at + step
	}
	if runEnd-last > end-start {
		start, end = last, runEnd
	}
	return start, end
}

// benchOverlapping returns how many of the writes overlapped [from, to)
// (started before it ended and ended after it began), how many of those
// failed, and their p99 and longest latency.
func benchOverlapping(writes [][]benchWrite, from, to time.Duration) (n, failed int64, p99, longest time.Duration) {
	f, t := from.Microseconds(), to.Microseconds()
	var lat []int64
	for _, ws := range writes {
		for _, w := range ws {
			if int64(w.start) < t && int64(w.end) > f {
				lat = append(lat, int64(w.end)-int64(w.start))
				if w.failed {
					failed++
				}
			}
		}
	}
	if len(lat) == 0 {
		return 0, 0, 0, 0
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	rank := int(math.Ceil(0.99*float64(len(lat)))) - 1
	return int64(len(lat)), failed, time.Duration(lat[max(rank, 0)]) * time.Microsecond, time.Duration(lat[len(lat)-1]) * time.Microsecond
}

// stall fills LongestStall from the ack timeline and the write lifetimes.
func (rep *BenchReport) stall(st *benchStats, elapsed time.Duration) {
	counts := make([]int64, len(st.timeline))
	for i := range st.timeline {
		counts[i] = st.timeline[i].Load()
	}
	from, to := benchLongestStall(counts, benchTimelineStep, elapsed)
	n, failed, p99, longest := benchOverlapping(st.writes, from, to)
	rep.LongestStall = BenchStall{StartS: benchRound3(from.Seconds()), EndS: benchRound3(to.Seconds()), LengthS: benchRound3((to - from).Seconds()),
		Requests: n, Failed: failed, P99: benchMS(p99), Max: benchMS(longest), Complete: !st.writesCut.Load()}
}

// projection fills the consistent-through figures from the probe samples
// and the ack timeline (wall clock: meaningful on loopback, one clock).
func (rep *BenchReport) projection(st *benchStats, samples []benchCTSample, inWindow int, end time.Time) {
	p := &rep.Projection
	p.Samples = len(samples)
	if len(samples) == 0 {
		return
	}
	prefix := make([]int64, len(st.timeline)+1)
	for i := range st.timeline {
		prefix[i+1] = prefix[i] + st.timeline[i].Load()
	}
	// ackedBy counts statements acknowledged in buckets that end by t.
	ackedBy := func(t time.Time) int64 {
		d := t.Sub(st.t0)
		if d < 0 {
			return 0
		}
		i := int(d / benchTimelineStep)
		if i > len(st.timeline) {
			i = len(st.timeline)
		}
		return prefix[i]
	}
	var lags []time.Duration
	var behindSum int64
	for _, s := range samples[:inWindow] {
		lag := s.recv.Sub(s.ct)
		if lag < 0 {
			lag = 0
		}
		lags = append(lags, lag)
		behind := max(ackedBy(s.recv)-ackedBy(s.ct), 0)
		behindSum += behind
		p.BehindMax = max(p.BehindMax, behind)
	}
	if inWindow > 0 {
		sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
		p.CTLagP50 = benchMS(lags[len(lags)/2])
		p.CTLagMax = benchMS(lags[len(lags)-1])
		p.BehindAvg = benchRound1(float64(behindSum) / float64(inWindow))
		last := samples[inWindow-1]
		if el := last.recv.Sub(st.t0).Seconds(); el > 0 {
			p.WindowPerSec = benchRound1(float64(ackedBy(last.ct)) / el)
		}
	}
	p.PerSec = benchRound1(p.PerSec)
	if !p.CaughtUp {
		p.LagMS = -1
	}
}

// print writes the report as a table.
func (rep *BenchReport) print(w io.Writer) {
	mib := func(b int64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) + " MiB" }
	warm := "no warm-up"
	if rep.WarmupS > 0 {
		warm = fmt.Sprintf("warm-up %gs (%d statements, not measured)", rep.WarmupS, rep.WarmupStatements)
	}
	batch := make([]string, len(rep.Batch))
	for i, b := range rep.Batch {
		batch[i] = strconv.Itoa(b)
	}
	fmt.Fprintf(w, "jejak bench → %s (xAPI %s)\n", rep.Target, rep.XAPIVersion)
	fmt.Fprintf(w, "%d clients, batch %s, reads %.0f%%, %d people, seed %d, %s\n", rep.Concurrency, strings.Join(batch, ","), rep.Reads*100, rep.People, rep.Seed, warm)
	fmt.Fprintf(w, "ran %.2f s, stopped by %s; the bench itself used %.2f s of CPU (%.0f%% of one core)\n\n",
		rep.ElapsedS, rep.StoppedBy, rep.ClientCPUS, 100*rep.ClientCPUS/max(rep.ElapsedS, 0.001))

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "statements acknowledged\t%d\t%.1f /s\n", rep.StatementsAcked, rep.AckedPerSec)
	p := rep.Projection
	switch {
	case !p.Supported:
		fmt.Fprintf(tw, "statements projected\tn/a\t(no X-Experience-API-Consistent-Through)\n")
	case p.CaughtUp:
		fmt.Fprintf(tw, "statements projected\t%d\t%.1f /s (consistent-through passed the last ack %.1f ms after it)\n", rep.StatementsAcked, p.PerSec, p.LagMS)
	default:
		fmt.Fprintf(tw, "statements projected\t\t%.1f /s in the window; consistent-through did not pass the last ack within %s\n", p.WindowPerSec, benchDrainMax)
	}
	if p.Supported && p.Samples > 0 {
		fmt.Fprintf(tw, "consistent-through behind\t\tp50 %.1f ms, max %.1f ms; at most %d statements (avg %.1f), %d probes\n", p.CTLagP50, p.CTLagMax, p.BehindMax, p.BehindAvg, p.Samples)
	}
	fmt.Fprintf(tw, "approvals acknowledged\t%d\t\n", rep.ApprovalsAcked)
	fmt.Fprintf(tw, "average statement\t%d B\t\n", rep.AvgStatementBytes)
	if rep.RSS != nil {
		if rep.RSS.Samples > 0 {
			fmt.Fprintf(tw, "server RSS (pid %d)\tpeak %s\tlast %s\n", rep.RSS.PID, mib(rep.RSS.PeakBytes), mib(rep.RSS.LastBytes))
		} else {
			fmt.Fprintf(tw, "server RSS (pid %d)\tn/a\t%s\n", rep.RSS.PID, rep.RSS.Error)
		}
		switch {
		case rep.RSS.CPUPerStatementUS > 0:
			fmt.Fprintf(tw, "server CPU (pid %d)\t%.1f s\t%.1f µs per statement acknowledged\n", rep.RSS.PID, rep.RSS.CPUS, rep.RSS.CPUPerStatementUS)
		case rep.RSS.CPUS > 0:
			fmt.Fprintf(tw, "server CPU (pid %d)\t%.1f s\t\n", rep.RSS.PID, rep.RSS.CPUS)
		}
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "request\trequests\tp50 ms\tp90 ms\tp99 ms\tmax ms\terrors\t\n")
	for _, k := range benchReqNames {
		l, ok := rep.Latency[k]
		if !ok {
			continue
		}
		var errs int64
		for key, n := range rep.Errors {
			if strings.HasPrefix(key, k+" ") {
				errs += n
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t\n", k, l.Requests, l.P50, l.P90, l.P99, l.Max, errs)
	}
	tw.Flush()

	if len(rep.Errors) > 0 {
		fmt.Fprintf(w, "\nerrors by status (%d, probes not counted):\n", rep.ErrorsTotal)
		keys := make([]string, 0, len(rep.Errors))
		for k := range rep.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sample := rep.ErrorSamples[k]
			if len(sample) > 160 {
				sample = sample[:160] + "…"
			}
			fmt.Fprintf(w, "  %-22s %8d  %s\n", k, rep.Errors[k], sample)
		}
		fmt.Fprintf(w, "5xx answers: %d × 503 with Retry-After, %d × 5xx without Retry-After\n", rep.Status503RetryAfter, rep.Status5xxNoRetryAfter)
	}
	if rep.Redirected > 0 {
		fmt.Fprintf(w, "\n%d writes went to another node because theirs refused the connection (not errors: nothing had been sent)\n", rep.Redirected)
	}
	if len(p.Unreachable) > 0 {
		fmt.Fprintf(w, "not waited for after the run (the connection was refused): %s\n", strings.Join(p.Unreachable, ", "))
	}

	if len(rep.Nodes) > 1 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "node	write requests	statements acknowledged	write errors\n")
		for _, n := range rep.Nodes {
			fmt.Fprintf(tw, "%s	%d	%d	%d\n", n.URL, n.WriteRequests, n.StatementsAcked, n.WriteErrors)
		}
		tw.Flush()
	}

	s := rep.LongestStall
	fmt.Fprintf(w, "\nlongest stall without an acknowledged write: %.2f s, from %.2f s to %.2f s of the run (to 10 ms)\n", s.LengthS, s.StartS, s.EndS)
	if s.Requests > 0 {
		fmt.Fprintf(w, "writes over it: %d (%d failed), p99 %.1f ms, max %.1f ms", s.Requests, s.Failed, s.P99, s.Max)
		if !s.Complete {
			fmt.Fprintf(w, " (of the first %d write requests only)", benchMaxWriteLog)
		}
		fmt.Fprintln(w)
	}
}
