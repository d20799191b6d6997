package api_test

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs/bangkom"
)

// learning is a learning claim of nip with id, of form on timestamp ts;
// extra, if not empty, is more top-level members (`"result":…`).
func learning(id, nip, form, ts, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return `{"id":"` + id + `","actor":` + asnAccount(nip) + `,"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},` +
		`"object":{"id":"https://belajar.example.go.id/aktivitas/` + id + `","definition":{"name":{"id-ID":"Aktivitas ` + id[:8] + `"}}},` +
		`"timestamp":"` + ts + `","context":{"extensions":{"` + bangkom.ExtForm + `":"` + form + `"}}` + extra + `}`
}

// queue fetches an approval queue as who and returns the statement ids of
// its pending claims, in order, and the body.
func (n *asnNode) queue(t *testing.T, who, query string) ([]string, *fastjson.Value) {
	t.Helper()
	got := n.api[who].do(t, req{method: "GET", path: "/approvals" + query})
	expect(t, got, 200)
	v := fastjson.MustParse(got.body)
	var ids []string
	for _, p := range v.GetArray("pending") {
		ids = append(ids, string(p.GetStringBytes("statement_id")))
	}
	return ids, v
}

func sameIDs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("%s lists %v, want %v", what, got, want)
	}
}

// The approval queue holds the pending claims of every year, oldest first:
// a claim of December stays in it in January until it is decided.
func TestApprovals_QueueHoldsPendingClaimsOfEveryYearOldestFirst(t *testing.T) {
	n := newASNNode(t)
	april, december, budis := uuid.NewString(), uuid.NewString(), uuid.NewString()
	expect(t, n.xapi["lms"].do(t, req{method: "POST", path: "/statements", body: "[" +
		learning(april, sitiNIP, "NK-COACHING", "2026-04-01T10:00:00+07:00", "") + "," +
		learning(december, sitiNIP, "NK-COACHING", "2025-12-22T10:00:00+07:00", "") + "," +
		learning(budis, budiNIP, "NK-COACHING", "2025-11-03T10:00:00+07:00", "") + "]"}), 200)

	ids, v := n.queue(t, "budi-app", "?supervisor="+budiNIP)
	sameIDs(t, "Budi's queue", ids, december, april)
	if string(v.GetStringBytes("queue")) != "supervisor" || v.Exists("year") {
		t.Fatalf("queue %s, want a supervisor queue of no one year", v)
	}
	if y := v.GetInt("pending", "0", "year"); y != 2025 {
		t.Fatalf("the December claim is of year %d, want 2025", y)
	}
	ids, _ = n.queue(t, "budi-app", "?supervisor="+budiNIP+"&year=2026")
	sameIDs(t, "Budi's queue of 2026", ids, april)
	ids, _ = n.queue(t, "budi-app", "") // a person's own queue is theirs as supervisor
	sameIDs(t, "Budi's own queue", ids, december, april)

	expect(t, n.xapi["budi-app"].do(t, req{method: "POST", path: "/statements", body: decision(budiNIP, december, true)}), 200)
	ids, _ = n.queue(t, "budi-app", "?supervisor="+budiNIP)
	sameIDs(t, "Budi's queue after approving the December claim", ids, april)
}

// A verifier's queue holds the pending claims it may decide: everyone's
// but its own person's, within its units when it has any.
func TestApprovals_VerifierQueueHoldsTheClaimsItMayDecide(t *testing.T) {
	n := newASNNode(t)
	siti, budi, dewi := uuid.NewString(), uuid.NewString(), uuid.NewString()
	expect(t, n.xapi["lms"].do(t, req{method: "POST", path: "/statements", body: "[" +
		learning(siti, sitiNIP, "NK-COACHING", "2026-03-02T10:00:00+07:00", "") + "," +
		learning(budi, budiNIP, "NK-COACHING", "2026-03-03T10:00:00+07:00", "") + "," +
		learning(dewi, dewiNIP, "NK-COACHING", "2026-03-01T10:00:00+08:00", "") + "]"}), 200)

	ids, v := n.queue(t, "kepeg", "")
	sameIDs(t, "the verifier's queue", ids, dewi, siti, budi)
	if string(v.GetStringBytes("queue")) != "verifier" || string(v.GetStringBytes("verifier")) != "kepeg" {
		t.Fatalf("queue %s, want kepeg's verifier queue", v)
	}
	ids, _ = n.queue(t, "kepeg-c", "")
	sameIDs(t, "the queue of a verifier of U-C", ids, dewi)
	ids, _ = n.queue(t, "kepeg-siti", "")
	sameIDs(t, "the queue of a verifier who is Siti", ids, dewi, budi)

	expect(t, n.api["lms"].do(t, req{method: "GET", path: "/approvals"}), 400, "supervisor", "unit")
	expect(t, n.api["adm"].do(t, req{method: "GET", path: "/approvals"}), 400, "no queue of its own")
	expect(t, n.api["kepeg"].do(t, req{method: "GET", path: "/approvals?supervisor=" + budiNIP + "&unit=U-A"}), 400, "not both")
}

