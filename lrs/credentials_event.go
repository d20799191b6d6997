package lrs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/valyala/fastjson"
)

// The credentials event: every add, rotation and revocation of a credential
// is one event on the log (docs/adr/0014-credentials-as-events.md).
//
//   - "jejak.credentials" v1, subject jejak.<store>.credentials. Payload:
//     {"op":"put","by":"<who>","credential":{"key","secret_hash","name","roles","scopes","store","units","person","strict"}}
//     adds the credential, or replaces it (a rotation when the hash
//     changes); {"op":"revoke","by":"<who>","key":"<key>"} takes it out of
//     use. The secret is never in the event, only its bcrypt hash.
const (
	EventCredentials   = "jejak.credentials"
	EventCredentialsV1 = 1
	// CredentialsKind is the subject kind of credentials events.
	CredentialsKind = "credentials"
	// CredentialsSubjects matches the subject of every credentials event.
	CredentialsSubjects = "jejak.*.credentials"
)

// Credential change operations.
const (
	CredentialPut    = "put"
	CredentialRevoke = "revoke"
)

// CredentialChange is the payload of a jejak.credentials event.
type CredentialChange struct {
	Op string `json:"op"` // CredentialPut or CredentialRevoke
	// By names who made the change: the admin credential's key, or
	// "bootstrap", "credentials.json", "cli" for changes made at start or
	// on a stopped node's data directory.
	By         string      `json:"by"`
	Credential *Credential `json:"credential,omitempty"` // put
	Key        string      `json:"key,omitempty"`        // revoke
}

// KnownRoles and KnownScopes are what a credential may hold.
var (
	KnownRoles  = []string{RoleAdmin, RoleAnalyst, RoleVerifier, RoleAssessor, RoleProvider, RoleAuditor}
	KnownScopes = []string{ScopeStatementsWrite, ScopeStatementsRead, ScopeStatementsReadMine, ScopeState, ScopeDefine, ScopeProfile, ScopeAllRead, ScopeAll}
)

var (
	credentialKeyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	storeRE         = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	personRE        = regexp.MustCompile(`^[0-9]{18}$`)
)

// Bounds of a credential's fields.
const (
	maxCredentialName = 200
	maxCredentialUnit = 200
	maxCredentialList = 64
)

// record returns c as the log carries it: without what folding sets.
func (c Credential) record() Credential {
	return Credential{Key: c.Key, SecretHash: c.SecretHash, Name: c.Name, Roles: c.Roles, Scopes: c.Scopes,
		Store: c.Store, Units: c.Units, Person: c.Person, Strict: c.Strict}
}

// CheckCredential checks the fields of a credential to be put, naming the
// first that is wrong: the key (letters, digits, '.', '_', '-'; at most 64;
// no ':' so that HTTP Basic can carry it), the display name, the roles and
// scopes (known ones), the store (a subject token: lower-case letters,
// digits, '_', '-'), the units and the person (an 18-digit NIP).
func CheckCredential(c Credential) error {
	switch {
	case !credentialKeyRE.MatchString(c.Key):
		return Errorf(EINVALID, "key %q: want 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", c.Key)
	case c.SecretHash != "" && !strings.HasPrefix(c.SecretHash, "$2"):
		return Errorf(EINVALID, "credential %q: secret_hash is not a bcrypt hash", c.Key)
	case len(c.Name) > maxCredentialName || strings.IndexFunc(c.Name, unicode.IsControl) >= 0:
		return Errorf(EINVALID, "credential %q: name must be at most %d characters, without control characters", c.Key, maxCredentialName)
	case c.Store != "" && !storeRE.MatchString(c.Store):
		return Errorf(EINVALID, "credential %q: store %q: want 1 to 63 lower-case letters, digits, '_' or '-'", c.Key, c.Store)
	case c.Person != "" && !personRE.MatchString(c.Person):
		return Errorf(EINVALID, "credential %q: person %q: want an 18-digit NIP", c.Key, c.Person)
	case len(c.Roles) > maxCredentialList || len(c.Scopes) > maxCredentialList || len(c.Units) > maxCredentialList:
		return Errorf(EINVALID, "credential %q: at most %d roles, scopes and units each", c.Key, maxCredentialList)
	}
	for _, r := range c.Roles {
		if !slices.Contains(KnownRoles, r) {
			return Errorf(EINVALID, "credential %q: unknown role %q (known: %s)", c.Key, r, strings.Join(KnownRoles, ", "))
		}
	}
	for _, s := range c.Scopes {
		if !slices.Contains(KnownScopes, s) {
			return Errorf(EINVALID, "credential %q: unknown scope %q (known: %s)", c.Key, s, strings.Join(KnownScopes, ", "))
		}
	}
	for _, u := range c.Units {
		if u == "" || len(u) > maxCredentialUnit || strings.IndexFunc(u, unicode.IsControl) >= 0 {
			return Errorf(EINVALID, "credential %q: unit %q: want 1 to %d characters, without control characters", c.Key, u, maxCredentialUnit)
		}
	}
	return nil
}

