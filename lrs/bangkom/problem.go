package bangkom

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// Codes of claim problems: why a statement meant as a learning claim does
// not count. They are stable: clients and spreadsheets match on them.
const (
	ProblemActorNotASN     = "actor_not_asn"       // the actor is not an account at all, or on another homePage
	ProblemHomePageWrong   = "homepage_wrong"      // the account's homePage is the SIASN one but for case, a trailing slash or http
	ProblemNIPInvalid      = "nip_invalid"         // the account name is not a NIP (ParseNIP's message)
	ProblemNIPUnregistered = "nip_unregistered"    // a claim of a NIP the registry does not hold (judged when read)
	ProblemObjectNotActiv  = "object_not_activity" // the object is a StatementRef, Agent, …
	ProblemFormMissing     = "form_missing"        // no …/extensions/form and the activity is not in the catalogue
	ProblemFormUnknown     = "form_unknown"        // a form code the rules do not know (the closest is named)
	ProblemJPNotANumber    = "jp_not_a_number"     // …/extensions/jp is a string, a boolean, …
	ProblemJPOutOfRange    = "jp_out_of_range"     // negative, not finite, or above the form's max_jp_per_claim
	ProblemDaysNotANumber  = "days_not_a_number"   // …/extensions/days is not a number
	ProblemDaysOutOfRange  = "days_out_of_range"   // not a whole number from 1 to MaxDays
	ProblemDuplicate       = "duplicate"           // a duplicate of a counted claim (claim identity)
	ProblemFutureDate      = "future_date"         // dated after it was stored: counts from its date
	ProblemNameMissing     = "name_missing"        // counts, but has no activity name for SIASN's namaKursus
)

// ProblemCodes lists every code, for documentation and checks.
var ProblemCodes = []string{ProblemActorNotASN, ProblemHomePageWrong, ProblemNIPInvalid, ProblemNIPUnregistered,
	ProblemObjectNotActiv, ProblemFormMissing, ProblemFormUnknown, ProblemJPNotANumber, ProblemJPOutOfRange,
	ProblemDaysNotANumber, ProblemDaysOutOfRange, ProblemDuplicate, ProblemFutureDate}

// Problem is a statement meant as a learning claim that does not count,
// and why: GET /api/v1/claims/problems and YearReport.NotCounted.
type Problem struct {
	StatementID string    `json:"statement_id"`
	Seq         uint64    `json:"seq"`
	NIP         string    `json:"nip"`             // the actor's account name as sent (may not be a NIP)
	Credential  string    `json:"credential"`      // key of the credential that wrote it
	Stored      time.Time `json:"stored,omitzero"` // zero for problems judged when read
	Timestamp   time.Time `json:"timestamp,omitzero"`
	// Date is the learning date in the person's zone (on a person's report).
	Date     string `json:"date,omitempty"`
	Activity string `json:"activity,omitempty"`
	Form     string `json:"form,omitempty"` // the form as sent
	Code     string `json:"code"`
	Reason   string `json:"reason"`
	Rule     string `json:"rule"` // the profile rule or concept it breaks
	// DuplicateOf is the statement id of the claim that counts instead
	// (code duplicate).
	DuplicateOf string `json:"duplicate_of,omitempty"`
}

// Rules of the Bangkom profile a claim problem names.
const (
	RuleASNAccount = "actor.account: homePage " + DefaultHomePage + ", name an 18-digit NIP (Bangkom profile: learning claims are made by ASN accounts)"
	RuleRegistry   = "actor.account.name: a NIP in the person registry (POST /api/v1/people); the claim counts once the person is registered"
	RuleObject     = "object: an Activity (Bangkom profile: learning claims name the activity learnt)"
	RuleForm       = "context.extensions[" + ExtForm + "]: a form code of schemas/jp-rules, or an activity in the catalogue"
	RuleJP         = "context.extensions[" + ExtJP + "]: a finite JSON number from 0 to the form's max_jp_per_claim"
	RuleDays       = "context.extensions[" + ExtDays + "]: a whole JSON number from 1 to 366"
	RuleIdentity   = "claim identity (schemas/jp-rules claim_identity): one learning makes one claim; the completion counts"
	RuleFutureDate = "timestamp: the learning's date; a claim counts from that date in the person's zone"
	RuleName       = "object.definition.name: the activity's name (id-ID first), else the catalogue's; SIASN's namaKursus is never an IRI"
)

