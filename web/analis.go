package web

import "net/http"

// registerAnalis adds the pages of this area.
func (h *Handler) registerAnalis() {
	h.mux.HandleFunc("GET /analis", h.analisHome)
}

func (h *Handler) analisHome(w http.ResponseWriter, r *http.Request) {
	p := h.signedIn(w, r)
	if p == nil {
		return
	}
	p.Title, p.Nav = "nav.analyst", "analis"
	h.render(w, "analis", p)
}
