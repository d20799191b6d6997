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
	"log/slog"
	"sync"
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
	// Logger reports bodies left behind; nil discards.
	Logger *slog.Logger
}

// Objects keeps attachment data in a JetStream Object Store bucket, one
// object per body, named by the body's SHA-2 in lowercase hex. The bucket
// is on file storage; the embedded server syncs every chunk before it
// acknowledges it, so a body is durable once Put returns. An object is never
// replaced: its name says what its content is. A body stored for a request
// that then fails is deleted when nothing can need it (see claim).
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
	logger *slog.Logger

	mu     sync.Mutex
	claims map[string]*claim // by name, while requests hold them
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
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Objects{js: js, store: store, stream: stream, bucket: cfg.Bucket, logger: cfg.Logger, claims: map[string]*claim{}}, nil
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
//
// The body is held for the caller's request until release is called, with
// appended true when the statements that need the body were appended (or
// were stored already) and false when the request failed. A body that the
// failed requests stored and nothing else claimed is deleted then: see
// claim. release must be called exactly once when Put succeeds; when Put
// fails it has released already.
func (o *Objects) Put(ctx context.Context, name string, r io.Reader) (release func(appended bool), err error) {
	c := o.acquire(name)
	var once sync.Once
	release = func(appended bool) {
		once.Do(func() { o.release(ctx, name, c, appended) })
	}
	if err := o.put(ctx, name, c, r); err != nil {
		release(false)
		return nil, fmt.Errorf("put %s: %w", name, err)
	}
	return release, nil
}

// Orphans and claims.
//
// A body is stored before the statements that need it are appended
// (bodies first, so that no statement in the log lacks its data), and the
// append may then fail: an id conflict, a part that fails later, a client
// that goes away. The body would stay in the bucket with nothing
// referring to it. Put therefore holds every body for its request, and a
// body is deleted when the requests that stored it all failed, provided
// that nobody else can be relying on it:
//
//   - On this node, a claim counts the requests holding a name. The body is
//     deleted only when the last of them is released, and only if one of
//     them created it and none of them was appended.
//   - Across nodes, every request that finds the object stored already
//     claims it in the bucket before relying on it: it publishes the
//     object's metadata again, expecting the metadata's last sequence
//     (compare-and-swap). The delete marker is published the same way,
//     expecting the sequence this node wrote last: when any other writer
//     (another node's claim) came between, the delete fails and the body
//     stays. A claim that loses to a delete finds the object gone and
//     stores the body itself.
//
// So a body that an appended statement may need is never deleted; what can
// remain is a body that requests on two nodes claimed and both failed, or
// one stored by a node that stopped before its request was answered.
// docs/adr/0012-attachment-orphans.md records the choice.
type claim struct {
	mu       sync.Mutex // serialises this node's metadata writes for the name
	live     int        // requests holding the name; guarded by Objects.mu
	created  bool       // a holder stored the current generation of the object
	foreign  bool       // someone else wrote the metadata since it was created
	seq      uint64     // the metadata sequence this node wrote last
	nuid     string     // the chunks of the generation created here
	appended bool       // a holder's statements were appended; guarded by Objects.mu
}

func (o *Objects) acquire(name string) *claim {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := o.claims[name]
	if c == nil {
		c = &claim{}
		o.claims[name] = c
	}
	c.live++
	return c
}

// release ends one request's hold on name and deletes the object when the
// last holder goes and the object is an orphan this node may delete.
func (o *Objects) release(ctx context.Context, name string, c *claim, appended bool) {
	o.mu.Lock()
	c.live--
	c.appended = c.appended || appended
	last, kept := c.live == 0, c.appended
	if last {
		delete(o.claims, name)
	}
	o.mu.Unlock()
	if !last || kept {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.created || c.foreign {
		return
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := o.deleteOrphan(dctx, name, c); err != nil {
		o.logger.Warn("attachment data left without a statement", "component", "objects", "sha2", name, "err", err)
	}
}

// deleteOrphan publishes the delete marker for the generation c created,
// unless someone wrote the metadata since, then purges its chunks.
func (o *Objects) deleteOrphan(ctx context.Context, name string, c *claim) error {
	meta, err := json.Marshal(jetstream.ObjectInfo{
		ObjectMeta: jetstream.ObjectMeta{Name: name},
		Bucket:     o.bucket,
		NUID:       c.nuid,
		Deleted:    true,
	})
	if err != nil {
		return err
	}
	if _, err := o.writeMeta(ctx, name, meta, c.seq); err != nil {
		if errors.Is(err, errMetaMoved) {
			return nil // claimed by another node: it stays
		}
		return err
	}
	return o.stream.Purge(ctx, jetstream.WithPurgeSubject(o.chunkSubject(c.nuid)))
}

// errMetaMoved reports that an object's metadata changed since it was read.
var errMetaMoved = errors.New("object metadata changed")

// writeMeta publishes meta as name's metadata if its last sequence is still
// expect (0: none), and returns the new sequence.
func (o *Objects) writeMeta(ctx context.Context, name string, meta []byte, expect uint64) (uint64, error) {
	m := nats.NewMsg(o.metaSubject(name))
	m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	m.Data = meta
	ack, err := o.js.PublishMsg(ctx, m, jetstream.WithExpectLastSequencePerSubject(expect))
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
			return 0, errMetaMoved
		}
		return 0, err
	}
	return ack.Sequence, nil
}

