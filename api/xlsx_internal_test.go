package api

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// readXLSX opens b and returns the cell at (col, row), 1-based: its raw
// value, type and formula.
func readXLSX(t *testing.T, b []byte) (func(col, row int) (string, excelize.CellType, string), string) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not an XLSX workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	sheet := f.GetSheetName(0)
	return func(col, row int) (string, excelize.CellType, string) {
		t.Helper()
		at, _ := excelize.CoordinatesToCellName(col, row)
		v, err := f.GetCellValue(sheet, at, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		typ, err := f.GetCellType(sheet, at)
		if err != nil {
			t.Fatal(err)
		}
		formula, err := f.GetCellFormula(sheet, at)
		if err != nil {
			t.Fatal(err)
		}
		return v, typ, formula
	}, sheet
}

// An 18-digit NIP is a text cell holding the exact digits (a number cell
// would be rounded to 15 digits); JP, years and levels are number cells;
// a formula-looking cell is text with the CSV's ' prefix, never a formula.
func TestXLSX_NIPIsTextJPIsNumber(t *testing.T) {
	rows := [][]string{
		{"nip", "namaKursus", "tahunKursus", "jumlahJam", "other"},
		{"198902142023211008", "=HYPERLINK(\"http://x\")", "2026", "12.5", "007"},
		{"199009132025242014", "-2", "-0.5", "0", "1.50"},
	}
	b, err := xlsxBytes("siasn-2026", rows)
	if err != nil {
		t.Fatal(err)
	}
	cell, sheet := readXLSX(t, b)
	if sheet != "siasn-2026" {
		t.Errorf("sheet %q", sheet)
	}
	for _, tt := range []struct {
		col, row int
		want     string
		number   bool
	}{
		{1, 1, "nip", false},
		{3, 1, "tahunKursus", false},
		{1, 2, "198902142023211008", false},
		{1, 3, "199009132025242014", false},
		{2, 2, "'=HYPERLINK(\"http://x\")", false},
		{3, 2, "2026", true},
		{4, 2, "12.5", true},
		{5, 2, "007", false},
		{2, 3, "-2", true},
		{3, 3, "-0.5", true},
		{4, 3, "0", true},
		{5, 3, "1.50", false},
	} {
		v, typ, formula := cell(tt.col, tt.row)
		isText := typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString
		isNumber := typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset
		if v != tt.want || formula != "" || (tt.number && !isNumber) || (!tt.number && !isText) {
			t.Errorf("cell %d,%d = %q type %v formula %q; want %q, number %v", tt.col, tt.row, v, typ, formula, tt.want, tt.number)
		}
	}
}

// Any text a cell may hold comes back from the workbook as written, up to
// one documented normalisation (xlsxText): what XML 1.0 cannot hold
// becomes U+FFFD, a formula sign gets the CSV's ' prefix, and text beyond
// 32,767 UTF-16 units is cut. Numbers as Jejak writes them come back
// exactly.
func TestXLSX_RoundTrip(t *testing.T) {
	pieces := []string{"a", "Z", "0", "9", ".", "-", "+", "=", "@", "＝", " ", "\t", "\n", "\r", "\r\n", "\x00", "\x01", "\x08", "\x0b",
		"\x0c", "\x1f", "\x7f", "\u0085", "\u00a0", "é", "ß", "日本", "😀", "\ufeff", "\ufffe", "\uffff", "\ufffd", "\xff", "\xc3",
		"_x0041_", "_x005F_", "_x", "&", "<", ">", "\"", "'", "]]>", "\\", "1e5", "007", "198902142023211008"}
	r := rand.New(rand.NewPCG(15, 4))
	var rows [][]string
	for range 300 {
		row := make([]string, 1+r.IntN(6))
		for i := range row {
			var b strings.Builder
			for range r.IntN(8) {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			row[i] = b.String()
		}
		rows = append(rows, row)
	}
	rows = append(rows,
		[]string{"12.5", "2026", "-3", "123456789012345", "1234567890123456", "0.1", " lead", "trail ", "  "},
		[]string{strings.Repeat("x", xlsxMaxCell+5), strings.Repeat("😀", xlsxMaxCell/2+3), strings.Repeat("é", xlsxMaxCell)})
	b, err := xlsxBytes("t", append([][]string{{"h"}}, rows...))
	if err != nil {
		t.Fatal(err)
	}
	cell, _ := readXLSX(t, b)
	for ri, row := range rows {
		for ci, in := range row {
			want := xlsxText(in)
			if _, ok := xlsxNumber(in); ok {
				want = in
			}
			got, typ, formula := cell(ci+1, ri+2)
			if got != want || formula != "" {
				t.Fatalf("row %d cell %d: wrote %q, read %q (type %v, formula %q), want %q", ri, ci, in, got, typ, formula, want)
			}
		}
	}
	// The normalisation itself.
	for in, want := range map[string]string{
		"a\x00b":        "a\ufffdb",
		"\x1f\x0b":      "\ufffd\ufffd",
		"tab\tnl\ncr\r": "tab\tnl\ncr\r",
		"\ufffe\uffff":  "\ufffd\ufffd",
		"bad\xffbyte":   "bad\ufffdbyte",
		"=1+1":          "'=1+1",
		"_x0041_":       "_x0041_",
		"日本😀":           "日本😀",
	} {
		if got := xlsxText(in); got != want {
			t.Errorf("xlsxText(%q) = %q, want %q", in, got, want)
		}
	}
	long := xlsxText(strings.Repeat("a", xlsxMaxCell-1) + "😀")
	if n := len(utf16.Encode([]rune(long))); n != xlsxMaxCell-1 || strings.ContainsRune(long, '😀') {
		t.Errorf("a surrogate pair across the limit: %d units", n)
	}
}

// A number as Jejak writes it, with at most 15 digits, is a number; all
// else is text.
func TestXLSXNumber(t *testing.T) {
	for in, want := range map[string]bool{
		"0": true, "16": true, "12.5": true, "-2": true, "2026": true, "123456789012345": true,
		"1234567890123456": false, "198902142023211008": false, "007": false, "1.50": false, "1e5": false,
		"+1": false, "-0": false, "": false, ".5": false, "5.": false, "NaN": false, "Inf": false, " 1": false, "1,5": false,
	} {
		if _, got := xlsxNumber(in); got != want {
			t.Errorf("xlsxNumber(%q) = %v, want %v", in, got, want)
		}
	}
	if n, _ := xlsxNumber("12.5"); n != 12.5 {
		t.Errorf("12.5 read as %v", n)
	}
}

// Whatever text a cell holds, it reads back from the workbook as xlsxText
// writes it (or exactly, for a number as Jejak writes it), never as a
// formula.
func FuzzXLSX_RoundTrip(f *testing.F) {
	for _, s := range []string{"", "198902142023211008", "=1+1", "a\x00b", "_x0041_", " \t\r\n ", "12.5", "-2", "\xff", "日本😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := xlsxBytes("f", [][]string{{"h"}, {s}})
		if err != nil {
			t.Fatal(err)
		}
		cell, _ := readXLSX(t, b)
		want := xlsxText(s)
		if _, ok := xlsxNumber(s); ok {
			want = s
		}
		if got, typ, formula := cell(1, 2); got != want || formula != "" {
			t.Fatalf("wrote %q, read %q (type %v, formula %q), want %q", s, got, typ, formula, want)
		}
	})
}
