package lrs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"
)

// fixture is one file of testdata/statements (see its README.md).
type fixture struct {
	name      string
	versions  []Version
	error     string
	statement []byte
}

// loadFixtures reads the fixtures of testdata/statements/<dir>.
func loadFixtures(t testing.TB, dir string) []fixture {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "statements", dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no fixtures in testdata/statements/%s", dir)
	}
	var p fastjson.Parser
	fs := make([]fixture, 0, len(paths))
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		v, err := p.ParseBytes(b)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		f := fixture{
			name:  strings.TrimSuffix(filepath.Base(path), ".json"),
			error: string(v.GetStringBytes("error")),
		}
		switch ver := string(v.GetStringBytes("version")); ver {
		case "1":
			f.versions = []Version{V1}
		case "2":
			f.versions = []Version{V2}
		case "":
			f.versions = []Version{V1, V2}
		default:
			t.Fatalf("%s: bad version %q", path, ver)
		}
		s := v.Get("statement")
		if s == nil {
			t.Fatalf("%s: no statement", path)
		}
		f.statement = s.MarshalTo(nil)
		fs = append(fs, f)
	}
	return fs
}

func TestValidateStatement_Fixtures(t *testing.T) {
	var p fastjson.Parser
	for _, f := range loadFixtures(t, "valid") {
		if f.error != "" {
			t.Errorf("valid/%s: has an error field", f.name)
		}
		for _, ver := range f.versions {
			t.Run("valid/"+f.name+"/"+ver.String(), func(t *testing.T) {
				v, err := p.ParseBytes(f.statement)
				if err != nil {
					t.Fatal(err)
				}
				if err := ValidateStatement(v, ver); err != nil {
					t.Errorf("rejected: %v", err)
				}
			})
		}
	}
	n := 0
	for _, f := range loadFixtures(t, "invalid") {
		if f.error == "" || len(f.versions) != 1 {
			t.Errorf("invalid/%s: needs an error and one version", f.name)
			continue
		}
		n++
		ver := f.versions[0]
		t.Run("invalid/"+f.name, func(t *testing.T) {
			v, err := p.ParseBytes(f.statement)
			if err != nil {
				t.Fatal(err)
			}
			err = ValidateStatement(v, ver)
			if err == nil {
				t.Fatalf("accepted, want error containing %q", f.error)
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID {
				t.Fatalf("got %#v, want an *Error with code %q", err, EINVALID)
			}
			t.Log(e.Message)
			if !strings.Contains(e.Message, f.error) {
				t.Errorf("message %q\n does not contain %q", e.Message, f.error)
			}
		})
	}
	if n < 80 {
		t.Errorf("only %d invalid fixtures", n)
	}
}

// TestValidateStatement_Idempotent checks that validating a value twice
// gives the same answer: fastjson unescapes strings in place on first read.
func TestValidateStatement_Idempotent(t *testing.T) {
	var p fastjson.Parser
	for _, dir := range []string{"valid", "invalid"} {
		for _, f := range loadFixtures(t, dir) {
			v, err := p.ParseBytes(f.statement)
			if err != nil {
				t.Fatal(err)
			}
			first := ValidateStatement(v, f.versions[0])
			second := ValidateStatement(v, f.versions[0])
			if ErrorMessage(first) != ErrorMessage(second) {
				t.Errorf("%s/%s: %v, then %v", dir, f.name, first, second)
			}
		}
	}
}

func TestValidateStatement_Escapes(t *testing.T) {
	// Escaped keys and values are compared after unescaping.
	const s = `{"\u0061ctor":{"mbox":"mailto:ann\u0040example.com"},` +
		`"verb":{"id":"http:\/\/example.com\/v","display":{"en\u002DUS":"did"}},` +
		`"object":{"id":"http://example.com/a"}}`
	v := fastjson.MustParse(s)
	if err := ValidateStatement(v, V1); err != nil {
		t.Fatal(err)
	}
}

func TestValidateStatement_Version(t *testing.T) {
	tests := []struct {
		version string
		ver     Version
		ok      bool
	}{
		{"1.0", V1, true},
		{"1.0.0", V1, true},
		{"1.0.3", V1, true},
		{"1.0.9", V1, true},
		{"1.0.10", V1, true},
		{"1.0.x", V1, false},
		{"1.0.3-beta", V1, false},
		{"1", V1, false},
		{"1.1", V1, false},
		{"2.0.0", V1, false},
		{"2.0.0", V2, true},
		{"2.0", V2, true},
		{"2.0.1", V2, true},
		{"1.0.3", V2, true},
		{"2.1.0", V2, false},
		{"", V2, false},
	}
	for _, tt := range tests {
		s := `{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://example.com/v"},` +
			`"object":{"id":"http://example.com/a"},"version":"` + tt.version + `"}`
		err := ValidateStatement(fastjson.MustParse(s), tt.ver)
		if (err == nil) != tt.ok {
			t.Errorf("version %q under %v: got %v, want ok=%v", tt.version, tt.ver, err, tt.ok)
		}
	}
}

func TestValidateStatement_LargeObjects(t *testing.T) {
	// Many keys: duplicate detection switches to its sorted path.
	var b strings.Builder
	b.WriteString(`{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://example.com/v"},` +
		`"object":{"id":"http://example.com/a"},"result":{"extensions":{`)
	for i := range 40 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"http://example.com/e/`)
		b.WriteString(strings.Repeat("x", i))
		b.WriteString(`":1`)
	}
	ok := b.String() + `}}}`
	if err := ValidateStatement(fastjson.MustParse(ok), V1); err != nil {
		t.Fatal(err)
	}
	dup := b.String() + `,"http://example.com/e/xxx":2}}}`
	err := ValidateStatement(fastjson.MustParse(dup), V1)
	if err == nil || !strings.Contains(err.Error(), `result.extensions: duplicate key "http://example.com/e/xxx"`) {
		t.Fatalf("got %v", err)
	}

	// Long interaction component lists: id uniqueness through a map.
	b.Reset()
	b.WriteString(`{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://example.com/v"},` +
		`"object":{"id":"http://example.com/a","definition":{"interactionType":"choice","choices":[`)
	for i := range 100 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":"c`)
		b.WriteString(strings.Repeat("i", i))
		b.WriteString(`"}`)
	}
	if err := ValidateStatement(fastjson.MustParse(b.String()+`]}}}`), V1); err != nil {
		t.Fatal(err)
	}
	err = ValidateStatement(fastjson.MustParse(b.String()+`,{"id":"ciii"}]}}}`), V1)
	if err == nil || !strings.Contains(err.Error(), `object.definition.choices[100].id: duplicate interaction component id "ciii"`) {
		t.Fatalf("got %v", err)
	}
}

