package api

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jejak-id/jejak/lrs"
)

// failures counts failed authentications by client address and by key in
// fixed windows: once an id has limit failures in a window, it is blocked
// until the window ends.
type failures struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu  sync.Mutex
	ids map[string]*failWindow
}

type failWindow struct {
	start time.Time
	n     int
}

// maxFailureIDs bounds the ids tracked at once; past it, expired ones are
// dropped, and if none has expired a new id is not tracked (the password
// check slots still bound the work).
const maxFailureIDs = 1 << 16

func newFailures(limit int, window time.Duration, now func() time.Time) *failures {
	return &failures{limit: limit, window: window, now: now, ids: map[string]*failWindow{}}
}

// blocked returns how long id stays blocked, 0 if it is not.
func (f *failures) blocked(id string) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.ids[id]
	if w == nil || w.n < f.limit {
		return 0
	}
	left := w.start.Add(f.window).Sub(f.now())
	if left <= 0 {
		delete(f.ids, id)
		return 0
	}
	return left
}

// fail counts one failure of id.
func (f *failures) fail(id string) {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.ids[id]
	if w != nil && now.Sub(w.start) >= f.window {
		w.start, w.n = now, 0
	}
	if w == nil {
		if len(f.ids) >= maxFailureIDs {
			for k, old := range f.ids {
				if now.Sub(old.start) >= f.window {
					delete(f.ids, k)
				}
			}
			if len(f.ids) >= maxFailureIDs {
				return
			}
		}
		w = &failWindow{start: now}
		f.ids[id] = w
	}
	w.n++
}

// tooMany answers 429 with Retry-After in whole seconds.
func tooMany(c echo.Context, wait time.Duration, format string, args ...any) error {
	secs := int((wait + time.Second - 1) / time.Second)
	c.Response().Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	return lrs.Errorf(lrs.ETOOMANY, format, args...)
}

// clientAddr is the address requests are counted by (see ClientAddr).
func clientAddr(r *http.Request) string { return ClientAddr(r.RemoteAddr) }

// ClientAddr returns the client a peer address (host:port) is counted as:
// its IPv4 address, or the /64 of an IPv6 one (one host usually holds a
// whole /64). Behind a reverse proxy it is the proxy.
func ClientAddr(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}

// pacedBody bounds how long a request body may take: the connection's read
// deadline starts at BodyTimeout after the request and moves on by one
// second for every MinBodyRate bytes that arrive. A body that trickles in
// slower is cut; an honest large upload at the minimum rate or faster is
// not. The deadline is lifted when the body has been read to its end.
type pacedBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	start   time.Time
	timeout time.Duration
	rate    int64
	read    int64
}

func (p *pacedBody) Read(b []byte) (int, error) {
	n, err := p.ReadCloser.Read(b)
	if n > 0 {
		p.read += int64(n)
		_ = p.rc.SetReadDeadline(p.start.Add(p.timeout + time.Duration(p.read*int64(time.Second)/p.rate)))
	}
	switch {
	case err == io.EOF:
		_ = p.rc.SetReadDeadline(time.Time{})
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = lrs.Errorf(lrs.EINVALID, "request body arrived slower than %d bytes per second after the first %s; the connection is closed", p.rate, p.timeout)
	}
	return n, err
}