// A unit's queue holds its people's pending claims, for an admin, a
// verifier whose units hold it and an analyst who may read the unit.
func TestApprovals_UnitQueueForAdminsAnalystsAndVerifiersOfTheUnit(t *testing.T) {
	n := newASNNode(t)
	siti, budi, dewi := uuid.NewString(), uuid.NewString(), uuid.NewString()
	expect(t, n.xapi["lms"].do(t, req{method: "POST", path: "/statements", body: "[" +
		learning(siti, sitiNIP, "NK-COACHING", "2026-03-02T10:00:00+07:00", "") + "," +
		learning(budi, budiNIP, "NK-COACHING", "2026-03-03T10:00:00+07:00", "") + "," +
		learning(dewi, dewiNIP, "NK-COACHING", "2026-03-01T10:00:00+08:00", "") + "]"}), 200)

	for _, who := range []string{"adm", "an-a", "an-d", "kepeg"} {
		ids, v := n.queue(t, who, "?unit=U-A")
		sameIDs(t, who+"'s queue of U-A", ids, siti, budi)
		if string(v.GetStringBytes("queue")) != "unit" || string(v.GetStringBytes("unit")) != "U-A" {
			t.Fatalf("queue %s, want U-A's", v)
		}
	}
	ids, _ := n.queue(t, "kepeg-c", "?unit=U-C")
	sameIDs(t, "U-C's queue for its verifier", ids, dewi)
	for _, tc := range []struct{ who, unit string }{{"kepeg-c", "U-A"}, {"lms", "U-A"}, {"budi-app", "U-A"}, {"an-d", "U-C"}} {
		expect(t, n.api[tc.who].do(t, req{method: "GET", path: "/approvals?unit=" + tc.unit}), 403, "(policy: approvals)")
	}
	expect(t, n.api["adm"].do(t, req{method: "GET", path: "/approvals?unit=NOPE"}), 404, "NOPE")
	expect(t, n.api["lms"].do(t, req{method: "GET", path: "/approvals?unit=NOPE"}), 403, "(policy: approvals)")
}

