package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/natslog"
)

// logRange selects events of the log.
type logRange struct {
	FromSeq, ToSeq uint64
	Since, Until   time.Time
	Store          string
}

func (r logRange) wants(env lrs.Envelope) bool {
	return (r.Since.IsZero() || env.Stored.After(r.Since)) && (r.Until.IsZero() || !env.Stored.After(r.Until)) && (r.Store == "" || env.Store == r.Store)
}

// followLog calls fn with every event from r.FromSeq up to r.ToSeq (or the
// log's last sequence when the walk began), in order. Events the log cannot
// give (a damaged store lost them) are handed to gap with why, and the walk
// goes on after them unless gap returns an error.
func followLog(ctx context.Context, lc *logConn, r logRange, fn func(lrs.LogEvent) error, gap func(from, to uint64, why error) error) error {
	last, err := lc.log.LastSeq(ctx)
	if err != nil {
		return err
	}
	if r.ToSeq == 0 || r.ToSeq > last {
		r.ToSeq = last
	}
	from := max(r.FromSeq, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := errors.New("done")
	for from <= r.ToSeq {
		err = lc.log.Follow(ctx, from, func(evs []lrs.LogEvent) error {
			for _, ev := range evs {
				if ev.Seq > r.ToSeq {
					return done
				}
				if err := fn(ev); err != nil {
					return err
				}
				if ev.Seq == r.ToSeq {
					return done
				}
			}
			return nil
		})
		if errors.Is(err, done) {
			return nil
		}
		var ge *lrs.GapError
		if !errors.As(err, &ge) {
			return err
		}
		// why the first of them cannot be read, as the log says it
		_, why := lc.log.Get(ctx, ge.From)
		if why == nil {
			why = errors.New("the log skips it when read in order")
		}
		if err := gap(ge.From, min(ge.To, r.ToSeq), why); err != nil {
			return err
		}
		from = ge.To + 1
	}
	return nil
}

// gapReason says which events a gap of followLog holds and why.
func gapReason(from, to uint64, why error) string {
	if from == to {
		return fmt.Sprintf("event %d cannot be read: %v", from, why)
	}
	return fmt.Sprintf("events %d to %d cannot be read (event %d: %v)", from, to, from, why)
}

// logFlags binds the flags that choose a log: --data (embedded, server
// stopped) or --nats-url (a running one).
func logFlags(f *envFlags, cfg *config) {
	f.String(&cfg.Data, "data", "./data", "data directory of an embedded log (stop its server first)")
	f.String(&cfg.NATSURL, "nats-url", "", "read the log from this running NATS JetStream instead")
	f.String(&cfg.Stream, "stream", "JEJAK", "name of the stream that holds the log")
	f.String(&cfg.LogLevel, "log-level", "warn", "debug, info, warn or error")
}

// openAuditLog opens the log for reading: the embedded one under the data
// directory's lock, or an external one. It never creates, checks or
// changes the stream.
func openAuditLog(ctx context.Context, cfg config, stderr io.Writer) (*logConn, func(), error) {
	logger, err := newLogger(cfg.LogLevel, stderr)
	if err != nil {
		return nil, nil, err
	}
	var lock *dataLock
	if cfg.NATSURL == "" {
		if _, err := os.Stat(cfg.Data); err != nil {
			return nil, nil, fmt.Errorf("data directory %s: %w", cfg.Data, err)
		}
		if lock, err = lockData(cfg.Data); err != nil {
			return nil, nil, err
		}
	}
	lc, err := connectLog(cfg, logger.With("component", "audit"))
	if err == nil {
		// Reading takes the stream as it is: its replicas, or anything
		// else of its configuration, are no reader's business.
		if lc.log, err = natslog.OpenReading(ctx, lc.nc, cfg.Stream); err != nil {
			lc.close()
			if errors.Is(err, natslog.ErrNoStream) {
				err = fmt.Errorf("%s holds no log stream %s: nothing to read (is --stream right?)", logPlace(cfg), cfg.Stream)
			}
		}
	}
	if err != nil {
		if lock != nil {
			lock.unlock()
		}
		return nil, nil, err
	}
	return lc, func() {
		lc.close()
		if lock != nil {
			lock.unlock()
		}
	}, nil
}

// runLog serves `jejak log export`.
func runLog(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usageText = "usage: jejak log export [--data DIR | --nats-url URL] [--from-seq N] [--to-seq N] [--since T] [--until T] [--store S] [--out FILE]"
	if len(args) == 0 || args[0] != "export" {
		return usageError{usageText}
	}
	var cfg config
	var from, to int
	var since, until, store, out string
	f := newFlags("log export", getenv, stderr)
	logFlags(f, &cfg)
	f.Int(&from, "from-seq", 1, "first sequence")
	f.Int(&to, "to-seq", 0, "last sequence (default: the last one)")
	f.String(&since, "since", "", "only events stored after this RFC 3339 time")
	f.String(&until, "until", "", "only events stored at or before this RFC 3339 time")
	f.String(&store, "store", "", "only events of this store")
	f.String(&out, "out", "", "write to this file instead of standard output")
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	r := logRange{FromSeq: uint64(max(from, 1)), ToSeq: uint64(max(to, 0)), Store: store}
	for _, t := range []struct {
		name string
		in   string
		dst  *time.Time
	}{{"since", since, &r.Since}, {"until", until, &r.Until}} {
		if t.in == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339Nano, t.in)
		if err != nil {
			return usageError{fmt.Sprintf("--%s %q: want an RFC 3339 time", t.name, t.in)}
		}
		*t.dst = v
	}
	lc, closeLog, err := openAuditLog(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	var unreadable, missing []unreadableEvent
	err = withOutput(out, stdout, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		var err error
		if unreadable, missing, err = exportLog(ctx, lc, r, json.NewEncoder(bw)); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return err
	}
	if len(unreadable) > 0 {
		fmt.Fprintf(stderr, "jejak: log export: %d events could not be shown; their lines hold their exact bytes (data) and say why (unreadable):\n", len(unreadable))
		listEvents(stderr, unreadable)
	}
	if len(missing) > 0 {
		fmt.Fprintf(stderr, "jejak: log export: the log cannot give every event (a damaged store?): the export holds every other event, and lacks:\n")
		listEvents(stderr, missing)
		return errMissing
	}
	if len(unreadable) > 0 {
		return errUnreadable
	}
	return nil
}

// errMissing makes main exit with status 4: the log could not give some
// events, and the export lacks them (listed above).
var errMissing = exitError{code: 4, msg: "the export lacks events the log could not give (listed above); it holds every other one"}

// errUnreadable makes main exit with status 3: the export is complete,
// but some events are written with their data only.
var errUnreadable = exitError{code: 3, msg: "the export holds every event, some of them unreadable (listed above)"}

// unreadableEvent is an event an export or a verification could not read.
type unreadableEvent struct {
	seq    uint64
	reason string
}

// listEvents writes one line per event, at most 100, then how many more.
func listEvents(w io.Writer, evs []unreadableEvent) {
	const most = 100
	for i, e := range evs {
		if i == most {
			fmt.Fprintf(w, "  … and %d more\n", len(evs)-most)
			return
		}
		fmt.Fprintf(w, "  sequence %d: %s\n", e.seq, e.reason)
	}
}

// exportLog writes the events r selects as export lines. An event it
// cannot show is written with its data only (see lrs.ExportLine) and
// returned; it never stops at one. A foreign event has no stored time or
// store: with --since, --until or --store it is left out (and returned).
//
// Events the log cannot give at all are left out, returned as missing,
// and the export goes on after them.
func exportLog(ctx context.Context, lc *logConn, r logRange, enc *json.Encoder) (unreadable, missing []unreadableEvent, err error) {
	enc.SetEscapeHTML(false)
	var p fastjson.Parser
	filtered := !r.Since.IsZero() || !r.Until.IsZero() || r.Store != ""
	err = followLog(ctx, lc, r, func(ev lrs.LogEvent) error {
		if filtered {
			env, err := lrs.ReadEvent(&p, ev.Seq, ev.Data)
			if err != nil {
				unreadable = append(unreadable, unreadableEvent{ev.Seq, err.Error() + " (left out: it has no stored time or store to select by)"})
				return nil
			}
			if !r.wants(env) {
				return nil
			}
		}
		l, err := lrs.NewExportLine(ev)
		if err != nil {
			unreadable = append(unreadable, unreadableEvent{ev.Seq, err.Error()})
		}
		return enc.Encode(l)
	}, func(from, to uint64, why error) error {
		missing = append(missing, unreadableEvent{from, gapReason(from, to, why)})
		return nil
	})
	return unreadable, missing, err
}

// runAudit serves `jejak audit verify|views|keygen`.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"usage: jejak audit verify|views|keygen|access [flags]"}
	}
	switch args[0] {
	case "verify":
		return runVerify(ctx, args[1:], getenv, stdout, stderr)
	case "views":
		return runAuditViews(ctx, args[1:], getenv, stdout, stderr)
	case "keygen":
		return runKeygen(args[1:], getenv, stdout, stderr)
	case "access":
		return runAuditAccess(ctx, args[1:], getenv, stdout, stderr)
	}
	return usageError{fmt.Sprintf("unknown audit command %q (verify, views, keygen, access)", args[0])}
}

