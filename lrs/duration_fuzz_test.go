package lrs

import (
	"bytes"
	"testing"
)

// FuzzComparableDuration feeds any string to ComparableDuration, which
// reads signature payloads no validator has seen. It must not panic; its
// result must be a fixed point, no longer than the input, a duration when
// the input is one, and a cut of the input, never a rounding: the input
// with '.' as its decimal sign starts with the result less its final S.
func FuzzComparableDuration(f *testing.F) {
	for _, s := range []string{
		"P1DT12H36M0.1237S", "P1DT12H36M0.12S", "PT0.999S", "PT1,2567S", "PT1.0S",
		"PT1.001S", "PT4H35M59.14S", "PT1.5M", "P3Y", "P4W", "PT.5S", "PT1.S", "S", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := ComparableDuration([]byte(in))
		if again := ComparableDuration(got); !bytes.Equal(again, got) {
			t.Fatalf("%q → %q → %q: not a fixed point", in, got, again)
		}
		if len(got) > len(in) {
			t.Fatalf("%q → %q: longer", in, got)
		}
		if IsDuration(in) && !IsDuration(string(got)) {
			t.Fatalf("%q is a duration, %q is not", in, got)
		}
		if string(got) == in {
			return
		}
		dotted := []byte(in)
		if i := bytes.LastIndexAny(dotted, ".,"); i >= 0 {
			dotted[i] = '.'
		}
		if len(got) == 0 || got[len(got)-1] != 'S' || !bytes.HasPrefix(dotted, got[:len(got)-1]) {
			t.Fatalf("%q → %q: not a cut of the seconds' fraction", in, got)
		}
	})
}
