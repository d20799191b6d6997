package lrs

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// DocKind names a document resource.
type DocKind string

// The document resources.
const (
	DocState           DocKind = "state"            // /activities/state
	DocActivityProfile DocKind = "activity_profile" // /activities/profile
	DocAgentProfile    DocKind = "agent_profile"    // /agents/profile
)

// DocumentKey identifies a document. Agent is an IFI (see IFI); a State
// key has ActivityID, Agent and maybe Registration; an Activity Profile
// ActivityID; an Agent Profile Agent. ID is the stateId or profileId; a key
// without ID names the scope (every document of the other fields). Store
// is the store (tenant) the document belongs to: "" or DefaultStore for
// the default one; a document of one store is never one of another's.
type DocumentKey struct {
	Store        string
	Kind         DocKind
	ActivityID   string
	Agent        string
	Registration string
	ID           string
}

// Scope returns the canonical form of the key without its ID. A store
// other than the default one comes first, marked so that no key of the
// default store (which starts with its kind) has the same form; the
// default store's keys are as they were before stores.
func (k DocumentKey) Scope() string {
	s := string(k.Kind) + "\x00" + k.ActivityID + "\x00" + k.Agent + "\x00" + k.Registration
	if k.Store != "" && k.Store != DefaultStore {
		s = "store\x01" + k.Store + "\x00" + s
	}
	return s
}

// String returns the canonical form of the key.
func (k DocumentKey) String() string { return k.Scope() + "\x00" + k.ID }

// Hash returns a fixed-size hash of the key's canonical form.
func (k DocumentKey) Hash() [16]byte {
	sum := sha256.Sum256([]byte(k.String()))
	var h [16]byte
	copy(h[:], sum[:16])
	return h
}

// ScopeHash returns a fixed-size hash of the key's scope.
func (k DocumentKey) ScopeHash() [16]byte {
	sum := sha256.Sum256([]byte(k.Scope()))
	var h [16]byte
	copy(h[:], sum[:16])
	return h
}

// Subject returns the log subject of the document's events: one subject
// per document, so that writers can expect its last sequence.
func (k DocumentKey) Subject(store string) string {
	h := k.Hash()
	return Subject(store, "documents."+hex.EncodeToString(h[:]))
}

// ScopeSubject returns the log subject of events on a whole scope.
func (k DocumentKey) ScopeSubject(store string) string {
	h := k.ScopeHash()
	return Subject(store, "documents.scope."+hex.EncodeToString(h[:]))
}

// Document is a stored document.
type Document struct {
	Key         DocumentKey
	ContentType string
	Body        []byte
	Updated     time.Time
	// SubjectSeq is the sequence of the last event on the document's subject,
	// also after the document was deleted.
	SubjectSeq uint64
	Exists     bool
}

// ETag returns the document's entity tag: the quoted lowercase hex SHA-1
// of its content (xAPI Communication 3.1).
func (d *Document) ETag() string { return ETag(d.Body) }

// ETag returns the entity tag of content.
func ETag(content []byte) string {
	sum := sha1.Sum(content)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// DocOp is a document write.
type DocOp string

// Document writes.
const (
	DocPut       DocOp = "put"        // store, replacing
	DocMerge     DocOp = "merge"      // POST: merge JSON objects, or store when absent
	DocDelete    DocOp = "delete"     // delete one document
	DocDeleteAll DocOp = "delete_all" // delete every document of the key's scope (State)
)

// DocumentWrite is one request to change a document.
type DocumentWrite struct {
	Key         DocumentKey
	Op          DocOp
	ContentType string
	Body        []byte
	IfMatch     string // If-Match header, "" when absent
	IfNoneMatch string // If-None-Match header, "" when absent
	// RequirePrecondition makes a PUT on an existing document without
	// If-Match or If-None-Match a conflict (profiles; State under 2.0).
	RequirePrecondition bool
	// RequireHeader makes a PUT without If-Match or If-None-Match a
	// refusal whether or not the document exists: a conflict when it
	// does (as RequirePrecondition), a bad request when it does not
	// (the Agent and Activity Profile resources, whose clients must send
	// one: 1.0.3 Communication 3.1, 2.0.0 9274.1.1 for Content 5.1.6.5
	// and 5.1.6.6).
	RequireHeader bool
}

// DocumentChange is the decided outcome of a write: what the event records.
type DocumentChange struct {
	Op          DocOp // DocPut, DocDelete or DocDeleteAll; "" means nothing to write
	ContentType string
	Body        []byte
}

// IsJSONType reports whether a Content-Type is application/json.
func IsJSONType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/json")
}

