package lrs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// LogEvent is one message of the log as read back.
type LogEvent struct {
	Seq     uint64
	Subject string
	Data    []byte
	Time    time.Time           // when the stream stored it (zero when unknown)
	Header  map[string][]string // message headers (nil when none or unknown)
}

// ErrLogMoved is returned by Log.Append when the log's last sequence is not
// the expected one: another writer appended first.
var ErrLogMoved = errors.New("log moved past the expected sequence")

// Log is the append side of the event log.
type Log interface {
	// Last returns the last event of the log, or a zero LogEvent when it is empty.
	Last(ctx context.Context) (LogEvent, error)
	// Get returns the event at seq.
	Get(ctx context.Context, seq uint64) (LogEvent, error)
	// Append writes one event, succeeding only if the log's last sequence
	// is r.ExpectLast (and, when r.ExpectSubject, the last sequence on
	// r.Subject is r.ExpectSubjectLast); it returns the new event's sequence
	// once the log has made it durable. r.MsgID makes retries idempotent.
	// A sequence mismatch returns ErrLogMoved.
	Append(ctx context.Context, r AppendRequest) (uint64, error)
	// MaxEventSize is the largest message the log accepts.
	MaxEventSize() int
}

// PipelineLog is a Log that takes an append while earlier ones are in
// flight, storing them in the order sent (see Appender).
type PipelineLog interface {
	Log
	// AppendAsync sends r and returns at once; the outcome, as Append
	// would give it, comes within timeout.
	AppendAsync(r AppendRequest, timeout time.Duration) (PendingAppend, error)
}

// PendingAppend is an append in flight.
type PendingAppend interface {
	// Done is closed when the outcome is known.
	Done() <-chan struct{}
	// Result waits for the outcome: the event's sequence, or an error
	// (ErrLogMoved on a mismatched expectation).
	Result() (uint64, error)
}

// AppendRequest is one event to append with its expectations.
type AppendRequest struct {
	Subject    string
	Data       []byte
	MsgID      string
	ExpectLast uint64
	// ExpectLastMsgID, when set, also requires the log's last event to be
	// the one appended with that MsgID: an append chained on one still in
	// flight fails if that one did not land where it was meant to.
	ExpectLastMsgID   string
	ExpectSubject     bool
	ExpectSubjectLast uint64
}

// LogReader follows the event log in order.
type LogReader interface {
	// Follow calls fn with events from sequence from onwards, in order, in
	// chunks of whatever is available, until ctx is done or fn fails. It
	// returns ctx.Err() or fn's error.
	Follow(ctx context.Context, from uint64, fn func([]LogEvent) error) error
	// LastSeq returns the log's last sequence.
	LastSeq(ctx context.Context) (uint64, error)
	// Get returns the event at seq.
	Get(ctx context.Context, seq uint64) (LogEvent, error)
}

// GapError is what Follow returns when the log skips sequences: events
// From to To cannot be read (a damaged store lost them). The events before
// From were delivered.
type GapError struct {
	Log      string
	From, To uint64
}

func (e *GapError) Error() string {
	if e.From == e.To {
		return fmt.Sprintf("follow %s: event %d cannot be read (the log goes on at %d)", e.Log, e.From, e.To+1)
	}
	return fmt.Sprintf("follow %s: events %d to %d cannot be read (the log goes on at %d)", e.Log, e.From, e.To, e.To+1)
}

// Subject returns the log subject for events of kind in store.
func Subject(store, kind string) string { return "jejak." + store + "." + kind }

// StoredStatement is a statement as held by the statement view.
type StoredStatement struct {
	ID     uuid.UUID
	Seq    uint64    // log sequence of the event that carried it
	Stored time.Time // set for a single statement; zero in a page of a listing
	Voided bool
	JSON   []byte
}

// StatementQuery selects statements for GET /statements without an id.
type StatementQuery struct {
	Filter    StatementFilter
	Limit     int    // 1..MaxPageSize
	Ascending bool   // oldest first
	After     Cursor // continue after this position (zero: from the start)
}

// Cursor is a keyset position in stored order: (event sequence, index in event).
type Cursor struct {
	Seq   uint64
	Index uint32
}

// IsZero reports whether c is the start of a listing.
func (c Cursor) IsZero() bool { return c.Seq == 0 && c.Index == 0 }

// StatementPage is one page of a listing. Next is zero when there is no more.
type StatementPage struct {
	Statements []StoredStatement
	Next       Cursor
}

// MaxPageSize is the server maximum for limit (limit=0 means this).
const MaxPageSize = 500

// StatementView is the read side of the statement view.
type StatementView interface {
	// Statement returns the statement with id. With voided false a voided
	// statement is ENOTFOUND; with voided true only a voided one is found.
	Statement(ctx context.Context, id uuid.UUID, voided bool) (StoredStatement, error)
	// Statements returns one page of statements, voided ones left out.
	Statements(ctx context.Context, q StatementQuery) (StatementPage, error)
	// ContentHash returns the comparison hash of a stored statement and
	// whether it exists (voided or not).
	ContentHash(ctx context.Context, id uuid.UUID) (Hash, bool, error)
	// Applied is the last log sequence folded into the view and the stored
	// time of that event.
	Applied() (uint64, time.Time)
	// WaitApplied blocks until Applied reaches seq or ctx is done.
	WaitApplied(ctx context.Context, seq uint64) error
	// Activity returns the canonical Activity object for an activity id,
	// assembled from the statements that used it, or ENOTFOUND.
	Activity(id string) ([]byte, error)
	// VerbDisplay returns the canonical display map of a verb, nil if none.
	VerbDisplay(id string) ([]byte, error)
	// AgentNames returns the names an agent (by IFI) went by, sorted.
	AgentNames(ifi string) ([]string, error)
}

// DocumentView is the read side of the documents view.
type DocumentView interface {
	// Document returns the document under key; Exists is false when there
	// is none (SubjectSeq still names the last event on its subject).
	Document(ctx context.Context, key DocumentKey) (Document, error)
	// DocumentIDs returns the ids of the documents in key's scope updated
	// after since (all when since is zero), sorted, and when the newest of
	// them was updated.
	DocumentIDs(ctx context.Context, scope DocumentKey, since time.Time) ([]string, time.Time, error)
	// Applied and WaitApplied are as for StatementView.
	Applied() (uint64, time.Time)
	WaitApplied(ctx context.Context, seq uint64) error
}
