package api_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/lrs/lrstest"
)

// problemClaim is a completion with actor account (homePage, name) and
// context extensions ext (JSON members).
func problemClaim(homePage, name, ext string) string {
	return `{"actor":{"account":{"homePage":"` + homePage + `","name":"` + name + `"}},` +
		`"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://lms.example.go.id/course/1"},` +
		`"timestamp":"2026-03-02T09:00:00+07:00","context":{"extensions":{` + ext + `}}}`
}

func formExt(form string) string { return `"` + bangkom.ExtForm + `":"` + form + `"` }

// The claims that counted nothing are each stored (200) for an
// ordinary credential and listed with why at /api/v1/claims/problems (JSON
// and CSV) and on the person's report; each is refused with 400 naming the
// profile rule once the credential is strict, and nothing is stored.
func TestClaimProblems_ListedWithWhyAndRefusedInStrictMode(t *testing.T) {
	admin, adminSecret := lrstest.Credential(t, "admin-1", lrs.RoleAdmin)
	n := startCredNode(t, lrstest.Log(t, lrstest.NATS(t)), admin)
	call := func(key, secret, method, path, body string) (int, string) {
		t.Helper()
		return n.call(t, method, path, key, secret, body)
	}
	asAdmin := func(method, path, body string) (int, string) {
		t.Helper()
		return call(admin.Key, adminSecret, method, path, body)
	}
	mustStatus := func(want int, got int, body string, contains ...string) {
		t.Helper()
		if got != want {
			t.Fatalf("status %d, want %d: %s", got, want, body)
		}
		for _, c := range contains {
			if !strings.Contains(body, c) {
				t.Fatalf("body %s lacks %q", body, c)
			}
		}
	}
	secretOf := func(body string) string {
		t.Helper()
		var out struct{ Secret string }
		if err := json.Unmarshal([]byte(body), &out); err != nil || out.Secret == "" {
			t.Fatalf("no secret in %s", body)
		}
		return out.Secret
	}
	people := `[{"nip":"` + sitiNIP + `","name":"Siti","unit":"U1","type":"PNS","timezone":"WIB","supervisor_nip":"` + budiNIP + `"},
	            {"nip":"` + budiNIP + `","name":"Budi","unit":"U1","type":"PNS","timezone":"WIB"}]`
	st, body := asAdmin("POST", "/api/v1/people", people)
	mustStatus(200, st, body)
	creds := map[string]string{}
	for _, c := range []string{`{"key":"lms"}`, `{"key":"other"}`, `{"key":"analyst-u1","roles":["analyst"],"units":["U1"]}`, `{"key":"analyst-u2","roles":["analyst"],"units":["U2"]}`} {
		st, body := asAdmin("POST", "/api/v1/credentials", c)
		mustStatus(201, st, body)
		var k struct{ Key string }
		_ = json.Unmarshal([]byte(c), &k)
		creds[k.Key] = secretOf(body)
	}
	as := func(key, method, path, body string) (int, string) {
		t.Helper()
		return call(key, creds[key], method, path, body)
	}
	home := bangkom.DefaultHomePage
	const badNIP = "199002302015011001"
	cases := []struct {
		name, stmt, code, reason string
	}{
		{"form KLS-PELATIHAN", problemClaim(home, sitiNIP, formExt("KLS-PELATIHAN")), bangkom.ProblemFormUnknown, "closest code is KLS-PENATARAN"},
		{"form kls-teknis", problemClaim(home, sitiNIP, formExt("kls-teknis")), bangkom.ProblemFormUnknown, "did you mean KLS-TEKNIS"},
		{"homePage with a trailing slash", problemClaim(home+"/", sitiNIP, formExt("KLS-TEKNIS")), bangkom.ProblemHomePageWrong, "is not exactly"},
		{"invalid NIP", problemClaim(home, badNIP, formExt("KLS-TEKNIS")), bangkom.ProblemNIPInvalid, "not a valid birth date"},
	}
	jp8 := problemClaim(home, sitiNIP, formExt("KLS-TEKNIS")+`,"`+bangkom.ExtJP+`":"8"`)

	// An ordinary credential: nothing changes, each is stored.
	for _, c := range cases {
		st, body := as("lms", "POST", "/xapi/statements", c.stmt)
		mustStatus(200, st, body)
	}
	// `"jp":"8"` was refused before claim problems too (bangkom.CheckStatement).
	st, body = as("lms", "POST", "/xapi/statements", jp8)
	mustStatus(400, st, body, "must be a JSON number")

	// the problems are listed with why, in log order
	{
		st, body := asAdmin("GET", "/api/v1/claims/problems", "")
		mustStatus(200, st, body)
		var list struct {
			Problems []bangkom.Problem
			More     string
		}
		if err := json.Unmarshal([]byte(body), &list); err != nil {
			t.Fatal(err)
		}
		if len(list.Problems) != len(cases) || list.More != "" {
			t.Fatalf("%d problems (more %q), want %d: %s", len(list.Problems), list.More, len(cases), body)
		}
		for i, c := range cases {
			p := list.Problems[i]
			if p.Code != c.code || !strings.Contains(p.Reason, c.reason) || p.Rule == "" || p.Credential != "lms" || p.Stored.IsZero() {
				t.Errorf("%s: %+v, want %s %q", c.name, p, c.code, c.reason)
			}
		}
		if list.Problems[3].NIP != badNIP {
			t.Errorf("the invalid NIP's problem names %q, want the account name as sent", list.Problems[3].NIP)
		}
	}
	// in CSV
	{
		got := (&env{url: n.url + "/api/v1", key: admin.Key, secret: adminSecret}).doWith(t, req{method: "GET", path: "/claims/problems"}, "Accept", "text/csv")
		expect(t, got, 200, "statement_id,seq,nip,credential,stored,timestamp,activity,form,code,reason,rule", "form_unknown", "homepage_wrong", "nip_invalid")
	}
	// by NIP, since, and in pages
	{
		st, body := asAdmin("GET", "/api/v1/claims/problems?nip="+sitiNIP, "")
		mustStatus(200, st, body)
		if c := strings.Count(body, `"code"`); c != 3 {
			t.Errorf("Siti has %d problems, want 3: %s", c, body)
		}
		st, body = asAdmin("GET", "/api/v1/claims/problems?nip="+badNIP, "")
		mustStatus(200, st, body, bangkom.ProblemNIPInvalid)
		future := url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339))
		st, body = asAdmin("GET", "/api/v1/claims/problems?since="+future, "")
		mustStatus(200, st, body, `"problems":[]`)
		st, body = asAdmin("GET", "/api/v1/claims/problems?since=2026-01-01T00:00:00%2007:00", "")
		mustStatus(400, st, body, "%2B")
		st, body = asAdmin("GET", "/api/v1/claims/problems?limit=3", "")
		mustStatus(200, st, body)
		var page struct {
			Problems []bangkom.Problem
			More     string
		}
		_ = json.Unmarshal([]byte(body), &page)
		if len(page.Problems) != 3 || page.More == "" {
			t.Fatalf("page of 3: %s", body)
		}
		st, body = asAdmin("GET", page.More, "")
		mustStatus(200, st, body, bangkom.ProblemNIPInvalid, `"more":""`)
		st, body = asAdmin("GET", "/api/v1/claims/problems?cursor=nope", "")
		mustStatus(400, st, body, "cursor")
	}
	// who sees which
	{
		st, body := as("lms", "GET", "/api/v1/claims/problems?credential=lms", "")
		mustStatus(200, st, body)
		if c := strings.Count(body, `"code"`); c != 4 {
			t.Errorf("lms sees %d of its problems, want 4", c)
		}
		st, body = as("lms", "GET", "/api/v1/claims/problems", "")
		mustStatus(403, st, body, "credential=lms", "policy: claim-problems")
		st, body = as("other", "GET", "/api/v1/claims/problems?credential=lms", "")
		mustStatus(403, st, body, "policy: claim-problems")
		st, body = as("analyst-u1", "GET", "/api/v1/claims/problems", "")
		mustStatus(200, st, body)
		if c := strings.Count(body, `"code"`); c != 3 {
			t.Errorf("the analyst of U1 sees %d problems, want Siti's 3: %s", c, body)
		}
		st, body = as("analyst-u2", "GET", "/api/v1/claims/problems", "")
		mustStatus(200, st, body, `"problems":[]`)
	}
	// the person's report lists them as not counted
	{
		st, body := asAdmin("GET", "/api/v1/people/"+sitiNIP+"/jp?year=2026", "")
		mustStatus(200, st, body, `"not_counted":[`, "did you mean KLS-TEKNIS", "KLS-PENATARAN", bangkom.ProblemHomePageWrong, `"items":[]`)
	}

	// Strict mode, switched on without a new secret.
	st, body = asAdmin("POST", "/api/v1/credentials", `{"key":"lms","update":true,"strict":true}`)
	mustStatus(200, st, body, `"strict":true`)
	if strings.Contains(body, `"secret"`) {
		t.Fatalf("an update shows a secret: %s", body)
	}
	count := func() int {
		t.Helper()
		st, body := asAdmin("GET", "/xapi/statements?limit=1000", "")
		mustStatus(200, st, body)
		var res struct{ Statements []json.RawMessage }
		if err := json.Unmarshal([]byte(body), &res); err != nil {
			t.Fatal(err)
		}
		return len(res.Statements)
	}
	before := count()
	for _, c := range cases {
		{ // strict refuses c
			st, body := as("lms", "POST", "/xapi/statements", c.stmt)
			mustStatus(400, st, body, c.code, "profile rule", "strict", "nothing was stored")
			// in a batch too, naming the statement
			st, body = as("lms", "POST", "/xapi/statements", "["+problemClaim(home, sitiNIP, formExt("KLS-TEKNIS"))+","+c.stmt+"]")
			mustStatus(400, st, body, "statements[1]", c.code)
		}
	}
	st, body = as("lms", "POST", "/xapi/statements", jp8)
	mustStatus(400, st, body, "must be a JSON number")
	if after := count(); after != before {
		t.Fatalf("%d statements after the refusals, want %d: something was stored", after, before)
	}
	// Sound claims pass; so does one of a NIP not registered yet (it counts once the person is).
	st, body = as("lms", "POST", "/xapi/statements", problemClaim(home, sitiNIP, formExt("KLS-TEKNIS")))
	mustStatus(200, st, body)
	st, body = as("lms", "POST", "/xapi/statements", problemClaim(home, "199202022020121001", formExt("KLS-TEKNIS")))
	mustStatus(200, st, body)
	// Another credential is not strict: nothing changes for it.
	st, body = as("other", "POST", "/xapi/statements", cases[0].stmt)
	mustStatus(200, st, body)
	st, body = asAdmin("GET", "/api/v1/claims/problems?credential=lms", "")
	mustStatus(200, st, body, bangkom.ProblemNIPUnregistered)

	// Judged when read, with nip=: attended and passed of a course whose
	// completion counts are duplicates of it; a course dated next month
	// counts from its date.
	course := func(verb, ts string) string {
		return strings.NewReplacer("verbs/completed", "verbs/"+verb, "course/1", "course/dup", "2026-03-02T09:00:00+07:00", ts).
			Replace(problemClaim(home, sitiNIP, formExt("KLS-TEKNIS")+`,"`+bangkom.ExtJP+`":16`))
	}
	for _, verb := range []string{"attended", "completed", "passed"} {
		st, body = as("other", "POST", "/xapi/statements", course(verb, "2026-04-06T09:00:00+07:00"))
		mustStatus(200, st, body)
	}
	st, body = as("other", "POST", "/xapi/statements", strings.Replace(course("completed", time.Now().AddDate(0, 1, 0).Format(time.RFC3339)), "course/dup", "course/later", 1))
	mustStatus(200, st, body)
	st, body = asAdmin("GET", "/api/v1/claims/problems?nip="+sitiNIP, "")
	mustStatus(200, st, body, `"duplicate_of":"`, bangkom.ProblemFutureDate, "counts from that date")
	if c := strings.Count(body, `"code":"duplicate"`); c != 2 {
		t.Fatalf("%d duplicates listed, want attended and passed: %s", c, body)
	}
	st, body = as("lms", "GET", "/api/v1/claims/problems?credential=lms&nip="+sitiNIP, "")
	mustStatus(200, st, body)
	if strings.Contains(body, `"code":"duplicate"`) {
		t.Fatalf("lms sees other's duplicates: %s", body)
	}
}
