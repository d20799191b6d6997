package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/natslog"
	"github.com/jejak-id/jejak/projections"
)

const credentialsUsage = `usage:
  jejak credentials add KEY [--name INSTITUTION] [--roles r,r] [--scopes s,s] [--store S] [--units u,u] [--person NIP] [--strict]
  jejak credentials update KEY [the fields of add to change, e.g. --strict=false]
  jejak credentials rotate KEY
  jejak credentials revoke KEY
  jejak credentials list [--format table|json]
against a running Jejak: [--url URL] --auth ADMIN_KEY [--secret-file FILE|-] (the admin's
secret from the file, or from standard input; --auth KEY:SECRET and JEJAK_AUTH also work);
or on the data directory of a stopped one: --data DIR.
A new secret is made by Jejak and printed once; only its bcrypt hash is kept, on the log
(update keeps the secret). --strict: statements meant as learning claims that would not
count are refused with 400 instead of stored (see "Claim problems" in the README).
Roles: admin, analyst, verifier, assessor, provider, auditor.
Scopes: statements/write, statements/read, statements/read/mine, state, define, profile, all/read, all
(default: statements/write, statements/read/mine, state, profile).`

// runCredentials serves `jejak credentials add|list|revoke|rotate`.
func runCredentials(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{credentialsUsage}
	}
	op := args[0]
	switch op {
	case "add", "update", "rotate", "revoke", "list":
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, credentialsUsage)
		return nil
	default:
		return usageError{fmt.Sprintf("unknown credentials command %q\n%s", op, credentialsUsage)}
	}
	var cc clientConfig
	var secretFile, data, format, stream string
	var req api.CredentialRequest
	var name, roles, scopes, store, units, person string
	var strict optBool
	f := newFlags("credentials "+op, getenv, stderr)
	f.String(&cc.URL, "url", "http://127.0.0.1:8080", "base URL of the running Jejak")
	f.String(&cc.Auth, "auth", "", "key of an admin credential (its secret from --secret-file or standard input), or key:secret")
	f.String(&secretFile, "secret-file", "", "file holding the admin's secret ('-': standard input)")
	// --data and the credential's fields come from the command line only:
	// a JEJAK_DATA meant for serve must not turn a call into an offline change.
	f.fs.StringVar(&data, "data", "", "data directory of a stopped Jejak: change its log directly instead of calling a running one")
	f.String(&stream, "stream", natslog.DefaultStream, "with --data: name of the JetStream stream that holds the log")
	if op == "add" || op == "update" {
		f.fs.Var(&strict, "strict", "refuse statements meant as learning claims that would not count (400), instead of storing them")
		f.fs.StringVar(&name, "name", "", "display name: the institution (SIASN's institusiPenyelenggara)")
		f.fs.StringVar(&roles, "roles", "", "comma-separated roles")
		f.fs.StringVar(&scopes, "scopes", "", "comma-separated xAPI scopes (default: statements/write,statements/read/mine,state,profile)")
		f.fs.StringVar(&store, "store", "", "store (tenant) of its documents (default: default)")
		f.fs.StringVar(&units, "units", "", "comma-separated units or instansi (analyst scope)")
		f.fs.StringVar(&person, "person", "", "NIP of the person the credential acts for")
	}
	if op == "list" {
		f.String(&format, "format", "table", "table or json")
	}
	// flags may come after the key
	var positional []string
	rest := args[1:]
	for {
		if err := f.fs.Parse(rest); err != nil {
			return flagError(err)
		}
		if f.fs.NArg() == 0 {
			break
		}
		positional = append(positional, f.fs.Arg(0))
		rest = f.fs.Args()[1:]
	}
	if err := f.parse(nil); err != nil {
		return err
	}
	// parse(nil) resets nothing given on the command line; flags given stay
	want := 1
	if op == "list" {
		want = 0
	}
	if len(positional) != want {
		return usageError{credentialsUsage}
	}
	if want == 1 {
		req.Key = positional[0]
	}
	list := func(s string) *[]string {
		if s == "" {
			return nil
		}
		var out []string
		for _, x := range strings.Split(s, ",") {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
		return &out
	}
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	req.Name, req.Roles, req.Scopes, req.Store, req.Units, req.Person = opt(name), list(roles), list(scopes), opt(store), list(units), opt(person)
	req.Strict = strict.v
	req.Rotate, req.Update = op == "rotate", op == "update"

	var m credentialsManager
	if data != "" {
		om, closeFn, err := openOfflineCredentials(ctx, data, stream, stderr)
		if err != nil {
			return err
		}
		defer closeFn()
		m = om
	} else {
		if err := cc.resolveSecret(secretFile, stdin); err != nil {
			return err
		}
		m = remoteCredentials{cc: cc}
	}
	switch op {
	case "list":
		creds, err := m.list(ctx)
		if err != nil {
			return err
		}
		if format == "json" {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(creds)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY\tNAME\tROLES\tSCOPES\tSTORE\tPERSON\tSTRICT\tSTATE\tCREATED")
		for _, c := range creds {
			state := "active"
			if !c.Active {
				state = "revoked " + c.Revoked.Format(time.RFC3339)
			}
			if c.Source == "flag" {
				state = "--credentials"
			}
			created := ""
			if !c.Created.IsZero() {
				created = c.Created.Format(time.RFC3339) + " by " + c.CreatedBy
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%v\t%s\t%s\n", c.Key, c.Name, strings.Join(c.Roles, ","), strings.Join(c.Scopes, ","), c.Store, c.Person, c.Strict, state, created)
		}
		return tw.Flush()
	case "revoke":
		seq, err := m.revoke(ctx, req.Key)
		if err != nil {
			return fmt.Errorf("revoke %s: %w", req.Key, err)
		}
		fmt.Fprintf(stdout, "revoked credential %s (log sequence %d): it is refused from now on\n", req.Key, seq)
		return nil
	default:
		res, err := m.put(ctx, req)
		if err != nil {
			return fmt.Errorf("%s %s: %w", op, req.Key, err)
		}
		if req.Update {
			fmt.Fprintf(stdout, "updated credential %s (log sequence %d); its secret is unchanged\n", res.Credential.Key, res.Seq)
			return nil
		}
		verb := "created"
		if req.Rotate {
			verb = "rotated"
		}
		fmt.Fprintf(stdout, `%s credential %s (log sequence %d); only a hash of the secret is kept.
  key:    %s
  secret: %s
This is the only time the secret is shown.
`, verb, res.Credential.Key, res.Seq, res.Credential.Key, res.Secret)
		return nil
	}
}

// resolveSecret completes --auth KEY with the secret of --secret-file, or
// of standard input, so that it is never on a command line.
func (c *clientConfig) resolveSecret(secretFile string, stdin io.Reader) error {
	if c.Auth == "" {
		return usageError{"--auth ADMIN_KEY is required (or JEJAK_AUTH), or --data of a stopped Jejak"}
	}
	if strings.Contains(c.Auth, ":") {
		if secretFile != "" {
			return usageError{"--auth KEY:SECRET and --secret-file do not go together"}
		}
		return nil
	}
	var r io.Reader
	switch secretFile {
	case "", "-":
		if stdin == nil {
			return usageError{"no secret for --auth " + c.Auth + ": give --secret-file or pipe it on standard input"}
		}
		r = stdin
	default:
		file, err := os.Open(secretFile)
		if err != nil {
			return err
		}
		defer file.Close()
		r = file
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the secret: %w", err)
	}
	secret := strings.TrimSpace(line)
	if secret == "" {
		return usageError{"no secret for --auth " + c.Auth + " in --secret-file or standard input"}
	}
	c.Auth += ":" + secret
	return nil
}

type credentialsManager interface {
	list(ctx context.Context) ([]api.CredentialInfo, error)
	put(ctx context.Context, req api.CredentialRequest) (api.CredentialCreated, error)
	revoke(ctx context.Context, key string) (uint64, error)
}

// remoteCredentials calls /api/v1/credentials of a running Jejak, or of
// h in process.
type remoteCredentials struct {
	cc clientConfig
	h  http.Handler
}

func (r remoteCredentials) do(ctx context.Context, method, path string, body, out any) error {
	key, secret, _ := strings.Cut(r.cc.Auth, ":")
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(r.cc.URL, "/")+path, rd)
	if err != nil {
		return err
	}
	req.SetBasicAuth(key, secret)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	var res *http.Response
	if r.h != nil {
		req.RemoteAddr = "127.0.0.1:0"
		rec := httptest.NewRecorder()
		r.h.ServeHTTP(rec, req)
		res = rec.Result()
	} else {
		client := http.Client{Timeout: time.Minute}
		if res, err = client.Do(req); err != nil {
			return fmt.Errorf("reach Jejak at %s: %w", r.cc.URL, err)
		}
	}
	return readAnswer(res, 8<<20, out)
}

func (r remoteCredentials) list(ctx context.Context) ([]api.CredentialInfo, error) {
	var out []api.CredentialInfo
	return out, r.do(ctx, http.MethodGet, "/api/v1/credentials", nil, &out)
}

func (r remoteCredentials) put(ctx context.Context, req api.CredentialRequest) (api.CredentialCreated, error) {
	var out api.CredentialCreated
	return out, r.do(ctx, http.MethodPost, "/api/v1/credentials", req, &out)
}

func (r remoteCredentials) revoke(ctx context.Context, key string) (uint64, error) {
	var out struct{ Seq uint64 }
	return out.Seq, r.do(ctx, http.MethodDelete, "/api/v1/credentials/"+url.PathEscape(key), nil, &out)
}

// openOfflineCredentials opens the embedded log of data (locked, so the
// node must be stopped), folds its credentials, runs an appender over the
// node's statement and document views, and serves /api/v1/credentials in
// process to a credential "cli" made for this run: the same checks and
// events as against a running node, by "cli".
func openOfflineCredentials(ctx context.Context, data, stream string, stderr io.Writer) (remoteCredentials, func(), error) {
	var none remoteCredentials
	if _, err := os.Stat(filepath.Join(data, "nats")); err != nil {
		return none, nil, fmt.Errorf("--data %s holds no log (no nats/ directory): start Jejak there once first", data)
	}
	var cfg config
	cfg.Data, cfg.Stream, cfg.Replicas = data, stream, 1
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	lock, err := lockData(data)
	if err != nil {
		return none, nil, err
	}
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	closers = append(closers, lock.unlock)
	lc, err := openLog(ctx, cfg, logger)
	if err != nil {
		closeAll()
		return none, nil, err
	}
	closers = append(closers, lc.close)
	views, err := projections.Open(viewsDir(cfg), 16<<20, nil)
	if err != nil {
		closeAll()
		return none, nil, err
	}
	closers = append(closers, func() { views.Close() })
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	k := lrs.NewKeyring(nil)
	appender := lrs.NewAppender(lrs.AppenderConfig{Log: lc.log, View: views.Statements, Documents: views.Documents, Logger: logger})
	done := make(chan struct{}, 3)
	go func() { _ = projections.RunAll(runCtx, lc.log, views.All(), logger); done <- struct{}{} }()
	go func() { _ = appender.Run(runCtx); done <- struct{}{} }()
	go func() { _ = lrs.FollowCredentials(runCtx, lc.log, k, nil); done <- struct{}{} }()
	closers = append(closers, func() {
		stop()
		for range 3 {
			<-done
		}
	})
	if err := k.WaitApplied(ctx, 0); err != nil {
		closeAll()
		return none, nil, err
	}
	secret := rand.Text()
	cli, err := lrs.NewCredential("cli", secret, []string{lrs.RoleAdmin})
	if err != nil {
		closeAll()
		return none, nil, err
	}
	srv := api.New(api.Config{Auth: lrs.NewKeyring([]lrs.Credential{cli}), Credentials: k, Writer: appender, Logger: logger})
	return remoteCredentials{cc: clientConfig{URL: "http://jejak.invalid", Auth: "cli:" + secret}, h: srv}, closeAll, nil
}

// optBool is a boolean flag that knows whether it was given: --strict,
// --strict=false, or absent (nil: unchanged).
type optBool struct{ v *bool }

func (o *optBool) String() string {
	if o == nil || o.v == nil {
		return ""
	}
	return strconv.FormatBool(*o.v)
}

func (o *optBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false, not %q", s)
	}
	o.v = &b
	return nil
}

func (o *optBool) IsBoolFlag() bool { return true }
