package bangkom

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Employee types.
const (
	PNS  = "PNS"
	PPPK = "PPPK"
)

// Zones maps the Indonesian time zones to fixed offsets (no daylight time).
var zoneOffsets = map[string]int{"WIB": 7, "WITA": 8, "WIT": 9}

// Zone returns the fixed time zone of WIB, WITA or WIT.
func Zone(name string) (*time.Location, error) {
	h, ok := zoneOffsets[name]
	if !ok {
		return nil, fmt.Errorf("time zone %q is not WIB, WITA or WIT", name)
	}
	return time.FixedZone(name, h*3600), nil
}

// Person is one entry of the person registry.
type Person struct {
	NIP           NIP    `json:"nip"`
	Name          string `json:"name"`
	Unit          string `json:"unit"`
	Position      string `json:"position"`
	Type          string `json:"type"`     // PNS or PPPK
	Timezone      string `json:"timezone"` // WIB, WITA or WIT
	SupervisorNIP NIP    `json:"supervisor_nip,omitempty"`
	// Instansi is the agency the person's unit belongs to; ParentUnit the
	// unit above theirs. Both optional: an analyst's scope may name them.
	Instansi   string `json:"instansi,omitempty"`
	ParentUnit string `json:"parent_unit,omitempty"`
}

// UnitMembers is a unit and the people registered in it.
type UnitMembers struct {
	// Unit is the name most of its people are registered with (unit names
	// are matched whatever their case; of equal counts, the least in byte
	// order).
	Unit   string
	People []NIP // in NIP order
}

// Location returns the person's time zone.
func (p Person) Location() *time.Location {
	loc, err := Zone(p.Timezone)
	if err != nil {
		return time.FixedZone("WIB", 7*3600)
	}
	return loc
}

// FieldError names the row (1-based line in a CSV, index in JSON) and the
// field of a bad registry entry.
type FieldError struct {
	Line  int
	Field string
	Err   error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("line %d: %s: %v", e.Line, e.Field, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// Check validates p; line is reported in errors. The NIP is checked
// against the type: a PNS's NIP must have the PNS layout (digits 13-14 a
// month), a PPPK's NI either layout (ParseNIPFor). A supervisor's number
// may have either layout.
func (p Person) Check(line int) error {
	var errs []error
	bad := func(field string, err error) { errs = append(errs, &FieldError{Line: line, Field: field, Err: err}) }
	if _, err := ParseNIPFor(string(p.NIP), p.Type); err != nil {
		bad("nip", err)
	}
	if strings.TrimSpace(p.Name) == "" {
		bad("name", errors.New("must not be empty"))
	}
	if strings.TrimSpace(p.Unit) == "" {
		bad("unit", errors.New("must not be empty"))
	}
	for _, f := range []struct{ name, v string }{{"name", p.Name}, {"unit", p.Unit}, {"position", p.Position}, {"instansi", p.Instansi}, {"parent_unit", p.ParentUnit}} {
		if err := checkText(f.v); err != nil {
			bad(f.name, err)
		}
	}
	if p.ParentUnit != "" && p.ParentUnit == p.Unit {
		bad("parent_unit", errors.New("a unit cannot be its own parent"))
	}
	if p.Type != PNS && p.Type != PPPK {
		bad("type", fmt.Errorf("%q is not PNS or PPPK", p.Type))
	}
	if _, err := Zone(p.Timezone); err != nil {
		bad("timezone", err)
	}
	if p.SupervisorNIP != "" {
		if _, err := ParseNIP(string(p.SupervisorNIP)); err != nil {
			bad("supervisor_nip", err)
		} else if p.SupervisorNIP == p.NIP {
			bad("supervisor_nip", errors.New("a person cannot supervise themselves"))
		}
	}
	return errors.Join(errs...)
}

// checkText refuses what a registry text field cannot hold: bytes that are
// not UTF-8, which would not read back from the log's JSON, and control
// characters (line breaks, NUL, C1), which break the lines of reports.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8 text")
	}
	for i, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("has the control character %U at byte %d", r, i)
		}
	}
	return nil
}

// CheckAll validates every person and that no NIP appears twice; the error
// lists every problem. first is the line (or index) of people[0].
func CheckAll(people []Person, first int) error {
	lines := make([]int, len(people))
	for i := range lines {
		lines[i] = first + i
	}
	return checkLines(people, lines)
}

