package bangkom

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Recognition states of a claim.
const (
	Pending  = "pending"
	Approved = "approved"
	Rejected = "rejected"
	Voided   = "voided"
	// Duplicate is a statement of a learning that another statement counts
	// for (the same claim identity, see ClaimIdentity): it counts nothing.
	Duplicate = "duplicate"
)

// Item is one claim as the JP report shows it, traceable to its statements.
type Item struct {
	StatementID  string  `json:"statement_id"`
	Form         string  `json:"form"`
	Date         string  `json:"date"`
	JPClaimed    float64 `json:"jp_claimed"`
	JPRecognized float64 `json:"jp_recognized"`
	State        string  `json:"state"`
	ApprovedBy   string  `json:"approved_by"` // who approved it: only for an approved claim
	// RejectedBy is who rejected a rejected claim, and Reason the
	// rejecting statement's result.response.
	RejectedBy   string   `json:"rejected_by,omitempty"`
	Reason       string   `json:"reason,omitempty"`
	Rule         string   `json:"rule"`
	Seqs         []uint64 `json:"seqs"` // log sequences of the claim and the statements that decided it
	Activity     string   `json:"activity"`
	ActivityName string   `json:"activity_name,omitempty"`
	Competencies []string `json:"competencies,omitempty"`
	Organizer    string   `json:"organizer,omitempty"`
	Start        string   `json:"start"` // the first day, YYYY-MM-DD (StartDate); Date is the last
	Note         string   `json:"note,omitempty"`
	// DuplicateOf is, for a duplicate, the statement id of the claim that
	// counts for the same learning.
	DuplicateOf string `json:"duplicate_of,omitempty"`
	day         time.Time
	start       time.Time
	seq         uint64
	intl        bool
	minutes     float64
	pooled      bool
	by          string // key of the credential that wrote the claim
	awaits      bool   // no valid decision yet (and not approved on arrival)
}

// AwaitsDecision reports whether the claim waits for a supervisor's or a
// verifier's decision: pending by its decisions, whatever its date (a claim
// dated after the report is pending until its date, and may be decided
// before). Duplicates, voided and decided claims await nothing.
func (it Item) AwaitsDecision() bool { return it.awaits }

// By is the key of the credential that wrote the claim.
func (it Item) By() string { return it.by }

// StartDate is the first day of the learning: the claim's start date
// (…/extensions/start-date), else its date minus (days − 1).
func (it Item) StartDate() time.Time { return it.start }

// EndDate is the last day of the learning: the claim's date, the day the
// statement says it was completed.
func (it Item) EndDate() time.Time { return it.day }

// Day is the claim's date (the completion): the year, the rule version and
// the cap periods follow it.
func (it Item) Day() time.Time { return it.day }

// startDay is the first day of a claim whose last day is day: its start
// date when that is a calendar date at most day and at most MaxDays days
// long, else day minus (days − 1). note says why a start date was ignored.
func startDay(c Claim, day time.Time) (start time.Time, note string) {
	start = day.AddDate(0, 0, -(clampDays(c.Days) - 1))
	if c.StartDate == "" {
		return start, ""
	}
	s, err := time.Parse(time.DateOnly, c.StartDate)
	switch {
	case err != nil:
		return start, fmt.Sprintf("start date %q is not a date YYYY-MM-DD; ignored", c.StartDate)
	case s.After(day):
		return start, fmt.Sprintf("start date %s is after the last day %s; ignored", c.StartDate, isoDate(day))
	case s.Before(day.AddDate(0, 0, -(MaxDays - 1))):
		return start, fmt.Sprintf("start date %s is more than %d days before the last day %s; ignored", c.StartDate, MaxDays, isoDate(day))
	}
	return s, ""
}

// addNote adds a note to an item's note.
func addNote(it *Item, note string) {
	if note == "" {
		return
	}
	if it.Note != "" {
		it.Note += "; "
	}
	it.Note += note
}

// FormTotal sums one form's JP.
type FormTotal struct {
	Form       string  `json:"form"`
	Recognized float64 `json:"recognized"`
	Pending    float64 `json:"pending"`
}

