package bangkom

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
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

// Check validates p; line is reported in errors.
func (p Person) Check(line int) error {
	var errs []error
	bad := func(field string, err error) { errs = append(errs, &FieldError{Line: line, Field: field, Err: err}) }
	if _, err := ParseNIP(string(p.NIP)); err != nil {
		bad("nip", err)
	}
	if strings.TrimSpace(p.Name) == "" {
		bad("name", errors.New("must not be empty"))
	}
	if strings.TrimSpace(p.Unit) == "" {
		bad("unit", errors.New("must not be empty"))
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

// CheckAll validates every person and that no NIP appears twice; the error
// lists every problem. first is the line (or index) of people[0].
func CheckAll(people []Person, first int) error {
	var errs []error
	seen := map[NIP]int{}
	for i, p := range people {
		line := first + i
		if err := p.Check(line); err != nil {
			errs = append(errs, err)
		}
		if prev, dup := seen[p.NIP]; dup && p.NIP != "" {
			errs = append(errs, &FieldError{Line: line, Field: "nip", Err: fmt.Errorf("%s also on line %d", p.NIP, prev)})
		}
		seen[p.NIP] = line
	}
	return errors.Join(errs...)
}

// registryColumns are the CSV header's columns, in any order.
var registryColumns = []string{"nip", "name", "unit", "position", "type", "timezone", "supervisor_nip"}

// ReadPeopleCSV reads a registry CSV with a header row naming the columns
// nip, name, unit, position, type, timezone, supervisor_nip. Every bad row
// is reported by line and field; a file with any bad row returns no people.
func ReadPeopleCSV(r io.Reader) ([]Person, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("line 1: reading the header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, c := range registryColumns {
		if _, ok := col[c]; !ok && c != "supervisor_nip" && c != "position" {
			return nil, fmt.Errorf("line 1: the header lacks column %q (want %s)", c, strings.Join(registryColumns, ","))
		}
	}
	get := func(rec []string, c string) string {
		if i, ok := col[c]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var people []Person
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		people = append(people, Person{
			NIP: NIP(get(rec, "nip")), Name: get(rec, "name"), Unit: get(rec, "unit"), Position: get(rec, "position"),
			Type: strings.ToUpper(get(rec, "type")), Timezone: strings.ToUpper(get(rec, "timezone")), SupervisorNIP: NIP(get(rec, "supervisor_nip")),
		})
	}
	if len(people) == 0 {
		return nil, errors.New("the file has no people after its header")
	}
	if err := CheckAll(people, 2); err != nil {
		return nil, err
	}
	return people, nil
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