// Each pending claim shows the activity's name, the evidence (attachments
// and result.response, with where to fetch them), the JP claimed and the
// JP the caps would recognise if it were approved now; the CSV too.
func TestApprovals_EachClaimShowsActivityEvidenceAndJPIfApproved(t *testing.T) {
	n := newASNNode(t)
	first, sameDay, other := uuid.NewString(), uuid.NewString(), uuid.NewString()
	evidence := `"result":{"duration":"PT3H","response":"Ringkasan: membaca modul kebijakan publik"},` +
		`"attachments":[{"usageType":"http://id.tincanapi.com/attachment/certificate","display":{"en-US":"Certificate","id-ID":"Sertifikat"},` +
		`"contentType":"application/pdf","length":1234,"sha2":"` + strings.Repeat("ab", 32) + `","fileUrl":"https://belajar.example.go.id/sertifikat/1.pdf"}]`
	// NK-MANDIRI counts 180 minutes as 4 JP, at most 2 JP a day.
	expect(t, n.xapi["lms"].do(t, req{method: "POST", path: "/statements", body: "[" +
		learning(first, sitiNIP, "NK-MANDIRI", "2026-05-04T09:00:00+07:00", `"result":{"duration":"PT3H"}`) + "," +
		learning(sameDay, sitiNIP, "NK-MANDIRI", "2026-05-04T15:00:00+07:00", `"result":{"duration":"PT3H"}`) + "," +
		learning(other, sitiNIP, "NK-MANDIRI", "2026-05-06T09:00:00+07:00", evidence) + "]"}), 200)
	expect(t, n.xapi["budi-app"].do(t, req{method: "POST", path: "/statements", body: decision(budiNIP, first, true)}), 200)

	ids, v := n.queue(t, "budi-app", "?supervisor="+budiNIP)
	sameIDs(t, "Budi's queue", ids, sameDay, other)
	same, ev := v.Get("pending", "0"), v.Get("pending", "1")
	if same.GetFloat64("jp_claimed") != 4 || same.GetFloat64("jp_if_approved") != 0 || !strings.Contains(string(same.GetStringBytes("note")), "capped") {
		t.Fatalf("a claim on a day whose cap is used shows %s, want 4 JP claimed, 0 if approved, and why", same)
	}
	if ev.GetFloat64("jp_claimed") != 4 || ev.GetFloat64("jp_if_approved") != 2 {
		t.Fatalf("a claim of 4 JP under a 2 JP daily cap shows %s, want 4 claimed and 2 if approved", ev)
	}
	if string(ev.GetStringBytes("activity_name")) != "Aktivitas "+other[:8] {
		t.Fatalf("activity_name %q", ev.GetStringBytes("activity_name"))
	}
	att := ev.Get("evidence", "attachments", "0")
	if string(ev.GetStringBytes("evidence", "response")) != "Ringkasan: membaca modul kebijakan publik" || att == nil ||
		string(att.GetStringBytes("usage_type")) != "http://id.tincanapi.com/attachment/certificate" ||
		string(att.GetStringBytes("display")) != "Sertifikat" || string(att.GetStringBytes("content_type")) != "application/pdf" ||
		string(att.GetStringBytes("sha2")) != strings.Repeat("ab", 32) || att.GetInt("length") != 1234 ||
		string(att.GetStringBytes("file_url")) != "https://belajar.example.go.id/sertifikat/1.pdf" {
		t.Fatalf("evidence %s", ev.Get("evidence"))
	}
	if got := string(ev.GetStringBytes("evidence", "statement")); got != "/xapi/statements?statementId="+other+"&attachments=true" {
		t.Fatalf("evidence is fetched at %q", got)
	}
	if n := len(same.GetArray("evidence", "attachments")); n != 0 || same.Get("evidence", "attachments") == nil {
		t.Fatalf("a claim without attachments shows %s", same.Get("evidence"))
	}

	got := n.api["budi-app"].doWith(t, req{method: "GET", path: "/approvals?supervisor=" + budiNIP}, "Accept", "text/csv")
	expect(t, got, 200)
	rows, err := csv.NewReader(strings.NewReader(got.body)).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("CSV %q: %v", got.body, err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"nip", "statement_id", "jp_claimed", "activity", "activity_name", "jp_if_approved", "response", "attachments"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("CSV header %v lacks %s", rows[0], h)
		}
	}
	row := rows[2]
	if row[col["statement_id"]] != other || row[col["activity_name"]] != "Aktivitas "+other[:8] || row[col["jp_if_approved"]] != "2" ||
		row[col["response"]] != "Ringkasan: membaca modul kebijakan publik" ||
		row[col["attachments"]] != "Sertifikat (application/pdf, sha2 "+strings.Repeat("ab", 32)+")" {
		t.Fatalf("CSV row %v", row)
	}
}

// A rejection shows who rejected the claim and why (the rejecting
// statement's result.response), apart from approved_by.
func TestJPReport_RejectionShowsRejecterAndReasonApartFromApprover(t *testing.T) {
	n := newASNNode(t)
	id := uuid.NewString()
	expect(t, n.xapi["lms"].do(t, req{method: "POST", path: "/statements", body: coaching(id, sitiNIP)}), 200)
	reject := strings.TrimSuffix(decision(budiNIP, id, false), "}") + `,"result":{"response":"Tidak ada notulen sesi"}}`
	expect(t, n.xapi["budi-app"].do(t, req{method: "POST", path: "/statements", body: reject}), 200)
	got := n.api["adm"].do(t, req{method: "GET", path: "/people/" + sitiNIP + "/jp?year=2026"})
	expect(t, got, 200)
	it := fastjson.MustParse(got.body).Get("items", "0")
	if string(it.GetStringBytes("state")) != bangkom.Rejected || string(it.GetStringBytes("rejected_by")) != budiNIP ||
		string(it.GetStringBytes("reason")) != "Tidak ada notulen sesi" || string(it.GetStringBytes("approved_by")) != "" {
		t.Fatalf("rejected item %s, want rejected_by Budi with the reason and no approved_by", it)
	}
	csvBody := n.api["adm"].doWith(t, req{method: "GET", path: "/people/" + sitiNIP + "/jp?year=2026"}, "Accept", "text/csv")
	rows, err := csv.NewReader(strings.NewReader(csvBody.body)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("CSV %q: %v", csvBody.body, err)
	}
	rec := map[string]string{}
	for i, h := range rows[0] {
		rec[h] = rows[1][i]
	}
	if rec["approved_by"] != "" || rec["rejected_by"] != budiNIP || rec["reason"] != "Tidak ada notulen sesi" {
		t.Fatalf("CSV %v", rec)
	}
}