// lastMeta reads name's metadata: its sequence (0 if none) and the object,
// nil when there is none or it is deleted.
func (o *Objects) lastMeta(ctx context.Context, name string) (uint64, []byte, *jetstream.ObjectInfo, error) {
	m, err := o.stream.GetLastMsgForSubject(ctx, o.metaSubject(name))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil, nil, nil
	}
	if err != nil {
		return 0, nil, nil, err
	}
	var info jetstream.ObjectInfo
	if err := json.Unmarshal(m.Data, &info); err != nil {
		return 0, nil, nil, fmt.Errorf("metadata at sequence %d: %w", m.Sequence, err)
	}
	if info.Deleted {
		return m.Sequence, m.Data, nil, nil
	}
	return m.Sequence, m.Data, &info, nil
}

// put claims the stored object named name, or stores r's data as it and
// claims that; see claim.
func (o *Objects) put(ctx context.Context, name string, c *claim, r io.Reader) error {
	var staged *jetstream.ObjectInfo // our chunks, stored and not yet named
	for {
		c.mu.Lock()
		seq, data, cur, err := o.lastMeta(ctx, name)
		if err != nil {
			c.mu.Unlock()
			return o.unstage(ctx, staged, err)
		}
		if cur != nil {
			// Stored already: claim it, then read the request's copy
			// through (its hash is checked at its end).
			next, err := o.writeMeta(ctx, name, data, seq)
			if errors.Is(err, errMetaMoved) {
				c.mu.Unlock()
				continue
			}
			if err != nil {
				c.mu.Unlock()
				return o.unstage(ctx, staged, err)
			}
			if seq != c.seq {
				c.foreign = true
			}
			c.seq = next
			c.mu.Unlock()
			if staged != nil {
				return o.unstage(ctx, staged, nil)
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				return err
			}
			return nil
		}
		if staged == nil {
			c.mu.Unlock()
			if staged, err = o.upload(ctx, name, r); err != nil {
				return err
			}
			continue
		}
		meta, err := json.Marshal(staged)
		if err != nil {
			c.mu.Unlock()
			return o.unstage(ctx, staged, err)
		}
		next, err := o.writeMeta(ctx, name, meta, seq)
		if errors.Is(err, errMetaMoved) {
			c.mu.Unlock()
			continue
		}
		if err != nil {
			c.mu.Unlock()
			return o.unstage(ctx, staged, err)
		}
		c.created, c.foreign, c.seq, c.nuid = true, false, next, staged.NUID
		c.mu.Unlock()
		return nil
	}
}

// unstage purges chunks stored under no name and returns err.
func (o *Objects) unstage(ctx context.Context, staged *jetstream.ObjectInfo, err error) error {
	if staged == nil {
		return err
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if perr := o.stream.Purge(pctx, jetstream.WithPurgeSubject(o.chunkSubject(staged.NUID))); perr != nil && err == nil {
		return perr
	}
	return err
}

// upload stores r's data as chunks under a new NUID and returns the
// metadata that would name them; it stores nothing if r fails.
func (o *Objects) upload(ctx context.Context, name string, r io.Reader) (*jetstream.ObjectInfo, error) {
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
		return err
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
			return nil, fail(rerr)
		}
		if n > 0 {
			h.Write(buf[:n])
			if len(pending) == putWindow {
				if err := wait(pending[0]); err != nil {
					return nil, fail(err)
				}
				pending = pending[1:]
			}
			f, err := o.js.PublishAsync(subject, buf[:n])
			if err != nil {
				return nil, fail(err)
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
			return nil, fail(err)
		}
		pending = pending[1:]
	}
	return &jetstream.ObjectInfo{
		ObjectMeta: jetstream.ObjectMeta{Name: name, Opts: &jetstream.ObjectMetaOptions{ChunkSize: chunkSize}},
		Bucket:     o.bucket,
		NUID:       nuid,
		Size:       size,
		Chunks:     chunks,
		ModTime:    time.Now().UTC(),
		Digest:     jetstream.GetObjectDigestValue(h),
	}, nil
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
