package web

import "net/http"

// registerAdmin adds the pages of this area.
func (h *Handler) registerAdmin() {
	h.mux.HandleFunc("GET /admin", h.adminHome)
}

func (h *Handler) adminHome(w http.ResponseWriter, r *http.Request) {
	p := h.signedIn(w, r)
	if p == nil {
		return
	}
	p.Title, p.Nav = "nav.admin", "admin"
	h.render(w, "admin", p)
}
