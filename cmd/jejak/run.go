package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
)

// usageError is a mistake in the command line; main exits 2 for it.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitError ends the program with its own exit status.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

const usage = `jejak — an event-sourced xAPI learning record store.

Usage:
  jejak serve   [flags]   run the LRS (embedded NATS JetStream by default)
  jejak serve --read-only --views DIR   answer reads from views built by replay --out, with no log
  jejak serve --demo      on an empty data directory, first make a demo agency to try every page
  jejak replay  [flags]   rebuild the views from the log (server stopped), or build them as of a moment
  jejak log export        the log as NDJSON, one event a line
  jejak audit verify      check the hash chain of a log or an export; sign or check a head
  jejak audit views       compare the live views with a rebuild from the log
  jejak audit keygen      make an Ed25519 key pair for signing heads
  jejak audit access      who read whose personal data, from the access log
  jejak people import FILE.csv      send the person registry (CSV or .xlsx) to a running Jejak
  jejak positions import FILE.json  send position standards to a running Jejak
  jejak export siasn --year 2026    recognised learning as SIASN riwayat rows
  jejak credentials add|list|rotate|revoke   manage credentials (kept on the log)
  jejak bench   [flags]   load an xAPI endpoint with ASN traffic and report
  jejak status --url URL[,URL...]   compare nodes: log head, views' positions and digests
  jejak help              this text

Run "jejak <command> -h" for a command's flags. Every flag has a JEJAK_*
environment fallback, e.g. --data and JEJAK_DATA.
`

// run is the whole program: main only maps its error to an exit code.
// A command asked for -h has printed its flags and ends without error.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	err := runCommand(ctx, args, getenv, stdin, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// flagError turns a flag parsing error into a usage error (-h passes).
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return usageError{err.Error()}
}

func runCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], getenv, stdout, stderr)
	case "replay":
		return runReplay(ctx, args[1:], getenv, stdout, stderr)
	case "people":
		return runPeople(ctx, args[1:], getenv, stdout, stderr)
	case "positions":
		return runPositions(ctx, args[1:], getenv, stdout, stderr)
	case "credentials":
		return runCredentials(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "export":
		return runExport(ctx, args[1:], getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], getenv, stdout, stderr)
	case "status":
		return runStatus(ctx, args[1:], getenv, stdout, stderr)
	case "log":
		return runLog(ctx, args[1:], getenv, stdout, stderr)
	case "audit":
		return runAudit(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
}

// envFlags binds flags to JEJAK_* environment fallbacks: a flag given on the
// command line wins, else the environment, else the default.
type envFlags struct {
	fs     *flag.FlagSet
	getenv func(string) string
	env    map[string]string // flag name → env name
	given  map[string]bool   // flags set by parse: on the command line or from the environment
}

func newFlags(name string, getenv func(string) string, stderr io.Writer) *envFlags {
	fs := flag.NewFlagSet("jejak "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &envFlags{fs: fs, getenv: getenv, env: map[string]string{}}
}

func envName(flagName string) string {
	return "JEJAK_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (f *envFlags) String(p *string, name, def, help string) {
	f.env[name] = envName(name)
	f.fs.StringVar(p, name, def, help+" ["+envName(name)+"]")
}

func (f *envFlags) Int(p *int, name string, def int, help string) {
	f.env[name] = envName(name)
	f.fs.IntVar(p, name, def, help+" ["+envName(name)+"]")
}

func (f *envFlags) Bool(p *bool, name string, def bool, help string) {
	f.env[name] = envName(name)
	f.fs.BoolVar(p, name, def, help+" ["+envName(name)+"]")
}

func (f *envFlags) Duration(p *time.Duration, name string, def time.Duration, help string) {
	f.env[name] = envName(name)
	f.fs.DurationVar(p, name, def, help+" ["+envName(name)+"]")
}

// parse parses args, then fills every flag not given from the environment.
func (f *envFlags) parse(args []string) error {
	if err := f.fs.Parse(args); err != nil {
		return flagError(err)
	}
	if f.fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", f.fs.Arg(0))}
	}
	given := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	var err error
	f.fs.VisitAll(func(fl *flag.Flag) {
		if given[fl.Name] || err != nil {
			return
		}
		if v := f.getenv(f.env[fl.Name]); v != "" {
			if serr := fl.Value.Set(v); serr != nil {
				err = usageError{fmt.Sprintf("%s=%q: %v", f.env[fl.Name], v, serr)}
			}
			given[fl.Name] = true
		}
	})
	f.given = given
	return err
}

// isGiven reports whether the flag name was set on the command line or by
// its environment fallback, rather than left at its default.
func (f *envFlags) isGiven(name string) bool { return f.given[name] }

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("--log-level %q: want debug, info, warn or error", level)}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// dataLock holds the data directory for one process.
type dataLock struct{ f *os.File }

// lockData takes an exclusive lock on dir so that two processes never open
// the same log and views.
func lockData(dir string) (*dataLock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(path)
		f.Close()
		return nil, fmt.Errorf("data directory %s is in use by another jejak process (%s); stop it first or choose another --data", dir, strings.TrimSpace(string(owner)))
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+" since "+time.Now().UTC().Format(time.RFC3339)+"\n"), 0)
	return &dataLock{f: f}, nil
}

func (l *dataLock) unlock() {
	_ = l.f.Truncate(0)
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}

// nodeID returns the id of the node of data directory dir, made on first
// use and kept in dir/node-id: a node that restarts is the same node, and
// takes back at once a lease it held (ADR 26). Two running nodes never
// share a data directory (lockData), so never an id.
func nodeID(dir string) (string, error) {
	path := filepath.Join(dir, "node-id")
	b, err := os.ReadFile(path)
	if err == nil {
		id, perr := uuid.ParseBytes(bytes.TrimSpace(b))
		if perr != nil {
			return "", fmt.Errorf("%s does not hold a node id (%v): remove it for a new one", path, perr)
		}
		return id.String(), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read the node id: %w", err)
	}
	id := uuid.NewString()
	if err := writeFileAtomic(path, []byte(id+"\n"), 0o640); err != nil {
		return "", fmt.Errorf("keep the node id: %w", err)
	}
	return id, nil
}

// writeFileAtomic writes data to path through a temporary file renamed
// over it: a crash leaves the old file or the new one, never half of one.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, perm); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
