package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/schemas"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/natslog"
	"github.com/jejak-id/jejak/projections"
	"github.com/jejak-id/jejak/web"
)

// A status request of GET /api/v1/status?nodes=all waits at most
// statusGatherWait for the nodes, and stops statusSettle after the last
// answer (a node computes its digests before it answers).
const (
	statusGatherWait = 10 * time.Second
	statusSettle     = time.Second
)

// config is the validated configuration shared by the commands.
type config struct {
	Addr       string
	Data       string
	NATSURL    string
	NATSListen string
	Stream     string
	Replicas   int
	// replicasGiven is true when --replicas (or JEJAK_REPLICAS) was given,
	// not left at its default.
	replicasGiven bool
	Credentials   string
	LogLevel      string
	MaxBody       int
	MaxAttach     int
	Linger        time.Duration
	MaxViewLag    int
	MemoryMB      int
	MetricsAddr   string
	FailureExit   time.Duration
	CORS          string
	APICORS       string
	MaxConns      int
	MaxConnsIP    int
	BodyTimeout   time.Duration
	MinBodyRate   int
	CacheMB       int
	Rules         string
	HomePage      string
	PublicURL     string
	OIDC          oidcConfig
	// AccessRetention is how long the access log keeps an entry.
	AccessRetention time.Duration
	// LeaseTTL and DecideTimeout govern the deciding node (ADR 26).
	LeaseTTL      time.Duration
	DecideTimeout time.Duration

	natsAuth *natslog.EmbeddedAuth // users of the embedded server when it listens
}

