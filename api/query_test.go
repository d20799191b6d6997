package api_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

const (
	nipA = `{"account":{"homePage":"https://siasn.bkn.go.id","name":"199001012015011001"}}`
	nipB = `{"objectType":"Agent","account":{"homePage":"https://siasn.bkn.go.id","name":"198505052010122002"}}`
	mbox = `{"mbox":"mailto:mentor@example.go.id"}`
)

const (
	vCompleted = "http://adlnet.gov/expapi/verbs/completed"
	vAttended  = "http://adlnet.gov/expapi/verbs/attended"
	vVoided    = "http://adlnet.gov/expapi/verbs/voided"
	vConfirmed = "http://e.com/verbs/confirmed" // not Bangkom's approved: mbox actors decide no claims
)

// seeded is a store with one statement per label, posted in order.
type seeded struct {
	*env
	ids    map[string]string // label → id
	labels map[string]string // id → label
	stored map[string]time.Time
}

func seed(t *testing.T) *seeded {
	t.Helper()
	e := newEnv(t)
	s := &seeded{env: e, ids: map[string]string{}, labels: map[string]string{}, stored: map[string]time.Time{}}
	reg := "4a1b9c3e-8d7f-4e21-9b6a-0c5d2e1f3a47"
	items := []struct{ label, body string }{
		{"a-completed-c1", `{"actor":` + nipA + `,"verb":{"id":"` + vCompleted + `"},"object":{"id":"https://lms.example.go.id/c1"}}`},
		{"b-attended-c1", `{"actor":` + nipB + `,"verb":{"id":"` + vAttended + `"},"object":{"id":"https://lms.example.go.id/c1"}}`},
		{"a-attended-c2-reg", `{"actor":` + nipA + `,"verb":{"id":"` + vAttended + `"},"object":{"id":"https://lms.example.go.id/c2"},"context":{"registration":"` + reg + `","contextActivities":{"parent":{"id":"https://lms.example.go.id/program"}}}}`},
		{"group-with-a", `{"actor":{"objectType":"Group","member":[` + nipA + `,` + mbox + `]},"verb":{"id":"` + vCompleted + `"},"object":{"id":"https://lms.example.go.id/c3"}}`},
		{"mentor-instructs-b", `{"actor":` + mbox + `,"verb":{"id":"` + vCompleted + `"},"object":{"id":"https://lms.example.go.id/coaching/1"},"context":{"instructor":` + nipB + `}}`},
		{"b-about-a", `{"actor":` + nipB + `,"verb":{"id":"` + vCompleted + `"},"object":` + strings.Replace(nipA, `{`, `{"objectType":"Agent",`, 1) + `}`},
		{"sub-a", `{"actor":` + mbox + `,"verb":{"id":"` + vCompleted + `"},"object":{"objectType":"SubStatement","actor":` + nipA + `,"verb":{"id":"` + vAttended + `"},"object":{"id":"https://lms.example.go.id/c4"}}}`},
	}
	for _, it := range items {
		s.post(t, it.label, it.body)
	}
	// b-attended-c1 is confirmed by a supervisor (a StatementRef), then voided
	s.post(t, "confirm-b", `{"actor":`+mbox+`,"verb":{"id":"`+vConfirmed+`"},"object":{"objectType":"StatementRef","id":"`+s.ids["b-attended-c1"]+`"}}`)
	s.post(t, "void-a-c1", `{"actor":`+mbox+`,"verb":{"id":"`+vVoided+`"},"object":{"objectType":"StatementRef","id":"`+s.ids["a-completed-c1"]+`"}}`)
	return s
}

func (s *seeded) post(t *testing.T, label, body string) {
	t.Helper()
	got := s.do(t, req{method: "POST", path: "/statements", body: body})
	expect(t, got, 200)
	var ids []string
	_ = json.Unmarshal([]byte(got.body), &ids)
	s.ids[label], s.labels[ids[0]] = ids[0], label
	one := s.do(t, req{method: "GET", path: "/statements?statementId=" + ids[0]})
	var st struct{ Stored time.Time }
	_ = json.Unmarshal([]byte(one.body), &st)
	s.stored[label] = st.Stored
	time.Sleep(3 * time.Millisecond) // distinct stored times
}