// errBroken makes main exit non-zero after verify printed what is wrong.
var errBroken = errors.New("the log is not intact")

func runVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	var file, sign, check, head, headOut string
	f := newFlags("audit verify", getenv, stderr)
	logFlags(f, &cfg)
	f.String(&file, "file", "", "verify this export (jejak log export) instead of a log")
	f.String(&sign, "sign", "", "Ed25519 private key (PEM) to sign the verified head with")
	f.String(&headOut, "head-out", "", "with --sign: write the signed head here (default: standard output)")
	f.String(&check, "check-signature", "", "Ed25519 public key (PEM) to check a signed head with (see --head)")
	f.String(&head, "head", "", "with --check-signature: the signed head (JSON) to check against this log")
	if err := f.parse(args); err != nil {
		return err
	}
	var signed lrs.SignedHead
	var pub ed25519.PublicKey
	if check != "" {
		if head == "" {
			return usageError{"--check-signature needs --head FILE"}
		}
		b, err := os.ReadFile(head)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &signed); err != nil {
			return fmt.Errorf("%s: not a signed head: %w", head, err)
		}
		if pub, err = readPublicKey(check); err != nil {
			return err
		}
	}
	var key ed25519.PrivateKey
	if sign != "" {
		var err error
		if key, err = readPrivateKey(sign); err != nil {
			return err
		}
	}

	var v *lrs.Verifier
	stream := cfg.Stream
	var verr error
	if file != "" {
		fh, err := os.Open(file)
		if err != nil {
			return err
		}
		defer fh.Close()
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 256<<20)
		line := 0
		for sc.Scan() {
			line++
			if v == nil {
				var first struct{ Seq uint64 }
				_ = json.Unmarshal(sc.Bytes(), &first)
				v = lrs.NewVerifier(max(first.Seq, 1))
				v.Watch(signed.Seq)
			}
			if verr = v.Line(sc.Bytes(), line); verr != nil {
				break
			}
		}
		if err := sc.Err(); err != nil && verr == nil {
			verr = fmt.Errorf("reading %s: %w", file, err)
		}
		if v == nil {
			return fmt.Errorf("%s holds no events", file)
		}
	} else {
		lc, closeLog, err := openAuditLog(ctx, cfg, stderr)
		if err != nil {
			return err
		}
		defer closeLog()
		v = lrs.NewVerifier(1)
		v.Watch(signed.Seq)
		verr = followLog(ctx, lc, logRange{}, func(ev lrs.LogEvent) error { return v.Event(ev.Seq, ev.Data, 0) },
			func(from, to uint64, why error) error {
				return &lrs.ChainError{Seq: from, Reason: gapReason(from, to, why) + ": the store lost it, or it was altered"}
			})
	}
	sum := v.Summary()
	if verr != nil {
		fmt.Fprintf(stdout, "BROKEN at %v\n", verr)
		fmt.Fprintf(stdout, "verified before it: events %d to %d (%d events)\n", sum.First, sum.Last, sum.Events)
		return errBroken
	}
	fmt.Fprintf(stdout, "intact: events %d to %d (%d events)\nhead: %s\n", sum.First, sum.Last, sum.Events, sum.Head)
	for _, c := range sum.SortedCounts() {
		fmt.Fprintf(stdout, "  %s\n", c)
	}
	if len(sum.Foreign) > 0 {
		fmt.Fprintf(stdout, "foreign: %d events are not Jejak's; every view passes over them and the chain runs past them (docs/adr/0009-foreign-events.md):\n", len(sum.Foreign))
		evs := make([]unreadableEvent, len(sum.Foreign))
		for i, f := range sum.Foreign {
			evs[i] = unreadableEvent{f.Seq, f.Reason}
			if f.LinkedBy > 0 {
				evs[i].reason += fmt.Sprintf(" (event %d links to it)", f.LinkedBy)
			}
		}
		listEvents(stdout, evs)
	}
	if check != "" {
		if err := lrs.CheckHead(signed, pub, func(seq uint64) (string, bool) {
			if seq == sum.Last {
				return sum.Head, true
			}
			return v.Watched()
		}); err != nil {
			fmt.Fprintf(stdout, "signed head %d: %v\n", signed.Seq, err)
			return errBroken
		}
		fmt.Fprintf(stdout, "signed head %d (%s, signed %s) holds\n", signed.Seq, signed.Hash, signed.SignedAt)
	}
	if key != nil {
		h := lrs.SignHead(key, stream, sum, time.Now())
		b, _ := json.MarshalIndent(h, "", "  ")
		if headOut != "" {
			return os.WriteFile(headOut, append(b, '\n'), 0o644)
		}
		fmt.Fprintf(stdout, "%s\n", b)
	}
	return nil
}

