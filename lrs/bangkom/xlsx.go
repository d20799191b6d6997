package bangkom

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/xuri/excelize/v2"
)

// XLSXType is the media type of a spreadsheet (.xlsx).
const XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// maxXLSXUnzipped bounds what a spreadsheet may unpack to: a registry of a
// few hundred thousand people fits, a zip bomb does not.
const maxXLSXUnzipped = 256 << 20

// ReadPeopleXLSX reads the first sheet of a spreadsheet as a registry
// table: a header row with the columns of ReadPeopleCSVSep, then one
// person per row (empty rows are passed over; "line" in errors is the
// sheet's row number). Like ReadPeopleCSVAll it returns the rows read
// with their rows and every problem; the rows are nil when the file
// cannot be read.
func ReadPeopleXLSX(b []byte) ([]Person, []int, error) {
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: maxXLSXUnzipped, UnzipXMLSizeLimit: maxXLSXUnzipped})
	if err != nil {
		return nil, nil, fmt.Errorf("the file is not a spreadsheet (.xlsx) that can be read: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil, errors.New("the spreadsheet has no sheet")
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		return nil, nil, fmt.Errorf("sheet %q: %v", sheets[0], err)
	}
	first := 0
	for first < len(rows) && blank(rows[first]) {
		first++
	}
	if first == len(rows) {
		return nil, nil, fmt.Errorf("sheet %q is empty: want a header row naming the columns %s", sheets[0], strings.Join(registryColumns, ","))
	}
	numeric := map[int]bool{} // rows whose NIP cell holds a number written as 1.99E+17
	i := first
	people, lines, err := peopleFromRows(rows[first], fmt.Sprintf(" (row %d of sheet %q)", first+1, sheets[0]), func() ([]string, int, error) {
		i++
		if i >= len(rows) {
			return nil, i + 1, io.EOF
		}
		if blank(rows[i]) {
			return nil, i + 1, nil
		}
		for _, c := range rows[i] {
			if scientific.MatchString(strings.TrimSpace(c)) {
				numeric[i+1] = true
			}
		}
		return rows[i], i + 1, nil
	})
	for _, p := range PeopleProblems(err) {
		if numeric[p.Line] && (p.Field == "nip" || p.Field == "supervisor_nip") {
			p.Err = fmt.Errorf("%w (the cell holds a number, which keeps only 15 digits: format the column as Text and type the number again)", p.Err)
		}
	}
	return people, lines, err
}

// scientific is how a spreadsheet shows an 18-digit number it stores.
var scientific = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?[eE]\+?[0-9]+$`)

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
