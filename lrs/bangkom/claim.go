package bangkom

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/valyala/fastjson"
)

// The Bangkom vocabulary (schemas/profiles/bangkom.jsonld).
const (
	IRIBase          = "https://jejak.id/xapi/bangkom"
	ExtForm          = IRIBase + "/extensions/form"
	ExtJP            = IRIBase + "/extensions/jp"
	ExtScope         = IRIBase + "/extensions/scope"
	ExtDays          = IRIBase + "/extensions/days"
	ExtStartDate     = IRIBase + "/extensions/start-date"
	ExtCompetencies  = IRIBase + "/extensions/competencies"
	VerbApproved     = IRIBase + "/verbs/approved"
	VerbRejected     = IRIBase + "/verbs/rejected"
	VerbAssessed     = IRIBase + "/verbs/assessed"
	VerbRPL          = IRIBase + "/verbs/recognized-prior-learning"
	CompetencyPrefix = IRIBase + "/competencies/"

	DefaultHomePage = "https://siasn.bkn.go.id"
)

// learningVerbs make a statement a learning claim (with a known form).
var learningVerbs = map[string]bool{
	"http://adlnet.gov/expapi/verbs/completed": true,
	"http://adlnet.gov/expapi/verbs/passed":    true,
	"http://adlnet.gov/expapi/verbs/attended":  true,
}

// IsLearningVerb reports whether verb makes a statement a learning claim
// (completed, passed, attended).
func IsLearningVerb(verb string) bool { return learningVerbs[verb] }

// Claim is a learning claim: the facts of a statement that the JP view
// keeps. JP is worked out from these facts and the rules when asked.
type Claim struct {
	StatementID   string    `json:"statement_id"`
	Seq           uint64    `json:"seq"`
	NIP           NIP       `json:"nip"`
	Timestamp     time.Time `json:"timestamp"`
	Verb          string    `json:"verb"`
	Activity      string    `json:"activity"`
	ActivityName  string    `json:"activity_name,omitempty"`
	Form          string    `json:"form"`
	DeclaredJP    *float64  `json:"jp_declared,omitempty"`
	Minutes       *float64  `json:"minutes,omitempty"`
	Days          int       `json:"days"`
	International bool      `json:"international"`
	Competencies  []string  `json:"competencies,omitempty"`
	By            string    `json:"by"`                  // credential key
	Provider      bool      `json:"provider"`            // the credential had the provider role
	Organizer     string    `json:"organizer,omitempty"` // context.platform
	// StartDate is the first day of the learning, YYYY-MM-DD, from
	// …/extensions/start-date when it holds a calendar date; else empty
	// and the first day is worked out from the date and Days.
	StartDate string `json:"start_date,omitempty"`
	// Registration is context.registration: the attempt or enrolment the
	// statement belongs to, part of the claim's identity (ClaimIdentity).
	Registration string `json:"registration,omitempty"`
}

// Decision is an approval or rejection of a claim by a statement.
type Decision struct {
	StatementID string `json:"statement_id"`
	Seq         uint64 `json:"seq"`
	Claim       string `json:"claim"` // the claim's statement id
	Approve     bool   `json:"approve"`
	Approver    NIP    `json:"approver,omitempty"` // the actor's NIP, if an ASN account
	By          string `json:"by"`
	Verifier    bool   `json:"verifier"` // the credential had the verifier role
	// Reason is the decision's result.response: why a claim was rejected
	// (or a note on an approval), at most MaxReason bytes.
	Reason string `json:"reason,omitempty"`
}

// Writer is who wrote a statement: its credential key and roles (from the
// log event's batch).
type Writer struct {
	Key   string
	Roles []string
}

