package api

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/lrs/natslog"
)

// TestPolicy_EveryRouteHasARow walks the routes the server registers:
// each has a row in lrs.Policy, and each row names a registered route.
func TestPolicy_EveryRouteHasARow(t *testing.T) {
	ns := lrstest.NATS(t)
	node := lrstest.StartNode(t, lrstest.Log(t, ns))
	k := lrs.NewKeyring(nil)
	access, err := natslog.OpenAccess(t.Context(), lrstest.Conn(t, ns), natslog.AccessConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// every optional part on, so that every route is registered
	s := New(Config{Auth: k, Credentials: k, Statements: node.View, Documents: node.Views.Documents, JP: node.Views.JP, Writer: node.Appender, Access: access})
	registered := map[string]bool{}
	for _, r := range s.echo.Routes() {
		if r.Method == echo.RouteNotFound {
			continue // echo's 404 of a group
		}
		row, ok := lrs.PolicyRowFor(r.Method, r.Path)
		if !ok {
			t.Errorf("%s %s has no row in lrs.Policy", r.Method, r.Path)
			continue
		}
		m := r.Method
		if m == http.MethodHead {
			m = http.MethodGet
		}
		registered[m+" "+row.Route] = true
	}
	for _, row := range lrs.Policy {
		for _, m := range row.Methods {
			if !registered[m+" "+row.Route] {
				t.Errorf("policy row %s %s (%s) names no registered route", m, row.Route, row.Rule)
			}
		}
	}
}
