package lrs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Credential roles.
const (
	RoleProvider = "provider" // a trusted training provider
	RoleVerifier = "verifier" // the unit kepegawaian
	RoleAssessor = "assessor" // an accredited assessment centre
	RoleAdmin    = "admin"    // may change the registry and catalogue; passes every xAPI scope check
	RoleAnalyst  = "analyst"  // reads the reports of the units and instansi in its Units
	RoleAuditor  = "auditor"  // reads the log, the access log and status
)

// DefaultStore is the store (tenant) of a credential that names none.
const DefaultStore = "default"

// Credential is an HTTP Basic key/secret pair as kept on the log (a
// jejak.credentials event) or on disk: the secret only as a bcrypt hash.
// Name is its display name, the institution it belongs to (SIASN's
// institusiPenyelenggara); Person the NIP of the one person it acts for, if
// any; Units the analyst scope. Created, Rotated and Revoked (with who did
// it) are set when the log's events are folded, never taken from a request.
type Credential struct {
	Key        string   `json:"key"`
	SecretHash string   `json:"secret_hash"`
	Name       string   `json:"name,omitempty"`   // display name: the institution
	Person     string   `json:"person,omitempty"` // NIP of the person the credential acts for
	Units      []string `json:"units,omitempty"`  // analyst scope: unit or instansi names; for a verifier, what its own approval queue lists
	Roles      []string `json:"roles,omitempty"`
	Scopes     []string `json:"scopes,omitempty"`
	Store      string   `json:"store,omitempty"`
	// Strict refuses, with 400 naming the Bangkom profile rule, a statement
	// meant as a learning claim that would not count (a claim problem:
	// docs/adr/0019-claim-problems.md), instead of storing it.
	Strict bool `json:"strict,omitempty"`

	Created   time.Time `json:"created,omitzero"`
	CreatedBy string    `json:"created_by,omitempty"`
	Rotated   time.Time `json:"rotated,omitzero"`
	RotatedBy string    `json:"rotated_by,omitempty"`
	Revoked   time.Time `json:"revoked,omitzero"`
	RevokedBy string    `json:"revoked_by,omitempty"`
	// Seq is the log sequence of the last event that changed it (0 for a
	// credential of --credentials).
	Seq uint64 `json:"seq,omitempty"`
}

// NewCredential hashes secret into a Credential.
func NewCredential(key, secret string, roles []string) (Credential, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.DefaultCost)
	if err != nil {
		return Credential{}, Internal("hash secret", err)
	}
	return Credential{Key: key, SecretHash: string(h), Roles: roles, Store: DefaultStore}, nil
}

// HasRole reports whether c carries role.
func (c Credential) HasRole(role string) bool {
	for _, r := range c.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Principal returns who c is to the authorization policy: no scopes means
// DefaultScopes, no store DefaultStore.
func (c Credential) Principal() Principal {
	scopes := c.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	store := c.Store
	if store == "" {
		store = DefaultStore
	}
	return Principal{
		Kind: PrincipalCredential, Key: c.Key, Name: c.Name, Store: store,
		Scopes: slices.Clone(scopes), Roles: slices.Clone(c.Roles), Units: slices.Clone(c.Units), Person: c.Person,
	}
}

// Authority returns the writer identity of c, with the Agent that the LRS
// puts in the "authority" property of statements written with it.
func (c Credential) Authority() Authority {
	agent, _ := json.Marshal(map[string]any{
		"objectType": "Agent",
		"name":       c.Key,
		"account":    map[string]string{"homePage": CredentialHomePage, "name": c.Key},
	})
	store := c.Store
	if store == "" {
		store = DefaultStore
	}
	return Authority{Key: c.Key, Store: store, Roles: c.Roles, Agent: agent}
}

// Keyring checks key/secret pairs against a set of credentials that
// changes while it serves: the credentials of --credentials (fixed for its
// life), and those the log's jejak.credentials events put and revoke
// (Apply). A put or a revoke takes effect for the next Check or Verified.
//
// bcrypt is slow on purpose. A pair that verified once is remembered (as a
// SHA-256 of the secret, in memory only, one per key, so at most one entry
// per credential) and later checks are constant-time compares; a rotation
// or a revocation of the key forgets it. At most NumCPU password checks run
// at once; the others wait. A key that is not in the keyring takes the same
// path as one that is, against a dummy hash of the same cost, so the
// answer's timing does not tell which keys exist.
type Keyring struct {
	dummy []byte        // hash of a random secret, to spend the time of a real check
	slots chan struct{} // one per password check running

	// compared, if set, is called before each bcrypt comparison (tests).
	compared func()

	mu       sync.Mutex
	creds    map[string]Credential // usable now, by key
	all      map[string]Credential // every credential the log put, revoked ones too
	fixed    map[string]bool       // keys of --credentials: the log's events do not change what they serve
	keySeq   map[string]uint64     // sequence of the last event applied to each key
	applied  uint64                // last credentials event folded from the log
	caughtUp bool                  // the fold has read every event there was when it started
	changed  chan struct{}         // closed and replaced when applied or caughtUp changes
	verified map[string][32]byte
	flights  map[string]*passwordCheck // password checks running, by key, secret's hash and stored hash
}

// passwordCheck is one password check that concurrent requests with the same key
// and secret wait for.
type passwordCheck struct {
	done chan struct{}
	ok   bool
}

// NewKeyring returns a Keyring over creds, the fixed credentials of
// --credentials (or of a test); the log's credentials are added by Apply.
func NewKeyring(creds []Credential) *Keyring {
	cost := bcrypt.DefaultCost
	for _, c := range creds {
		if n, err := bcrypt.Cost([]byte(c.SecretHash)); err == nil {
			cost = n
			break
		}
	}
	dummy, _ := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	k := &Keyring{
		creds:    make(map[string]Credential, len(creds)),
		all:      map[string]Credential{},
		fixed:    map[string]bool{},
		keySeq:   map[string]uint64{},
		changed:  make(chan struct{}),
		dummy:    dummy,
		slots:    make(chan struct{}, max(1, runtime.NumCPU())),
		verified: make(map[string][32]byte),
		flights:  make(map[string]*passwordCheck),
	}
	for _, c := range creds {
		k.creds[c.Key] = c
		k.fixed[c.Key] = true
	}
	return k
}

// OnCompare sets a function called before each bcrypt comparison, so tests
// can count them. Set it before the first Check.
func (k *Keyring) OnCompare(f func()) { k.compared = f }

// Len returns the number of credentials usable now.
func (k *Keyring) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.creds)
}

