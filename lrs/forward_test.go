package lrs_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/lrs"
)

func TestForwarded_RoundTrip(t *testing.T) {
	cases := map[string]*lrs.Forwarded{
		"statements": {
			By: lrs.Authority{Key: "k1", Store: "s", Roles: []string{"lms", "admin"}, Agent: []byte(`{"mbox":"mailto:a@example.org"}`)},
			Statements: []lrs.Statement{
				{ID: uuid.New(), JSON: []byte(`{"id":"x"}`), Hash: lrs.Hash{1, 2, 3}},
				{ID: uuid.New(), JSON: []byte(`{}`), Hash: lrs.Hash{31: 9}},
			},
		},
		"document": {
			By: lrs.Authority{Key: "k2", Agent: []byte(`{}`)},
			Document: &lrs.ForwardedDocument{
				Write: lrs.DocumentWrite{
					Key:         lrs.DocumentKey{Store: "s", Kind: lrs.DocState, ActivityID: "http://a", Agent: "mbox:mailto:a@example.org", Registration: uuid.NewString(), ID: "st"},
					Op:          lrs.DocMerge,
					ContentType: "application/json",
					Body:        []byte(`{"a":1}`),
					IfMatch:     `"abc"`,
					IfNoneMatch: "*",
					// both flags, so that each is seen to survive
					RequirePrecondition: true,
					RequireHeader:       true,
				},
				Agent: []byte(`{"mbox":"mailto:a@example.org"}`),
			},
		},
		"event": {
			By:    lrs.Authority{Key: "k3", Store: "default"},
			Event: &lrs.ForwardedEvent{Type: "jejak.credential", V: 2, Kind: "credentials", Payload: []byte(`{"key":"k"}`)},
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			wire := lrs.AppendForwarded(nil, f)
			got, err := lrs.ReadForwarded(wire)
			if err != nil {
				t.Fatalf("ReadForwarded: %v", err)
			}
			if !reflect.DeepEqual(got, f) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, f)
			}
			for n := range len(wire) {
				if _, err := lrs.ReadForwarded(wire[:n]); err == nil {
					t.Fatalf("a wire form cut at %d of %d bytes was read", n, len(wire))
				}
			}
			if _, err := lrs.ReadForwarded(append(wire, 0)); err == nil {
				t.Fatal("a byte after the end was taken")
			}
		})
	}
}

func TestForwardReply_RoundTripAndErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code string
	}{
		{nil, ""},
		{lrs.Errorf(lrs.ECONFLICT, "statement x already exists with different content"), lrs.ECONFLICT},
		{&lrs.Error{Code: lrs.ENOTDECIDED, Message: "no node decides", Err: lrs.ErrNotDecider}, lrs.ENOTDECIDED},
		{errors.New("disk on fire"), lrs.EINTERNAL},
	} {
		rep := lrs.ReplyOf(7, tc.err)
		got, err := lrs.ReadForwardReply(lrs.AppendForwardReply(nil, rep))
		if err != nil {
			t.Fatal(err)
		}
		if got != rep {
			t.Fatalf("round trip: got %+v, want %+v", got, rep)
		}
		if lrs.ErrorCode(got.Err()) != tc.code {
			t.Errorf("%v: code %q, want %q", tc.err, lrs.ErrorCode(got.Err()), tc.code)
		}
		if (tc.code == lrs.ENOTDECIDED) != errors.Is(got.Err(), lrs.ErrNotDecider) {
			t.Errorf("%v: ErrNotDecider kept = %v", tc.err, errors.Is(got.Err(), lrs.ErrNotDecider))
		}
		if tc.code == lrs.EINTERNAL && got.Message != "internal error" {
			t.Errorf("an internal error's detail crossed to the other node: %q", got.Message)
		}
	}
	if _, err := lrs.ReadForwardReply(lrs.AppendForwarded(nil, &lrs.Forwarded{})); err == nil {
		t.Error("a request was read as a reply")
	}
}

// FuzzForwarded: whatever bytes arrive, reading never panics, and what is
// read writes back to a form that reads to the same request.
func FuzzForwarded(f *testing.F) {
	f.Add(lrs.AppendForwarded(nil, &lrs.Forwarded{By: lrs.Authority{Key: "k", Roles: []string{"r"}}, Statements: []lrs.Statement{{ID: uuid.New(), JSON: []byte(`{}`)}}}))
	f.Add(lrs.AppendForwarded(nil, &lrs.Forwarded{Document: &lrs.ForwardedDocument{Write: lrs.DocumentWrite{Op: lrs.DocPut, Body: []byte("x"), RequireHeader: true}}}))
	f.Add(lrs.AppendForwarded(nil, &lrs.Forwarded{Event: &lrs.ForwardedEvent{Type: "t", V: 1, Kind: "k", Payload: []byte("{}")}}))
	f.Add(lrs.AppendForwardReply(nil, lrs.ForwardReply{Seq: 1 << 40, Code: "conflict", Message: "m"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if fw, err := lrs.ReadForwarded(b); err == nil {
			again, err := lrs.ReadForwarded(lrs.AppendForwarded(nil, fw))
			if err != nil {
				t.Fatalf("written back, the request does not read: %v", err)
			}
			if !reflect.DeepEqual(again, fw) {
				t.Fatalf("written back and read, the request changed:\n%+v\n%+v", again, fw)
			}
			if w := lrs.AppendForwarded(nil, again); !bytes.Equal(w, lrs.AppendForwarded(nil, fw)) {
				t.Fatal("the written form is not stable")
			}
		}
		if rep, err := lrs.ReadForwardReply(b); err == nil {
			again, err := lrs.ReadForwardReply(lrs.AppendForwardReply(nil, rep))
			if err != nil || again != rep {
				t.Fatalf("reply written back: %+v, %v; want %+v", again, err, rep)
			}
		}
	})
}
