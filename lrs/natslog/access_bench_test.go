package natslog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/natslog"
)

// BenchmarkAccessRecord measures recording entries as fast as they come
// and storing them all (the queue, the batches, the embedded server):
// ns/op is the amortised cost of one entry under a burst of reads.
//
//	go test -run '^$' -bench AccessRecord -benchtime 20000x ./lrs/natslog/
func BenchmarkAccessRecord(b *testing.B) {
	s, err := natslog.StartEmbedded(natslog.EmbeddedConfig{StoreDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { s.Shutdown(); s.WaitForShutdown() }()
	conn := connect(b, s)
	defer conn.Close()
	a, err := natslog.OpenAccess(context.Background(), conn, natslog.AccessConfig{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx, 5*time.Second); close(done) }()
	defer func() { cancel(); <-done }()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := a.Reserve(ctx); err != nil {
			b.Fatal(err)
		}
		a.Record(lrs.Access{Time: time.Now(), Who: "lms", Kind: lrs.PrincipalCredential, Scope: lrs.AccessPerson,
			NIP: fmt.Sprintf("19900101201501%04d", i%10000), Method: "GET", Route: "/api/v1/people/:nip/jp", Query: "year=2026", Status: 200})
	}
	if err := a.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
}