// query returns the labels a listing yields, following every more link.
func (s *seeded) query(t *testing.T, params string) []string {
	t.Helper()
	path := "/statements?" + params
	var out []string
	for path != "" {
		got := s.do(t, req{method: "GET", path: path})
		expect(t, got, 200)
		var res struct {
			Statements []struct{ ID string }
			More       string
		}
		if err := json.Unmarshal([]byte(got.body), &res); err != nil {
			t.Fatal(err)
		}
		for _, st := range res.Statements {
			out = append(out, s.labels[st.ID])
		}
		path = strings.TrimPrefix(res.More, "/xapi")
	}
	return out
}

func TestStatements_Filters(t *testing.T) {
	s := seed(t)
	q := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		v.Set("ascending", "true")
		v.Set("limit", "2") // every case also pages
		return v.Encode()
	}
	tests := []struct {
		name   string
		params string
		want   string
	}{
		{"XAPI-00181 agent: actor, object, group member; StatementRef targeting", q("agent", nipA),
			"a-attended-c2-reg group-with-a b-about-a void-a-c1"},
		{"XAPI-00176 related_agents: also instructor and sub-statement", q("agent", nipB, "related_agents", "true"),
			"b-attended-c1 mentor-instructs-b b-about-a confirm-b"},
		{"agent B without related_agents", q("agent", nipB), "b-attended-c1 b-about-a confirm-b"},
		{"XAPI-00180 verb", q("verb", vAttended), "b-attended-c1 a-attended-c2-reg confirm-b"},
		{"XAPI-00179 activity", q("activity", "https://lms.example.go.id/c1"), "b-attended-c1 confirm-b void-a-c1"},
		{"XAPI-00177 related_activities: context parent", q("activity", "https://lms.example.go.id/program", "related_activities", "true"), "a-attended-c2-reg"},
		{"activity of a sub-statement needs related_activities", q("activity", "https://lms.example.go.id/c4"), ""},
		{"related_activities reaches into a sub-statement", q("activity", "https://lms.example.go.id/c4", "related_activities", "true"), "sub-a"},
		{"XAPI-00178 registration", q("registration", "4a1b9c3e-8d7f-4e21-9b6a-0c5d2e1f3a47"), "a-attended-c2-reg"},
		{"filters combine", q("agent", nipA, "verb", vAttended), "a-attended-c2-reg"},
		{"mbox agent, members match", q("agent", mbox), "group-with-a mentor-instructs-b sub-a confirm-b void-a-c1"},
		{"XAPI-00149 no match is an empty result", q("verb", "http://e.com/never"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(s.query(t, tt.params), " ")
			if got != tt.want {
				t.Fatalf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
	t.Run("XAPI-00166 descending is the reverse", func(t *testing.T) {
		asc := s.query(t, "agent="+url.QueryEscape(nipA)+"&ascending=true&limit=1")
		desc := s.query(t, "agent="+url.QueryEscape(nipA)+"&limit=1")
		slices.Reverse(desc)
		if !slices.Equal(asc, desc) {
			t.Fatalf("asc %v, reversed desc %v", asc, desc)
		}
	})
	t.Run("XAPI-00175 XAPI-00174 since is exclusive, until inclusive", func(t *testing.T) {
		since := s.stored["b-attended-c1"].Format(time.RFC3339Nano)
		until := s.stored["mentor-instructs-b"].Format(time.RFC3339Nano)
		got := strings.Join(s.query(t, "since="+url.QueryEscape(since)+"&until="+url.QueryEscape(until)+"&ascending=true&limit=2"), " ")
		if want := "a-attended-c2-reg group-with-a mentor-instructs-b"; got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		got = strings.Join(s.query(t, "since="+url.QueryEscape(since)+"&until="+url.QueryEscape(until)+"&verb="+url.QueryEscape(vCompleted)), " ")
		if want := "mentor-instructs-b group-with-a"; got != want {
			t.Fatalf("with verb: got %q, want %q", got, want)
		}
		future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		if got := s.query(t, "since="+url.QueryEscape(future)); len(got) != 0 {
			t.Fatalf("since the future: %v", got)
		}
	})
	t.Run("XAPI-00175 XAPI-00174 the zero time and times before 1970 are bounds", func(t *testing.T) {
		all := strings.Join(s.query(t, "ascending=true"), " ")
		if all == "" {
			t.Fatal("no statements listed")
		}
		tests := []struct{ params, want string }{
			{"until=0001-01-01T00:00:00Z", ""},
			{"until=0001-01-01T07:00:00%2B07:00", ""},
			{"until=1000-01-01T00:00:00Z", ""},
			{"until=1969-12-31T23:59:59.999Z", ""},
			{"until=0001-01-01T00:00:00Z&verb=" + url.QueryEscape(vCompleted), ""},
			{"since=0001-01-01T00:00:00Z&until=0001-01-01T00:00:00Z", ""},
			{"since=0001-01-01T00:00:00Z", all},
			{"since=1000-01-01T00:00:00Z", all},
			{"since=1969-12-31T23:59:59.999Z", all},
		}
		for _, tt := range tests {
			if got := strings.Join(s.query(t, tt.params+"&ascending=true&limit=3"), " "); got != tt.want {
				t.Errorf("%s: got %q, want %q", tt.params, got, tt.want)
			}
		}
	})
	t.Run("a cursor at the last possible position ends the listing", func(t *testing.T) {
		for _, flags := range []byte{0, 1} { // descending, ascending
			tok := append([]byte{2}, bytes.Repeat([]byte{0xff}, 12)...)
			tok = append(tok, flags, 0, 10)
			got := s.query(t, "more="+base64.RawURLEncoding.EncodeToString(tok))
			if flags == 1 && len(got) != 0 {
				t.Fatalf("ascending after the last position: %v, want nothing", got)
			}
			if flags == 0 && len(got) == 0 {
				t.Fatal("descending before the last position: nothing, want every statement")
			}
		}
	})
	t.Run("XAPI-00012 bad filter values are 400", func(t *testing.T) {
		for _, p := range []string{"agent=notjson", "agent=" + url.QueryEscape(`{"name":"no ifi"}`), "verb=notaniri", "registration=123", "since=yesterday", "related_agents=yes", "limit=-1"} {
			expect(t, s.do(t, req{method: "GET", path: "/statements?" + p}), 400)
		}
	})
	t.Run("a more link is stable under new writes", func(t *testing.T) {
		got := s.do(t, req{method: "GET", path: "/statements?verb=" + url.QueryEscape(vCompleted) + "&limit=2"})
		var res struct{ More string }
		_ = json.Unmarshal([]byte(got.body), &res)
		s.post(t, "late", `{"actor":`+nipA+`,"verb":{"id":"`+vCompleted+`"},"object":{"id":"https://lms.example.go.id/late"}}`)
		rest := s.query(t, strings.TrimPrefix(res.More, "/xapi/statements?"))
		if slices.Contains(rest, "late") || len(rest) == 0 {
			t.Fatalf("second page %v", rest)
		}
	})
}

func TestStatements_Formats(t *testing.T) {
	e := newEnv(t)
	id := uuid.NewString()
	body := `{"actor":{"objectType":"Agent","name":"Siti","account":{"homePage":"https://siasn.bkn.go.id","name":"199001012015011001"}},` +
		`"verb":{"id":"` + vCompleted + `","display":{"en-US":"completed","id-ID":"menyelesaikan"}},` +
		`"object":{"id":"https://lms.example.go.id/c1","definition":{"name":{"en-US":"Policy analysis","id-ID":"Analisis kebijakan"},"type":"http://adlnet.gov/expapi/activities/course"}},` +
		`"context":{"instructor":{"name":"Mentor","mbox":"mailto:mentor@example.go.id"},"contextActivities":{"parent":[{"id":"https://lms.example.go.id/p","definition":{"name":{"en-US":"Program"}}}]}}}`
	expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: body}), 204)
	// a later statement refines the activity's canonical definition
	later := `{"actor":{"mbox":"mailto:x@example.go.id"},"verb":{"id":"` + vCompleted + `"},"object":{"id":"https://lms.example.go.id/c1","definition":{"description":{"id-ID":"Modul satu"}}}}`
	expect(t, e.do(t, req{method: "POST", path: "/statements", body: later}), 200)

	t.Run("XAPI-00170 exact returns the statement as received", func(t *testing.T) {
		got := e.do(t, req{method: "GET", path: "/statements?statementId=" + id + "&format=exact"})
		expect(t, got, 200, `"name":"Siti"`, `"id-ID":"menyelesaikan"`, `"Policy analysis"`)
	})
	t.Run("XAPI-00171 ids keeps only identifiers", func(t *testing.T) {
		got := e.do(t, req{method: "GET", path: "/statements?statementId=" + id + "&format=ids"})
		expect(t, got, 200, `"account"`, `"https://lms.example.go.id/c1"`)
		for _, gone := range []string{`"Siti"`, `display`, `definition`, `"Mentor"`} {
			if strings.Contains(got.body, gone) {
				t.Errorf("ids format still has %s: %s", gone, got.body)
			}
		}
	})
	t.Run("XAPI-00169 XAPI-00172 canonical: one language, canonical definition", func(t *testing.T) {
		got := e.do(t, req{method: "GET", path: "/statements?statementId=" + id + "&format=canonical"})
		var st struct {
			Verb   struct{ Display map[string]string }
			Object struct {
				Definition struct{ Name, Description map[string]string }
			}
		}
		if err := json.Unmarshal([]byte(got.body), &st); err != nil {
			t.Fatal(err)
		}
		if len(st.Verb.Display) != 1 || len(st.Object.Definition.Name) != 1 || st.Object.Definition.Description["id-ID"] != "Modul satu" {
			t.Fatalf("canonical without Accept-Language: %s", got.body)
		}
		hr := req{method: "GET", path: "/statements?statementId=" + id + "&format=canonical"}
		got = e.doWith(t, hr, "Accept-Language", "id-ID, en;q=0.5")
		expect(t, got, 200, `"display":{"id-ID":"menyelesaikan"}`, `"name":{"id-ID":"Analisis kebijakan"}`)
		got = e.doWith(t, hr, "Accept-Language", "en")
		expect(t, got, 200, `"display":{"en-US":"completed"}`, `"name":{"en-US":"Policy analysis"}`)
		if !strings.Contains(got.body, `"Siti"`) {
			t.Fatalf("canonical must keep agents as received: %s", got.body)
		}
	})
	t.Run("bad format is 400", func(t *testing.T) {
		expect(t, e.do(t, req{method: "GET", path: "/statements?format=full"}), 400, "format")
	})
	t.Run("listing honours format", func(t *testing.T) {
		got := e.do(t, req{method: "GET", path: "/statements?format=ids&limit=1"})
		if strings.Contains(got.body, "definition") {
			t.Fatalf("listing in ids format: %s", got.body)
		}
		var res struct{ More string }
		_ = json.Unmarshal([]byte(got.body), &res)
		if !strings.HasSuffix(res.More, "&format=ids") {
			t.Fatalf("more link %q does not keep the format", res.More)
		}
		next := e.do(t, req{method: "GET", path: strings.TrimPrefix(res.More, "/xapi")})
		expect(t, next, 200)
		if strings.Contains(next.body, "definition") {
			t.Fatalf("second page not in ids format: %s", next.body)
		}
	})
	_ = fmt.Sprint
}
