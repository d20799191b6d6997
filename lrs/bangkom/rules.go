package bangkom

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"
)

// Units of a rule version: what one claim is worth.
const (
	UnitDeclared      = "declared"       // the declared JP, else floor(minutes/45)
	UnitDuration      = "duration"       // floor(minutes/45)
	UnitPerDay        = "per_day"        // jp × days
	UnitPerSession    = "per_session"    // jp per claim
	UnitPerAssignment = "per_assignment" // jp per claim
	UnitPerSemester   = "per_semester"   // jp per claim
	UnitPerContrib    = "per_contribution"
	UnitZero          = "zero"
)

// Date is a civil date (no zone), as rule validity is written.
type Date struct{ time.Time }

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	d.Time = t
	return nil
}

// Cap limits recognised JP, or the number of claims, per period.
type Cap struct {
	Period             string   `json:"period"` // day, month, semester
	MaxJP              *float64 `json:"max_jp"`
	MaxJPInternational *float64 `json:"max_jp_international"`
	MaxSessions        *int     `json:"max_sessions"`
}

// RuleVersion is one dated version of a form's rule.
type RuleVersion struct {
	Version             string   `json:"version"`
	ValidFrom           Date     `json:"valid_from"`
	ValidTo             Date     `json:"valid_to"` // zero: open-ended
	Source              string   `json:"source"`
	Basis               string   `json:"basis"`
	Unit                string   `json:"unit"`
	JP                  *float64 `json:"jp"`
	JPInternational     *float64 `json:"jp_international"`
	InternationalUplift *float64 `json:"international_uplift"`
	Caps                []Cap    `json:"caps"`
	CapForm             *string  `json:"cap_form"`
	// MaxJPPerClaim bounds the programme JP (declared, or from minutes)
	// one claim of a declared or duration version counts, before any
	// international uplift.
	MaxJPPerClaim *float64 `json:"max_jp_per_claim"`
	// Pool "day" adds up a day's minutes before rounding down.
	Pool *string `json:"pool"`
	// UpliftRounding is how uplifted JP are made whole: "down" (the only
	// rounding in force: 7 JP × 1.2 = 8.4 → 8 JP). Set with every
	// international_uplift.
	UpliftRounding string `json:"uplift_rounding,omitempty"`
}

// Rule is a form of learning and the versions of its JP rule.
type Rule struct {
	Form     string `json:"form"`
	Name     string `json:"name"`    // in Bahasa Indonesia
	NameEN   string `json:"name_en"` // in English
	Category string `json:"category"`
	SIASN    *int   `json:"siasn_jenis_diklat_id"`
	// Classroom is true for classroom training and formal education
	// (KLS-*, PDD-*).
	Classroom bool `json:"classroom"`
	// ProviderApproves: a claim of this form written by a credential with
	// the provider role is approved on arrival.
	ProviderApproves bool `json:"provider_approves"`
	// ClaimIdentity, when set, overrides the default identity of a claim
	// of this form (Targets.ClaimIdentity).
	ClaimIdentity *ClaimIdentity `json:"claim_identity,omitempty"`
	Versions      []RuleVersion  `json:"versions"`
}

// At returns the version in force on day (a civil date), if any.
func (r *Rule) At(day time.Time) (*RuleVersion, bool) {
	for i := range r.Versions {
		v := &r.Versions[i]
		if !day.Before(v.ValidFrom.Time) && (v.ValidTo.IsZero() || day.Before(v.ValidTo.Time)) {
			return v, true
		}
	}
	return nil, false
}

// Target is an annual JP target for an employee type.
type Target struct {
	Type      string   `json:"type"`
	JP        float64  `json:"jp"`
	MaxJP     *float64 `json:"max_jp"`
	ValidFrom Date     `json:"valid_from"`
	ValidTo   Date     `json:"valid_to"`
	Source    string   `json:"source"`
}

// Targets are the annual targets, the length of a JP and the default
// identity of a claim.
type Targets struct {
	MinutesPerJP  float64        `json:"minutes_per_jp"`
	ClaimIdentity *ClaimIdentity `json:"claim_identity,omitempty"`
	Targets       []Target       `json:"targets"`
}

// Keys of a claim identity: what makes two learning statements one
// learning (one claim). See ClaimIdentity.
const (
	KeyPerson             = "person"               // the claimant's NIP
	KeyActivity           = "activity"             // object.id
	KeyRegistration       = "registration"         // context.registration ("" when absent)
	KeyDate               = "date"                 // the learning date in the person's zone
	KeyRegistrationOrDate = "registration_or_date" // the registration when present, else the date
	KeyStatement          = "statement"            // the statement id: each statement its own claim
)

// ClaimIdentity names what makes statements one claim: statements whose
// keys are all equal are one learning, of which one statement counts (see
// ComputeQuery). The default is person, activity, registration_or_date.
type ClaimIdentity struct {
	Keys   []string `json:"keys"`
	Source string   `json:"source,omitempty"` // why this identity
}

