package lrs_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
)

// BenchmarkAppender measures the append path without HTTP: requests of 1 or
// 100 statements from 32 goroutines through group commit to a durable
// JetStream append (fsync before ack), with the projectors running.
//
//	go test -run '^$' -bench Appender -benchtime 5s ./lrs/
func BenchmarkAppender(b *testing.B) {
	for _, per := range []int{1, 100} {
		b.Run(fmt.Sprintf("per-request=%d", per), func(b *testing.B) {
			node := lrstest.StartNode(b, lrstest.Log(b, lrstest.NATS(b)))
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					stmts := make([]lrs.Statement, per)
					for i := range stmts {
						stmts[i] = testStatement(b, uuid.New(), "https://lms.example.go.id/course/1")
					}
					if _, err := node.Appender.Append(context.Background(), stmts, by); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N*per)/b.Elapsed().Seconds(), "statements/s")
			if ev, reqs := node.Appender.Stats(); ev > 0 {
				b.ReportMetric(float64(reqs)/float64(ev), "requests/event")
			}
		})
	}
}
