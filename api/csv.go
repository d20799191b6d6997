package api

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

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

// writeCSV answers with rows as a CSV attachment named filename.
func writeCSV(c echo.Context, filename string, rows [][]string) error {
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
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
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
