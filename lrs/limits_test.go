package lrs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// TestStatementTerms_ManyAgents: a statement whose team and group hold
// thousands of agents, some of them twice, gets each agent's term once,
// narrow when the agent is in the actor.
func TestStatementTerms_ManyAgents(t *testing.T) {
	const n = 3000
	members := func(from, to int) string {
		ms := make([]string, 0, to-from)
		for i := from; i < to; i++ {
			ms = append(ms, fmt.Sprintf(`{"mbox":"mailto:m%d@example.com"}`, i))
		}
		return strings.Join(ms, ",")
	}
	v := fastjson.MustParse(`{"actor":{"objectType":"Group","member":[` + members(0, n) + `]},"verb":{"id":"http://e.com/v"},"object":{"id":"http://e.com/a"},
		"context":{"team":{"objectType":"Group","member":[` + members(n/2, n+n/2) + `]},"instructor":{"mbox":"mailto:m1@example.com"}}}`)
	terms := StatementTerms(v)
	seen := map[TermKey]bool{}
	for _, term := range terms {
		if seen[term.Key] {
			t.Fatalf("term %x twice", term.Key)
		}
		seen[term.Key] = true
	}
	if want := n + n/2 + 2; len(terms) != want { // agents, verb, activity
		t.Fatalf("%d terms, want %d", len(terms), want)
	}
	for i, want := range map[int]bool{1: true, n - 1: true, n: false, n + n/2 - 1: false} {
		key := MakeTermKey(TermAgent, IFI(fastjson.MustParse(fmt.Sprintf(`{"mbox":"mailto:m%d@example.com"}`, i))))
		found := false
		for _, term := range terms {
			if term.Key == key {
				found = true
				if term.Narrow != want {
					t.Fatalf("m%d: narrow %v, want %v", i, term.Narrow, want)
				}
			}
		}
		if !found {
			t.Fatalf("m%d: no term", i)
		}
	}
	more := MergeTerms(terms[:10:10], terms)
	if len(more) != len(terms) {
		t.Fatalf("merged %d terms, want %d", len(more), len(terms))
	}
}