// YearReport is a person's JP for a year: the body of
// GET /api/v1/people/{nip}/jp.
type YearReport struct {
	NIP        NIP         `json:"nip"`
	Year       int         `json:"year"`
	Type       string      `json:"type"`
	Target     float64     `json:"target"`
	Recognized float64     `json:"recognized"`
	Pending    float64     `json:"pending"`
	Rejected   float64     `json:"rejected"`
	Met        bool        `json:"met"`
	ByForm     []FormTotal `json:"by_form"`
	Items      []Item      `json:"items"`
	Rules      string      `json:"rules"`
	AsOf       string      `json:"as_of,omitempty"`
	// Period is set on a report of the learning dated in a period
	// (Query.From, Query.To): the totals, by_form and items above are the
	// period's.
	Period *Period  `json:"period,omitempty"`
	Notes  []string `json:"notes,omitempty"`
	// NotCounted are the person's statements of the year meant as claims
	// that do not count, each with why (claim problems).
	NotCounted []Problem `json:"not_counted,omitempty"`
}

// Facts are what the JP view holds about one person, all from the log.
type Facts struct {
	Person        Person
	Claims        []Claim
	Decisions     map[string][]Decision // by claim statement id, in log order
	Voided        map[string]uint64     // statement id → sequence of its voiding
	Assessments   []Assessment
	PriorLearning []PriorLearning
	Standards     map[string]int // the person's position standard: code → required level
	// History is every registry entry of the person in log order; a
	// decision is judged against the supervisor registered when it was made.
	History []Registered
	// Problems are the person's statements meant as claims that are not
	// (DiagnoseClaim), in log order.
	Problems []Problem
}

// Registered is a registry entry and the log sequence that recorded it.
type Registered struct {
	Seq    uint64
	Person Person
}

// supervisorAt returns the supervisor registered at sequence seq.
func (f Facts) supervisorAt(seq uint64) NIP {
	if len(f.History) == 0 {
		return f.Person.SupervisorNIP
	}
	var sup NIP
	for _, r := range f.History {
		if r.Seq > seq {
			break
		}
		sup = r.Person.SupervisorNIP
	}
	return sup
}

// Compute works out a person's JP for a year as of log sequence asOf,
// with no check of future dates: ComputeQuery with Query{year, asOf, zero}.
func Compute(f Facts, rules *RuleSet, year int, asOf uint64) YearReport {
	return ComputeQuery(f, rules, Query{Year: year, AsOf: asOf})
}

