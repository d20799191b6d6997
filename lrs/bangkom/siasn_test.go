package bangkom_test

import (
	"strings"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/schemas"
)

// claimOf reads a statement as a claim written by an ordinary credential
// "lms", with the catalogue given.
func claimOf(t *testing.T, st string, catalogue map[string]bangkom.CatalogueEntry) bangkom.Claim {
	t.Helper()
	rules, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	v, err := fastjson.Parse(st)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := bangkom.ClaimFrom(v, 1, bangkom.Writer{Key: "lms"}, bangkom.DefaultHomePage, rules, func(a string) (bangkom.CatalogueEntry, bool) {
		e, ok := catalogue[a]
		return e, ok
	})
	if !ok {
		t.Fatalf("not a claim: %s", st)
	}
	return c
}

// learning is a completed KLS-KURSUS statement by 199001012015011001 with
// the object's extra JSON (after the id) and context extensions (after the
// form) given.
func learning(timestamp, object, ext string) string {
	return `{"id":"d57094f6-07e1-4cdc-b12b-4d9079b63e55","actor":{"account":{"homePage":"https://siasn.bkn.go.id","name":"199001012015011001"}},` +
		`"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://lms.go.id/kursus/7"` + object + `},` +
		`"timestamp":"` + timestamp + `","context":{"extensions":{"` + bangkom.ExtForm + `":"KLS-KURSUS","` + bangkom.ExtJP + `":16` + ext + `}}}`
}

// A course of 4 days completed on 12 February ran from 9 to 12 February:
// the statement's date is the last day, the first is days − 1 before it,
// unless the start-date extension names it. The year, rule and caps still
// follow the completion date.
func TestSIASN_DatesEndOnTheCompletion(t *testing.T) {
	rules, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	days := `,"` + bangkom.ExtDays + `":4`
	start := func(d string) string { return `,"` + bangkom.ExtStartDate + `":"` + d + `"` }
	for _, tt := range []struct {
		name, timestamp, ext     string
		wantStart, wantEnd, note string
		year                     int
	}{
		{"4 days, completed 12 Feb", "2026-02-12T15:00:00+07:00", days, "2026-02-09", "2026-02-12", "", 2026},
		{"one day", "2026-02-12T15:00:00+07:00", "", "2026-02-12", "2026-02-12", "", 2026},
		{"start date", "2026-02-12T15:00:00+07:00", start("2026-02-02"), "2026-02-02", "2026-02-12", "", 2026},
		{"start date beats days", "2026-02-12T15:00:00+07:00", days + start("2026-02-11"), "2026-02-11", "2026-02-12", "", 2026},
		{"in the person's zone", "2026-02-12T20:00:00Z", start("2026-02-13"), "2026-02-13", "2026-02-13", "", 2026},
		{"across the new year: the completion's year", "2026-01-02T10:00:00+07:00", days, "2025-12-30", "2026-01-02", "", 2026},
		{"start after the end is ignored", "2026-02-12T15:00:00+07:00", days + start("2026-02-13"), "2026-02-09", "2026-02-12", "start date 2026-02-13 is after the last day 2026-02-12; ignored", 2026},
		{"a start beyond 366 days is ignored", "2026-02-12T15:00:00+07:00", start("2025-02-11"), "2026-02-12", "2026-02-12", "more than 366 days before", 2026},
		{"a start of 366 days", "2026-02-12T15:00:00+07:00", start("2025-02-12"), "2025-02-12", "2026-02-12", "", 2026},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := claimOf(t, learning(tt.timestamp, "", tt.ext), nil)
			facts := bangkom.Facts{Person: bangkom.Person{NIP: c.NIP, Type: bangkom.PNS, Timezone: "WIT"}, Claims: []bangkom.Claim{c}}
			rep := bangkom.Compute(facts, rules, tt.year, 0)
			if len(rep.Items) != 1 {
				t.Fatalf("%d items in %d", len(rep.Items), tt.year)
			}
			it := rep.Items[0]
			gotStart, gotEnd := it.StartDate().Format("2006-01-02"), it.EndDate().Format("2006-01-02")
			if gotStart != tt.wantStart || gotEnd != tt.wantEnd || it.Start != tt.wantStart || it.Date != tt.wantEnd || it.Day() != it.EndDate() {
				t.Fatalf("start %s (%s) end %s (date %s), want %s .. %s", gotStart, it.Start, gotEnd, it.Date, tt.wantStart, tt.wantEnd)
			}
			if (tt.note == "") != (it.Note == "") || !strings.Contains(it.Note, tt.note) {
				t.Fatalf("note %q, want %q", it.Note, tt.note)
			}
		})
	}
}

