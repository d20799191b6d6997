package api_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/lrs/natslog"
)

// attEnv is an API over a real log, view and attachment object store.
type attEnv struct {
	*env
	objects api.AttachmentStore
	nats    *server.Server
}

func newAttachmentEnv(t testing.TB, maxAttachmentBytes int64) *attEnv {
	t.Helper()
	s := lrstest.NATS(t)
	node := lrstest.StartNode(t, lrstest.Log(t, s))
	objects := lrstest.Objects(t, s)
	cred, secret := lrstest.Credential(t, "provider-1", lrs.RoleProvider)
	cred.Scopes = []string{lrs.ScopeAll} // the conformance suite's client reads and writes everything
	srv := api.New(api.Config{
		Auth:               lrs.NewKeyring([]lrs.Credential{cred}),
		Statements:         node.View,
		Writer:             node.Appender,
		MaxBodyBytes:       1 << 20,
		Attachments:        objects,
		MaxAttachmentBytes: maxAttachmentBytes,
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &attEnv{env: &env{url: ts.URL + "/xapi", key: cred.Key, secret: secret}, objects: objects, nats: s}
}

// stored reports whether the store holds data under sha2.
func (e *attEnv) stored(t *testing.T, sha2 string) bool {
	t.Helper()
	r, err := e.objects.Get(context.Background(), sha2)
	if lrs.ErrorCode(err) == lrs.ENOTFOUND {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	return true
}

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// attachmentJSON is an Attachment object; fileURL "" leaves fileUrl out.
func attachmentJSON(usage, contentType string, data []byte, sha2, fileURL string) string {
	s := `{"usageType":"` + usage + `","display":{"en-US":"a file"},"contentType":"` + contentType + `","length":` + fmt.Sprint(len(data)) + `,"sha2":"` + sha2 + `"`
	if fileURL != "" {
		s += `,"fileUrl":"` + fileURL + `"`
	}
	return s + `}`
}

// withAttachments is a statement carrying the given Attachment objects.
func withAttachments(id string, attachments ...string) string {
	st := stmt(id, "http://e.com/with-attachments")
	return st[:len(st)-1] + `,"attachments":[` + strings.Join(attachments, ",") + `]}`
}

// mpart is one part after the statements.
type mpart struct {
	header map[string]string // written as given; nil means the usual three
	data   []byte
}

func dataPart(sha2, contentType string, data []byte) mpart {
	return mpart{header: map[string]string{"Content-Type": contentType, "Content-Transfer-Encoding": "binary", "X-Experience-API-Hash": sha2}, data: data}
}

// multipartBody builds a multipart/mixed body: the statements with
// statementsType, then parts.
func multipartBody(t testing.TB, statementsType, statements string, parts ...mpart) (body, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {statementsType}})
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, statements)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		for k, v := range p.header {
			h[k] = []string{v}
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.data)
	}
	mw.Close()
	return buf.String(), "multipart/mixed; boundary=" + mw.Boundary()
}

// gotPart is one part of a multipart answer.
type gotPart struct {
	header textproto.MIMEHeader
	raw    string // the header block as sent, to check the names' case
	data   []byte
}

// readMultipart splits a multipart/mixed answer into its parts.
func readMultipart(t *testing.T, got resp) []gotPart {
	t.Helper()
	mt, params, err := mime.ParseMediaType(got.header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" || params["boundary"] == "" {
		t.Fatalf("Content-Type %q is not multipart/mixed with a boundary", got.header.Get("Content-Type"))
	}
	mr := multipart.NewReader(strings.NewReader(got.body), params["boundary"])
	var parts []gotPart
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading answer: %v", err)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, gotPart{header: p.Header, data: data})
	}
	// The raw header blocks, in order.
	blocks := strings.Split(got.body, "--"+params["boundary"])
	for i := range parts {
		if i+1 < len(blocks) {
			parts[i].raw, _, _ = strings.Cut(blocks[i+1], "\r\n\r\n")
		}
	}
	return parts
}

// binaryData is data a careless parser would trip on: every byte value,
// CRLFs and things that look like boundaries.
func binaryData(n int) []byte {
	b := make([]byte, 0, n+64)
	b = append(b, "\r\n--\r\n--boundary\r\n\r\n"...)
	for i := 0; len(b) < n; i++ {
		b = append(b, byte(i), byte(i*7))
	}
	return b[:n]
}

