package natslog_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/natslog"
)

// runAccess opens the access log on nc and publishes until the returned
// stop is called (which drains the queue, as serve does at shutdown).
func runAccess(t *testing.T, nc *nats.Conn, cfg natslog.AccessConfig) (*natslog.AccessLog, func()) {
	t.Helper()
	a, err := natslog.OpenAccess(context.Background(), nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { a.Run(ctx, 5*time.Second) })
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return a, stop
}

func startAt(t *testing.T, dir string) (*server.Server, *nats.Conn) {
	t.Helper()
	s, err := natslog.StartEmbedded(natslog.EmbeddedConfig{StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect("", nats.InProcessServer(s))
	if err != nil {
		t.Fatal(err)
	}
	return s, nc
}

func record(t *testing.T, a *natslog.AccessLog, e lrs.Access) {
	t.Helper()
	if err := a.Reserve(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.Record(e)
}

const nipA, nipB = "199001012015011001", "197805152003121002"

func TestAccessLog_EntriesSurviveARestartAndAPersonIsOneSubject(t *testing.T) {
	dir := t.TempDir()
	s, nc := startAt(t, dir)
	a, stop := runAccess(t, nc, natslog.AccessConfig{})
	now := time.Now().UTC()
	record(t, a, lrs.Access{Time: now, Who: "lms", Kind: lrs.PrincipalCredential, Scope: lrs.AccessPerson, NIP: nipA, Method: "GET", Route: "/api/v1/people/:nip/jp", Status: 200})
	record(t, a, lrs.Access{Time: now, Who: "lms", Kind: lrs.PrincipalCredential, Scope: lrs.AccessPerson, NIP: nipB, Method: "GET", Route: "/api/v1/people/:nip/jp", Status: 200})
	record(t, a, lrs.Access{Time: now, Who: "ana", Kind: lrs.PrincipalCredential, Scope: lrs.AccessUnit, Unit: "Biro Umum. *>", Method: "GET", Route: "/api/v1/units/:unit/jp", Status: 403})
	stop() // drains the queue, as serve's shutdown does
	nc.Close()
	s.Shutdown()
	s.WaitForShutdown()

	s, nc = startAt(t, dir)
	defer func() { nc.Close(); s.Shutdown(); s.WaitForShutdown() }()
	st, err := natslog.OpenAccessReader(context.Background(), nc, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := natslog.QueryAccess(context.Background(), st, lrs.AccessQuery{Subjects: []string{lrs.AccessSubject(lrs.AccessPerson, nipA, "")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].NIP != nipA || got[0].Who != "lms" || got[0].Route != "/api/v1/people/:nip/jp" || got[0].Status != 200 || got[0].Seq == 0 {
		t.Fatalf("entries of %s after a restart: %+v", nipA, got)
	}
	got, err = natslog.QueryAccess(context.Background(), st, lrs.AccessQuery{Subjects: []string{lrs.AccessUnitSubject("Biro Umum. *>")}})
	if err != nil || len(got) != 1 || got[0].Who != "ana" || got[0].Status != 403 {
		t.Fatalf("entries of the unit: %+v, %v", got, err)
	}
	all, err := natslog.QueryAccess(context.Background(), st, lrs.AccessQuery{Who: "lms"})
	if err != nil || len(all) != 2 {
		t.Fatalf("entries by lms: %+v, %v", all, err)
	}
	none, err := natslog.QueryAccess(context.Background(), st, lrs.AccessQuery{Since: now.Add(time.Hour)})
	if err != nil || len(none) != 0 {
		t.Fatalf("entries since an hour from now: %+v, %v", none, err)
	}
	if info, err := st.Info(context.Background()); err != nil || info.State.Msgs != 3 {
		t.Fatalf("stream holds %+v, %v; want 3 entries", info.State, err)
	}
}

func TestAccessLog_RetentionIsTheStreamsMaxAgeAndCanChange(t *testing.T) {
	dir := t.TempDir()
	s, nc := startAt(t, dir)
	defer func() { nc.Close(); s.Shutdown(); s.WaitForShutdown() }()
	a, _ := runAccess(t, nc, natslog.AccessConfig{})
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), a.Name())
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	if cfg.MaxAge != natslog.DefaultAccessRetention || cfg.PersistMode != jetstream.AsyncPersistMode || cfg.Storage != jetstream.FileStorage || !cfg.DenyDelete || !cfg.DenyPurge || cfg.Subjects[0] != "jejak_access.>" {
		t.Fatalf("access stream config: %+v", cfg)
	}
	b, _ := runAccess(t, nc, natslog.AccessConfig{Retention: 400 * 24 * time.Hour})
	if b.Retention() != 400*24*time.Hour {
		t.Fatalf("retention after reopening with 400 days: %v", b.Retention())
	}
	if info, _ := st.Info(context.Background()); info.Config.MaxAge != 400*24*time.Hour {
		t.Fatalf("stream MaxAge %v, want 400 days", info.Config.MaxAge)
	}
	if _, err := natslog.OpenAccess(context.Background(), nc, natslog.AccessConfig{Retention: time.Minute}); err == nil {
		t.Fatal("a retention of a minute was taken")
	}
}

func TestAccessLog_AFullQueueRefusesTheRead(t *testing.T) {
	s, nc := startAt(t, t.TempDir())
	defer func() { nc.Close(); s.Shutdown(); s.WaitForShutdown() }()
	// Not run: nothing is published, so the queue of one stays full.
	a, err := natslog.OpenAccess(context.Background(), nc, natslog.AccessConfig{Queue: 1, Wait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	record(t, a, lrs.Access{Who: "lms", Scope: lrs.AccessPerson, NIP: nipA})
	err = a.Reserve(context.Background())
	if lrs.ErrorCode(err) != lrs.EUNAVAILABLE || a.Stats().Refused != 1 {
		t.Fatalf("second reserve on a full queue: %v, stats %+v", err, a.Stats())
	}
}

func connect(tb testing.TB, s *server.Server) *nats.Conn {
	tb.Helper()
	nc, err := nats.Connect("", nats.InProcessServer(s))
	if err != nil {
		tb.Fatal(err)
	}
	return nc
}
