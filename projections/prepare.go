package projections

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
)

// The statement view folds in two steps. First, what a statement adds that
// does not depend on the view (its JSON, comparison hash, terms, activity
// definitions, names) is worked out for a whole chunk in parallel; then the
// chunk is folded in log order against the view. The result is the same as
// folding event by event: only the order-independent work runs side by side.

// stmtPrep is the order-independent part of folding one statement.
type stmtPrep struct {
	facts   lrs.StatementFacts
	json    []byte // the p record: flags (set in the fold), id, the statement JSON
	hash    lrs.Hash
	terms   []lrs.Term
	acts    []actPrep
	verb    string
	display []byte // the verb's display map, nil if none
	names   []namePrep
}

type actPrep struct {
	id  string
	obj []byte // the Activity object as the statement gives it
}

type namePrep struct{ ifi, name string }

// eventPrep is a prepared event: its envelope head and, for a statements
// event the view folds, its statements.
type eventPrep struct {
	head    lrs.Envelope // Payload is nil
	foreign error        // a *lrs.ForeignError: the event is passed over
	fold    bool
	stmts   []stmtPrep
}

// prepare works out chunk events in parallel, one parser and term cache per
// worker.
func (ix *StatementIndex) prepare(events []lrs.LogEvent) ([]eventPrep, error) {
	preps := make([]eventPrep, len(events))
	workers := min(runtime.GOMAXPROCS(0), len(events))
	for len(ix.workerTerms) < workers {
		ix.workerTerms = append(ix.workerTerms, lrs.NewTermCache(1<<12))
		ix.workerJSON = append(ix.workerJSON, new(fastjson.Parser))
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := ix.workerJSON[w]
			for i := w; i < len(events); i += workers {
				if err := prepareEvent(p, ix.workerTerms[w], events[i], &preps[i]); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return preps, nil
}

func prepareEvent(p *fastjson.Parser, terms *lrs.TermCache, ev lrs.LogEvent, out *eventPrep) error {
	if typ, seq, stored, ok := lrs.PeekEnvelope(ev.Data); ok && seq == ev.Seq && typ != lrs.EventStatements && lrs.KnownEventType(typ) {
		out.head = lrs.Envelope{Type: typ, Seq: seq, Stored: stored}
		return nil
	}
	env, err := lrs.ReadEvent(p, ev.Seq, ev.Data)
	if err != nil {
		// foreign: passed over (applyPrepared)
		out.head, out.foreign = lrs.Envelope{Seq: ev.Seq}, err
		return nil
	}
	out.head = lrs.Envelope{Type: env.Type, V: env.V, Seq: env.Seq, Store: env.Store, Stored: env.Stored, Prev: env.Prev}
	if env.Type != lrs.EventStatements {
		return nil
	}
	out.fold = true
	batches := env.Payload.GetArray("batches")
	n := 0
	for _, bt := range batches {
		n += len(bt.GetArray("statements"))
	}
	out.stmts = make([]stmtPrep, 0, n)
	// The records are written into one buffer of about the event's size,
	// each a slice capped at its end (one allocation per event).
	recs := make([]byte, 0, len(ev.Data)+n*(statementHead+servedTimestamp))
	for _, bt := range batches {
		for _, st := range bt.GetArray("statements") {
			var sp stmtPrep
			sp, recs, err = prepareStatement(st, env.Stored, terms, recs)
			if err != nil {
				return fmt.Errorf("statements view: event %d: %w", ev.Seq, err)
			}
			out.stmts = append(out.stmts, sp)
		}
	}
	return nil
}

// servedTimestamp is the most a served statement adds to the log's:
// `"timestamp":"2006-01-02T15:04:05.000Z",` (lrs.AppendServed).
const servedTimestamp = len(`"timestamp":"2006-01-02T15:04:05.000Z",`)

// prepareStatement works out what folding st, of an event stored at
// stored, needs; its record (flags, id, JSON as served: lrs.AppendServed)
// is appended to recs, which it returns. The comparison hash is that of the
// statement as the log holds it.
func prepareStatement(st *fastjson.Value, stored time.Time, terms *lrs.TermCache, recs []byte) (stmtPrep, []byte, error) {
	facts, err := lrs.Facts(st)
	if err != nil {
		return stmtPrep{}, recs, err
	}
	start := len(recs)
	recs = append(recs, 0)
	recs = append(recs, facts.ID[:]...)
	recs = lrs.AppendServed(recs, st, stored)
	sp := stmtPrep{facts: facts, json: recs[start:len(recs):len(recs)], hash: lrs.ContentHash(st), terms: lrs.StatementTermsCached(st, terms)}
	for _, act := range lrs.Activities(st) {
		if id := string(act.GetStringBytes("id")); id != "" {
			sp.acts = append(sp.acts, actPrep{id: id, obj: lrs.AppendJSON(nil, act)})
		}
	}
	if display := st.Get("verb", "display"); display != nil {
		sp.verb, sp.display = string(st.GetStringBytes("verb", "id")), lrs.AppendJSON(nil, display)
	}
	note := func(agent *fastjson.Value) {
		if agent == nil {
			return
		}
		if name, ifi := agent.GetStringBytes("name"), lrs.IFI(agent); len(name) > 0 && ifi != "" {
			sp.names = append(sp.names, namePrep{ifi: ifi, name: string(name)})
		}
	}
	note(st.Get("actor"))
	for _, m := range st.GetArray("actor", "member") {
		note(m)
	}
	if obj := st.Get("object"); obj != nil {
		switch string(obj.GetStringBytes("objectType")) {
		case "Agent", "Group":
			note(obj)
		}
	}
	note(st.Get("context", "instructor"))
	return sp, recs, nil
}

// applyPrepared folds prepared events in one batch with the checkpoint,
// with the same checks as apply.
func (v *view) applyPrepared(events []lrs.LogEvent, preps []eventPrep, fold func(b *pebble.Batch, e *eventPrep) error) error {
	// A statement's index keys (postings, id, time) take about a quarter
	// of its bytes in the log (its record goes to the records database):
	// size the batch for a third, so it seldom grows and is not a heap of
	// unused bytes either (twice the log bytes was a fifth of all the
	// server allocated).
	size := 0
	for _, ev := range events {
		size += len(ev.Data) / 3
	}
	b := v.db.NewIndexedBatchWithSize(size)
	defer b.Close()
	return v.inOrder(b, events, func(i int) (lrs.Envelope, error) {
		if preps[i].foreign != nil {
			return preps[i].head, preps[i].foreign
		}
		if preps[i].head.Seq != events[i].Seq {
			return preps[i].head, nil // inOrder names the mismatch
		}
		return preps[i].head, fold(b, &preps[i])
	})
}
