package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// The probe on a served node with --credentials: two platforms of
// the default scopes, an admin, one of another store. lms2 cannot read or
// void lms's statement; the refusal names the rule; an admin can.
func TestServe_PolicyProbe(t *testing.T) {
	s := startServe(t, t.TempDir(), "--credentials", "lms:s-lms,lms2:s-lms2,adm:s-adm:admin,other:s-other::agency2")
	id := uuid.NewString()
	body, _ := json.Marshal(statement(id, completedVerb, "https://pusdiklat.example.go.id/kelas/1"))
	send(t, "POST", s.base+"/statements", "lms", "s-lms", string(body), 200)
	send(t, "GET", s.base+"/statements?statementId="+id, "lms", "s-lms", "", 200)
	send(t, "GET", s.base+"/statements?statementId="+id, "lms2", "s-lms2", "", 404)
	send(t, "GET", s.base+"/statements?statementId="+id, "other", "s-other", "", 404)
	void := `{"actor":{"mbox":"mailto:lms2@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},"object":{"objectType":"StatementRef","id":"` + id + `"}}`
	got := send(t, "POST", s.base+"/statements", "lms2", "s-lms2", void, 403)
	if !strings.Contains(string(got), "(policy: void)") {
		t.Fatalf("refusal does not name the rule: %s", got)
	}
	send(t, "GET", s.base+"/statements?statementId="+id, "adm", "s-adm", "", 200)
	send(t, "POST", s.base+"/statements", "adm", "s-adm", void, 200)
	send(t, "GET", s.base+"/statements?voidedStatementId="+id, "lms", "s-lms", "", 200)
}
