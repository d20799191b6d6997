package api_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
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
