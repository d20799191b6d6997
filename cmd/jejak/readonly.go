package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/projections"
)

// serveReadOnly answers the xAPI and analyst reads from views built by
// `jejak replay --out DIR` (dir), with no log: nothing is started that
// writes, neither NATS nor a projector, and the views are opened read
// only. Every write is refused with 405 naming why. Credentials come from
// --credentials only (the ones on the log are not read); reads of personal
// data are recorded in the process log.
func serveReadOnly(ctx context.Context, cfg config, dir string, logger *slog.Logger, stdout io.Writer) error {
	switch {
	case cfg.NATSListen != "":
		return usageError{"--nats-listen opens the log's port: a read-only serve has no log"}
	case cfg.OIDC.Issuer != "":
		return usageError{"--oidc-issuer: a read-only serve takes HTTP Basic credentials of --credentials only"}
	case cfg.MetricsAddr != "":
		return usageError{"--metrics-addr: a read-only serve has no metrics"}
	}
	creds, err := flagCredentials(cfg.Credentials)
	if err != nil {
		return err
	}
	if len(creds) == 0 {
		return usageError{"a read-only serve reads no credentials from a log: give --credentials key:secret[:role+role][,…]"}
	}
	jp, err := loadJPOptions(cfg)
	if err != nil {
		return err
	}
	frameworks, err := bangkom.LoadFrameworks(rulesFS(cfg))
	if err != nil {
		return err
	}
	views, err := projections.OpenReadOnly(dir, int64(cfg.CacheMB)<<20, jp)
	if err != nil {
		return fmt.Errorf("--views %s: %w (serve with the --rules and --home-page the replay used)", dir, err)
	}
	defer views.Close()
	seq, stored := views.Statements.Applied()
	if jseq, jstored := views.JP.Applied(); jseq > seq {
		seq, stored = jseq, jstored
	}
	reason := fmt.Sprintf("views replayed up to log event %d, stored %s", seq, stored.Format(time.RFC3339Nano))
	keyring := lrs.NewKeyring(creds)
	srv := api.New(api.Config{
		Auth:           keyring,
		Statements:     views.Statements,
		Documents:      views.Documents,
		JP:             views.JP,
		BangkomProfile: bangkomProfile(),
		Frameworks:     frameworks,
		Writer:         readOnlyWriter{reason: reason},
		Logger:         logger,
		CORSOrigins:    strings.Split(cfg.CORS, ","),
		APICORSOrigins: strings.Split(cfg.APICORS, ","),
		BodyTimeout:    cfg.BodyTimeout,
		MinBodyRate:    int64(cfg.MinBodyRate),
		Access:         processAccess{logger.With("component", "access")},
		HomePage:       cfg.HomePage,
		ReadOnly:       reason,
		Views:          statusViews(views),
	})
	maxConns, _, err := connLimit(cfg.MaxConns)
	if err != nil {
		return err
	}
	tcp, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	ln := newLimitListener(tcp, maxConns, cfg.MaxConnsIP)
	httpSrv := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 64 << 10}
	done := make(chan error, 1)
	go func() { done <- httpSrv.Serve(ln) }()
	logger.Info("serving read-only", "component", "http", "addr", ln.Addr().String(), "views", dir, "up_to_event", seq)
	fmt.Fprintf(stdout, "jejak: read-only, no log: %s in %s\n", reason, dir)
	fmt.Fprintf(stdout, "jejak: serving xAPI at http://%s/xapi\n", ln.Addr())
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-done:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil {
		logger.Warn("http shutdown", "err", err)
	}
	if errors.Is(runErr, http.ErrServerClosed) {
		runErr = nil
	}
	return runErr
}

// readOnlyWriter is the write path of a read-only serve: it refuses every
// write (the API refuses them before they get here; this is the second
// lock), and reads never wait for it.
type readOnlyWriter struct{ reason string }

func (w readOnlyWriter) refuse() error {
	return lrs.Errorf(lrs.EUNAVAILABLE, "this node is read-only (%s): it takes no writes", w.reason)
}

func (w readOnlyWriter) Append(context.Context, []lrs.Statement, lrs.Authority) (uint64, error) {
	return 0, w.refuse()
}

func (w readOnlyWriter) AppendDocument(context.Context, lrs.DocumentWrite, []byte, lrs.Authority) (uint64, error) {
	return 0, w.refuse()
}

func (w readOnlyWriter) AppendEvent(context.Context, string, int, string, []byte, lrs.Authority) (uint64, error) {
	return 0, w.refuse()
}

func (readOnlyWriter) LastSeq() uint64 { return 0 }

func (readOnlyWriter) Inflight() (time.Time, bool) { return time.Time{}, false }

// processAccess records the reads of personal data a read-only serve
// answers in its process log, there being no log to keep them on.
type processAccess struct{ logger *slog.Logger }

func (processAccess) Reserve(context.Context) error { return nil }

func (a processAccess) Record(e lrs.Access) {
	a.logger.Info("read of personal data", "who", e.Who, "kind", e.Kind, "acts_for", e.ActsFor, "scope", e.Scope, "nip", e.NIP, "unit", e.Unit,
		"method", e.Method, "route", e.Route, "query", e.Query, "status", e.Status, "time", e.Time)
}

func (processAccess) Query(context.Context, lrs.AccessQuery) ([]lrs.Access, error) {
	return nil, lrs.Errorf(lrs.ENOTFOUND, "a read-only serve keeps no access log: the reads it answered are in its process log (component=access)")
}
