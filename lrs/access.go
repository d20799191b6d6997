package lrs

import (
	"encoding/base64"
	"time"
)

// Access is one entry of the access log for personal data (UU 27/2022):
// a read of a person's records, of a unit's, of a supervisor's approval
// queue or of the national SIASN export, with who read it, through which
// route, when, and the status it was answered with. Refused and failed
// reads are recorded too.
type Access struct {
	Time     time.Time `json:"time"`               // when the read was answered
	Who      string    `json:"who"`                // the principal's key
	Kind     string    `json:"kind"`               // PrincipalCredential or PrincipalPerson
	Name     string    `json:"name,omitempty"`     // the principal's display name
	ActsFor  string    `json:"acts_for,omitempty"` // NIP a credential acts for (Principal.Person)
	Scope    string    `json:"scope"`              // AccessPerson, AccessUnit, AccessApprovals or AccessExport
	NIP      string    `json:"nip,omitempty"`      // whose records (person), or the supervisor (approvals)
	Unit     string    `json:"unit,omitempty"`     // the unit read (unit), or the export's unit filter
	Method   string    `json:"method"`             // GET or HEAD
	Route    string    `json:"route"`              // the route pattern, e.g. /api/v1/people/:nip/jp
	Query    string    `json:"query,omitempty"`    // the request's query string (filters), at most MaxAccessQuery bytes
	Status   int       `json:"status"`             // the HTTP status answered
	Seq      uint64    `json:"seq,omitempty"`      // its sequence in the access stream (when read back)
	Recorded time.Time `json:"recorded,omitzero"`  // when the stream stored it (when read back)
}

// Access scopes: what kind of records a read touched.
const (
	AccessPerson    = "person"    // one person's records: JP, competencies, SIASN rows, statements by their agent
	AccessUnit      = "unit"      // a unit's report or approval queue, or a SIASN export of one unit
	AccessApprovals = "approvals" // a supervisor's approval queue: the pending claims of their people
	AccessExport    = "export"    // the SIASN export of every registered person, or a verifier's own approval queue
)

// MaxAccessQuery bounds the query string kept in an entry.
const MaxAccessQuery = 1024

// AccessSubjectPrefix begins every subject of the access log stream. It is
// not under jejak.>, the event log's subjects, so the two streams never
// overlap.
const AccessSubjectPrefix = "jejak_access"

// AccessSubject is the subject an entry is stored under, so that the reads
// of one person, one unit or one supervisor's queue are a filtered read of
// the stream: jejak_access.person.<nip>, jejak_access.unit.<unit>,
// jejak_access.approvals.<nip>, jejak_access.export. A unit name is
// written in unpadded base64url (a subject token holds no '.', '*', '>'
// or spaces).
func AccessSubject(scope, nip, unit string) string {
	switch scope {
	case AccessPerson, AccessApprovals:
		return AccessSubjectPrefix + "." + scope + "." + nip
	case AccessUnit:
		return AccessUnitSubject(unit)
	default:
		return AccessSubjectPrefix + "." + AccessExport
	}
}

// AccessUnitSubject is the subject of the reads of unit.
func AccessUnitSubject(unit string) string {
	return AccessSubjectPrefix + "." + AccessUnit + "." + base64.RawURLEncoding.EncodeToString([]byte(unit))
}

// Subject is the subject e is stored under.
func (e Access) Subject() string { return AccessSubject(e.Scope, e.NIP, e.Unit) }

// AccessQuery selects entries of the access log. Subjects, when not empty,
// are the subjects to read (see AccessSubject); empty reads every entry.
type AccessQuery struct {
	Subjects     []string
	Who          string    // only this principal key
	Since, Until time.Time // recorded at or after Since, at or before Until
	Limit        int       // at most this many entries, the oldest first
}

// DefaultAccessLimit and MaxAccessLimit bound the entries of one query.
const (
	DefaultAccessLimit = 1000
	MaxAccessLimit     = 10000
)
