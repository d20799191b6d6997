package projections

import (
	"encoding/binary"
	"time"
)

// Documents view key encoding, version 2 (besides the m keys of every view;
// 2 keeps each store's documents apart, see lrs.DocumentKey.Store: a view of
// version 1 is rebuilt by `jejak replay`):
//
//	D keyhash(16)          → subject seq (8) | exists (1) | updated ms (8) | content-type length (2) | content type | body
//	L scopehash(16) id     → updated ms (8)          the ids of a scope's existing documents
//
// keyhash and scopehash are lrs.DocumentKey.Hash and ScopeHash. A deleted
// document keeps its D record (exists 0) so the sequence of the last event
// on its subject stays known to writers.
const (
	famDocument = 'D'
	famDocList  = 'L'

	documentFormat = "2"
)

func docKey(h [16]byte) []byte { return append([]byte{famDocument}, h[:]...) }

func docListPrefix(scope [16]byte) []byte { return append([]byte{famDocList}, scope[:]...) }

func docListKey(scope [16]byte, id string) []byte { return append(docListPrefix(scope), id...) }

// docRecord is the value under a D key.
type docRecord struct {
	subjectSeq  uint64
	exists      bool
	updated     time.Time
	contentType string
	body        []byte
}

func (r docRecord) encode() []byte {
	v := make([]byte, 0, 19+len(r.contentType)+len(r.body))
	v = binary.BigEndian.AppendUint64(v, r.subjectSeq)
	if r.exists {
		v = append(v, 1)
	} else {
		v = append(v, 0)
	}
	v = binary.BigEndian.AppendUint64(v, uint64(r.updated.UnixMilli()))
	v = binary.BigEndian.AppendUint16(v, uint16(len(r.contentType)))
	v = append(v, r.contentType...)
	return append(v, r.body...)
}

func decodeDocRecord(v []byte) docRecord {
	r := docRecord{
		subjectSeq: binary.BigEndian.Uint64(v),
		exists:     v[8] == 1,
		updated:    time.UnixMilli(int64(binary.BigEndian.Uint64(v[9:]))).UTC(),
	}
	n := int(binary.BigEndian.Uint16(v[17:]))
	r.contentType = string(v[19 : 19+n])
	r.body = v[19+n:]
	return r
}
