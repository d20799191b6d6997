package projections

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/jejak-id/jejak/lrs"
)

// DocumentIndex is the documents view: State, Activity Profile and Agent
// Profile documents as the log's xapi.document events leave them.
type DocumentIndex struct {
	*view
}

var _ lrs.DocumentView = (*DocumentIndex)(nil)

// OpenDocumentIndex opens (or creates) the view in dir. The caller closes
// it after every reader and the projector have stopped.
func OpenDocumentIndex(dir string, opts *pebble.Options) (*DocumentIndex, error) {
	v, err := openView("documents", dir, opts, documentFormat)
	if err != nil {
		return nil, err
	}
	v.wants = func(typ string) bool { return typ == lrs.EventDocument }
	return &DocumentIndex{view: v}, nil
}

// Apply folds a chunk of events into the view in one batch with the
// checkpoint. Events of other types are passed over.
func (ix *DocumentIndex) Apply(events []lrs.LogEvent) error {
	return ix.apply(events, func(b *pebble.Batch, env lrs.Envelope) error {
		if env.Type != lrs.EventDocument {
			return nil
		}
		if env.V != lrs.EventDocumentV1 {
			return lrs.Errorf(lrs.EINVALID, "unknown %s schema version %d", env.Type, env.V)
		}
		key, ch, err := lrs.DecodeDocumentPayload(env.Payload)
		if err != nil {
			return err
		}
		key.Store = env.Store
		switch ch.Op {
		case lrs.DocPut:
			rec := docRecord{subjectSeq: env.Seq, exists: true, updated: env.Stored, contentType: ch.ContentType, body: ch.Body}
			if err := b.Set(docKey(key.Hash()), rec.encode(), nil); err != nil {
				return err
			}
			return b.Set(docListKey(key.ScopeHash(), key.ID), binary.BigEndian.AppendUint64(nil, uint64(env.Stored.UnixMilli())), nil)
		case lrs.DocDelete:
			if err := b.Set(docKey(key.Hash()), docRecord{subjectSeq: env.Seq}.encode(), nil); err != nil {
				return err
			}
			return b.Delete(docListKey(key.ScopeHash(), key.ID), nil)
		case lrs.DocDeleteAll:
			return ix.deleteScope(b, key)
		}
		return nil
	})
}

// deleteScope deletes every document of scope; their subjects saw no
// event, so their subject sequences stay.
func (ix *DocumentIndex) deleteScope(b *pebble.Batch, scope lrs.DocumentKey) error {
	prefix := docListPrefix(scope.ScopeHash())
	it, err := b.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	var ids []string
	for ok := it.First(); ok; ok = it.Next() {
		ids = append(ids, string(it.Key()[len(prefix):]))
	}
	if err := it.Close(); err != nil {
		return err
	}
	for _, id := range ids {
		k := scope
		k.ID = id
		dk := docKey(k.Hash())
		old, err := getCopy(b, dk)
		if err != nil {
			return err
		}
		var seq uint64
		if old != nil {
			seq = decodeDocRecord(old).subjectSeq
		}
		if err := b.Set(dk, docRecord{subjectSeq: seq}.encode(), nil); err != nil {
			return err
		}
		if err := b.Delete(docListKey(scope.ScopeHash(), id), nil); err != nil {
			return err
		}
	}
	return nil
}

// Document returns the document under key (Exists false when none).
func (ix *DocumentIndex) Document(_ context.Context, key lrs.DocumentKey) (lrs.Document, error) {
	v, err := ix.get(docKey(key.Hash()))
	if err != nil {
		return lrs.Document{}, lrs.Internal("documents view", err)
	}
	d := lrs.Document{Key: key}
	if v == nil {
		return d, nil
	}
	rec := decodeDocRecord(v)
	d.SubjectSeq, d.Exists = rec.subjectSeq, rec.exists
	if rec.exists {
		d.ContentType, d.Body, d.Updated = rec.contentType, rec.body, rec.updated
	}
	return d, nil
}

// DocumentIDs returns the ids of scope's documents updated after since.
func (ix *DocumentIndex) DocumentIDs(_ context.Context, scope lrs.DocumentKey, since time.Time) ([]string, time.Time, error) {
	prefix := docListPrefix(scope.ScopeHash())
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, time.Time{}, lrs.Internal("documents view", err)
	}
	defer it.Close()
	ids := []string{}
	var newest time.Time
	for ok := it.First(); ok; ok = it.Next() {
		updated := time.UnixMilli(int64(binary.BigEndian.Uint64(it.Value())))
		if !since.IsZero() && !updated.After(since) {
			continue
		}
		ids = append(ids, string(it.Key()[len(prefix):]))
		if updated.After(newest) {
			newest = updated
		}
	}
	if err := it.Error(); err != nil {
		return nil, time.Time{}, lrs.Internal("documents view", err)
	}
	return ids, newest, nil
}
