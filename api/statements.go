package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// consistentThrough sets X-Experience-API-Consistent-Through on every
// statement response, errors included (XAPI-00153). The value is honest:
// when the view has applied every event this node knows of, it is now (or
// the stored time of an event being appended, if earlier); otherwise it is
// the stored time of the last event the view applied.
func (s *Server) consistentThrough(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Before(func() {
			c.Response().Header().Set("X-Experience-API-Consistent-Through", s.consistentTime().Format(lrs.StoredFormat))
		})
		return next(c)
	}
}

func (s *Server) consistentTime() time.Time {
	applied, stored := s.cfg.Statements.Applied()
	if applied < s.cfg.Writer.LastSeq() || s.cfg.ReadOnly != "" {
		return stored
	}
	t := s.cfg.Now().UTC().Truncate(time.Millisecond)
	if inflight, ok := s.cfg.Writer.Inflight(); ok && inflight.Before(t) {
		t = inflight
	}
	if t.Before(stored) {
		t = stored
	}
	return t
}

// checkParams rejects parameters the resource does not know, including
// known names in another case (XAPI-00324, XAPI-00325).
func checkParams(q url.Values, allowed ...string) error {
	for name := range q {
		ok := false
		for _, a := range allowed {
			if name == a {
				ok = true
				break
			}
		}
		if !ok {
			return lrs.Errorf(lrs.EINVALID, "unknown parameter %q (this resource takes: %s)", name, strings.Join(allowed, ", "))
		}
		if len(q[name]) > 1 {
			return lrs.Errorf(lrs.EINVALID, "parameter %q is given %d times; give it once", name, len(q[name]))
		}
	}
	return nil
}