func (c *config) bind(f *envFlags, serve bool) {
	f.String(&c.Data, "data", "./data", "data directory: the embedded log under nats/, the views under views/")
	f.String(&c.NATSURL, "nats-url", "", "use this NATS JetStream (e.g. nats://127.0.0.1:4222) instead of the embedded server")
	f.String(&c.Stream, "stream", natslog.DefaultStream, "name of the JetStream stream that holds the log")
	f.String(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	f.Int(&c.CacheMB, "cache-mb", 64, "Pebble memory per view, MiB: its memory tables are charged to it, blocks are cached in the rest")
	f.String(&c.Rules, "rules", "", "directory holding jp-rules/ and catalogue/ (default: the rules built in); a change takes effect by `jejak replay`")
	f.String(&c.HomePage, "home-page", bangkom.DefaultHomePage, "account homePage of ASN agents (the name is the NIP)")
	if serve {
		f.Int(&c.Replicas, "replicas", 1, "stream replicas when the stream is created (3 on a cluster); when not given, an existing stream is used with its replicas, and on a cluster a stream of 1 replica is refused")
		f.String(&c.Addr, "addr", "127.0.0.1:8080", "HTTP listen address")
		f.String(&c.NATSListen, "nats-listen", "", "also let outside NATS clients (the nats CLI) reach the embedded server at host:port, as the read-only user of the data directory's nats-auditor.json (created on first use, its password shown once)")
		f.String(&c.Credentials, "credentials", "", "HTTP Basic credentials key:secret[:role+role][,…] for bootstrap and tests, served beside the log's (see jejak credentials); on a log without credentials and without this flag, a first admin credential is created and its secret shown once")
		f.Int(&c.MaxBody, "max-body", 8<<20, "largest statements JSON in bytes (bounded by the log's largest message)")
		f.Int(&c.MaxAttach, "max-attachment", 64<<20, "largest attachment data of one request in bytes")
		f.String(&c.CORS, "cors-origins", "*", "browser origins allowed by CORS on /xapi, comma-separated")
		f.String(&c.APICORS, "api-cors-origins", "", "browser origins allowed by CORS on /api/v1 (personal data), comma-separated; none when empty")
		f.Int(&c.MaxConns, "max-conns", 10000, "most HTTP connections at once; lowered to fit RLIMIT_NOFILE with 256 descriptors kept for the log and views; more are closed at once")
		f.Int(&c.MaxConnsIP, "max-conns-per-ip", 256, "most HTTP connections at once from one client address (behind a reverse proxy, the proxy's); 0 for no bound")
		f.Duration(&c.BodyTimeout, "body-timeout", 30*time.Second, "time a request body may take beyond what --min-body-rate allows; slower bodies are cut")
		f.Int(&c.MinBodyRate, "min-body-rate", 16<<10, "bytes per second a request body must keep arriving at after --body-timeout")
		f.Duration(&c.Linger, "group-linger", time.Millisecond, "under load, how long a group commit waits for more requests to share its fsync")
		f.Int(&c.MaxViewLag, "max-view-lag", 20000, "statements acknowledged but not yet in the statement view before writes wait for it (backpressure); 0 for no bound")
		f.String(&c.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics, and Go profiles at /debug/pprof/, on a listener of their own (e.g. 127.0.0.1:9464); off when empty")
		f.Int(&c.MemoryMB, "memory-limit-mb", 768, "soft limit of the Go heap in MiB (0: none; GOMEMLIMIT, when set, wins)")
		f.Duration(&c.AccessRetention, "access-log-retention", natslog.DefaultAccessRetention, "how long the access log for personal data keeps an entry (UU 27/2022; the stream's max age, set at each start)")
		f.Duration(&c.LeaseTTL, "lease-ttl", 3*time.Second, "with several nodes on one log: how long the deciding node's lease lasts unrenewed; another node takes over when it lapses (ADR 26)")
		f.Duration(&c.DecideTimeout, "decide-timeout", 10*time.Second, "how long a write may wait to be decided, across a change of deciding node; then 503 with Retry-After")
		f.Duration(&c.FailureExit, "log-failure-exit", time.Minute, "when the log cannot be written or reached for this long, exit non-zero so that a supervisor restarts Jejak (/readyz answers 503 meanwhile)")
		f.String(&c.PublicURL, "public-url", "", "the URL people reach Jejak at (e.g. https://jejak.example.go.id); with https the web's cookies are Secure")
		c.OIDC.bind(f)
	}
}

// logConn is an open connection to the log, embedded or external.
type logConn struct {
	srv *server.Server // nil when external
	nc  *nats.Conn
	log *natslog.Log
}

// openLog opens the log to write to it: the stream is created on first
// use, or checked (see natslog.Open). When --replicas was not given, an
// existing stream is taken with its replicas; on a cluster, a stream of
// one replica is refused unless --replicas 1 was given (checkReplicas).
func openLog(ctx context.Context, cfg config, logger *slog.Logger) (*logConn, error) {
	lc, err := connectLog(cfg, logger)
	if err != nil {
		return nil, err
	}
	if !cfg.replicasGiven {
		reps, err := natslog.Replicas(ctx, lc.nc, cfg.Stream)
		switch {
		case err == nil:
			cfg.Replicas = reps
		case !errors.Is(err, natslog.ErrNoStream):
			lc.close()
			return nil, err
		}
		if err := checkReplicas(cfg, lc.nc.ConnectedClusterName(), err == nil); err != nil {
			lc.close()
			return nil, err
		}
	}
	lc.log, err = natslog.Open(ctx, lc.nc, natslog.Config{Stream: cfg.Stream, Replicas: cfg.Replicas})
	if err != nil {
		lc.close()
		return nil, err
	}
	return lc, nil
}

// checkReplicas refuses a log of one replica on a cluster (a server that
// names its cluster) when --replicas was not given: one server lost, and
// the log stops or is lost, which nobody running a cluster means by
// default. exists tells whether the stream is there already.
func checkReplicas(cfg config, cluster string, exists bool) error {
	if cluster == "" || cfg.Replicas != 1 {
		return nil
	}
	const knowingly = "give --replicas 1 to run a single-replica log on a cluster knowingly"
	if exists {
		return fmt.Errorf("the log stream %s has 1 replica, on NATS cluster %q (%s): the loss of one server stops or loses the log; Jejak never changes an existing stream: raise its replicas with the nats CLI (nats stream edit %s --replicas 3), or %s", cfg.Stream, cluster, redactURL(cfg.NATSURL), cfg.Stream, knowingly)
	}
	return fmt.Errorf("the log stream %s does not exist yet and would be created with 1 replica on NATS cluster %q (%s): the loss of one server would stop or lose the log; give --replicas 3 (JEJAK_REPLICAS) to create it replicated, or %s", cfg.Stream, cluster, redactURL(cfg.NATSURL), knowingly)
}

// redactURL is a --nats-url fit for a message: passwords are masked.
func redactURL(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			parts[i] = u.Redacted()
		}
	}
	return strings.Join(parts, ",")
}