// DefaultClaimIdentity is the identity used when targets.json names none.
var DefaultClaimIdentity = ClaimIdentity{Keys: []string{KeyPerson, KeyActivity, KeyRegistrationOrDate}}

// Identity returns the claim identity of form: its rule's override, else
// the rule set's default.
func (rs *RuleSet) Identity(form string) ClaimIdentity {
	if r := rs.Forms[form]; r != nil && r.ClaimIdentity != nil {
		return *r.ClaimIdentity
	}
	if rs.Targets.ClaimIdentity != nil {
		return *rs.Targets.ClaimIdentity
	}
	return DefaultClaimIdentity
}

// CatalogueEntry maps an activity to its form, declared JP and competencies.
type CatalogueEntry struct {
	Activity     string            `json:"activity"`
	Form         string            `json:"form"`
	JP           *float64          `json:"jp,omitempty"`
	Competencies []string          `json:"competencies,omitempty"`
	Name         map[string]string `json:"name,omitempty"`
}

// RuleSet is every rule, the targets and the static activity catalogue,
// with a digest that names this exact set.
type RuleSet struct {
	Forms     map[string]*Rule
	Targets   Targets
	Catalogue map[string]CatalogueEntry
	Digest    string
}

// LoadRules reads jp-rules/*.json, jp-rules/targets.json and
// catalogue/*.json from fsys (schema files are skipped). The files are
// expected to have passed their JSON Schemas already.
func LoadRules(fsys fs.FS) (*RuleSet, error) {
	rs := &RuleSet{Forms: map[string]*Rule{}, Catalogue: map[string]CatalogueEntry{}}
	h := sha256.New()
	read := func(dir string, fn func(name string, b []byte) error) error {
		names, err := fs.Glob(fsys, dir+"/*.json")
		if err != nil {
			return err
		}
		slices.Sort(names)
		for _, name := range names {
			if strings.HasSuffix(name, ".schema.json") {
				continue
			}
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				return err
			}
			h.Write([]byte(name))
			h.Write(b)
			if err := fn(name, b); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		return nil
	}
	err := read("jp-rules", func(name string, b []byte) error {
		if path.Base(name) == "targets.json" {
			return json.Unmarshal(b, &rs.Targets)
		}
		var r Rule
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		rs.Forms[r.Form] = &r
		return nil
	})
	if err == nil {
		err = read("catalogue", func(_ string, b []byte) error {
			var entries []CatalogueEntry
			if err := json.Unmarshal(b, &entries); err != nil {
				return err
			}
			for _, e := range entries {
				rs.Catalogue[e.Activity] = e
			}
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	if len(rs.Forms) == 0 {
		return nil, fmt.Errorf("load rules: no rule files under jp-rules/")
	}
	if err := rs.checkIdentities(); err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	if rs.Targets.MinutesPerJP <= 0 {
		rs.Targets.MinutesPerJP = 45
	}
	rs.Digest = hex.EncodeToString(h.Sum(nil))[:16]
	return rs, nil
}

// checkIdentities refuses a claim identity with a key the engine does not
// know, or without the person (a claim is always one person's).
func (rs *RuleSet) checkIdentities() error {
	check := func(where string, id *ClaimIdentity) error {
		if id == nil {
			return nil
		}
		person := false
		for _, k := range id.Keys {
			switch k {
			case KeyPerson:
				person = true
			case KeyActivity, KeyRegistration, KeyDate, KeyRegistrationOrDate, KeyStatement:
			default:
				return fmt.Errorf("%s: claim_identity key %q is not one of person, activity, registration, date, registration_or_date, statement", where, k)
			}
		}
		if !person {
			return fmt.Errorf("%s: claim_identity must include the key person", where)
		}
		return nil
	}
	if err := check("targets.json", rs.Targets.ClaimIdentity); err != nil {
		return err
	}
	forms := slices.Sorted(maps.Keys(rs.Forms))
	for _, f := range forms {
		if err := check(f, rs.Forms[f].ClaimIdentity); err != nil {
			return err
		}
	}
	return nil
}

// Target returns the annual target for an employee type in a year.
func (rs *RuleSet) Target(typ string, year int) (Target, bool) {
	mid := time.Date(year, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, t := range rs.Targets.Targets {
		if t.Type == typ && !mid.Before(t.ValidFrom.Time) && (t.ValidTo.IsZero() || mid.Before(t.ValidTo.Time)) {
			return t, true
		}
	}
	return Target{}, false
}

// MaxPerClaim is the most programme JP (declared, or from minutes; before
// any international uplift) one claim of a declared or duration version
// counts: max_jp_per_claim, else DefaultMaxJPPerClaim.
func (v *RuleVersion) MaxPerClaim() float64 { return v.maxPerClaim() }
