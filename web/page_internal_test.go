package web

import (
	"reflect"
	"testing"
)

func TestMix_ThreeBucketsOfTheJPThatFitThePattern(t *testing.T) {
	got := mix([]formTotal{
		{Form: "KLS-SEMINAR", Recognized: 8},
		{Form: "NK-ELEARN", Recognized: 2},
		{Form: "NK-COACHING", Recognized: 6},
		{Form: "WPL-KASUS", Recognized: 20},
		{Form: "NK-MANDIRI", Recognized: 4},
		{Form: "PDD-TUBEL", Recognized: 100}, // formal education: outside the pattern
		{Form: "NK-LAIN", Recognized: 3},     // other: outside the pattern
		{Form: "NK-MENTORING", Pending: 5},   // pending JP do not count
	})
	want := []mixShare{{"10", 10, 25}, {"20", 6, 15}, {"70", 24, 60}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("mix = %+v, want %+v", got, want)
	}
	if m := mix([]formTotal{{Form: "PDD-IZBEL", Recognized: 10}}); m != nil {
		t.Fatalf("mix of formal education only = %+v, want none", m)
	}
	for _, f := range []string{"KLS-TEKNIS", "NK-PJJ", "NK-KOMUNITAS", "NK-MAGANG", "WPL-MICRO"} {
		if mixBucket(f) == "" {
			t.Errorf("form %s is in no 10:20:70 bucket", f)
		}
	}
}

func TestNote_InThePagesLanguage(t *testing.T) {
	h := &Handler{}
	var err error
	if h.msgs, err = loadCatalogue(); err != nil {
		t.Fatal(err)
	}
	id, en := &Page{Lang: langID, h: h}, &Page{Lang: langEN, h: h}
	note := "capped: 2 of 4.5 JP recognised; something new"
	if got, want := id.Note(note), "dibatasi: 2 dari 4,5 JP diakui; something new"; got != want {
		t.Errorf("Note in Indonesian = %q, want %q", got, want)
	}
	if got := en.Note(note); got != note {
		t.Errorf("Note in English = %q, want the API's %q", got, note)
	}
}
