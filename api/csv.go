package api

import (
	"bytes"
	"encoding/csv"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"github.com/jejak-id/jejak/lrs"
)

// Every table Jejak serves, CSV or XLSX, is written here: a route builds
// its rows as text and calls writeCSV, which answers in the format the
// request asked for (tableFormat), so every route that writes CSV also
// writes XLSX.
//
// Every CSV Jejak serves is written here, by writeCSV through a csvWriter,
// so that no cell can reach a spreadsheet as a formula (CSV injection): a
// cell that begins with =, +, -, @, a tab or a carriage return (or the
// full-width ＝ ＋ － ＠ some spreadsheets also read as formula signs) is
// prefixed with a single quote ', which spreadsheets show as text. Every
// cell is treated alike, text or number, with one exception: a plain
// decimal number with a leading minus ("-2", "-0.5"), which is how Jejak
// writes a negative number and which no spreadsheet reads as a formula,
// stays as it is. A name like "-2" supplied by a client is left as well:
// it is read as the number it looks like, never as a formula.

// csvWriter writes rows with every cell neutralised (safeCell).
type csvWriter struct{ w *csv.Writer }

func newCSVWriter(buf *bytes.Buffer) csvWriter { return csvWriter{csv.NewWriter(buf)} }

// Write writes one row.
func (cw csvWriter) Write(row []string) error {
	safe := make([]string, len(row))
	for i, cell := range row {
		safe[i] = safeCell(cell)
	}
	return cw.w.Write(safe)
}

// Flush writes any buffered data and returns the writer's error.
func (cw csvWriter) Flush() error {
	cw.w.Flush()
	return cw.w.Error()
}

