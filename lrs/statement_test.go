package lrs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
)

func TestContentHash_StatementComparison(t *testing.T) {
	base := `{"id":"6f1c2a4e-0d39-4b0c-9a43-5d3f27d0c001","actor":{"objectType":"Group","member":[{"mbox":"mailto:a@example.com"},{"mbox":"mailto:b@example.com"}],"mbox":"mailto:g@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed","display":{"en-US":"completed"}},"object":{"id":"http://e.com/a","definition":{"name":{"en-US":"A"}}},"result":{"score":{"scaled":0.5}},"timestamp":"2026-11-29T09:00:00+07:00"}`
	tests := []struct {
		name  string
		other string
		same  bool
	}{
		{"identical", base, true},
		{"properties in another order", `{"verb":{"display":{"en-US":"completed"},"id":"http://adlnet.gov/expapi/verbs/completed"},"timestamp":"2026-11-29T09:00:00+07:00","object":{"definition":{"name":{"en-US":"A"}},"id":"http://e.com/a"},"result":{"score":{"scaled":0.5}},"actor":{"mbox":"mailto:g@example.com","objectType":"Group","member":[{"mbox":"mailto:a@example.com"},{"mbox":"mailto:b@example.com"}]}}`, true},
		{"timestamp in another zone, same instant", strings.Replace(base, "2026-11-29T09:00:00+07:00", "2026-11-29T02:00:00.000Z", 1), true},
		{"group members in another order", strings.Replace(base, `[{"mbox":"mailto:a@example.com"},{"mbox":"mailto:b@example.com"}]`, `[{"mbox":"mailto:b@example.com"},{"mbox":"mailto:a@example.com"}]`, 1), true},
		{"verb display differs", strings.Replace(base, `{"en-US":"completed"}`, `{"id-ID":"menyelesaikan"}`, 1), true},
		{"activity definition differs", strings.Replace(base, `{"name":{"en-US":"A"}}`, `{"name":{"en-US":"B"}}`, 1), true},
		{"LRS-assigned properties differ", strings.Replace(base, `"result"`, `"stored":"2026-01-01T00:00:00Z","authority":{"mbox":"mailto:x@example.com"},"version":"1.0.3","result"`, 1), true},
		{"number written another way", strings.Replace(base, `0.5`, `5e-1`, 1), true},
		{"object differs", strings.Replace(base, `http://e.com/a`, `http://e.com/b`, 1), false},
		{"score differs", strings.Replace(base, `0.5`, `0.6`, 1), false},
		{"timestamp differs", strings.Replace(base, `09:00:00+07:00`, `09:00:01+07:00`, 1), false},
		{"a member differs", strings.Replace(base, `mailto:b@example.com`, `mailto:c@example.com`, 1), false},
		{"extra result property", strings.Replace(base, `{"score":{"scaled":0.5}}`, `{"score":{"scaled":0.5},"success":true}`, 1), false},
		{"2.0.0 4.2.7 duration beyond hundredths", strings.Replace(base, `{"score":{"scaled":0.5}}`, `{"score":{"scaled":0.5},"duration":"P1DT12H36M0.1237S"}`, 1), false},
	}
	want := lrs.ContentHash(fastjson.MustParse(base))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lrs.ContentHash(fastjson.MustParse(tt.other))
			if (got == want) != tt.same {
				t.Fatalf("same = %v, want %v", got == want, tt.same)
			}
		})
	}
}

