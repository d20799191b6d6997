package bangkom

import (
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// Bounds on what the JP view keeps of a statement's evidence and of a
// decision's reason: the statement itself stays in the log and the
// statements view, whole, for anyone who needs more.
const (
	MaxReason              = 2000 // bytes of a decision's result.response
	MaxResponse            = 2000 // bytes of a claim's result.response
	MaxEvidenceAttachments = 16   // attachments listed per claim
	maxAttachmentText      = 500  // bytes of an attachment's display or contentType
)

// Evidence is what a claim shows its decider besides the activity: the
// claim statement's result.response and its attachments (as metadata; the
// data is fetched with the statement, GET /xapi/statements?statementId=…
// &attachments=true).
type Evidence struct {
	StatementID string       `json:"-"`
	Response    string       `json:"response,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	// Truncated says the statement held more than the view keeps: a
	// longer response or more attachments.
	Truncated bool `json:"truncated,omitempty"`
}

// Empty reports whether there is no evidence to keep.
func (e Evidence) Empty() bool { return e.Response == "" && len(e.Attachments) == 0 }

// Attachment is one xAPI attachment of a claim statement (Data 2.4.11).
type Attachment struct {
	UsageType   string `json:"usage_type"`
	Display     string `json:"display,omitempty"` // id-ID first, then id, en-US, en, any
	ContentType string `json:"content_type"`
	Length      int64  `json:"length"`
	SHA2        string `json:"sha2"`
	FileURL     string `json:"file_url,omitempty"`
}

// EvidenceFrom reads the evidence of a claim statement.
func EvidenceFrom(st *fastjson.Value) Evidence {
	e := Evidence{StatementID: string(st.GetStringBytes("id"))}
	resp := string(st.GetStringBytes("result", "response"))
	e.Response = bounded(resp, MaxResponse)
	e.Truncated = len(e.Response) < len(resp)
	atts := st.GetArray("attachments")
	if len(atts) > MaxEvidenceAttachments {
		atts, e.Truncated = atts[:MaxEvidenceAttachments], true
	}
	for _, a := range atts {
		e.Attachments = append(e.Attachments, Attachment{
			UsageType:   bounded(string(a.GetStringBytes("usageType")), maxAttachmentText),
			Display:     bounded(firstLanguage(a.Get("display"), "id-ID", "id", "en-US", "en"), maxAttachmentText),
			ContentType: bounded(string(a.GetStringBytes("contentType")), maxAttachmentText),
			Length:      a.GetInt64("length"),
			SHA2:        bounded(string(a.GetStringBytes("sha2")), maxAttachmentText),
			FileURL:     bounded(string(a.GetStringBytes("fileUrl")), maxAttachmentText),
		})
	}
	return e
}

// bounded cuts s to at most n bytes at a rune boundary.
func bounded(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
