package bangkom

import (
	"fmt"
	"time"
)

// Query is what a JP report is asked for.
type Query struct {
	// Year is the year reported when From and To are zero.
	Year int
	// AsOf counts only what the log held at this sequence (0: everything).
	AsOf uint64
	// Now is the moment the report is made: a claim dated (in its person's
	// zone) after Now's day there is pending until that day. Zero: no such
	// check.
	Now time.Time
	// From and To bound a period of learning dates, both inclusive: civil
	// dates (only their year, month and day count), compared with each
	// claim's date in its person's zone. Either may be zero: From is then
	// 1 January of To's year, To is 31 December of From's year.
	From, To time.Time
}

// Period says what a report of the learning dated in a period holds: its
// totals, by_form and items are those of the learning dated from From to
// To; each year it touches is in Years, against its annual target.
type Period struct {
	From  string       `json:"from"`
	To    string       `json:"to"`
	Years []PeriodYear `json:"years"`
}

// PeriodYear is one year a period touches. Caps and pooling are of the
// whole year, so the year's items are worked out together and the period
// keeps those dated in it; RecognizedToDate is the JP recognised for
// learning dated from 1 January to the period's end (31 December when the
// period goes on past the year), and Met says whether it reaches the
// year's target. Learning dated after the period's end never changes these
// numbers: caps are used up in date order.
type PeriodYear struct {
	Year             int     `json:"year"`
	Target           float64 `json:"target"`
	RecognizedToDate float64 `json:"recognized_to_date"`
	Met              bool    `json:"met"`
}

// civilDate is the date of t (its year, month and day as written) at
// midnight UTC, as Item dates are kept; zero stays zero.
func civilDate(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// PeriodBounds fills in a period's missing end: From alone runs to 31
// December of its year, To alone from 1 January of its year.
func PeriodBounds(from, to time.Time) (time.Time, time.Time) {
	from, to = civilDate(from), civilDate(to)
	if from.IsZero() {
		from = time.Date(to.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if to.IsZero() {
		to = time.Date(from.Year(), 12, 31, 0, 0, 0, 0, time.UTC)
	}
	return from, to
}

// computePeriod is the report of the learning dated from q.From to q.To:
// each year the period touches is worked out whole (caps, pooling,
// recognition), and the items dated in the period are kept, with totals
// and by_form of those. Year, Target and Met are those of To's year, Met
// against the learning dated from 1 January to To (see PeriodYear). A
// period that ends before it begins holds nothing.
func computePeriod(f Facts, rules *RuleSet, q Query) YearReport {
	from, to := PeriodBounds(q.From, q.To)
	rep := YearReport{NIP: f.Person.NIP, Year: to.Year(), Type: f.Person.Type, Rules: rules.Digest, ByForm: []FormTotal{}, Items: []Item{},
		Period: &Period{From: isoDate(from), To: isoDate(to), Years: []PeriodYear{}}}
	if to.Before(from) {
		return rep
	}
	totals := map[string]*FormTotal{}
	for y := from.Year(); y <= to.Year(); y++ {
		yr := ComputeQuery(f, rules, Query{Year: y, AsOf: q.AsOf, Now: q.Now})
		py := PeriodYear{Year: y, Target: yr.Target}
		for _, it := range yr.Items {
			if it.State == Approved && !it.day.After(to) {
				py.RecognizedToDate += it.JPRecognized
			}
			if it.day.Before(from) || it.day.After(to) {
				continue
			}
			rep.Items = append(rep.Items, it)
			rep.count(totals, &it)
		}
		py.Met = py.Target > 0 && py.RecognizedToDate >= py.Target
		rep.Period.Years = append(rep.Period.Years, py)
		for _, n := range yr.Notes {
			if from.Year() != to.Year() {
				n = fmt.Sprintf("%d: %s", y, n)
			}
			rep.Notes = append(rep.Notes, n)
		}
		for _, p := range yr.NotCounted {
			if p.Date >= isoDate(from) && p.Date <= isoDate(to) {
				rep.NotCounted = append(rep.NotCounted, p)
			}
		}
		if y == to.Year() {
			rep.Target, rep.Met = py.Target, py.Met
		}
	}
	rep.ByForm = byForm(totals)
	rep.Notes = append(rep.Notes, fmt.Sprintf("period %s to %s: the totals and items are of learning dated in it; target and met are the %d annual target against learning dated %d-01-01 to %s",
		rep.Period.From, rep.Period.To, rep.Year, rep.Year, rep.Period.To))
	return rep
}
