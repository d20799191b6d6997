package natstest_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jejak-id/jejak/lrs/natslog/natstest"
)

// A stream of three replicas can be created on the cluster at once, and
// every server serves it.
func TestStartCluster_HoldsAThreeReplicaStream(t *testing.T) {
	start := time.Now()
	c := natstest.StartCluster(t, 3)
	t.Logf("cluster of 3 up in %v", time.Since(start).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	nc, err := nats.Connect(c.URLs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if got := nc.ConnectedClusterName(); got != natstest.ClusterName {
		t.Fatalf("cluster name %q, want %q", got, natstest.ClusterName)
	}
	js, _ := jetstream.New(nc)
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "R3", Subjects: []string{"r3.>"}, Replicas: 3, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "r3.x", []byte("one")); err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 || info.State.Msgs != 1 {
		t.Fatalf("stream info: replicas %d, cluster %+v, msgs %d", info.Config.Replicas, info.Cluster, info.State.Msgs)
	}
	for i, u := range c.URLs {
		nc2, err := nats.Connect(u)
		if err != nil {
			t.Fatalf("server %d: %v", i+1, err)
		}
		js2, _ := jetstream.New(nc2)
		s2, err := js2.Stream(ctx, "R3")
		if err == nil {
			_, err = s2.GetMsg(ctx, 1)
		}
		nc2.Close()
		if err != nil {
			t.Fatalf("server %d: %v", i+1, err)
		}
	}
}