// ComputeQuery works out a person's JP for q: the year q.Year, or, when
// q.From or q.To is set, the learning dated in that period (see
// computePeriod), counting only what the log held at sequence q.AsOf (0:
// everything). Statements of one learning (the same claim identity) make
// one claim: the counted one (see counts), the others are duplicates. A
// claim dated after q.Now's day is pending until that day. It is pure.
func ComputeQuery(f Facts, rules *RuleSet, q Query) YearReport {
	if !q.From.IsZero() || !q.To.IsZero() {
		return computePeriod(f, rules, q)
	}
	year, asOf := q.Year, q.AsOf
	loc := f.Person.Location()
	rep := YearReport{NIP: f.Person.NIP, Year: year, Type: f.Person.Type, Rules: rules.Digest, ByForm: []FormTotal{}, Items: []Item{}}
	target, hasTarget := rules.Target(f.Person.Type, year)
	if hasTarget {
		rep.Target = target.JP
	}
	visible := func(seq uint64) bool { return asOf == 0 || seq <= asOf }
	voided := func(id string) bool {
		seq, ok := f.Voided[id]
		return ok && visible(seq)
	}
	groups := groupClaims(f.Claims, rules, loc, func(c *Claim) bool { return visible(c.Seq) && !voided(c.StatementID) })
	var today time.Time
	if !q.Now.IsZero() {
		today = localDay(q.Now, loc)
	}
	for i, c := range f.Claims {
		if !visible(c.Seq) {
			continue
		}
		day := localDay(c.Timestamp, loc)
		if day.Year() != year {
			continue
		}
		it := Item{StatementID: c.StatementID, Form: c.Form, Date: isoDate(day), Seqs: []uint64{c.Seq},
			Activity: c.Activity, ActivityName: c.ActivityName, Competencies: c.Competencies, Organizer: c.Organizer, by: c.By, day: day, seq: c.Seq, intl: c.International}
		var startNote string
		it.start, startNote = startDay(c, day)
		it.Start = isoDate(it.start)
		rule := rules.Forms[c.Form]
		v, ok := rule.At(day)
		if ok {
			it.Rule = c.Form + "@" + v.Version
		}
		if k, dup := groups.countedOf[i]; dup {
			counted := f.Claims[k]
			it.State, it.DuplicateOf = Duplicate, counted.StatementID
			it.Note = fmt.Sprintf("duplicate of %s: one learning (%s) counts once", counted.StatementID, strings.Join(rules.Identity(c.Form).Keys, " + "))
			rep.Items = append(rep.Items, it)
			continue
		}
		if !ok {
			it.State, it.Note, it.awaits = Pending, "no rule of this form is in force on this date", true
			addNote(&it, startNote)
			rep.Items = append(rep.Items, it)
			continue
		}
		var bounded bool
		var uplift string
		it.JPClaimed, bounded, uplift = claimedJP(c, v, rules.Targets.MinutesPerJP)
		if bounded {
			addNote(&it, fmt.Sprintf("bounded: this rule counts at most %g JP per claim", v.maxPerClaim()))
		}
		if uplift != "" {
			addNote(&it, uplift)
		}
		if v.Pool != nil && *v.Pool == "day" && c.Minutes != nil {
			// A claim's minutes count up to the rule's bound, so a day's sum stays finite.
			it.pooled, it.minutes = true, clampJP(*c.Minutes, v.maxPerClaim()*rules.Targets.MinutesPerJP)
		}
		var members []Claim
		for _, m := range groups.members[i] {
			members = append(members, f.Claims[m])
		}
		it.State = state(c, members, f, rule, visible, &it)
		it.awaits = it.State == Pending
		if !today.IsZero() && day.After(today) && (it.State == Pending || it.State == Approved) {
			note := "dated " + it.Date + ": counts from that date"
			if it.State == Approved {
				note += " (approved by " + it.ApprovedBy + ")"
			}
			it.State, it.ApprovedBy = Pending, ""
			addNote(&it, note)
		}
		addNote(&it, startNote)
		rep.Items = append(rep.Items, it)
	}
	rep.Items = byDate(rep.Items)
	poolMinutes(rep.Items, rules.Targets.MinutesPerJP)
	applyCaps(rep.Items, rules)
	totals := map[string]*FormTotal{}
	for i := range rep.Items {
		rep.count(totals, &rep.Items[i])
	}
	rep.ByForm = byForm(totals)
	rep.Met = rep.Target > 0 && rep.Recognized >= rep.Target
	rep.NotCounted = notCounted(f, year, asOf)
	if hasTarget && target.MaxJP != nil && rep.Recognized > *target.MaxJP {
		rep.Notes = append(rep.Notes, fmt.Sprintf("recognised JP exceed the %s maximum of %g JP a year (%s)", f.Person.Type, *target.MaxJP, target.Source))
	}
	return rep
}

// claimedJP is what one claim is worth under v, whether the rule's bound
// on one claim cut it, and how an international uplift was worked out
// ("" when none applied). Declared JP and JP from minutes count up to v's
// max_jp_per_claim (NaN and negatives as 0) before an uplift, and days up
// to MaxDays, so the result is always finite.
func claimedJP(c Claim, v *RuleVersion, minutesPerJP float64) (float64, bool, string) {
	hi := v.maxPerClaim()
	bounded := false
	bound := func(jp float64) float64 {
		b := clampJP(jp, hi)
		bounded = bounded || b < jp
		return b
	}
	// The programme's JP from minutes is whole JP first (G2); an uplift
	// applies to those JP and is rounded as the rule says (down).
	fromMinutes := func() float64 {
		if c.Minutes == nil {
			return 0
		}
		return bound(math.Floor(*c.Minutes/minutesPerJP + 1e-9))
	}
	note := ""
	uplift := func(jp float64) float64 {
		if !c.International || v.InternationalUplift == nil {
			return math.Floor(jp + 1e-9)
		}
		var up float64
		up, note = upliftJP(jp, *v.InternationalUplift, v.UpliftRounding)
		return up
	}
	perUnit := func() float64 {
		jp := 0.0
		if v.JP != nil {
			jp = *v.JP
		}
		if c.International {
			if v.JPInternational != nil {
				return *v.JPInternational
			}
			if v.InternationalUplift != nil {
				return uplift(jp)
			}
		}
		return jp
	}
	days := float64(clampDays(c.Days))
	switch v.Unit {
	case UnitDeclared:
		if c.DeclaredJP != nil && !math.IsNaN(*c.DeclaredJP) {
			return uplift(bound(*c.DeclaredJP)), bounded, note
		}
		return uplift(fromMinutes()), bounded, note
	case UnitDuration:
		return uplift(fromMinutes()), bounded, note
	case UnitPerDay:
		return perUnit() * days, false, note
	case UnitPerSession, UnitPerAssignment, UnitPerSemester, UnitPerContrib:
		return perUnit(), false, note
	default:
		return 0, false, ""
	}
}

