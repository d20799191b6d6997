package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/lrs/natslog"
)

// runAuditAccess serves `jejak audit access`: the entries of the access
// log for personal data, one JSON object a line, the oldest first.
func runAuditAccess(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	var nip, unit, supervisor, who, since, until string
	var limit int
	f := newFlags("audit access", getenv, stderr)
	logFlags(f, &cfg)
	f.String(&nip, "nip", "", "only reads of this person's own records (their JP, competencies, SIASN rows, statements); their unit's reports are --unit")
	f.String(&unit, "unit", "", "only reads of this unit's reports and exports")
	f.String(&supervisor, "supervisor", "", "only reads of this supervisor's approval queue")
	f.String(&who, "who", "", "only reads by this credential key (or person:NIP)")
	f.String(&since, "since", "", "only reads recorded at or after this RFC 3339 time")
	f.String(&until, "until", "", "only reads recorded at or before this RFC 3339 time")
	f.Int(&limit, "limit", lrs.MaxAccessLimit, fmt.Sprintf("at most this many entries (1 to %d)", lrs.MaxAccessLimit))
	if err := f.parse(args); err != nil {
		return err
	}
	q := lrs.AccessQuery{Who: who, Limit: limit}
	if limit < 1 || limit > lrs.MaxAccessLimit {
		return usageError{fmt.Sprintf("--limit %d: want 1 to %d", limit, lrs.MaxAccessLimit)}
	}
	for _, p := range []struct {
		flag, v, scope string
	}{{"nip", nip, lrs.AccessPerson}, {"supervisor", supervisor, lrs.AccessApprovals}} {
		if p.v == "" {
			continue
		}
		n, err := bangkom.ParseNIP(p.v)
		if err != nil {
			return usageError{fmt.Sprintf("--%s: %v", p.flag, err)}
		}
		q.Subjects = append(q.Subjects, lrs.AccessSubject(p.scope, string(n), ""))
	}
	if unit != "" {
		q.Subjects = append(q.Subjects, lrs.AccessUnitSubject(unit))
	}
	for _, t := range []struct {
		name, in string
		dst      *time.Time
	}{{"since", since, &q.Since}, {"until", until, &q.Until}} {
		if t.in == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339Nano, t.in)
		if err != nil {
			return usageError{fmt.Sprintf("--%s %q: want an RFC 3339 time like 2026-06-30T23:59:59+07:00", t.name, t.in)}
		}
		*t.dst = v
	}
	lc, closeLog, err := openAuditLog(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	st, err := natslog.OpenAccessReader(ctx, lc.nc, cfg.Stream+"_ACCESS")
	if err != nil {
		return err
	}
	entries, err := natslog.QueryAccess(ctx, st, q)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	for _, e := range entries {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	if len(entries) == limit {
		fmt.Fprintf(stderr, "jejak: %d entries shown, there may be more: narrow with --since or raise --limit\n", limit)
	}
	return w.Flush()
}
