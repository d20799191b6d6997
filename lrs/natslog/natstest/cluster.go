// Package natstest starts a JetStream cluster of nats-server instances in
// the test process: routes and client ports on loopback, each server's
// store in a temporary directory, everything shut down through t.Cleanup.
package natstest

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ClusterName is the name of every cluster StartCluster starts.
const ClusterName = "jejak-test"

// Cluster is a running JetStream cluster.
type Cluster struct {
	Name    string
	Servers []*server.Server
	URLs    []string // one client URL per server, in order; a restart keeps it

	tb   testing.TB
	opts []*server.Options
}

// URL is the client URLs joined by commas, as --nats-url takes them.
func (c *Cluster) URL() string { return strings.Join(c.URLs, ",") }

// StartCluster starts n clustered nats-server instances with JetStream
// (file storage, synced on every write as deploy/nats.conf) and returns
// once the JetStream meta group has a leader that every server follows,
// so a stream of up to n replicas can be created at once.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	if n < 1 {
		tb.Fatalf("StartCluster: %d servers", n)
	}
	// Routes need every cluster port before the first server starts:
	// take free loopback ports and start again, on a clash, with others.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		c, clash, serr := startCluster(tb, n)
		if serr == nil {
			return c
		}
		if err = serr; !clash {
			break
		}
	}
	tb.Fatalf("StartCluster: %v", err)
	return nil
}

// startCluster starts the servers; clash is true when one did not come
// up, as when another process took its port meanwhile.
func startCluster(tb testing.TB, n int) (c *Cluster, clash bool, err error) {
	ports, err := freePorts(2 * n) // cluster ports, then client ports
	if err != nil {
		return nil, false, err
	}
	clientPorts := ports[n:]
	ports = ports[:n]
	routes := make([]*url.URL, n)
	for i, p := range ports {
		routes[i] = &url.URL{Scheme: "nats-route", Host: net.JoinHostPort("127.0.0.1", fmt.Sprint(p))}
	}
	c = &Cluster{Name: ClusterName, tb: tb}
	stop := func() {
		for _, s := range c.Servers {
			s.Shutdown()
			s.WaitForShutdown()
		}
	}
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       clientPorts[i],
			JetStream:  true,
			StoreDir:   tb.TempDir(),
			SyncAlways: true,
			NoSigs:     true,
			Cluster: server.ClusterOpts{
				Name: ClusterName,
				Host: "127.0.0.1",
				Port: ports[i],
			},
			Routes: routes,
		}
		s, err := server.NewServer(opts)
		if err != nil {
			stop()
			return nil, false, fmt.Errorf("server %d: %w", i+1, err)
		}
		go s.Start()
		c.Servers = append(c.Servers, s)
		c.opts = append(c.opts, opts.Clone())
	}
	for i, s := range c.Servers {
		if !s.ReadyForConnections(10 * time.Second) {
			stop()
			return nil, true, fmt.Errorf("server %d (cluster port %d) was not ready in 10s", i+1, ports[i])
		}
		c.URLs = append(c.URLs, s.ClientURL())
	}
	if err := c.waitMetaLeader(30 * time.Second); err != nil {
		stop()
		return nil, false, err
	}
	tb.Cleanup(stop)
	return c, false, nil
}

// waitMetaLeader waits until one server leads the JetStream meta group,
// every server is current with it, and it has heard from every peer.
func (c *Cluster) waitMetaLeader(within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		leaders, current, peers := 0, 0, 0
		for _, s := range c.Servers {
			if s.JetStreamIsLeader() {
				leaders++
			}
			if s.JetStreamIsCurrent() {
				current++
			}
			if s.JetStreamIsLeader() {
				// Only the leader answers; it counts the peers it has
				// heard from.
				peers = len(s.JetStreamClusterPeers())
			}
		}
		if leaders == 1 && current == len(c.Servers) && peers == len(c.Servers) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no JetStream meta leader followed by all %d servers within %v (leaders %d, current %d, peers the leader heard from %d)", len(c.Servers), within, leaders, current, peers)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePorts returns n loopback TCP ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Stop shuts server i down (its store stays), as a crash of that server
// would look to the others and to clients: its connections close.
func (c *Cluster) Stop(i int) {
	c.tb.Helper()
	c.Servers[i].Shutdown()
	c.Servers[i].WaitForShutdown()
}

// Restart starts server i again on its ports and store, after Stop, and
// returns once it takes connections (it catches up with the cluster by
// itself).
func (c *Cluster) Restart(i int) {
	c.tb.Helper()
	if c.Servers[i].Running() {
		c.tb.Fatalf("Restart: server %d is running", i+1)
	}
	s, err := server.NewServer(c.opts[i].Clone())
	if err != nil {
		c.tb.Fatalf("Restart server %d: %v", i+1, err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		c.tb.Fatalf("Restart: server %d was not ready in 10s", i+1)
	}
	c.Servers[i] = s
}

// StreamLeader returns the index of the server leading stream (of the
// global account), or -1 when none does now.
func (c *Cluster) StreamLeader(stream string) int {
	for i, s := range c.Servers {
		if s.Running() && s.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return i
		}
	}
	return -1
}
