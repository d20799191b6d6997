package web

import "strings"

// The 10:20:70 pattern (domain table §5.2) says most learning happens at
// work (70), a fifth with and from others (20) and a tenth in courses
// (10). It is a heuristic, shown descriptively and never as a quota. Each
// form of learning is put in one bucket here; formal education (PDD-*) and
// "other" forms are in none, so the mix is of the JP that fit the pattern.

// mixBucket is the 10:20:70 bucket of a form: "10", "20", "70", or "".
func mixBucket(form string) string {
	switch {
	case strings.HasPrefix(form, "KLS-"), form == "NK-ELEARN", form == "NK-PJJ":
		return "10" // courses, in a classroom or at a distance
	case form == "NK-COACHING", form == "NK-MENTORING", form == "NK-KOMUNITAS", form == "NK-BENCHMARK",
		form == "NK-TEAMBLD", form == "NK-OUTBOND":
		return "20" // with and from others
	case strings.HasPrefix(form, "WPL-"), form == "NK-MAGANG", form == "NK-DETASERING", form == "NK-PERTUKARAN",
		form == "NK-BIMKERJA", form == "NK-PRIORITAS", form == "NK-MANDIRI":
		return "70" // at work and on one's own
	}
	return ""
}

// mixShare is recognised JP of one 10:20:70 bucket.
type mixShare struct {
	Bucket     string // "10", "20", "70"
	Recognized float64
	Pct        int // of the JP that fit the pattern
}

// mix sums recognised JP by 10:20:70 bucket; nil when none fit.
func mix(byForm []formTotal) []mixShare {
	sum := map[string]float64{}
	total := 0.0
	for _, f := range byForm {
		if b := mixBucket(f.Form); b != "" && f.Recognized > 0 {
			sum[b] += f.Recognized
			total += f.Recognized
		}
	}
	if total == 0 {
		return nil
	}
	out := make([]mixShare, 0, 3)
	for _, b := range []string{"10", "20", "70"} {
		out = append(out, mixShare{Bucket: b, Recognized: sum[b], Pct: int(sum[b]/total*100 + 0.5)})
	}
	return out
}
