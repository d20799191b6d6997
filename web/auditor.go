package web

import "net/http"

// registerAuditor adds the pages of this area.
func (h *Handler) registerAuditor() {
	h.mux.HandleFunc("GET /auditor", h.auditorHome)
}

func (h *Handler) auditorHome(w http.ResponseWriter, r *http.Request) {
	p := h.signedIn(w, r)
	if p == nil {
		return
	}
	p.Title, p.Nav = "nav.auditor", "auditor"
	h.render(w, "auditor", p)
}
