package api_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/lrs/natslog"
)

// supervisorEnv serves the API with an attachment store and the access
// log: Siti (U-A) is supervised by Budi, Budi by Ani; Dewi (U-C) by no
// one. Credentials (their /api/v1 and /xapi envs): adm, kepeg (verifier),
// an-c (analyst of U-C), lms (no role), and siti-app, budi-app, ani-app,
// dewi-app bound to each person.
type supervisorEnv struct {
	api, xapi map[string]*env
	access    *natslog.AccessLog
}

func newSupervisorEnv(t *testing.T) *supervisorEnv {
	t.Helper()
	ns := lrstest.NATS(t)
	node := lrstest.StartNode(t, lrstest.Log(t, ns))
	e := &supervisorEnv{api: map[string]*env{}, xapi: map[string]*env{}, access: runAccessLog(t)}
	var creds []lrs.Credential
	secrets := map[string]string{}
	add := func(key, person string, units []string, roles ...string) {
		c, s := lrstest.Credential(t, key, roles...)
		c.Scopes, c.Person, c.Units = nil, person, units
		if person != "" {
			c.Scopes = api.PersonScopes
		}
		creds, secrets[key] = append(creds, c), s
	}
	add("adm", "", nil, lrs.RoleAdmin)
	add("kepeg", "", nil, lrs.RoleVerifier)
	add("an-c", "", []string{"U-C"}, lrs.RoleAnalyst)
	add("lms", "", nil)
	add("siti-app", sitiNIP, nil)
	add("budi-app", budiNIP, nil)
	add("ani-app", aniNIP, nil)
	add("dewi-app", dewiNIP, nil)
	srv := api.New(api.Config{
		Auth: lrs.NewKeyring(creds), Statements: node.View, Documents: node.Views.Documents, JP: node.Views.JP,
		Writer: node.Appender, Attachments: lrstest.Objects(t, ns), Access: e.access,
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	for key, secret := range secrets {
		e.api[key] = &env{ts.URL + "/api/v1", key, secret}
		e.xapi[key] = &env{ts.URL + "/xapi", key, secret}
	}
	people, _ := json.Marshal([]bangkom.Person{
		{NIP: sitiNIP, Name: "Siti", Unit: "U-A", Instansi: "INST-X", Position: "Analis", Type: "PNS", Timezone: "WIB", SupervisorNIP: budiNIP},
		{NIP: budiNIP, Name: "Budi", Unit: "U-A", Instansi: "INST-X", Position: "Kabid", Type: "PNS", Timezone: "WIB", SupervisorNIP: aniNIP},
		{NIP: aniNIP, Name: "Ani", Unit: "U-B", Instansi: "INST-X", Position: "Kepala", Type: "PNS", Timezone: "WIB"},
		{NIP: dewiNIP, Name: "Dewi", Unit: "U-C", Instansi: "INST-Y", Position: "Analis", Type: "PNS", Timezone: "WITA"},
	})
	expect(t, e.api["adm"].do(t, req{method: "POST", path: "/people", body: string(people)}), 200)
	return e
}

// accessOf is what the access log holds of the reads of subject.
func (e *supervisorEnv) accessOf(t *testing.T, subject string) []lrs.Access {
	t.Helper()
	got, err := e.access.Query(context.Background(), lrs.AccessQuery{Subjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// A claim's evidence downloads with its content type and a file name, to
// the claimant, their supervisors, a verifier and an admin; to no one
// else. Every download is in the access log as a read of the claimant.
func TestClaimEvidence_DownloadsToWhoMayReadTheClaimant(t *testing.T) {
	e := newSupervisorEnv(t)
	id := uuid.NewString()
	data := []byte("%PDF-1.4 sertifikat pelatihan")
	sha := sha256Hex(data)
	att := `{"usageType":"http://id.tincanapi.com/attachment/certificate","display":{"id-ID":"Sertifikat Siti"},"contentType":"application/pdf","length":` +
		strconv.Itoa(len(data)) + `,"sha2":"` + sha + `"}`
	claim := learning(id, sitiNIP, "NK-COACHING", "2026-04-01T10:00:00+07:00", `"attachments":[`+att+`]`)
	body, ct := multipartBody(t, "application/json", claim, dataPart(sha, "application/pdf", data))
	expect(t, e.xapi["siti-app"].do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 200)

	// a person reads only their own statements over xAPI: the supervisor
	// cannot fetch the attachment there
	expect(t, e.xapi["budi-app"].do(t, req{method: "GET", path: "/statements?statementId=" + id + "&attachments=true"}), 404)

	for _, who := range []string{"budi-app", "ani-app", "siti-app", "kepeg", "adm"} {
		got := e.api[who].do(t, req{method: "GET", path: "/claims/" + id + "/evidence"})
		expect(t, got, 200)
		if got.body != string(data) || got.header.Get("Content-Type") != "application/pdf" ||
			got.header.Get("Content-Disposition") != `attachment; filename="Sertifikat Siti.pdf"` {
			t.Fatalf("%s: %q %q %q", who, got.body, got.header.Get("Content-Type"), got.header.Get("Content-Disposition"))
		}
	}
	expect(t, e.api["budi-app"].do(t, req{method: "GET", path: "/claims/" + id + "/evidence?n=0"}), 200, "sertifikat")
	for _, who := range []string{"dewi-app", "lms", "an-c"} {
		expect(t, e.api[who].do(t, req{method: "GET", path: "/claims/" + id + "/evidence"}), 403, "(policy: person-data)")
	}
	unknown := uuid.NewString()
	expect(t, e.api["kepeg"].do(t, req{method: "GET", path: "/claims/" + unknown + "/evidence"}), 404, "no learning claim")
	expect(t, e.api["budi-app"].do(t, req{method: "GET", path: "/claims/" + unknown + "/evidence"}), 403, "(policy: person-data)")
	expect(t, e.api["kepeg"].do(t, req{method: "GET", path: "/claims/nope/evidence"}), 400, "not a UUID")
	expect(t, e.api["kepeg"].do(t, req{method: "GET", path: "/claims/" + id + "/evidence?n=1"}), 400, "1 attachments")

	// a claim without attached data: 404 naming where the file is
	noData := uuid.NewString()
	expect(t, e.xapi["dewi-app"].do(t, req{method: "POST", path: "/statements", body: learning(noData, dewiNIP, "NK-COACHING", "2026-04-01T10:00:00+08:00",
		`"attachments":[{"usageType":"http://id.tincanapi.com/attachment/certificate","display":{"id-ID":"Sertifikat"},"contentType":"application/pdf","length":3,"sha2":"`+sha256Hex([]byte("abc"))+`","fileUrl":"https://belajar.example.go.id/s.pdf"}]`)}), 200)
	expect(t, e.api["adm"].do(t, req{method: "GET", path: "/claims/" + noData + "/evidence"}), 404, "https://belajar.example.go.id/s.pdf")

	got := e.accessOf(t, lrs.AccessSubject(lrs.AccessPerson, sitiNIP, ""))
	refused := 0
	for _, a := range got {
		if a.Route != "/api/v1/claims/:id/evidence" || a.NIP != sitiNIP {
			t.Fatalf("entry %+v", a)
		}
		if a.Status == 403 {
			refused++
		}
	}
	if len(got) != 10 || refused != 3 {
		t.Fatalf("%d entries (%d refused), want 10 (3 refused): %+v", len(got), refused, got)
	}
}

// A supervisor's decisions list what they approved and rejected on their
// people's claims, the newest first, with the reason and how the claim
// stands now; to the supervisor, a verifier and an admin.
func TestDecisions_ListASupervisorsOwnDecisions(t *testing.T) {
	e := newSupervisorEnv(t)
	approved, rejected, other := uuid.NewString(), uuid.NewString(), uuid.NewString()
	expect(t, e.xapi["lms"].do(t, req{method: "POST", path: "/statements", body: "[" +
		learning(approved, sitiNIP, "NK-COACHING", "2026-03-02T10:00:00+07:00", "") + "," +
		learning(rejected, sitiNIP, "NK-COACHING", "2025-12-22T10:00:00+07:00", "") + "," +
		learning(other, budiNIP, "NK-COACHING", "2026-03-03T10:00:00+07:00", "") + "]"}), 200)
	reject := `{"actor":` + asnAccount(budiNIP) + `,"verb":{"id":"` + bangkom.VerbRejected + `"},"object":{"objectType":"StatementRef","id":"` + rejected +
		`"},"result":{"response":"Sertifikat tidak terbaca"}}`
	expect(t, e.xapi["budi-app"].do(t, req{method: "POST", path: "/statements", body: decision(budiNIP, approved, true)}), 200)
	expect(t, e.xapi["budi-app"].do(t, req{method: "POST", path: "/statements", body: reject}), 200)
	expect(t, e.xapi["ani-app"].do(t, req{method: "POST", path: "/statements", body: decision(aniNIP, other, true)}), 200)

	for _, tc := range []struct{ who, query string }{{"budi-app", ""}, {"budi-app", "?supervisor=" + budiNIP}, {"kepeg", "?supervisor=" + budiNIP}, {"adm", "?supervisor=" + budiNIP}} {
		got := e.api[tc.who].do(t, req{method: "GET", path: "/decisions" + tc.query})
		expect(t, got, 200)
		v := fastjson.MustParse(got.body)
		ds := v.GetArray("decisions")
		if len(ds) != 2 || string(v.GetStringBytes("supervisor")) != budiNIP {
			t.Fatalf("%s: %s", tc.who, got.body)
		}
		// the newest first: the rejection was posted after the approval
		r, a := ds[0], ds[1]
		if string(r.GetStringBytes("statement_id")) != rejected || string(r.GetStringBytes("decision")) != "rejected" ||
			string(r.GetStringBytes("reason")) != "Sertifikat tidak terbaca" || string(r.GetStringBytes("state")) != "rejected" ||
			r.GetInt("year") != 2025 || string(r.GetStringBytes("nip")) != sitiNIP || string(r.GetStringBytes("name")) != "Siti" {
			t.Fatalf("%s: rejection %s", tc.who, r)
		}
		if string(a.GetStringBytes("statement_id")) != approved || string(a.GetStringBytes("decision")) != "approved" ||
			string(a.GetStringBytes("state")) != "approved" || a.GetFloat64("jp_recognized") <= 0 || string(a.GetStringBytes("date")) != "2026-03-02" {
			t.Fatalf("%s: approval %s", tc.who, a)
		}
	}
	got := e.api["budi-app"].do(t, req{method: "GET", path: "/decisions?year=2026"})
	expect(t, got, 200, approved, `"year":2026`)
	if fastjson.MustParse(got.body).GetArray("decisions")[0] == nil || len(fastjson.MustParse(got.body).GetArray("decisions")) != 1 {
		t.Fatalf("decisions of 2026: %s", got.body)
	}
	expect(t, e.api["ani-app"].do(t, req{method: "GET", path: "/decisions"}), 200, other)
	expect(t, e.api["ani-app"].do(t, req{method: "GET", path: "/decisions?supervisor=" + budiNIP}), 403, "(policy: approvals)")
	expect(t, e.api["siti-app"].do(t, req{method: "GET", path: "/decisions?supervisor=" + budiNIP}), 403, "(policy: approvals)")
	expect(t, e.api["an-c"].do(t, req{method: "GET", path: "/decisions?supervisor=" + budiNIP}), 403, "(policy: approvals)")
	expect(t, e.api["kepeg"].do(t, req{method: "GET", path: "/decisions"}), 400, "supervisor")
	expect(t, e.api["kepeg"].do(t, req{method: "GET", path: "/decisions?supervisor=12"}), 400)
	expect(t, e.api["budi-app"].do(t, req{method: "GET", path: "/decisions?year=soon"}), 400, "year")
	expect(t, e.api["siti-app"].do(t, req{method: "GET", path: "/decisions"}), 200, `"decisions":[]`)

	entries := e.accessOf(t, lrs.AccessSubject(lrs.AccessApprovals, budiNIP, ""))
	if len(entries) != 9 || entries[0].Route != "/api/v1/decisions" || entries[0].Scope != lrs.AccessApprovals {
		t.Fatalf("reads of Budi's decisions: %d %+v", len(entries), entries)
	}
}
