package main

import (
	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/projections"
)

// statusViews are the views GET /api/v1/status shows.
func statusViews(views *projections.Views) []api.ViewStatus {
	var out []api.ViewStatus
	for _, p := range views.All() {
		if v, ok := p.(api.ViewStatus); ok {
			out = append(out, v)
		}
	}
	return out
}
