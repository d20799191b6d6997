package projections_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/lrs/lrstest"
)

// benchEvents builds n events of per statements each, ASN-like.
func benchEvents(n, per int) []lrs.LogEvent {
	var out []lrs.LogEvent
	var prev lrs.Hash
	for i := range n {
		stmts := make([]string, per)
		for j := range stmts {
			nip := fmt.Sprintf("1990010120150110%02d", (i*per+j)%97)
			stmts[j] = `{"id":"` + uuid.NewString() + `","stored":"2026-11-29T08:00:00.000Z","authority":{"objectType":"Agent","account":{"homePage":"https://jejak.id/xapi/credentials","name":"lms"}},"version":"1.0.0",` +
				`"actor":{"objectType":"Agent","name":"Pegawai","account":{"homePage":"https://siasn.bkn.go.id","name":"` + nip + `"}},` +
				`"verb":{"id":"http://adlnet.gov/expapi/verbs/completed","display":{"en-US":"completed","id-ID":"menyelesaikan"}},` +
				`"object":{"objectType":"Activity","id":"https://lms.example.go.id/course/` + fmt.Sprint(j%20) + `","definition":{"type":"http://adlnet.gov/expapi/activities/module","name":{"id-ID":"Modul ` + fmt.Sprint(j%20) + `"}}},` +
				`"result":{"score":{"scaled":0.86},"success":true,"completion":true,"duration":"PT1H35M"},` +
				`"context":{"registration":"` + uuid.NewString() + `","platform":"LMS","contextActivities":{"parent":[{"id":"https://lms.example.go.id/course"}]},"extensions":{"https://jejak.id/xapi/bangkom/extensions/form":"NK-ELEARN"}},` +
				`"timestamp":"2026-11-29T09:15:00+07:00"}`
		}
		seq := uint64(i + 1)
		payload := `{"batches":[{"by":"lms","statements":[` + strings.Join(stmts, ",") + `]}]}`
		data := lrs.EncodeEnvelope(nil, lrs.EventStatements, 1, seq, "default", time.Unix(1764403200, 0).Add(time.Duration(i)*time.Millisecond), prev, []byte(payload))
		prev = lrs.HashEvent(data)
		out = append(out, lrs.LogEvent{Seq: seq, Subject: "jejak.default.statements", Data: data})
	}
	return out
}

// BenchmarkStatementIndex_Apply measures the projector's fold into Pebble,
// in chunks of 1024 events as the projector reads them.
//
//	go test -run '^$' -bench StatementIndex_Apply -benchmem ./projections/
func BenchmarkStatementIndex_Apply(b *testing.B) {
	for _, per := range []int{1, 100} {
		b.Run(fmt.Sprintf("per-event=%d", per), func(b *testing.B) {
			evs := benchEvents(max(1, 20000/per), per)
			b.ResetTimer()
			var total int
			for range b.N {
				b.StopTimer()
				ix := lrstest.StatementView(b)
				b.StartTimer()
				for i := 0; i < len(evs); i += 1024 {
					if err := ix.Apply(evs[i:min(i+1024, len(evs))]); err != nil {
						b.Fatal(err)
					}
				}
				total += len(evs) * per
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "statements/s")
		})
	}
}

// BenchmarkJPLookup measures one person's JP report (the facts read from
// Pebble and Compute) with 130 claims, each approved.
//
//	go test -run '^$' -bench JPLookup -benchmem ./projections/
func BenchmarkJPLookup(b *testing.B) {
	rules := loadRules(b)
	ix := openJP(b, rules)
	sc := scenario{Year: 2026}
	sc.Events = append(sc.Events, scenarioEvent{People: []bangkom.Person{
		{NIP: "199001012015011001", Name: "Siti", Unit: "U1", Type: "PNS", Timezone: "WIB", SupervisorNIP: "197805152003121002"},
	}})
	for i := range 130 {
		ref := fmt.Sprintf("c%d", i)
		sc.Events = append(sc.Events,
			scenarioEvent{Ref: ref, NIP: "199001012015011001", Form: "NK-ELEARN", Duration: "PT50M", Timestamp: fmt.Sprintf("2026-%02d-%02dT09:00:00+07:00", i%12+1, i%28+1)},
			scenarioEvent{Ref: "a" + ref, Decide: "approved", Claim: ref, Approver: "197805152003121002"})
	}
	evs, _ := scenarioLog(b, sc)
	if err := ix.Apply(evs); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		facts, _, err := ix.Facts(context.Background(), "199001012015011001", 0)
		if err != nil {
			b.Fatal(err)
		}
		if rep := bangkom.Compute(facts, rules, 2026, 0); len(rep.Items) != 130 {
			b.Fatalf("%d items", len(rep.Items))
		}
	}
}

// BenchmarkStatementsByAgent measures an agent-filtered page of 100
// (GET /statements?agent=…&limit=100) on a view of 200,000 statements.
//
//	go test -run '^$' -bench StatementsByAgent ./projections/
func BenchmarkStatementsByAgent(b *testing.B) {
	ix := lrstest.StatementView(b)
	evs := benchEvents(2000, 100)
	for i := 0; i < len(evs); i += 64 {
		if err := ix.Apply(evs[i:min(i+64, len(evs))]); err != nil {
			b.Fatal(err)
		}
	}
	q := lrs.StatementQuery{Limit: 100, Filter: lrs.StatementFilter{Agent: "account\x00https://siasn.bkn.go.id\x00199001012015011042"}}
	b.ResetTimer()
	for range b.N {
		page, err := ix.Statements(context.Background(), q)
		if err != nil || len(page.Statements) != 100 {
			b.Fatalf("%d statements, %v", len(page.Statements), err)
		}
	}
}