func TestAttachments_Multipart(t *testing.T) {
	e := newAttachmentEnv(t, 2<<20)
	data := binaryData(300 << 10) // several object store chunks
	h := sha256Hex(data)

	t.Run("XAPI-00167 POST multipart, then GET attachments=true gives the data back byte for byte", func(t *testing.T) {
		id := uuid.NewString()
		body, ct := multipartBody(t, "application/json", withAttachments(id, attachmentJSON("http://e.com/usage/essay", "application/pdf", data, h, "")), dataPart(h, "application/pdf", data))
		got := e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct})
		expect(t, got, 200, id)
		if !e.stored(t, h) {
			t.Fatal("data not in the store after 200")
		}
		got = e.do(t, req{method: "GET", path: "/statements?statementId=" + id + "&attachments=true"})
		expect(t, got, 200)
		parts := readMultipart(t, got)
		if len(parts) != 2 {
			t.Fatalf("%d parts, want the statement and one attachment", len(parts))
		}
		if parts[0].header.Get("Content-Type") != "application/json" || !strings.Contains(string(parts[0].data), id) {
			t.Fatalf("first part %v %s", parts[0].header, parts[0].data)
		}
		if !strings.Contains(parts[1].raw, "X-Experience-API-Hash: "+h) {
			t.Fatalf("attachment part headers %q lack X-Experience-API-Hash in that case", parts[1].raw)
		}
		if parts[1].header.Get("Content-Type") != "application/pdf" || parts[1].header.Get("Content-Transfer-Encoding") != "binary" {
			t.Fatalf("attachment part headers %v", parts[1].header)
		}
		if !bytes.Equal(parts[1].data, data) {
			t.Fatalf("attachment data differs: got %d bytes, want %d", len(parts[1].data), len(data))
		}
	})

	t.Run("XAPI-00161 attachments=false and absent answer plain JSON", func(t *testing.T) {
		for _, q := range []string{"", "&attachments=false"} {
			got := e.do(t, req{method: "GET", path: "/statements?limit=5" + q})
			expect(t, got, 200)
			if !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") {
				t.Fatalf("%q: Content-Type %q", q, got.header.Get("Content-Type"))
			}
		}
	})

	t.Run("PUT multipart; a list with attachments=true sends each body once", func(t *testing.T) {
		other := []byte("a short certificate")
		ho := sha256Hex(other)
		id := uuid.NewString()
		// The same body twice in one statement, and a second body.
		st := withAttachments("", attachmentJSON("http://e.com/usage/essay", "application/pdf", data, h, ""),
			attachmentJSON("http://e.com/usage/copy", "application/pdf", data, h, ""),
			attachmentJSON("http://id.tincanapi.com/attachment/certificate", "text/plain", other, ho, ""))
		body, ct := multipartBody(t, "application/json", st, dataPart(ho, "text/plain", other), dataPart(h, "application/pdf", data))
		expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: body, contentType: ct}), 204)

		got := e.do(t, req{method: "GET", path: "/statements?limit=10&attachments=true"})
		expect(t, got, 200)
		parts := readMultipart(t, got)
		var res struct{ Statements []struct{ ID string } }
		if err := json.Unmarshal(parts[0].data, &res); err != nil || len(res.Statements) != 2 {
			t.Fatalf("first part: %v %s", err, parts[0].data)
		}
		byHash := map[string][]byte{}
		for _, p := range parts[1:] {
			if _, dup := byHash[p.header.Get("X-Experience-API-Hash")]; dup {
				t.Fatalf("body %s sent twice", p.header.Get("X-Experience-API-Hash"))
			}
			byHash[p.header.Get("X-Experience-API-Hash")] = p.data
		}
		if len(byHash) != 2 || !bytes.Equal(byHash[h], data) || !bytes.Equal(byHash[ho], other) {
			t.Fatalf("got bodies for %d hashes", len(byHash))
		}
	})

	t.Run("SHA-512 and an upper-case sha2 work", func(t *testing.T) {
		s512 := sha512.Sum512(data)
		h512 := strings.ToUpper(hex.EncodeToString(s512[:]))
		id := uuid.NewString()
		body, ct := multipartBody(t, "application/json", withAttachments(id, attachmentJSON("http://e.com/usage/essay", "application/pdf", data, h512, "")), dataPart(strings.ToLower(h512), "application/pdf", data))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 200)
		parts := readMultipart(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id + "&attachments=true"}))
		if len(parts) != 2 || parts[1].header.Get("X-Experience-API-Hash") != h512 || !bytes.Equal(parts[1].data, data) {
			t.Fatalf("parts %d, hash %q", len(parts), parts[1].header.Get("X-Experience-API-Hash"))
		}
	})

	t.Run("a part whose data does not match its hash is 400 and nothing is kept", func(t *testing.T) {
		claimed := []byte("the data the statement describes")
		hc := sha256Hex(claimed)
		id := uuid.NewString()
		body, ct := multipartBody(t, "application/json", withAttachments(id, attachmentJSON("http://e.com/usage/essay", "text/plain", claimed, hc, "")), dataPart(hc, "text/plain", []byte("other data")))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 400, "part 2", hc)
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id}), 404)
		if e.stored(t, hc) {
			t.Fatal("mismatched data stored under the claimed hash")
		}
	})

	t.Run("XAPI-00129 an attachment without fileUrl and without a part is 400", func(t *testing.T) {
		id := uuid.NewString()
		missing := []byte("never sent")
		body, ct := multipartBody(t, "application/json", withAttachments(id, attachmentJSON("http://e.com/usage/essay", "text/plain", missing, sha256Hex(missing), "")))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 400, "attachments[0]", sha256Hex(missing))
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id}), 404)
	})

	t.Run("XAPI-00129 a batch is refused whole when its second statement misses a part", func(t *testing.T) {
		first, second := uuid.NewString(), uuid.NewString()
		missing := []byte("never sent either")
		batch := "[" + withAttachments(first, attachmentJSON("http://e.com/usage/essay", "application/pdf", data, h, "")) + "," +
			withAttachments(second, attachmentJSON("http://e.com/usage/essay", "text/plain", missing, sha256Hex(missing), "")) + "]"
		body, ct := multipartBody(t, "application/json", batch, dataPart(h, "application/pdf", data))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 400, "statements[1]: attachments[0]")
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + first}), 404)
	})

	t.Run("XAPI-00128 XAPI-00132 a part no attachment declares is 400", func(t *testing.T) {
		extra := []byte("extra")
		body, ct := multipartBody(t, "application/json", withAttachments("", attachmentJSON("http://e.com/usage/essay", "application/pdf", data, h, "")),
			dataPart(h, "application/pdf", data), dataPart(sha256Hex(extra), "text/plain", extra))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 400, "part 3", sha256Hex(extra))
		if e.stored(t, sha256Hex(extra)) {
			t.Fatal("undeclared part stored")
		}
		// A statement without attachments and a stray part.
		body, ct = multipartBody(t, "application/json", stmt("", "http://e.com/1"), dataPart(sha256Hex(extra), "text/plain", extra))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 400, "part 2")
	})

	t.Run("XAPI-00132 a part without X-Experience-API-Hash is 400", func(t *testing.T) {
		body, ct := multipartBody(t, "application/json", withAttachments("", attachmentJSON("http://e.com/usage/essay", "application/pdf", data, h, "")),
			mpart{header: map[string]string{"Content-Type": "application/pdf", "Content-Transfer-Encoding": "binary"}, data: data})
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 400, "X-Experience-API-Hash")
	})

	t.Run("XAPI-00135 a part without Content-Transfer-Encoding binary is 400", func(t *testing.T) {
		for _, cte := range []string{"", "base64"} {
			hdr := map[string]string{"Content-Type": "application/pdf", "X-Experience-API-Hash": h}
			if cte != "" {
				hdr["Content-Transfer-Encoding"] = cte
			}
			body, ct := multipartBody(t, "application/json", withAttachments("", attachmentJSON("http://e.com/usage/essay", "application/pdf", data, h, "")), mpart{header: hdr, data: data})
			expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 400, "Content-Transfer-Encoding")
		}
	})

	t.Run("XAPI-00134 a first part that is not application/json is 400", func(t *testing.T) {
		body, ct := multipartBody(t, "text/plain", stmt("", "http://e.com/1"))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 400, "first part", "application/json")
	})

	t.Run("XAPI-00131 multipart/mixed without a boundary is 400", func(t *testing.T) {
		body, _ := multipartBody(t, "application/json", stmt("", "http://e.com/1"))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: "multipart/mixed"}), 400, "boundary")
	})

	t.Run("XAPI-00130 a body without the declared boundary is 400", func(t *testing.T) {
		body, _ := multipartBody(t, "application/json", stmt("", "http://e.com/1"))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: "multipart/mixed; boundary=nothere"}), 400, "boundary")
	})

	t.Run("XAPI-00133 statements outside the first part are 400", func(t *testing.T) {
		id := uuid.NewString()
		body, ct := multipartBody(t, "application/json", `[]`, mpart{header: map[string]string{"Content-Type": "application/json"}, data: []byte(stmt(id, "http://e.com/late"))})
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 400, "part 2")
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id}), 404)
	})

	t.Run("XAPI-00138 a multipart body under another Content-Type is 400", func(t *testing.T) {
		body, ct := multipartBody(t, "application/json", stmt("", "http://e.com/1"))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: strings.Replace(ct, "multipart/mixed", "multipart/form-data", 1)}), 400, "multipart/form-data")
	})

	t.Run("XAPI-00137 MIME-Version below 1.0 is 400; 1.0 or none is accepted", func(t *testing.T) {
		body, ct := multipartBody(t, "application/json", stmt("", "http://e.com/mime-version"))
		r := req{method: "POST", path: "/statements", body: body, contentType: ct}
		expect(t, e.doWith(t, r, "MIME-Version", "0.9"), 400, "MIME-Version")
		expect(t, e.doWith(t, r, "MIME-Version", "1.0 (produced by a test)"), 200)
		expect(t, e.do(t, r), 200)
	})

	t.Run("a body cut short inside a part is 400 and keeps nothing", func(t *testing.T) {
		cutData := binaryData(200 << 10)[1:]
		hc := sha256Hex(cutData)
		body, ct := multipartBody(t, "application/json", withAttachments("", attachmentJSON("http://e.com/usage/essay", "application/pdf", cutData, hc, "")), dataPart(hc, "application/pdf", cutData))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body[:len(body)-50<<10], contentType: ct}), 400, "part 2")
		if e.stored(t, hc) {
			t.Fatal("a truncated part was stored")
		}
	})

	t.Run("an invalid statement is 400 before any data is stored", func(t *testing.T) {
		fresh := []byte("data of an invalid statement")
		hf := sha256Hex(fresh)
		bad := `{"actor":{"mbox":"mailto:x@example.com"},"verb":{"id":"http://e.com/v"},"attachments":[` + attachmentJSON("http://e.com/u", "text/plain", fresh, hf, "") + `]}`
		body, ct := multipartBody(t, "application/json", bad, dataPart(hf, "text/plain", fresh))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 400, "object")
		if e.stored(t, hf) {
			t.Fatal("data of an invalid statement stored")
		}
	})

	t.Run("multipart without attachments is accepted", func(t *testing.T) {
		body, ct := multipartBody(t, "application/json", stmt("", "http://e.com/plain"))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 200)
	})

	t.Run("fileUrl-only attachments are accepted as application/json and as multipart; no data is sent back", func(t *testing.T) {
		remote := []byte("kept elsewhere")
		hr := sha256Hex(remote)
		id := uuid.NewString()
		st := withAttachments(id, attachmentJSON("http://e.com/usage/essay", "text/plain", remote, hr, "https://files.example.com/essay.txt"))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: st}), 200)
		body, ct := multipartBody(t, "application/json", withAttachments("", attachmentJSON("http://e.com/usage/essay", "text/plain", remote, hr, "https://files.example.com/essay.txt")))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 200)
		parts := readMultipart(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id + "&attachments=true"}))
		if len(parts) != 1 {
			t.Fatalf("%d parts, want only the statement", len(parts))
		}
	})

	t.Run("XAPI-00129 application/json with an attachment without fileUrl is 400", func(t *testing.T) {
		st := withAttachments("", attachmentJSON("http://e.com/usage/essay", "application/pdf", data, h, ""))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: st}), 400, "attachments[0]", "multipart/mixed")
	})

	t.Run("attachment data over the limit is 413 and keeps nothing", func(t *testing.T) {
		big := binaryData(3 << 20)
		hb := sha256Hex(big)
		body, ct := multipartBody(t, "application/json", withAttachments("", attachmentJSON("http://e.com/usage/video", "video/mp4", big, hb, "")), dataPart(hb, "video/mp4", big))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 413, "limit")
		if e.stored(t, hb) {
			t.Fatal("oversized data stored")
		}
	})

	t.Run("data missing from the store cuts the answer short instead of ending it", func(t *testing.T) {
		lost := binaryData(100 << 10)[3:]
		hl := sha256Hex(lost)
		id := uuid.NewString()
		body, ct := multipartBody(t, "application/json", withAttachments(id, attachmentJSON("http://e.com/usage/essay", "application/pdf", lost, hl, "")), dataPart(hl, "application/pdf", lost))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 200)
		js, _ := jetstream.New(lrstest.Conn(t, e.nats))
		bucket, err := js.ObjectStore(context.Background(), natslog.DefaultBucket)
		if err != nil {
			t.Fatal(err)
		}
		if err := bucket.Delete(context.Background(), hl); err != nil {
			t.Fatal(err)
		}
		// The connection is cut: before the headers (small answers are
		// still buffered) or inside the body.
		res, err := attGet(e.env, "/statements?statementId="+id+"&attachments=true")
		if err == nil {
			defer res.Body.Close()
			_, err = io.ReadAll(res.Body)
		}
		if err == nil {
			t.Fatal("the answer ended cleanly without the attachment data")
		}
	})

	t.Run("HEAD with attachments=true answers the multipart type without a body", func(t *testing.T) {
		got := e.do(t, req{method: "HEAD", path: "/statements?attachments=true"})
		if got.status != 200 || got.body != "" || !strings.HasPrefix(got.header.Get("Content-Type"), "multipart/mixed; boundary=") {
			t.Fatalf("HEAD = %d %q %v", got.status, got.body, got.header)
		}
	})
}

