package lrs_test

import (
	"context"
	"sync"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/lrstest"
)

func TestDecideDocument(t *testing.T) {
	key := lrs.DocumentKey{Kind: lrs.DocActivityProfile, ActivityID: "http://e.com/a", ID: "p"}
	jsonDoc := lrs.Document{Key: key, Exists: true, ContentType: "application/json", Body: []byte(`{"a":1,"b":{"x":1}}`)}
	textDoc := lrs.Document{Key: key, Exists: true, ContentType: "text/plain", Body: []byte("hello")}
	none := lrs.Document{Key: key}
	tests := []struct {
		name    string
		cur     lrs.Document
		w       lrs.DocumentWrite
		want    string // resulting body, "" for none
		wantOp  lrs.DocOp
		wantErr string
	}{
		{"put new", none, lrs.DocumentWrite{Op: lrs.DocPut, Body: []byte("x"), RequirePrecondition: true}, "x", lrs.DocPut, ""},
		{"XAPI-00322 put existing without precondition is a conflict", textDoc, lrs.DocumentWrite{Op: lrs.DocPut, Body: []byte("x"), RequirePrecondition: true}, "", "", lrs.ECONFLICT},
		{"XAPI-00273 put new without a header where one is required (profiles) is 400", none, lrs.DocumentWrite{Op: lrs.DocPut, Body: []byte("x"), RequirePrecondition: true, RequireHeader: true}, "", "", lrs.EINVALID},
		{"XAPI-00273 put existing without a header where one is required (profiles) is 409", textDoc, lrs.DocumentWrite{Op: lrs.DocPut, Body: []byte("x"), RequireHeader: true}, "", "", lrs.ECONFLICT},
		{"XAPI-00273 put new with If-None-Match where a header is required", none, lrs.DocumentWrite{Op: lrs.DocPut, Body: []byte("x"), IfNoneMatch: "*", RequireHeader: true}, "x", lrs.DocPut, ""},
		{"XAPI-00273 post new without a header where a PUT needs one", none, lrs.DocumentWrite{Op: lrs.DocMerge, ContentType: "text/plain", Body: []byte("x"), RequireHeader: true}, "x", lrs.DocPut, ""},
		{"put existing without precondition where none is required (State 1.0.3)", textDoc, lrs.DocumentWrite{Op: lrs.DocPut, Body: []byte("x")}, "x", lrs.DocPut, ""},
		{"If-Match with the current ETag", textDoc, lrs.DocumentWrite{Op: lrs.DocPut, Body: []byte("x"), IfMatch: lrs.ETag([]byte("hello")), RequirePrecondition: true}, "x", lrs.DocPut, ""},
		{"If-Match with a stale ETag", textDoc, lrs.DocumentWrite{Op: lrs.DocPut, Body: []byte("x"), IfMatch: lrs.ETag([]byte("old"))}, "", "", lrs.EPRECONDITION},
		{"If-Match on a missing document", none, lrs.DocumentWrite{Op: lrs.DocPut, Body: []byte("x"), IfMatch: `"abc"`}, "", "", lrs.EPRECONDITION},
		{"If-Match * on an existing document", textDoc, lrs.DocumentWrite{Op: lrs.DocPut, Body: []byte("x"), IfMatch: "*"}, "x", lrs.DocPut, ""},
		{"If-None-Match * on an existing document", textDoc, lrs.DocumentWrite{Op: lrs.DocPut, Body: []byte("x"), IfNoneMatch: "*"}, "", "", lrs.EPRECONDITION},
		{"If-None-Match * on a missing document", none, lrs.DocumentWrite{Op: lrs.DocPut, Body: []byte("x"), IfNoneMatch: "*"}, "x", lrs.DocPut, ""},
		{"XAPI-00183 XAPI-00184 merge one level deep, new values win", jsonDoc, lrs.DocumentWrite{Op: lrs.DocMerge, ContentType: "application/json; charset=utf-8", Body: []byte(`{"b":{"y":2},"c":3}`)}, `{"a":1,"b":{"y":2},"c":3}`, lrs.DocPut, ""},
		{"XAPI-00233 merge into nothing stores", none, lrs.DocumentWrite{Op: lrs.DocMerge, ContentType: "text/plain", Body: []byte("t")}, "t", lrs.DocPut, ""},
		{"XAPI-00232 merge into a non-JSON document", textDoc, lrs.DocumentWrite{Op: lrs.DocMerge, ContentType: "application/json", Body: []byte(`{}`)}, "", "", lrs.EINVALID},
		{"XAPI-00229 merge a JSON array into nothing", none, lrs.DocumentWrite{Op: lrs.DocMerge, ContentType: "application/json", Body: []byte(`[1,2]`)}, "", "", lrs.EINVALID},
		{"XAPI-00229 merge a JSON string into nothing", none, lrs.DocumentWrite{Op: lrs.DocMerge, ContentType: "application/json", Body: []byte(`"x"`)}, "", "", lrs.EINVALID},
		{"XAPI-00233 merge a JSON object into nothing stores", none, lrs.DocumentWrite{Op: lrs.DocMerge, ContentType: "application/json", Body: []byte(`{"a":1}`)}, `{"a":1}`, lrs.DocPut, ""},
		{"XAPI-00229 merge a JSON array", jsonDoc, lrs.DocumentWrite{Op: lrs.DocMerge, ContentType: "application/json", Body: []byte(`[1]`)}, "", "", lrs.EINVALID},
		{"delete", textDoc, lrs.DocumentWrite{Op: lrs.DocDelete}, "", lrs.DocDelete, ""},
		{"delete a missing document changes nothing", none, lrs.DocumentWrite{Op: lrs.DocDelete}, "", "", ""},
		{"delete with a stale If-Match", textDoc, lrs.DocumentWrite{Op: lrs.DocDelete, IfMatch: `"stale"`}, "", "", lrs.EPRECONDITION},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.w.Key = key
			ch, err := lrs.DecideDocument(tt.cur, tt.w)
			if lrs.ErrorCode(err) != tt.wantErr {
				t.Fatalf("err = %v, want code %q", err, tt.wantErr)
			}
			if ch.Op != tt.wantOp || (tt.want != "" && string(ch.Body) != tt.want) {
				t.Fatalf("change = %s %q, want %s %q", ch.Op, ch.Body, tt.wantOp, tt.want)
			}
		})
	}
}

