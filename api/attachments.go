package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
)

// Attachments (xAPI Communication 1.5.2, Data 2.4.11 and 2.6).
//
// On the write path a statement's attachment data comes as a part of a
// multipart/mixed body, named by its SHA-2 in X-Experience-API-Hash. Each
// part is streamed into the AttachmentStore while its hash is computed; a
// part whose data does not match its hash is not stored. readStatements
// returns only once every body the statements need is stored, so the
// statements are appended after their data, never before. Each stored body
// is held until the append is decided: bodies stored for a request that
// fails (an id conflict, a bad later part) are deleted unless something
// else needs them (AttachmentStore.Put). A signature
// (usageType SignatureUsage) is read whole and checked against its statement
// before it is stored.
//
// On the read path, attachments=true answers multipart/mixed: the JSON
// first, then each distinct body the statements reference, streamed from
// the store.

// multipartOverhead is what a multipart body may hold beyond the
// statements and the attachment data: boundaries and part headers.
const multipartOverhead = 1 << 20

// readStatements reads the statements of a PUT or POST body and returns
// them as JSON. application/json carries statements whose attachments all
// have a fileUrl; multipart/mixed carries the statements in its first part
// and attachment data in the others. When it returns without error, the
// data of every attachment the statements need is stored, and held until
// the caller calls release with whether the statements were appended.
func (s *Server) readStatements(c echo.Context) (body []byte, release func(appended bool), err error) {
	ct := c.Request().Header.Get("Content-Type")
	if ct == "" && isAlternate(c) {
		// The alternate request syntax carries text only (Communication
		// 1.3): statements in its content are JSON unless its Content-Type
		// field says otherwise.
		ct = "application/json"
	}
	if ct == "" {
		return nil, nil, lrs.Errorf(lrs.EINVALID, "missing Content-Type: statements are sent as application/json or multipart/mixed")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, nil, lrs.Errorf(lrs.EINVALID, "malformed Content-Type %q: %v", ct, err)
	}
	switch mt {
	case "application/json":
		body, err := s.readBody(c)
		if err != nil {
			return nil, nil, err
		}
		if err := jsonAttachments(body); err != nil {
			return nil, nil, err
		}
		return body, func(bool) {}, nil
	case "multipart/mixed":
		in := &incoming{}
		body, err := s.readMultipart(c, params["boundary"], in)
		if err != nil {
			in.release(false)
			return nil, nil, err
		}
		return body, in.release, nil
	default:
		return nil, nil, lrs.Errorf(lrs.EINVALID, "Content-Type %q is not accepted: statements are sent as application/json or multipart/mixed", mt) // XAPI-00127
	}
}

// jsonAttachments refuses statements sent as application/json with
// attachments whose data must be sent along (XAPI-00115, XAPI-00129).
// Malformed JSON is left for lrs.PrepareStatements to report.
func jsonAttachments(body []byte) error {
	// Most statements have no attachments: skip the parse unless the word
	// is there (or could be, escaped).
	if !bytes.Contains(body, []byte("attachments")) && !bytes.Contains(body, []byte(`\u`)) {
		return nil
	}
	var p fastjson.Parser
	root, err := p.ParseBytes(body)
	if err != nil {
		return nil
	}
	for _, a := range lrs.AttachmentsOf(root) {
		if err := checkSignatureType(a); err != nil {
			return err
		}
		if a.NeedsData() {
			return missingData(a, "application/json carries no attachment data: send the statements as multipart/mixed with a part for it")
		}
	}
	return nil
}