func (w Writer) has(role string) bool {
	for _, r := range w.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// ActorNIP returns the NIP of an ASN account actor on homePage.
func ActorNIP(actor *fastjson.Value, homePage string) (NIP, bool) {
	acc := actor.Get("account")
	if acc == nil || string(acc.GetStringBytes("homePage")) != homePage {
		return "", false
	}
	nip, err := ParseNIP(string(acc.GetStringBytes("name")))
	return nip, err == nil
}

// ClaimFrom reads a stored statement as a learning claim: verb completed,
// passed or attended; an ASN account actor; a form from the form extension,
// else from the catalogue, known to the rules; the Bangkom numbers within
// the profile's bounds. DiagnoseClaim also says why a statement meant as a
// claim is not one.
func ClaimFrom(st *fastjson.Value, seq uint64, w Writer, homePage string, rules *RuleSet, catalogue func(activity string) (CatalogueEntry, bool)) (Claim, bool) {
	c, _, ok := DiagnoseClaim(st, seq, w, homePage, rules, catalogue)
	return c, ok
}

// claimFrom reads the claim of a statement DiagnoseClaim found sound.
func claimFrom(st *fastjson.Value, seq uint64, w Writer, homePage string, rules *RuleSet, catalogue func(activity string) (CatalogueEntry, bool)) (Claim, bool) {
	if !learningVerbs[string(st.GetStringBytes("verb", "id"))] {
		return Claim{}, false
	}
	nip, ok := ActorNIP(st.Get("actor"), homePage)
	if !ok {
		return Claim{}, false
	}
	obj := st.Get("object")
	if ot := string(obj.GetStringBytes("objectType")); ot != "" && ot != "Activity" {
		return Claim{}, false
	}
	c := Claim{StatementID: string(st.GetStringBytes("id")), Seq: seq, NIP: nip, Verb: string(st.GetStringBytes("verb", "id")),
		Activity: string(obj.GetStringBytes("id")), By: w.Key, Provider: w.has("provider"), Days: 1}
	ext := st.Get("context", "extensions")
	entry, inCatalogue := catalogue(c.Activity)
	c.Form = string(ext.GetStringBytes(ExtForm))
	if c.Form == "" && inCatalogue {
		c.Form = entry.Form
	}
	if _, known := rules.Forms[c.Form]; !known {
		return Claim{}, false
	}
	ts, err := time.Parse(time.RFC3339Nano, string(st.GetStringBytes("timestamp")))
	if err != nil {
		ts, err = time.Parse(time.RFC3339Nano, string(st.GetStringBytes("stored")))
		if err != nil {
			return Claim{}, false
		}
	}
	c.Timestamp = ts.UTC()
	if v := ext.Get(ExtJP); v != nil && v.Type() == fastjson.TypeNumber {
		f := v.GetFloat64()
		c.DeclaredJP = &f
	} else if inCatalogue && entry.JP != nil {
		f := *entry.JP
		c.DeclaredJP = &f
	}
	if d := st.GetStringBytes("result", "duration"); d != nil {
		if m, ok := DurationMinutes(string(d)); ok {
			c.Minutes = &m
		}
	}
	if v := ext.Get(ExtDays); v != nil && v.Type() == fastjson.TypeNumber && v.GetInt() >= 1 {
		c.Days = v.GetInt()
	}
	c.International = string(ext.GetStringBytes(ExtScope)) == "internasional"
	for _, comp := range ext.GetArray(ExtCompetencies) {
		if b := comp.GetStringBytes(); len(b) > 0 {
			c.Competencies = append(c.Competencies, string(b))
		}
	}
	if len(c.Competencies) == 0 && inCatalogue {
		c.Competencies = append(c.Competencies, entry.Competencies...)
	}
	if sd := string(ext.GetStringBytes(ExtStartDate)); isDate(sd) {
		c.StartDate = sd
	}
	// The name is the statement's definition.name, else the catalogue's,
	// each in Indonesian first. There is no fallback to the activity IRI:
	// a claim without a name has none (MissingName), and its SIASN row an
	// empty namaKursus, never an IRI.
	c.ActivityName = firstLanguage(obj.Get("definition", "name"), "id-ID", "id", "en-US", "en")
	if c.ActivityName == "" && inCatalogue {
		c.ActivityName = firstOf(entry.Name, "id-ID", "id", "en-US", "en")
	}
	if looksLikeIRI(c.ActivityName) {
		c.ActivityName = ""
	}
	c.Registration = string(st.GetStringBytes("context", "registration"))
	// The platform is kept as written; the SIASN export prefers the
	// display name of the credential that wrote the claim (api).
	c.Organizer = string(st.GetStringBytes("context", "platform"))
	return c, true
}

// looksLikeIRI reports whether a name is an IRI rather than a title: one
// word that begins with http:, https: or urn: (some LMSs write the
// activity id as its name).
func looksLikeIRI(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	return strings.IndexFunc(n, unicode.IsSpace) < 0 &&
		(strings.HasPrefix(n, "http:") || strings.HasPrefix(n, "https:") || strings.HasPrefix(n, "urn:"))
}

// MissingName reports whether an item has no activity name: neither the
// statement's definition.name nor the catalogue names the activity. Its
// SIASN row has an empty namaKursus, so it is a claim problem to list.
func MissingName(it Item) bool { return strings.TrimSpace(it.ActivityName) == "" }

// isDate reports whether s is a calendar date written YYYY-MM-DD.
func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil && len(s) == len(time.DateOnly)
}

