package lrs

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
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
)

// DefaultStore is the store (tenant) of a credential that names none.
const DefaultStore = "default"

// Credential is an HTTP Basic key/secret pair as kept on disk: the secret
// only as a bcrypt hash. Scopes and Store are carried for later use (xAPI
// scopes, multi-tenant stores).
type Credential struct {
	Key        string   `json:"key"`
	SecretHash string   `json:"secret_hash"`
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

// Keyring checks key/secret pairs against a set of credentials. bcrypt is
// slow on purpose, so a pair that verified once is remembered (as a SHA-256
// of the secret, in memory only) and later checks are constant-time compares.
type Keyring struct {
	creds map[string]Credential
	locks map[string]*sync.Mutex // one bcrypt check per key at a time

	dummy []byte // hash of a random secret, to spend the time of a real check

	mu       sync.Mutex
	verified map[string][32]byte
}

// NewKeyring returns a Keyring over creds.
func NewKeyring(creds []Credential) *Keyring {
	dummy, _ := bcrypt.GenerateFromPassword([]byte(rand.Text()), bcrypt.DefaultCost)
	k := &Keyring{creds: make(map[string]Credential, len(creds)), locks: make(map[string]*sync.Mutex, len(creds)), verified: make(map[string][32]byte), dummy: dummy}
	for _, c := range creds {
		k.creds[c.Key] = c
		k.locks[c.Key] = new(sync.Mutex)
	}
	return k
}

// Len returns the number of credentials.
func (k *Keyring) Len() int { return len(k.creds) }

// Check returns the credential for key if secret matches, else EUNAUTHORIZED.
func (k *Keyring) Check(key, secret string) (Credential, error) {
	c, ok := k.creds[key]
	sum := sha256.Sum256([]byte(secret))
	if !ok {
		// spend the same time as a real check so keys cannot be probed
		_ = bcrypt.CompareHashAndPassword(k.dummy, []byte(secret))
		return Credential{}, Errorf(EUNAUTHORIZED, "unknown key or wrong secret")
	}
	if k.remembered(key, sum) {
		return c, nil
	}
	// Concurrent first requests with one key wait for a single bcrypt check.
	l := k.locks[key]
	l.Lock()
	defer l.Unlock()
	if k.remembered(key, sum) {
		return c, nil
	}
	if bcrypt.CompareHashAndPassword([]byte(c.SecretHash), []byte(secret)) != nil {
		return Credential{}, Errorf(EUNAUTHORIZED, "unknown key or wrong secret")
	}
	k.mu.Lock()
	k.verified[key] = sum
	k.mu.Unlock()
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