// checkSignatureType refuses a signature whose contentType is not
// application/octet-stream (XAPI-00115).
func checkSignatureType(a lrs.AttachmentRef) error {
	if !a.IsSignature() {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(a.ContentType); err != nil || mt != lrs.SignatureContentType {
		return lrs.Errorf(lrs.EINVALID, "%s: a signature (usageType %s) has contentType %s, not %q", a.Path, lrs.SignatureUsage, lrs.SignatureContentType, a.ContentType)
	}
	return nil
}

func missingData(a lrs.AttachmentRef, why string) error {
	if a.IsSignature() {
		return lrs.Errorf(lrs.EINVALID, "%s: the signature with sha2 %s is not attached (XAPI-00115); %s", a.Path, a.SHA2, why)
	}
	return lrs.Errorf(lrs.EINVALID, "%s: the attachment with sha2 %s has no fileUrl and its data was not sent (XAPI-00129); %s", a.Path, a.SHA2, why)
}

// readMultipart reads a multipart/mixed write: the statements, then the
// attachment data, storing each body as it streams by and holding it in in.
func (s *Server) readMultipart(c echo.Context, boundary string, in *incoming) ([]byte, error) {
	if boundary == "" {
		return nil, lrs.Errorf(lrs.EINVALID, "Content-Type multipart/mixed needs a boundary parameter") // XAPI-00131
	}
	req := c.Request()
	ctx := req.Context()
	if v := req.Header.Get("MIME-Version"); v != "" && !mimeVersionOK(v) {
		return nil, lrs.Errorf(lrs.EINVALID, "MIME-Version %q: multipart/mixed needs 1.0 or greater", v) // XAPI-00137
	}
	limit := s.cfg.MaxBodyBytes + s.cfg.MaxAttachmentBytes + multipartOverhead
	if req.ContentLength > limit {
		return nil, lrs.Errorf(lrs.ETOOLARGE, "request body of %d bytes is larger than the limit of %d bytes of statements plus %d bytes of attachment data", req.ContentLength, s.cfg.MaxBodyBytes, s.cfg.MaxAttachmentBytes)
	}
	mr := multipart.NewReader(http.MaxBytesReader(c.Response(), req.Body, limit), boundary)

	// The first part: the statements (XAPI-00133, XAPI-00134).
	first, err := mr.NextRawPart()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, lrs.Errorf(lrs.EINVALID, "multipart/mixed body has no parts delimited by boundary %q: the first part must hold the statements", boundary) // XAPI-00130
		}
		return nil, s.partError(err, 1)
	}
	if mt, _, _ := mime.ParseMediaType(first.Header.Get("Content-Type")); mt != "application/json" {
		return nil, lrs.Errorf(lrs.EINVALID, "the first part holds the statements and must have Content-Type application/json, not %q", first.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(first, s.cfg.MaxBodyBytes+1))
	if err != nil {
		return nil, s.partError(err, 1)
	}
	if int64(len(body)) > s.cfg.MaxBodyBytes {
		return nil, lrs.Errorf(lrs.ETOOLARGE, "the statements part is larger than the limit of %d bytes", s.cfg.MaxBodyBytes)
	}
	statementID := ""
	if req.Method == http.MethodPut {
		statementID = c.QueryParam("statementId")
	}
	// Validate the statements before any data is stored: a bad statement
	// leaves nothing behind. PrepareStatements runs again in write; its
	// result here is thrown away.
	stmts, err := lrs.PrepareStatements(c.Request().Context(), lrs.StatementsInput{Body: body, StatementID: statementID, Version: version(c)}, credential(c).Authority(), uuid.New)
	if err != nil {
		return nil, err
	}
	if err := s.checkBangkom(stmts); err != nil {
		return nil, err
	}
	// A statement the view holds with other content is a conflict the
	// appender will find too (first writer wins): say so before the data
	// is sent to the store. The appender still decides every other case.
	if err := s.knownConflict(ctx, stmts); err != nil {
		return nil, err
	}
	var p fastjson.Parser
	root, err := p.ParseBytes(body)
	if err != nil {
		return nil, lrs.Errorf(lrs.EINVALID, "request body is not valid JSON: %v", err)
	}
	refs := lrs.AttachmentsOf(root)
	declared := make(map[string][]lrs.AttachmentRef, len(refs))
	for _, a := range refs {
		if err := checkSignatureType(a); err != nil {
			return nil, err
		}
		if a.NeedsData() && a.Length > s.cfg.MaxAttachmentBytes {
			return nil, lrs.Errorf(lrs.ETOOLARGE, "%s: length %d is larger than the limit of %d bytes of attachment data per request", a.Path, a.Length, s.cfg.MaxAttachmentBytes)
		}
		declared[a.Key] = append(declared[a.Key], a)
	}

	// The other parts: attachment data, in any order.
	in.root, in.statementID, in.declared, in.received, in.left = root, statementID, declared, map[string]bool{}, s.cfg.MaxAttachmentBytes
	for n := 2; ; n++ {
		part, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, s.partError(err, n)
		}
		if err := s.receivePart(ctx, in, part, n); err != nil {
			return nil, err
		}
	}
	for _, a := range refs {
		if a.NeedsData() && !in.received[a.Key] {
			return nil, missingData(a, "no part has X-Experience-API-Hash "+a.SHA2)
		}
	}
	return body, nil
}

