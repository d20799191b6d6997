package projections

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/google/uuid"
)

// Statement view key encoding, version 7 (7 changed the comparison hash of
// the s keys, which leaves out a duration's precision beyond hundredths of
// a second, see lrs.ComparableDuration; 6 stores each statement as served,
// with "timestamp" set to "stored" when it came without one
// (lrs.AppendServed); 5 added the postings of lrs.TermAuthority. A view of
// an older version is rebuilt by `jejak replay`).
// Every key starts with one byte naming its family; integers are
// big-endian so byte order is numeric order.
//
//	m "checkpoint"          → seq (8) | stored unix ms (8)    last applied event
//	m "format"              → "1"                             this encoding's version
//	p seq(8) index(4)       → flags (1) | id (16) | statement JSON as served   a statement by position (records database)
//	s id(16)                → seq (8) | index (4) | hash (32) a statement's position
//	w target(16)            → voiding id (16)                 a void that came before its target
//	t storedms(8) seq(8)    → ""                              stored time → position (since/until)
//	i term(17) seq(8) idx(4)→ narrow (1)                      posting: statements by term (lrs.Term)
//	r target(16) seq idx    → referrer id (16)                a StatementRef to target, from that position
//	q target(16)            → 1                               a StatementRef came before its target
//	d sha16(activity id)    → activity JSON                   canonical activity definition
//	e sha16(verb id)        → display language map JSON      canonical verb display
//	n sha16(IFI) name       → 1                               a name an agent went by
//
// The p records live in a Pebble database of their own in records/ inside
// the view's directory, the other keys in the view's database. A chunk's
// records commit, synced, just before its index keys and checkpoint (so the
// records are never behind the index after a crash): records past
// the checkpoint (a crash between the two) are written again, the same,
// when the chunk is folded again, and no read reaches them before.
//
// A position (seq, index) is the event that carried the statement and its
// index among the statements of that event: stored order. flags bit 0 marks
// a voided statement, bit 1 a voiding statement. A posting holds a
// statement's own terms and those it inherits through StatementRefs; its
// value is 1 when the term is narrow (lrs.Term), so one list serves an
// agent or activity filter with and without related_agents or
// related_activities.
const (
	famMeta     = 'm'
	famPosition = 'p'
	famID       = 's'
	famVoid     = 'w'
	famTime     = 't'
	famPosting  = 'i'
	famRef      = 'r'
	famAwaited  = 'q'
	famActivity = 'd'
	famVerb     = 'e'
	famName     = 'n'

	statementFormat = "7"

	// statementHead is the length of a p record before the statement JSON.
	statementHead = 17

	flagVoided  = 1 << 0
	flagVoiding = 1 << 1

	postingNarrow = 1
)

func positionKey(seq uint64, index uint32) []byte {
	k := make([]byte, 13)
	k[0] = famPosition
	binary.BigEndian.PutUint64(k[1:], seq)
	binary.BigEndian.PutUint32(k[9:], index)
	return k
}

func parsePositionKey(k []byte) (seq uint64, index uint32) {
	return binary.BigEndian.Uint64(k[1:9]), binary.BigEndian.Uint32(k[9:13])
}

// Position is a statement's place in stored order.
type position struct {
	seq   uint64
	index uint32
}

func (p position) append(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, p.seq)
	return binary.BigEndian.AppendUint32(dst, p.index)
}

func (p position) less(q position) bool {
	return p.seq < q.seq || (p.seq == q.seq && p.index < q.index)
}

// next returns the position right after p.
func (p position) next() position {
	if p.index == ^uint32(0) {
		return position{p.seq + 1, 0}
	}
	return position{p.seq, p.index + 1}
}

// prev returns the position right before p (p must not be the zero position).
func (p position) prev() position {
	if p.index == 0 {
		return position{p.seq - 1, ^uint32(0)}
	}
	return position{p.seq, p.index - 1}
}

func decodePosition(b []byte) position {
	return position{binary.BigEndian.Uint64(b), binary.BigEndian.Uint32(b[8:])}
}

var maxPosition = position{^uint64(0), ^uint32(0)}

func postingKey(term []byte, p position) []byte {
	k := make([]byte, 0, 1+len(term)+12)
	k = append(k, famPosting)
	k = append(k, term...)
	return p.append(k)
}

func timeKey(storedMs int64, seq uint64) []byte {
	k := make([]byte, 17)
	k[0] = famTime
	binary.BigEndian.PutUint64(k[1:], uint64(storedMs))
	binary.BigEndian.PutUint64(k[9:], seq)
	return k
}

func famPosKey(fam byte, p position) []byte {
	return p.append([]byte{fam})
}

func refKey(target [16]byte, p position) []byte {
	k := make([]byte, 0, 29)
	k = append(k, famRef)
	k = append(k, target[:]...)
	return p.append(k)
}

func hashKey(fam byte, s string) []byte {
	h := sha256.Sum256([]byte(s))
	return append([]byte{fam}, h[:16]...)
}

func idKey(fam byte, id uuid.UUID) []byte {
	k := make([]byte, 17)
	k[0] = fam
	copy(k[1:], id[:])
	return k
}

// idRecord is the value under an s key.
type idRecord struct {
	seq   uint64
	index uint32
	hash  [32]byte
}

func (r idRecord) encode() []byte {
	v := make([]byte, 44)
	binary.BigEndian.PutUint64(v, r.seq)
	binary.BigEndian.PutUint32(v[8:], r.index)
	copy(v[12:], r.hash[:])
	return v
}

func decodeIDRecord(v []byte) idRecord {
	var r idRecord
	r.seq = binary.BigEndian.Uint64(v)
	r.index = binary.BigEndian.Uint32(v[8:])
	copy(r.hash[:], v[12:44])
	return r
}

func encodeCheckpoint(seq uint64, storedMs int64) []byte {
	v := make([]byte, 16)
	binary.BigEndian.PutUint64(v, seq)
	binary.BigEndian.PutUint64(v[8:], uint64(storedMs))
	return v
}

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}
