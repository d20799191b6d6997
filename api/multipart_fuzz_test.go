package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
)

// memoryStore is an AttachmentStore in memory that counts holds: it
// isolates the multipart reader from the object store for fuzzing.
type memoryStore struct {
	bodies   map[string][]byte
	puts     int
	released int
}

func (m *memoryStore) Put(_ context.Context, hash string, r io.Reader) (func(bool), error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if _, ok := m.bodies[hash]; !ok {
		m.bodies[hash] = b
	}
	m.puts++
	done := false
	return func(bool) {
		if done {
			panic("released twice")
		}
		done = true
		m.released++
	}, nil
}

func (m *memoryStore) Get(_ context.Context, hash string) (io.ReadCloser, error) {
	b, ok := m.bodies[hash]
	if !ok {
		return nil, lrs.Errorf(lrs.ENOTFOUND, "no %s", hash)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func hexSHA256(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// fuzzMultipartSeed is a multipart/mixed write: a statement with the
// given attachment data (hash and length declared right unless told).
func fuzzMultipartSeed(parts ...[]byte) (contentType string, body []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	var atts []string
	for i, p := range parts {
		atts = append(atts, fmt.Sprintf(`{"usageType":"http://e.com/usage/%d","display":{"en-US":"file"},"contentType":"application/octet-stream","length":%d,"sha2":"%s"}`, i, len(p), hexSHA256(p)))
	}
	st := `{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/a"},"attachments":[` + strings.Join(atts, ",") + `]}`
	w, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json"}})
	io.WriteString(w, st)
	for _, p := range parts {
		w, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/octet-stream"}, "Content-Transfer-Encoding": {"binary"}, "X-Experience-API-Hash": {hexSHA256(p)}})
		w.Write(p)
	}
	mw.Close()
	return "multipart/mixed; boundary=" + mw.Boundary(), buf.Bytes()
}

// FuzzReadStatements feeds arbitrary multipart/mixed bodies to the reader
// of statement writes. It must never panic; a refused body is an EINVALID
// or ETOOLARGE *Error with a message, and every body it stored is
// released; an accepted one returns statements that prepare, and every
// attachment needing data has it stored, with its declared hash and length.
func FuzzReadStatements(f *testing.F) {
	for _, parts := range [][][]byte{
		nil,
		{[]byte("hello")},
		{[]byte("one"), []byte("two")},
		{[]byte("same"), []byte("same")},
		{{}},
		{bytes.Repeat([]byte("\r\n--"), 100)},
	} {
		ct, body := fuzzMultipartSeed(parts...)
		f.Add(ct, body)
	}
	f.Add("multipart/mixed; boundary=b", []byte("--b\r\nContent-Type: application/json\r\n\r\n{}\r\n--b--\r\n"))
	f.Add("multipart/mixed", []byte(""))
	f.Add("application/json", []byte(`{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://e.com/v"},"object":{"id":"http://e.com/a"}}`))

	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		store := &memoryStore{bodies: map[string][]byte{}}
		s := &Server{cfg: Config{MaxBodyBytes: 64 << 10, MaxAttachmentBytes: 64 << 10, Attachments: store}}
		req := httptest.NewRequest(http.MethodPost, "/xapi/statements", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		c := echo.New().NewContext(req, httptest.NewRecorder())
		c.Set(ctxCredential, lrs.Credential{Key: "fuzz", Roles: []string{lrs.RoleProvider}})

		var (
			stmts   []byte
			release func(bool)
			err     error
		)
		done := make(chan struct{})
		go func() { defer close(done); stmts, release, err = s.readStatements(c) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("readStatements did not return for content type %q and a body of %d bytes", contentType, len(body))
		}
		if err != nil {
			var e *lrs.Error
			if !errors.As(err, &e) || (e.Code != lrs.EINVALID && e.Code != lrs.ETOOLARGE) || e.Message == "" {
				t.Fatalf("readStatements = %#v, want an EINVALID or ETOOLARGE *Error", err)
			}
			if store.released != store.puts {
				t.Fatalf("refused with %d of %d stored bodies still held", store.puts-store.released, store.puts)
			}
			return
		}
		defer func() {
			release(true)
			if store.released != store.puts {
				t.Fatalf("%d of %d stored bodies not released", store.puts-store.released, store.puts)
			}
		}()
		if _, err := lrs.PrepareStatements(context.Background(), lrs.StatementsInput{Body: stmts}, lrs.Credential{Key: "fuzz"}.Authority(), uuid.New); err != nil {
			// application/json is passed through as sent: the handler's
			// PrepareStatements refuses a bad body with 400. A multipart
			// request's statements part is read and matched to its
			// attachments here, so it must prepare.
			var e *lrs.Error
			if mt, _, _ := mime.ParseMediaType(contentType); mt == "application/json" && errors.As(err, &e) && e.Code == lrs.EINVALID {
				return
			}
			t.Fatalf("accepted statements do not prepare: %v", err)
		}
		root, err := fastjson.ParseBytes(stmts)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range lrs.AttachmentsOf(root) {
			data, ok := store.bodies[a.Key]
			if !a.NeedsData() {
				continue
			}
			if !ok {
				t.Fatalf("%s: accepted without its data", a.Path)
			}
			h, _ := lrs.NewSHA2(a.Key)
			h.Write(data)
			if lrs.HexSum(h) != a.Key || int64(len(data)) != a.Length {
				t.Fatalf("%s: stored %d bytes with hash %s; declared %d bytes, %s", a.Path, len(data), lrs.HexSum(h), a.Length, a.Key)
			}
		}
	})
}