// putStatement stores one statement under the statementId parameter
// (XAPI-00143..00145).
func (s *Server) putStatement(c echo.Context) error {
	q := c.QueryParams()
	if err := checkParams(q, "statementId"); err != nil {
		return err
	}
	id := q.Get("statementId")
	if id == "" {
		return lrs.Errorf(lrs.EINVALID, "PUT /statements needs a statementId parameter")
	}
	if _, err := s.write(c, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// postStatements stores one statement or an array of them and answers
// with their ids (XAPI-00146).
func (s *Server) postStatements(c echo.Context) error {
	if err := checkParams(c.QueryParams()); err != nil {
		return err
	}
	stmts, err := s.write(c, "")
	if err != nil {
		return err
	}
	ids := make([]string, len(stmts))
	for i := range stmts {
		ids[i] = stmts[i].ID.String()
	}
	return c.JSON(http.StatusOK, ids)
}

func (s *Server) write(c echo.Context, statementID string) ([]lrs.Statement, error) {
	body, release, err := s.readStatements(c)
	if err != nil {
		return nil, err
	}
	// Attachment data stored for statements that are surely not appended
	// goes; when the log's answer is unknown (unavailable, cancelled after
	// the request was queued), the statements may be in it, so it stays.
	appended := true
	defer func() { release(appended) }()
	cred := credential(c)
	by := cred.Authority()
	stmts, err := lrs.PrepareStatements(c.Request().Context(), lrs.StatementsInput{Body: body, StatementID: statementID, Version: version(c)}, by, s.cfg.NewID)
	if err != nil {
		appended = false
		return nil, err
	}
	if err := s.checkBangkom(stmts); err != nil {
		appended = false
		return nil, err
	}
	if err := s.checkStrict(cred, stmts); err != nil {
		appended = false
		return nil, err
	}
	if err := s.checkDecisions(c, stmts); err != nil {
		appended = false
		return nil, err
	}
	if len(stmts) == 0 {
		return stmts, nil
	}
	if _, err := s.cfg.Writer.Append(c.Request().Context(), stmts, by); err != nil {
		switch lrs.ErrorCode(err) {
		case lrs.ECONFLICT, lrs.EINVALID, lrs.ETOOLARGE, lrs.EFORBIDDEN: // decided before anything was appended
			appended = false
		}
		return nil, err
	}
	return stmts, nil
}

// checkBangkom refuses a request whose statements carry Bangkom numbers
// out of their bounds (bangkom.CheckStatement): nothing non-finite or
// absurd enters the log for the JP view to count.
func (s *Server) checkBangkom(stmts []lrs.Statement) error {
	var rules *bangkom.RuleSet
	if s.cfg.JP != nil {
		rules = s.cfg.JP.Rules()
	}
	var p fastjson.Parser
	for i, st := range stmts {
		if !bytes.Contains(st.JSON, []byte(bangkom.IRIBase)) {
			continue // no Bangkom vocabulary: nothing to check
		}
		v, err := p.ParseBytes(st.JSON)
		if err != nil {
			return lrs.Internal("parse prepared statement", err)
		}
		if err := bangkom.CheckStatement(v, rules); err != nil {
			if len(stmts) > 1 {
				return lrs.Errorf(lrs.EINVALID, "statements[%d]: %v", i, err)
			}
			return lrs.Errorf(lrs.EINVALID, "%v", err)
		}
	}
	return nil
}

// waitForWrites lets a read see every write acknowledged on this node.
func (s *Server) waitForWrites(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ReadWait)
	defer cancel()
	_ = s.cfg.Statements.WaitApplied(ctx, s.cfg.Writer.LastSeq())
}

// filterParams are the parameters that select statements; a more link
// carries them.
var filterParams = []string{"agent", "verb", "activity", "registration", "related_activities", "related_agents", "since", "until"}

func (s *Server) getStatements(c echo.Context) error {
	q := c.QueryParams()
	allowed := append([]string{"statementId", "voidedStatementId", "limit", "format", "attachments", "ascending", "more"}, filterParams...)
	if err := checkParams(q, allowed...); err != nil {
		return err
	}
	format, err := parseFormat(q)
	if err != nil {
		return err
	}
	s.waitForWrites(c.Request().Context())
	if q.Has("statementId") || q.Has("voidedStatementId") {
		return s.getOne(c, q, format)
	}
	query, filter, err := parseQuery(q)
	if err != nil {
		return err
	}
	if p := principal(c); !lrs.ReadsAllStatements(p) {
		// statements/read/mine, on every page: the more link does not carry it
		query.Filter.Authority = lrs.CredentialIFI(p.Key)
	}
	page, err := s.cfg.Statements.Statements(c.Request().Context(), query)
	if err != nil {
		return err
	}
	f := s.formatter(c, format)
	buf := make([]byte, 0, 1024)
	buf = append(buf, `{"statements":[`...)
	for i := range page.Statements {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = f.append(buf, page.Statements[i].JSON)
	}
	buf = append(buf, `],"more":`...)
	more := ""
	if !page.Next.IsZero() {
		more = c.Request().URL.Path + "?more=" + encodeCursor(moreToken{After: page.Next, Ascending: query.Ascending, Limit: query.Limit, Filter: filter})
		// the next page comes in the same form
		for _, p := range [...]string{"format", "attachments"} {
			if q.Has(p) {
				more += "&" + p + "=" + url.QueryEscape(q.Get(p))
			}
		}
	}
	buf = lrs.AppendJSONString(buf, more)
	buf = append(buf, '}')
	return s.respondStatements(c, buf, page.Statements)
}

func parseFormat(q url.Values) (string, error) {
	format := lrs.FormatExact
	if q.Has("format") {
		switch f := q.Get("format"); f {
		case lrs.FormatExact, lrs.FormatIDs, lrs.FormatCanonical:
			format = f
		default:
			return "", lrs.Errorf(lrs.EINVALID, "format: %q is not one of ids, exact, canonical", f)
		}
	}
	return format, checkFormat(q)
}

// formatter writes statements in the requested format.
type formatter struct {
	format string
	langs  []lrs.LanguageRange
	canon  *canonicalLookup
	parser fastjson.Parser
	arena  fastjson.Arena
}

func (s *Server) formatter(c echo.Context, format string) *formatter {
	f := &formatter{format: format}
	if format == lrs.FormatCanonical {
		f.langs = lrs.AcceptLanguages(c.Request().Header.Get("Accept-Language"))
		f.canon = &canonicalLookup{view: s.cfg.Statements, activities: map[string]*fastjson.Value{}, verbs: map[string]*fastjson.Value{}}
	}
	return f
}

func (f *formatter) append(dst, stmt []byte) []byte {
	if f.format == lrs.FormatExact {
		return append(dst, stmt...)
	}
	v, err := f.parser.ParseBytes(stmt)
	if err != nil {
		return append(dst, stmt...)
	}
	f.arena.Reset()
	if f.format == lrs.FormatIDs {
		lrs.FormatStatementIDs(&f.arena, v)
	} else {
		lrs.FormatStatementCanonical(&f.arena, v, f.canon, f.langs)
	}
	return lrs.AppendJSON(dst, v)
}

// canonicalLookup reads canonical definitions from the view, once per id
// per response.
type canonicalLookup struct {
	view       lrs.StatementView
	activities map[string]*fastjson.Value
	verbs      map[string]*fastjson.Value
}

func (l *canonicalLookup) CanonicalActivity(id string) *fastjson.Value {
	if v, ok := l.activities[id]; ok {
		return v
	}
	var v *fastjson.Value
	if b, err := l.view.Activity(id); err == nil {
		v, _ = fastjson.ParseBytes(b)
	}
	l.activities[id] = v
	return v
}

func (l *canonicalLookup) CanonicalVerbDisplay(id string) *fastjson.Value {
	if v, ok := l.verbs[id]; ok {
		return v
	}
	var v *fastjson.Value
	if b, err := l.view.VerbDisplay(id); err == nil && b != nil {
		v, _ = fastjson.ParseBytes(b)
	}
	l.verbs[id] = v
	return v
}

func checkFormat(q url.Values) error {
	switch a := q.Get("attachments"); a {
	case "", "false", "true":
	default:
		return lrs.Errorf(lrs.EINVALID, "attachments: %q is not true or false", a)
	}
	return nil
}

func (s *Server) getOne(c echo.Context, q url.Values, format string) error {
	if q.Has("statementId") && q.Has("voidedStatementId") {
		return lrs.Errorf(lrs.EINVALID, "statementId and voidedStatementId cannot be used together")
	}
	for name := range q {
		switch name {
		case "statementId", "voidedStatementId", "format", "attachments":
		default:
			return lrs.Errorf(lrs.EINVALID, "parameter %q cannot be combined with statementId or voidedStatementId", name) // XAPI-00150, XAPI-00151
		}
	}
	name, voided := "statementId", false
	if q.Has("voidedStatementId") {
		name, voided = "voidedStatementId", true
	}
	raw := q.Get(name)
	if !lrs.IsUUID(raw) {
		return lrs.Errorf(lrs.EINVALID, "%s: %q is not a UUID", name, raw)
	}
	id, _ := uuid.Parse(raw)
	st, err := s.cfg.Statements.Statement(c.Request().Context(), id, voided)
	if err != nil {
		return err
	}
	if p := principal(c); !lrs.ReadsAllStatements(p) {
		v, err := fastjson.ParseBytes(st.JSON)
		if err != nil {
			return lrs.Internal("parse stored statement", err)
		}
		if !lrs.MayReadStatement(p, lrs.AuthorityKey(v)) {
			// as if absent: a platform does not learn which ids others used
			return lrs.Errorf(lrs.ENOTFOUND, "no statement with id %s", id)
		}
	}
	c.Response().Header().Set("Last-Modified", st.Stored.UTC().Format(http.TimeFormat))
	return s.respondStatements(c, s.formatter(c, format).append(nil, st.JSON), []lrs.StoredStatement{st})
}

// parseQuery reads a listing query, or the query a more link carries. It
// returns the filter parameters too, for the next more link.
func parseQuery(q url.Values) (lrs.StatementQuery, url.Values, error) {
	var query lrs.StatementQuery
	filter := url.Values{}
	if q.Has("more") {
		for name := range q {
			if name != "more" && name != "format" && name != "attachments" {
				return query, nil, lrs.Errorf(lrs.EINVALID, "parameter %q cannot be combined with more: the more link carries the whole query", name)
			}
		}
		t, err := decodeCursor(q.Get("more"))
		if err != nil {
			return query, nil, err
		}
		f, err := lrs.ParseStatementFilter(t.Filter)
		if err != nil {
			return query, nil, lrs.Errorf(lrs.EINVALID, "more: the cursor's query is not valid: %s", lrs.ErrorMessage(err))
		}
		return lrs.StatementQuery{Filter: f, Limit: t.Limit, Ascending: t.Ascending, After: t.After}, t.Filter, nil
	}
	for _, name := range filterParams {
		if q.Has(name) {
			filter[name] = q[name]
		}
	}
	f, err := lrs.ParseStatementFilter(q)
	if err != nil {
		return query, nil, err
	}
	query.Filter = f
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return query, nil, lrs.Errorf(lrs.EINVALID, "limit: %q is not a non-negative integer", v)
		}
		query.Limit = min(n, lrs.MaxPageSize)
	}
	if query.Limit == 0 {
		query.Limit = lrs.MaxPageSize
	}
	switch v := q.Get("ascending"); v {
	case "", "false":
	case "true":
		query.Ascending = true
	default:
		return query, nil, lrs.Errorf(lrs.EINVALID, "ascending: %q is not true or false", v)
	}
	return query, filter, nil
}

