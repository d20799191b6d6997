package bangkom_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/jejak-id/jejak/lrs/bangkom"
)

// problemsOf writes each problem as "line: field" for the checks.
func problemsOf(err error) []string {
	var out []string
	for _, p := range bangkom.PeopleProblems(err) {
		out = append(out, fmt.Sprintf("%d:%s", p.Line, p.Field))
	}
	return out
}

// ReadPeopleCSVAll keeps the rows of a bad file and lists every problem.
func TestReadPeopleCSVAll_RowsAndEveryProblem(t *testing.T) {
	bad := "nip;name;unit;type;timezone\n" +
		"199001012015011001;Siti;U1;PNS;WIB\n" +
		"19900101201501100;;U1;PNS;WIB\n" +
		"199203032018012003;Dewi;U1;Honorer;CET\n"
	people, lines, sep, err := bangkom.ReadPeopleCSVAll(strings.NewReader(bad))
	if sep != ';' || len(people) != 3 || people[2].Name != "Dewi" || fmt.Sprint(lines) != "[2 3 4]" {
		t.Fatalf("rows %+v, separator %q: want the 3 rows read with ;", people, sep)
	}
	got := strings.Join(problemsOf(err), " ")
	if got != "3:nip 3:name 4:type 4:timezone" {
		t.Fatalf("problems %q, want 3:nip 3:name 4:type 4:timezone (%v)", got, err)
	}
	if _, _, _, err := bangkom.ReadPeopleCSVAll(strings.NewReader("nip,name\n")); err == nil || problemsOf(err)[0] != "0:" {
		t.Fatalf("a header without columns: %v, want one problem of the file", err)
	}
	if people, _, _, err := bangkom.ReadPeopleCSVAll(strings.NewReader(strings.Replace(bad, "\n19900101201501100;;U1;PNS;WIB\n199203032018012003;Dewi;U1;Honorer;CET", "", 1))); err != nil || len(people) != 1 {
		t.Fatalf("a good file: %d people, %v", len(people), err)
	}
}

// xlsxOf writes rows to the first sheet of a new spreadsheet; numbers are
// written as numbers.
func xlsxOf(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	for r, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A spreadsheet reads as the CSV does: by row number, an empty row passed
// over, and a NIP typed as a number named as such.
func TestReadPeopleXLSX(t *testing.T) {
	b := xlsxOf(t, [][]any{
		{"NIP", "Name", "Unit", "Type", "Timezone", "Supervisor_NIP"},
		{"199001012015011001", "Siti", "U1", "pns", "wib", "197805152003121002"},
		{},
		{"197805152003121002", "Budi", "U1", "PNS", "WIB", ""},
	})
	people, lines, err := bangkom.ReadPeopleXLSX(b)
	if err != nil || fmt.Sprint(lines) != "[2 4]" || len(people) != 2 || people[1].Name != "Budi" || people[0].Type != "PNS" || people[0].SupervisorNIP != "197805152003121002" {
		t.Fatalf("good sheet: %+v, %v", people, err)
	}
	bad := xlsxOf(t, [][]any{
		{"nip", "name", "unit", "type", "timezone"},
		{199001012015011001, "Siti", "U1", "PNS", "WIB"},
		{},
		{"197805152003121002", "", "U1", "PNS", "WIB"},
	})
	people, _, err = bangkom.ReadPeopleXLSX(bad)
	if len(people) != 2 || strings.Join(problemsOf(err), " ") != "2:nip 4:name" {
		t.Fatalf("bad sheet: %d rows, problems %q (%v); want 2 rows, 2:nip 4:name", len(people), problemsOf(err), err)
	}
	if !strings.Contains(err.Error(), "format the column as Text") {
		t.Errorf("a NIP stored as a number: %v, want the hint to format the column as Text", err)
	}
	if _, _, err := bangkom.ReadPeopleXLSX([]byte("nip,name\n")); err == nil || !strings.Contains(err.Error(), "not a spreadsheet") {
		t.Errorf("a CSV read as a spreadsheet: %v", err)
	}
}
