package lrs_test

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jejak-id/jejak/lrs"
)

// An unknown key costs a password check like a known one (no key oracle);
// a secret that verified once is remembered, so later checks cost none.
func TestKeyring_UnknownKeysArePasswordCheckedAndVerifiedSecretsCached(t *testing.T) {
	cred, err := lrs.NewCredential("provider-1", "the-right-secret", []string{lrs.RoleProvider})
	if err != nil {
		t.Fatal(err)
	}
	k := lrs.NewKeyring([]lrs.Credential{cred})
	var compares atomic.Int64
	k.OnCompare(func() { compares.Add(1) })
	check := func(key, secret string, ok bool, wantCompares int64) {
		t.Helper()
		_, err := k.Check(key, secret)
		if (err == nil) != ok || (err != nil && lrs.ErrorCode(err) != lrs.EUNAUTHORIZED) {
			t.Fatalf("Check(%s) = %v, want ok %v", key, err, ok)
		}
		if n := compares.Load(); n != wantCompares {
			t.Fatalf("after Check(%s): %d password checks, want %d", key, n, wantCompares)
		}
	}
	check("no-such-key", "the-right-secret", false, 1)
	check("provider-1", "wrong", false, 2)
	if _, ok := k.Verified("provider-1", "the-right-secret"); ok {
		t.Fatal("Verified before any check")
	}
	check("provider-1", "the-right-secret", true, 3)
	check("provider-1", "the-right-secret", true, 3)
	if c, ok := k.Verified("provider-1", "the-right-secret"); !ok || c.Key != "provider-1" {
		t.Fatal("a checked secret is not remembered")
	}
	if _, ok := k.Verified("provider-1", "wrong"); ok {
		t.Fatal("Verified a wrong secret")
	}
	check("provider-1", "wrong", false, 4)

}

// Wrong secrets for a known key are checked as concurrently as guesses at
// an unknown key: no lock of the key's own makes the known one slower
// under load (a key oracle).
func TestKeyring_KnownAndUnknownKeysAreCheckedAlike(t *testing.T) {
	cred, err := lrs.NewCredential("provider-1", "the-right-secret", nil)
	if err != nil {
		t.Fatal(err)
	}
	k := lrs.NewKeyring([]lrs.Credential{cred})
	entered := make(chan struct{}, 16)
	release := make(chan struct{})
	k.OnCompare(func() {
		entered <- struct{}{}
		<-release
	})
	concurrent := func(key string, n int) {
		t.Helper()
		release = make(chan struct{})
		done := make(chan struct{}, 2)
		for i := range 2 {
			go func() {
				_, _ = k.Check(key, fmt.Sprintf("guess-%d", i))
				done <- struct{}{}
			}()
		}
		for range n {
			select {
			case <-entered:
			case <-time.After(10 * time.Second):
				t.Fatalf("key %s: fewer than %d password checks run at once", key, n)
			}
		}
		close(release)
		for range 2 - n {
			<-entered
		}
		<-done
		<-done
	}
	n := min(2, runtime.NumCPU())
	concurrent("no-such-key", n)
	concurrent("provider-1", n)
}

// Apply changes what a Keyring serves: a put adds a key, a rotation
// forgets the remembered secret, a revocation removes the key; an event
// already applied (the node that appended it applies it at once, its
// fold again) or older than the key's last changes nothing; an event
// about a key of --credentials changes nothing it serves and is a
// conflict while the log holds the key in use.
func TestKeyring_ApplyPutRotateRevoke(t *testing.T) {
	fixed, _ := lrs.NewCredential("flag", "flag-secret", nil)
	k := lrs.NewKeyring([]lrs.Credential{fixed})
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	put := func(seq uint64, key, secret string) {
		t.Helper()
		c, err := lrs.NewCredential(key, secret, []string{lrs.RoleProvider})
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Apply(seq, now, lrs.CredentialChange{Op: lrs.CredentialPut, By: "root", Credential: &c}); err != nil {
			t.Fatal(err)
		}
	}
	ok := func(key, secret string) bool {
		_, err := k.Check(key, secret)
		return err == nil
	}
	put(5, "lms", "s1")
	if !ok("lms", "s1") {
		t.Fatal("put: refused")
	}
	if _, cached := k.Verified("lms", "s1"); !cached {
		t.Fatal("a checked secret is not remembered")
	}
	put(7, "lms", "s2")
	if _, cached := k.Verified("lms", "s1"); cached || ok("lms", "s1") || !ok("lms", "s2") {
		t.Fatal("rotate: the old secret must be forgotten and refused, the new one taken")
	}
	if c, _ := k.Lookup("lms"); c.Created.IsZero() || c.Rotated.IsZero() || c.RotatedBy != "root" || c.Seq != 7 {
		t.Fatalf("rotate metadata: %+v", c)
	}
	put(6, "lms", "s-old") // older than the key's last event: passed over
	if !ok("lms", "s2") || ok("lms", "s-old") {
		t.Fatal("an older event changed the credential")
	}
	if err := k.Apply(9, now, lrs.CredentialChange{Op: lrs.CredentialRevoke, By: "root", Key: "lms"}); err != nil {
		t.Fatal(err)
	}
	if _, cached := k.Verified("lms", "s2"); cached || ok("lms", "s2") {
		t.Fatal("a revoked credential still works")
	}
	if c, _ := k.Lookup("lms"); c.Revoked.IsZero() || c.RevokedBy != "root" {
		t.Fatalf("revoke metadata: %+v", c)
	}
	c, _ := lrs.NewCredential("flag", "log-secret", nil)
	if err := k.Apply(10, now, lrs.CredentialChange{Op: lrs.CredentialPut, By: "root", Credential: &c}); !errors.Is(err, lrs.ErrFixedCredential) {
		t.Fatalf("a put of a --credentials key: %v", err)
	}
	if !ok("flag", "flag-secret") || ok("flag", "log-secret") {
		t.Fatal("an event changed a --credentials credential")
	}
	if got := k.Conflicts(); len(got) != 1 || got[0] != "flag" {
		t.Fatalf("conflicts: %v", got)
	}
}