// safeCell neutralises a cell a spreadsheet would read as a formula.
func safeCell(s string) string {
	if s == "" || plainNegative(s) {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	for _, sign := range []string{"＝", "＋", "－", "＠"} {
		if strings.HasPrefix(s, sign) {
			return "'" + s
		}
	}
	return s
}

// plainNegative reports whether s is "-" then digits, with at most one
// decimal point between digits: a number as strconv.FormatFloat(f, 'f',
// -1, 64) writes it.
func plainNegative(s string) bool {
	if len(s) < 2 || s[0] != '-' {
		return false
	}
	digits, dot := 0, false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot && digits > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// The media types of the table formats.
const (
	mimeCSV  = "text/csv"
	mimeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// The table formats, as the format parameter names them.
const (
	formatJSON = "json"
	formatCSV  = "csv"
	formatXLSX = "xlsx"
)

// formatParam names the query parameter that picks a table format on the
// routes that take it (checkTableParams): json, csv or xlsx. A link in a
// browser cannot set Accept; the parameter can.
const formatParam = "format"

// checkTableParams is checkParams for a route that writes a table: it
// also takes the format parameter, whose value must be json, csv or xlsx.
func checkTableParams(q url.Values, allowed ...string) error {
	if err := checkParams(q, append(allowed, formatParam)...); err != nil {
		return err
	}
	switch f := q.Get(formatParam); f {
	case "", formatJSON, formatCSV, formatXLSX:
		return nil
	default:
		return lrs.Errorf(lrs.EINVALID, "format: %q is not json, csv or xlsx (or send Accept: %s or %s)", f, mimeCSV, mimeXLSX)
	}
}

// tableFormat is the format a table is asked for: the format parameter
// when given (json, csv, xlsx), else the Accept header: XLSX when it names
// the XLSX media type, CSV when it names text/csv (the one with the higher
// q wins, and on a tie the one listed first), else JSON. Types with q=0
// are refused types and never chosen; wildcards choose JSON.
func tableFormat(c echo.Context) string {
	switch f := c.QueryParam(formatParam); f {
	case formatCSV, formatXLSX, formatJSON:
		return f
	}
	best, bestQ := formatJSON, 0.0
	for _, part := range strings.Split(c.Request().Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil {
				continue
			}
		}
		var f string
		switch mt {
		case mimeCSV:
			f = formatCSV
		case mimeXLSX:
			f = formatXLSX
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = f, q
		}
	}
	return best
}

// wantsCSV reports whether the request asks for a table file, CSV or XLSX
// (tableFormat): the route then calls writeCSV, which writes the format
// asked for.
func wantsCSV(c echo.Context) bool { return tableFormat(c) != formatJSON }

// writeCSV answers with rows as an attachment named filename: CSV, or
// XLSX (the name's .csv becoming .xlsx) when the request asks for XLSX.
func writeCSV(c echo.Context, filename string, rows [][]string) error {
	if tableFormat(c) == formatXLSX {
		return writeXLSX(c, strings.TrimSuffix(filename, ".csv")+".xlsx", rows)
	}
	var buf bytes.Buffer
	w := newCSVWriter(&buf)
	for _, row := range rows {
		if err := w.Write(row); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+safeFilename(filename)+`"`)
	return c.Blob(http.StatusOK, mimeCSV+"; charset=utf-8", buf.Bytes())
}

// safeFilename keeps letters, digits, '.', '-' and '_' of a file name (it
// may hold a unit's name) and writes '_' for anything else, so the
// Content-Disposition header stays one quoted token.
func safeFilename(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// XLSX tables are written with excelize. Each cell is one of two kinds:
//
//   - a number, when its text is a number exactly as Jejak writes one
//     (strconv.FormatFloat(f, 'f', -1, 64): JP, years, levels, sequences)
//     with at most 15 digits, the most a spreadsheet keeps exactly;
//   - else text, in the text number format "@", so that a spreadsheet
//     neither rounds an 18-digit NIP nor drops a leading zero, also when
//     the cell is edited.
//
// Text cells carry the same text as the CSV cell (safeCell: a cell that
// would begin a formula is prefixed with '). In XLSX a text cell is never
// a formula, since formulas are their own element, but the same text in
// both formats keeps a sheet safe when it is saved again as CSV. XML 1.0
// cannot hold the control characters U+0000-U+001F other than tab, line
// feed and carriage return, nor U+FFFE, U+FFFF or bytes that are not
// UTF-8: each is written as U+FFFD. A cell holds at most 32,767 UTF-16
// units (the spreadsheet limit); longer text is cut there (xlsxText).

// xlsxMaxCell is the most UTF-16 units a spreadsheet cell holds.
const xlsxMaxCell = excelize.TotalCellChars

// writeXLSX answers with rows as an XLSX attachment named filename, one
// sheet, the first row (the header) bold.
func writeXLSX(c echo.Context, filename string, rows [][]string) error {
	b, err := xlsxBytes(strings.TrimSuffix(safeFilename(filename), ".xlsx"), rows)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+safeFilename(filename)+`"`)
	return c.Blob(http.StatusOK, mimeXLSX, b)
}

// xlsxBytes writes rows as an XLSX workbook with one sheet named (up to
// 31 characters of) sheet.
func xlsxBytes(sheet string, rows [][]string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet = xlsxSheetName(sheet)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return nil, err
	}
	header, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	// Widths first (the stream writer needs them before any row): each
	// column as wide as its longest cell, within 8 to 60 characters.
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i >= len(widths) {
				widths = append(widths, 8)
			}
			widths[i] = min(max(widths[i], utf8.RuneCountInString(cell)+2), 60)
		}
	}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, float64(w)); err != nil {
			return nil, err
		}
	}
	if len(rows) > 1 {
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return nil, err
		}
	}
	for r, row := range rows {
		cells := make([]any, len(row))
		for i, cell := range row {
			switch n, ok := xlsxNumber(cell); {
			case ok && r > 0:
				cells[i] = n
			case r == 0:
				cells[i] = excelize.Cell{StyleID: header, Value: xlsxText(cell)}
			default:
				cells[i] = excelize.Cell{StyleID: text, Value: xlsxText(cell)}
			}
		}
		at, err := excelize.CoordinatesToCellName(1, r+1)
		if err != nil {
			return nil, err
		}
		if err := sw.SetRow(at, cells); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// xlsxNumber reads a cell as a number when its text is one exactly as
// Jejak writes numbers, with at most 15 digits: what a spreadsheet shows
// again unchanged. "007", "1.50", "1e5", "+1" and an 18-digit NIP are text.
func xlsxNumber(s string) (float64, bool) {
	digits := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits++
		}
	}
	if digits == 0 || digits > 15 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || strconv.FormatFloat(f, 'f', -1, 64) != s || s == "-0" {
		return 0, false
	}
	return f, true
}

// xlsxText is the text of a text cell: safeCell's, with what XML 1.0
// cannot hold written as U+FFFD, cut to xlsxMaxCell UTF-16 units (never
// inside a surrogate pair).
func xlsxText(s string) string {
	s = safeCell(s)
	var b strings.Builder
	units := 0
	for _, r := range s { // a byte that is not UTF-8 reads as U+FFFD
		if !xmlChar(r) {
			r = '\uFFFD'
		}
		n := utf16.RuneLen(r)
		if units+n > xlsxMaxCell {
			break
		}
		units += n
		b.WriteRune(r)
	}
	return b.String()
}

// xmlChar reports whether XML 1.0 can hold r (its Char production).
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// xlsxSheetName keeps a sheet name within the spreadsheet rules: at most
// 31 characters, none of : \\ / ? * [ ], not empty.
func xlsxSheetName(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]'`, r) {
			return '_'
		}
		return r
	}, name)
	if len(name) > 31 {
		name = name[:31]
	}
	if name == "" {
		return "Jejak"
	}
	return name
}
