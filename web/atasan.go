package web

import "net/http"

// registerAtasan adds the pages of this area.
func (h *Handler) registerAtasan() {
	h.mux.HandleFunc("GET /atasan", h.atasanHome)
}

func (h *Handler) atasanHome(w http.ResponseWriter, r *http.Request) {
	p := h.signedIn(w, r)
	if p == nil {
		return
	}
	p.Title, p.Nav = "nav.supervisor", "atasan"
	h.render(w, "atasan", p)
}