// moreToken is what a more link carries: where the page ended and the query.
type moreToken struct {
	After     lrs.Cursor
	Ascending bool
	Limit     int
	Filter    url.Values
}

// Cursor format, version 2: base64url (no padding) of
// 2 (version byte) | seq (8) | index (4) | flags (1: bit 0 ascending) | limit (2) | filter
// where filter is the URL-encoded filter parameters of the first request.
// The cursor is opaque to clients; its query is checked like a fresh one.
const cursorVersion = 2

func encodeCursor(t moreToken) string {
	b := make([]byte, 16, 64)
	b[0] = cursorVersion
	binary.BigEndian.PutUint64(b[1:], t.After.Seq)
	binary.BigEndian.PutUint32(b[9:], t.After.Index)
	if t.Ascending {
		b[13] = 1
	}
	binary.BigEndian.PutUint16(b[14:], uint16(t.Limit))
	b = append(b, t.Filter.Encode()...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (moreToken, error) {
	bad := lrs.Errorf(lrs.EINVALID, "more: %q is not a cursor this LRS issued", s)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 16 || b[0] != cursorVersion {
		return moreToken{}, bad
	}
	t := moreToken{
		After:     lrs.Cursor{Seq: binary.BigEndian.Uint64(b[1:]), Index: binary.BigEndian.Uint32(b[9:])},
		Ascending: b[13]&1 != 0,
		Limit:     int(binary.BigEndian.Uint16(b[14:])),
	}
	if t.Filter, err = url.ParseQuery(string(b[16:])); err != nil {
		return moreToken{}, bad
	}
	if t.Limit <= 0 || t.Limit > lrs.MaxPageSize || t.After.IsZero() {
		return moreToken{}, bad
	}
	// Only the bytes encodeCursor writes are a cursor: unused flag bits,
	// base64 padding bits, a filter in another encoding are not.
	if encodeCursor(t) != s {
		return moreToken{}, bad
	}
	return t, nil
}
