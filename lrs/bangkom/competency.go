package bangkom

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// StaleAfter is how long an assessment stays valid (Peraturan BKN 26/2019
// Pasal 29(4): three years).
const StaleAfter = 3

// Assessment is a competency level set by an assessor credential.
type Assessment struct {
	StatementID string    `json:"statement_id"`
	Seq         uint64    `json:"seq"`
	NIP         NIP       `json:"nip"`
	Code        string    `json:"code"`
	Level       float64   `json:"level"`
	AssessedAt  time.Time `json:"assessed_at"`
	By          string    `json:"by"`
	Assessor    bool      `json:"assessor"` // the credential had the assessor role
}

// PriorLearning is a module recognised as mastered (RPL) by an assessor.
type PriorLearning struct {
	StatementID  string    `json:"statement_id"`
	Seq          uint64    `json:"seq"`
	NIP          NIP       `json:"nip"`
	Module       string    `json:"module"`
	ModuleName   string    `json:"module_name,omitempty"`
	Competencies []string  `json:"competencies,omitempty"`
	At           time.Time `json:"at"`
	By           string    `json:"by"`
	Assessor     bool      `json:"assessor"`
}

// AssessmentFrom reads an assessment: verb assessed, the person as actor,
// object the activity …/competencies/{code}, result.score.raw the level,
// timestamp when it was assessed.
func AssessmentFrom(st *fastjson.Value, seq uint64, w Writer, homePage string) (Assessment, bool) {
	if string(st.GetStringBytes("verb", "id")) != VerbAssessed {
		return Assessment{}, false
	}
	nip, ok := ActorNIP(st.Get("actor"), homePage)
	if !ok {
		return Assessment{}, false
	}
	code, ok := strings.CutPrefix(string(st.GetStringBytes("object", "id")), CompetencyPrefix)
	raw := st.Get("result", "score", "raw")
	if !ok || code == "" || raw == nil {
		return Assessment{}, false
	}
	a := Assessment{StatementID: string(st.GetStringBytes("id")), Seq: seq, NIP: nip, Code: code, Level: raw.GetFloat64(),
		By: w.Key, Assessor: w.has("assessor")}
	a.AssessedAt = statementTime(st)
	return a, !a.AssessedAt.IsZero() && levelInRange(a.Level)
}

// PriorLearningFrom reads a recognition of prior learning: verb
// recognized-prior-learning, the person as actor, a module activity.
func PriorLearningFrom(st *fastjson.Value, seq uint64, w Writer, homePage string, catalogue func(string) (CatalogueEntry, bool)) (PriorLearning, bool) {
	if string(st.GetStringBytes("verb", "id")) != VerbRPL {
		return PriorLearning{}, false
	}
	nip, ok := ActorNIP(st.Get("actor"), homePage)
	if !ok {
		return PriorLearning{}, false
	}
	module := string(st.GetStringBytes("object", "id"))
	p := PriorLearning{StatementID: string(st.GetStringBytes("id")), Seq: seq, NIP: nip, Module: module, By: w.Key,
		Assessor: w.has("assessor"), At: statementTime(st)}
	for _, c := range st.GetArray("context", "extensions", ExtCompetencies) {
		p.Competencies = append(p.Competencies, string(c.GetStringBytes()))
	}
	entry, inCatalogue := catalogue(module)
	if len(p.Competencies) == 0 && inCatalogue {
		p.Competencies = append(p.Competencies, entry.Competencies...)
	}
	p.ModuleName = firstLanguage(st.Get("object", "definition", "name"), "id-ID", "id", "en-US", "en")
	if p.ModuleName == "" && inCatalogue {
		p.ModuleName = entry.Name["id-ID"]
	}
	return p, module != ""
}

