package lrs_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/jejak-id/jejak/lrs"
)

// Whatever bytes an event holds, log export writes a line that is JSON and
// that verify accepts (an event it cannot show is written with its data
// only), and reading it never panics.
func FuzzExportLine(f *testing.F) {
	stmt := `{"id":"0b7e1c9a-4d7e-4a55-8f0e-9c1d2e3f4a5b","actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/a"}}`
	for _, seed := range []string{
		string(lrs.EncodeEnvelope(nil, lrs.EventStatements, 1, 2, lrs.DefaultStore, time.Unix(0, 0), lrs.Hash{}, []byte(`{"batches":[{"by":"k","statements":[`+stmt+`]}]}`))),
		string(lrs.EncodeEnvelope(nil, lrs.EventStatements, 1, 2, lrs.DefaultStore, time.Unix(0, 0), lrs.Hash{}, []byte(`{"batches":[{"by":"k","statements":[{"id":"0b7e1c9a-4d7e-4a55-8f0e-9c1d2e3f4a5b","actor":{"name":"a\x01b"}}]}]}`))),
		string(lrs.EncodeEnvelope(nil, lrs.EventDocument, 1, 2, lrs.DefaultStore, time.Unix(0, 0), lrs.Hash{}, []byte(`{"kind":"state","op":"put","body":"e30="}`))),
		`{"type":"xapi.statements","v":1,"garbage":true}`,
		"\xff\xfe",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev := lrs.LogEvent{Seq: 2, Subject: "jejak.default.statements", Data: data}
		l, err := lrs.NewExportLine(ev)
		if (err != nil) != (l.Unreadable != "") {
			t.Fatalf("error %v, unreadable %q", err, l.Unreadable)
		}
		line, merr := json.Marshal(l)
		if merr != nil {
			t.Fatalf("the export line does not marshal: %v", merr)
		}
		// from sequence 2: the first event's link is not checked
		if err := lrs.NewVerifier(2).Line(line, 1); err != nil {
			t.Fatalf("verify refuses the line export wrote: %v\n%s", err, line)
		}
	})
}