// Verified returns the credential for key if secret verified before, without
// a password check; false if it did not (wrong, unknown, rotated or revoked
// since, or not yet checked).
func (k *Keyring) Verified(key, secret string) (Credential, bool) {
	sum := sha256.Sum256([]byte(secret))
	k.mu.Lock()
	c, known := k.creds[key]
	ok := known && k.rememberedLocked(key, sum)
	k.mu.Unlock()
	if ok {
		return c, true
	}
	return Credential{}, false
}

// Check returns the credential for key if secret matches, else EUNAUTHORIZED.
func (k *Keyring) Check(key, secret string) (Credential, error) {
	sum := sha256.Sum256([]byte(secret))
	k.mu.Lock()
	c, known := k.creds[key]
	if known && k.rememberedLocked(key, sum) {
		k.mu.Unlock()
		return c, nil
	}
	// Known and unknown keys take the same path from here. Concurrent
	// requests with the same pair, against the same stored hash, wait for
	// a single check.
	id := key + "\x00" + string(sum[:]) + "\x00" + c.SecretHash
	f, running := k.flights[id]
	if !running {
		f = &passwordCheck{done: make(chan struct{})}
		k.flights[id] = f
	}
	k.mu.Unlock()
	if running {
		<-f.done
	} else {
		hash := k.dummy
		if known {
			hash = []byte(c.SecretHash)
		}
		k.slots <- struct{}{}
		if k.compared != nil {
			k.compared()
		}
		f.ok = bcrypt.CompareHashAndPassword(hash, []byte(secret)) == nil && known
		<-k.slots
		k.mu.Lock()
		delete(k.flights, id)
		if f.ok {
			// Remember it only if the key was not rotated or revoked
			// while its hash was being compared.
			if cur, still := k.creds[key]; still && cur.SecretHash == c.SecretHash {
				k.verified[key] = sum
			}
		}
		k.mu.Unlock()
		close(f.done)
	}
	if !f.ok {
		return Credential{}, Errorf(EUNAUTHORIZED, "unknown key or wrong secret")
	}
	return c, nil
}

func (k *Keyring) rememberedLocked(key string, sum [32]byte) bool {
	known, seen := k.verified[key]
	return seen && subtle.ConstantTimeCompare(known[:], sum[:]) == 1
}

// Lookup returns the credential of key: one of --credentials, or one the
// log put (revoked ones too, with Revoked set).
func (k *Keyring) Lookup(key string) (Credential, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if c, ok := k.all[key]; ok && !k.fixed[key] {
		return c, true
	}
	c, ok := k.creds[key]
	return c, ok
}