// The start date must be a calendar date near the statement's timestamp
// when written; the error names the extension.
func TestCheckStatement_StartDate(t *testing.T) {
	for _, tt := range []struct{ name, value, wantErr string }{
		{"a date", `"2026-02-09"`, ""},
		{"the day after the timestamp (another zone)", `"2026-02-13"`, ""},
		{"SIASN's dd-mm-yyyy", `"09-02-2026"`, `"09-02-2026" is not a calendar date YYYY-MM-DD`},
		{"not a real day", `"2026-02-30"`, "not a calendar date"},
		{"a time", `"2026-02-09T08:00:00+07:00"`, "not a calendar date"},
		{"a number", `20260209`, "must be a JSON string"},
		{"after the end", `"2026-02-14"`, "is after the statement's timestamp"},
		{"long before", `"2025-01-01"`, "more than 366 days before"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := learning("2026-02-12T15:00:00+07:00", "", `,"`+bangkom.ExtStartDate+`":`+tt.value)
			err := bangkom.CheckStatement(fastjson.MustParse(st), nil)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("CheckStatement = %v, want error %q", err, tt.wantErr)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "context.extensions."+bangkom.ExtStartDate+": ") {
				t.Fatalf("the error %q does not name the extension", err)
			}
		})
	}
}

// A claim's name is the statement's definition.name, Indonesian first,
// else the catalogue's; never the activity IRI: a claim with no name has
// none, and MissingName says so.
func TestClaim_NameNeverAnIRI(t *testing.T) {
	rules, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	const act = "https://lms.go.id/kursus/7"
	cat := map[string]bangkom.CatalogueEntry{act: {Activity: act, Form: "KLS-KURSUS", Name: map[string]string{"en": "Data course", "id-ID": "Kursus data"}}}
	for _, tt := range []struct {
		name, object string
		catalogue    map[string]bangkom.CatalogueEntry
		want         string
	}{
		{"id-ID over en-US", `,"definition":{"name":{"en-US":"Policy analysis","id-ID":"Analisis kebijakan"}}`, nil, "Analisis kebijakan"},
		{"en-US alone", `,"definition":{"name":{"en-US":"Policy analysis"}}`, nil, "Policy analysis"},
		{"another language", `,"definition":{"name":{"jv":"Sinau"}}`, nil, "Sinau"},
		{"the statement over the catalogue", `,"definition":{"name":{"id-ID":"Analisis kebijakan"}}`, cat, "Analisis kebijakan"},
		{"the catalogue, id-ID first", ``, cat, "Kursus data"},
		{"no name anywhere", ``, nil, ""},
		{"an empty name", `,"definition":{"name":{"id-ID":""}}`, nil, ""},
		{"the IRI as its name", `,"definition":{"name":{"id-ID":"` + act + `"}}`, nil, ""},
		{"another IRI as its name", `,"definition":{"name":{"en-US":"urn:course:7"}}`, nil, ""},
		{"a title that begins with a scheme", `,"definition":{"name":{"id-ID":"https: dasar keamanan web"}}`, nil, "https: dasar keamanan web"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := claimOf(t, learning("2026-02-12T15:00:00+07:00", tt.object, ""), tt.catalogue)
			if c.ActivityName != tt.want {
				t.Fatalf("name %q, want %q", c.ActivityName, tt.want)
			}
			rep := bangkom.Compute(bangkom.Facts{Person: bangkom.Person{NIP: c.NIP, Type: bangkom.PNS, Timezone: "WIB"}, Claims: []bangkom.Claim{c}}, rules, 2026, 0)
			it := rep.Items[0]
			if it.ActivityName != tt.want || bangkom.MissingName(it) != (tt.want == "") || strings.Contains(it.ActivityName, act) {
				t.Fatalf("item name %q, MissingName %v", it.ActivityName, bangkom.MissingName(it))
			}
		})
	}
}

// The organizer is the statement's context.platform as written, never the
// key of the credential that wrote it.
func TestClaim_OrganizerIsThePlatformOnly(t *testing.T) {
	with := claimOf(t, strings.Replace(learning("2026-02-12T15:00:00+07:00", "", ""), `"context":{`, `"context":{"platform":"BPSDM Jabar",`, 1), nil)
	without := claimOf(t, learning("2026-02-12T15:00:00+07:00", "", ""), nil)
	if with.Organizer != "BPSDM Jabar" || without.Organizer != "" || without.By != "lms" {
		t.Fatalf("organizer with a platform %q, without %q (by %q)", with.Organizer, without.Organizer, without.By)
	}
}
