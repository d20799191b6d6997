package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// logHead is the last sequence of the node's log.
func (n *jpNode) logHead(t *testing.T) uint64 {
	t.Helper()
	head, err := n.node.Log.LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return head
}

// POST /api/v1/people?dry_run=true reads a file as the import would and
// answers its rows and every problem, appending nothing; a good file's
// check is valid and appends nothing either.
func TestPeople_DryRunReportsEveryProblemAndAppendsNothing(t *testing.T) {
	n := newJPNode(t)
	n.register(t, "U1", "Siti")
	before := n.logHead(t)
	bad := "nip,name,unit,type,timezone,supervisor_nip\n" +
		"198203042006041003,Ani,U1,PNS,WIB,\n" +
		"19820304200604100,,U1,PNS,WIB,\n" +
		"198305052007012004,Rina,U1,Honorer,CET,\n" +
		budiNIP + ",Budi,U1,PNS,WIB," + sitiNIP + "\n"
	got := n.admin.do(t, req{method: "POST", path: "/people?dry_run=true", body: bad, contentType: "text/csv"})
	expect(t, got, 200)
	var check api.PeopleCheck
	if err := json.Unmarshal([]byte(got.body), &check); err != nil {
		t.Fatal(err)
	}
	var problems []string
	for _, p := range check.Problems {
		problems = append(problems, fmt.Sprintf("%d:%s", p.Line, p.Field))
	}
	if !check.DryRun || check.Valid || len(check.People) != 4 || strings.Join(problems, " ") != "3:nip 3:name 4:type 4:timezone" || check.Separator != "," {
		t.Fatalf("check of a bad file: %s; want 4 rows and the problems 3:nip 3:name 4:type 4:timezone", got.body)
	}
	expect(t, got, 200, `{"line":4,"nip":"198305052007012004","name":"Rina"`)
	// the cycle with the registry shows once the rows are good
	cyc := "nip,name,unit,type,timezone,supervisor_nip\n" + budiNIP + ",Budi,U1,PNS,WIB," + sitiNIP + "\n"
	got = n.admin.do(t, req{method: "POST", path: "/people?dry_run=true", body: cyc, contentType: "text/csv"})
	expect(t, got, 200, `"valid":false`, `"line":2,"field":"supervisor_nip"`, "supervisor cycle")
	good := "nip,name,unit,type,timezone\n198203042006041003,Ani,U1,PNS,WIB\n"
	got = n.admin.do(t, req{method: "POST", path: "/people?dry_run=true", body: good, contentType: "text/csv"})
	expect(t, got, 200, `"valid":true`, `"problems":[]`, `"name":"Ani"`)
	if after := n.logHead(t); after != before {
		t.Fatalf("the log's head moved from %d to %d on dry runs", before, after)
	}
	expect(t, n.admin.do(t, req{method: "POST", path: "/people?dry_run=yes", body: good, contentType: "text/csv"}), 400, "dry_run")
	expect(t, n.admin.do(t, req{method: "POST", path: "/people?dryrun=true", body: good, contentType: "text/csv"}), 400, "unknown parameter")
	expect(t, n.provider.do(t, req{method: "POST", path: "/people?dry_run=true", body: good, contentType: "text/csv"}), 403, "needs one of: admin, verifier")
	expect(t, n.admin.do(t, req{method: "POST", path: "/people", body: bad, contentType: "text/csv"}), 400, "line 3: nip", "line 4: timezone", "nothing was imported")
	if after := n.logHead(t); after != before {
		t.Fatalf("the log's head moved from %d to %d on refused imports", before, after)
	}
	expect(t, n.admin.do(t, req{method: "POST", path: "/people", body: good, contentType: "text/csv"}), 200, `"imported":1`)
	if after := n.logHead(t); after != before+1 {
		t.Fatalf("the log's head is %d after an import, want %d", after, before+1)
	}
}

// A spreadsheet (.xlsx) imports as a CSV does, and its check names rows.
func TestPeople_XLSX(t *testing.T) {
	n := newJPNode(t)
	f := excelize.NewFile()
	for i, row := range [][]any{{"nip", "name", "unit", "type", "timezone"}, {aniNIP, "Ani", "U2", "PNS", "WIB"}, {"123", "Rudi", "U2", "PNS", "WIB"}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	body := buf.String()
	expect(t, n.admin.do(t, req{method: "POST", path: "/people?dry_run=true", body: body, contentType: bangkom.XLSXType}), 200, `"valid":false`, `"line":3,"field":"nip"`)
	f.SetCellValue("Sheet1", "A3", "198305052007012004")
	buf.Reset()
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	expect(t, n.admin.do(t, req{method: "POST", path: "/people", body: buf.String(), contentType: bangkom.XLSXType}), 200, `"imported":2`)
	expect(t, n.admin.do(t, req{method: "GET", path: "/people?unit=U2"}), 200, "Ani", "Rudi")
}

// GET /api/v1/positions lists the standards as last posted.
func TestPositions_List(t *testing.T) {
	n := newJPNode(t)
	expect(t, n.admin.do(t, req{method: "GET", path: "/positions"}), 200, `[]`)
	n.register(t, "U1", "Siti")
	expect(t, n.admin.do(t, req{method: "POST", path: "/positions", body: `[{"position":"Kabid","standards":{"M.01":4}},{"position":"Analis","standards":{"M.01":2}}]`}), 200)
	got := n.admin.do(t, req{method: "GET", path: "/positions"})
	expect(t, got, 200)
	if want := `[{"position":"Analis","standards":{"M.01":2}},{"position":"Kabid","standards":{"M.01":4}}]`; strings.TrimSpace(got.body) != want {
		t.Fatalf("positions %s, want %s", got.body, want)
	}
	expect(t, n.provider.do(t, req{method: "GET", path: "/positions"}), 403, "needs one of: admin, verifier, analyst")
	expect(t, n.admin.do(t, req{method: "GET", path: "/positions?x=1"}), 400, "unknown parameter")
}
