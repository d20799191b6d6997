package bangkom_test

import (
	"testing"
	"time"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/schemas"
)

// withProviderApproves returns the shipped rules with form's
// provider_approves set to on (a copy: the shipped set is left as it is).
func withProviderApproves(t *testing.T, form string, on bool) *bangkom.RuleSet {
	t.Helper()
	rules, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	r := *rules.Forms[form]
	r.ProviderApproves = on
	rules.Forms[form] = &r
	return rules
}

// Whether a provider's claim is approved on arrival is the form's rule
// (provider_approves), not its category: an agency that sets it for
// NK-ELEARN has e-learning completed on a provider LMS count at once; with
// the shipped rule (false) it waits for the supervisor. A claim from a
// credential without the provider role waits either way, and a verifier's
// later rejection still overrides the approval on arrival.
func TestCompute_ProviderApprovesIsARuleField(t *testing.T) {
	const nip = "199001012015011001"
	person := bangkom.Person{NIP: nip, Type: "PNS", Timezone: "WIB"}
	jp := 2.0
	claim := func(id string, seq uint64, provider bool) bangkom.Claim {
		return bangkom.Claim{StatementID: id, Seq: seq, NIP: nip, Timestamp: time.Date(2026, 3, int(seq)+1, 3, 0, 0, 0, time.UTC),
			Form: "NK-ELEARN", DeclaredJP: &jp, Days: 1, By: "lms-pusdiklat", Provider: provider}
	}
	facts := bangkom.Facts{Person: person, Claims: []bangkom.Claim{claim("provider", 1, true), claim("ordinary", 2, false), claim("rejected", 3, true)},
		Decisions: map[string][]bangkom.Decision{"rejected": {{StatementID: "d1", Seq: 4, Claim: "rejected", By: "bkd", Verifier: true}}}}
	states := func(rules *bangkom.RuleSet) map[string]bangkom.Item {
		got := map[string]bangkom.Item{}
		for _, it := range bangkom.Compute(facts, rules, 2026, 0).Items {
			got[it.StatementID] = it
		}
		return got
	}

	shipped, err := bangkom.LoadRules(schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	if shipped.Forms["NK-ELEARN"].ProviderApproves {
		t.Fatal("the shipped NK-ELEARN rule approves on arrival; this test wants it not to")
	}
	for _, tc := range []struct {
		name  string
		rules *bangkom.RuleSet
		want  map[string]string // statement id → state/approved_by, or for a rejected claim state/rejected_by
	}{
		{"shipped rules: e-learning waits", shipped, map[string]string{
			"provider": "pending/", "ordinary": "pending/", "rejected": "rejected/verifier:bkd"}},
		{"provider_approves false", withProviderApproves(t, "NK-ELEARN", false), map[string]string{
			"provider": "pending/", "ordinary": "pending/", "rejected": "rejected/verifier:bkd"}},
		{"provider_approves true", withProviderApproves(t, "NK-ELEARN", true), map[string]string{
			"provider": "approved/provider:lms-pusdiklat", "ordinary": "pending/", "rejected": "rejected/verifier:bkd"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := states(tc.rules)
			for id, want := range tc.want {
				it := got[id]
				by := it.ApprovedBy
				if it.State == bangkom.Rejected {
					by = it.RejectedBy
				}
				if s := it.State + "/" + by; s != want {
					t.Errorf("%s: %s, want %s", id, s, want)
				}
			}
		})
	}

	// And the other way: a classroom form whose rule says false waits too.
	rules := withProviderApproves(t, "KLS-TEKNIS", false)
	f := bangkom.Facts{Person: person, Claims: []bangkom.Claim{claim("kls", 1, true)}}
	f.Claims[0].Form = "KLS-TEKNIS"
	if it := bangkom.Compute(f, rules, 2026, 0).Items[0]; it.State != bangkom.Pending {
		t.Errorf("KLS-TEKNIS with provider_approves false: %s by %q, want pending", it.State, it.ApprovedBy)
	}
	if it := bangkom.Compute(f, shipped, 2026, 0).Items[0]; it.State != bangkom.Approved || it.ApprovedBy != "provider:lms-pusdiklat" {
		t.Errorf("KLS-TEKNIS shipped: %s by %q, want approved by the provider", it.State, it.ApprovedBy)
	}
}
