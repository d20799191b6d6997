package natslog

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jejak-id/jejak/lrs"
)

// DefaultBucket is the name of the object store that holds attachment data.
const DefaultBucket = "JEJAK_ATTACHMENTS"

// ObjectsConfig names the object store bucket and how it is replicated.
type ObjectsConfig struct {
	Bucket   string // default DefaultBucket
	Replicas int    // as the log: 1 embedded, 3 on a cluster
}

// Objects keeps attachment data in a JetStream Object Store bucket, one
// object per body, named by the body's SHA-2 in lowercase hex. The bucket
// is on file storage; the embedded server syncs every chunk before it
// acknowledges it, so a body is durable once Put returns. An object is never
// replaced: its name says what its content is.
//
// Put and Get move the chunks themselves, in the bucket's standard layout
// (NATS ADR-20, the layout nats.go and the nats CLI read and write), so that
// memory stays bounded: at most putWindow chunks in flight on a write and a
// few chunks buffered on a read, however large the object or slow the
// HTTP client. The client library's own Put publishes without waiting for
// the server and its Get receives as fast as the server pushes; both hold
// most of a large object in memory when the other side is slower.
type Objects struct {
	js     jetstream.JetStream
	store  jetstream.ObjectStore
	stream jetstream.Stream
	bucket string
}

const (
	chunkSize = 128 << 10 // the object store's default chunk
	putWindow = 8         // chunks published and not yet acknowledged
	getWindow = 4         // chunks fetched ahead of the reader
)

// OpenObjects creates the bucket on first use, or opens and checks an
// existing one. nc stays owned by the caller; Objects needs no closing.
func OpenObjects(ctx context.Context, nc *nats.Conn, cfg ObjectsConfig) (*Objects, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultBucket
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	var store jetstream.ObjectStore
	// A cluster's JetStream may take a moment to elect a leader after start.
	for attempt := 0; ; attempt++ {
		store, err = js.ObjectStore(ctx, cfg.Bucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			store, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
				Bucket:      cfg.Bucket,
				Description: "Jejak attachment data, one object per SHA-2.",
				Storage:     jetstream.FileStorage,
				Replicas:    cfg.Replicas,
			})
		}
		if err == nil || attempt >= 20 || ctx.Err() != nil || !retryable(err) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		return nil, fmt.Errorf("open object store %s: %w", cfg.Bucket, err)
	}
	st, err := store.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("object store %s status: %w", cfg.Bucket, err)
	}
	if st.Storage() != jetstream.FileStorage {
		return nil, fmt.Errorf("object store %s exists on %v storage, want file", cfg.Bucket, st.Storage())
	}
	if st.Replicas() != cfg.Replicas {
		return nil, fmt.Errorf("object store %s exists with %d replicas, want %d", cfg.Bucket, st.Replicas(), cfg.Replicas)
	}
	stream, err := js.Stream(ctx, "OBJ_"+cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("object store %s stream: %w", cfg.Bucket, err)
	}
	return &Objects{js: js, store: store, stream: stream, bucket: cfg.Bucket}, nil
}

// Bucket returns the bucket name.
func (o *Objects) Bucket() string { return o.bucket }

func (o *Objects) chunkSubject(nuid string) string { return "$O." + o.bucket + ".C." + nuid }

func (o *Objects) metaSubject(name string) string {
	return "$O." + o.bucket + ".M." + base64.URLEncoding.EncodeToString([]byte(name))
}