// DiagnoseClaim reads a stored statement as a learning claim (ok), or
// says why a statement meant as one is not (problem), or neither: the
// statement is not meant as a claim. A statement is meant as a claim when
// its verb is a learning verb (completed, passed, attended) and it carries
// a Bangkom context extension or its actor is an account on the SIASN
// homePage (or one differing from it only by case, a trailing slash or
// http). Other verbs are never claims, and are not problems either: an LMS
// sends progress statements with the same context. The registry is not
// consulted here (see ProblemNIPUnregistered). It is pure.
func DiagnoseClaim(st *fastjson.Value, seq uint64, w Writer, homePage string, rules *RuleSet, catalogue func(activity string) (CatalogueEntry, bool)) (Claim, *Problem, bool) {
	verb := string(st.GetStringBytes("verb", "id"))
	if !learningVerbs[verb] {
		return Claim{}, nil, false
	}
	ext := st.Get("context", "extensions")
	bangkomExt := false
	if ext == nil {
		// no context extensions
	} else if o, err := ext.Object(); err == nil {
		o.Visit(func(k []byte, _ *fastjson.Value) {
			bangkomExt = bangkomExt || strings.HasPrefix(string(k), IRIBase+"/extensions/")
		})
	}
	acc := st.Get("actor", "account")
	hp := string(acc.GetStringBytes("homePage"))
	name := string(acc.GetStringBytes("name"))
	near := acc != nil && (hp == homePage || SameHomePage(hp, homePage))
	if !bangkomExt && !near {
		return Claim{}, nil, false
	}
	obj := st.Get("object")
	p := &Problem{StatementID: string(st.GetStringBytes("id")), Seq: seq, NIP: name, Credential: w.Key,
		Activity: string(obj.GetStringBytes("id"))}
	p.Stored, _ = time.Parse(time.RFC3339Nano, string(st.GetStringBytes("stored")))
	p.Stored = p.Stored.UTC()
	if ts, err := time.Parse(time.RFC3339Nano, string(st.GetStringBytes("timestamp"))); err == nil {
		p.Timestamp = ts.UTC()
	}
	if v := ext.Get(ExtForm); v != nil {
		if b, err := v.StringBytes(); err == nil {
			p.Form = string(b)
		} else {
			p.Form = v.String()
		}
	}
	fail := func(code, rule, format string, args ...any) (Claim, *Problem, bool) {
		p.Code, p.Rule, p.Reason = code, rule, fmt.Sprintf(format, args...)
		return Claim{}, p, false
	}
	switch {
	case acc == nil:
		return fail(ProblemActorNotASN, RuleASNAccount, "the actor is not an account: a learning claim's actor is an ASN account {homePage: %s, name: NIP}", homePage)
	case !near:
		return fail(ProblemActorNotASN, RuleASNAccount, "the actor's account homePage %q is not %s: the claim is no ASN's", hp, homePage)
	case hp != homePage:
		return fail(ProblemHomePageWrong, RuleASNAccount, "the actor's account homePage %q is not exactly %s (it differs by case, a trailing slash or http)", hp, homePage)
	}
	if _, err := ParseNIP(name); err != nil {
		return fail(ProblemNIPInvalid, RuleASNAccount, "the actor's account name is not a valid NIP: %v", err)
	}
	if ot := string(obj.GetStringBytes("objectType")); ot != "" && ot != "Activity" {
		return fail(ProblemObjectNotActiv, RuleObject, "the object is a %s, not an Activity", ot)
	}
	if v := ext.Get(ExtForm); v != nil && v.Type() != fastjson.TypeString {
		return fail(ProblemFormUnknown, RuleForm, "the form %s is a JSON %s, not a form code like KLS-TEKNIS", v, v.Type())
	}
	entry, inCatalogue := catalogue(p.Activity)
	form := p.Form
	if form == "" && inCatalogue {
		form = entry.Form
	}
	switch _, known := rules.Forms[form]; {
	case form == "":
		return fail(ProblemFormMissing, RuleForm, "the statement names no form (%s) and its activity is not in the catalogue", ExtForm)
	case !known:
		return fail(ProblemFormUnknown, RuleForm, "%q is not a form code of the rules; %s", form, rules.closestForm(form))
	}
	if v := ext.Get(ExtJP); v != nil {
		f, err := finite(v)
		hi := rules.MaxDeclared(form)
		switch {
		case v.Type() != fastjson.TypeNumber:
			return fail(ProblemJPNotANumber, RuleJP, "the declared JP %s is a JSON %s, not a number: write %s", v, v.Type(), unquoted(v))
		case err != nil || f < 0 || f > hi:
			return fail(ProblemJPOutOfRange, RuleJP, "the declared JP %s is not a number from 0 to %g, the most one claim of %s may declare", v, hi, form)
		}
	}
	if v := ext.Get(ExtDays); v != nil {
		f, err := finite(v)
		switch {
		case v.Type() != fastjson.TypeNumber:
			return fail(ProblemDaysNotANumber, RuleDays, "the days %s are a JSON %s, not a number: write %s", v, v.Type(), unquoted(v))
		case err != nil || f != math.Trunc(f) || f < 1 || f > MaxDays:
			return fail(ProblemDaysOutOfRange, RuleDays, "the days %s are not a whole number from 1 to %d", v, MaxDays)
		}
	}
	c, ok := claimFrom(st, seq, w, homePage, rules, catalogue)
	if !ok {
		return Claim{}, nil, false // a statement without a usable time: not stored so
	}
	return c, nil, true
}