// upliftJP applies an international uplift factor to jp and makes the
// result whole JP as rounding says: "down" (the only rounding the rules
// use, and the default) drops the fraction. It returns the JP and the
// working for the item's note, e.g. "international uplift: 7 JP × 1.2 =
// 8.4, rounded down to 8 JP".
func upliftJP(jp, factor float64, rounding string) (float64, string) {
	exact := jp * factor
	up := math.Floor(exact + 1e-9) // 15 × 1.2 is 18, not 17.999…
	shown := math.Round(exact*1e6) / 1e6
	num := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	if up == shown {
		return up, fmt.Sprintf("international uplift: %s JP × %s = %s JP", num(jp), num(factor), num(up))
	}
	if rounding == "" {
		rounding = "down"
	}
	return up, fmt.Sprintf("international uplift: %s JP × %s = %s, rounded %s to %s JP", num(jp), num(factor), num(shown), rounding, num(up))
}

// verbRank orders the statements of one learning: a completion (completed
// or passed) over an attendance.
var verbRank = map[string]int{
	"http://adlnet.gov/expapi/verbs/completed": 2,
	"http://adlnet.gov/expapi/verbs/passed":    2,
	"http://adlnet.gov/expapi/verbs/attended":  1,
}

// counts reports whether a should count for a learning rather than b, two
// statements of it: a completion (completed or passed) over an attendance;
// among equals the first in the log, so a repeat or a later statement of
// the same rank never displaces the one that counts (nor its decisions).
func counts(a, b *Claim) bool {
	if ra, rb := verbRank[a.Verb], verbRank[b.Verb]; ra != rb {
		return ra > rb
	}
	return a.Seq < b.Seq
}

// claimGroups holds a person's claims grouped by claim identity, by index
// in Facts.Claims.
type claimGroups struct {
	countedOf map[int]int   // a duplicate → the claim that counts for its learning
	members   map[int][]int // a counted claim → every live claim of its learning (itself included), in log order
}

// groupClaims groups the live claims (visible, not voided) by claim
// identity (the rule set's default, or their form's override) and picks
// the one that counts in each group. Groups span years: a learning whose
// attendance is dated in December and completion in January is one claim.
func groupClaims(claims []Claim, rules *RuleSet, loc *time.Location, live func(*Claim) bool) claimGroups {
	type group struct {
		best    int
		members []int
	}
	byKey := map[string]*group{}
	var order []*group
	for i := range claims {
		c := &claims[i]
		if !live(c) {
			continue
		}
		key := identityKey(c, rules.Identity(c.Form), loc)
		g := byKey[key]
		if g == nil {
			g = &group{best: i}
			byKey[key] = g
			order = append(order, g)
		} else if counts(c, &claims[g.best]) {
			g.best = i
		}
		g.members = append(g.members, i)
	}
	gs := claimGroups{countedOf: map[int]int{}, members: map[int][]int{}}
	for _, g := range order {
		gs.members[g.best] = g.members
		for _, m := range g.members {
			if m != g.best {
				gs.countedOf[m] = g.best
			}
		}
	}
	return gs
}

