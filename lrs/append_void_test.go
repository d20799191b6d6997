package lrs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
)

// authored is a stored-form statement with by's authority, voiding target
// when target is not nil.
func authored(t *testing.T, by lrs.Authority, id, target uuid.UUID) lrs.Statement {
	t.Helper()
	object, verb := `{"id":"http://e.com/a"}`, "http://adlnet.gov/expapi/verbs/completed"
	if target != uuid.Nil {
		object, verb = fmt.Sprintf(`{"objectType":"StatementRef","id":%q}`, target), "http://adlnet.gov/expapi/verbs/voided"
	}
	js := fmt.Sprintf(`{"id":%q,"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":%q},"object":%s,"authority":%s,"version":"1.0.0"}`, id, verb, object, by.Agent)
	return lrs.Statement{ID: id, JSON: []byte(js), Hash: lrs.ContentHash(fastjson.MustParse(js))}
}

// The appender decides a void in log order: only the writer of the
// target, or an admin, may void it; a refused request appends nothing.
func TestAppender_VoidOnlyByTheWriterOrAnAdmin(t *testing.T) {
	node := lrstest.StartNode(t, lrstest.Log(t, lrstest.NATS(t)))
	ctx := context.Background()
	lms, lms2 := lrs.Credential{Key: "lms"}.Authority(), lrs.Credential{Key: "lms2"}.Authority()
	admin := lrs.Credential{Key: "adm", Roles: []string{lrs.RoleAdmin}}.Authority()
	s1, s2 := authored(t, lms, uuid.New(), uuid.Nil), authored(t, lms, uuid.New(), uuid.Nil)
	if _, err := node.Appender.Append(ctx, []lrs.Statement{s1, s2}, lms); err != nil {
		t.Fatal(err)
	}
	refused := func(t *testing.T, stmts []lrs.Statement, by lrs.Authority) {
		t.Helper()
		last := node.Appender.LastSeq()
		_, err := node.Appender.Append(ctx, stmts, by)
		if lrs.ErrorCode(err) != lrs.EFORBIDDEN || !strings.Contains(lrs.ErrorMessage(err), "(policy: void)") {
			t.Fatalf("err = %v, want 403 naming policy void", err)
		}
		if node.Appender.LastSeq() != last {
			t.Fatal("a refused request appended an event")
		}
	}
	t.Run("another credential, just appended (not yet in the view, maybe)", func(t *testing.T) {
		refused(t, []lrs.Statement{authored(t, lms2, uuid.New(), s1.ID)}, lms2)
	})
	t.Run("another credential, in the view", func(t *testing.T) {
		if err := node.View.WaitApplied(ctx, node.Appender.LastSeq()); err != nil {
			t.Fatal(err)
		}
		refused(t, []lrs.Statement{authored(t, lms2, uuid.New(), s1.ID)}, lms2)
	})
	t.Run("another credential resending the target in the same request", func(t *testing.T) {
		resent := authored(t, lms2, s1.ID, uuid.Nil) // same content; the first writer's stays
		refused(t, []lrs.Statement{resent, authored(t, lms2, uuid.New(), s1.ID)}, lms2)
	})
	t.Run("the writer and an admin", func(t *testing.T) {
		if _, err := node.Appender.Append(ctx, []lrs.Statement{authored(t, lms, uuid.New(), s1.ID)}, lms); err != nil {
			t.Fatal(err)
		}
		if _, err := node.Appender.Append(ctx, []lrs.Statement{authored(t, admin, uuid.New(), s2.ID)}, admin); err != nil {
			t.Fatal(err)
		}
		if err := node.View.WaitApplied(ctx, node.Appender.LastSeq()); err != nil {
			t.Fatal(err)
		}
		for _, id := range []uuid.UUID{s1.ID, s2.ID} {
			if _, err := node.View.Statement(ctx, id, true); err != nil {
				t.Fatalf("%s not voided: %v", id, err)
			}
		}
	})
	t.Run("a statement and its voiding in one request; an absent target", func(t *testing.T) {
		own := authored(t, lms2, uuid.New(), uuid.Nil)
		if _, err := node.Appender.Append(ctx, []lrs.Statement{own, authored(t, lms2, uuid.New(), own.ID)}, lms2); err != nil {
			t.Fatal(err)
		}
		if _, err := node.Appender.Append(ctx, []lrs.Statement{authored(t, lms2, uuid.New(), uuid.New())}, lms2); err != nil {
			t.Fatal(err)
		}
	})
}
