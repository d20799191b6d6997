package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// The supervisor's pages: the queue of their staff's claims to decide
// (GET /api/v1/approvals), deciding them one by one or several at once
// (each decision the supervisor's own statement, POST /xapi/statements),
// the evidence of a claim (GET /api/v1/claims/{id}/evidence), and what
// they decided before (GET /api/v1/decisions). A verifier gets its own
// queue on the same pages.

// registerAtasan adds the pages of this area.
func (h *Handler) registerAtasan() {
	h.mux.HandleFunc("GET /atasan", h.atasanHome)
	h.mux.HandleFunc("POST /atasan/putuskan", h.atasanDecide)
	h.mux.HandleFunc("GET /atasan/riwayat", h.atasanHistory)
	h.mux.HandleFunc("GET /atasan/bukti/{id}", h.atasanEvidence)
}

// pendingClaim is one claim of GET /api/v1/approvals.
type pendingClaim struct {
	claimActivity
	NIP          string  `json:"nip"`
	Name         string  `json:"name"`
	Unit         string  `json:"unit"`
	StatementID  string  `json:"statement_id"`
	Form         string  `json:"form"`
	Date         string  `json:"date"`
	Year         int     `json:"year"`
	JPClaimed    float64 `json:"jp_claimed"`
	JPIfApproved float64 `json:"jp_if_approved"`
	Note         string  `json:"note"`
	Evidence     struct {
		Response    string `json:"response"`
		Truncated   bool   `json:"truncated"`
		Attachments []struct {
			UsageType   string `json:"usage_type"`
			Display     string `json:"display"`
			ContentType string `json:"content_type"`
			Length      int    `json:"length"`
			FileURL     string `json:"file_url"`
		} `json:"attachments"`
	} `json:"evidence"`
}

// claimActivity is the activity of a claim as the API's reports give it.
type claimActivity struct {
	Activity     string `json:"activity"`
	ActivityName string `json:"activity_name"`
}

// Title is how the claim is named: its activity's name, else its IRI.
func (a claimActivity) Title() string {
	if a.ActivityName != "" {
		return a.ActivityName
	}
	return a.Activity
}

// label names the claim in a message: person, activity and date.
func (c pendingClaim) label() string {
	return c.Name + " (" + c.NIP + "), " + c.Title() + ", " + c.Date
}

// atasanQueue is the data of the queue page.
type atasanQueue struct {
	Own     bool // the visitor has a queue of their own
	Pending []pendingClaim
	// What the visitor sent, kept when the page comes back with an error.
	Checked map[string]bool
	Reasons map[string]string
	Reason  string
	// notDecided are the claims not decided, each with why (empty when
	// the page's error says it); Failed names them once the queue is read.
	notDecided []notDecided
	Failed     []string
}

// notDecided is a claim not decided and the API's words why.
type notDecided struct{ id, why string }

// hasQueue reports whether the visitor has a queue of their own: a
// person's as supervisor, or a verifier's.
func hasQueue(me *Me) bool { return me.NIP != "" || me.Has(lrs.RoleVerifier) }

func (h *Handler) atasanHome(w http.ResponseWriter, r *http.Request) {
	p := h.signedIn(w, r)
	if p == nil {
		return
	}
	h.atasanQueuePage(w, r, p, &atasanQueue{})
}

// atasanQueuePage shows the queue with d's form state and failures.
func (h *Handler) atasanQueuePage(w http.ResponseWriter, r *http.Request, p *Page, d *atasanQueue) {
	p.Title, p.Nav = "atasan.title", "atasan"
	if hasQueue(p.Me) {
		d.Own = true
		var body struct {
			Pending []pendingClaim `json:"pending"`
		}
		if err := h.getJSON(r, "/api/v1/approvals", &body); err != nil {
			h.fail(w, r, p, err)
			return
		}
		d.Pending = body.Pending
	}
	for _, f := range d.notDecided {
		label := d.claimLabel(p, f.id)
		if f.why != "" {
			label += ": " + f.why
		}
		d.Failed = append(d.Failed, label)
	}
	p.Data = d
	h.render(w, "atasan", p)
}

// actor is the visitor as the actor of their own statement: an ASN
// account of their NIP, or for a credential acting for no person (a
// verifier) the account of its key.
func (h *Handler) actor(me *Me) map[string]any {
	actor := map[string]any{"objectType": "Agent", "account": map[string]string{"homePage": lrs.CredentialHomePage, "name": me.Key}}
	if me.NIP != "" {
		actor["account"] = map[string]string{"homePage": h.cfg.API.HomePage(), "name": me.NIP}
	}
	if me.Name != "" {
		actor["name"] = me.Name
	}
	return actor
}