// identityKey is c's claim identity under id as one comparable string; it
// names the keys, so identities of different kinds never meet.
func identityKey(c *Claim, id ClaimIdentity, loc *time.Location) string {
	var b strings.Builder
	for _, k := range id.Keys {
		b.WriteString(k)
		b.WriteByte('=')
		switch k {
		case KeyPerson:
			b.WriteString(string(c.NIP))
		case KeyActivity:
			b.WriteString(c.Activity)
		case KeyRegistration:
			b.WriteString(c.Registration)
		case KeyDate:
			b.WriteString(isoDate(localDay(c.Timestamp, loc)))
		case KeyRegistrationOrDate:
			if c.Registration != "" {
				b.WriteString("r:" + c.Registration)
			} else {
				b.WriteString("d:" + isoDate(localDay(c.Timestamp, loc)))
			}
		case KeyStatement:
			b.WriteString(c.StatementID)
		}
		b.WriteByte(0)
	}
	return b.String()
}

// localDay is t's civil date in loc, as midnight UTC.
func localDay(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
}

// state decides a claim's recognition: voided when it was voided; approved
// on arrival from a provider credential when the form's rule says so
// (provider_approves); then the latest valid decision (by the supervisor
// registered for the person when the decision was made, or a verifier
// credential) overrides that; else pending. Decisions by
// anyone else, by the claimant (whatever the credential), or voided ones,
// are passed over: the API refuses them at write time (lrs.CanDecide), and
// those in an older log stay ignored. It notes on it who approved an
// approved claim (ApprovedBy), or who rejected a rejected one and why
// (RejectedBy, Reason).
//
// The decisions are those on c and, when c counts for a learning of several
// statements (members), those on the others made after c was in the log:
// a decision on any statement of a learning decides it once the statement
// that counts could be seen. One made before stays with the statement it
// names, so a later completion waits for its own decision and never
// inherits an approval given to another statement's JP. Approval on
// arrival is c's own.
func state(c Claim, members []Claim, f Facts, rule *Rule, visible func(uint64) bool, it *Item) string {
	if seq, ok := f.Voided[c.StatementID]; ok && visible(seq) {
		it.Seqs = append(it.Seqs, seq)
		return Voided
	}
	st, by, reason := Pending, "", ""
	if rule.ProviderApproves && c.Provider {
		st, by = Approved, "provider:"+c.By
	}
	decisions := f.Decisions[c.StatementID]
	if len(members) > 1 {
		decisions = slices.Clone(decisions)
		for _, m := range members {
			if m.StatementID == c.StatementID {
				continue
			}
			for _, d := range f.Decisions[m.StatementID] {
				if d.Seq > c.Seq {
					decisions = append(decisions, d)
				}
			}
		}
		slices.SortStableFunc(decisions, func(a, b Decision) int { return cmp.Compare(a.Seq, b.Seq) })
	}
	for _, d := range decisions {
		if !visible(d.Seq) {
			continue
		}
		if seq, ok := f.Voided[d.StatementID]; ok && visible(seq) {
			continue
		}
		who := ""
		switch {
		case d.Approver != "" && d.Approver == c.NIP:
			continue // recorded, and ignored: a claimant never decides their own claim
		case d.Approver != "" && d.Approver == f.supervisorAt(d.Seq):
			who = string(d.Approver)
		case d.Verifier:
			who = "verifier:" + d.By
		default:
			continue // recorded, and ignored: not this person's supervisor
		}
		it.Seqs = append(it.Seqs, d.Seq)
		if d.Approve {
			st, by, reason = Approved, who, ""
		} else {
			st, by, reason = Rejected, who, d.Reason
		}
	}
	switch st {
	case Approved:
		it.ApprovedBy = by
	case Rejected:
		it.RejectedBy, it.Reason = by, reason
	}
	return st
}

// poolMinutes works out approved pooled items per form and day: each is
// worth the whole JP its minutes add to the day's running total of verified
// minutes, so the day's JP is floor(Σminutes/45).
func poolMinutes(items []Item, minutesPerJP float64) {
	total := map[string]float64{}
	for i := range items {
		it := &items[i]
		if !it.pooled || it.State != Approved {
			continue // only verified minutes are pooled; others keep their own JP
		}
		key := it.Form + "/" + it.Date
		before := math.Floor(total[key]/minutesPerJP + 1e-9)
		total[key] += it.minutes
		it.JPClaimed = math.Floor(total[key]/minutesPerJP+1e-9) - before
	}
}

