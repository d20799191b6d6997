package bangkom

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// Bounds on the numbers of the Bangkom vocabulary. A statement beyond them
// is refused when it is written (CheckStatement); a claim already in the
// log beyond them (written before the bounds existed) is clamped when JP is
// worked out (Compute), so no report ever holds a non-finite or absurd
// number.
const (
	// MaxDeclaredJP is the most JP any statement may declare in
	// …/extensions/jp, whatever its form.
	MaxDeclaredJP = 1000
	// MaxDays is the most days a claim may span (…/extensions/days).
	MaxDays = 366
	// DefaultMaxJPPerClaim bounds a declared or duration rule version
	// that names no max_jp_per_claim.
	DefaultMaxJPPerClaim = MaxDeclaredJP
	// MinLevel and MaxLevel bound an assessed competency level
	// (PermenPANRB 38/2017: levels 1–5).
	MinLevel = 1
	MaxLevel = 5
)

// maxPerClaim is the most programme JP (before any international uplift)
// one claim of version v counts.
func (v *RuleVersion) maxPerClaim() float64 {
	if v.MaxJPPerClaim != nil && *v.MaxJPPerClaim > 0 && !math.IsInf(*v.MaxJPPerClaim, 0) {
		return *v.MaxJPPerClaim
	}
	return DefaultMaxJPPerClaim
}

// clampJP bounds a JP value to [0, hi]: NaN and negatives are 0 (-0
// included), +Inf and anything above hi is hi.
func clampJP(jp, hi float64) float64 {
	if math.IsNaN(jp) || jp <= 0 {
		return 0
	}
	return math.Min(jp, hi)
}

// clampDays bounds a claim's days to [1, MaxDays].
func clampDays(days int) int {
	return min(max(days, 1), MaxDays)
}

// CheckStatement checks the Bangkom vocabulary's numbers in a statement
// before it is written: …/extensions/jp a finite number from 0 to the
// form's max_jp_per_claim (MaxDeclaredJP when the form is not named or not
// known), …/extensions/days a whole number from 1 to MaxDays,
// …/extensions/start-date a date YYYY-MM-DD near the timestamp
// (checkStartDate), and the level of an assessment (result.score.raw) from
// 1 to 5. The extensions are
// checked on every statement that carries them, claim or not: whether a
// statement is a claim can change later (its activity may enter the
// catalogue), and the profile's schema of each extension holds wherever it
// is used. rules may be nil. The error names the JSON path and the bound.
func CheckStatement(st *fastjson.Value, rules *RuleSet) error {
	ext := st.Get("context", "extensions")
	if ext != nil && ext.Type() == fastjson.TypeObject {
		const at = "context.extensions."
		if v := ext.Get(ExtJP); v != nil {
			form := string(ext.GetStringBytes(ExtForm))
			hi, within := rules.MaxDeclared(form), "any form"
			if rules != nil && rules.Forms[form] != nil {
				within = "form " + form
			}
			f, err := finite(v)
			switch {
			case err != nil:
				return fmt.Errorf("%s%s: %v", at, ExtJP, err)
			case f < 0:
				return fmt.Errorf("%s%s: %s is negative; declared JP are 0 or more", at, ExtJP, v)
			case f > hi:
				return fmt.Errorf("%s%s: %s is more than the %g JP one claim of %s may declare", at, ExtJP, v, hi, within)
			}
		}
		if v := ext.Get(ExtStartDate); v != nil {
			if err := checkStartDate(v, st.GetStringBytes("timestamp")); err != nil {
				return fmt.Errorf("%s%s: %v", at, ExtStartDate, err)
			}
		}
		if v := ext.Get(ExtDays); v != nil {
			f, err := finite(v)
			switch {
			case err != nil:
				return fmt.Errorf("%s%s: %v", at, ExtDays, err)
			case f != math.Trunc(f) || f < 1 || f > MaxDays:
				return fmt.Errorf("%s%s: %s is not a whole number of days from 1 to %d", at, ExtDays, v, MaxDays)
			}
		}
	}
	if string(st.GetStringBytes("verb", "id")) == VerbAssessed && strings.HasPrefix(string(st.GetStringBytes("object", "id")), CompetencyPrefix) {
		if v := st.Get("result", "score", "raw"); v != nil {
			f, err := finite(v)
			switch {
			case err != nil:
				return fmt.Errorf("result.score.raw: %v", err)
			case f < MinLevel || f > MaxLevel:
				return fmt.Errorf("result.score.raw: %s is not a competency level from %d to %d", v, MinLevel, MaxLevel)
			}
		}
	}
	return nil
}

// checkStartDate checks a start date: a JSON string holding a calendar
// date YYYY-MM-DD, and, when the statement has a timestamp, not after its
// date nor more than MaxDays days before it. The person's zone is not
// known here, so the timestamp's date is taken in its own offset with a
// day's slack either way (Compute checks the exact day and notes a start
// date it ignores).
func checkStartDate(v *fastjson.Value, timestamp []byte) error {
	if v.Type() != fastjson.TypeString {
		return fmt.Errorf("must be a JSON string holding a date YYYY-MM-DD, not %s", v.Type())
	}
	s := string(v.GetStringBytes())
	if !isDate(s) {
		return fmt.Errorf("%q is not a calendar date YYYY-MM-DD", s)
	}
	ts, err := time.Parse(time.RFC3339Nano, string(timestamp))
	if err != nil {
		return nil
	}
	start, _ := time.Parse(time.DateOnly, s)
	last := time.Date(ts.Year(), ts.Month(), ts.Day(), 0, 0, 0, 0, time.UTC)
	switch {
	case start.After(last.AddDate(0, 0, 1)):
		return fmt.Errorf("%s is after the statement's timestamp %s; the start date is the first day and the timestamp the last", s, timestamp)
	case start.Before(last.AddDate(0, 0, -MaxDays)):
		return fmt.Errorf("%s is more than %d days before the statement's timestamp %s", s, MaxDays, timestamp)
	}
	return nil
}

// finite reads a JSON number that is finite in float64.
func finite(v *fastjson.Value) (float64, error) {
	if v.Type() != fastjson.TypeNumber {
		return 0, fmt.Errorf("must be a JSON number, not %s", v.Type())
	}
	f, err := v.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s is not a finite number", v)
	}
	return f, nil
}

// MaxDeclared is the most JP a statement or catalogue entry of form may
// declare: the largest max_jp_per_claim of the form's declared and
// duration versions (the statement's date picks the version only when JP
// is worked out); MaxDeclaredJP for a form that is not known or counts no
// declared JP. rs may be nil.
func (rs *RuleSet) MaxDeclared(form string) float64 {
	if rs == nil || rs.Forms[form] == nil {
		return MaxDeclaredJP
	}
	hi := 0.0
	for i := range rs.Forms[form].Versions {
		if v := &rs.Forms[form].Versions[i]; v.Unit == UnitDeclared || v.Unit == UnitDuration {
			hi = math.Max(hi, v.maxPerClaim())
		}
	}
	if hi == 0 {
		return MaxDeclaredJP
	}
	return math.Min(hi, MaxDeclaredJP)
}
