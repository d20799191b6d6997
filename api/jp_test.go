package api_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/schemas"
)

// newJPEnv serves the API with an admin and a provider credential.
func newJPEnv(t *testing.T) (admin, provider *env) {
	t.Helper()
	node := lrstest.StartNode(t, lrstest.Log(t, lrstest.NATS(t)))
	ac, as := lrstest.Credential(t, "admin-1", lrs.RoleAdmin)
	pc, ps := lrstest.Credential(t, "provider-1", lrs.RoleProvider)
	srv := api.New(api.Config{
		Auth:           lrs.NewKeyring([]lrs.Credential{ac, pc}),
		Statements:     node.View,
		Documents:      node.Views.Documents,
		JP:             node.Views.JP,
		Writer:         node.Appender,
		BangkomProfile: []byte(`{"id":"https://jejak.id/xapi/bangkom"}`),
		Frameworks:     frameworks(t),
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	base := ts.URL + "/api/v1"
	return &env{url: base, key: ac.Key, secret: as}, &env{url: base, key: pc.Key, secret: ps}
}

func TestAnalystAPI(t *testing.T) {
	admin, provider := newJPEnv(t)
	people := `[{"nip":"199001012015011001","name":"Siti","unit":"U1","position":"Analis","type":"PNS","timezone":"WIB","supervisor_nip":"197805152003121002"},
	            {"nip":"197805152003121002","name":"Budi","unit":"U1","position":"Kabid","type":"PNS","timezone":"WIB"}]`
	t.Run("POST /people needs the admin or verifier role", func(t *testing.T) {
		expect(t, provider.do(t, req{method: "POST", path: "/people", body: people}), 403, "role")
	})
	t.Run("a bad registry is reported by entry and field and nothing is applied", func(t *testing.T) {
		bad := strings.Replace(people, `"PNS","timezone":"WIB","supervisor`, `"PNSX","timezone":"CET","supervisor`, 1)
		got := admin.do(t, req{method: "POST", path: "/people", body: bad})
		expect(t, got, 400, "line 1: type", "line 1: timezone")
		expect(t, admin.do(t, req{method: "GET", path: "/people/197805152003121002/jp?year=2026"}), 404, "registry")
	})
	t.Run("POST /people imports", func(t *testing.T) {
		expect(t, admin.do(t, req{method: "POST", path: "/people", body: people}), 200, `"imported":2`)
		expect(t, admin.do(t, req{method: "GET", path: "/people/199001012015011001/jp?year=2026"}), 200, `"target":20`, `"met":false`, `"items":[]`)
	})
	t.Run("unknown NIP is 404, malformed NIP or year 400", func(t *testing.T) {
		expect(t, admin.do(t, req{method: "GET", path: "/people/199001012015011009/jp"}), 404)
		expect(t, admin.do(t, req{method: "GET", path: "/people/19900101201501100X/jp"}), 400, "digit")
		expect(t, admin.do(t, req{method: "GET", path: "/people/199013012015011001/jp"}), 400, "birth date")
		expect(t, admin.do(t, req{method: "GET", path: "/people/199001012015011001/jp?year=abc"}), 400, "year")
		expect(t, admin.do(t, req{method: "GET", path: "/people/199001012015011001/jp?as_of=yesterday"}), 400, "as_of")
		expect(t, admin.do(t, req{method: "GET", path: "/approvals"}), 400, "supervisor")
	})
	t.Run("credentials are required", func(t *testing.T) {
		expect(t, admin.do(t, req{method: "GET", path: "/people/199001012015011001/jp", noAuth: true}), 401)
	})
	t.Run("the catalogue takes entries of known forms from an admin", func(t *testing.T) {
		entry := `[{"activity":"https://lms.example.go.id/course/x","form":"NK-ELEARN","jp":2,"competencies":["M.01"]}]`
		expect(t, provider.do(t, req{method: "POST", path: "/catalogue", body: entry}), 403)
		expect(t, admin.do(t, req{method: "POST", path: "/catalogue", body: strings.Replace(entry, "NK-ELEARN", "NK-NOPE", 1)}), 400, "form")
		expect(t, admin.do(t, req{method: "POST", path: "/catalogue", body: entry}), 200, `"added":1`)
	})
	t.Run("unit report in JSON and CSV", func(t *testing.T) {
		expect(t, admin.do(t, req{method: "GET", path: "/units/U1/jp?year=2026"}), 200, `"people":2`, `"people_below_target":[`)
		got := admin.doWith(t, req{method: "GET", path: "/units/U1/jp?year=2026"}, "Accept", "text/csv")
		expect(t, got, 200, "nip,name,recognized,met")
		if !strings.HasPrefix(got.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("content type %q", got.header.Get("Content-Type"))
		}
		expect(t, admin.do(t, req{method: "GET", path: "/units/NOPE/jp"}), 404)
	})
	t.Run("the Bangkom profile is public", func(t *testing.T) {
		e := &env{url: strings.TrimSuffix(admin.url, "/api/v1")}
		expect(t, e.raw(t, "GET", "/xapi/profiles/bangkom", ""), 200, "jejak.id/xapi/bangkom")
	})
}

func frameworks(t *testing.T) bangkom.Frameworks {
	t.Helper()
	fw, err := bangkom.LoadFrameworks(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	return fw
}
