package natslog_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jejak-id/jejak/lrs/natslog"
	"github.com/jejak-id/jejak/lrs/natslog/natstest"
)

// Every node of a log answers a status request, whichever server it is
// connected to, and says whether digests were asked for; nodes of another
// log do not answer.
func TestStatus_EveryNodeOfTheLogAnswers(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	conn := func(i int) *nats.Conn {
		nc, err := nats.Connect(c.URLs[i])
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		return nc
	}
	for i, node := range []string{"a", "b", "c"} {
		nc := conn(i)
		sub, err := natslog.AnswerStatus(nc, "JEJAK", func(digests bool) []byte {
			if digests {
				return []byte(node + "+digests")
			}
			return []byte(node)
		})
		if err != nil {
			t.Fatal(err)
		}
		if !sub.IsValid() {
			t.Fatal("the status subscription is not valid")
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	other := conn(0)
	if _, err := natslog.AnswerStatus(other, "OTHER", func(bool) []byte { return []byte("other") }); err != nil {
		t.Fatal(err)
	}
	_ = other.Flush()
	// subscriptions reach every server of the cluster shortly
	asker := conn(1)
	var got []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		answers, err := natslog.GatherStatus(context.Background(), asker, "JEJAK", true, 2*time.Second, 300*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, a := range answers {
			got = append(got, string(a))
		}
		slices.Sort(got)
		if len(got) == 3 {
			break
		}
	}
	if want := []string{"a+digests", "b+digests", "c+digests"}; !slices.Equal(got, want) {
		t.Fatalf("answers %q, want %q", got, want)
	}
	answers, err := natslog.GatherStatus(context.Background(), asker, "JEJAK", false, 2*time.Second, 300*time.Millisecond)
	if err != nil || len(answers) != 3 || string(answers[0]) == "a+digests" {
		t.Fatalf("without digests: %q, %v; want three plain answers", answers, err)
	}
	// nobody answers: the gather ends at its bound, empty
	none, err := natslog.GatherStatus(context.Background(), asker, "NOBODY", false, 300*time.Millisecond, 100*time.Millisecond)
	if err != nil || len(none) != 0 {
		t.Fatalf("a log without nodes: %q, %v; want no answer", none, err)
	}
}