// statementTime is the statement's timestamp, else its stored time.
func statementTime(st *fastjson.Value) time.Time {
	for _, k := range []string{"timestamp", "stored"} {
		if t, err := time.Parse(time.RFC3339Nano, string(st.GetStringBytes(k))); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// CompetencyDef is one competency of a framework.
type CompetencyDef struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Type string `json:"type"` // manajerial, sosial_kultural, teknis
}

// Frameworks are the competency dictionaries, by code.
type Frameworks map[string]CompetencyDef

// LoadFrameworks reads competencies/*.json from fsys (checked against their
// schema already).
func LoadFrameworks(fsys fs.FS) (Frameworks, error) {
	names, err := fs.Glob(fsys, "competencies/*.json")
	if err != nil {
		return nil, err
	}
	out := Frameworks{}
	for _, name := range names {
		if strings.HasSuffix(name, ".schema.json") {
			continue
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var f struct {
			Competencies []CompetencyDef `json:"competencies"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, c := range f.Competencies {
			out[c.Code] = c
		}
	}
	return out, nil
}

// States of a competency line (CompetencyLine.State), and of a person
// whose position has no standard (CompetencyReport.State).
const (
	// MeetsStandard: assessed within StaleAfter years at or above the
	// required level.
	MeetsStandard = "meets_standard"
	// BelowStandard: assessed within StaleAfter years below the required
	// level; the only state with a gap.
	BelowStandard = "below_standard"
	// NotAssessed: required by the standard, never assessed (no gap: a
	// level nobody measured is not known to be short).
	NotAssessed = "not_assessed"
	// Stale: required, and the latest assessment is older than StaleAfter
	// years (its level and what it fell short by are still shown).
	Stale = "stale"
	// NoStandard: no level is required — a competency the person was
	// assessed in or learned towards outside their standard, or (for a
	// whole report) a person whose position has no standard.
	NoStandard = "no_standard"

	// StandardAssessed and StandardIncomplete are the states of a report
	// with a standard: every required competency has a current level, or not.
	StandardAssessed   = "assessed"
	StandardIncomplete = "incomplete"
)

// CompetencyLine is one competency of a person's report.
type CompetencyLine struct {
	Code          string   `json:"code"`
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	State         string   `json:"state"` // MeetsStandard, BelowStandard, NotAssessed, Stale or NoStandard
	RequiredLevel *int     `json:"required_level"`
	AssessedLevel *float64 `json:"assessed_level"`
	AssessedAt    *string  `json:"assessed_at"`
	Stale         bool     `json:"stale"`
	// Gap is what the assessed level falls short of the required one by
	// (0 when it meets it), for below_standard, meets_standard and stale
	// lines; null when not assessed or nothing is required.
	Gap                *float64 `json:"gap"`
	EvidenceJP         float64  `json:"evidence_jp"`
	EvidenceActivities int      `json:"evidence_activities"`
	LastActivity       *string  `json:"last_activity"`
	Seqs               []uint64 `json:"seqs,omitempty"` // the assessment behind the level
}

// ExemptModule is a module recognised as mastered (RPL).
type ExemptModule struct {
	Module       string   `json:"module"`
	Name         string   `json:"name,omitempty"`
	Competencies []string `json:"competencies"`
	RecognizedAt string   `json:"recognized_at"`
	By           string   `json:"by"`
	StatementID  string   `json:"statement_id"`
	Seq          uint64   `json:"seq"`
}

// CompetencyReport is the body of GET /api/v1/people/{nip}/competencies.
type CompetencyReport struct {
	NIP      NIP    `json:"nip"`
	Position string `json:"position"`
	// State is NoStandard when the person's position has no standard (or
	// they have no position), else StandardAssessed when every required
	// competency has a current level, else StandardIncomplete.
	State string `json:"state"`
	// JPM (job–person match) is Σ assessed ÷ Σ required levels, in
	// percent, over the competencies of the standard (one never assessed
	// counts 0: State says whether every one has a current level); null
	// without a standard.
	JPM           *float64         `json:"jpm"`
	Competencies  []CompetencyLine `json:"competencies"`
	ExemptModules []ExemptModule   `json:"exempt_modules"`
	AsOf          string           `json:"as_of,omitempty"`
}

// ComputeCompetencies works out a person's competency report at time now
// (for staleness) from their facts as of log sequence asOf. JP measures
// effort and only an assessment sets a level: evidence and levels are kept
// apart.
func ComputeCompetencies(f Facts, rules *RuleSet, fw Frameworks, now time.Time, asOf uint64) CompetencyReport {
	rep := CompetencyReport{NIP: f.Person.NIP, Position: f.Person.Position, Competencies: []CompetencyLine{}, ExemptModules: []ExemptModule{}}
	visible := func(seq uint64, id string) bool {
		if asOf != 0 && seq > asOf {
			return false
		}
		v, voided := f.Voided[id]
		return !voided || (asOf != 0 && v > asOf)
	}
	lines := map[string]*CompetencyLine{}
	line := func(code string) *CompetencyLine {
		if l := lines[code]; l != nil {
			return l
		}
		l := &CompetencyLine{Code: code, Name: code}
		if d, ok := fw[code]; ok {
			l.Name, l.Type = d.Name, d.Type
		}
		lines[code] = l
		return l
	}
	for code, lvl := range f.Standards {
		l := line(code)
		req := lvl
		l.RequiredLevel = &req
	}
	// Levels: the latest assessment by an assessor credential.
	latest := map[string]Assessment{}
	for _, a := range f.Assessments {
		if !a.Assessor || !visible(a.Seq, a.StatementID) || !levelInRange(a.Level) {
			continue
		}
		if prev, ok := latest[a.Code]; !ok || a.AssessedAt.After(prev.AssessedAt) || (a.AssessedAt.Equal(prev.AssessedAt) && a.Seq > prev.Seq) {
			latest[a.Code] = a
		}
	}
	for code, a := range latest {
		l := line(code)
		lvl, at := a.Level, a.AssessedAt.Format("2006-01-02")
		l.AssessedLevel, l.AssessedAt = &lvl, &at
		l.Stale = a.AssessedAt.AddDate(StaleAfter, 0, 0).Before(now)
		l.Seqs = []uint64{a.Seq}
	}
	// Evidence: recognised JP and approved activities tagged with the
	// competency, dated up to now (ComputeQuery).
	years := map[int]bool{}
	for _, c := range f.Claims {
		years[c.Timestamp.In(f.Person.Location()).Year()] = true
	}
	tags := map[string][]string{}
	for _, c := range f.Claims {
		tags[c.StatementID] = c.Competencies
	}
	for year := range years {
		for _, it := range ComputeQuery(f, rules, Query{Year: year, AsOf: asOf, Now: now}).Items {
			if it.State != Approved {
				continue
			}
			for _, code := range tags[it.StatementID] {
				l := line(code)
				l.EvidenceJP += it.JPRecognized
				l.EvidenceActivities++
				if l.LastActivity == nil || it.Date > *l.LastActivity {
					d := it.Date
					l.LastActivity = &d
				}
			}
		}
	}
	// Prior learning recognised by an assessor: exempt, and evidence.
	for _, p := range f.PriorLearning {
		if !p.Assessor || !visible(p.Seq, p.StatementID) {
			continue
		}
		day := p.At.In(f.Person.Location()).Format("2006-01-02")
		rep.ExemptModules = append(rep.ExemptModules, ExemptModule{Module: p.Module, Name: p.ModuleName, Competencies: append([]string{}, p.Competencies...),
			RecognizedAt: day, By: p.By, StatementID: p.StatementID, Seq: p.Seq})
		for _, code := range p.Competencies {
			l := line(code)
			l.EvidenceActivities++
			if l.LastActivity == nil || day > *l.LastActivity {
				l.LastActivity = &day
			}
		}
	}
	var sumAssessed, sumRequired float64
	complete := true
	for _, l := range lines {
		switch {
		case l.RequiredLevel == nil:
			l.State = NoStandard
			continue
		case l.AssessedLevel == nil:
			l.State, complete = NotAssessed, false
			sumRequired += float64(*l.RequiredLevel)
			continue
		}
		gap := math.Max(0, float64(*l.RequiredLevel)-*l.AssessedLevel)
		l.Gap = &gap
		sumRequired += float64(*l.RequiredLevel)
		sumAssessed += *l.AssessedLevel
		switch {
		case l.Stale:
			l.State, complete = Stale, false
		case gap > 0:
			l.State = BelowStandard
		default:
			l.State = MeetsStandard
		}
	}
	switch {
	case len(f.Standards) == 0:
		rep.State = NoStandard
	case complete:
		rep.State = StandardAssessed
	default:
		rep.State = StandardIncomplete
	}
	if sumRequired > 0 {
		jpm := math.Round(sumAssessed/sumRequired*10000) / 100
		rep.JPM = &jpm
	}
	for _, l := range lines {
		rep.Competencies = append(rep.Competencies, *l)
	}
	slices.SortFunc(rep.Competencies, func(a, b CompetencyLine) int { return strings.Compare(a.Code, b.Code) })
	return rep
}

// levelInRange reports whether an assessed level is a level (1–5): an
// assessment outside it (NaN and infinities included) is not one and sets
// no level.
func levelInRange(l float64) bool { return l >= MinLevel && l <= MaxLevel }