// knownConflict returns ECONFLICT for the first statement the view holds
// with different content.
func (s *Server) knownConflict(ctx context.Context, stmts []lrs.Statement) error {
	if s.cfg.Statements == nil {
		return nil
	}
	for i := range stmts {
		h, found, err := s.cfg.Statements.ContentHash(ctx, stmts[i].ID)
		if err != nil {
			return lrs.Internal("look up statement "+stmts[i].ID.String(), err)
		}
		if found && h != stmts[i].Hash {
			return lrs.Errorf(lrs.ECONFLICT, "statement %s already exists with different content", stmts[i].ID)
		}
	}
	return nil
}

// mimeVersionOK reports whether a MIME-Version header (RFC 2045: digits
// "." digits, perhaps followed by a comment) is 1.0 or greater. A missing
// header is accepted: few clients send one on HTTP (RFC 7231 appendix A),
// though XAPI-00137 asks for it.
func mimeVersionOK(v string) bool {
	f := strings.Fields(v)
	if len(f) == 0 {
		return false
	}
	major, minor, ok := strings.Cut(f[0], ".")
	a, err1 := strconv.Atoi(major)
	_, err2 := strconv.Atoi(minor)
	return ok && err1 == nil && err2 == nil && a >= 1
}

// incoming is the state of a multipart write while its parts arrive.
type incoming struct {
	root        *fastjson.Value
	statementID string
	declared    map[string][]lrs.AttachmentRef // by Key
	received    map[string]bool                // by Key
	left        int64                          // attachment bytes the request may still send
	arena       fastjson.Arena
	holds       []func(appended bool) // of the bodies stored
}

// release lets go of the bodies stored for the request.
func (in *incoming) release(appended bool) {
	for _, h := range in.holds {
		h(appended)
	}
	in.holds = nil
}

// receivePart checks part n against the statements and stores its data.
func (s *Server) receivePart(ctx context.Context, in *incoming, part *multipart.Part, n int) error {
	sum := strings.TrimSpace(part.Header.Get("X-Experience-API-Hash"))
	if sum == "" {
		return lrs.Errorf(lrs.EINVALID, "part %d has no X-Experience-API-Hash header: every part after the statements carries the data of one attachment (XAPI-00132)", n)
	}
	key := strings.ToLower(sum)
	decls := in.declared[key]
	if len(decls) == 0 {
		return lrs.Errorf(lrs.EINVALID, "part %d: X-Experience-API-Hash %s is not the sha2 of any attachment of the statements (XAPI-00128, XAPI-00132)", n, sum)
	}
	if cte := strings.TrimSpace(part.Header.Get("Content-Transfer-Encoding")); !strings.EqualFold(cte, "binary") {
		return lrs.Errorf(lrs.EINVALID, "part %d: Content-Transfer-Encoding must be binary, not %q (XAPI-00135)", n, cte)
	}
	if s.cfg.Attachments == nil {
		return lrs.Internal("store attachment", errors.New("no attachment store configured"))
	}
	h, err := lrs.NewSHA2(key)
	if err != nil {
		return err // cannot happen: declared sha2s are well-formed
	}
	r := &partReader{r: part, h: h, want: key, part: n, left: in.left, limit: s.cfg.MaxAttachmentBytes, decls: decls}
	defer func() { in.left -= r.read }()

	var signatures []lrs.AttachmentRef
	for _, a := range decls {
		if a.IsSignature() {
			signatures = append(signatures, a)
		}
	}
	if len(signatures) == 0 {
		hold, err := s.cfg.Attachments.Put(ctx, key, r)
		if err != nil {
			return r.failure(err)
		}
		in.holds = append(in.holds, hold)
		in.received[key] = true
		return nil
	}

	// A signature is small: read it whole, check it, then store it.
	jws, err := io.ReadAll(io.LimitReader(r, s.cfg.MaxBodyBytes+1))
	if err != nil {
		return r.failure(err)
	}
	if int64(len(jws)) > s.cfg.MaxBodyBytes {
		return lrs.Errorf(lrs.ETOOLARGE, "part %d: a signature larger than %d bytes", n, s.cfg.MaxBodyBytes)
	}
	if _, err := io.Copy(io.Discard, r); err != nil { // reach the end: the hash check
		return r.failure(err)
	}
	for _, a := range signatures {
		st := in.statement(a.Statement)
		if err := lrs.VerifySignedStatement(st, jws); err != nil {
			return lrs.Errorf(lrs.EINVALID, "%s: %s", a.Path, lrs.ErrorMessage(err))
		}
	}
	hold, err := s.cfg.Attachments.Put(ctx, key, bytes.NewReader(jws))
	if err != nil {
		return lrs.Internal("store attachment", err)
	}
	in.holds = append(in.holds, hold)
	in.received[key] = true
	return nil
}

