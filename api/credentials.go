package api

import (
	"crypto/rand"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// CredentialManager holds the credentials that the log's jejak.credentials
// events put and revoke, beside those of --credentials (lrs.Keyring).
type CredentialManager interface {
	// Lookup returns the credential of key, revoked ones too.
	Lookup(key string) (lrs.Credential, bool)
	// List returns every credential, revoked ones too.
	List() []lrs.Credential
	// Fixed reports whether key is one of --credentials.
	Fixed(key string) bool
	// Apply applies a change this node appended at seq, at once.
	Apply(seq uint64, stored time.Time, ch lrs.CredentialChange) error
}

// registerCredentials adds /api/v1/credentials (admins only).
func (s *Server) registerCredentials() {
	if s.cfg.Credentials == nil {
		return
	}
	g := s.echo.Group("/api/v1/credentials", s.authenticate)
	g.GET("", s.listCredentials)
	g.HEAD("", s.listCredentials)
	g.POST("", s.postCredential)
	g.DELETE("/:key", s.revokeCredential)
}

// CredentialInfo is a credential as GET /api/v1/credentials lists it:
// never its secret's hash.
type CredentialInfo struct {
	Key       string    `json:"key"`
	Name      string    `json:"name,omitempty"`
	Roles     []string  `json:"roles,omitempty"`
	Scopes    []string  `json:"scopes,omitempty"`
	Store     string    `json:"store"`
	Units     []string  `json:"units,omitempty"`
	Person    string    `json:"person,omitempty"`
	Strict    bool      `json:"strict,omitempty"`
	Source    string    `json:"source"` // "log", or "flag" for --credentials
	Active    bool      `json:"active"`
	Created   time.Time `json:"created,omitzero"`
	CreatedBy string    `json:"created_by,omitempty"`
	Rotated   time.Time `json:"rotated,omitzero"`
	RotatedBy string    `json:"rotated_by,omitempty"`
	Revoked   time.Time `json:"revoked,omitzero"`
	RevokedBy string    `json:"revoked_by,omitempty"`
	Seq       uint64    `json:"seq,omitempty"`
}

func credentialInfo(c lrs.Credential, fixed bool) CredentialInfo {
	p := c.Principal()
	info := CredentialInfo{Key: c.Key, Name: c.Name, Roles: c.Roles, Scopes: p.Scopes, Store: p.Store, Units: c.Units,
		Person: c.Person, Strict: c.Strict, Source: "log", Active: c.Revoked.IsZero(), Created: c.Created, CreatedBy: c.CreatedBy,
		Rotated: c.Rotated, RotatedBy: c.RotatedBy, Revoked: c.Revoked, RevokedBy: c.RevokedBy, Seq: c.Seq}
	if fixed {
		info.Source = "flag"
	}
	return info
}

func (s *Server) listCredentials(c echo.Context) error {
	if err := requireRole(c, lrs.RoleAdmin); err != nil {
		return err
	}
	if err := checkParams(c.QueryParams()); err != nil {
		return err
	}
	list := s.cfg.Credentials.List()
	out := make([]CredentialInfo, len(list))
	for i, cred := range list {
		out[i] = credentialInfo(cred, s.cfg.Credentials.Fixed(cred.Key))
	}
	return c.JSON(http.StatusOK, out)
}

// CredentialRequest is the body of POST /api/v1/credentials: a new
// credential, or with Rotate the key of one to give a new secret, or with
// Update the key of one to change without a new secret (with Rotate and
// Update, fields given replace the stored ones; those left out stay).
type CredentialRequest struct {
	Key    string    `json:"key"`
	Rotate bool      `json:"rotate,omitempty"`
	Update bool      `json:"update,omitempty"`
	Strict *bool     `json:"strict,omitempty"`
	Name   *string   `json:"name,omitempty"`
	Roles  *[]string `json:"roles,omitempty"`
	Scopes *[]string `json:"scopes,omitempty"`
	Store  *string   `json:"store,omitempty"`
	Units  *[]string `json:"units,omitempty"`
	Person *string   `json:"person,omitempty"`
}

// CredentialCreated is the answer to POST /api/v1/credentials: the only
// time the secret is shown (none for an update).
type CredentialCreated struct {
	Credential CredentialInfo `json:"credential"`
	Secret     string         `json:"secret,omitempty"`
	Seq        uint64         `json:"seq"`
}

// postCredential adds a credential, rotates one's secret or updates its
// fields: a secret is made here, only its bcrypt hash goes on the log, and
// it is answered once.
func (s *Server) postCredential(c echo.Context) error {
	if err := requireRole(c, lrs.RoleAdmin); err != nil {
		return err
	}
	var req CredentialRequest
	if err := s.decodeJSONBody(c, &req); err != nil {
		if errors.As(err, new(*lrs.Error)) {
			return err
		}
		return lrs.Errorf(lrs.EINVALID, "body: want {\"key\", \"name\", \"roles\", \"scopes\", \"store\", \"units\", \"person\", \"strict\"}, or {\"key\", \"rotate\": true} or {\"key\", \"update\": true} with the fields to change: %v", err)
	}
	if req.Rotate && req.Update {
		return lrs.Errorf(lrs.EINVALID, "rotate and update do not go together: a rotation changes the fields given too")
	}
	if s.cfg.Credentials.Fixed(req.Key) {
		return lrs.Errorf(lrs.ECONFLICT, "credential %q comes from --credentials and is changed only there (policy: credentials)", req.Key)
	}
	cur, exists := s.cfg.Credentials.Lookup(req.Key)
	active := exists && cur.Revoked.IsZero()
	var cred lrs.Credential
	switch {
	case req.Rotate && !active:
		return lrs.Errorf(lrs.ENOTFOUND, "no credential %q to rotate", req.Key)
	case req.Update && !active:
		return lrs.Errorf(lrs.ENOTFOUND, "no credential %q to update", req.Key)
	case req.Rotate || req.Update:
		cred = cur
	case active:
		return lrs.Errorf(lrs.ECONFLICT, "credential %q exists; rotate its secret with {\"key\": %q, \"rotate\": true} or revoke it first", req.Key, req.Key)
	default:
		cred = lrs.Credential{Key: req.Key, Store: lrs.DefaultStore, Scopes: lrs.DefaultScopes}
	}
	if req.Name != nil {
		cred.Name = *req.Name
	}
	if req.Roles != nil {
		cred.Roles = *req.Roles
	}
	if req.Scopes != nil {
		cred.Scopes = *req.Scopes
	}
	if req.Store != nil {
		cred.Store = *req.Store
	}
	if req.Units != nil {
		cred.Units = *req.Units
	}
	if req.Person != nil {
		cred.Person = *req.Person
	}
	if req.Strict != nil {
		cred.Strict = *req.Strict
	}
	if cred.Person != "" {
		if _, err := bangkom.ParseNIP(cred.Person); err != nil {
			return lrs.Errorf(lrs.EINVALID, "person: %v", err)
		}
	}
	if err := lrs.CheckCredential(cred); err != nil {
		return err
	}
	secret := ""
	if !req.Update {
		secret = rand.Text()
		hashed, err := lrs.NewCredential(cred.Key, secret, nil)
		if err != nil {
			return err
		}
		cred.SecretHash = hashed.SecretHash
	}
	by := credential(c)
	ch := lrs.CredentialChange{Op: lrs.CredentialPut, By: by.Key, Credential: &cred}
	seq, err := s.appendCredentialChange(c, ch, cred.Store)
	if err != nil {
		return err
	}
	stored, _ := s.cfg.Credentials.Lookup(cred.Key)
	status := http.StatusCreated
	if req.Rotate || req.Update {
		status = http.StatusOK
	}
	return c.JSON(status, CredentialCreated{Credential: credentialInfo(stored, false), Secret: secret, Seq: seq})
}

// revokeCredential takes a credential out of use: on this node for the
// next request, on the others as their fold reads the event.
func (s *Server) revokeCredential(c echo.Context) error {
	if err := requireRole(c, lrs.RoleAdmin); err != nil {
		return err
	}
	key, err := pathParam(c, "key")
	if err != nil {
		return err
	}
	if s.cfg.Credentials.Fixed(key) {
		return lrs.Errorf(lrs.ECONFLICT, "credential %q comes from --credentials: remove it there (policy: credentials)", key)
	}
	cur, exists := s.cfg.Credentials.Lookup(key)
	if !exists || !cur.Revoked.IsZero() {
		return lrs.Errorf(lrs.ENOTFOUND, "no credential %q in use", key)
	}
	if cur.HasRole(lrs.RoleAdmin) && s.activeAdmins() <= 1 {
		return lrs.Errorf(lrs.ECONFLICT, "credential %q is the last admin; add another admin before revoking it (policy: credentials)", key)
	}
	seq, err := s.appendCredentialChange(c, lrs.CredentialChange{Op: lrs.CredentialRevoke, By: credential(c).Key, Key: key}, cur.Store)
	if err != nil {
		return err
	}
	stored, _ := s.cfg.Credentials.Lookup(key)
	return c.JSON(http.StatusOK, map[string]any{"credential": credentialInfo(stored, false), "seq": seq})
}

func (s *Server) activeAdmins() int {
	n := 0
	for _, cred := range s.cfg.Credentials.List() {
		if cred.Revoked.IsZero() && cred.HasRole(lrs.RoleAdmin) {
			n++
		}
	}
	return n
}

// appendCredentialChange appends ch on the credential's store and applies
// it here at once, so that the next request on this node sees it.
func (s *Server) appendCredentialChange(c echo.Context, ch lrs.CredentialChange, store string) (uint64, error) {
	payload, err := lrs.EncodeCredentialChange(ch)
	if err != nil {
		return 0, err
	}
	if store == "" {
		store = lrs.DefaultStore
	}
	by := credential(c).Authority()
	by.Store = store
	seq, err := s.cfg.Writer.AppendEvent(c.Request().Context(), lrs.EventCredentials, lrs.EventCredentialsV1, lrs.CredentialsKind, payload, by)
	if err != nil {
		return 0, err
	}
	if err := s.cfg.Credentials.Apply(seq, s.cfg.Now(), ch); err != nil {
		return 0, lrs.Internal("apply credential change", err)
	}
	return seq, nil
}

// institution names the institusiPenyelenggara of a SIASN row: the display
// name of the credential that wrote the claim, when it has one (an
// administrator set it, so it wins); else the claim's organizer, its
// context.platform as the statement wrote it; else nothing. The
// credential's key is never used: it names a login, not an institution.
func (s *Server) institution(it bangkom.Item) string {
	if s.cfg.Credentials != nil && it.By() != "" {
		if cred, ok := s.cfg.Credentials.Lookup(it.By()); ok && cred.Name != "" {
			return cred.Name
		}
	}
	return it.Organizer
}