// decisionStatement is a decision on claim by the visitor as themselves.
func (h *Handler) decisionStatement(me *Me, claim string, approve bool, reason string) map[string]any {
	verb := map[string]any{"id": bangkom.VerbApproved, "display": map[string]string{"id-ID": "menyetujui", "en-US": "approved"}}
	if !approve {
		verb = map[string]any{"id": bangkom.VerbRejected, "display": map[string]string{"id-ID": "menolak", "en-US": "rejected"}}
	}
	st := map[string]any{
		"id": uuid.NewString(), "actor": h.actor(me), "verb": verb,
		"object":    map[string]string{"objectType": "StatementRef", "id": claim},
		"timestamp": h.cfg.Now().UTC().Format(time.RFC3339Nano),
	}
	if reason != "" {
		st["result"] = map[string]string{"response": reason}
	}
	return st
}

// atasanDecide decides claims (POST /atasan/putuskan): one, with button
// setujui=<id> or tolak=<id> (its reason in alasan_<id>), or every
// checked id with putusan=setujui|tolak (each reason alasan_<id>, else
// the common alasan). A rejection needs a reason. The decisions go to the
// API in one batch; when it refuses the batch, each is sent alone, and
// the page names the claims that were not decided and why.
func (h *Handler) atasanDecide(w http.ResponseWriter, r *http.Request) {
	p := h.signedIn(w, r)
	if p == nil || !h.parseForm(w, r) {
		return
	}
	f := r.PostForm
	d := &atasanQueue{Checked: map[string]bool{}, Reasons: map[string]string{}, Reason: strings.TrimSpace(f.Get("alasan"))}
	var ids []string
	approve := false
	switch {
	case f.Get("setujui") != "":
		ids, approve = []string{f.Get("setujui")}, true
	case f.Get("tolak") != "":
		ids = []string{f.Get("tolak")}
	case f.Get("putusan") == "setujui" || f.Get("putusan") == "tolak":
		ids, approve = f["id"], f.Get("putusan") == "setujui"
	}
	for k, v := range f {
		if id, ok := strings.CutPrefix(k, "alasan_"); ok && strings.TrimSpace(v[0]) != "" {
			d.Reasons[id] = strings.TrimSpace(v[0])
		}
	}
	for _, id := range f["id"] {
		d.Checked[id] = true
	}
	refuse := func(status int, key string, args ...any) {
		p.Status, p.Error = status, p.T(key, args...)
		h.atasanQueuePage(w, r, p, d)
	}
	switch {
	case f.Get("setujui") == "" && f.Get("tolak") == "" && f.Get("putusan") != "setujui" && f.Get("putusan") != "tolak":
		refuse(http.StatusBadRequest, "atasan.err.no_action")
		return
	case len(ids) == 0:
		refuse(http.StatusBadRequest, "atasan.err.none_selected")
		return
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var stmts []map[string]any
	var noReason []string
	for _, id := range ids {
		if _, err := uuid.Parse(id); err != nil {
			refuse(http.StatusBadRequest, "atasan.err.bad_id", id)
			return
		}
		reason := d.Reasons[id]
		if reason == "" {
			reason = d.Reason
		}
		if len(reason) > bangkom.MaxReason {
			refuse(http.StatusBadRequest, "atasan.err.reason_long", bangkom.MaxReason)
			return
		}
		if !approve && reason == "" {
			noReason = append(noReason, id)
			continue
		}
		stmts = append(stmts, h.decisionStatement(p.Me, id, approve, reason))
	}
	if len(noReason) > 0 {
		for _, id := range noReason {
			d.notDecided = append(d.notDecided, notDecided{id: id})
		}
		refuse(http.StatusBadRequest, "atasan.err.reason_needed")
		return
	}
	err := h.postJSON(r, "/xapi/statements", stmts, nil)
	if err == nil {
		http.Redirect(w, r, "/atasan?ok=decided", http.StatusSeeOther)
		return
	}
	if len(stmts) == 1 {
		h.decideFailed(w, r, p, d, err)
		return
	}
	// The API took none of the batch: send each alone, so that every
	// decision it allows is made, and name the others (the page names
	// them from the queue it reads after).
	done := 0
	var last *APIError
	for i := range stmts {
		if err := h.postJSON(r, "/xapi/statements", stmts[i:i+1], nil); err != nil {
			if last = sentRefused(err); last == nil {
				h.fail(w, r, p, err)
				return
			}
			d.notDecided = append(d.notDecided, notDecided{id: ids[i], why: last.Message})
			continue
		}
		done++
	}
	if done == 0 && len(d.notDecided) == 1 {
		d.notDecided = nil
		h.decideFailed(w, r, p, d, last)
		return
	}
	if done > 0 {
		p.Flash = p.T("atasan.flash.some_decided", done)
	}
	p.Error = p.T("atasan.err.not_decided", len(d.notDecided))
	if done == 0 {
		p.Status = last.Status
	}
	h.atasanQueuePage(w, r, p, d)
}

// decideFailed shows the queue with the API's refusal of a decision:
// its own words, which name the rule.
func (h *Handler) decideFailed(w http.ResponseWriter, r *http.Request, p *Page, d *atasanQueue, err error) {
	ae := sentRefused(err)
	if ae == nil {
		h.fail(w, r, p, err)
		return
	}
	p.Status = ae.Status
	if ae.Status == http.StatusForbidden {
		p.Error = p.T("err.forbidden", ae.Message)
	} else {
		p.Error = p.T("atasan.err.refused", ae.Message)
	}
	h.atasanQueuePage(w, r, p, d)
}

// claimLabel names claim id of the queue by person, activity and date
// (by its id when the queue lacks it).
func (d *atasanQueue) claimLabel(p *Page, id string) string {
	for _, c := range d.Pending {
		if c.StatementID == id {
			return c.label()
		}
	}
	return p.T("atasan.claim_id", id)
}

// madeDecision is one decision of GET /api/v1/decisions.
type madeDecision struct {
	claimActivity
	NIP          string  `json:"nip"`
	Name         string  `json:"name"`
	StatementID  string  `json:"statement_id"`
	Form         string  `json:"form"`
	Date         string  `json:"date"`
	JPClaimed    float64 `json:"jp_claimed"`
	Decision     string  `json:"decision"`
	Reason       string  `json:"reason"`
	State        string  `json:"state"`
	JPRecognized float64 `json:"jp_recognized"`
	// DecisionLabel and StateLabel are the two in the page's language.
	DecisionLabel, StateLabel string
}

// atasanHistory shows what the visitor decided before (GET /atasan/riwayat).
func (h *Handler) atasanHistory(w http.ResponseWriter, r *http.Request) {
	p := h.areaPage(w, r, "atasan", "atasan.history.title")
	if p == nil {
		return
	}
	var body struct {
		Decisions []madeDecision `json:"decisions"`
	}
	if p.Me.NIP != "" {
		if err := h.getJSON(r, "/api/v1/decisions", &body); err != nil {
			h.fail(w, r, p, err)
			return
		}
	}
	for i := range body.Decisions {
		m := &body.Decisions[i]
		m.DecisionLabel, m.StateLabel = h.stateLabel(p, m.Decision), h.stateLabel(p, m.State)
	}
	p.Data = struct {
		Own       bool
		Decisions []madeDecision
	}{p.Me.NIP != "", body.Decisions}
	h.render(w, "atasan_riwayat", p)
}

// stateLabel is a claim state or decision in the page's language (the
// API's word when the catalogue has none).
func (h *Handler) stateLabel(p *Page, s string) string {
	if k := "atasan.state." + s; h.msgs.has(k) {
		return p.T(k)
	}
	return s
}

// atasanEvidence downloads a claim's evidence (GET /atasan/bukti/{id}?n=)
// through the API as the visitor.
func (h *Handler) atasanEvidence(w http.ResponseWriter, r *http.Request) {
	target := "/api/v1/claims/" + url.PathEscape(r.PathValue("id")) + "/evidence"
	if n := r.URL.Query().Get("n"); n != "" {
		target += "?n=" + url.QueryEscape(n)
	}
	a := h.Call(r, http.MethodGet, target, nil, map[string]string{"Accept": "*/*"})
	if err := a.Err(); err != nil {
		p := h.signedIn(w, r)
		if p == nil {
			return
		}
		p.Nav = "atasan"
		h.fail(w, r, p, err)
		return
	}
	for _, k := range []string{"Content-Type", "Content-Disposition"} {
		w.Header().Set(k, a.Header.Get(k))
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(a.Body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(a.Body)
}
