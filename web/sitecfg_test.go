package web_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/lrs/natslog"
)

// The parts of the test site's API the auditor and admin pages read: the
// access log, and the views for GET /api/v1/status.

// siteAccessLog opens the access log on the site's NATS server and runs it
// until the test ends.
func siteAccessLog(t testing.TB, ns *server.Server) *natslog.AccessLog {
	t.Helper()
	access, err := natslog.OpenAccess(context.Background(), lrstest.Conn(t, ns), natslog.AccessConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { access.Run(ctx, 5*time.Second) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return access
}

func siteViews(node *lrstest.Node) []api.ViewStatus {
	var out []api.ViewStatus
	for _, p := range node.Views.All() {
		out = append(out, p.(api.ViewStatus))
	}
	return out
}
