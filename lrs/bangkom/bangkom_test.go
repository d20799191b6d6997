package bangkom_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/schemas"
)

func TestParseNIP(t *testing.T) {
	tests := []struct {
		nip, wantErr string
	}{
		{"199001012015011001", ""},
		{"198609262015051001", ""},
		{"197805152003122002", ""},
		{"19900101201501100", "18 digits"},
		{"1990010120150110011", "18 digits"},
		{"19900101201501100a", "not a digit"},
		{"199002302015011001", "birth date"},
		{"199001012015001001", "neither an appointment month"},
		{"198902142023211008", ""}, // NI PPPK, code 21 (PPPK)
		{"199009132025242014", ""}, // NI PPPK, code 24 (PPPK paruh waktu)
		{"199001012015131001", ""}, // the lowest PPPK code
		{"199001011990211001", "NI PPPK layout"},
		{"199001012015993001", "sex"},
		{"199001011989121001", "not after birth"},
		{"199001012015013001", "sex"},
	}
	for _, tt := range tests {
		t.Run(tt.nip, func(t *testing.T) {
			_, err := bangkom.ParseNIP(tt.nip)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("ParseNIP(%q) = %v, want error %q", tt.nip, err, tt.wantErr)
			}
		})
	}
}

// The PPPK numbers are accepted by the registry as PPPK, and a
// PNS must keep the month layout; errors name the layout.
func TestPerson_NIPLayoutFollowsType(t *testing.T) {
	tests := []struct {
		nip, typ, wantErr string
		layout            string
	}{
		{"198902142023211008", bangkom.PPPK, "", bangkom.LayoutPPPK},
		{"199009132025242014", bangkom.PPPK, "", bangkom.LayoutPPPK},
		{"199001012015011001", bangkom.PPPK, "", bangkom.LayoutPNS}, // a PPPK whose NI has the month layout
		{"199001012015011001", bangkom.PNS, "", bangkom.LayoutPNS},
		{"198902142023211008", bangkom.PNS, "not an appointment month 01-12, as the NIP PNS layout needs", ""},
		{"199009132025242014", bangkom.PNS, "NI PPPK layout", ""},
	}
	for _, tt := range tests {
		t.Run(tt.nip+"/"+tt.typ, func(t *testing.T) {
			p := bangkom.Person{NIP: bangkom.NIP(tt.nip), Name: "A", Unit: "U", Type: tt.typ, Timezone: "WIB"}
			err := p.Check(2)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Check(%s as %s) = %v, want error %q", tt.nip, tt.typ, err, tt.wantErr)
			}
			if err == nil {
				if got := bangkom.NIPLayout(p.NIP); got != tt.layout {
					t.Errorf("NIPLayout(%s) = %s, want %s", tt.nip, got, tt.layout)
				}
			}
		})
	}
	csv := "nip,name,unit,type,timezone\n198902142023211008,Ayu,U1,PPPK,WIB\n199009132025242014,Dewi,U1,pppk,WITA\n"
	if people, err := bangkom.ReadPeopleCSV(strings.NewReader(csv)); err != nil || len(people) != 2 {
		t.Fatalf("ReadPeopleCSV of the issue's PPPK numbers = %d people, %v", len(people), err)
	}
}

