package projections_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/projections"
)

var t0 = time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)

func stmt(id, verb, object string) string {
	return fmt.Sprintf(`{"id":%q,"stored":"","actor":{"mbox":"mailto:a@example.com"},"verb":{"id":%q},"object":%s,"version":"1.0.0"}`, id, verb, object)
}

func activity(iri string) string { return fmt.Sprintf(`{"id":%q}`, iri) }

func ref(id string) string { return fmt.Sprintf(`{"objectType":"StatementRef","id":%q}`, id) }

// events builds a log of one event per group of statements.
func events(groups ...[]string) []lrs.LogEvent {
	var out []lrs.LogEvent
	var prev lrs.Hash
	for i, g := range groups {
		seq := uint64(i + 1)
		payload := `{"batches":[{"by":"k","statements":[` + strings.Join(g, ",") + `]}]}`
		data := lrs.EncodeEnvelope(nil, lrs.EventStatements, 1, seq, "default", t0.Add(time.Duration(i)*time.Second), prev, []byte(payload))
		prev = lrs.HashEvent(data)
		out = append(out, lrs.LogEvent{Seq: seq, Subject: "jejak.default.statements", Data: data})
	}
	return out
}

const completed = "http://adlnet.gov/expapi/verbs/completed"

func ids(page lrs.StatementPage) []string {
	var out []string
	for _, s := range page.Statements {
		out = append(out, s.ID.String()[:8])
	}
	return out
}

func id(n int) string { return fmt.Sprintf("%08d-0000-4000-8000-000000000000", n) }

