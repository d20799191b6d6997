package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// `jejak people import FILE.xlsx` reads the first sheet as it reads a
// CSV: a bad row is named by its row and nothing is sent; a good sheet
// imports.
func TestRun_PeopleImportReadsASpreadsheet(t *testing.T) {
	write := func(rows [][]any) string {
		f := excelize.NewFile()
		for i, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
				t.Fatal(err)
			}
		}
		name := filepath.Join(t.TempDir(), "pegawai.xlsx")
		if err := f.SaveAs(name); err != nil {
			t.Fatal(err)
		}
		return name
	}
	importFile := func(base, file string) (string, error) {
		var out strings.Builder
		err := run(t.Context(), []string{"people", "import", "--url", base, "--auth", testKey + ":" + testSecret, file}, func(string) string { return "" }, nil, &out, &out)
		return out.String(), err
	}
	header := []any{"nip", "name", "unit", "type", "timezone"}
	bad := write([][]any{header, {"199001012015011001", "Siti", "U1", "PNS", "WIB"}, {"199203032018012003", "", "U1", "PNS", "WIB"}})
	// nothing listens here: an error other than the row's means it was sent
	if _, err := importFile("http://127.0.0.1:1", bad); err == nil || !strings.Contains(err.Error(), "line 3: name: must not be empty") || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("a sheet with a bad row: %v", err)
	}
	s := startServe(t, t.TempDir(), "--credentials", testKey+":"+testSecret+":admin")
	good := write([][]any{header, {"199001012015011001", "Siti", "U1", "PNS", "WIB"}, {"199203032018012003", "Dewi", "U1", "PNS", "WIB"}})
	if out, err := importFile(strings.TrimSuffix(s.base, "/xapi"), good); err != nil || !strings.Contains(out, "imported 2 people from "+good+" (log sequence") {
		t.Fatalf("a good sheet: %v %s", err, out)
	}
}