// applyCaps sets JPRecognized on approved items in date order: each cap of
// the form (or of the form it counts against) limits JP or claims per day,
// month or semester.
func applyCaps(items []Item, rules *RuleSet) {
	usedJP := map[capKey]float64{}
	usedN := map[capKey]int{}
	for i := range items {
		it := &items[i]
		if it.State != Approved {
			continue
		}
		rec := it.JPClaimed
		rule := rules.Forms[it.Form]
		v, _ := rule.At(it.day)
		capForm := it.Form
		if v != nil && v.CapForm != nil {
			capForm = *v.CapForm
		}
		var caps []Cap
		if cr := rules.Forms[capForm]; cr != nil {
			if cv, ok := cr.At(it.day); ok {
				caps = cv.Caps
			}
		}
		for _, cp := range caps {
			key := periodKey(capForm, cp.Period, it.day)
			if cp.MaxSessions != nil && usedN[key] >= *cp.MaxSessions {
				rec = 0
			}
			limit := cp.MaxJP
			if it.intl && cp.MaxJPInternational != nil {
				limit = cp.MaxJPInternational
			}
			if limit != nil {
				rec = math.Max(0, math.Min(rec, *limit-usedJP[key]))
			}
		}
		for _, cp := range caps {
			key := periodKey(capForm, cp.Period, it.day)
			usedN[key]++
			usedJP[key] += rec
		}
		it.JPRecognized = rec
		if rec < it.JPClaimed {
			addNote(it, fmt.Sprintf("capped: %g of %g JP recognised", rec, it.JPClaimed))
		}
	}
}

// capKey names the period of a cap that holds a day, for one form: the
// period's kind and its number in the year (the day of the year, the month,
// the semester; 0 for the year). A kind the rules do not know is one period.
type capKey struct {
	form, kind string
	year, n    int
}

func periodKey(form, kind string, day time.Time) capKey {
	k := capKey{form: form, kind: kind, year: day.Year()}
	switch kind {
	case "day":
		k.n = day.YearDay()
	case "month":
		k.n = int(day.Month())
	case "semester":
		k.n = 1
		if day.Month() > 6 {
			k.n = 2
		}
	case "year":
	default:
		k.year = 0
	}
	return k
}

// byDate returns items in date order, in log order within a date (by
// sequence, then as they came): sorting indices moves each item once.
func byDate(items []Item) []Item {
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		x, y := &items[a], &items[b]
		if c := x.day.Compare(y.day); c != 0 {
			return c
		}
		if c := cmp.Compare(x.seq, y.seq); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	sorted := make([]Item, len(items))
	for i, j := range order {
		sorted[i] = items[j]
	}
	return sorted
}

// isoDate formats a date as YYYY-MM-DD, as time.Format("2006-01-02") does.
func isoDate(day time.Time) string {
	y, m, d := day.Date()
	if y < 0 || y > 9999 {
		return day.Format("2006-01-02")
	}
	b := []byte("0000-00-00")
	for _, f := range [...]struct{ at, v int }{{0, y / 100}, {2, y % 100}, {5, int(m)}, {8, d}} {
		b[f.at], b[f.at+1] = byte('0'+f.v/10), byte('0'+f.v%10)
	}
	return string(b)
}

// count adds an item to the report's totals and to its form's.
func (rep *YearReport) count(totals map[string]*FormTotal, it *Item) {
	ft := totals[it.Form]
	if ft == nil {
		ft = &FormTotal{Form: it.Form}
		totals[it.Form] = ft
	}
	switch it.State {
	case Approved:
		rep.Recognized += it.JPRecognized
		ft.Recognized += it.JPRecognized
	case Pending:
		rep.Pending += it.JPClaimed
		ft.Pending += it.JPClaimed
	case Rejected:
		rep.Rejected += it.JPClaimed
	}
}

// byForm lists the forms' totals in form order.
func byForm(totals map[string]*FormTotal) []FormTotal {
	out := make([]FormTotal, 0, len(totals))
	for _, ft := range totals {
		out = append(out, *ft)
	}
	slices.SortFunc(out, func(a, b FormTotal) int { return strings.Compare(a.Form, b.Form) })
	return out
}
