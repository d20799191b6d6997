// Package lrstest starts real components for tests: an in-process
// nats-server with JetStream in a temporary directory, the log on it, and
// the statement view in a temporary Pebble directory. Everything is closed
// through t.Cleanup.
package lrstest

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/schemas"

	"github.com/cockroachdb/pebble/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/natslog"
	"github.com/jejak-id/jejak/projections"
)

// NATS starts an embedded JetStream server with its store in a temporary
// directory, listening on a random loopback port.
func NATS(tb testing.TB) *server.Server {
	tb.Helper()
	s, err := natslog.StartEmbedded(natslog.EmbeddedConfig{StoreDir: tb.TempDir(), Listen: "127.0.0.1:-1"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

// Conn connects to s in process.
func Conn(tb testing.TB, s *server.Server) *nats.Conn {
	tb.Helper()
	nc, err := nats.Connect("", nats.InProcessServer(s))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// Log opens the event log on s.
func Log(tb testing.TB, s *server.Server) *natslog.Log {
	tb.Helper()
	l, err := natslog.Open(context.Background(), Conn(tb, s), natslog.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// Objects opens the attachment object store on s.
func Objects(tb testing.TB, s *server.Server) *natslog.Objects {
	tb.Helper()
	o, err := natslog.OpenObjects(context.Background(), Conn(tb, s), natslog.ObjectsConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

// StatementView opens a statement view in a temporary directory.
func StatementView(tb testing.TB) *projections.StatementIndex {
	tb.Helper()
	return StatementViewAt(tb, tb.TempDir())
}

// StatementViewAt opens a statement view in dir.
func StatementViewAt(tb testing.TB, dir string) *projections.StatementIndex {
	tb.Helper()
	opts := PebbleOptions()
	ix, err := projections.OpenStatementIndex(dir, opts)
	opts.Cache.Unref()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ix.Close() })
	return ix
}

// PebbleOptions are the views' options with a small cache.
func PebbleOptions() *pebble.Options { return projections.PebbleOptions(16 << 20) }

// Node is one LRS node: a log, the views fed by it and an appender.
type Node struct {
	Log      *natslog.Log
	Views    *projections.Views
	View     *projections.StatementIndex
	Appender *lrs.Appender
}

// StartNode runs the projectors and an appender on log until the test ends.
func StartNode(tb testing.TB, log *natslog.Log) *Node {
	tb.Helper()
	rules, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		tb.Fatal(err)
	}
	views, err := projections.Open(tb.TempDir(), 16<<20, &projections.JPOptions{Rules: rules, HomePage: bangkom.DefaultHomePage})
	if err != nil {
		tb.Fatal(err)
	}
	n := &Node{Log: log, Views: views, View: views.Statements}
	n.Appender = lrs.NewAppender(lrs.AppenderConfig{Log: log, View: views.Statements, Documents: views.Documents, Linger: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := projections.RunAll(ctx, log, views.All(), slog.New(slog.DiscardHandler)); err != nil {
			tb.Errorf("projector: %v", err)
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := n.Appender.Run(ctx); err != nil {
			tb.Errorf("appender: %v", err)
		}
	}()
	tb.Cleanup(func() {
		cancel()
		wg.Wait()
		views.Close()
	})
	return n
}

// Credential returns a credential with a random secret, and the secret.
func Credential(tb testing.TB, key string, roles ...string) (lrs.Credential, string) {
	tb.Helper()
	secret := rand.Text()
	c, err := lrs.NewCredential(key, secret, roles)
	if err != nil {
		tb.Fatal(err)
	}
	return c, secret
}