func TestValidateAgent(t *testing.T) {
	tests := []struct {
		name, agent, err string
	}{
		{"mbox", `{"mbox":"mailto:a@example.com"}`, ""},
		{"agent_objecttype", `{"objectType":"Agent","account":{"homePage":"https://example.com","name":"a"}}`, ""},
		{"identified_group", `{"objectType":"Group","openid":"https://openid.example.com/g"}`, ""},
		{"anonymous_group", `{"objectType":"Group","member":[{"mbox":"mailto:a@example.com"}]}`, ""},
		{"XAPI-00034_two_ifis", `{"mbox":"mailto:a@example.com","openid":"https://x.example.com"}`,
			"agent: an Agent must have exactly one of mbox, mbox_sha1sum, openid, account (found 2)"},
		{"XAPI-00034_no_ifi", `{"name":"a"}`, "agent: an Agent must have exactly one of"},
		{"XAPI-00038_mbox", `{"mbox":"a@example.com"}`, `agent.mbox: must be "mailto:"`},
		{"XAPI-00010_unknown", `{"mbox":"mailto:a@example.com","role":"x"}`, `agent: unknown property "role"`},
		{"XAPI-00001_null", `null`, "agent: must not be null"},
		{"XAPI-00006_string", `"mailto:a@example.com"`, "agent: must be an object, not a string"},
		{"XAPI-00031_objecttype", `{"objectType":"Activity","id":"http://example.com"}`, `agent.objectType: must be "Agent" or "Group"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateAgent(fastjson.MustParse(tt.agent), "agent")
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tt.err != "" && err == nil:
				t.Fatalf("accepted, want %q", tt.err)
			case tt.err != "" && (ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), tt.err)):
				t.Fatalf("got %v, want %q", err, tt.err)
			}
		})
	}
	if err := ValidateAgent(fastjson.MustParse(`{}`), "member[2]"); err == nil ||
		!strings.HasPrefix(ErrorMessage(err), "member[2]: ") {
		t.Fatalf("path not used: %v", err)
	}
}

func TestIsUUID(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"v4", "fd41c918-b88b-4b20-a0a5-a4c32391aaa0", true},
		{"v1", "6fa459ea-ee8a-11ca-b4ab-0800200c9a66", true},
		{"v7", "018f3b4e-7c2a-7b1d-9f00-0123456789ab", true},
		{"uppercase", "FD41C918-B88B-4B20-A0A5-A4C32391AAA0", true},
		{"variant_9", "fd41c918-b88b-4b20-90a5-a4c32391aaa0", true},
		{"XAPI-00007_empty", "", false},
		{"XAPI-00029_no_dashes", "fd41c918b88b4b20a0a5a4c32391aaa0", false},
		{"XAPI-00029_braces", "{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}", false},
		{"XAPI-00029_urn", "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0", false},
		{"XAPI-00029_misplaced_dash", "fd41c91-8b88b-4b20-a0a5-a4c32391aaa0", false},
		{"XAPI-00029_non_hex", "gd41c918-b88b-4b20-a0a5-a4c32391aaa0", false},
		{"XAPI-00029_short", "fd41c918-b88b-4b20-a0a5-a4c32391aaa", false},
		{"XAPI-00030_nil", "00000000-0000-0000-0000-000000000000", false},
		{"XAPI-00030_version_0", "fd41c918-b88b-0b20-a0a5-a4c32391aaa0", false},
		{"XAPI-00030_version_9", "fd41c918-b88b-9b20-a0a5-a4c32391aaa0", false},
		{"XAPI-00030_variant_ncs", "fd41c918-b88b-4b20-70a5-a4c32391aaa0", false},
		{"XAPI-00030_variant_microsoft", "fd41c918-b88b-4b20-c0a5-a4c32391aaa0", false},
		{"XAPI-00030_max", "ffffffff-ffff-ffff-ffff-ffffffffffff", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsUUID(tt.s); got != tt.want {
				t.Errorf("IsUUID(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

func TestIsIRI(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"http", "http://adlnet.gov/expapi/verbs/completed", true},
		{"https_query_fragment", "https://example.com/a?b=c&d=e#f", true},
		{"port_userinfo", "http://user:pw@example.com:8080/x", true},
		{"urn", "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0", true},
		{"tag", "tag:example.com,2024:verb", true},
		{"mailto", "mailto:a@example.com", true},
		{"unicode", "http://example.com/فعل/خواندن", true},
		{"unicode_host", "https://例え.テスト/", true},
		{"percent", "http://example.com/a%20b", true},
		{"scheme_chars", "x-my.scheme+v1:thing", true},
		{"file", "file:///etc/hosts", true},
		{"XAPI-00007_empty", "", false},
		{"XAPI-00011_no_scheme", "example.com/verbs/done", false},
		{"XAPI-00011_relative", "/activities/1", false},
		{"XAPI-00011_fragment", "#meeting", false},
		{"XAPI-00011_scheme_only", "http:", false},
		{"scheme_starts_with_digit", "1http://example.com", false},
		{"scheme_bad_char", "ht_tp://example.com", false},
		{"space", "http://example.com/my activity", false},
		{"tab", "http://example.com/\t", false},
		{"newline", "http://example.com/\n", false},
		{"angle_brackets", "http://example.com/<a>", false},
		{"quote", `http://example.com/"a"`, false},
		{"backslash", `http://example.com\a`, false},
		{"bad_percent", "http://example.com/%zz", false},
		{"truncated_percent", "http://example.com/%2", false},
		{"two_fragments", "http://example.com/#a#b", false},
		{"http_no_slashes", "http:example.com", false},
		{"http_empty_host", "http:///path", false},
		{"http_only_port", "http://:80/", false},
		{"invalid_utf8", "http://example.com/\xff", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsIRI(tt.s); got != tt.want {
				t.Errorf("IsIRI(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

func TestParseTimestamp(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	valid := []struct {
		name string
		s    string
		want time.Time
	}{
		{"rfc3339_z", "2015-11-18T12:17:00Z", utc("2015-11-18T12:17:00Z")},
		{"rfc3339_offset", "2015-11-18T12:17:00+00:00", utc("2015-11-18T12:17:00Z")},
		{"millis", "2013-05-18T05:32:34.804+00:00", utc("2013-05-18T05:32:34.804Z")},
		{"XAPI-00122_nanos", "2013-05-18T05:32:34.123456789Z", utc("2013-05-18T05:32:34.123456789Z")},
		{"XAPI-00122_beyond_nanos", "2013-05-18T05:32:34.1234567891Z", utc("2013-05-18T05:32:34.123456789Z")},
		{"positive_offset", "2015-11-18T12:17:00+05:30", utc("2015-11-18T06:47:00Z")},
		{"negative_offset", "2015-11-18T12:17:00-08:00", utc("2015-11-18T20:17:00Z")},
		{"lowercase_t_z", "2015-11-18t12:17:00z", utc("2015-11-18T12:17:00Z")},
		{"leap_day", "2016-02-29T00:00:00Z", utc("2016-02-29T00:00:00Z")},
		{"leap_day_2000", "2000-02-29T00:00:00Z", utc("2000-02-29T00:00:00Z")},
		{"XAPI-00123_no_seconds", "2015-11-18T12:17Z", utc("2015-11-18T12:17:00Z")},
		{"XAPI-00123_basic", "20151118T121700Z", utc("2015-11-18T12:17:00Z")},
		{"XAPI-00123_basic_offset", "20151118T121700+0100", utc("2015-11-18T11:17:00Z")},
		{"XAPI-00123_basic_no_seconds", "20151118T1217-01", utc("2015-11-18T13:17:00Z")},
		{"comma_fraction", "2015-11-18T12:17:00,5Z", utc("2015-11-18T12:17:00.5Z")},
		{"offset_hours_only", "2015-11-18T12:17:00+01", utc("2015-11-18T11:17:00Z")},
		{"offset_without_colon", "2015-11-18T12:17:00+0100", utc("2015-11-18T11:17:00Z")},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTimestamp(tt.s)
			if err != nil {
				t.Fatalf("ParseTimestamp(%q): %v", tt.s, err)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("ParseTimestamp(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
	invalid := []struct{ name, s string }{
		{"XAPI-00007_empty", ""},
		{"XAPI-00022_no_zone", "2015-11-18T12:17:00"},
		{"XAPI-00022_negative_zero", "2015-11-18T12:17:00-00:00"},
		{"XAPI-00022_negative_zero_basic", "20151118T121700-0000"},
		{"XAPI-00022_month_13", "2015-13-18T12:17:00Z"},
		{"XAPI-00022_month_0", "2015-00-18T12:17:00Z"},
		{"XAPI-00022_day_32", "2015-01-32T12:17:00Z"},
		{"XAPI-00022_day_0", "2015-01-00T12:17:00Z"},
		{"XAPI-00022_feb_29_non_leap", "2015-02-29T12:17:00Z"},
		{"XAPI-00022_feb_29_1900", "1900-02-29T12:17:00Z"},
		{"XAPI-00022_april_31", "2015-04-31T12:17:00Z"},
		{"XAPI-00022_hour_25", "2015-01-01T25:00:00Z"},
		{"XAPI-00022_hour_24", "2015-01-01T24:00:00Z"},
		{"XAPI-00022_minute_60", "2015-01-01T12:60:00Z"},
		{"XAPI-00022_second_61", "2015-01-01T12:00:61Z"},
		{"XAPI-00022_leap_second", "2015-06-30T23:59:60Z"},
		{"XAPI-00022_offset_hour_24", "2015-01-01T12:00:00+24:00"},
		{"XAPI-00022_offset_minute_60", "2015-01-01T12:00:00+01:60"},
		{"date_only", "2015-11-18"},
		{"space_separator", "2015-11-18 12:17:00Z"},
		{"no_t", "2015-11-1812:17:00Z"},
		{"two_digit_year", "15-11-18T12:17:00Z"},
		{"one_digit_month", "2015-1-18T12:17:00Z"},
		{"empty_fraction", "2015-11-18T12:17:00.Z"},
		{"trailing", "2015-11-18T12:17:00Z "},
		{"leading_space", " 2015-11-18T12:17:00Z"},
		{"mixed_basic_extended", "20151118T12:17:00Z"},
		{"mixed_extended_basic", "2015-11-18T1217Z"},
		{"offset_short", "2015-11-18T12:17:00+1"},
		{"offset_garbage", "2015-11-18T12:17:00+01:0x"},
		{"zone_name", "2015-11-18T12:17:00 UTC"},
		{"words", "yesterday"},
		{"unix", "1447849020"},
		{"week_date", "2015-W47-3T12:17:00Z"},
		{"ordinal_date", "2015-322T12:17:00Z"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTimestamp(tt.s)
			if err == nil {
				t.Fatalf("ParseTimestamp(%q) = %v, want an error", tt.s, got)
			}
			if ErrorCode(err) != EINVALID {
				t.Errorf("code %q", ErrorCode(err))
			}
		})
	}
}

// TestTimestampRFC3339 checks the narrower xAPI 2.0 form used by
// ValidateStatement under V2.
func TestTimestampRFC3339(t *testing.T) {
	tests := []struct {
		s  string
		ok bool
	}{
		{"2015-11-18T12:17:00Z", true},
		{"2015-11-18T12:17:00.5+01:00", true},
		{"2015-11-18t12:17:00z", true},
		{"2015-11-18T12:17Z", false},
		{"20151118T121700Z", false},
		{"2015-11-18T12:17:00+0100", false},
		{"2015-11-18T12:17:00+01", false},
		{"2015-11-18T12:17:00,5Z", false},
		{"2015-11-18T12:17:00-00:00", false},
	}
	for _, tt := range tests {
		if _, reason := parseTimestamp(tt.s, true); (reason == "") != tt.ok {
			t.Errorf("parseTimestamp(%q, rfc3339): %q, want ok=%v", tt.s, reason, tt.ok)
		}
	}
}

func TestIsDuration(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"hours_minutes", "PT1H30M", true},
		{"days_fraction_seconds", "P1DT2.5S", true},
		{"weeks", "P3W", true},
		{"XAPI-00124_spec_1", "PT4H35M59.14S", true},
		{"XAPI-00124_spec_2", "PT16559.14S", true},
		{"XAPI-00124_spec_3", "P3Y1M29DT4H35M59.14S", true},
		{"XAPI-00124_spec_4", "P3Y", true},
		{"XAPI-00124_spec_5", "P4W", true},
		{"zero", "PT0S", true},
		{"months", "P1M", true},
		{"minutes", "PT1M", true},
		{"comma_fraction", "PT0,5S", true},
		{"fraction_last_of_many", "P1DT1H1.5M", true},
		{"fraction_days", "P0.5D", true},
		{"large", "PT123456789S", true},
		{"XAPI-00077_empty", "", false},
		{"XAPI-00077_p_only", "P", false},
		{"XAPI-00077_pt_only", "PT", false},
		{"XAPI-00124_weeks_combined", "P4W1D", false},
		{"XAPI-00124_alternative", "P0003-01-29T04:35:59", false},
		{"XAPI-00124_alternative_basic", "P00030129T043559", false},
		{"trailing_t", "P1DT", false},
		{"no_p", "T1H", false},
		{"lowercase_p", "pt1h", false},
		{"lowercase_designator", "PT1h", false},
		{"negative", "-PT1H", false},
		{"sign_in_number", "PT-1H", false},
		{"wrong_order", "PT1M1H", false},
		{"repeated", "PT1H1H", false},
		{"time_in_date", "P1H", false},
		{"seconds_in_date", "P1S", false},
		{"year_in_time", "PT1Y", false},
		{"weeks_in_time", "PT1W", false},
		{"two_t", "P1DTT1H", false},
		{"fraction_not_last", "PT1.5H30M", false},
		{"empty_fraction", "PT1.S", false},
		{"no_number", "PTH", false},
		{"no_designator", "PT1", false},
		{"space", "PT1H 30M", false},
		{"seconds_word", "30 seconds", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsDuration(tt.s); got != tt.want {
				t.Errorf("IsDuration(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

func TestIsLanguageTag(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"language", "en", true},
		{"language_region", "en-US", true},
		{"case_insensitive", "EN-us", true},
		{"three_letter", "tlh", true},
		{"script", "zh-Hant", true},
		{"script_region", "zh-Hant-TW", true},
		{"un_m49_region", "es-419", true},
		{"extlang", "zh-yue", true},
		{"extlang_region", "zh-yue-HK", true},
		{"three_extlangs", "abc-def-ghi-jkl", true},
		{"variant", "de-CH-1996", true},
		{"variants", "sl-rozaj-biske", true},
		{"variant_5_letters", "sl-nedis", true},
		{"extension", "en-a-bbb-x-a-ccc", true},
		{"extension_u", "de-DE-u-co-phonebk", true},
		{"two_extensions", "en-a-bbb-b-ccc", true},
		{"private_use_tag", "x-whatever", true},
		{"private_use_suffix", "en-US-x-twain", true},
		{"private_use_single_chars", "x-a-b-c", true},
		{"four_letter_language", "abcd", true},
		{"eight_letter_language", "abcdefgh", true},
		{"grandfathered_irregular", "i-klingon", true},
		{"grandfathered_en_gb_oed", "en-GB-oed", true},
		{"grandfathered_sgn", "sgn-BE-FR", true},
		{"grandfathered_regular", "zh-min-nan", true},
		{"undetermined", "und", true},
		{"XAPI-00013_empty", "", false},
		{"XAPI-00013_underscore", "en_US", false},
		{"XAPI-00013_single_letter", "e", false},
		{"XAPI-00013_nine_letters", "abcdefghi", false},
		{"XAPI-00013_trailing_dash", "en-", false},
		{"XAPI-00013_leading_dash", "-en", false},
		{"XAPI-00013_double_dash", "en--US", false},
		{"XAPI-00121_digit_language", "12", false},
		{"XAPI-00121_two_regions", "en-US-GB", false},
		{"XAPI-00121_four_extlangs", "abc-def-ghi-jkl-mno", false},
		{"XAPI-00121_extlang_after_long_language", "abcd-def", false},
		{"XAPI-00121_script_after_region", "en-US-Latn", false},
		{"region_3_digits", "en-123", true},
		{"XAPI-00121_short_variant", "en-abc1", false},
		{"XAPI-00121_singleton_alone", "en-a", false},
		{"XAPI-00121_singleton_short_subtag", "en-a-b", false},
		{"XAPI-00121_x_alone", "en-x", false},
		{"XAPI-00121_x_only", "x", false},
		{"XAPI-00121_subtag_too_long", "en-abcdefghi", false},
		{"XAPI-00121_space", "en US", false},
		{"XAPI-00121_punctuation", "en!", false},
		{"XAPI-00121_non_ascii", "é", false},
		{"XAPI-00121_word", "english", true}, // well-formed: a 5-8 letter primary language subtag
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsLanguageTag(tt.s); got != tt.want {
				t.Errorf("IsLanguageTag(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

func TestFormatHelpers(t *testing.T) {
	mbox := map[string]bool{
		"mailto:a@example.com":          true,
		"mailto:first.last+tag@a.b.org": true,
		"mailto:a@localhost":            true,
		"mailto:a@[192.0.2.1]":          true,
		"mailto:ü@例え.テスト":               true,
		"a@example.com":                 false,
		"mailto:":                       false,
		"mailto:@example.com":           false,
		"mailto:a@":                     false,
		"mailto:a@b@c.com":              false,
		"mailto:a@b..com":               false,
		"mailto:a@b.com.":               false,
		"mailto:a b@c.com":              false,
		"mailto:a@c.com?subject=x":      false,
		"mailto:a@c.com,b@c.com":        false,
		"MAILTO:a@c.com":                false,
	}
	for s, want := range mbox {
		if got := isMailtoIRI(s); got != want {
			t.Errorf("isMailtoIRI(%q) = %v, want %v", s, got, want)
		}
	}
	media := map[string]bool{
		"text/plain":                     true,
		"application/octet-stream":       true,
		"text/html; charset=utf-8":       true,
		`text/html;charset="utf-8"`:      true,
		"application/vnd.api+json":       true,
		"multipart/mixed; boundary=abc ": true,
		"text":                           false,
		"text/":                          false,
		"/plain":                         false,
		"text/plain;":                    false,
		"text/plain; charset":            false,
		`text/plain; charset="utf-8`:     false,
		"text/pla in":                    false,
	}
	for s, want := range media {
		if got := isMediaType(s); got != want {
			t.Errorf("isMediaType(%q) = %v, want %v", s, got, want)
		}
	}
}

// benchStatement is a realistic statement, about 1.2 KB once compacted: an
// Activity with a choice interaction, a result with score and extensions, a
// context with registration, instructor, contextActivities and extensions.
const benchStatement = `{
  "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
  "actor": {"objectType": "Agent", "name": "Siti Rahma", "mbox": "mailto:siti.rahma@example.ac.id"},
  "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
  "object": {
    "objectType": "Activity",
    "id": "https://lms.example.ac.id/course/algebra-1/quiz/3/question/7",
    "definition": {
      "name": {"en-US": "Question 7"},
      "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
      "interactionType": "choice",
      "correctResponsesPattern": ["two[,]three"],
      "choices": [
        {"id": "two", "description": {"en-US": "2"}},
        {"id": "three", "description": {"en-US": "3"}}
      ]
    }
  },
  "result": {
    "score": {"scaled": 0.5, "raw": 1, "min": 0, "max": 2},
    "success": false, "completion": true, "response": "two", "duration": "PT42.5S",
    "extensions": {"https://w3id.org/xapi/cmi5/result/extensions/progress": 70}
  },
  "context": {
    "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
    "instructor": {"account": {"homePage": "https://lms.example.ac.id", "name": "budi"}},
    "contextActivities": {
      "parent": [{"id": "https://lms.example.ac.id/course/algebra-1/quiz/3", "objectType": "Activity"}],
      "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}]
    },
    "platform": "Moodle", "language": "id-ID",
    "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": "b2c3-d4e5"}
  },
  "timestamp": "2024-03-05T08:15:30.123+07:00"
}`

func TestValidateStatement_Allocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation count")
	}
	var p fastjson.Parser
	v, err := p.Parse(benchStatement)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateStatement(v, V1); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := ValidateStatement(v, V1); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Errorf("ValidateStatement allocates %v times on a valid statement, want 0", allocs)
	}
}

// BenchmarkValidateStatement measures parsing with a reused parser plus
// validation ("parse+validate"), and validation of an already parsed value
// ("validate").
func BenchmarkValidateStatement(b *testing.B) {
	compact := string(fastjson.MustParse(benchStatement).MarshalTo(nil))
	b.Run("parse+validate", func(b *testing.B) {
		var p fastjson.Parser
		b.ReportAllocs()
		b.SetBytes(int64(len(compact)))
		for b.Loop() {
			v, err := p.Parse(compact)
			if err != nil {
				b.Fatal(err)
			}
			if err := ValidateStatement(v, V1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("validate", func(b *testing.B) {
		var p fastjson.Parser
		v, err := p.Parse(compact)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(compact)))
		for b.Loop() {
			if err := ValidateStatement(v, V1); err != nil {
				b.Fatal(err)
			}
		}
	})
}