// runKeygen writes an Ed25519 key pair for signing heads: PREFIX.key
// (PKCS #8, keep it secret) and PREFIX.pub (PKIX, publish it).
func runKeygen(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var prefix string
	f := newFlags("audit keygen", getenv, stderr)
	f.String(&prefix, "out", "auditor", "file name prefix: writes PREFIX.key and PREFIX.pub")
	if err := f.parse(args); err != nil {
		return err
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	kb, _ := x509.MarshalPKCS8PrivateKey(key)
	pb, _ := x509.MarshalPKIXPublicKey(pub)
	if err := os.WriteFile(prefix+".key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(prefix+".pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pb}), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s.key (keep it secret) and %s.pub\n", prefix, prefix)
	return nil
}

func readPEM(path, typ string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != typ {
		return nil, fmt.Errorf("%s: not a PEM %s", path, typ)
	}
	return block.Bytes, nil
}

func readPrivateKey(path string) (ed25519.PrivateKey, error) {
	der, err := readPEM(path, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if key, ok := k.(ed25519.PrivateKey); err == nil && ok {
		return key, nil
	}
	return nil, fmt.Errorf("%s: not an Ed25519 private key", path)
}

func readPublicKey(path string) (ed25519.PublicKey, error) {
	der, err := readPEM(path, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if key, ok := k.(ed25519.PublicKey); err == nil && ok {
		return key, nil
	}
	return nil, fmt.Errorf("%s: not an Ed25519 public key", path)
}