func TestPrepareStatements(t *testing.T) {
	auth := lrs.Authority{Key: "k", Store: "default", Agent: []byte(`{"objectType":"Agent","account":{"homePage":"https://jejak.id/xapi/credentials","name":"k"}}`)}
	fixed := uuid.MustParse("6f1c2a4e-0d39-4b0c-9a43-5d3f27d0c001")
	newID := func() uuid.UUID { return fixed }
	const s = `{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/a"},"context":{"contextActivities":{"parent":{"id":"http://e.com/p"}}},"stored":"2020-01-01T00:00:00Z","authority":{"mbox":"mailto:forged@example.com"}}`

	t.Run("XAPI-00026 assigns id, authority and version; drops a client stored", func(t *testing.T) {
		out, err := lrs.PrepareStatements(context.Background(), lrs.StatementsInput{Body: []byte(s), Version: lrs.V1}, auth, newID)
		if err != nil {
			t.Fatal(err)
		}
		v := fastjson.MustParseBytes(out[0].JSON)
		if got := string(v.GetStringBytes("id")); got != fixed.String() || out[0].ID != fixed {
			t.Errorf("id = %s", got)
		}
		if got := string(v.GetStringBytes("version")); got != "1.0.0" {
			t.Errorf("version = %s, want 1.0.0", got)
		}
		if got := string(v.GetStringBytes("authority", "account", "name")); got != "k" {
			t.Errorf("authority not overwritten: %s", v.Get("authority"))
		}
		if v.Exists("stored") {
			t.Errorf("client stored kept: %s", out[0].JSON)
		}
		if v.Get("context", "contextActivities", "parent").Type() != fastjson.TypeArray {
			t.Errorf("contextActivities.parent not normalised to an array: %s", out[0].JSON)
		}
		withStored := out[0].WithStored(nil, t0)
		if got := fastjson.GetString(withStored, "stored"); got != "2026-11-29T08:00:00.000Z" {
			t.Errorf("WithStored: stored = %q in %s", got, withStored)
		}
	})
	t.Run("version 2.0.0 for 2.0 requests", func(t *testing.T) {
		out, err := lrs.PrepareStatements(context.Background(), lrs.StatementsInput{Body: []byte(s), Version: lrs.V2}, auth, newID)
		if err != nil {
			t.Fatal(err)
		}
		if got := fastjson.GetString(out[0].JSON, "version"); got != "2.0.0" {
			t.Errorf("version = %s, want 2.0.0", got)
		}
	})
	errCases := []struct {
		name, body, statementID, want string
	}{
		{"not JSON", `{"actor":`, "", "not valid JSON"},
		{"not an object or array", `"hello"`, "", "statement object or an array"},
		{"array on PUT", `[` + s + `]`, fixed.String(), "not an array"},
		{"statementId not a UUID", s, "nope", "statementId"},
		{"duplicate ids in one batch", `[` + strings.Replace(s, `{"actor"`, `{"id":"`+fixed.String()+`","actor"`, 1) + `,` + strings.Replace(s, `{"actor"`, `{"id":"`+fixed.String()+`","actor"`, 1) + `]`, "", "same request"},
		{"XAPI-00003 second statement invalid names its index", `[` + s + `,{"verb":{"id":"http://e.com/v"},"object":{"id":"http://e.com/a"}}]`, "", "statements[1]"},
	}
	for _, tt := range errCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := lrs.PrepareStatements(context.Background(), lrs.StatementsInput{Body: []byte(tt.body), StatementID: tt.statementID, Version: lrs.V1}, auth, uuid.New)
			if lrs.ErrorCode(err) != lrs.EINVALID || !strings.Contains(lrs.ErrorMessage(err), tt.want) {
				t.Fatalf("err = %v, want invalid mentioning %q", err, tt.want)
			}
		})
	}
}

func TestPrepareStatements_StrictJSON(t *testing.T) {
	auth := lrs.Authority{Key: "k", Agent: []byte(`{"mbox":"mailto:k@example.com"}`)}
	for _, body := range []string{
		`{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://e.com/v"},"object":{"id":"http://e.com/a"},"result":{"response":"bad \q escape"}}`,
		"{\"actor\":{\"mbox\":\"mailto:a@example.com\"},\"verb\":{\"id\":\"http://e.com/v\"},\"object\":{\"id\":\"http://e.com/a\"},\"result\":{\"response\":\"raw \x01 control\"}}",
		`{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://e.com/v"},"object":{"id":"http://e.com/a"},"result":{"score":{"raw":NaN}}}`,
	} {
		_, err := lrs.PrepareStatements(context.Background(), lrs.StatementsInput{Body: []byte(body), Version: lrs.V1}, auth, uuid.New)
		if lrs.ErrorCode(err) != lrs.EINVALID || !strings.Contains(lrs.ErrorMessage(err), "not valid JSON") {
			t.Errorf("body %q: err = %v, want invalid JSON", body, err)
		}
	}
}

func TestPeekEnvelope(t *testing.T) {
	data := lrs.EncodeEnvelope(nil, "xapi.statements", 1, 42, "default", t0, lrs.Hash{1}, []byte(`{"batches":[]}`))
	typ, seq, stored, ok := lrs.PeekEnvelope(data)
	if !ok || typ != "xapi.statements" || seq != 42 || !stored.Equal(t0) {
		t.Fatalf("PeekEnvelope = %q %d %v %v", typ, seq, stored, ok)
	}
	for _, bad := range []string{`{}`, `{"type":"x","v":1}`, `{"v":1,"type":"x"}`, `{"type":"x","v":1,"seq":x,"store":"a","stored":"t"}`} {
		if _, _, _, ok := lrs.PeekEnvelope([]byte(bad)); ok {
			t.Errorf("PeekEnvelope(%s) ok", bad)
		}
	}
}