// DecideDocument applies w to the current document (cur.Exists false when
// there is none) and returns the change to record. It is pure. Errors:
// EPRECONDITION when If-Match or If-None-Match fails, ECONFLICT for a PUT
// on an existing document without either when RequirePrecondition or
// RequireHeader is set, EINVALID for a PUT on a missing document without
// either when RequireHeader is set, and for a merge where either side is
// not a JSON object. Whether the document exists is decided here, against
// the document the write is appended after (the appender expects its
// subject's last sequence), so a refusal never races a concurrent write.
func DecideDocument(cur Document, w DocumentWrite) (DocumentChange, error) {
	if err := checkPreconditions(cur, w); err != nil {
		return DocumentChange{}, err
	}
	switch w.Op {
	case DocPut:
		if w.IfMatch == "" && w.IfNoneMatch == "" {
			if cur.Exists && (w.RequirePrecondition || w.RequireHeader) {
				return DocumentChange{}, Errorf(ECONFLICT, "the document exists: check its current state, then send If-Match with its ETag to replace it (or If-None-Match: * to create only)")
			}
			if !cur.Exists && w.RequireHeader {
				return DocumentChange{}, Errorf(EINVALID, "a PUT to this resource needs an If-Match or If-None-Match header: send If-None-Match: * to create the document, or If-Match with its ETag to replace it")
			}
		}
		return DocumentChange{Op: DocPut, ContentType: w.ContentType, Body: w.Body}, nil
	case DocMerge:
		// A JSON body must be an object whether or not there is anything
		// to merge it into: stored now, it could never be merged into.
		if IsJSONType(w.ContentType) && !isJSONObject(w.Body) {
			return DocumentChange{}, notMergeable()
		}
		if !cur.Exists {
			return DocumentChange{Op: DocPut, ContentType: w.ContentType, Body: w.Body}, nil
		}
		merged, err := MergeJSONDocuments(cur, w)
		if err != nil {
			return DocumentChange{}, err
		}
		return DocumentChange{Op: DocPut, ContentType: "application/json", Body: merged}, nil
	case DocDelete:
		if !cur.Exists {
			return DocumentChange{}, nil
		}
		return DocumentChange{Op: DocDelete}, nil
	case DocDeleteAll:
		return DocumentChange{Op: DocDeleteAll}, nil
	}
	return DocumentChange{}, Errorf(EINVALID, "unknown document operation %q", w.Op)
}

// checkPreconditions applies If-Match and If-None-Match (RFC 7232).
func checkPreconditions(cur Document, w DocumentWrite) error {
	if w.IfMatch != "" {
		if !cur.Exists {
			return Errorf(EPRECONDITION, "If-Match: the document does not exist")
		}
		if !matchETag(w.IfMatch, cur.ETag(), true) {
			return Errorf(EPRECONDITION, "If-Match: the document's ETag is %s", cur.ETag())
		}
	}
	if w.IfNoneMatch != "" && cur.Exists && matchETag(w.IfNoneMatch, cur.ETag(), false) {
		return Errorf(EPRECONDITION, "If-None-Match: the document exists with ETag %s", cur.ETag())
	}
	return nil
}

// matchETag reports whether an If-Match (strong comparison: a weak tag
// never matches) or If-None-Match (weak comparison) list matches etag
// (RFC 7232 2.3.2).
func matchETag(header, etag string, strong bool) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if weak, ok := strings.CutPrefix(t, "W/"); ok {
			if strong {
				continue
			}
			t = weak
		}
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

func notMergeable() error {
	return Errorf(EINVALID, "the request body is not a JSON object, so it cannot be merged: a POST of application/json merges a JSON object")
}

// isJSONObject reports whether b is one JSON object.
func isJSONObject(b []byte) bool {
	var p fastjson.Parser
	v, err := p.ParseBytes(b)
	return err == nil && v.Type() == fastjson.TypeObject
}