func TestDocumentPayload_RoundTrip(t *testing.T) {
	agent := []byte(`{"objectType":"Agent","account":{"homePage":"https://siasn.bkn.go.id","name":"199001012015011001"}}`)
	key := lrs.DocumentKey{Kind: lrs.DocState, ActivityID: "http://e.com/a", Agent: lrs.IFI(fastjson.MustParseBytes(agent)), Registration: "4a1b9c3e-8d7f-4e21-9b6a-0c5d2e1f3a47", ID: "bookmark"}
	body := []byte{0, 1, 2, 255, '"'}
	p := lrs.EncodeDocumentPayload(key, agent, lrs.DocumentChange{Op: lrs.DocPut, ContentType: "application/octet-stream", Body: body})
	gotKey, ch, err := lrs.DecodeDocumentPayload(fastjson.MustParseBytes(p))
	if err != nil {
		t.Fatal(err)
	}
	if gotKey != key || ch.Op != lrs.DocPut || string(ch.Body) != string(body) || ch.ContentType != "application/octet-stream" {
		t.Fatalf("round trip: %+v %+v", gotKey, ch)
	}
	if !fastjson.MustParseBytes(p).Exists("etag") {
		t.Fatal("payload has no etag for readers of the log")
	}
}

// Two nodes race If-Match writers on one document: exactly one wins each
// round, the other gets 412, and both nodes then hold the winner's content.
func TestAppender_DocumentRaceAcrossNodes(t *testing.T) {
	s := lrstest.NATS(t)
	nodes := []*lrstest.Node{lrstest.StartNode(t, lrstest.Log(t, s)), lrstest.StartNode(t, lrstest.Log(t, s))}
	ctx := context.Background()
	key := lrs.DocumentKey{Kind: lrs.DocActivityProfile, ActivityID: "http://e.com/course", ID: "settings"}
	if _, err := nodes[0].Appender.AppendDocument(ctx, lrs.DocumentWrite{Key: key, Op: lrs.DocPut, ContentType: "text/plain", Body: []byte("v0"), IfNoneMatch: "*"}, nil, by); err != nil {
		t.Fatal(err)
	}
	etag := lrs.ETag([]byte("v0"))
	for round := range 15 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		bodies := []string{"a" + string(rune('A'+round)), "b" + string(rune('A'+round))}
		seqs := make([]uint64, 2)
		for i, n := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				seqs[i], errs[i] = n.Appender.AppendDocument(ctx, lrs.DocumentWrite{Key: key, Op: lrs.DocPut, ContentType: "text/plain", Body: []byte(bodies[i]), IfMatch: etag, RequirePrecondition: true}, nil, by)
			}()
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch lrs.ErrorCode(err) {
			case "":
				if winner >= 0 {
					t.Fatalf("round %d: both writers won", round)
				}
				winner = i
			case lrs.EPRECONDITION:
			default:
				t.Fatalf("round %d: writer %d: %v", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody won", round)
		}
		for _, n := range nodes {
			if err := n.Views.Documents.WaitApplied(ctx, seqs[winner]); err != nil {
				t.Fatal(err)
			}
			d, err := n.Views.Documents.Document(ctx, key)
			if err != nil || string(d.Body) != bodies[winner] {
				t.Fatalf("round %d: a node holds %q, the winner wrote %q (%v)", round, d.Body, bodies[winner], err)
			}
		}
		etag = lrs.ETag([]byte(bodies[winner]))
	}
	checkChain(t, readLog(t, nodes[0].Log))
}