// testSigner is an RSA key and a self-signed certificate made for a test;
// no key is ever committed.
type testSigner struct {
	key  *rsa.PrivateKey
	cert []byte
}

func newTestSigner(t testing.TB) testSigner {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jejak api test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return testSigner{key: key, cert: der}
}

// sign returns a compact JWS of payload with alg in the header and the
// certificate of cert as x5c. Any alg but RS384/RS512 signs with SHA-256.
func (s testSigner) sign(t testing.TB, alg, payload string, cert []byte) []byte {
	t.Helper()
	hb, _ := json.Marshal(map[string]any{"alg": alg, "x5c": []string{base64.StdEncoding.EncodeToString(cert)}})
	input := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	ch := map[string]crypto.Hash{"RS384": crypto.SHA384, "RS512": crypto.SHA512}[alg]
	if ch == 0 {
		ch = crypto.SHA256
	}
	d := ch.New()
	d.Write([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, ch, d.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(input + "." + base64.RawURLEncoding.EncodeToString(sig))
}

func TestAttachments_Signed(t *testing.T) {
	e := newAttachmentEnv(t, 0)
	key, otherKey := newTestSigner(t), newTestSigner(t)

	// signed returns a statement with a signature attachment and the part
	// carrying the JWS, made by sign from the statement as signed.
	signed := func(original string, jws []byte) (string, mpart) {
		hs := sha256Hex(jws)
		st := original[:len(original)-1] + `,"attachments":[` + attachmentJSON(lrs.SignatureUsage, "application/octet-stream", jws, hs, "") + `]}`
		return st, dataPart(hs, "application/octet-stream", jws)
	}
	post := func(t *testing.T, method, path, statements string, parts ...mpart) resp {
		t.Helper()
		body, ct := multipartBody(t, "application/json", statements, parts...)
		return e.do(t, req{method: method, path: path, body: body, contentType: ct})
	}

	t.Run("XAPI-00115 a valid RS256 signature is accepted and sent back", func(t *testing.T) {
		id := uuid.NewString()
		original := stmt(id, "http://e.com/signed")
		jws := key.sign(t, "RS256", original, key.cert)
		st, part := signed(original, jws)
		expect(t, post(t, "POST", "/statements", st, part), 200, id)
		parts := readMultipart(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id + "&attachments=true"}))
		if len(parts) != 2 || !bytes.Equal(parts[1].data, jws) || parts[1].header.Get("Content-Type") != "application/octet-stream" {
			t.Fatalf("%d parts; signature part %v", len(parts), parts[len(parts)-1].header)
		}
	})

	t.Run("XAPI-00117 RS512, PUT, payload without id", func(t *testing.T) {
		id := uuid.NewString()
		original := stmt("", "http://e.com/signed-put")
		st, part := signed(original, key.sign(t, "RS512", original, key.cert))
		expect(t, post(t, "PUT", "/statements?statementId="+id, st, part), 204)
	})

	t.Run("XAPI-00116 a signature over another statement is 400 naming the statement", func(t *testing.T) {
		good := stmt(uuid.NewString(), "http://e.com/fine")
		original := stmt(uuid.NewString(), "http://e.com/as-signed")
		st, part := signed(strings.Replace(original, "as-signed", "tampered", 1), key.sign(t, "RS256", original, key.cert))
		expect(t, post(t, "POST", "/statements", "["+good+","+st+"]", part), 400, "statements[1]: attachments[0]: signature", "differs")
	})

	t.Run("XAPI-00117 a signature by another key than the certificate's is 400", func(t *testing.T) {
		original := stmt(uuid.NewString(), "http://e.com/wrong-key")
		st, part := signed(original, otherKey.sign(t, "RS256", original, key.cert))
		expect(t, post(t, "POST", "/statements", st, part), 400, "attachments[0]: signature", "does not verify")
		if e.stored(t, part.header["X-Experience-API-Hash"]) {
			t.Fatal("a bad signature was stored")
		}
	})

	t.Run("XAPI-00117 HS256 is 400", func(t *testing.T) {
		original := stmt(uuid.NewString(), "http://e.com/hs256")
		st, part := signed(original, key.sign(t, "HS256", original, key.cert))
		expect(t, post(t, "POST", "/statements", st, part), 400, "HS256")
	})

	t.Run("XAPI-00115 a signature that is not attached is 400", func(t *testing.T) {
		original := stmt(uuid.NewString(), "http://e.com/unattached")
		st, _ := signed(original, key.sign(t, "RS256", original, key.cert))
		expect(t, post(t, "POST", "/statements", st), 400, "signature", "not attached")
		// Not even as JSON with a fileUrl.
		withURL := strings.Replace(st, `"sha2"`, `"fileUrl":"https://e.com/sig.jws","sha2"`, 1)
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: withURL}), 400, "signature")
	})

	t.Run("XAPI-00115 a signature with another contentType is 400", func(t *testing.T) {
		original := stmt(uuid.NewString(), "http://e.com/text-sig")
		st, part := signed(original, key.sign(t, "RS256", original, key.cert))
		st = strings.Replace(st, "application/octet-stream", "text/plain", 1)
		expect(t, post(t, "POST", "/statements", st, part), 400, "application/octet-stream")
	})
}