// statement returns statement i of the request as received, with the
// statementId parameter of a PUT as its id when it has none.
func (in *incoming) statement(i int) *fastjson.Value {
	st := in.root
	if in.root.Type() == fastjson.TypeArray {
		st = in.root.GetArray()[i]
	}
	if in.statementID != "" && st.Get("id") == nil {
		st.Set("id", in.arena.NewString(in.statementID))
	}
	return st
}

// partError turns an error reading the multipart body into a client error.
func (s *Server) partError(err error, n int) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return lrs.Errorf(lrs.ETOOLARGE, "request body is larger than the limit of %d bytes of statements plus %d bytes of attachment data", s.cfg.MaxBodyBytes, s.cfg.MaxAttachmentBytes)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return lrs.Errorf(lrs.EINVALID, "multipart/mixed body ends inside part %d, before its closing boundary", n)
	}
	return lrs.Errorf(lrs.EINVALID, "malformed multipart/mixed body at part %d: %v", n, err)
}

// partReader reads one attachment part, hashing what it reads. At the end
// of the part it fails, instead of ending, when the hash is not the one
// the part declared; it fails too when the request's attachment data goes
// over the limit. A store that stops at a failing reader keeps nothing.
type partReader struct {
	r     io.Reader
	h     hash.Hash
	want  string
	part  int
	left  int64 // bytes the request may still send
	limit int64 // the whole allowance, for messages
	read  int64
	err   error // the first failure returned
	// decls are the attachments with this hash: the part's length must be
	// the length each of them declares.
	decls []lrs.AttachmentRef
}

// lengthError names the first attachment whose declared length the part
// does not have: at the end of the part, any other length; before it, a
// length the part has gone past.
func (p *partReader) lengthError(end bool) error {
	for _, a := range p.decls {
		switch {
		case end && a.Length != p.read:
			return lrs.Errorf(lrs.EINVALID, "%s: length is %d but part %d holds %d bytes: length must be the size of the data", a.Path, a.Length, p.part, p.read)
		case a.Length < p.read:
			return lrs.Errorf(lrs.EINVALID, "%s: length is %d but part %d holds more: length must be the size of the data", a.Path, a.Length, p.part)
		}
	}
	return nil
}

func (p *partReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.r.Read(b)
	p.h.Write(b[:n])
	p.read += int64(n)
	switch {
	case p.read > p.left:
		p.err = lrs.Errorf(lrs.ETOOLARGE, "attachment data is larger than the limit of %d bytes per request", p.limit)
	case err == io.EOF:
		if got := lrs.HexSum(p.h); got != p.want {
			p.err = lrs.Errorf(lrs.EINVALID, "part %d: its data has SHA-2 %s, not the %s of its X-Experience-API-Hash", p.part, got, p.want)
			break
		}
		if p.err = p.lengthError(true); p.err != nil {
			break
		}
		return n, io.EOF
	case err == nil:
		p.err = p.lengthError(false)
	case err != nil:
		p.err = &readError{err}
	}
	if p.err != nil {
		return n, p.err
	}
	return n, nil
}

