package api_test

import (
	"errors"
	"testing"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/projections"
)

// brokenChain is a chain that broke at seq.
type brokenChain struct{ seq uint64 }

func (b brokenChain) Err() error {
	return errors.New("the log's hash chain breaks at sequence 7: prev does not match")
}
func (b brokenChain) BreakSeq() uint64 { return b.seq }

// GET /api/v1/status shows through which sequence the views verified the
// log's hash chain, and a break.
func TestStatus_Chain(t *testing.T) {
	e := newStatusEnv(t, func(c *api.Config) { c.Integrity = new(projections.Integrity) })
	expect(t, e.admin.do(t, req{method: "POST", path: "/people", body: `[{"nip":"199001012015011001","name":"Siti","unit":"U1","type":"PNS","timezone":"WIB"}]`}), 200)
	st, raw := e.status(t, "")
	if st.Chain == nil || st.Chain.Break != nil || st.Log == nil || st.Log.Head == nil {
		t.Fatalf("status %+v: want an intact chain", raw)
	}
	var high uint64
	for _, v := range st.Views {
		high = max(high, v.Position)
	}
	if st.Chain.VerifiedThrough != high || high == 0 {
		t.Fatalf("chain verified through %d, want the highest view position %d", st.Chain.VerifiedThrough, high)
	}

	b := newStatusEnv(t, func(c *api.Config) { c.Integrity = brokenChain{seq: 7} })
	st, _ = b.status(t, "")
	if st.Chain == nil || st.Chain.Break == nil || st.Chain.Break.Seq != 7 || st.Chain.VerifiedThrough != 6 {
		t.Fatalf("status of a broken chain: %+v, want the break at 7, verified through 6", st.Chain)
	}
	n := newStatusEnv(t, nil)
	if _, raw := n.status(t, ""); raw["chain"] != nil {
		t.Fatalf("a node that checks no chain shows chain %v, want null", raw["chain"])
	}
}