// TestAttachments_Large posts a 16 MB attachment streamed from a pipe and
// reads it back; memory is measured by BenchmarkAttachments_Large.
func TestAttachments_Large(t *testing.T) {
	if testing.Short() {
		t.Skip("large attachment")
	}
	e := newAttachmentEnv(t, 0)
	const size = 16 << 20
	h, id := postLarge(t, e, size)
	res, err := attGet(e.env, "/statements?statementId="+id+"&attachments=true")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	_, params, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	mr := multipart.NewReader(res.Body, params["boundary"])
	if _, err := mr.NextPart(); err != nil {
		t.Fatal(err)
	}
	p, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.New()
	n, err := io.Copy(d, p)
	if err != nil || n != size || hex.EncodeToString(d.Sum(nil)) != h {
		t.Fatalf("read back %d bytes (err %v), hash match %v", n, err, hex.EncodeToString(d.Sum(nil)) == h)
	}
}

// largeData is a deterministic stream of n bytes.
func largeData(n int64) io.Reader {
	block := binaryData(64 << 10)
	return io.LimitReader(&repeatReader{block: block}, n)
}

type repeatReader struct {
	block []byte
	off   int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := copy(p, r.block[r.off:])
	r.off = (r.off + n) % len(r.block)
	return n, nil
}

