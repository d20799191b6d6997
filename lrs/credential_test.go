package lrs_test

import (
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
