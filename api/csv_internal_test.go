package api

import "testing"

// A cell a spreadsheet would run as a formula gets a leading '; a number
// as Jejak writes it, and text, stay as they are.
func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"Siti":               "Siti",
		"0":                  "0",
		"12.5":               "12.5",
		"-2":                 "-2",
		"-0.5":               "-0.5",
		"-":                  "'-",
		"-2+3":               "'-2+3",
		"-2.":                "'-2.",
		"-.5":                "'-.5",
		"-1e5":               "'-1e5",
		"+1":                 "'+1",
		"=1+1":               "'=1+1",
		"@SUM(A1)":           "'@SUM(A1)",
		"\t=1":               "'\t=1",
		"\r=1":               "'\r=1",
		"＝1+1":               "'＝1+1",
		"＠SUM(A1)":           "'＠SUM(A1)",
		"a=1":                "a=1",
		" =1":                " =1",
		"'=1":                "'=1",
		`=HYPERLINK("x")`:    `'=HYPERLINK("x")`,
		"-cmd|' /C calc'!A0": "'-cmd|' /C calc'!A0",
	} {
		if got := safeCell(in); got != want {
			t.Errorf("safeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// Whatever a cell holds, the written cell never begins a formula, and it
// is the cell itself or the cell behind one added quote.
func FuzzSafeCell(f *testing.F) {
	for _, s := range []string{"", "Siti", "-2", "-2+3", "=1", "+1", "@A1", "\t=1", "\r=1", "＝1", "-0.5", "'=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := safeCell(s)
		if got != s && got != "'"+s {
			t.Fatalf("safeCell(%q) = %q: neither the cell nor the cell behind a quote", s, got)
		}
		if got == s && s != "" && !plainNegative(s) {
			for _, sign := range []string{"=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"} {
				if len(s) >= len(sign) && s[:len(sign)] == sign {
					t.Fatalf("safeCell(%q) left a formula sign in front", s)
				}
			}
		}
	})
}