func TestStatementIndex_Apply(t *testing.T) {
	ctx := context.Background()
	ix := lrstest.StatementView(t)
	evs := events(
		[]string{stmt(id(1), completed, activity("http://e.com/1")), stmt(id(2), completed, activity("http://e.com/2"))},
		[]string{stmt(id(3), lrs.VoidVerb, ref(id(1)))},                  // voids 1
		[]string{stmt(id(4), lrs.VoidVerb, ref(id(3)))},                  // voiding a voiding statement: ignored (XAPI-00016)
		[]string{stmt(id(5), lrs.VoidVerb, ref(id(6)))},                  // voids 6 before it arrives
		[]string{stmt(id(6), completed, activity("http://e.com/6"))},     // arrives voided
		[]string{stmt(id(2), completed, activity("http://e.com/other"))}, // same id later: first writer wins
	)
	if err := ix.Apply(evs[:3]); err != nil {
		t.Fatal(err)
	}
	if err := ix.Apply(evs[3:]); err != nil {
		t.Fatal(err)
	}
	if seq, stored := ix.Applied(); seq != 6 || !stored.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("Applied = %d, %v", seq, stored)
	}

	t.Run("XAPI-00018 voided statement not found by statementId", func(t *testing.T) {
		_, err := ix.Statement(ctx, uuid.MustParse(id(1)), false)
		if lrs.ErrorCode(err) != lrs.ENOTFOUND {
			t.Fatalf("err = %v, want not found", err)
		}
		s, err := ix.Statement(ctx, uuid.MustParse(id(1)), true)
		if err != nil || !s.Voided {
			t.Fatalf("voidedStatementId: %+v, %v", s, err)
		}
	})
	t.Run("XAPI-00016 voiding statement cannot be voided", func(t *testing.T) {
		if _, err := ix.Statement(ctx, uuid.MustParse(id(3)), false); err != nil {
			t.Fatalf("voiding statement 3 was voided: %v", err)
		}
	})
	t.Run("void before target", func(t *testing.T) {
		if _, err := ix.Statement(ctx, uuid.MustParse(id(6)), true); err != nil {
			t.Fatalf("statement 6 not voided: %v", err)
		}
	})
	t.Run("XAPI-00142 first writer wins", func(t *testing.T) {
		s, err := ix.Statement(ctx, uuid.MustParse(id(2)), false)
		if err != nil || !bytes.Contains(s.JSON, []byte("http://e.com/2")) || s.Seq != 1 {
			t.Fatalf("statement 2 = %s (seq %d), %v", s.JSON, s.Seq, err)
		}
	})
	t.Run("XAPI-00162 listing leaves out voided statements, newest first", func(t *testing.T) {
		page, err := ix.Statements(ctx, lrs.StatementQuery{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(ids(page), " "), "00000005 00000004 00000003 00000002"; got != want || !page.Next.IsZero() {
			t.Fatalf("listing = %s (next %+v), want %s", got, page.Next, want)
		}
	})
	t.Run("XAPI-00108 keyset pages in both orders", func(t *testing.T) {
		for _, asc := range []bool{false, true} {
			var all []string
			q := lrs.StatementQuery{Limit: 1, Ascending: asc}
			for range 10 {
				page, err := ix.Statements(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, ids(page)...)
				if page.Next.IsZero() {
					break
				}
				q.After = page.Next
			}
			want := "00000005 00000004 00000003 00000002"
			if asc {
				want = "00000002 00000003 00000004 00000005"
			}
			if got := strings.Join(all, " "); got != want {
				t.Errorf("ascending=%v pages = %s, want %s", asc, got, want)
			}
		}
	})
	t.Run("content hash of stored statements", func(t *testing.T) {
		if _, ok, err := ix.ContentHash(ctx, uuid.MustParse(id(2))); !ok || err != nil {
			t.Fatalf("ContentHash(2) = %v, %v", ok, err)
		}
		if _, ok, _ := ix.ContentHash(ctx, uuid.MustParse(id(99))); ok {
			t.Fatal("ContentHash found a statement never stored")
		}
	})
}

func TestStatementIndex_ResumesAndRebuildsIdentically(t *testing.T) {
	var groups [][]string
	for i := 1; i <= 40; i++ {
		g := []string{stmt(id(i), completed, activity(fmt.Sprintf("http://e.com/%d", i)))}
		if i%7 == 0 {
			g = append(g, stmt(id(1000+i), lrs.VoidVerb, ref(id(i-3))))
		}
		groups = append(groups, g)
	}
	evs := events(groups...)

	dir := t.TempDir()
	ix, err := projections.OpenStatementIndex(dir, lrstest.PebbleOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Apply(evs[:25]); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	ix, err = projections.OpenStatementIndex(dir, lrstest.PebbleOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if ix.Checkpoint() != 25 {
		t.Fatalf("checkpoint after reopen = %d, want 25", ix.Checkpoint())
	}
	// Events already applied are passed over: exactly once.
	if err := ix.Apply(evs[20:]); err != nil {
		t.Fatal(err)
	}

	fresh := lrstest.StatementView(t)
	for _, ev := range evs {
		if err := fresh.Apply([]lrs.LogEvent{ev}); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := dump(t, ix), dump(t, fresh); a != b {
		t.Fatalf("resumed view differs from a rebuild:\n%s\n---\n%s", a, b)
	}
	da, err := ix.Digest()
	if err != nil {
		t.Fatal(err)
	}
	db, err := fresh.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if da != db {
		t.Fatalf("digest of resumed view %s != digest of rebuild %s", da, db)
	}
}

// dump lists a view's statements as the API would serve them.
func dump(t *testing.T, ix *projections.StatementIndex) string {
	t.Helper()
	var sb strings.Builder
	q := lrs.StatementQuery{Limit: 7, Ascending: true}
	for {
		page, err := ix.Statements(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Statements {
			sb.Write(s.JSON)
			sb.WriteByte('\n')
		}
		if page.Next.IsZero() {
			break
		}
		q.After = page.Next
	}
	seq, stored := ix.Applied()
	fmt.Fprintf(&sb, "applied %d %s\n", seq, stored)
	return sb.String()
}

func agentStmt(id, mbox, verb, object string) string {
	return fmt.Sprintf(`{"id":%q,"stored":"","actor":{"mbox":%q},"verb":{"id":%q},"object":%s,"version":"1.0.0"}`, id, mbox, verb, object)
}

// Statements that target another with a StatementRef match the target's
// filters, recursively, also when they arrive before their target.
func TestStatementIndex_StatementRefFilters(t *testing.T) {
	ix := lrstest.StatementView(t)
	const ben, andrew = "mailto:ben@example.com", "mailto:andrew@example.com"
	evs := events(
		[]string{agentStmt(id(2), andrew, "http://e.com/confirmed", ref(id(1)))}, // targets 1 before it exists
		[]string{agentStmt(id(3), andrew, "http://e.com/noted", ref(id(2)))},     // targets 2: chain 3 → 2 → 1
		[]string{agentStmt(id(1), ben, "http://e.com/passed", activity("http://e.com/explosives"))},
		[]string{agentStmt(id(4), andrew, "http://e.com/other", activity("http://e.com/x"))},
	)
	if err := ix.Apply(evs); err != nil {
		t.Fatal(err)
	}
	query := func(f lrs.StatementFilter) string { return queryIDs(t, ix, f, true) }
	benIFI := "mbox\x00" + ben
	if got, want := query(lrs.StatementFilter{Agent: benIFI}), "00000002 00000003 00000001"; got != want {
		t.Errorf("agent=ben: %s, want %s", got, want)
	}
	if got, want := query(lrs.StatementFilter{Activity: "http://e.com/explosives"}), "00000002 00000003 00000001"; got != want {
		t.Errorf("activity=explosives: %s, want %s", got, want)
	}
	if got, want := query(lrs.StatementFilter{Agent: "mbox\x00" + andrew, Verb: "http://e.com/passed"}), "00000002 00000003"; got != want {
		t.Errorf("agent=andrew verb=passed: %s, want %s", got, want)
	}
	if got, want := query(lrs.StatementFilter{Agent: "mbox\x00" + andrew}), "00000002 00000003 00000004"; got != want {
		t.Errorf("agent=andrew: %s, want %s", got, want)
	}
	// Rebuilding in one chunk or event by event gives the same bytes.
	fresh := lrstest.StatementView(t)
	for _, ev := range evs {
		if err := fresh.Apply([]lrs.LogEvent{ev}); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := ix.Digest()
	b, _ := fresh.Digest()
	if a != b {
		t.Fatal("chunked and event-by-event folds differ")
	}
}

// bound is a since or until filter; the zero time.Time leaves it out.
func bound(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// The time bounds of a query come from the stored-time index.
func TestStatementIndex_SinceUntil(t *testing.T) {
	ctx := context.Background()
	ix := lrstest.StatementView(t)
	var groups [][]string
	for i := 1; i <= 5; i++ {
		groups = append(groups, []string{stmt(id(i), completed, activity("http://e.com/a"))})
	}
	if err := ix.Apply(events(groups...)); err != nil { // stored t0, t0+1s, …
		t.Fatal(err)
	}
	tests := []struct {
		since, until time.Time
		want         string
	}{
		{t0, time.Time{}, "00000002 00000003 00000004 00000005"},                                // since is exclusive
		{t0.Add(-time.Millisecond), t0.Add(2 * time.Second), "00000001 00000002 00000003"},      // until inclusive
		{t0.Add(1500 * time.Millisecond), t0.Add(3500 * time.Millisecond), "00000003 00000004"}, // between events
		{t0.Add(10 * time.Second), time.Time{}, ""},                                             // after everything
		{time.Time{}, t0.Add(-time.Second), ""},                                                 // before everything
		{t0.Add(999*time.Millisecond + 999*time.Microsecond), t0.Add(time.Second), "00000002"},  // sub-millisecond since
	}
	for _, tt := range tests {
		page, err := ix.Statements(ctx, lrs.StatementQuery{Filter: lrs.StatementFilter{Since: bound(tt.since), Until: bound(tt.until), Verb: completed}, Limit: 10, Ascending: true})
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := ix.Statements(ctx, lrs.StatementQuery{Filter: lrs.StatementFilter{Since: bound(tt.since), Until: bound(tt.until)}, Limit: 10, Ascending: true})
		if got := strings.Join(ids(page), " "); got != tt.want || strings.Join(ids(plain), " ") != tt.want {
			t.Errorf("since %v until %v: %q (without verb %q), want %q", tt.since, tt.until, got, strings.Join(ids(plain), " "), tt.want)
		}
	}
}

// One posting list serves a filter with and without related_agents and
// related_activities: the narrow mark on a posting decides, also for terms
// inherited through a StatementRef, where a narrow mark wins over a related
// one of the same term.
func TestStatementIndex_NarrowAndRelatedPostings(t *testing.T) {
	ix := lrstest.StatementView(t)
	const ben, ani = "mailto:ben@example.com", "mailto:ani@example.com"
	taught := func(id, actor, instructor, object, parent string) string {
		return fmt.Sprintf(`{"id":%q,"stored":"","actor":{"mbox":%q},"verb":{"id":%q},"object":{"id":%q},`+
			`"context":{"instructor":{"mbox":%q},"contextActivities":{"parent":[{"id":%q}]}},"version":"1.0.0"}`,
			id, actor, completed, object, instructor, parent)
	}
	evs := events(
		[]string{taught(id(1), ben, ani, "http://e.com/m1", "http://e.com/course")}, // ani only instructs
		[]string{agentStmt(id(2), ani, "http://e.com/approved", ref(id(1)))},        // ani as actor; inherits ben, ani related
		[]string{taught(id(3), ani, ani, "http://e.com/course", "http://e.com/m1")}, // both narrow and related: narrow
		[]string{agentStmt(id(4), ben, "http://e.com/noted", ref(id(5)))},           // target comes later
		[]string{taught(id(5), ben, ani, "http://e.com/m2", "http://e.com/course")}, // passes its terms to 4
	)
	if err := ix.Apply(evs); err != nil {
		t.Fatal(err)
	}
	query := func(f lrs.StatementFilter) string {
		got := queryIDs(t, ix, f, true)
		// newest first gives the same, reversed
		d := strings.Fields(queryIDs(t, ix, f, false))
		slices.Reverse(d)
		if strings.Join(d, " ") != got {
			t.Errorf("%+v: ascending %s, descending reversed %s", f, got, strings.Join(d, " "))
		}
		return got
	}
	for _, c := range []struct {
		f    lrs.StatementFilter
		want string
	}{
		{lrs.StatementFilter{Agent: "mbox\x00" + ani}, "00000002 00000003"},
		{lrs.StatementFilter{Agent: "mbox\x00" + ani, RelatedAgents: true}, "00000001 00000002 00000003 00000004 00000005"},
		{lrs.StatementFilter{Agent: "mbox\x00" + ben}, "00000001 00000002 00000004 00000005"},
		{lrs.StatementFilter{Activity: "http://e.com/course"}, "00000003"},
		{lrs.StatementFilter{Activity: "http://e.com/course", RelatedActivities: true}, "00000001 00000002 00000003 00000004 00000005"},
		{lrs.StatementFilter{Activity: "http://e.com/m1"}, "00000001 00000002"},
		{lrs.StatementFilter{Activity: "http://e.com/m1", RelatedActivities: true}, "00000001 00000002 00000003"},
		{lrs.StatementFilter{Agent: "mbox\x00" + ani, Activity: "http://e.com/m1"}, "00000002"},
		{lrs.StatementFilter{Agent: "mbox\x00" + ani, Activity: "http://e.com/m2", RelatedActivities: true}, ""},
		{lrs.StatementFilter{Agent: "mbox\x00" + ani, RelatedAgents: true, Activity: "http://e.com/m2"}, "00000004 00000005"},
	} {
		if got := query(c.f); got != c.want {
			t.Errorf("%q: %s, want %s", fmt.Sprintf("%+v", c.f), got, c.want)
		}
	}
}

// queryIDs returns the short ids of the first page of f, oldest first when
// asc.
func queryIDs(t *testing.T, ix *projections.StatementIndex, f lrs.StatementFilter, asc bool) string {
	t.Helper()
	page, err := ix.Statements(context.Background(), lrs.StatementQuery{Filter: f, Limit: 10, Ascending: asc})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(ids(page), " ")
}
