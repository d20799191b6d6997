package bangkom

import (
	"cmp"
	"maps"
	"slices"
)

// Queued is a pending claim as an approval queue shows it: the report's
// item, its year, and what approving it now would recognise.
type Queued struct {
	Item
	Year int
	// JPIfApproved is the JP the claim would be recognised for if it were
	// approved now: its report worked out with the claim approved, so the
	// caps of its form (per day, month, semester) and the claims already
	// approved count. IfApprovedNote is that item's note (e.g. capped).
	JPIfApproved   float64
	IfApprovedNote string
}

// Queue lists the claims of f that await a decision as of log sequence
// q.AsOf (0: everything) at q.Now (see Query; its Year, From and To are
// not used), of every year, oldest first: by learning date, then
// log order. A December claim stays in the queue in January until it is
// decided. Duplicates of a counted learning, voided and decided claims are
// not in it, nor an approved claim dated after today (pending only until
// its date). It is pure.
func Queue(f Facts, rules *RuleSet, q Query) []Queued {
	asOf := q.AsOf
	loc := f.Person.Location()
	years := map[int]bool{}
	for _, c := range f.Claims {
		if asOf == 0 || c.Seq <= asOf {
			years[c.Timestamp.In(loc).Year()] = true
		}
	}
	var out []Queued
	for _, year := range slices.Sorted(maps.Keys(years)) {
		yq := Query{Year: year, AsOf: asOf, Now: q.Now}
		for _, it := range ComputeQuery(f, rules, yq).Items {
			if !it.AwaitsDecision() {
				continue
			}
			qd := Queued{Item: it, Year: year}
			qd.JPIfApproved, qd.IfApprovedNote = ifApproved(f, rules, yq, it)
			out = append(out, qd)
		}
	}
	slices.SortStableFunc(out, func(a, b Queued) int {
		if c := a.day.Compare(b.day); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	return out
}

// ifApproved works out the year report with it approved by a verifier
// now (a decision after every other, so it wins) and returns the JP it
// would be recognised for, with the item's note.
func ifApproved(f Facts, rules *RuleSet, q Query, it Item) (float64, string) {
	decisions := make(map[string][]Decision, len(f.Decisions)+1)
	maps.Copy(decisions, f.Decisions)
	decisions[it.StatementID] = append(slices.Clip(f.Decisions[it.StatementID]),
		Decision{Claim: it.StatementID, Seq: it.seq, Approve: true, Verifier: true, By: "if-approved"})
	f.Decisions = decisions
	for _, x := range ComputeQuery(f, rules, q).Items {
		if x.StatementID == it.StatementID && x.seq == it.seq {
			if x.State != Approved {
				return 0, x.Note // no rule in force on its date, or dated after now: approving it counts nothing yet
			}
			return x.JPRecognized, x.Note
		}
	}
	return 0, ""
}
