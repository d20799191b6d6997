package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `jejak people import` refuses a registry with a supervisor cycle, naming
// the cycle's NIPs: a cycle within the file before anything is sent, and a
// cycle the file would close with the registry on the server as the
// server's 400.
func TestRun_PeopleImportRefusesSupervisorCycles(t *testing.T) {
	write := func(body string) string {
		file := filepath.Join(t.TempDir(), "people.csv")
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	importFile := func(base, file string) (string, error) {
		var out strings.Builder
		err := run(t.Context(), []string{"people", "import", "--url", base, "--auth", testKey + ":" + testSecret, file}, func(string) string { return "" }, nil, &out, &out)
		return out.String(), err
	}
	const header = "nip,name,unit,position,type,timezone,supervisor_nip\n"
	cycle := write(header +
		"199001012015011001,Siti,U1,Analis,PNS,WIB,197805152003121002\n" +
		"197805152003121002,Budi,U1,Kabid,PNS,WIB,199001012015011001\n")
	// Nothing listens on this address: an error other than the cycle would
	// mean the file was sent.
	if _, err := importFile("http://127.0.0.1:1", cycle); err == nil ||
		!strings.Contains(err.Error(), "line 2: supervisor_nip: supervisor cycle 199001012015011001 → 197805152003121002 → 199001012015011001") ||
		!strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("a file with a cycle: %v", err)
	}

	s := startServe(t, t.TempDir(), "--credentials", testKey+":"+testSecret+":admin")
	base := strings.TrimSuffix(s.base, "/xapi")
	chain := write(header +
		"199001012015011001,Siti,U1,Analis,PNS,WIB,197805152003121002\n" +
		"197805152003121002,Budi,U1,Kabid,PNS,WIB,\n")
	if out, err := importFile(base, chain); err != nil || !strings.Contains(out, "imported 2 people") {
		t.Fatalf("a chain: %v %s", err, out)
	}
	closing := write(header + "197805152003121002,Budi,U1,Kabid,PNS,WIB,199001012015011001\n")
	if _, err := importFile(base, closing); err == nil ||
		!strings.Contains(err.Error(), "400") ||
		!strings.Contains(err.Error(), "supervisor cycle 197805152003121002 → 199001012015011001 → 197805152003121002") {
		t.Fatalf("a file closing a cycle with the registry: %v", err)
	}
}

// A registry saved by Indonesian Excel (a byte order mark, ';' between
// fields, CRLF) imports with `jejak people import`, which says the
// separator it found.
func TestRun_PeopleImportReadsIndonesianExcel(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pegawai.csv")
	body := "\ufeffnip;name;unit;position;type;timezone;supervisor_nip\r\n" +
		"199001012015011001;Siti, S.Kom;Biro Umum;Analis;PNS;WIB;197805152003121002\r\n" +
		"197805152003121002;Budi;Biro Umum;Kabid;PNS;WITA;\r\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, t.TempDir(), "--credentials", testKey+":"+testSecret+":admin")
	base := strings.TrimSuffix(s.base, "/xapi")
	var out strings.Builder
	err := run(t.Context(), []string{"people", "import", "--url", base, "--auth", testKey + ":" + testSecret, file}, func(string) string { return "" }, nil, &out, &out)
	if err != nil || !strings.Contains(out.String(), `imported 2 people`) || !strings.Contains(out.String(), `separator ";"`) {
		t.Fatalf("import: %v %s", err, out.String())
	}
}