// checkLines is CheckAll for rows whose lines are given (a spreadsheet's
// empty rows are left out, so its rows need not be consecutive).
func checkLines(people []Person, lines []int) error {
	var errs []error
	seen := map[NIP]int{}
	for i, p := range people {
		line := lines[i]
		if err := p.Check(line); err != nil {
			errs = append(errs, err)
		}
		if prev, dup := seen[p.NIP]; dup && p.NIP != "" {
			errs = append(errs, &FieldError{Line: line, Field: "nip", Err: fmt.Errorf("%s also on line %d", p.NIP, prev)})
		}
		seen[p.NIP] = line
	}
	if len(errs) == 0 {
		sup := make(map[NIP]NIP, len(people))
		from := make([]NIP, len(people))
		for i, p := range people {
			sup[p.NIP], from[i] = p.SupervisorNIP, p.NIP
		}
		for _, cycle := range SupervisorCycles(sup, from) {
			errs = append(errs, &FieldError{Line: seen[cycle[0]], Field: "supervisor_nip", Err: &CycleError{Cycle: cycle}})
		}
	}
	return errors.Join(errs...)
}

// registryColumns are the CSV header's columns, in any order.
var registryColumns = []string{"nip", "name", "unit", "position", "type", "timezone", "supervisor_nip", "instansi", "parent_unit"}

// optionalColumns may be left out of the header.
var optionalColumns = map[string]bool{"supervisor_nip": true, "position": true, "instansi": true, "parent_unit": true}

// ReadPeopleCSV reads a registry CSV (see ReadPeopleCSVSep) and drops
// the separator it found.
func ReadPeopleCSV(r io.Reader) ([]Person, error) {
	people, _, err := ReadPeopleCSVSep(r)
	return people, err
}

// Separators are the field separators a registry CSV may use: a comma,
// the semicolon spreadsheets write where the decimal mark is a comma
// (Indonesian Excel), or a tab.
var Separators = []rune{',', ';', '\t'}

// SeparatorName names a separator as the import reports it: ",", ";" or
// "tab".
func SeparatorName(sep rune) string {
	if sep == '\t' {
		return "tab"
	}
	return string(sep)
}

// detectSeparator is the separator of a registry CSV whose first line is
// header: of the Separators, the one the line holds most often outside
// quotes (a comma when it holds none).
func detectSeparator(header []byte) rune {
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(header) {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && slices.Contains(Separators, c):
			counts[c]++
		}
	}
	best := ','
	for _, sep := range Separators {
		if counts[sep] > counts[best] {
			best = sep
		}
	}
	return best
}

// ReadPeopleCSVSep reads a registry CSV with a header row naming the
// columns nip, name, unit, position, type, timezone, supervisor_nip,
// instansi, parent_unit (position, supervisor_nip, instansi and
// parent_unit optional; in any order and case). The separator, a comma, a
// semicolon or a tab, is found from the header line and returned; a UTF-8
// byte order mark (Excel writes one) is skipped, and lines may end in CRLF.
// Every bad row is reported by line and field; a file with any bad row
// returns no people.
func ReadPeopleCSVSep(r io.Reader) ([]Person, rune, error) {
	people, _, sep, err := ReadPeopleCSVAll(r)
	if err != nil {
		return nil, sep, err
	}
	return people, sep, nil
}

// ReadPeopleCSVAll reads a registry CSV as ReadPeopleCSVSep does, but
// returns the rows it read, with the line of each, even when some are
// bad, and the error listing every problem (PeopleProblems splits it).
// The rows are nil only when the file itself cannot be read (its header,
// its quoting).
func ReadPeopleCSVAll(r io.Reader) ([]Person, []int, rune, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(3); string(bom) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	first, _ := br.Peek(br.Size()) // as much as the buffer holds: the header line, unless it is huge
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	sep := detectSeparator(first)
	cr := csv.NewReader(br)
	cr.Comma = sep
	cr.TrimLeadingSpace = sep != '\t'
	header, err := cr.Read()
	if err != nil {
		return nil, nil, sep, fmt.Errorf("line 1: reading the header: %w", err)
	}
	line := 1
	people, lines, err := peopleFromRows(header, fmt.Sprintf(" (read with the separator %q)", SeparatorName(sep)), func() ([]string, int, error) {
		line++
		rec, err := cr.Read()
		return rec, line, err
	})
	return people, lines, sep, err
}