// Put stores the data read from r as the object named name, unless that
// object exists already: then it reads r to its end and discards it. It
// streams in chunks, at most putWindow unacknowledged. When r fails, Put
// returns r's error (wrapped) and stores nothing, so a reader that checks
// a hash at its end keeps a wrong body out. Put returns once the server
// has acknowledged every chunk and the object's metadata.
func (o *Objects) Put(ctx context.Context, name string, r io.Reader) error {
	info, err := o.store.GetInfo(ctx, name)
	switch {
	case err == nil && !info.Deleted:
		if _, err := io.Copy(io.Discard, r); err != nil {
			return fmt.Errorf("put %s: %w", name, err)
		}
		return nil
	case err != nil && !errors.Is(err, jetstream.ErrObjectNotFound):
		return fmt.Errorf("put %s: %w", name, err)
	}

	nuid := rand.Text()
	subject := o.chunkSubject(nuid)
	var (
		h = sha256.New()
		// A chunk's buffer is reused only once the chunk is acknowledged:
		// the client may publish it again until then.
		ring    [putWindow + 1][]byte
		pending []jetstream.PubAckFuture
		size    uint64
		chunks  uint32
	)
	wait := func(f jetstream.PubAckFuture) error {
		select {
		case <-f.Ok():
			return nil
		case err := <-f.Err():
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	fail := func(err error) error {
		for _, f := range pending {
			_ = wait(f)
		}
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = o.stream.Purge(pctx, jetstream.WithPurgeSubject(subject))
		return fmt.Errorf("put %s: %w", name, err)
	}
	for {
		// Fill the chunk: an HTTP body yields a few KB per Read, and a
		// message per Read would make thousands of tiny, synced messages.
		buf := ring[chunks%(putWindow+1)]
		if buf == nil {
			buf = make([]byte, chunkSize)
			ring[chunks%(putWindow+1)] = buf
		}
		n, rerr := io.ReadFull(r, buf)
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			return fail(rerr)
		}
		if n > 0 {
			h.Write(buf[:n])
			if len(pending) == putWindow {
				if err := wait(pending[0]); err != nil {
					return fail(err)
				}
				pending = pending[1:]
			}
			f, err := o.js.PublishAsync(subject, buf[:n])
			if err != nil {
				return fail(err)
			}
			pending = append(pending, f)
			size += uint64(n)
			chunks++
		}
		if rerr != nil {
			break
		}
	}
	for len(pending) > 0 {
		if err := wait(pending[0]); err != nil {
			return fail(err)
		}
		pending = pending[1:]
	}
	meta, err := json.Marshal(jetstream.ObjectInfo{
		ObjectMeta: jetstream.ObjectMeta{Name: name, Opts: &jetstream.ObjectMetaOptions{ChunkSize: chunkSize}},
		Bucket:     o.bucket,
		NUID:       nuid,
		Size:       size,
		Chunks:     chunks,
		ModTime:    time.Now().UTC(),
		Digest:     jetstream.GetObjectDigestValue(h),
	})
	if err != nil {
		return fail(err)
	}
	m := nats.NewMsg(o.metaSubject(name))
	m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	m.Data = meta
	if _, err := o.js.PublishMsg(ctx, m); err != nil {
		return fail(err)
	}
	return nil
}

// Get opens the object named name; lrs.ENOTFOUND if there is none. The
// data streams as it is read, a few chunks ahead; the reader fails if ctx
// ends or if the data does not match the object's size and digest. The
// caller closes the reader.
func (o *Objects) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	info, err := o.store.GetInfo(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, lrs.Errorf(lrs.ENOTFOUND, "no attachment data named %s", name)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	r := &objectReader{ctx: ctx, name: name, info: info, h: sha256.New()}
	if info.Chunks == 0 {
		return r, nil
	}
	cons, err := o.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{o.chunkSubject(info.NUID)},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		// Close deletes the consumer; this catches a reader never closed.
		InactiveThreshold: time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	r.stream, r.cons = o.stream, cons
	r.it, err = cons.Messages(jetstream.PullMaxMessages(getWindow))
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	return r, nil
}

// objectReader reads an object's chunks in order and checks them at the end.
type objectReader struct {
	ctx    context.Context
	name   string
	info   *jetstream.ObjectInfo
	stream jetstream.Stream
	cons   jetstream.Consumer        // nil for an empty object
	it     jetstream.MessagesContext // nil for an empty object
	h      hash.Hash
	buf    []byte
	chunks uint32
	size   uint64
	err    error
}

func (r *objectReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.chunks == r.info.Chunks {
			if r.size != r.info.Size || jetstream.GetObjectDigestValue(r.h) != r.info.Digest {
				r.err = fmt.Errorf("get %s: the data does not match the object's size and digest", r.name)
			} else {
				r.err = io.EOF
			}
			continue
		}
		m, err := r.it.Next(jetstream.NextContext(r.ctx))
		if err != nil {
			r.err = fmt.Errorf("get %s: chunk %d: %w", r.name, r.chunks+1, err)
			continue
		}
		r.buf = m.Data()
		r.h.Write(r.buf)
		r.chunks++
		r.size += uint64(len(r.buf))
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// Close stops reading and deletes the consumer.
func (r *objectReader) Close() error {
	if r.it != nil {
		r.it.Stop()
	}
	if r.cons == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 5*time.Second)
	defer cancel()
	err := r.stream.DeleteConsumer(ctx, r.cons.CachedInfo().Name)
	r.cons = nil
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("get %s: close: %w", r.name, err)
	}
	return nil
}