// unquoted suggests the number a string holds ("8" → 8).
func unquoted(v *fastjson.Value) string {
	if b, err := v.StringBytes(); err == nil {
		return strings.TrimSpace(string(b)) + " without quotes"
	}
	return "a number"
}

// SameHomePage reports whether two homePages differ at most by case, a
// trailing slash and http for https: the mistakes that make a SIASN
// account look like another system's.
func SameHomePage(a, b string) bool {
	norm := func(s string) string {
		s = strings.TrimRight(strings.ToLower(strings.TrimSpace(s)), "/")
		return strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	}
	return norm(a) == norm(b) && norm(a) != ""
}

// closestForm names the form code closest to code: the same code in
// other case, else the nearest by edit distance (ties: the first in
// alphabetical order).
func (rs *RuleSet) closestForm(code string) string {
	forms := make([]string, 0, len(rs.Forms))
	for f := range rs.Forms {
		forms = append(forms, f)
	}
	slices.Sort(forms)
	for _, f := range forms {
		if strings.EqualFold(f, code) {
			return fmt.Sprintf("did you mean %s? (form codes are upper case)", f)
		}
	}
	best, bestD := "", math.MaxInt
	up := strings.ToUpper(code)
	for _, f := range forms {
		if d := editDistance(up, f); d < bestD {
			best, bestD = f, d
		}
	}
	if best == "" {
		return "the rules hold no forms"
	}
	return fmt.Sprintf("the closest code is %s (GET /xapi/profiles/bangkom and schemas/jp-rules list them)", best)
}

// editDistance is the Levenshtein distance between a and b in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 {
		ra = ra[:64] // a form code is short; a long value is far from all
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// notCounted lists the person's problems of year (by learning date in
// their zone, else by stored date), as of asOf, with their dates.
func notCounted(f Facts, year int, asOf uint64) []Problem {
	loc := f.Person.Location()
	var out []Problem
	for _, p := range f.Problems {
		if asOf > 0 && p.Seq > asOf {
			continue
		}
		at := p.Timestamp
		if at.IsZero() {
			at = p.Stored
		}
		local := at.In(loc)
		if local.Year() != year {
			continue
		}
		p.Date = isoDate(time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC))
		out = append(out, p)
	}
	return out
}

// ProblemFilter selects claim problems for a listing: those after the
// cursor After (from a previous listing; "" for the first), from log
// sequence FromSeq on, of the account name NIP and of the credential
// Credential ("" for any).
type ProblemFilter struct {
	After      string
	FromSeq    uint64
	NIP        string
	Credential string
}

// ErrBadCursor is the error for a cursor that no listing made.
var ErrBadCursor = errors.New("not a cursor of this listing")

// JudgedProblems are a registered person's claim problems that are judged
// when read, not when folded: statements that duplicate a counted claim
// (one learning, one claim), claims dated after now's day in the
// person's zone (they count from their date), and claims that count with no
// activity name for SIASN (MissingName), of every year the person has
// claims in, as of asOf. It is pure; the result is in log order.
func JudgedProblems(f Facts, rules *RuleSet, now time.Time, asOf uint64) []Problem {
	loc := f.Person.Location()
	years := map[int]bool{}
	claims := map[string]Claim{}
	for _, c := range f.Claims {
		if asOf == 0 || c.Seq <= asOf {
			years[localDay(c.Timestamp, loc).Year()] = true
			claims[c.StatementID] = c
		}
	}
	var today time.Time
	if !now.IsZero() {
		today = localDay(now, loc)
	}
	var out []Problem
	for _, y := range slices.Sorted(maps.Keys(years)) {
		for _, it := range ComputeQuery(f, rules, Query{Year: y, AsOf: asOf, Now: now}).Items {
			c := claims[it.StatementID]
			p := Problem{StatementID: it.StatementID, Seq: c.Seq, NIP: string(f.Person.NIP), Credential: it.By(),
				Timestamp: c.Timestamp, Date: it.Date, Activity: it.Activity, Form: it.Form}
			switch {
			case it.State == Duplicate:
				p.Code, p.Rule, p.DuplicateOf = ProblemDuplicate, RuleIdentity, it.DuplicateOf
				p.Reason = fmt.Sprintf("a statement of the same learning as %s, which counts instead (%s)", it.DuplicateOf, strings.Join(rules.Identity(it.Form).Keys, " + "))
			case !today.IsZero() && it.Day().After(today) && it.State == Pending:
				p.Code, p.Rule = ProblemFutureDate, RuleFutureDate
				p.Reason = fmt.Sprintf("dated %s, after today (%s) in the person's zone: it counts from that date", it.Date, isoDate(today))
			case it.State != Voided && it.State != Rejected && MissingName(it):
				p.Code, p.Rule = ProblemNameMissing, RuleName
				p.Reason = "the activity has no name in object.definition.name nor in the catalogue: it counts, but its SIASN row's namaKursus is empty"
			default:
				continue
			}
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b Problem) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}