// A unit's competencies keep apart the people below the standard (the
// only ones with a gap), those never assessed, and those whose position
// has no standard, with counts per state.
func TestUnitCompetencies_NotAssessedApartFromBelowStandardAndNoStandardListed(t *testing.T) {
	n := newASNNode(t)
	const ekoNIP = "199203032018011005"
	expect(t, n.api["adm"].do(t, req{method: "POST", path: "/people", body: `[{"nip":"` + ekoNIP + `","name":"Eko","unit":"U-A","position":"Analis","type":"PNS","timezone":"WIB","supervisor_nip":"` + budiNIP + `"}]`}), 200)
	expect(t, n.xapi["ac"].do(t, req{method: "POST", path: "/statements", body: assessment("M.01", "2")}), 200) // Siti: 2 of 3

	got := n.api["adm"].do(t, req{method: "GET", path: "/people/" + ekoNIP + "/competencies"})
	expect(t, got, 200)
	line := fastjson.MustParse(got.body).Get("competencies", "0")
	if string(line.GetStringBytes("state")) != bangkom.NotAssessed || line.Get("gap").Type() != fastjson.TypeNull {
		t.Fatalf("a never-assessed competency shows %s, want not_assessed and no gap", line)
	}
	expect(t, n.api["adm"].do(t, req{method: "GET", path: "/people/" + budiNIP + "/competencies"}), 200, `"state":"no_standard"`)

	got = n.api["adm"].do(t, req{method: "GET", path: "/units/U-A/competencies"})
	expect(t, got, 200)
	v := fastjson.MustParse(got.body)
	m := v.Get("competencies", "0")
	nips := func(key string) (out []string) {
		for _, p := range m.GetArray(key) {
			out = append(out, string(p.GetStringBytes("nip")))
		}
		return out
	}
	if string(m.GetStringBytes("code")) != "M.01" || len(v.GetArray("competencies")) != 1 {
		t.Fatalf("competencies %s", v.Get("competencies"))
	}
	sameIDs(t, "people with a gap", nips("people_with_gap"), sitiNIP)
	sameIDs(t, "people not assessed", nips("people_not_assessed"), ekoNIP)
	if m.GetInt("counts", bangkom.BelowStandard) != 1 || m.GetInt("counts", bangkom.NotAssessed) != 1 || m.GetInt("counts", bangkom.MeetsStandard) != 0 {
		t.Fatalf("counts %s", m.Get("counts"))
	}
	if g := m.Get("people_with_gap", "0"); g.GetFloat64("gap") != 1 || string(g.GetStringBytes("state")) != bangkom.BelowStandard {
		t.Fatalf("Siti's gap %s", g)
	}
	without := v.GetArray("people_without_standard")
	if len(without) != 1 || string(without[0].GetStringBytes("nip")) != budiNIP || string(without[0].GetStringBytes("state")) != bangkom.NoStandard ||
		v.GetInt("counts", bangkom.NoStandard) != 1 {
		t.Fatalf("people without a standard %s, counts %s", v.Get("people_without_standard"), v.Get("counts"))
	}

	// people=false: the same counts without the lists of people
	got = n.api["adm"].do(t, req{method: "GET", path: "/units/U-A/competencies?people=false"})
	expect(t, got, 200)
	v = fastjson.MustParse(got.body)
	m = v.Get("competencies", "0")
	if m.GetInt("counts", bangkom.BelowStandard) != 1 || m.GetInt("counts", bangkom.NotAssessed) != 1 || v.GetInt("counts", bangkom.NoStandard) != 1 ||
		len(m.GetArray("people_with_gap")) != 0 || len(m.GetArray("people_not_assessed")) != 0 || len(v.GetArray("people_without_standard")) != 0 {
		t.Fatalf("people=false: %s", v)
	}
	expect(t, n.api["adm"].do(t, req{method: "GET", path: "/units/U-A/competencies?people=no"}), 400, "people")

	csvBody := n.api["adm"].doWith(t, req{method: "GET", path: "/units/U-A/competencies"}, "Accept", "text/csv")
	rows, err := csv.NewReader(strings.NewReader(csvBody.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, r := range rows[1:] {
		states[r[2]] = r[len(r)-1] + " gap=" + r[7]
	}
	if states[sitiNIP] != "below_standard gap=1" || states[ekoNIP] != "not_assessed gap=" || states[budiNIP] != "no_standard gap=" {
		t.Fatalf("CSV rows by NIP: %v", states)
	}
}