// List returns every credential, revoked ones too, sorted by key.
func (k *Keyring) List() []Credential {
	k.mu.Lock()
	out := make([]Credential, 0, len(k.all)+len(k.fixed))
	for key := range k.fixed {
		out = append(out, k.creds[key])
	}
	for key, c := range k.all {
		if !k.fixed[key] {
			out = append(out, c)
		}
	}
	k.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Fixed reports whether key is one of --credentials, which the log's
// events do not change.
func (k *Keyring) Fixed(key string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.fixed[key]
}

// ErrFixedCredential is returned by Apply for an event about a key of
// --credentials: it is passed over, and the fixed credential stays.
var ErrFixedCredential = errors.New("the key is one of --credentials; the event is passed over")

// Apply folds one jejak.credentials event, stored at seq and time stored:
// a put adds the credential or rotates it (its remembered secret is
// forgotten), a revoke removes it from use at once. An event at or below
// the last one applied to its key is passed over, so the node that
// appended an event can apply it at once and again when its fold reads it.
func (k *Keyring) Apply(seq uint64, stored time.Time, ch CredentialChange) error {
	key := ch.Key
	if ch.Op == CredentialPut && ch.Credential != nil {
		key = ch.Credential.Key
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if seq <= k.keySeq[key] {
		return nil
	}
	k.keySeq[key] = seq
	stored = stored.UTC()
	prev, had := k.all[key]
	switch ch.Op {
	case CredentialPut:
		c := ch.Credential.record()
		c.Seq = seq
		if had && prev.Revoked.IsZero() {
			c.Created, c.CreatedBy = prev.Created, prev.CreatedBy
			c.Rotated, c.RotatedBy = prev.Rotated, prev.RotatedBy
			if c.SecretHash != prev.SecretHash {
				c.Rotated, c.RotatedBy = stored, ch.By
			}
		} else {
			c.Created, c.CreatedBy = stored, ch.By
		}
		k.all[key] = c
		if !k.fixed[key] {
			k.creds[key] = c
		}
	case CredentialRevoke:
		if !had {
			return nil
		}
		prev.Revoked, prev.RevokedBy, prev.Seq = stored, ch.By, seq
		k.all[key] = prev
		if !k.fixed[key] {
			delete(k.creds, key)
		}
	}
	if k.fixed[key] {
		return fmt.Errorf("credential %q at %d: %w", key, seq, ErrFixedCredential)
	}
	delete(k.verified, key)
	return nil
}

// Conflicts returns the keys of --credentials that the log also holds in
// use: serving with them would hide the stored credential.
func (k *Keyring) Conflicts() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for key := range k.fixed {
		if c, ok := k.all[key]; ok && c.Revoked.IsZero() {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

// Stored reports whether the log has put any credential (revoked ones too).
func (k *Keyring) Stored() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.all)
}

// advance records that the fold has read the log to seq (and, if caughtUp,
// every event there was when it started), waking WaitApplied.
func (k *Keyring) advance(seq uint64, caughtUp bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if seq <= k.applied && (!caughtUp || k.caughtUp) {
		return
	}
	k.applied = max(k.applied, seq)
	k.caughtUp = k.caughtUp || caughtUp
	close(k.changed)
	k.changed = make(chan struct{})
}

// Applied returns the sequence of the last credentials event the fold has
// read from the log, and whether it has read every event there was when
// it started.
func (k *Keyring) Applied() (uint64, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.applied, k.caughtUp
}

// WaitApplied waits until the fold has caught up and read the log to seq.
func (k *Keyring) WaitApplied(ctx context.Context, seq uint64) error {
	for {
		k.mu.Lock()
		done, ch := k.caughtUp && k.applied >= seq, k.changed
		k.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ParseCredentialFlag parses "key:secret[:role+scope…[:store]][,key:secret…]":
// the third part lists roles and xAPI scopes (none: DefaultScopes), the
// fourth the store (none: DefaultStore).
func ParseCredentialFlag(s string) ([]Credential, error) {
	var out []Credential
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := strings.SplitN(item, ":", 4)
		if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
			return nil, Errorf(EINVALID, "credential %q: want key:secret, key:secret:role+scope or key:secret:role+scope:store", redact(item))
		}
		var roles, scopes []string
		if len(parts) >= 3 && parts[2] != "" {
			for _, r := range strings.Split(parts[2], "+") {
				switch {
				case slices.Contains(KnownRoles, r):
					roles = append(roles, r)
				case slices.Contains(KnownScopes, r):
					scopes = append(scopes, r)
				default:
					return nil, Errorf(EINVALID, "credential %q: unknown role or scope %q (roles: %s; scopes: %s)",
						parts[0], r, strings.Join(KnownRoles, ", "), strings.Join(KnownScopes, ", "))
				}
			}
		}
		c, err := NewCredential(parts[0], parts[1], roles)
		if err != nil {
			return nil, err
		}
		c.Scopes = scopes
		if len(parts) == 4 && parts[3] != "" {
			if !storeRE.MatchString(parts[3]) {
				return nil, Errorf(EINVALID, "credential %q: store %q: want 1 to 63 lower-case letters, digits, '_' or '-'", parts[0], parts[3])
			}
			c.Store = parts[3]
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, Errorf(EINVALID, "no credentials in %q", s)
	}
	return out, nil
}

func redact(item string) string {
	if i := strings.Index(item, ":"); i >= 0 {
		return item[:i] + ":…"
	}
	return item
}
