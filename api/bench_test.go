package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
	"github.com/jejak-id/jejak/lrs/natslog"
)

// benchStatement is a realistic ~1.2 KB ASN learning statement.
func benchStatement() string {
	return `{"actor":{"objectType":"Agent","name":"Siti Rahmawati","account":{"homePage":"https://siasn.bkn.go.id","name":"199001012015012001"}},` +
		`"verb":{"id":"http://adlnet.gov/expapi/verbs/completed","display":{"en-US":"completed","id-ID":"menyelesaikan"}},` +
		`"object":{"objectType":"Activity","id":"https://lms.example.go.id/course/analisis-kebijakan-publik/modul-3","definition":{"type":"http://adlnet.gov/expapi/activities/module","name":{"id-ID":"Analisis Kebijakan Publik: Modul 3","en-US":"Public Policy Analysis: Module 3"},"description":{"id-ID":"Modul e-learning tentang perumusan masalah kebijakan dan analisis pemangku kepentingan."}}},` +
		`"result":{"score":{"scaled":0.86,"raw":86,"min":0,"max":100},"success":true,"completion":true,"duration":"PT1H35M"},` +
		`"context":{"registration":"` + uuid.NewString() + `","platform":"LMS Pusdiklat","language":"id-ID","contextActivities":{"parent":[{"id":"https://lms.example.go.id/course/analisis-kebijakan-publik"}],"category":[{"id":"https://jejak.id/xapi/bangkom/forms/NK-ELEARN"}]},` +
		`"extensions":{"https://jejak.id/xapi/bangkom/extensions/form":"NK-ELEARN","https://jejak.id/xapi/bangkom/extensions/competencies":["M.02","T.KEB.01"]}},` +
		`"timestamp":"2026-11-29T09:15:00+07:00"}`
}

func benchPost(b *testing.B, e *env, body []byte) {
	hr, _ := http.NewRequest(http.MethodPost, e.url+"/statements", bytes.NewReader(body))
	hr.SetBasicAuth(e.key, e.secret)
	hr.Header.Set("X-Experience-API-Version", "1.0.3")
	hr.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b.Fatalf("POST = %d", res.StatusCode)
	}
}

// BenchmarkPostStatements measures the whole write path over HTTP:
// decode, validate, durable append (fsync before ack) and answer, with the
// projector running. Single statements are posted from 32 concurrent
// clients, so group commit is what it measures; batches of 100 from 4.
//
//	go test -run '^$' -bench PostStatements -benchtime 5s ./api/
func BenchmarkPostStatements(b *testing.B) {
	for _, per := range []int{1, 100} {
		b.Run(fmt.Sprintf("per-request=%d", per), func(b *testing.B) {
			e := newEnv(b)
			bodies := make([][]byte, 64)
			for i := range bodies {
				items := make([]string, per)
				for j := range items {
					items[j] = benchStatement()
				}
				bodies[i] = []byte("[" + strings.Join(items, ",") + "]")
			}
			http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost = 64
			b.SetBytes(int64(len(bodies[0])))
			b.ResetTimer()
			if per == 1 {
				b.SetParallelism(16) // 32 clients on 2 cores
			} else {
				b.SetParallelism(2) // 4 clients
			}
			b.RunParallel(func(pb *testing.PB) {
				for i := 0; pb.Next(); i++ {
					benchPost(b, e, bodies[i%len(bodies)])
				}
			})
			b.ReportMetric(float64(b.N*per)/b.Elapsed().Seconds(), "statements/s")
		})
	}
}

// BenchmarkPersonJP measures GET /api/v1/people/{nip}/jp over HTTP
// without and with the access log. Two servers share one node (log and
// views), one of them recording every read; requests alternate between
// them, one at a time, so that whatever else the machine does falls on
// both alike. It reports each one's p50 and p99 latency and the p50 cost
// of the access log in percent:
//
//	go test -run '^$' -bench PersonJP -benchtime 20000x -count 3 ./api/
func BenchmarkPersonJP(b *testing.B) {
	s := lrstest.NATS(b)
	node := lrstest.StartNode(b, lrstest.Log(b, s))
	ac, as := lrstest.Credential(b, "admin-1", lrs.RoleAdmin)
	cfg := api.Config{Auth: lrs.NewKeyring([]lrs.Credential{ac}), Statements: node.View, Documents: node.Views.Documents,
		JP: node.Views.JP, Writer: node.Appender}
	plain := httptest.NewServer(api.New(cfg))
	b.Cleanup(plain.Close)
	access, err := natslog.OpenAccess(context.Background(), lrstest.Conn(b, s), natslog.AccessConfig{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { access.Run(ctx, 5*time.Second); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	cfg.Access = access
	logged := httptest.NewServer(api.New(cfg))
	b.Cleanup(logged.Close)

	do := func(base, method, path, body string) {
		hr, _ := http.NewRequest(method, base+"/api/v1"+path, strings.NewReader(body))
		hr.SetBasicAuth(ac.Key, as)
		if body != "" {
			hr.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(hr)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("%s %s = %d", method, path, res.StatusCode)
		}
	}
	const people = 100
	nips := make([]string, people)
	var reg []string
	for i := range nips {
		nips[i] = fmt.Sprintf("19900101201501%04d", 1000+i)
		reg = append(reg, `{"nip":"`+nips[i]+`","name":"P","unit":"U1","position":"Analis","type":"PNS","timezone":"WIB"}`)
	}
	do(plain.URL, "POST", "/people", "["+strings.Join(reg, ",")+"]")
	for i := range 200 { // warm both up
		do(plain.URL, "GET", "/people/"+nips[i%people]+"/jp?year=2026", "")
		do(logged.URL, "GET", "/people/"+nips[i%people]+"/jp?year=2026", "")
	}
	var off, on []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		base, lat := plain.URL, &off
		if i%2 == 1 {
			base, lat = logged.URL, &on
		}
		t0 := time.Now()
		do(base, "GET", "/people/"+nips[(i/2)%people]+"/jp?year=2026", "")
		*lat = append(*lat, time.Since(t0))
	}
	b.StopTimer()
	if len(on) == 0 {
		return
	}
	slices.Sort(off)
	slices.Sort(on)
	p50off, p50on := off[len(off)/2], on[len(on)/2]
	b.ReportMetric(float64(p50off.Microseconds()), "p50-off-µs")
	b.ReportMetric(float64(p50on.Microseconds()), "p50-on-µs")
	b.ReportMetric(float64(off[len(off)*99/100].Microseconds()), "p99-off-µs")
	b.ReportMetric(float64(on[len(on)*99/100].Microseconds()), "p99-on-µs")
	b.ReportMetric(100*(float64(p50on)/float64(p50off)-1), "p50-cost-%")
}
