package main

import (
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/jejak-id/jejak/api"
)

// fdReserve is how many file descriptors are kept out of the HTTP
// connections' reach for the log (JetStream's files), the views (Pebble)
// and NATS, beyond those already open when serving starts.
const fdReserve = 256

// connLimit returns the total HTTP connections to allow: want, lowered so
// that the connections, the descriptors open now and fdReserve fit in
// RLIMIT_NOFILE. The soft limit is raised to the hard one first when it is
// lower. It also returns the limit, for the log.
func connLimit(want int) (allowed int, nofile uint64, err error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return want, 0, nil // no limit to fit in
	}
	if rl.Cur < rl.Max {
		raised := rl
		raised.Cur = rl.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			rl = raised
		}
	}
	room := int64(rl.Cur) - int64(openFiles()) - fdReserve
	if room < 16 {
		return 0, rl.Cur, fmt.Errorf("RLIMIT_NOFILE is %d: with %d descriptors open and %d kept for the log, fewer than 16 are left for HTTP connections; raise it (ulimit -n, LimitNOFILE=)", rl.Cur, openFiles(), fdReserve)
	}
	if want <= 0 || int64(want) > room {
		want = int(room)
	}
	return want, rl.Cur, nil
}

// openFiles counts this process's open descriptors where the system tells
// (Linux), else 0.
func openFiles() int {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(fds)
}

// limitListener accepts at most max connections at once in total and
// perAddr from one client address (api.ClientAddr); one more is closed as soon as it is
// accepted, so a flood is refused at once instead of queueing.
type limitListener struct {
	net.Listener
	max, perAddr int
	refused      atomic.Uint64

	mu     sync.Mutex
	total  int
	byAddr map[string]int
}

func newLimitListener(ln net.Listener, max, perAddr int) *limitListener {
	return &limitListener{Listener: ln, max: max, perAddr: perAddr, byAddr: map[string]int{}}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := api.ClientAddr(c.RemoteAddr().String())
		l.mu.Lock()
		if l.total >= l.max || (l.perAddr > 0 && l.byAddr[addr] >= l.perAddr) {
			l.mu.Unlock()
			l.refused.Add(1)
			c.Close()
			continue
		}
		l.total++
		l.byAddr[addr]++
		l.mu.Unlock()
		return &limitConn{Conn: c, l: l, addr: addr}, nil
	}
}

func (l *limitListener) release(addr string) {
	l.mu.Lock()
	l.total--
	if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
		delete(l.byAddr, addr)
	}
	l.mu.Unlock()
}

// limitConn gives its place back when closed.
type limitConn struct {
	net.Conn
	l    *limitListener
	addr string
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.addr) })
	return err
}

// open returns the number of connections open.
func (l *limitListener) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}