// TestAppendServed_XAPI00122: a statement of the log is served with
// timestamp = its stored time when it came without one, and as it is
// otherwise.
func TestAppendServed_XAPI00122(t *testing.T) {
	event := time.Date(2026, 12, 3, 8, 0, 0, 123456789, time.UTC)
	tests := []struct{ name, in, want string }{
		{"no timestamp: its stored",
			`{"stored":"2026-12-03T08:00:00.123Z","id":"6f1c2a4e-0d39-4b0c-9a43-5d3f27d0c001","verb":{"id":"http://e.com/v"}}`,
			`{"timestamp":"2026-12-03T08:00:00.123Z","stored":"2026-12-03T08:00:00.123Z","id":"6f1c2a4e-0d39-4b0c-9a43-5d3f27d0c001","verb":{"id":"http://e.com/v"}}`},
		{"no timestamp, no stored: the event's, to the millisecond",
			`{"id":"6f1c2a4e-0d39-4b0c-9a43-5d3f27d0c001"}`,
			`{"timestamp":"2026-12-03T08:00:00.123Z","id":"6f1c2a4e-0d39-4b0c-9a43-5d3f27d0c001"}`},
		{"a timestamp of its own is kept",
			`{"stored":"2026-12-03T08:00:00.123Z","timestamp":"2013-05-18T05:32:34+07:00","id":"6f1c2a4e-0d39-4b0c-9a43-5d3f27d0c001"}`,
			`{"stored":"2026-12-03T08:00:00.123Z","timestamp":"2013-05-18T05:32:34+07:00","id":"6f1c2a4e-0d39-4b0c-9a43-5d3f27d0c001"}`},
		{"a SubStatement's timestamp is its own business",
			`{"stored":"2026-12-03T08:00:00.123Z","object":{"objectType":"SubStatement","timestamp":"2013-05-18T05:32:34Z"}}`,
			`{"timestamp":"2026-12-03T08:00:00.123Z","stored":"2026-12-03T08:00:00.123Z","object":{"objectType":"SubStatement","timestamp":"2013-05-18T05:32:34Z"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := fastjson.MustParse(tt.in)
			hash := lrs.ContentHash(v)
			got := string(lrs.AppendServed([]byte("x"), v, event))
			if got != "x"+tt.want {
				t.Fatalf("AppendServed:\n got %s\nwant %s", got[1:], tt.want)
			}
			if lrs.ContentHash(v) != hash {
				t.Fatal("AppendServed changed the statement")
			}
		})
	}
}

// TestContentHash_DurationToHundredths: beyond hundredths of a second a
// duration takes no part in statement comparison (1.0.3 Data 4.6, 2.0.0
// 9274.1.1 4.2.7), also in a SubStatement's result; below, it does.
func TestContentHash_DurationToHundredths(t *testing.T) {
	st := func(d string) string {
		return `{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/a"},"result":{"success":true,"duration":"` + d + `"}}`
	}
	sub := func(d string) string {
		return `{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/planned"},"object":{"objectType":"SubStatement","actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/a"},"result":{"duration":"` + d + `"}}}`
	}
	hash := func(s string) lrs.Hash { return lrs.ContentHash(fastjson.MustParse(s)) }
	for _, form := range []func(string) string{st, sub} {
		for _, c := range []struct {
			a, b string
			same bool
		}{
			{"P1DT12H36M0.1237S", "P1DT12H36M0.12S", true},
			{"P1DT12H36M0.1237S", "P1DT12H36M0.1299S", true},
			{"PT1.5S", "PT1.50S", true},
			{"PT1.5S", "PT1,5S", true},
			{"PT1S", "PT1.001S", true},
			{"P1DT12H36M0.1237S", "P1DT12H36M0.13S", false}, // cut, not rounded
			{"PT1.5S", "PT1.51S", false},
			{"PT60S", "PT1M", false}, // no unit conversion
			{"PT1.5M", "PT1.50M", false},
			{"P1D", "PT24H", false},
		} {
			if got := hash(form(c.a)) == hash(form(c.b)); got != c.same {
				t.Errorf("%s and %s: same = %v, want %v", c.a, c.b, got, c.same)
			}
		}
	}
}

func TestComparableDuration(t *testing.T) {
	for in, want := range map[string]string{
		"P1DT12H36M0.1237S": "P1DT12H36M0.12S",
		"P1DT12H36M0.12S":   "P1DT12H36M0.12S",
		"PT0.129S":          "PT0.12S",
		"PT0.999S":          "PT0.99S",
		"PT1.10S":           "PT1.1S",
		"PT1.001S":          "PT1S",
		"PT1.0S":            "PT1S",
		"PT1,25S":           "PT1.25S",
		"PT1,2567S":         "PT1.25S",
		"PT4H35M59.14S":     "PT4H35M59.14S",
		"PT16559S":          "PT16559S",
		"PT1.5M":            "PT1.5M",
		"P3Y":               "P3Y",
		"P4W":               "P4W",
		"":                  "",
		"S":                 "S",
		".5S":               ".5S",
		"PT.5S":             "PT.5S",
		"not a duration":    "not a duration",
		"PT1.S":             "PT1.S",
	} {
		if got := string(lrs.ComparableDuration([]byte(in))); got != want {
			t.Errorf("ComparableDuration(%q) = %q, want %q", in, got, want)
		}
	}
}
