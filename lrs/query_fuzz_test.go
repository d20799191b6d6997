package lrs

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// FuzzAgentParameter feeds arbitrary text to the agent parameter of a
// statement query. It must never panic; a refused value is an EINVALID
// *Error naming agent; an accepted one names an identified agent (an IFI),
// and the same agent serialised again and parsed gives the same IFI.
func FuzzAgentParameter(f *testing.F) {
	for _, s := range []string{
		`{"mbox":"mailto:a@example.com"}`,
		`{"objectType":"Agent","mbox_sha1sum":"ABCDEF0123456789abcdef0123456789ABCDEF01"}`,
		`{"openid":"https://example.com/u/1"}`,
		`{"account":{"homePage":"https://siasn.bkn.go.id","name":"199001012015011001"}}`,
		`{"objectType":"Group","mbox":"mailto:g@example.com","member":[{"mbox":"mailto:m@example.com"}]}`,
		`{"objectType":"Group","member":[{"mbox":"mailto:m@example.com"}]}`,
		`{"name":"no ifi"}`,
		`{"mbox":"mailto:a@example.com","mbox":"mailto:b@example.com"}`,
		`{"mbox":"mailto:a@example.com","openid":"https://example.com/u/1"}`,
		`{"mbox":"a@example.com"}`,
		`{"account":{"homePage":"not a url","name":""}}`,
		`{"mbox":"mailto:\u00e9@example.com"}`,
		`[]`, `null`, `"mailto:a@example.com"`, ``, `{`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := url.Values{"agent": {s}}
		fl, err := ParseStatementFilter(q)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID || !strings.HasPrefix(e.Message, "agent") {
				t.Fatalf("ParseStatementFilter(agent=%q) = %#v, want an EINVALID *Error naming agent", s, err)
			}
			return
		}
		if fl.Agent == "" {
			t.Fatalf("agent=%q accepted without an IFI", s)
		}
		again, err := ParseStatementFilter(q)
		if err != nil || again.Agent != fl.Agent {
			t.Fatalf("agent=%q: second parse = %q, %v; first %q", s, again.Agent, err, fl.Agent)
		}
		v, err := fastjson.Parse(s)
		if err != nil {
			t.Fatalf("agent=%q accepted but not JSON: %v", s, err)
		}
		round := string(v.MarshalTo(nil))
		fr, err := ParseStatementFilter(url.Values{"agent": {round}})
		if err != nil || fr.Agent != fl.Agent {
			t.Fatalf("agent=%q serialised as %q: IFI %q, %v; want %q", s, round, fr.Agent, err, fl.Agent)
		}
	})
}