// MergeJSONDocuments merges the top-level properties of the new JSON
// object into the stored one; new values win (XAPI-00183..00186).
func MergeJSONDocuments(cur Document, w DocumentWrite) ([]byte, error) {
	if !IsJSONType(cur.ContentType) || !IsJSONType(w.ContentType) {
		return nil, Errorf(EINVALID, "a POST merges JSON objects: the stored document is %q and the request is %q; both must be application/json", cur.ContentType, w.ContentType)
	}
	var po, pn fastjson.Parser
	old, err := po.ParseBytes(cur.Body)
	if err != nil || old.Type() != fastjson.TypeObject {
		return nil, Errorf(EINVALID, "the stored document is not a JSON object, so it cannot be merged")
	}
	// The merged document is written anew, so the request must be JSON
	// whose text it can carry; fastjson's parser alone is lenient.
	if err := fastjson.ValidateBytes(w.Body); err != nil {
		return nil, Errorf(EINVALID, "the request body is not valid JSON, so it cannot be merged: %v", err)
	}
	if path, problem, ok := checkJSONText(w.Body); !ok {
		return nil, Errorf(EINVALID, "request body: %s: %s", formatPath("", path), problem)
	}
	upd, err := pn.ParseBytes(w.Body)
	if err != nil || upd.Type() != fastjson.TypeObject {
		return nil, notMergeable()
	}
	// One value per key (the last one given), in proportion to the size of
	// both documents.
	return AppendMergedObject(nil, old, upd), nil
}

// EventDocument is the event type of a document change, and its version.
const (
	EventDocument   = "xapi.document"
	EventDocumentV1 = 1
)

// EncodeDocumentPayload returns the payload of an xapi.document event:
//
//	{"kind":"state","activityId":"…","agent":{…},"registration":"…","id":"…",
//	 "op":"put","contentType":"…","body":"<base64>","etag":"\"…\""}
//
// agent is the Agent JSON the request named (for readers of the log); the
// document key uses its IFI. A merge is recorded as the put of the merged
// content, so the view's fold needs no merging.
func EncodeDocumentPayload(k DocumentKey, agent []byte, ch DocumentChange) []byte {
	dst := []byte(`{"kind":`)
	dst = AppendJSONString(dst, string(k.Kind))
	if k.ActivityID != "" {
		dst = append(dst, `,"activityId":`...)
		dst = AppendJSONString(dst, k.ActivityID)
	}
	if len(agent) > 0 {
		dst = append(dst, `,"agent":`...)
		dst = append(dst, agent...)
	}
	if k.Registration != "" {
		dst = append(dst, `,"registration":`...)
		dst = AppendJSONString(dst, k.Registration)
	}
	if ch.Op != DocDeleteAll {
		dst = append(dst, `,"id":`...)
		dst = AppendJSONString(dst, k.ID)
	}
	dst = append(dst, `,"op":`...)
	dst = AppendJSONString(dst, string(ch.Op))
	if ch.Op == DocPut {
		dst = append(dst, `,"contentType":`...)
		dst = AppendJSONString(dst, ch.ContentType)
		dst = append(dst, `,"body":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, ch.Body)
		dst = append(dst, `","etag":`...)
		dst = AppendJSONString(dst, ETag(ch.Body))
	}
	return append(dst, '}')
}

// DecodeDocumentPayload reads an xapi.document v1 payload.
func DecodeDocumentPayload(p *fastjson.Value) (DocumentKey, DocumentChange, error) {
	var k DocumentKey
	var ch DocumentChange
	k.Kind = DocKind(p.GetStringBytes("kind"))
	k.ActivityID = string(p.GetStringBytes("activityId"))
	if a := p.Get("agent"); a != nil {
		if k.Agent = IFI(a); k.Agent == "" {
			return k, ch, Errorf(EINVALID, "document event: agent without an IFI")
		}
	}
	k.Registration = string(p.GetStringBytes("registration"))
	k.ID = string(p.GetStringBytes("id"))
	ch.Op = DocOp(p.GetStringBytes("op"))
	switch ch.Op {
	case DocPut:
		ch.ContentType = string(p.GetStringBytes("contentType"))
		body, err := base64.StdEncoding.DecodeString(string(p.GetStringBytes("body")))
		if err != nil {
			return k, ch, Errorf(EINVALID, "document event: body: %v", err)
		}
		ch.Body = body
	case DocDelete, DocDeleteAll:
	default:
		return k, ch, Errorf(EINVALID, "document event: unknown op %q", ch.Op)
	}
	switch k.Kind {
	case DocState, DocActivityProfile, DocAgentProfile:
	default:
		return k, ch, Errorf(EINVALID, "document event: unknown kind %q", k.Kind)
	}
	return k, ch, nil
}
