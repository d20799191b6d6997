package natslog

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedConfig configures the in-process nats-server.
type EmbeddedConfig struct {
	StoreDir   string // JetStream file store
	Listen     string // host:port for outside clients (the nats CLI); "" listens nowhere
	MaxPayload int32  // largest message; 0 means 8 MiB
	Logger     *slog.Logger
	// Auth, when set, makes every client authenticate: Jejak as
	// InternalUser, an auditor read-only (see AuditorPermissions).
	Auth *EmbeddedAuth
}

// EmbeddedAuth are the users of an embedded server that outside clients
// can reach.
type EmbeddedAuth struct {
	// InternalPassword is the secret of InternalUser, Jejak's own
	// connection in this process, with every right. It is made afresh at
	// each start and never stored or shown.
	InternalPassword string
	// Auditor is the read-only user for operators and auditors; its
	// password is a bcrypt hash ("$2a$…"), which nats-server checks.
	Auditor, AuditorHash string
}

// InternalUser is the NATS user of Jejak's own connection.
const InternalUser = "jejak"

// AuditorPermissions let a NATS client inspect and read every stream of
// the account (stream info, get a message, ephemeral consumers to read in
// order) and nothing else: it cannot publish on the log's subjects
// (jejak.>) or the access log's (jejak_access.>), nor forward a write to the deciding node
// (jejak_decide.>) or ask the nodes for their status (jejak_status.>), nor touch the attachment store or the lease, nor create, change, purge or
// delete a stream or a message, nor make durable consumers.
func AuditorPermissions() *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{
			Allow: []string{
				"$JS.API.INFO",
				"$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST",
				"$JS.API.STREAM.INFO.*",
				"$JS.API.STREAM.MSG.GET.*",
				"$JS.API.DIRECT.GET.*", "$JS.API.DIRECT.GET.*.>",
				"$JS.API.CONSUMER.CREATE.*", "$JS.API.CONSUMER.CREATE.*.>",
				"$JS.API.CONSUMER.INFO.*.*", "$JS.API.CONSUMER.NAMES.*", "$JS.API.CONSUMER.LIST.*",
				"$JS.API.CONSUMER.MSG.NEXT.*.*", "$JS.API.CONSUMER.DELETE.*.*",
				"$JS.ACK.>", "$JS.FC.>",
			},
			Deny: []string{"jejak.>", "jejak_access.>", "jejak_decide.>", "jejak_status.>", "$O.>", "$KV.>"},
		},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
	}
}

// DefaultMaxPayload is the embedded server's largest message.
const DefaultMaxPayload = 8 << 20

// StartEmbedded starts a nats-server with JetStream in this process, writing
// under cfg.StoreDir and syncing every write before acknowledging it. The
// caller shuts it down with Shutdown and WaitForShutdown.
func StartEmbedded(cfg EmbeddedConfig) (*server.Server, error) {
	opts := &server.Options{
		ServerName: "jejak",
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		SyncAlways: true,
		NoSigs:     true,
		MaxPayload: cfg.MaxPayload,
		DontListen: cfg.Listen == "",
	}
	if opts.MaxPayload == 0 {
		opts.MaxPayload = DefaultMaxPayload
	}
	if a := cfg.Auth; a != nil {
		if a.InternalPassword == "" || a.Auditor == "" || a.AuditorHash == "" {
			return nil, fmt.Errorf("embedded nats-server: the internal password and the auditor's user and password hash are all needed")
		}
		opts.Users = []*server.User{
			{Username: InternalUser, Password: a.InternalPassword},
			{Username: a.Auditor, Password: a.AuditorHash, Permissions: AuditorPermissions()},
		}
	}
	if cfg.Listen != "" {
		host, port, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("nats listen address %q: %w", cfg.Listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("nats listen port %q: %w", port, err)
		}
		opts.Host, opts.Port = host, p
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats-server: %w", err)
	}
	if cfg.Logger != nil {
		s.SetLoggerV2(serverLogger{cfg.Logger.With("component", "nats")}, false, false, false)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("embedded nats-server did not become ready in 30s (store %s)", cfg.StoreDir)
	}
	return s, nil
}

// serverLogger bridges the nats-server logger to slog.
type serverLogger struct{ l *slog.Logger }

func (s serverLogger) Noticef(format string, v ...any) { s.l.Debug(fmt.Sprintf(format, v...)) }
func (s serverLogger) Warnf(format string, v ...any)   { s.l.Warn(fmt.Sprintf(format, v...)) }
func (s serverLogger) Fatalf(format string, v ...any)  { s.l.Error(fmt.Sprintf(format, v...)) }
func (s serverLogger) Errorf(format string, v ...any)  { s.l.Error(fmt.Sprintf(format, v...)) }
func (s serverLogger) Debugf(format string, v ...any)  { s.l.Debug(fmt.Sprintf(format, v...)) }
func (s serverLogger) Tracef(format string, v ...any)  { s.l.Debug(fmt.Sprintf(format, v...)) }
