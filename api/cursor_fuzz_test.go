package api

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/jejak-id/jejak/lrs"
)

// FuzzDecodeCursor feeds arbitrary more tokens to the listing query, as a
// client may (docs/adr/0004-cursor-format.md). It must never panic; a
// refused token is an EINVALID *Error naming more; an accepted one is
// exactly the token encodeCursor writes for what it decoded, with a limit
// and a position a page can have, and a query that parses as a fresh one.
func FuzzDecodeCursor(f *testing.F) {
	for _, t := range []moreToken{
		{After: lrs.Cursor{Seq: 1, Index: 0}, Limit: 1},
		{After: lrs.Cursor{Seq: 42, Index: 7}, Ascending: true, Limit: lrs.MaxPageSize},
		{After: lrs.Cursor{Seq: ^uint64(0), Index: ^uint32(0)}, Ascending: true, Limit: 10, Filter: url.Values{"verb": {"http://adlnet.gov/expapi/verbs/completed"}}},
		{After: lrs.Cursor{Seq: 3}, Limit: 2, Filter: url.Values{
			"agent":          {`{"mbox":"mailto:a@example.com"}`},
			"since":          {"2026-01-02T03:04:05.678+07:00"},
			"until":          {"0001-01-01T00:00:00Z"},
			"related_agents": {"true"},
		}},
		{After: lrs.Cursor{Seq: 9}, Limit: 5, Filter: url.Values{"verb": {"a", "b"}}},
	} {
		f.Add(encodeCursor(t))
	}
	f.Add("")
	f.Add("Ag")
	f.Add("AgAAAAAAAAABAAAAAAAACg")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := decodeCursor(s)
		if err != nil {
			var e *lrs.Error
			if !errors.As(err, &e) || e.Code != lrs.EINVALID || !strings.HasPrefix(e.Message, "more: ") {
				t.Fatalf("decodeCursor(%q) = %#v, want an EINVALID *Error about more", s, err)
			}
		} else {
			if got := encodeCursor(tok); got != s {
				t.Fatalf("decodeCursor(%q) then encodeCursor = %q", s, got)
			}
			if tok.Limit < 1 || tok.Limit > lrs.MaxPageSize || tok.After.IsZero() {
				t.Fatalf("decodeCursor(%q) = %+v: not a page's cursor", s, tok)
			}
		}
		query, filter, err := parseQuery(url.Values{"more": {s}})
		if err != nil {
			var e *lrs.Error
			if !errors.As(err, &e) || e.Code != lrs.EINVALID || e.Message == "" {
				t.Fatalf("parseQuery(more=%q) = %#v, want an EINVALID *Error", s, err)
			}
			return
		}
		if query.After != tok.After || query.Limit != tok.Limit || query.Ascending != tok.Ascending || filter.Encode() != tok.Filter.Encode() {
			t.Fatalf("parseQuery(more=%q) = %+v, %v; the cursor says %+v", s, query, filter, tok)
		}
		// The next page's link carries the same query.
		next := encodeCursor(moreToken{After: query.After, Ascending: query.Ascending, Limit: query.Limit, Filter: filter})
		if next != s {
			t.Fatalf("the next link's cursor %q differs from %q", next, s)
		}
	})
}

// TestDecodeCursor_OnlyIssued: a token that decodes but is not what
// encodeCursor writes is refused, so a cursor has one spelling.
func TestDecodeCursor_OnlyIssued(t *testing.T) {
	issued := encodeCursor(moreToken{After: lrs.Cursor{Seq: 5, Index: 1}, Ascending: true, Limit: 10, Filter: url.Values{"verb": {"http://e.com/v"}, "activity": {"http://e.com/a"}}})
	raw, err := base64.RawURLEncoding.DecodeString(issued)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeCursor(issued); err != nil {
		t.Fatalf("the issued cursor is refused: %v", err)
	}
	variant := func(edit func(b []byte) []byte) string {
		return base64.RawURLEncoding.EncodeToString(edit(append([]byte(nil), raw...)))
	}
	cases := map[string]string{
		"unused flag bits": variant(func(b []byte) []byte { b[13] |= 0x80; return b }),
		"the filter in another order": variant(func(b []byte) []byte {
			return append(b[:16], "verb=http%3A%2F%2Fe.com%2Fv&activity=http%3A%2F%2Fe.com%2Fa"...)
		}),
		"the filter escaped otherwise": variant(func(b []byte) []byte {
			return append(b[:16], "activity=http://e.com/a&verb=http://e.com/v"...)
		}),
	}
	// base64 with padding bits set: the last character of a 22-byte
	// token (2 bytes in its last group) carries 4 unused bits.
	short := base64.RawURLEncoding.EncodeToString(raw[:16])
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", short[len(short)-1])
	cases["base64 padding bits"] = short[:len(short)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last|1])
	for name, tok := range cases {
		if tok == issued {
			t.Fatalf("%s: the variant is the issued cursor", name)
		}
		if _, err := decodeCursor(tok); lrs.ErrorCode(err) != lrs.EINVALID {
			t.Errorf("%s: decodeCursor(%q) = %v, want EINVALID", name, tok, err)
		}
	}
}