// postLarge streams a statement with an attachment of size bytes through a
// pipe, never holding the data, and returns its hash and the statement id.
func postLarge(t testing.TB, e *attEnv, size int64) (string, string) {
	t.Helper()
	d := sha256.New()
	io.Copy(d, largeData(size))
	h := hex.EncodeToString(d.Sum(nil))
	id := uuid.NewString()
	st := withAttachments(id, `{"usageType":"http://e.com/usage/video","display":{"en-US":"video"},"contentType":"video/mp4","length":`+fmt.Sprint(size)+`,"sha2":"`+h+`"}`)

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		w, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json"}})
		io.WriteString(w, st)
		w, _ = mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"video/mp4"}, "Content-Transfer-Encoding": {"binary"}, "X-Experience-API-Hash": {h}})
		if _, err := io.Copy(w, largeData(size)); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(mw.Close())
	}()
	hr, _ := http.NewRequest(http.MethodPost, e.url+"/statements", pr)
	hr.SetBasicAuth(e.key, e.secret)
	hr.Header.Set("X-Experience-API-Version", "1.0.3")
	hr.Header.Set("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("POST = %d %s", res.StatusCode, b)
	}
	return h, id
}

func attGet(e *env, path string) (*http.Response, error) {
	hr, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
	hr.SetBasicAuth(e.key, e.secret)
	hr.Header.Set("X-Experience-API-Version", "1.0.3")
	return http.DefaultClient.Do(hr)
}