// logPlace names where the log is read from, for messages.
func logPlace(cfg config) string {
	if cfg.NATSURL == "" {
		return "the embedded log of data directory " + cfg.Data
	}
	return "NATS at " + redactURL(cfg.NATSURL)
}

// connectLog starts the embedded server and connects to it, or connects to
// the external NATS of cfg.NATSURL; it opens no stream.
func connectLog(cfg config, logger *slog.Logger) (*logConn, error) {
	lc := &logConn{}
	var err error
	if cfg.NATSURL == "" {
		lc.srv, err = natslog.StartEmbedded(natslog.EmbeddedConfig{
			StoreDir: filepath.Join(cfg.Data, "nats"),
			Listen:   cfg.NATSListen,
			Logger:   logger,
			Auth:     cfg.natsAuth,
		})
		if err != nil {
			return nil, err
		}
		opts := []nats.Option{nats.InProcessServer(lc.srv), nats.Name("jejak")}
		if cfg.natsAuth != nil {
			opts = append(opts, nats.UserInfo(natslog.InternalUser, cfg.natsAuth.InternalPassword))
		}
		lc.nc, err = nats.Connect("", opts...)
	} else {
		lc.nc, err = nats.Connect(cfg.NATSURL, nats.Name("jejak"), nats.MaxReconnects(-1))
	}
	if err != nil {
		lc.close()
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	return lc, nil
}

// close drains the connection, then stops the embedded server.
func (lc *logConn) close() {
	if lc.nc != nil {
		_ = lc.nc.Drain()
		for lc.nc.IsDraining() {
			time.Sleep(5 * time.Millisecond)
		}
		lc.nc.Close()
	}
	if lc.srv != nil {
		lc.srv.Shutdown()
		lc.srv.WaitForShutdown()
	}
}

// rulesFS is where the rules and dictionaries come from: the built-in
// ones, or those of --rules.
func rulesFS(cfg config) fs.FS {
	if cfg.Rules != "" {
		return os.DirFS(cfg.Rules)
	}
	return schemas.Files()
}

// loadJPOptions loads and checks the JP rules.
func loadJPOptions(cfg config) (*projections.JPOptions, error) {
	fsys := rulesFS(cfg)
	if err := schemas.ValidateAll(fsys); err != nil {
		return nil, fmt.Errorf("rules in %s: %w", rulesOrigin(cfg), err)
	}
	rules, err := bangkom.LoadRules(fsys)
	if err != nil {
		return nil, err
	}
	return &projections.JPOptions{Rules: rules, HomePage: cfg.HomePage}, nil
}

func rulesOrigin(cfg config) string {
	if cfg.Rules != "" {
		return cfg.Rules
	}
	return "the built-in schemas"
}

// bangkomProfile returns the JSON-LD of the Bangkom xAPI Profile.
func bangkomProfile() []byte {
	b, _ := fs.ReadFile(schemas.Files(), "profiles/bangkom.jsonld")
	return b
}

func viewsDir(cfg config) string { return filepath.Join(cfg.Data, "views") }

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	var readOnly bool
	var viewsFrom string
	var demo bool
	f := newFlags("serve", getenv, stderr)
	cfg.bind(f, true)
	f.Bool(&readOnly, "read-only", false, "take no writes and need no log: answer the xAPI and analyst reads from --views (built by `jejak replay --out DIR`), refuse every write with 405; credentials from --credentials only")
	f.String(&viewsFrom, "views", "", "with --read-only: the directory of views to serve, as `jejak replay --out DIR` left it")
	f.Bool(&demo, "demo", false, "on an empty log, make a demo agency (units, people, a year of learning, pending claims, assessments) and its sign-in accounts, their secrets written once to DATA/demo-akun.txt; a log holding the demo is left as it is, any other log is refused")
	if err := f.parse(args); err != nil {
		return err
	}
	cfg.replicasGiven = f.isGiven("replicas")
	logger, err := newLogger(cfg.LogLevel, stderr)
	if err != nil {
		return err
	}
	switch {
	case viewsFrom != "" && !readOnly:
		return usageError{"--views serves replayed views read-only: give --read-only too"}
	case readOnly && demo:
		return usageError{"--demo writes a demo to the log: it does not go with --read-only"}
	case readOnly && viewsFrom == "":
		return usageError{"--read-only serves views built by `jejak replay --out DIR`: give --views DIR"}
	case readOnly:
		return serveReadOnly(ctx, cfg, viewsFrom, logger, stdout)
	}
	if cfg.MemoryMB > 0 && getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(cfg.MemoryMB) << 20)
	}
	lock, err := lockData(cfg.Data)
	if err != nil {
		return err
	}
	defer lock.unlock()
	fixedCreds, err := flagCredentials(cfg.Credentials)
	if err != nil {
		return err
	}
	sessions, err := webSessions(cfg)
	if err != nil {
		return err
	}
	oidc, err := cfg.OIDC.open(sessions, logger)
	if err != nil {
		return err
	}
	if oidc != nil {
		// a provider out of reach is logged and tried again on use
		_ = oidc.Discover(ctx)
	}
	if cfg.NATSListen != "" {
		if cfg.NATSURL != "" {
			return usageError{"--nats-listen opens the embedded server's port: it does not go with --nats-url"}
		}
		if cfg.natsAuth, err = loadNATSAuth(cfg.Data, cfg.NATSListen, cfg.Stream, stdout); err != nil {
			return err
		}
		if host, _, _ := net.SplitHostPort(cfg.NATSListen); !isLoopback(host) {
			logger.Warn("the NATS port is not on loopback: its passwords and the log cross the network in clear; put TLS in front of it or keep it on 127.0.0.1", "component", "nats", "listen", cfg.NATSListen)
		}
	}

	lc, err := openLog(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer lc.close()
	jp, err := loadJPOptions(cfg)
	if err != nil {
		return err
	}
	frameworks, err := bangkom.LoadFrameworks(rulesFS(cfg))
	if err != nil {
		return err
	}
	views, err := projections.Open(viewsDir(cfg), int64(cfg.CacheMB)<<20, jp)
	if err != nil {
		return err
	}
	defer views.Close()
	views.OnForeign(func(view string, seq uint64, err error) {
		logger.Warn("passing over a foreign event: it is not Jejak's and stays in the log (jejak audit verify lists it)", "component", "projector", "view", view, "seq", seq, "err", err)
	})

	// Attachment data lives beside the log, in a bucket named after it.
	objects, err := natslog.OpenObjects(ctx, lc.nc, natslog.ObjectsConfig{Bucket: cfg.Stream + "_ATTACHMENTS", Replicas: lc.log.Replicas(), Logger: logger})
	if err != nil {
		return err
	}

	// Reads of personal data are recorded in a stream of their own.
	access, err := natslog.OpenAccess(ctx, lc.nc, natslog.AccessConfig{Stream: cfg.Stream + "_ACCESS", Replicas: lc.log.Replicas(),
		Retention: cfg.AccessRetention, Logger: logger})
	if err != nil {
		return err
	}

	// One node at a time decides and appends; the others forward their
	// writes to it (ADR 26).
	node, err := nodeID(cfg.Data)
	if err != nil {
		return err
	}
	lease, err := natslog.OpenLease(ctx, lc.nc, natslog.LeaseConfig{Bucket: cfg.Stream + "_DECIDER", Replicas: lc.log.Replicas(),
		Node: node, Subject: natslog.DecideSubject(cfg.Stream, node), TTL: cfg.LeaseTTL, Logger: logger.With("component", "lease", "node", node)})
	if err != nil {
		return err
	}
	appender := lrs.NewAppender(lrs.AppenderConfig{Log: lc.log, View: views.Statements, Documents: views.Documents, Linger: cfg.Linger, MaxLag: cfg.MaxViewLag,
		Lease: lease.Held, NoPipeline: lc.log.Replicas() > 1, Logger: logger.With("component", "appender")})
	door := natslog.NewDoor(natslog.DoorConfig{Conn: lc.nc, Appender: appender, Lease: lease, Statements: views.Statements, Documents: views.Documents,
		Timeout: cfg.DecideTimeout, Logger: logger.With("component", "door")})
	health := &logHealth{lc: lc, appender: appender, lease: lease}
	maxBody := min(int64(cfg.MaxBody), int64(lc.log.MaxEventSize()-64<<10))
	integrity := new(projections.Integrity) // a break of the log's hash chain the views met
	met := newMetrics(appender, views, integrity)
	keyring := lrs.NewKeyring(fixedCreds)
	met.watchAccess(access)
	met.watchLease(lease)
	srv := api.New(api.Config{
		Auth:               keyring,
		Credentials:        keyring,
		Statements:         views.Statements,
		Documents:          views.Documents,
		JP:                 views.JP,
		BangkomProfile:     bangkomProfile(),
		Frameworks:         frameworks,
		Writer:             door,
		Logger:             logger,
		MaxBodyBytes:       maxBody,
		Attachments:        objects,
		MaxAttachmentBytes: int64(cfg.MaxAttach),
		CORSOrigins:        strings.Split(cfg.CORS, ","),
		APICORSOrigins:     strings.Split(cfg.APICORS, ","),
		BodyTimeout:        cfg.BodyTimeout,
		MinBodyRate:        int64(cfg.MinBodyRate),
		Observe:            met.observe,
		Ready: func() error {
			herr := health.ready()
			// kept apart from the log's health (a restart does not mend a
			// broken chain), and named first: it is what an operator must see
			if err := integrity.Err(); err != nil {
				return err
			}
			return herr
		},
		OIDC:     oidc,
		Sessions: sessions,
		Access:   access,
		HomePage: cfg.HomePage,
		// GET /api/v1/status
		Node: func() api.NodeStatus {
			st := api.NodeStatus{Node: node}
			if h, self, ok := lease.Holder(); ok {
				st.Decider, st.Deciding = h.Node, self
			}
			return st
		},
		LogHead: func(ctx context.Context) (string, uint64, error) {
			head, err := lc.log.LastSeq(ctx)
			return lc.log.Name(), head, err
		},
		Views:     statusViews(views),
		Integrity: integrity,
		// GET /api/v1/status?nodes=all: every node of the log answers
		Nodes: func(ctx context.Context, digests bool) ([]json.RawMessage, error) {
			answers, err := natslog.GatherStatus(ctx, lc.nc, lc.log.Name(), digests, statusGatherWait, statusSettle)
			out := make([]json.RawMessage, 0, len(answers))
			for _, a := range answers {
				if json.Valid(a) {
					out = append(out, a)
				}
			}
			return out, err
		},
	})
	statusSub, err := natslog.AnswerStatus(lc.nc, lc.log.Name(), func(digests bool) []byte {
		b, _ := json.Marshal(srv.StatusOf(ctx, digests))
		return b
	})
	if err != nil {
		return fmt.Errorf("answering status requests: %w", err)
	}
	defer statusSub.Unsubscribe()
	maxConns, nofile, err := connLimit(cfg.MaxConns)
	if err != nil {
		return err
	}
	if maxConns < cfg.MaxConns {
		logger.Warn("fewer HTTP connections than --max-conns fit in RLIMIT_NOFILE", "component", "http", "max_conns", maxConns, "rlimit_nofile", nofile)
	}
	tcp, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	ln := newLimitListener(tcp, maxConns, cfg.MaxConnsIP)
	met.watchConnections(ln)
	var mln net.Listener
	if cfg.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("metrics listen on %s: %w", cfg.MetricsAddr, err)
		}
	}
	// Bodies get their deadline per request from the API (--body-timeout,
	// --min-body-rate), so a slow but steady large upload is not cut.
	pages, err := web.New(web.Config{API: srv, Logger: logger})
	if err != nil {
		ln.Close()
		return err
	}
	httpSrv := &http.Server{Handler: pages, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 64 << 10}

	// Every long-lived goroutine is owned here and stopped in order:
	// HTTP, then the access log (it stores the reads HTTP answered), then
	// the appender, then the projectors; then the deferred closes run:
	// Pebble, NATS, the embedded server, the lock.
	failed := make(chan error, 5+len(views.All()))
	appCtx, stopAppender := context.WithCancel(context.WithoutCancel(ctx))
	projCtx, stopProjectors := context.WithCancel(context.WithoutCancel(ctx))
	accCtx, stopAccess := context.WithCancel(context.WithoutCancel(ctx))
	accDone := make(chan struct{})
	go func() {
		defer close(accDone)
		access.Run(accCtx, 10*time.Second)
	}()
	projDone := make(chan error, 1)
	go func() {
		err := projections.RunAllWatched(projCtx, lc.log, views.All(), logger, integrity)
		projDone <- err
		if err != nil {
			failed <- err
		}
	}()
	// The credentials are folded from the log's jejak.credentials events
	// (only those are read), in memory, for as long as the node serves.
	credsDone := make(chan error, 1)
	credsCtx, credsStopped := context.WithCancel(ctx) // done when the fold stops
	go func() {
		defer credsStopped()
		err := lrs.FollowCredentials(projCtx, lc.log, keyring, func(seq uint64, err error) {
			logger.Warn("passing over a credentials event", "component", "credentials", "seq", seq, "err", err)
		})
		credsDone <- err
		if err != nil {
			failed <- fmt.Errorf("credentials: %w", err)
		}
	}()
	appDone := make(chan error, 1)
	go func() {
		err := appender.Run(appCtx)
		appDone <- err
		if err != nil {
			failed <- err
		}
	}()
	// The lease outlives the appender: it is given up once nothing more
	// is appended. The door takes forwarded writes while the appender runs.
	leaseCtx, stopLease := context.WithCancel(context.WithoutCancel(ctx))
	leaseDone := make(chan struct{})
	go func() {
		defer close(leaseDone)
		lease.Run(leaseCtx)
	}()
	doorDone := make(chan error, 1)
	go func() {
		err := door.Run(appCtx)
		doorDone <- err
		if err != nil {
			failed <- err
		}
	}()
	var bootErr error
	// HTTP opens once some node is known to decide (this one, on its own):
	// a write that comes at once is not kept waiting for it.
	lease.WaitKnown(ctx, cfg.DecideTimeout)
	bootErr = keyring.WaitApplied(credsCtx, 0)
	if bootErr == nil && demo {
		bootErr = startDemo(ctx, demoEnv{Head: lc.log.LastSeq, Keyring: keyring, Events: door, API: srv, Data: cfg.Data, Place: logPlace(cfg),
			Addr: ln.Addr().String(), HomePage: cfg.HomePage, Stdout: stdout, Now: time.Now()})
	}
	if bootErr == nil {
		bootErr = bootstrapCredentials(ctx, door, keyring, len(fixedCreds), cfg.Data, ln.Addr().String(), stdout)
	}
	if bootErr == nil && keyring.Len() == 0 {
		logger.Warn("no credential is in use: every request gets 401; add one with `jejak credentials add --data` on the stopped node", "component", "credentials")
	}
	httpDone := make(chan error, 1)
	go func() {
		if bootErr != nil {
			httpDone <- nil
			if ctx.Err() == nil {
				failed <- bootErr
			}
			return
		}
		err := httpSrv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		httpDone <- err
		if err != nil {
			failed <- err
		}
	}()
	metDone := make(chan struct{})
	if mln != nil {
		go func() {
			defer close(metDone)
			if err := met.serve(appCtx, mln); err != nil {
				logger.Warn("metrics", "err", err)
			}
		}()
	} else {
		close(metDone)
	}
	go health.watch(appCtx, cfg.FailureExit, failed, logger)
	logger.Info("serving", "component", "http", "addr", ln.Addr().String(), "max_conns", maxConns, "max_conns_per_ip", cfg.MaxConnsIP, "rlimit_nofile", nofile, "log", lc.log.Name(), "embedded", lc.srv != nil, "data", cfg.Data)
	fmt.Fprintf(stdout, "jejak: web (Bahasa Indonesia / English) at http://%s/\n", ln.Addr())
	fmt.Fprintf(stdout, "jejak: serving xAPI at http://%s/xapi\n", ln.Addr())

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-failed:
	}
	logger.Info("shutting down", "component", "http")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil {
		logger.Warn("http shutdown", "err", err)
	}
	stopAccess()
	<-accDone
	stopAppender()
	if err := <-appDone; err != nil && runErr == nil {
		runErr = err
	}
	<-doorDone
	stopLease()
	<-leaseDone
	<-metDone // a scrape reads the views' databases: done before they close
	stopProjectors()
	if err := <-projDone; err != nil && runErr == nil {
		runErr = err
	}
	if err := <-credsDone; err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// isLoopback reports whether host names this machine only.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// logHealth says whether the node can write its log: the connection is up,
