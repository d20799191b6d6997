package api_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
)

// An integrator (any credential, here one with no role) lists the forms:
// names in Indonesian and English, the JP rule in force on a date, who
// approves, the SIASN jenisDiklatId; as JSON and CSV, GET and HEAD.
func TestForms_ListsEveryFormWithItsRuleAndApprovers(t *testing.T) {
	node := lrstest.StartNode(t, lrstest.Log(t, lrstest.NATS(t)))
	cred, secret := lrstest.Credential(t, "lms-integrator")
	srv := api.New(api.Config{
		Auth: lrs.NewKeyring([]lrs.Credential{cred}), Statements: node.View, Documents: node.Views.Documents,
		JP: node.Views.JP, Writer: node.Appender,
		// 20:00 UTC on 31 December is already 1 January in WIB
		Now: func() time.Time { return time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC) },
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	e := &env{url: ts.URL + "/api/v1", key: cred.Key, secret: secret}
	rules := node.Views.JP.Rules()

	list := func(t *testing.T, path string) api.FormList {
		t.Helper()
		got := e.do(t, req{method: "GET", path: path})
		expect(t, got, 200)
		var l api.FormList
		if err := json.Unmarshal([]byte(got.body), &l); err != nil {
			t.Fatal(err)
		}
		if l.Rules != rules.Digest || len(l.Forms) != len(rules.Forms) {
			t.Fatalf("rules %q and %d forms, want %q and %d", l.Rules, len(l.Forms), rules.Digest, len(rules.Forms))
		}
		if !slices.IsSortedFunc(l.Forms, func(a, b api.Form) int { return strings.Compare(a.Form, b.Form) }) {
			t.Error("forms not in code order")
		}
		return l
	}
	byCode := func(l api.FormList) map[string]api.Form {
		m := map[string]api.Form{}
		for _, f := range l.Forms {
			m[f.Form] = f
			if f.Name.ID == "" || f.Name.EN == "" {
				t.Errorf("%s: name %+v, want id and en", f.Form, f.Name)
			}
			if !slices.Equal(f.Approvers, []string{"supervisor", "verifier"}) {
				t.Errorf("%s: approvers %v", f.Form, f.Approvers)
			}
		}
		return m
	}

	t.Run("today (WIB) by default", func(t *testing.T) {
		l := list(t, "/forms")
		if l.At != "2027-01-01" {
			t.Errorf("at %q, want 2027-01-01 (today in WIB)", l.At)
		}
		forms := byCode(l)
		teknis := forms["KLS-TEKNIS"]
		r := teknis.Rule
		if teknis.Name.ID != "Pelatihan teknis" || teknis.Name.EN != "Technical training" || teknis.Category != "klasikal" ||
			teknis.SIASNJenisDiklatID == nil || *teknis.SIASNJenisDiklatID != 3 || !teknis.ProviderApproves || r == nil {
			t.Fatalf("KLS-TEKNIS %+v", teknis)
		}
		if r.Version != "2019.1" || r.ValidFrom != "2019-02-01" || r.ValidTo != nil || r.Unit != "declared" || r.JP != nil ||
			r.InternationalUplift == nil || *r.InternationalUplift != 1.2 || r.MaxJPPerClaim == nil || *r.MaxJPPerClaim != 500 ||
			len(r.Caps) != 0 || r.CapForm != nil || r.Basis != "S" || !strings.Contains(r.Source, "PerLAN 10/2018") {
			t.Errorf("KLS-TEKNIS rule %+v", *r)
		}
		el := forms["NK-ELEARN"]
		if el.ProviderApproves || el.Rule == nil || len(el.Rule.Caps) != 1 {
			t.Fatalf("NK-ELEARN %+v", el)
		}
		if c := el.Rule.Caps[0]; c.Period != "day" || *c.MaxJP != 3 || *c.MaxJPInternational != 4 || c.MaxSessions != nil {
			t.Errorf("NK-ELEARN cap %+v", c)
		}
		co := forms["NK-COACHING"].Rule
		if co.Unit != "per_session" || *co.JP != 2 || *co.JPInternational != 4 || co.MaxJPPerClaim != nil ||
			len(co.Caps) != 1 || co.Caps[0].Period != "month" || *co.Caps[0].MaxSessions != 2 {
			t.Errorf("NK-COACHING rule %+v", *co)
		}
		if m := forms["WPL-MICRO"].Rule; m.CapForm == nil || *m.CapForm != "NK-ELEARN" || m.Pool == nil || *m.Pool != "day" {
			t.Errorf("WPL-MICRO rule %+v", *m)
		}
		if s := forms["WPL-JOBAID"]; s.SIASNJenisDiklatID != nil {
			t.Errorf("WPL-JOBAID jenisDiklatId %v, want null", *s.SIASNJenisDiklatID)
		}
	})
	t.Run("at a date: the rule then in force, null where none was", func(t *testing.T) {
		forms := byCode(list(t, "/forms?at=2025-06-30"))
		if forms["KLS-TEKNIS"].Rule == nil {
			t.Error("KLS-TEKNIS: no rule on 2025-06-30")
		}
		if r := forms["WPL-SIMULASI"].Rule; r != nil {
			t.Errorf("WPL-SIMULASI on 2025-06-30: %+v, want none (in force from 2026-01-01)", *r)
		}
		got := e.do(t, req{method: "GET", path: "/forms?at=2025-06-30"})
		expect(t, got, 200, `"form":"WPL-SIMULASI"`, `"rule":null`)
	})
	t.Run("CSV", func(t *testing.T) {
		got := e.doWith(t, req{method: "GET", path: "/forms?at=2026-07-01"}, "Accept", "text/csv")
		expect(t, got, 200)
		if !strings.HasPrefix(got.header.Get("Content-Type"), "text/csv") || !strings.Contains(got.header.Get("Content-Disposition"), "forms-2026-07-01.csv") {
			t.Fatalf("headers %v", got.header)
		}
		rows, err := csv.NewReader(strings.NewReader(got.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(rules.Forms)+1 {
			t.Fatalf("%d rows, want a header and %d forms", len(rows), len(rules.Forms))
		}
		want := map[string][]string{
			"form": {"NK-ELEARN"}, "name_en": {"E-learning"}, "siasn_jenis_diklat_id": {"16"}, "provider_approves": {"false"},
			"approvers": {"supervisor verifier"}, "unit": {"declared"}, "max_jp_per_claim": {"100"},
			"caps": {"day max_jp=3 max_jp_international=4"}, "cap_form": {""},
		}
		var row []string
		for _, r := range rows[1:] {
			if r[0] == "NK-ELEARN" {
				row = r
			}
		}
		for col, w := range want {
			i := slices.Index(rows[0], col)
			if i < 0 || row == nil || row[i] != w[0] {
				t.Errorf("column %s: header %v row %v, want %q", col, rows[0], row, w[0])
			}
		}
	})
	t.Run("HEAD answers as GET without a body", func(t *testing.T) {
		got := e.do(t, req{method: "HEAD", path: "/forms"})
		if got.status != 200 || got.body != "" || !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") {
			t.Fatalf("HEAD: %d %q %v", got.status, got.body, got.header)
		}
	})
	t.Run("refusals name the problem", func(t *testing.T) {
		expect(t, e.do(t, req{method: "GET", path: "/forms?at=31-12-2026"}), 400, "at", "2026-07-01")
		expect(t, e.do(t, req{method: "GET", path: "/forms?year=2026"}), 400, "year")
		expect(t, e.do(t, req{method: "GET", path: "/forms", noAuth: true}), 401)
	})
}