// BenchmarkAttachments_Large posts a 50 MB attachment streamed from a pipe
// and reads it back streaming. It reports the peak live heap (client,
// server and the embedded nats-server together, sampled from the runtime's
// metrics) above the heap before it started: streaming keeps that well
// below the attachment's size and independent of it. On the development
// machine: 15-30 MB, most of it nats-server's block cache, for 16 MB,
// 50 MB and 120 MB attachments alike.
//
//	go test -run '^$' -bench Attachments_Large -benchtime 3x ./api/
func BenchmarkAttachments_Large(b *testing.B) {
	const size = 50 << 20
	e := newAttachmentEnv(b, 0)
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	runtime.GC()
	metrics.Read(live)
	base := live[0].Value.Uint64()
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		_, id := postLarge(b, e, size)
		res, err := attGet(e.env, "/statements?statementId="+id+"&attachments=true")
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if n < size {
			b.Fatalf("read back %d bytes", n)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(peak.Load()-min(peak.Load(), base))/(1<<20), "peak-live-heap-MB")
}

// bucketContents lists the objects in the attachment bucket and counts the
// bytes of chunks it holds, named or not.
func (e *attEnv) bucketContents(t *testing.T) (names []string, chunkBytes uint64) {
	t.Helper()
	ctx := context.Background()
	js, _ := jetstream.New(lrstest.Conn(t, e.nats))
	bucket, err := js.ObjectStore(ctx, natslog.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	infos, err := bucket.List(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		t.Fatal(err)
	}
	for _, info := range infos {
		names = append(names, info.Name)
	}
	st, err := js.Stream(ctx, "OBJ_"+natslog.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(m.Subject, "$O."+natslog.DefaultBucket+".C.") {
			chunkBytes += uint64(len(m.Data))
		}
	}
	return names, chunkBytes
}

// post sends a multipart write from any goroutine and returns its status.
func (e *attEnv) post(body, contentType string) (int, error) {
	hr, _ := http.NewRequest(http.MethodPost, e.url+"/statements", strings.NewReader(body))
	hr.SetBasicAuth(e.key, e.secret)
	hr.Header.Set("X-Experience-API-Version", "1.0.3")
	hr.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// TestAttachments_Orphans: attachment data is kept only for statements
// that are appended (XAPI-00128: the data belongs to its statement).
func TestAttachments_Orphans(t *testing.T) {
	t.Run("a conflicting statement's attachment data is not kept", func(t *testing.T) {
		e := newAttachmentEnv(t, 2<<20)
		id := uuid.NewString()
		expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: stmt(id, "http://e.com/first")}), 204)
		for i := range 3 {
			data := binaryData(300<<10 + i)
			h := sha256Hex(data)
			body, ct := multipartBody(t, "application/json", withAttachments(id, attachmentJSON("http://e.com/usage/video", "video/mp4", data, h, "")), dataPart(h, "video/mp4", data))
			expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 409, id)
		}
		if names, n := e.bucketContents(t); len(names) != 0 || n != 0 {
			t.Fatalf("the bucket holds %v and %d bytes of chunks after three conflicts; want nothing", names, n)
		}
	})

	t.Run("a statement stored with other content is a conflict before any data is read", func(t *testing.T) {
		e := newAttachmentEnv(t, 2<<20)
		id := uuid.NewString()
		expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: stmt(id, "http://e.com/first")}), 204)
		// The check reads the view: a read waits for it to hold the write.
		expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id}), 200)
		data := binaryData(300 << 10)
		h := sha256Hex(data)
		// The part is not the declared data: reading it would be a 400.
		body, ct := multipartBody(t, "application/json", withAttachments(id, attachmentJSON("http://e.com/usage/video", "video/mp4", data, h, "")), dataPart(h, "video/mp4", data[1:]))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 409, id)
	})

	t.Run("data stored before a later part fails is not kept", func(t *testing.T) {
		e := newAttachmentEnv(t, 2<<20)
		good, bad := binaryData(200<<10), []byte("the second attachment")
		hg, hb := sha256Hex(good), sha256Hex(bad)
		st := withAttachments("", attachmentJSON("http://e.com/usage/a", "application/pdf", good, hg, ""), attachmentJSON("http://e.com/usage/b", "text/plain", bad, hb, ""))
		body, ct := multipartBody(t, "application/json", st, dataPart(hg, "application/pdf", good), dataPart(hb, "text/plain", []byte("not the declared data")))
		expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), 400, "part 3")
		if names, n := e.bucketContents(t); len(names) != 0 || n != 0 {
			t.Fatalf("the bucket holds %v and %d bytes of chunks; want nothing", names, n)
		}
	})

	t.Run("a statement appended beside a conflicting one with the same data keeps it", func(t *testing.T) {
		e := newAttachmentEnv(t, 2<<20)
		taken := uuid.NewString()
		expect(t, e.do(t, req{method: "PUT", path: "/statements?statementId=" + taken, body: stmt(taken, "http://e.com/first")}), 204)
		for i := range 4 {
			data := binaryData(300<<10 + i)
			h := sha256Hex(data)
			att := attachmentJSON("http://e.com/usage/video", "video/mp4", data, h, "")
			id := uuid.NewString()
			conflicting, ct1 := multipartBody(t, "application/json", withAttachments(taken, att), dataPart(h, "video/mp4", data))
			appended, ct2 := multipartBody(t, "application/json", withAttachments(id, att), dataPart(h, "video/mp4", data))
			type result struct {
				status int
				err    error
			}
			c1, c2 := make(chan result, 1), make(chan result, 1)
			go func() { s, err := e.post(conflicting, ct1); c1 <- result{s, err} }()
			go func() { s, err := e.post(appended, ct2); c2 <- result{s, err} }()
			r1, r2 := <-c1, <-c2
			if r1.err != nil || r2.err != nil || r1.status != 409 || r2.status != 200 {
				t.Fatalf("conflicting = %d %v, appended = %d %v; want 409 and 200", r1.status, r1.err, r2.status, r2.err)
			}
			parts := readMultipart(t, e.do(t, req{method: "GET", path: "/statements?attachments=true&statementId=" + id}))
			if len(parts) != 2 || !bytes.Equal(parts[1].data, data) {
				t.Fatalf("round %d: the appended statement's data is not served back (%d parts)", i, len(parts))
			}
		}
	})
}

