package lrs

import (
	"reflect"
	"testing"
)

// TestXAPI00172_LanguageChosenPerMap: with format=canonical the LRS applies
// Accept-Language as RFC 2616 section 14.4 says to each language map on
// its own: a tag's quality is that of the longest range matching it, "*"
// stands for the tags no other range matches, q=0 refuses; and a map still
// comes back with one language when none is acceptable.
func TestXAPI00172_LanguageChosenPerMap(t *testing.T) {
	for _, c := range []struct {
		header string
		tags   []string
		want   string
	}{
		{"en-GB", []string{"en-US", "en-GB", "ja-JP"}, "en-GB"},
		{"en", []string{"id-ID", "en-US"}, "en-US"},                            // a range matches the tags it prefixes
		{"EN-gb", []string{"en-US", "en-GB"}, "en-GB"},                         // case does not count
		{"en-GB, id-ID;q=0.8", []string{"en-US", "id-ID"}, "id-ID"},            // en-GB does not match en-US; id-ID is acceptable
		{"en-GB, id-ID;q=0.8, *;q=0.1", []string{"en-US", "id-ID"}, "id-ID"},   // * ranks below id-ID
		{"fr, *;q=0.5", []string{"ja-JP", "de"}, "de"},                         // * matches the rest: the first in order
		{"en;q=0.9, en-US;q=0", []string{"en-US", "en-GB"}, "en-GB"},           // the longest range decides: en-US is refused
		{"id-ID;q=0.5, en-US;q=0.7", []string{"id-ID", "en-US"}, "en-US"},      // by quality, not by order
		{"id-ID, en-US", []string{"en-US", "id-ID"}, "id-ID"},                  // a tie goes to the range given first
		{"en-GB", []string{"en", "fr"}, "en"},                                  // nothing acceptable: same primary language
		{"ko-KR", []string{"und", "en-US"}, "und"},                             // then und
		{"", []string{"ja-JP", "en-US"}, "en-US"},                              // then the first in order
		{"en-US;q=0, *", []string{"en-US", "fr"}, "fr"},                        // refused only when nothing else is left
		{"en-US;q=0", []string{"en-US"}, "en-US"},                              // a map keeps one language
		{"en-GB;q=abc, fr;q=0.5", []string{"fr-FR", "en-GB"}, "en-GB"},         // a q that is not a number counts as 1
		{" en-GB ; q=0.2 ,id ; q=0.3 ", []string{"en-GB", "id-ID"}, "id-ID"},   // spaces
		{"en-GB;level=1;q=0.1, fr;q=0.2", []string{"en-GB", "fr-CA"}, "fr-CA"}, // q after another parameter
	} {
		if got := pickLanguage(append([]string(nil), c.tags...), AcceptLanguages(c.header)); got != c.want {
			t.Errorf("Accept-Language %q, tags %v: %q, want %q", c.header, c.tags, got, c.want)
		}
	}
	want := []LanguageRange{{"id-ID", 1}, {"en", 0.5}, {"*", 0}}
	if got := AcceptLanguages("id-ID, en;q=0.5, *;q=0"); !reflect.DeepEqual(got, want) {
		t.Errorf("AcceptLanguages: %v, want %v", got, want)
	}
}
