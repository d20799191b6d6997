package lrs

import (
	"context"
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