// TestAttachments_DeclaredLength: an attachment's length is the size of
// its data (xAPI Data 2.4.11), and no larger than the request may send.
func TestAttachments_DeclaredLength(t *testing.T) {
	e := newAttachmentEnv(t, 1<<20)
	first, second := binaryData(1000), []byte("twenty-one bytes long")
	h1, h2 := sha256Hex(first), sha256Hex(second)
	withLength := func(data []byte, sha2, length string) string {
		a := attachmentJSON("http://e.com/usage/essay", "application/pdf", data, sha2, "")
		return strings.Replace(a, `"length":`+fmt.Sprint(len(data)), `"length":`+length, 1)
	}
	cases := []struct {
		name      string
		length    string // declared for the second attachment
		status    int
		contains  []string
		dataInAll bool
	}{
		{"a length of 1e12 for a short part is over the limit", "1000000000000", 413, []string{"attachments[1]", "length 1000000000000", "limit of 1048576"}, false},
		{"a length larger than the part", "22", 400, []string{"attachments[1]", "length is 22", "part 3 holds 21 bytes"}, false},
		{"a length smaller than the part", "20", 400, []string{"attachments[1]", "length is 20", "part 3 holds"}, false},
		{"a length of zero", "0", 400, []string{"attachments[1]", "length is 0"}, false},
		{"the right length", "21", 200, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := withAttachments("", withLength(first, h1, "1000"), withLength(second, h2, tc.length))
			body, ct := multipartBody(t, "application/json", st, dataPart(h1, "application/pdf", first), dataPart(h2, "application/pdf", second))
			expect(t, e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct}), tc.status, tc.contains...)
			if got := e.stored(t, h2); got != tc.dataInAll {
				t.Fatalf("second attachment stored = %v, want %v", got, tc.dataInAll)
			}
			if got := e.stored(t, h1); got != tc.dataInAll {
				t.Fatalf("first attachment stored = %v, want %v", got, tc.dataInAll)
			}
		})
	}
}

