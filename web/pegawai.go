package web

import "net/http"

// registerPegawai adds the pages of this area.
func (h *Handler) registerPegawai() {
	h.mux.HandleFunc("GET /saya", h.pegawaiHome)
}

func (h *Handler) pegawaiHome(w http.ResponseWriter, r *http.Request) {
	p := h.signedIn(w, r)
	if p == nil {
		return
	}
	p.Title, p.Nav = "nav.me", "saya"
	h.render(w, "saya", p)
}