// EncodeCredentialChange checks ch and returns its event payload.
func EncodeCredentialChange(ch CredentialChange) ([]byte, error) {
	switch ch.Op {
	case CredentialPut:
		if ch.Credential == nil {
			return nil, Errorf(EINVALID, "a put names a credential")
		}
		if err := CheckCredential(*ch.Credential); err != nil {
			return nil, err
		}
		if ch.Credential.SecretHash == "" {
			return nil, Errorf(EINVALID, "credential %q: no secret hash", ch.Credential.Key)
		}
		rec := ch.Credential.record()
		ch.Credential, ch.Key = &rec, ""
	case CredentialRevoke:
		if !credentialKeyRE.MatchString(ch.Key) {
			return nil, Errorf(EINVALID, "key %q is not a credential key", ch.Key)
		}
		ch.Credential = nil
	default:
		return nil, Errorf(EINVALID, "credential change %q: want put or revoke", ch.Op)
	}
	return json.Marshal(ch)
}

// DecodeCredentialChange reads and checks the payload of a credentials event.
func DecodeCredentialChange(p *fastjson.Value) (CredentialChange, error) {
	var ch CredentialChange
	if err := json.Unmarshal(p.MarshalTo(nil), &ch); err != nil {
		return ch, err
	}
	switch ch.Op {
	case CredentialPut:
		if ch.Credential == nil || ch.Credential.SecretHash == "" {
			return ch, errors.New("a put without a credential and its hash")
		}
		if err := CheckCredential(*ch.Credential); err != nil {
			return ch, errors.New(ErrorMessage(err))
		}
	case CredentialRevoke:
		if !credentialKeyRE.MatchString(ch.Key) {
			return ch, fmt.Errorf("revoke of %q, not a credential key", ch.Key)
		}
	default:
		return ch, fmt.Errorf("op %q: want put or revoke", ch.Op)
	}
	return ch, nil
}

func init() {
	RegisterEventType(EventCredentials, EventCredentialsV1, func(p *fastjson.Value) error {
		_, err := DecodeCredentialChange(p)
		return err
	})
}

// SubjectLog follows the events of some subjects only (natslog.Log).
type SubjectLog interface {
	FollowSubject(ctx context.Context, filter string, from uint64, fn func(evs []LogEvent, caughtUp bool) error) error
}

// FollowCredentials folds the log's credentials events into k until ctx is
// done, reading only them. warn, if not nil, is told of an event passed
// over: foreign, or about a key of --credentials. It returns nil on
// cancellation.
func FollowCredentials(ctx context.Context, log SubjectLog, k *Keyring, warn func(seq uint64, err error)) error {
	var p fastjson.Parser
	err := log.FollowSubject(ctx, CredentialsSubjects, 1, func(evs []LogEvent, caughtUp bool) error {
		var last uint64
		for _, ev := range evs {
			last = ev.Seq
			env, err := ReadEvent(&p, ev.Seq, ev.Data)
			if err == nil && env.Type != EventCredentials {
				err = &ForeignError{Seq: ev.Seq, Reason: "a " + env.Type + " event on a credentials subject"}
			}
			var ch CredentialChange
			if err == nil {
				ch, err = DecodeCredentialChange(env.Payload)
			}
			if err == nil {
				err = k.Apply(ev.Seq, env.Stored, ch)
			}
			if err != nil && warn != nil {
				warn(ev.Seq, err)
			}
		}
		k.advance(last, caughtUp)
		return nil
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}