func TestDurationMinutes(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"PT45M", 45, true},
		{"PT1H30M", 90, true},
		{"PT1.5H", 90, true},
		{"PT90S", 1.5, true},
		{"P1D", 1440, true},
		{"P1DT2H", 1560, true},
		{"P1W", 10080, true},
		{"PT0,5H", 30, true},
		{"P1M", 0, false},
		{"P1Y", 0, false},
		{"PT", 0, false},
		{"45M", 0, false},
		{"PT1H30", 0, false},
	}
	for _, tt := range tests {
		got, ok := bangkom.DurationMinutes(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("DurationMinutes(%q) = %g, %v; want %g, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestReadPeopleCSV(t *testing.T) {
	good := "nip,name,unit,position,type,timezone,supervisor_nip\n199001012015011001,Siti,U1,Analis,pns,wib,197805152003121002\n"
	people, err := bangkom.ReadPeopleCSV(strings.NewReader(good))
	if err != nil || len(people) != 1 || people[0].Type != "PNS" || people[0].Timezone != "WIB" {
		t.Fatalf("good file: %+v, %v", people, err)
	}
	bad := "nip,name,unit,position,type,timezone,supervisor_nip\n" +
		"199001012015011001,Siti,U1,Analis,PNS,WIB,\n" +
		"19900101201501100,,U1,Analis,PNS,WIB,\n" +
		"199001012015011001,Siti lagi,U1,Analis,Honorer,CET,199001012015011001\n"
	_, err = bangkom.ReadPeopleCSV(strings.NewReader(bad))
	if err == nil {
		t.Fatal("bad file accepted")
	}
	for _, want := range []string{"line 3: nip", "line 3: name", "line 4: type", "line 4: timezone", "line 4: supervisor_nip", "line 4: nip: 199001012015011001 also on line 2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := bangkom.ReadPeopleCSV(strings.NewReader("nip,name\n")); err == nil || !strings.Contains(err.Error(), "header lacks") {
		t.Errorf("missing columns: %v", err)
	}
}

// A registry's text fields are UTF-8 without control characters: the
// people are appended as JSON, which cannot carry other bytes back, and
// their names go into line-based reports.
func TestReadPeople_Text(t *testing.T) {
	const header = "nip,name,unit,position,type,timezone,supervisor_nip\n"
	for _, tt := range []struct{ name, csv, want string }{
		{"bytes that are not UTF-8", header + "199001012015011001,Siti\xff,U1,Analis,PNS,WIB,\n", "line 2: name: is not valid UTF-8"},
		{"a line break in a quoted unit", header + "199001012015011001,Siti,\"Biro\nUmum\",Analis,PNS,WIB,\n", "line 2: unit: has the control character U+000A"},
		{"NUL in a position", header + "199001012015011001,Siti,U1,Ana\x00lis,PNS,WIB,\n", "line 2: position: has the control character U+0000"},
		{"a C1 control", header + "199001012015011001,Si\u0085ti,U1,Analis,PNS,WIB,\n", "line 2: name: has the control character U+0085"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := bangkom.ReadPeopleCSV(strings.NewReader(tt.csv)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := bangkom.ReadPeopleJSON([]byte(`[{"nip":"199001012015011001","name":"Siti\u0000","unit":"U1","type":"PNS","timezone":"WIB"}]`)); err == nil || !strings.Contains(err.Error(), "line 1: name: has the control character U+0000") {
		t.Fatalf("JSON with NUL in a name: %v", err)
	}
}

// A registry may name each person's instansi and parent unit, in CSV or
// JSON; files and bodies without them stay valid.
func TestReadPeople_InstansiAndParentUnit(t *testing.T) {
	const nip = "199001012015011001"
	ps, err := bangkom.ReadPeopleCSV(strings.NewReader("nip,name,unit,type,timezone,instansi,parent_unit\n" + nip + ",Siti,U-A,PNS,WIB,INST-X,DIR-1\n"))
	if err != nil || len(ps) != 1 || ps[0].Instansi != "INST-X" || ps[0].ParentUnit != "DIR-1" {
		t.Fatalf("CSV: %+v, %v", ps, err)
	}
	ps, err = bangkom.ReadPeopleCSV(strings.NewReader("nip,name,unit,type,timezone\n" + nip + ",Siti,U-A,PNS,WIB\n"))
	if err != nil || len(ps) != 1 || ps[0].Instansi != "" || ps[0].ParentUnit != "" {
		t.Fatalf("CSV without them: %+v, %v", ps, err)
	}
	ps, err = bangkom.ReadPeopleJSON([]byte(`[{"nip":"` + nip + `","name":"Siti","unit":"U-A","type":"PNS","timezone":"WIB","instansi":"INST-X","parent_unit":"DIR-1"}]`))
	if err != nil || len(ps) != 1 || ps[0].Instansi != "INST-X" || ps[0].ParentUnit != "DIR-1" {
		t.Fatalf("JSON: %+v, %v", ps, err)
	}
	if _, err := bangkom.ReadPeopleJSON([]byte(`[{"nip":"` + nip + `","name":"Siti","unit":"U-A","parent_unit":"U-A","type":"PNS","timezone":"WIB"}]`)); err == nil || !strings.Contains(err.Error(), "parent_unit") {
		t.Fatalf("a unit its own parent: %v", err)
	}
}

// A registry saved by Indonesian Excel (a byte order mark, ';' between
// fields, CRLF line ends, a decimal comma in no field) imports, and so do
// tab- and comma-separated files; the separator found is reported.
func TestReadPeopleCSV_ExcelSemicolonsTabsAndCommas(t *testing.T) {
	rows := [][]string{
		{"NIP", "Name", "Unit", "Position", "Type", "Timezone", "Supervisor_NIP"},
		{"199001012015011001", "Siti, S.Kom", "Biro Umum", "Analis", "PNS", "WIB", "197805152003121002"},
		{"197805152003121002", "Budi", "Biro Umum", "Kabid", "PPPK", "WITA", ""},
	}
	for _, tt := range []struct {
		name, bom, sep, eol, want string
	}{
		{"Indonesian Excel", "\ufeff", ";", "\r\n", ";"},
		{"tabs", "", "\t", "\n", "tab"},
		{"commas", "", ",", "\n", ","},
		{"commas from Excel", "\ufeff", ",", "\r\n", ","},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString(tt.bom)
			for _, r := range rows {
				cells := slices.Clone(r)
				for i, c := range cells {
					if strings.Contains(c, tt.sep) {
						cells[i] = `"` + c + `"`
					}
				}
				b.WriteString(strings.Join(cells, tt.sep) + tt.eol)
			}
			people, sep, err := bangkom.ReadPeopleCSVSep(strings.NewReader(b.String()))
			if err != nil {
				t.Fatalf("%q: %v", b.String(), err)
			}
			if got := bangkom.SeparatorName(sep); got != tt.want {
				t.Errorf("separator %q, want %q", got, tt.want)
			}
			want := []bangkom.Person{
				{NIP: "199001012015011001", Name: "Siti, S.Kom", Unit: "Biro Umum", Position: "Analis", Type: "PNS", Timezone: "WIB", SupervisorNIP: "197805152003121002"},
				{NIP: "197805152003121002", Name: "Budi", Unit: "Biro Umum", Position: "Kabid", Type: "PPPK", Timezone: "WITA"},
			}
			if !slices.Equal(people, want) {
				t.Fatalf("people %+v, want %+v", people, want)
			}
		})
	}
	// A header the separator does not split says which separator it read.
	_, _, err := bangkom.ReadPeopleCSVSep(strings.NewReader("nip|name|unit|type|timezone\n"))
	if err == nil || !strings.Contains(err.Error(), `lacks column "nip" (read with the separator ","`) {
		t.Fatalf("unknown separator: %v", err)
	}
}

// The queue holds pending claims of every year, oldest first, each with
// the JP its form's caps would recognise if it were approved now.
func TestQueue_EveryYearOldestFirstWithJPIfApproved(t *testing.T) {
	rules, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	const siti, budi = "199001012015011001", "197805152003121002"
	minutes := func(m float64) *float64 { return &m }
	at := func(s string) time.Time { ts, _ := time.Parse(time.RFC3339, s); return ts.UTC() }
	claim := func(id string, seq uint64, ts string) bangkom.Claim {
		return bangkom.Claim{StatementID: id, Seq: seq, NIP: siti, Timestamp: at(ts), Verb: "http://adlnet.gov/expapi/verbs/completed",
			Activity: "https://e.go.id/" + id, Form: "NK-MANDIRI", Minutes: minutes(180), Days: 1, By: "lms"}
	}
	f := bangkom.Facts{
		Person: bangkom.Person{NIP: siti, Name: "Siti", Unit: "U", Type: "PNS", Timezone: "WIB", SupervisorNIP: budi},
		Claims: []bangkom.Claim{
			claim("approved", 1, "2026-01-05T09:00:00+07:00"),
			claim("same-day", 2, "2026-01-05T15:00:00+07:00"),
			claim("december", 3, "2025-12-31T23:30:00+07:00"), // 16:30 UTC, in 2025 in Jakarta
			claim("rejected", 4, "2026-01-06T09:00:00+07:00"),
			claim("later", 5, "2026-01-07T09:00:00+07:00"),
		},
		Decisions: map[string][]bangkom.Decision{
			"approved": {{StatementID: "d1", Seq: 6, Claim: "approved", Approve: true, Approver: budi, By: "app"}},
			"rejected": {{StatementID: "d2", Seq: 7, Claim: "rejected", Approver: budi, By: "app", Reason: "Tidak ada bukti"}},
		},
		Voided: map[string]uint64{},
	}
	var got []string
	for _, q := range bangkom.Queue(f, rules, bangkom.Query{}) {
		got = append(got, fmt.Sprintf("%s/%d claimed=%g if-approved=%g", q.StatementID, q.Year, q.JPClaimed, q.JPIfApproved))
	}
	want := []string{
		"december/2025 claimed=4 if-approved=2",
		"same-day/2026 claimed=4 if-approved=0",
		"later/2026 claimed=4 if-approved=2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("queue:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The attended statement of the same learning is a duplicate of it: it
	// never waits in the queue beside it.
	dup := claim("later-attended", 8, "2026-01-07T08:00:00+07:00")
	dup.Activity, dup.Verb = "https://e.go.id/later", "http://adlnet.gov/expapi/verbs/attended"
	withDup := f
	withDup.Claims = append(slices.Clone(f.Claims), dup)
	got = got[:0]
	for _, q := range bangkom.Queue(withDup, rules, bangkom.Query{}) {
		got = append(got, q.StatementID)
	}
	if strings.Join(got, " ") != "december same-day later" {
		t.Fatalf("queue with a duplicate statement of a learning: %v", got)
	}
	if q := bangkom.Queue(f, rules, bangkom.Query{AsOf: 4}); len(q) != 4 {
		t.Fatalf("as of sequence 4 the queue holds %d claims, want 4 (no decision yet)", len(q))
	}
	rep := bangkom.Compute(f, rules, 2026, 0)
	for _, it := range rep.Items {
		if it.StatementID == "rejected" && (it.RejectedBy != budi || it.Reason != "Tidak ada bukti" || it.ApprovedBy != "") {
			t.Fatalf("rejected item %+v", it)
		}
	}
}
