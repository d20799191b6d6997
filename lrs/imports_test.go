package lrs_test

import (
	"os/exec"
	"strings"
	"testing"
)

// Imports point inward only (STYLE.md): the domain knows no technology, and
// the HTTP layer reaches the views and the log only through lrs interfaces.
func TestImports_PointInward(t *testing.T) {
	const mod = "github.com/jejak-id/jejak/"
	rules := []struct {
		pkg       string
		forbidden []string
	}{
		{"lrs", []string{"github.com/nats-io/", "github.com/cockroachdb/pebble", "github.com/labstack/echo", mod + "api", mod + "projections", mod + "lrs/natslog", mod + "cmd"}},
		{"api", []string{"github.com/nats-io/", "github.com/cockroachdb/pebble", mod + "projections", mod + "lrs/natslog", mod + "cmd"}},
		{"projections", []string{"github.com/nats-io/", "github.com/labstack/echo", mod + "api", mod + "lrs/natslog", mod + "cmd"}},
		{"lrs/natslog", []string{"github.com/cockroachdb/pebble", "github.com/labstack/echo", mod + "api", mod + "projections", mod + "cmd"}},
	}
	for _, r := range rules {
		t.Run(r.pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", mod+r.pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 5 {
				t.Fatalf("go list returned too few dependencies: %v", deps)
			}
			for _, d := range deps {
				for _, f := range r.forbidden {
					if strings.HasPrefix(d, f) {
						t.Errorf("%s depends on %s", r.pkg, d)
					}
				}
			}
		})
	}
}
