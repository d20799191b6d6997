package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
)

// docResource describes one document resource's parameters.
type docResource struct {
	kind     lrs.DocKind
	idParam  string // stateId or profileId
	activity bool   // takes activityId
	agent    bool   // takes agent
	register bool   // takes registration
}

var (
	stateResource           = docResource{kind: lrs.DocState, idParam: "stateId", activity: true, agent: true, register: true}
	activityProfileResource = docResource{kind: lrs.DocActivityProfile, idParam: "profileId", activity: true}
	agentProfileResource    = docResource{kind: lrs.DocAgentProfile, idParam: "profileId", agent: true}
)

// docRequest is a parsed document request.
type docRequest struct {
	key   lrs.DocumentKey
	agent []byte // the agent parameter as given
	since time.Time
	hasID bool
}

func (res docResource) params() []string {
	p := []string{res.idParam, "since"}
	if res.activity {
		p = append(p, "activityId")
	}
	if res.agent {
		p = append(p, "agent")
	}
	if res.register {
		p = append(p, "registration")
	}
	return p
}

// parse checks the parameters (XAPI-00196..00228 for State, the same rules
// for the profiles).
func (res docResource) parse(q url.Values) (docRequest, error) {
	if err := checkParams(q, res.params()...); err != nil {
		return docRequest{}, err
	}
	r := docRequest{key: lrs.DocumentKey{Kind: res.kind}}
	if res.activity {
		if !q.Has("activityId") {
			return r, lrs.Errorf(lrs.EINVALID, "missing activityId parameter")
		}
		if err := checkTextParam("activityId", q.Get("activityId")); err != nil {
			return r, err
		}
		if r.key.ActivityID = q.Get("activityId"); !lrs.IsIRI(r.key.ActivityID) {
			return r, lrs.Errorf(lrs.EINVALID, "activityId: %q is not an IRI", r.key.ActivityID)
		}
	}
	if res.agent {
		if !q.Has("agent") {
			return r, lrs.Errorf(lrs.EINVALID, "missing agent parameter")
		}
		ifi, err := parseAgentParam(q.Get("agent"))
		if err != nil {
			return r, err
		}
		r.key.Agent, r.agent = ifi, []byte(q.Get("agent"))
	}
	if res.register && q.Has("registration") {
		reg := q.Get("registration")
		id, err := uuid.Parse(reg)
		if err != nil || !lrs.IsUUID(reg) {
			return r, lrs.Errorf(lrs.EINVALID, "registration: %q is not a UUID", reg)
		}
		r.key.Registration = id.String()
	}
	if q.Has(res.idParam) {
		if r.key.ID = q.Get(res.idParam); r.key.ID == "" {
			return r, lrs.Errorf(lrs.EINVALID, "%s: must not be empty", res.idParam)
		}
		if err := checkTextParam(res.idParam, r.key.ID); err != nil {
			return r, err
		}
		r.hasID = true
	}
	if q.Has("since") {
		t, err := lrs.ParseTimestamp(q.Get("since"))
		if err != nil {
			return r, lrs.Errorf(lrs.EINVALID, "since: %q is not an ISO 8601 timestamp with a time zone", q.Get("since"))
		}
		r.since = t
	}
	return r, nil
}

// checkTextParam refuses a parameter that is not valid UTF-8 or holds a
// control character: ids are listed and written to the log as JSON
// strings, which carry only Unicode text.
func checkTextParam(name, s string) error {
	if !utf8.ValidString(s) {
		return lrs.Errorf(lrs.EINVALID, "%s: must be valid UTF-8", name)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return lrs.Errorf(lrs.EINVALID, "%s: must not contain control characters (found U+%04X)", name, r)
		}
	}
	return nil
}

// parseAgentParam checks an agent parameter, an Agent (not a Group), and
// returns its IFI.
func parseAgentParam(s string) (string, error) {
	// The parser alone is lenient, and the parameter is written to the log
	// as it is: it must be JSON whose text reads back.
	if err := lrs.ValidateJSONText([]byte(s), "agent"); err != nil {
		return "", err
	}
	v, err := fastjson.Parse(s)
	if err != nil {
		return "", lrs.Errorf(lrs.EINVALID, "agent: not valid JSON: %v", err)
	}
	if err := lrs.ValidateAgent(v, "agent"); err != nil {
		return "", err
	}
	if string(v.GetStringBytes("objectType")) == "Group" {
		return "", lrs.Errorf(lrs.EINVALID, "agent: must be an Agent, not a Group")
	}
	ifi := lrs.IFI(v)
	if ifi == "" {
		return "", lrs.Errorf(lrs.EINVALID, "agent: needs an inverse functional identifier (mbox, mbox_sha1sum, openid or account)")
	}
	return ifi, nil
}

// document serves one document resource: GET, HEAD, PUT, POST, DELETE.
func (s *Server) document(res docResource) echo.HandlerFunc {
	return func(c echo.Context) error {
		r, err := res.parse(c.QueryParams())
		if err != nil {
			return err
		}
		// the principal's store only (the appender sets the writer's store
		// on writes too)
		r.key.Store = principal(c).Store
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead:
			return s.getDocument(c, r)
		case http.MethodDelete:
			return s.deleteDocument(c, res, r)
		default:
			return s.putDocument(c, res, r)
		}
	}
}