// firstOf returns the first non-empty value of m under prefs, else the
// value of the smallest other key (so the choice does not depend on map
// order), else "".
func firstOf(m map[string]string, prefs ...string) string {
	for _, k := range prefs {
		if n := m[k]; n != "" {
			return n
		}
	}
	best := ""
	for k, n := range m {
		if n != "" && (best == "" || k < best) {
			best = k
		}
	}
	return m[best]
}

func firstLanguage(m *fastjson.Value, prefs ...string) string {
	if m == nil {
		return ""
	}
	for _, p := range prefs {
		if b := m.GetStringBytes(p); len(b) > 0 {
			return string(b)
		}
	}
	o, _ := m.Object()
	var first string
	if o != nil {
		o.Visit(func(_ []byte, v *fastjson.Value) {
			if first == "" {
				first = string(v.GetStringBytes())
			}
		})
	}
	return first
}

// DecisionFrom reads an approval or rejection: verb approved or rejected,
// a StatementRef object naming the claim.
func DecisionFrom(st *fastjson.Value, seq uint64, w Writer, homePage string) (Decision, bool) {
	verb := string(st.GetStringBytes("verb", "id"))
	if verb != VerbApproved && verb != VerbRejected {
		return Decision{}, false
	}
	if string(st.GetStringBytes("object", "objectType")) != "StatementRef" {
		return Decision{}, false
	}
	d := Decision{StatementID: string(st.GetStringBytes("id")), Seq: seq, Claim: string(st.GetStringBytes("object", "id")),
		Approve: verb == VerbApproved, By: w.Key, Verifier: w.has("verifier")}
	if nip, ok := ActorNIP(st.Get("actor"), homePage); ok {
		d.Approver = nip
	}
	d.Reason = bounded(string(st.GetStringBytes("result", "response")), MaxReason)
	return d, true
}

// DurationMinutes converts an ISO 8601 duration to minutes. Years and
// months have no fixed length and are refused.
func DurationMinutes(s string) (float64, bool) {
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return 0, false
	}
	s = s[1:]
	var total float64
	inTime := false
	num := ""
	for _, r := range s {
		switch {
		case r == 'T':
			inTime = true
		case (r >= '0' && r <= '9') || r == '.' || r == ',':
			if r == ',' {
				r = '.'
			}
			num += string(r)
		default:
			n, err := strconv.ParseFloat(num, 64)
			if err != nil || math.IsNaN(n) {
				return 0, false
			}
			num = ""
			switch {
			case r == 'W' && !inTime:
				total += n * 7 * 24 * 60
			case r == 'D' && !inTime:
				total += n * 24 * 60
			case r == 'H' && inTime:
				total += n * 60
			case r == 'M' && inTime:
				total += n
			case r == 'S' && inTime:
				total += n / 60
			default:
				return 0, false // Y, M (months) or a misplaced designator
			}
		}
	}
	return total, num == ""
}
