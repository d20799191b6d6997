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
		if err := putKept(ctx, objs, h, bytes.NewReader(body)); err != nil {
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
		if err := putKept(ctx, objs, h, bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
		cr := &countingReader{r: strings.NewReader("second, longer")}
		if err := putKept(ctx, objs, h, cr); err != nil {
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
		if err := putKept(ctx, objs, h, &failingReader{r: strings.NewReader("x"), err: boom}); !errors.Is(err, boom) {
			t.Fatalf("Put = %v, want the reader's error", err)
		}
	})

	t.Run("a failing reader stores nothing", func(t *testing.T) {
		body := bytes.Repeat([]byte("x"), 300<<10)
		h := sum(body)
		boom := lrs.Errorf(lrs.EINVALID, "hash mismatch")
		err := putKept(ctx, objs, h, &failingReader{r: bytes.NewReader(body), err: boom})
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
		if err := putKept(ctx, objs, h, iotest.OneByteReader(bytes.NewReader(body))); err != nil {
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
		if err := putKept(ctx, objs, sum(ours), bytes.NewReader(ours)); err != nil {
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
		if err := putKept(ctx, objs, sum(body), bytes.NewReader(body)); err != nil {
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
		if err := putKept(ctx, objs, h, bytes.NewReader(nil)); err != nil {
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

// putKept stores a body as for a request whose statements were appended.
func putKept(ctx context.Context, objs *natslog.Objects, name string, r io.Reader) error {
	release, err := objs.Put(ctx, name, r)
	if err != nil {
		return err
	}
	release(true)
	return nil
}

// chunkBytes is how many bytes of chunks the bucket holds under any name.
func chunkBytes(t *testing.T, s *server.Server) uint64 {
	t.Helper()
	ctx := context.Background()
	js, _ := jetstream.New(lrstest.Conn(t, s))
	st, err := js.Stream(ctx, "OBJ_"+natslog.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	var total uint64
	for seq := uint64(1); ; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			info, ierr := st.Info(ctx)
			if ierr != nil {
				t.Fatal(ierr)
			}
			if seq > info.State.LastSeq {
				return total
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(m.Subject, "$O."+natslog.DefaultBucket+".C.") {
			total += uint64(len(m.Data))
		}
	}
}

// TestObjects_Orphans checks that a body stored for requests that all
// failed is deleted, chunks and all, and that a body any request may rely
// on stays, on one node or across two.
func TestObjects_Orphans(t *testing.T) {
	ctx := context.Background()
	body := func(tag string) []byte { return bytes.Repeat([]byte("orphan "+tag+" "), 30000) } // several chunks

	type step struct {
		node   int  // which node's Objects
		put    bool // Put (else release the holder put earliest and not yet released)
		holder int  // for a release: index of the Put among the steps' puts
		kept   bool // for a release: appended
	}
	cases := []struct {
		name  string
		steps []step
		want  bool // the body is still stored at the end
	}{
		{"a failed request's body is deleted", []step{{put: true}, {holder: 0}}, false},
		{"an appended request's body stays", []step{{put: true}, {holder: 0, kept: true}}, true},
		{"two failed requests on one node: deleted", []step{{put: true}, {put: true}, {holder: 0}, {holder: 1}}, false},
		{"creator fails after a claimer was appended: stays", []step{{put: true}, {put: true}, {holder: 1, kept: true}, {holder: 0}}, true},
		{"claimer appended after the creator failed: stays", []step{{put: true}, {put: true}, {holder: 0}, {holder: 1, kept: true}}, true},
		{"a failed claim of a body stored earlier: stays", []step{{put: true}, {holder: 0, kept: true}, {put: true}, {holder: 1}}, true},
		{"creator fails while another node claims: stays", []step{{put: true}, {node: 1, put: true}, {holder: 0}, {holder: 1, kept: true}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := lrstest.NATS(t)
			nodes := []*natslog.Objects{lrstest.Objects(t, s), lrstest.Objects(t, s)}
			b := body(tc.name)
			h := sum(b)
			var holds []func(bool)
			for _, st := range tc.steps {
				if st.put {
					release, err := nodes[st.node].Put(ctx, h, bytes.NewReader(b))
					if err != nil {
						t.Fatal(err)
					}
					holds = append(holds, release)
					continue
				}
				holds[st.holder](st.kept)
			}
			r, err := nodes[0].Get(ctx, h)
			switch {
			case tc.want && err != nil:
				t.Fatalf("Get = %v, want the body kept", err)
			case tc.want:
				got, err := io.ReadAll(r)
				r.Close()
				if err != nil || !bytes.Equal(got, b) {
					t.Fatalf("read back %d bytes, %v; want %d", len(got), err, len(b))
				}
			case lrs.ErrorCode(err) != lrs.ENOTFOUND:
				if err == nil {
					r.Close()
				}
				t.Fatalf("Get = %v, want ENOTFOUND: the body is an orphan", err)
			default:
				if n := chunkBytes(t, s); n != 0 {
					t.Fatalf("%d bytes of chunks left in the bucket after the delete", n)
				}
				if _, err := store(t, s).List(ctx); !errors.Is(err, jetstream.ErrNoObjectsFound) {
					t.Fatalf("List = %v, want no objects", err)
				}
			}
		})
	}

	t.Run("a body deleted as an orphan is stored again by the next request", func(t *testing.T) {
		s := lrstest.NATS(t)
		objs := lrstest.Objects(t, s)
		b := body("again")
		h := sum(b)
		release, err := objs.Put(ctx, h, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		release(false)
		if err := putKept(ctx, objs, h, bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		r, err := objs.Get(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, b) {
			t.Fatalf("read back %d bytes, %v", len(got), err)
		}
		if n := chunkBytes(t, s); n != uint64(len(b)) {
			t.Fatalf("%d bytes of chunks in the bucket, want %d: the deleted generation's chunks stay", n, len(b))
		}
	})

	t.Run("two requests storing the same new body at once keep one copy", func(t *testing.T) {
		s := lrstest.NATS(t)
		nodes := []*natslog.Objects{lrstest.Objects(t, s), lrstest.Objects(t, s)}
		b := body("race")
		h := sum(b)
		errs := make(chan error, 4)
		for i := range 4 {
			go func() { errs <- putKept(ctx, nodes[i%2], h, iotest.HalfReader(bytes.NewReader(b))) }()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if n := chunkBytes(t, s); n != uint64(len(b)) {
			t.Fatalf("%d bytes of chunks in the bucket, want one copy of %d", n, len(b))
		}
	})
}
