package natslog_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/lrs/natslog"
)

var _ api.AttachmentStore = (*natslog.Objects)(nil)

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// failingReader yields its data, then fails instead of ending.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestObjects(t *testing.T) {
	ctx := context.Background()
	s := lrstest.NATS(t)
	objs := lrstest.Objects(t, s)

	t.Run("bucket is on file storage", func(t *testing.T) {
		js, _ := jetstream.New(lrstest.Conn(t, s))
		st, err := js.ObjectStore(ctx, natslog.DefaultBucket)
		if err != nil {
			t.Fatal(err)
		}
		status, err := st.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if status.Storage() != jetstream.FileStorage {
			t.Fatalf("storage %v", status.Storage())
		}
		// Opening again finds and accepts the bucket.
		lrstest.Objects(t, s)
	})

	t.Run("put then get streams the body back", func(t *testing.T) {
		body := bytes.Repeat([]byte("jejak attachment "), 40000) // ~680 KB: several chunks
		h := sum(body)
		if err := objs.Put(ctx, h, bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
		r, err := objs.Get(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, body) {
			t.Fatalf("got %d bytes back, want %d", len(got), len(body))
		}
	})

	t.Run("a second put of the same name reads and discards", func(t *testing.T) {
		body := []byte("first")
		h := sum(body)
		if err := objs.Put(ctx, h, bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
		cr := &countingReader{r: strings.NewReader("second, longer")}
		if err := objs.Put(ctx, h, cr); err != nil {
			t.Fatal(err)
		}
		if cr.n != len("second, longer") {
			t.Fatalf("read %d bytes of the second body, want all", cr.n)
		}
		r, err := objs.Get(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if got, _ := io.ReadAll(r); string(got) != "first" {
			t.Fatalf("object is %q, want the first body", got)
		}
		// The drained reader's error still counts.
		boom := lrs.Errorf(lrs.EINVALID, "boom")
		if err := objs.Put(ctx, h, &failingReader{r: strings.NewReader("x"), err: boom}); !errors.Is(err, boom) {
			t.Fatalf("Put = %v, want the reader's error", err)
		}
	})

	t.Run("a failing reader stores nothing", func(t *testing.T) {
		body := bytes.Repeat([]byte("x"), 300<<10)
		h := sum(body)
		boom := lrs.Errorf(lrs.EINVALID, "hash mismatch")
		err := objs.Put(ctx, h, &failingReader{r: bytes.NewReader(body), err: boom})
		if !errors.Is(err, boom) {
			t.Fatalf("Put = %v, want the reader's error", err)
		}
		if _, err := objs.Get(ctx, h); lrs.ErrorCode(err) != lrs.ENOTFOUND {
			t.Fatalf("Get after failed Put = %v, want ENOTFOUND", err)
		}
	})

	t.Run("small reads fill whole chunks", func(t *testing.T) {
		body := bytes.Repeat([]byte("0123456789abcdef"), 40000) // 640 KB
		h := sum(body)
		if err := objs.Put(ctx, h, iotest.OneByteReader(bytes.NewReader(body))); err != nil {
			t.Fatal(err)
		}
		info, err := store(t, s).GetInfo(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if info.Chunks != 5 || info.Size != uint64(len(body)) {
			t.Fatalf("%d chunks of %d bytes, want 5 of 128 KiB at most", info.Chunks, info.Size)
		}
	})

	t.Run("objects are in the standard layout, both ways", func(t *testing.T) {
		ours := bytes.Repeat([]byte("written by Objects.Put "), 20000)
		if err := objs.Put(ctx, sum(ours), bytes.NewReader(ours)); err != nil {
			t.Fatal(err)
		}
		got, err := store(t, s).GetBytes(ctx, sum(ours))
		if err != nil || !bytes.Equal(got, ours) {
			t.Fatalf("the client library reads %d bytes, err %v", len(got), err)
		}
		theirs := bytes.Repeat([]byte("written by the client library "), 20000)
		if _, err := store(t, s).PutBytes(ctx, sum(theirs), theirs); err != nil {
			t.Fatal(err)
		}
		r, err := objs.Get(ctx, sum(theirs))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, theirs) {
			t.Fatalf("Objects.Get reads %d bytes, err %v", len(got), err)
		}
	})

	t.Run("a reader stopped early releases its consumer", func(t *testing.T) {
		body := bytes.Repeat([]byte("y"), 1<<20)
		if err := objs.Put(ctx, sum(body), bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
		r, err := objs.Get(ctx, sum(body))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(r, make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		js, _ := jetstream.New(lrstest.Conn(t, s))
		st, err := js.Stream(ctx, "OBJ_"+natslog.DefaultBucket)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Consumers != 0 {
			t.Fatalf("%d consumers left on the bucket after Close", info.State.Consumers)
		}
	})

	t.Run("get of an unknown name is ENOTFOUND", func(t *testing.T) {
		if _, err := objs.Get(ctx, sum([]byte("never stored"))); lrs.ErrorCode(err) != lrs.ENOTFOUND {
			t.Fatalf("Get = %v, want ENOTFOUND", err)
		}
	})

	t.Run("empty body", func(t *testing.T) {
		h := sum(nil)
		if err := objs.Put(ctx, h, bytes.NewReader(nil)); err != nil {
			t.Fatal(err)
		}
		r, err := objs.Get(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if got, err := io.ReadAll(r); err != nil || len(got) != 0 {
			t.Fatalf("ReadAll = %q, %v", got, err)
		}
	})
}

// store is the bucket as the client library sees it.
func store(t *testing.T, s *server.Server) jetstream.ObjectStore {
	t.Helper()
	js, _ := jetstream.New(lrstest.Conn(t, s))
	st, err := js.ObjectStore(context.Background(), natslog.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestOpenObjects_RefusesOtherReplicas(t *testing.T) {
	s := lrstest.NATS(t)
	lrstest.Objects(t, s)
	_, err := natslog.OpenObjects(context.Background(), lrstest.Conn(t, s), natslog.ObjectsConfig{Replicas: 3})
	if err == nil || !strings.Contains(err.Error(), "replicas") {
		t.Fatalf("OpenObjects with other replicas = %v, want an error naming replicas", err)
	}
}
