package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
)

// The auditor's pages: the log's head and hash chain and each view's
// position and digest on this node (GET /api/v1/status), and the access
// log for personal data with a search (GET /api/v1/access). Auditors and
// admins see them; the API decides.

// registerAuditor adds the pages of this area.
func (h *Handler) registerAuditor() {
	h.mux.HandleFunc("GET /auditor", h.auditorHome)
	h.mux.HandleFunc("GET /auditor/akses", h.auditorAccess)
	h.mux.HandleFunc("GET /auditor/akses.csv", h.auditorAccessCSV)
}

// auditorHome shows GET /api/v1/status of this node.
func (h *Handler) auditorHome(w http.ResponseWriter, r *http.Request) {
	p := h.areaPage(w, r, "auditor", "audit.title")
	if p == nil {
		return
	}
	var st api.Status
	if err := h.getJSON(r, "/api/v1/status?nodes=all", &st); err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = auditorData{Status: st, Nodes: nodeRows(st)}
	h.render(w, "auditor", p)
}

// auditorData is this node's status and a row per view of every node of
// the log that answered.
type auditorData struct {
	api.Status
	Nodes []nodeRow
}

// nodeRow is one view of one node; Differs is set when another node holds
// the view at the same position with another digest.
type nodeRow struct {
	Node, Stream, View, Digest, Error string
	Self, Deciding, Ready, Differs    bool
	Head                              *uint64
	Position                          uint64
}

// nodeRows flattens the nodes' statuses (in node order) and marks the
// digests that disagree at one position.
func nodeRows(st api.Status) []nodeRow {
	var rows []nodeRow
	for _, raw := range st.Nodes {
		var n api.Status
		if json.Unmarshal(raw, &n) != nil {
			continue
		}
		for _, v := range n.Views {
			row := nodeRow{Node: n.Node, Self: n.Node == st.Node, Ready: n.Ready, View: v.Name, Position: v.Position, Digest: v.Digest, Error: v.Error}
			if n.Decider != nil {
				row.Deciding = n.Decider.Node == n.Node
			}
			if n.Log != nil {
				row.Head, row.Stream = n.Log.Head, n.Log.Stream
			}
			rows = append(rows, row)
		}
	}
	for i := range rows {
		for j := range rows {
			a, b := rows[i], rows[j]
			if a.View == b.View && a.Position == b.Position && a.Digest != "" && b.Digest != "" && a.Digest != b.Digest {
				rows[i].Differs = true
			}
		}
	}
	slices.SortStableFunc(rows, func(a, b nodeRow) int { return strings.Compare(a.Node, b.Node) })
	return rows
}

// accessLimit is how many entries of the access log a page shows.
const accessLimit = 500

// accessSearch is the access log search form.
type accessSearch struct {
	NIP, Unit, Who, Since, Until string
}

// query is the search as GET /api/v1/access parameters: dates are whole
// days in WIB (since from 00:00, until through 23:59:59).
func (s accessSearch) query() (url.Values, error) {
	q := url.Values{}
	if s.NIP != "" {
		q.Set("nip", s.NIP)
	}
	if s.Unit != "" {
		q.Set("unit", s.Unit)
	}
	if s.Who != "" {
		q.Set("who", s.Who)
	}
	for _, d := range []struct {
		name, v string
		end     bool
	}{{"since", s.Since, false}, {"until", s.Until, true}} {
		if d.v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.v, wib)
		if err != nil {
			return nil, &APIError{Status: http.StatusBadRequest, Code: "invalid", Message: d.name + ": " + strconv.Quote(d.v) + " is not a date like 2026-06-30"}
		}
		if d.end {
			t = t.Add(24*time.Hour - time.Second)
		}
		q.Set(d.name, t.Format(time.RFC3339))
	}
	return q, nil
}

// values is the search as the page's own query.
func (s accessSearch) values() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"nip": s.NIP, "unit": s.Unit, "who": s.Who, "since": s.Since, "until": s.Until} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

func searchOf(r *http.Request) accessSearch {
	g := func(k string) string { return strings.TrimSpace(r.URL.Query().Get(k)) }
	return accessSearch{NIP: g("nip"), Unit: g("unit"), Who: g("who"), Since: g("since"), Until: g("until")}
}

type accessPage struct {
	Search  accessSearch
	Entries []lrs.Access
	More    bool
	CSV     string // the download link of this search
}

// auditorAccess searches the access log: who read whose records.
func (h *Handler) auditorAccess(w http.ResponseWriter, r *http.Request) {
	p := h.areaPage(w, r, "auditor", "audit.access_title")
	if p == nil {
		return
	}
	d := accessPage{Search: searchOf(r)}
	if d.Search == (accessSearch{}) {
		// the log is read oldest first: without a search, the last week
		d.Search.Since = h.cfg.Now().In(wib).AddDate(0, 0, -7).Format("2006-01-02")
	}
	p.Data = &d
	q, err := d.Search.query()
	if err == nil {
		d.CSV = "/auditor/akses.csv?" + d.Search.values().Encode()
		q.Set("limit", strconv.Itoa(accessLimit))
		var ans struct {
			Entries []lrs.Access `json:"entries"`
			More    bool         `json:"more"`
		}
		if err = h.getJSON(r, "/api/v1/access?"+q.Encode(), &ans); err == nil {
			d.Entries, d.More = ans.Entries, ans.More
		}
	}
	if err != nil {
		h.formError(w, r, p, "auditor_akses", err)
		return
	}
	h.render(w, "auditor_akses", p)
}

// auditorAccessCSV downloads the search as the API's CSV.
func (h *Handler) auditorAccessCSV(w http.ResponseWriter, r *http.Request) {
	p := h.areaPage(w, r, "auditor", "audit.access_title")
	if p == nil {
		return
	}
	q, err := searchOf(r).query()
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	q.Set("limit", strconv.Itoa(lrs.MaxAccessLimit))
	a := h.Call(r, http.MethodGet, "/api/v1/access?"+q.Encode(), nil, map[string]string{"Accept": "text/csv"})
	if err := a.Err(); err != nil {
		h.fail(w, r, p, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="akses.csv"`)
	_, _ = w.Write(a.Body)
}

// formError shows an API refusal of what a form asked on the form's own
// page (a bad value, a conflict: the API's words), and anything else as
// fail does.
func (h *Handler) formError(w http.ResponseWriter, r *http.Request, p *Page, page string, err error) {
	if refusal(err, p) {
		h.render(w, page, p)
		return
	}
	h.fail(w, r, p, err)
}

// refusal sets p's error and status to the API's words when err is a
// refusal of what a form sent (a bad value, a conflict), not of the
// visitor (401, 403) nor a failure (5xx).
func refusal(err error, p *Page) bool {
	if ae := sentRefused(err); ae != nil && ae.Status != http.StatusForbidden {
		p.Status, p.Error = ae.Status, ae.Message
		return true
	}
	return false
}

// Seq writes a log sequence (uint64 or *uint64) as Int does.
func (p *Page) Seq(v any) string {
	switch n := v.(type) {
	case uint64:
		return p.Int(int(n))
	case *uint64:
		if n != nil {
			return p.Int(int(*n))
		}
	}
	return "–"
}

// Time writes an instant in WIB, to the second, with the date in the
// page's language.
func (p *Page) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(wib)
	return p.Date(t) + " " + t.Format("15:04:05") + " WIB"
}
