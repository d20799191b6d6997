package natslog_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/natslog"
)

// deploy/nats.conf loads, and a server run with it (on loopback, alone,
// in a temporary store) lets the jejak user create and write the log,
// the auditor read it but not write it, and no one else in. Its auditor
// has the permissions the embedded server gives its own.
func TestDeployConfig_OnlyJejakWritesTheLog(t *testing.T) {
	t.Setenv("SERVER_NAME", "nats-test")
	t.Setenv("JEJAK_NATS_PASSWORD", "jejak-"+uuid.NewString())
	t.Setenv("JEJAK_NATS_AUDITOR_PASSWORD", "auditor-"+uuid.NewString())
	opts, err := server.ProcessConfigFile("../../deploy/nats.conf")
	if err != nil {
		t.Fatalf("deploy/nats.conf: %v", err)
	}
	var auditorPerms *server.Permissions
	for _, u := range opts.Users {
		if u.Username == "auditor" {
			auditorPerms = u.Permissions
		}
	}
	want := natslog.AuditorPermissions()
	if auditorPerms == nil || !slices.Equal(auditorPerms.Publish.Allow, want.Publish.Allow) || !slices.Equal(auditorPerms.Publish.Deny, want.Publish.Deny) || !slices.Equal(auditorPerms.Subscribe.Allow, want.Subscribe.Allow) {
		t.Fatalf("the auditor of deploy/nats.conf has %+v, want natslog.AuditorPermissions", auditorPerms)
	}
	// alone on loopback, in a temporary store
	opts.Host, opts.Port, opts.HTTPPort = "127.0.0.1", -1, 0
	opts.Cluster = server.ClusterOpts{}
	opts.Routes = nil
	opts.StoreDir = t.TempDir()
	opts.NoSigs = true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	url := func(user, env string) string {
		return "nats://" + user + ":" + os.Getenv(env) + "@" + s.Addr().String()
	}
	quiet := nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})

	if nc, err := nats.Connect("nats://"+s.Addr().String(), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("connected without a user")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	jc, err := nats.Connect(url("jejak", "JEJAK_NATS_PASSWORD"))
	if err != nil {
		t.Fatal(err)
	}
	defer jc.Close()
	log, err := natslog.Open(ctx, jc, natslog.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := log.Append(ctx, lrs.AppendRequest{Subject: "jejak.default.statements", Data: []byte("{}"), MsgID: uuid.NewString()}); err != nil {
		t.Fatalf("jejak cannot append: %v", err)
	}

	ac, err := nats.Connect(url("auditor", "JEJAK_NATS_AUDITOR_PASSWORD"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	alog, err := natslog.Open(ctx, ac, natslog.Config{})
	if err != nil {
		t.Fatalf("the auditor cannot open the log: %v", err)
	}
	if ev, err := alog.Get(ctx, 1); err != nil || string(ev.Data) != "{}" {
		t.Fatalf("the auditor reads %q, %v", ev.Data, err)
	}
	var read int
	fctx, fcancel := context.WithCancel(ctx)
	_ = alog.Follow(fctx, 1, func(evs []lrs.LogEvent) error { read += len(evs); fcancel(); return nil })
	fcancel()
	if read != 1 {
		t.Fatalf("the auditor followed %d events, want 1", read)
	}
	pctx, pcancel := context.WithTimeout(ctx, time.Second)
	defer pcancel()
	if _, err := alog.Append(pctx, lrs.AppendRequest{Subject: "jejak.default.statements", Data: []byte("{}"), MsgID: uuid.NewString(), ExpectLast: 1}); err == nil {
		t.Fatal("the auditor appended to the log")
	}
	// nor hand a write to the deciding node
	decide := natslog.DecideSubject(natslog.DefaultStream, uuid.NewString())
	got, err := jc.SubscribeSync(decide)
	if err != nil {
		t.Fatal(err)
	}
	if err := jc.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.Request(decide, lrs.AppendForwarded(nil, &lrs.Forwarded{}), time.Second); err == nil {
		t.Fatal("the auditor's write reached the deciding node and was answered")
	}
	if _, err := got.NextMsg(100 * time.Millisecond); err == nil {
		t.Fatal("the auditor forwarded a write to the deciding node")
	}
	js, _ := jetstream.New(ac)
	dctx, dcancel := context.WithTimeout(ctx, time.Second)
	defer dcancel()
	if err := js.DeleteStream(dctx, natslog.DefaultStream); err == nil {
		t.Fatal("the auditor deleted the log's stream")
	}
	if last, err := log.LastSeq(ctx); err != nil || last != 1 {
		t.Fatalf("the log's last sequence is %d (%v), want 1", last, err)
	}
}