// TestXAPI2_Section4_2_7_DurationsComparedToHundredths: beyond hundredths of
// a second a duration takes no part in any comparison (2.0.0 9274.1.1
// 4.2.7; 1.0.3 Data 4.6, which says so too, so both versions): not in the
// check of a signature's payload, not in the comparison of two statements
// with one id. Digits are cut, never rounded, and the duration is stored
// and served as sent.
func TestXAPI2_Section4_2_7_DurationsComparedToHundredths(t *testing.T) {
	e := newAttachmentEnv(t, 0)
	key := newTestSigner(t)
	withDuration := func(id, d string) string {
		return `{"id":"` + id + `",` + cfStmt(cfAnn, vCompleted, "http://e.com/durasi", `,"result":{"duration":"`+d+`"}`)[1:]
	}
	// postSigned posts statement sent, signed over the same statement with
	// the duration signed in its stead.
	postSigned := func(t *testing.T, ver, id, sent, signed string) resp {
		t.Helper()
		jws := key.sign(t, "RS256", withDuration(id, signed), key.cert)
		hs := sha256Hex(jws)
		st := withDuration(id, sent)
		st = st[:len(st)-1] + `,"attachments":[` + attachmentJSON(lrs.SignatureUsage, "application/octet-stream", jws, hs, "") + `]}`
		body, ct := multipartBody(t, "application/json", st, dataPart(hs, "application/octet-stream", jws))
		return e.do(t, req{method: "POST", path: "/statements", body: body, contentType: ct, version: ver})
	}
	duration := func(t *testing.T, id string) string {
		t.Helper()
		got := e.do(t, req{method: "GET", path: "/statements?statementId=" + id})
		expect(t, got, 200)
		var st struct{ Result struct{ Duration string } }
		if err := json.Unmarshal([]byte(got.body), &st); err != nil {
			t.Fatal(err)
		}
		return st.Result.Duration
	}
	for _, ver := range []string{"1.0.3", "2.0.0"} {
		t.Run("a signature whose payload has the duration to hundredths matches, under "+ver, func(t *testing.T) {
			for _, c := range []struct{ sent, signed string }{
				{"P1DT12H36M0.1237S", "P1DT12H36M0.12S"},
				{"P1DT12H36M0.12S", "P1DT12H36M0.1237S"},
				{"PT5.1299S", "PT5.12S"},
				{"PT5.0001S", "PT5S"},
				{"PT5.10S", "PT5,1S"},
			} {
				id := uuid.NewString()
				expect(t, postSigned(t, ver, id, c.sent, c.signed), 200, id)
				if d := duration(t, id); d != c.sent {
					t.Fatalf("sent %s, stored %s: a duration is stored as sent", c.sent, d)
				}
			}
		})
		t.Run("hundredths still count, cut and never rounded, under "+ver, func(t *testing.T) {
			for _, c := range []struct{ sent, signed string }{
				{"P1DT12H36M0.1237S", "P1DT12H36M0.13S"}, // 0.1237 is 0.12, not 0.13
				{"PT5.129S", "PT5.13S"},
				{"PT60S", "PT1M"}, // units are never converted
				{"PT5.12S", "PT6.12S"},
			} {
				id := uuid.NewString()
				expect(t, postSigned(t, ver, id, c.sent, c.signed), 400, "signature", "differs")
				expect(t, e.do(t, req{method: "GET", path: "/statements?statementId=" + id}), 404)
			}
		})
	}
	t.Run("a statement sent again with the duration to another precision is the same statement", func(t *testing.T) {
		id := uuid.NewString()
		put := func(d, ver string) resp {
			return e.do(t, req{method: "PUT", path: "/statements?statementId=" + id, body: withDuration(id, d), version: ver})
		}
		expect(t, put("PT1M1.2345S", "1.0.3"), 204)
		for _, same := range []string{"PT1M1.23S", "PT1M1.2399S", "PT1M1.230S"} {
			for _, ver := range []string{"1.0.3", "2.0.0"} {
				expect(t, put(same, ver), 204)
			}
			got := e.do(t, req{method: "POST", path: "/statements", body: withDuration(id, same)})
			expect(t, got, 200, id)
		}
		for _, other := range []string{"PT1M1.24S", "PT1M1.2S", "PT61.2345S"} {
			expect(t, put(other, "2.0.0"), 409)
		}
		if d := duration(t, id); d != "PT1M1.2345S" {
			t.Fatalf("stored %s, want the first as sent", d)
		}
	})
}