func (s *Server) getDocument(c echo.Context, r docRequest) error {
	ctx := c.Request().Context()
	s.waitForDocuments(ctx)
	if !r.hasID {
		ids, newest, err := s.cfg.Documents.DocumentIDs(ctx, r.key, r.since)
		if err != nil {
			return err
		}
		body, _ := json.Marshal(ids)
		c.Response().Header().Set("ETag", lrs.ETag(body))
		if !newest.IsZero() {
			c.Response().Header().Set("Last-Modified", newest.UTC().Format(http.TimeFormat))
		}
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
	}
	d, err := s.cfg.Documents.Document(ctx, r.key)
	if err != nil {
		return err
	}
	if !d.Exists {
		return lrs.Errorf(lrs.ENOTFOUND, "no document %q", r.key.ID)
	}
	h := c.Response().Header()
	h.Set("ETag", d.ETag())
	h.Set("Last-Modified", d.Updated.UTC().Format(http.TimeFormat))
	ct := d.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	// A document is whatever a client stored: a browser must never run it
	// as a page of this origin.
	h.Set("Content-Security-Policy", "sandbox")
	if !lrs.IsJSONType(ct) {
		h.Set("Content-Disposition", "attachment")
	}
	return c.Blob(http.StatusOK, ct, d.Body)
}

func (s *Server) putDocument(c echo.Context, res docResource, r docRequest) error {
	if !r.hasID {
		return lrs.Errorf(lrs.EINVALID, "missing %s parameter", res.idParam)
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	ct := c.Request().Header.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	if lrs.IsJSONType(ct) && (!utf8.Valid(body) || fastjson.ValidateBytes(body) != nil) {
		return lrs.Errorf(lrs.EINVALID, "the body is declared application/json but is not valid UTF-8 JSON")
	}
	w := lrs.DocumentWrite{
		Key:         r.key,
		Op:          lrs.DocPut,
		ContentType: ct,
		Body:        body,
		IfMatch:     c.Request().Header.Get("If-Match"),
		IfNoneMatch: c.Request().Header.Get("If-None-Match"),
		// Profiles always use concurrency control; xAPI 2.0 adds State.
		RequirePrecondition: res.kind != lrs.DocState || version(c) == lrs.V2,
		// A client's PUT to a profile must carry If-Match or If-None-Match,
		// under 1.0.3 (Communication 3.1) as under 2.0.0 (9274.1.1 for
		// Content): without either it is refused, 400 when the document is
		// missing (XAPI-00273). The 2.0.0 State resource asks no header of
		// a client's PUT, so a missing state is created as under 1.0.3.
		RequireHeader: res.kind != lrs.DocState,
	}
	if c.Request().Method == http.MethodPost {
		w.Op = lrs.DocMerge
	}
	return s.writeDocument(c, w, r)
}

func (s *Server) deleteDocument(c echo.Context, res docResource, r docRequest) error {
	w := lrs.DocumentWrite{Key: r.key, Op: lrs.DocDelete, IfMatch: c.Request().Header.Get("If-Match"), IfNoneMatch: c.Request().Header.Get("If-None-Match")}
	if !r.hasID {
		if res.kind != lrs.DocState {
			return lrs.Errorf(lrs.EINVALID, "missing %s parameter", res.idParam)
		}
		w.Op = lrs.DocDeleteAll
	}
	return s.writeDocument(c, w, r)
}

func (s *Server) writeDocument(c echo.Context, w lrs.DocumentWrite, r docRequest) error {
	if _, err := s.cfg.Writer.AppendDocument(c.Request().Context(), w, r.agent, credential(c).Authority()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// waitForDocuments lets a read see every write acknowledged on this node.
func (s *Server) waitForDocuments(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ReadWait)
	defer cancel()
	_ = s.cfg.Documents.WaitApplied(ctx, s.cfg.Writer.LastSeq())
}

// activities serves GET /activities: the canonical Activity object.
func (s *Server) activities(c echo.Context) error {
	q := c.QueryParams()
	if err := checkParams(q, "activityId"); err != nil {
		return err
	}
	id := q.Get("activityId")
	if !q.Has("activityId") {
		return lrs.Errorf(lrs.EINVALID, "missing activityId parameter")
	}
	if !lrs.IsIRI(id) {
		return lrs.Errorf(lrs.EINVALID, "activityId: %q is not an IRI", id)
	}
	s.waitForWrites(c.Request().Context())
	act, err := s.cfg.Statements.Activity(id)
	if lrs.ErrorCode(err) == lrs.ENOTFOUND {
		// Nothing is known of it: the Activity is its id (Communication 2.5).
		act, err = json.Marshal(map[string]string{"objectType": "Activity", "id": id})
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", lrs.ETag(act))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, act)
}

// agents serves GET /agents: the Person object for an agent, with every
// name it went by.
func (s *Server) agents(c echo.Context) error {
	q := c.QueryParams()
	if err := checkParams(q, "agent"); err != nil {
		return err
	}
	if !q.Has("agent") {
		return lrs.Errorf(lrs.EINVALID, "missing agent parameter")
	}
	ifi, err := parseAgentParam(q.Get("agent"))
	if err != nil {
		return err
	}
	s.waitForWrites(c.Request().Context())
	names, err := s.cfg.Statements.AgentNames(ifi)
	if err != nil {
		return err
	}
	agent := fastjson.MustParse(q.Get("agent"))
	var a fastjson.Arena
	person := a.NewObject()
	person.Set("objectType", a.NewString("Person"))
	if name := agent.GetStringBytes("name"); len(name) > 0 && !contains(names, string(name)) {
		names = append(names, string(name))
	}
	if len(names) > 0 {
		arr := a.NewArray()
		for i, n := range names {
			arr.SetArrayItem(i, a.NewString(n))
		}
		person.Set("name", arr)
	}
	for _, k := range []string{"mbox", "mbox_sha1sum", "openid", "account"} {
		if v := agent.Get(k); v != nil {
			arr := a.NewArray()
			arr.SetArrayItem(0, v)
			person.Set(k, arr)
		}
	}
	body := lrs.AppendJSON(nil, person)
	c.Response().Header().Set("ETag", lrs.ETag(body))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