// the embedded server's JetStream runs, and the last append (or reading
// of the tail after a failed one) succeeded.
type logHealth struct {
	lc       *logConn
	appender *lrs.Appender
	lease    *natslog.Lease // the appender's failures count while it decides

	mu    sync.Mutex
	since time.Time // when the log became unhealthy; zero while healthy
}

// problem names what is wrong with the log now, nil when nothing is.
func (h *logHealth) problem() error {
	if st := h.lc.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("the connection to NATS is %s", strings.ToLower(st.String()))
	}
	if h.lc.srv != nil && !h.lc.srv.JetStreamEnabled() {
		return errors.New("the embedded server's JetStream is disabled (its store could not be written)")
	}
	if _, _, known := h.lease.Holder(); !known {
		return errors.New("no node decides for the log now: writes wait for one to take the lease")
	}
	if _, deciding := h.lease.Held(); !deciding {
		return nil // writes go to the deciding node: its health is its own
	}
	if since, err := h.appender.Failing(); !since.IsZero() {
		return fmt.Errorf("appends to the log fail: %w", err)
	}
	return nil
}

// ready is /readyz: nil while the log can be written.
func (h *logHealth) ready() error {
	err := h.problem()
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err == nil:
		h.since = time.Time{}
	case h.since.IsZero():
		h.since = time.Now()
	}
	return err
}

// watch checks the log every second until ctx is done. A problem that
// lasts longer than grace is sent to failed: the node stops and exits
// non-zero, for a supervisor to start it afresh (a new connection, a new
// embedded server, the tail read again) rather than answer 500 forever.
func (h *logHealth) watch(ctx context.Context, grace time.Duration, failed chan<- error, logger *slog.Logger) {
	if grace <= 0 {
		return
	}
	tick := time.NewTicker(min(time.Second, grace/4))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		err := h.ready()
		h.mu.Lock()
		since := h.since
		h.mu.Unlock()
		if err == nil {
			continue
		}
		if d := time.Since(since); d >= grace {
			failed <- fmt.Errorf("the log has not been usable for %v (--log-failure-exit): %w; exiting so that a supervisor starts Jejak again", d.Round(time.Second), err)
			return
		}
		logger.Warn("the log is not usable; /readyz answers 503", "component", "health", "for", time.Since(since).Round(time.Second), "err", err)
	}
}