// readError marks an error reading the request body, as opposed to one
// from the store.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// failure names the cause of a failed store of this part: the part itself
// (hash, size, malformed body), or the store.
func (p *partReader) failure(err error) error {
	var re *readError
	switch {
	case p.err == nil:
		return lrs.Internal("store attachment", err)
	case errors.As(p.err, &re):
		var mbe *http.MaxBytesError
		if errors.As(re.err, &mbe) {
			return lrs.Errorf(lrs.ETOOLARGE, "request body is larger than the limit for statements plus %d bytes of attachment data", p.limit)
		}
		if errors.Is(re.err, io.ErrUnexpectedEOF) {
			return lrs.Errorf(lrs.EINVALID, "multipart/mixed body ends inside part %d, before its closing boundary", p.part)
		}
		return lrs.Errorf(lrs.EINVALID, "reading part %d: %v", p.part, re.err)
	default:
		return p.err
	}
}

// respondStatements writes a GET answer: body is one statement or a
// StatementResult, stmts the statements in it. With attachments=true the
// answer is multipart/mixed: body, then every distinct attachment body the
// statements reference (XAPI-00161, XAPI-00167).
func (s *Server) respondStatements(c echo.Context, body []byte, stmts []lrs.StoredStatement) error {
	if c.QueryParam("attachments") != "true" {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
	}
	type item struct {
		ref   lrs.AttachmentRef
		needs bool // some attachment with this hash has no fileUrl
	}
	var items []item
	index := map[string]int{}
	var p fastjson.Parser
	for _, st := range stmts {
		v, err := p.ParseBytes(st.JSON)
		if err != nil {
			return lrs.Internal("parse stored statement "+st.ID.String(), err)
		}
		for _, a := range lrs.AttachmentsOf(v) {
			i, ok := index[a.Key]
			if !ok {
				i = len(items)
				index[a.Key] = i
				items = append(items, item{ref: a})
			}
			items[i].needs = items[i].needs || a.NeedsData()
		}
	}

	res := c.Response()
	mw := multipart.NewWriter(res)
	res.Header().Set(echo.HeaderContentType, "multipart/mixed; boundary="+mw.Boundary())
	if c.Request().Method == http.MethodHead {
		return c.NoContent(http.StatusOK)
	}
	res.WriteHeader(http.StatusOK)
	// Header names are written as given, not canonicalised: some clients
	// (TinCanJS) look them up case-sensitively.
	w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {echo.MIMEApplicationJSON}})
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	ctx := c.Request().Context()
	for _, it := range items {
		if err := s.writeAttachment(ctx, mw, it.ref, it.needs); err != nil {
			// The answer has begun: all that is left is to cut it short,
			// so the client cannot take it for complete.
			if ctx.Err() == nil {
				s.cfg.Logger.Error("attachment data unavailable", "component", "api", "sha2", it.ref.Key, "err", err)
			}
			panic(http.ErrAbortHandler)
		}
	}
	return mw.Close()
}

// writeAttachment writes the part of one attachment body, streamed from
// the store. A body that is not stored is skipped when every attachment
// with its hash has a fileUrl.
func (s *Server) writeAttachment(ctx context.Context, mw *multipart.Writer, a lrs.AttachmentRef, needed bool) error {
	if s.cfg.Attachments == nil {
		if needed {
			return errors.New("no attachment store configured")
		}
		return nil
	}
	r, err := s.cfg.Attachments.Get(ctx, a.Key)
	if lrs.ErrorCode(err) == lrs.ENOTFOUND && !needed {
		return nil
	}
	if err != nil {
		return err
	}
	defer r.Close()
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	w, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {ct},
		"Content-Transfer-Encoding": {"binary"},
		"X-Experience-API-Hash":     {a.SHA2},
	})
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		return fmt.Errorf("stream attachment %s: %w", a.Key, err)
	}
	return nil
}
