package projections

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/jejak-id/jejak/lrs/bangkom"
)

// A claim comes back from its record field for field, and a record cut
// short is an error, never a claim with fields missing.
func TestClaimEncoding(t *testing.T) {
	jp, minutes := 3.5, 73.0
	claims := []bangkom.Claim{
		{
			StatementID: "d57094f6-07e1-4cdc-b12b-4d9079b63e55", Seq: 1 << 40, NIP: "196501021998011204",
			Timestamp: time.Date(2026, 4, 26, 4, 16, 36, 123456789, time.UTC),
			Verb:      "http://adlnet.gov/expapi/verbs/attended", Activity: "https://coaching.bangkom.go.id/sesi/1",
			ActivityName: "Sesi coaching", Form: "NK-COACHING", DeclaredJP: &jp, Minutes: &minutes, Days: 3,
			International: true, Competencies: []string{"M.07", "T.01"}, By: "lms", Provider: true, Organizer: "BPSDM", StartDate: "2026-04-24",
			Registration: "9c4a1b4e-6f3b-4a34-9f7e-2d1c0b5a8e11",
		},
		{StatementID: "D57094F6-07E1-4CDC-B12B-4D9079B63E55", NIP: "199001012015011001", Timestamp: time.Date(1969, 12, 31, 23, 0, 0, 5, time.UTC)},
		{},
	}
	shared := interned{} // decoded with strings shared across claims, and without
	for i, c := range claims {
		b := encodeClaim(nil, c)
		want, _ := json.Marshal(c)
		for _, in := range []interned{nil, shared, shared} {
			got, err := decodeClaim(b, in)
			if err != nil {
				t.Fatalf("claim %d: %v", i, err)
			}
			have, _ := json.Marshal(got)
			if string(have) != string(want) {
				t.Fatalf("claim %d:\n got %s\nwant %s", i, have, want)
			}
		}
		for n := range len(b) {
			if _, err := decodeClaim(b[:n], interned{}); err == nil {
				t.Fatalf("claim %d cut to %d of %d bytes decoded without an error", i, n, len(b))
			}
		}
	}
}
