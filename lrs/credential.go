package lrs

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Credential roles.
const (
	RoleProvider = "provider" // a trusted training provider
	RoleVerifier = "verifier" // the unit kepegawaian
	RoleAssessor = "assessor" // an accredited assessment centre
	RoleAdmin    = "admin"    // may change the registry and catalogue
	RoleAnalyst  = "analyst"  // reads the reports of the units in its scope
	RoleAuditor  = "auditor"  // reads the log, the access log and status
)

// DefaultStore is the store (tenant) of a credential that names none.
const DefaultStore = "default"

// Credential is an HTTP Basic key/secret pair as kept on disk: the secret
// only as a bcrypt hash. Scopes and Store are carried for later use (xAPI
// scopes, multi-tenant stores).
type Credential struct {
	Key        string   `json:"key"`
	SecretHash string   `json:"secret_hash"`
	Name       string   `json:"name,omitempty"`   // display name: the institution
	Person     string   `json:"person,omitempty"` // NIP of the person the credential acts for
	Units      []string `json:"units,omitempty"`  // analyst scope
	Roles      []string `json:"roles,omitempty"`
	Scopes     []string `json:"scopes,omitempty"`
	Store      string   `json:"store,omitempty"`
}

// NewCredential hashes secret into a Credential.
func NewCredential(key, secret string, roles []string) (Credential, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.DefaultCost)
	if err != nil {
		return Credential{}, Internal("hash secret", err)
	}
	return Credential{Key: key, SecretHash: string(h), Roles: roles, Scopes: []string{"all"}, Store: DefaultStore}, nil
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
	return Principal{Kind: PrincipalCredential, Key: c.Key, Name: c.Name, Store: store, Scopes: scopes, Roles: c.Roles, Units: c.Units, Person: c.Person}
}

// Authority returns the writer identity of c, with the Agent that the LRS
// puts in the "authority" property of statements written with it.
func (c Credential) Authority() Authority {
	agent, _ := json.Marshal(map[string]any{
		"objectType": "Agent",
		"name":       c.Key,
		"account":    map[string]string{"homePage": "https://jejak.id/xapi/credentials", "name": c.Key},
	})
	store := c.Store
	if store == "" {
		store = DefaultStore
	}
	return Authority{Key: c.Key, Store: store, Roles: c.Roles, Agent: agent}
}

// Keyring checks key/secret pairs against a set of credentials, which stay
// fixed for its life: a change of credentials is a new Keyring (a restart),
// so nothing it remembers outlives the credentials it was made from.
//
// bcrypt is slow on purpose. A pair that verified once is remembered (as a
// SHA-256 of the secret, in memory only, one per key, so at most one entry
// per credential) and later checks are constant-time compares. At most
// NumCPU password checks run at once; the others wait. A key that is not in
// the keyring takes the same path as one that is, against a dummy hash of
// the same cost, so the answer's timing does not tell which keys exist.
type Keyring struct {
	creds map[string]Credential
	dummy []byte        // hash of a random secret, to spend the time of a real check
	slots chan struct{} // one per password check running

	// compared, if set, is called before each bcrypt comparison (tests).
	compared func()

	mu       sync.Mutex
	verified map[string][32]byte
	flights  map[string]*passwordCheck // password checks running, by key and secret's hash
}

// passwordCheck is one password check that concurrent requests with the same key
// and secret wait for.
type passwordCheck struct {
	done chan struct{}
	ok   bool
}

// NewKeyring returns a Keyring over creds.
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
		dummy:    dummy,
		slots:    make(chan struct{}, max(1, runtime.NumCPU())),
		verified: make(map[string][32]byte),
		flights:  make(map[string]*passwordCheck),
	}
	for _, c := range creds {
		k.creds[c.Key] = c
	}
	return k
}

// OnCompare sets a function called before each bcrypt comparison, so tests
// can count them. Set it before the first Check.
func (k *Keyring) OnCompare(f func()) { k.compared = f }

// Len returns the number of credentials.
func (k *Keyring) Len() int { return len(k.creds) }

// Verified returns the credential for key if secret verified before, without
// a password check; false if it did not (wrong, unknown or not yet checked).
func (k *Keyring) Verified(key, secret string) (Credential, bool) {
	sum := sha256.Sum256([]byte(secret))
	c, known := k.creds[key]
	if k.remembered(key, sum) && known {
		return c, true
	}
	return Credential{}, false
}

// Check returns the credential for key if secret matches, else EUNAUTHORIZED.
func (k *Keyring) Check(key, secret string) (Credential, error) {
	sum := sha256.Sum256([]byte(secret))
	c, known := k.creds[key]
	if k.remembered(key, sum) && known {
		return c, nil
	}
	// Known and unknown keys take the same path from here. Concurrent
	// requests with the same pair wait for a single check.
	id := key + "\x00" + string(sum[:])
	k.mu.Lock()
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
			k.verified[key] = sum
		}
		k.mu.Unlock()
		close(f.done)
	}
	if !f.ok {
		return Credential{}, Errorf(EUNAUTHORIZED, "unknown key or wrong secret")
	}
	return c, nil
}

func (k *Keyring) remembered(key string, sum [32]byte) bool {
	k.mu.Lock()
	known, seen := k.verified[key]
	k.mu.Unlock()
	return seen && subtle.ConstantTimeCompare(known[:], sum[:]) == 1
}

// ParseCredentialFlag parses "key:secret[:role+role][,key:secret…]".
func ParseCredentialFlag(s string) ([]Credential, error) {
	var out []Credential
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := strings.SplitN(item, ":", 3)
		if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
			return nil, Errorf(EINVALID, "credential %q: want key:secret or key:secret:role+role", redact(item))
		}
		var roles []string
		if len(parts) == 3 && parts[2] != "" {
			for _, r := range strings.Split(parts[2], "+") {
				switch r {
				case RoleProvider, RoleVerifier, RoleAssessor, RoleAdmin:
					roles = append(roles, r)
				default:
					return nil, Errorf(EINVALID, "credential %q: unknown role %q (known: provider, verifier, assessor, admin)", parts[0], r)
				}
			}
		}
		c, err := NewCredential(parts[0], parts[1], roles)
		if err != nil {
			return nil, err
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
