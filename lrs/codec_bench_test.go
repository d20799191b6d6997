package lrs

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/valyala/fastjson"
)

// BenchmarkCodec measures the JSON work of the write and fold paths on
// realistic statements: a write request of 100 statements parsed, validated
// and normalised (PrepareStatements), one statement's comparison hash, and
// the envelope of a 100-statement event encoded and decoded.
//
//	go test -run '^$' -bench Codec -benchmem ./lrs/
func BenchmarkCodec(b *testing.B) {
	one := string(fastjson.MustParse(benchStatement).MarshalTo(nil))
	stmts := make([]string, 100)
	var a fastjson.Arena
	for i := range stmts {
		v := fastjson.MustParse(one)
		v.Set("id", a.NewString(uuid.NewString()))
		stmts[i] = string(v.MarshalTo(nil))
	}
	body := []byte("[" + strings.Join(stmts, ",") + "]")
	by := Authority{Key: "lms", Store: DefaultStore, Agent: []byte(`{"objectType":"Agent","account":{"homePage":"https://jejak.id/xapi/credentials","name":"lms"}}`)}
	b.Run("prepare-100", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			out, err := PrepareStatements(context.Background(), StatementsInput{Body: body, Version: V1}, by, uuid.New)
			if err != nil || len(out) != 100 {
				b.Fatal(len(out), err)
			}
		}
	})
	b.Run("content-hash", func(b *testing.B) {
		v := fastjson.MustParse(one)
		b.ReportAllocs()
		for b.Loop() {
			ContentHash(v)
		}
	})
	prepared, err := PrepareStatements(context.Background(), StatementsInput{Body: body, Version: V1}, by, uuid.New)
	if err != nil {
		b.Fatal(err)
	}
	var payload []byte
	payload = append(payload, `{"batches":[{"by":"lms","statements":[`...)
	for i, s := range prepared {
		if i > 0 {
			payload = append(payload, ',')
		}
		payload = append(payload, s.JSON...)
	}
	payload = append(payload, `]}]}`...)
	stored := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	b.Run("envelope-100", func(b *testing.B) {
		var p fastjson.Parser
		var buf []byte
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			buf = EncodeEnvelope(buf[:0], EventStatements, EventStatementsV1, 7, DefaultStore, stored, Hash{}, payload)
			env, err := DecodeEnvelope(&p, buf)
			if err != nil || env.Seq != 7 || len(env.Payload.GetArray("batches", "0", "statements")) != 100 {
				b.Fatal(err)
			}
		}
	})
}

// largestStatement returns a statement at the limits: MaxObjectKeys
// extensions, each an object of keys in reverse order (the worst order for
// sorting), MaxValues values in all, within the default 8 MiB body.
func largestStatement(tb testing.TB) []byte {
	const body = 8 << 20
	per := MaxValues/MaxObjectKeys - 2
	var b strings.Builder
	b.WriteString(`{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://e.com/a"},"context":{"extensions":{`)
	for i := MaxObjectKeys; i > 0; i-- {
		fmt.Fprintf(&b, `"http://e.com/ext/%04d":{`, i)
		for j := per; j > 0; j-- {
			fmt.Fprintf(&b, `"k%03d":%d`, j, j)
			if j > 1 {
				b.WriteByte(',')
			}
		}
		b.WriteByte('}')
		if i > 1 {
			b.WriteByte(',')
		}
	}
	b.WriteString(`}}}`)
	if b.Len() > body || valueBound([]byte(b.String())) > MaxValues {
		tb.Fatalf("largest statement: %d bytes, %d values", b.Len(), valueBound([]byte(b.String())))
	}
	return []byte(b.String())
}

// BenchmarkPrepare_Largest and BenchmarkPrepare_Normal compare the cost per
// byte of PrepareStatements on the largest statement the limits allow and
// on a typical one:
//
//	go test -run '^$' -bench 'Prepare_' -benchmem ./lrs/
func BenchmarkPrepare_Largest(b *testing.B) {
	benchmarkPrepare(b, largestStatement(b))
}

func BenchmarkPrepare_Normal(b *testing.B) {
	benchmarkPrepare(b, []byte(benchStatement))
}

func benchmarkPrepare(b *testing.B, body []byte) {
	by := Authority{Key: "lms", Store: DefaultStore, Agent: []byte(`{"objectType":"Agent","account":{"homePage":"https://jejak.id/xapi/credentials","name":"lms"}}`)}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := PrepareStatements(context.Background(), StatementsInput{Body: body, Version: V1}, by, uuid.New); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(body)), "ns/byte")
}