// peopleFromRows reads the rows of a registry table after its header
// (CSV or spreadsheet): next returns each row with its line (or row)
// number, io.EOF after the last. It returns the rows read and every
// problem, and the line of each row: the rows are nil when the table
// cannot be read.
func peopleFromRows(header []string, hint string, next func() ([]string, int, error)) ([]Person, []int, error) {
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, c := range registryColumns {
		if _, ok := col[c]; !ok && !optionalColumns[c] {
			return nil, nil, fmt.Errorf("line 1: the header lacks column %q%s; want %s", c, hint, strings.Join(registryColumns, ","))
		}
	}
	get := func(rec []string, c string) string {
		if i, ok := col[c]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var people []Person
	var lines []int
	for {
		rec, line, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		}
		if rec == nil {
			continue // an empty row of a spreadsheet
		}
		people = append(people, Person{
			NIP: NIP(get(rec, "nip")), Name: get(rec, "name"), Unit: get(rec, "unit"), Position: get(rec, "position"),
			Type: strings.ToUpper(get(rec, "type")), Timezone: strings.ToUpper(get(rec, "timezone")), SupervisorNIP: NIP(get(rec, "supervisor_nip")),
			Instansi: get(rec, "instansi"), ParentUnit: get(rec, "parent_unit"),
		})
		lines = append(lines, line)
	}
	if len(people) == 0 {
		return nil, nil, errors.New("the file has no people after its header")
	}
	return people, lines, checkLines(people, lines)
}

// PeopleProblems lists the problems an import's error holds (the errors
// CheckAll and the readers join): each bad field as a *FieldError, and
// anything else (the header, the file) as a FieldError of line 0 and no
// field.
func PeopleProblems(err error) []*FieldError {
	if err == nil {
		return nil
	}
	var fe *FieldError
	if errors.As(err, &fe) && fe == err {
		return []*FieldError{fe}
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*FieldError
		for _, e := range j.Unwrap() {
			out = append(out, PeopleProblems(e)...)
		}
		return out
	}
	return []*FieldError{{Err: err}}
}

// ReadPeopleJSON reads a JSON array of people (POST /api/v1/people). Bad
// entries are reported by index ("line" = array index + 1).
func ReadPeopleJSON(b []byte) ([]Person, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var people []Person
	if err := dec.Decode(&people); err != nil {
		return nil, fmt.Errorf("body: want a JSON array of people: %v", err)
	}
	if len(people) == 0 {
		return nil, errors.New("body: the array is empty")
	}
	if err := CheckAll(people, 1); err != nil {
		return nil, err
	}
	return people, nil
}

// SupervisorCycles finds the supervisor cycles of a registry (each NIP →
// its supervisor's NIP) that pass through at least one of from: a cycle
// only among entries not in from was there before and is not reported.
// Each cycle lists its NIPs in supervisor order, the first again at the
// end (A → B → A). The work is linear in the registry's size.
func SupervisorCycles(supervisor map[NIP]NIP, from []NIP) [][]NIP {
	in := make(map[NIP]bool, len(from))
	for _, n := range from {
		in[n] = true
	}
	const onPath, done = 1, 2
	state := map[NIP]int{}
	var cycles [][]NIP
	for _, start := range from {
		var path []NIP
		at := map[NIP]int{}
		n := start
		for n != "" && state[n] == 0 {
			state[n] = onPath
			at[n] = len(path)
			path = append(path, n)
			n = supervisor[n]
		}
		if n != "" && state[n] == onPath {
			cycle := append(append([]NIP{}, path[at[n]:]...), n)
			if slices.ContainsFunc(cycle, func(c NIP) bool { return in[c] }) {
				cycles = append(cycles, cycle)
			}
		}
		for _, p := range path {
			state[p] = done
		}
	}
	return cycles
}

// CycleError is a supervisor cycle in the registry.
type CycleError struct{ Cycle []NIP }

func (e *CycleError) Error() string {
	parts := make([]string, len(e.Cycle))
	for i, n := range e.Cycle {
		parts[i] = string(n)
	}
	return "supervisor cycle " + strings.Join(parts, " → ") + ": a person cannot be above themselves in the chain of supervisors"
}
