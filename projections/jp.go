package projections

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/uuid"
	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// Event types of the person registry and the activity catalogue.
const (
	EventPeople      = "bangkom.people"
	EventPeopleV1    = 1
	EventCatalogue   = "bangkom.catalogue"
	EventCatalogueV1 = 1
	EventPositions   = "bangkom.positions"
	EventPositionsV1 = 1
)

// JPIndex is the JP view: the person registry, the learning claims of
// registered ASN accounts, the decisions on them and the voids, as facts.
// JP itself is worked out from the facts and the rules when asked
// (bangkom.Compute), so a report as of any log sequence is exact. The view
// records the digest of the rules it was folded with: a rule change takes
// effect by rebuilding it.
type JPIndex struct {
	*view
	rules    *bangkom.RuleSet
	homePage string
	// catalogueAdded holds the catalogue entries added through the API (K
	// keys), in memory for the fold; reloaded after a failed Apply.
	catalogueAdded map[string]bangkom.CatalogueEntry
	catMu          sync.RWMutex // guards catalogueAdded for CatalogueEntry (the fold only reads it unlocked)
	// pending holds the claim ids that decisions name before the claim is
	// folded (A keys), so that folding a claim needs no read to learn there
	// are none; reloaded after a failed Apply.
	pending map[uuid.UUID]struct{}
	// voided holds every void the view has folded (V keys): statement id →
	// the sequence of the voiding event. A lookup checks each of the
	// person's statements against it instead of seeking the V keys, most
	// of which would find nothing. Voids are corrections, rare beside the
	// statements (about 40 bytes each here). Written by the fold after a
	// chunk commits (newVoids holds the chunk's), read by lookups under
	// voidMu; reloaded after a failed Apply.
	voidMu   sync.RWMutex
	voided   map[uuid.UUID]uint64
	newVoids map[uuid.UUID]uint64
	// registered holds every NIP the registry holds (a registry entry is
	// never removed), so that a claim needs no seek to learn whether its
	// NIP is registered. registeredAll is false when there were more than
	// maxRegisteredCache: a NIP not in the map is then looked up. Only the
	// fold uses them; reloaded after a failed Apply.
	registered    map[bangkom.NIP]struct{}
	registeredAll bool
}

// maxRegisteredCache bounds the registered NIPs kept in memory (about 50
// bytes each); past it, lookups seek as before.
const maxRegisteredCache = 1 << 20

// OpenJPIndex opens (or creates) the view in dir. It refuses a view folded
// with other rules: rebuild it with `jejak replay`.
func OpenJPIndex(dir string, opts *pebble.Options, rules *bangkom.RuleSet, homePage string) (*JPIndex, error) {
	v, err := openView("jp", dir, opts, jpFormat)
	if err != nil {
		return nil, err
	}
	v.wants = func(typ string) bool {
		switch typ {
		case lrs.EventStatements, EventPeople, EventCatalogue, EventPositions:
			return true
		}
		return false
	}
	ix := &JPIndex{view: v, rules: rules, homePage: homePage,
		catalogueAdded: map[string]bangkom.CatalogueEntry{}, pending: map[uuid.UUID]struct{}{}, registered: map[bangkom.NIP]struct{}{},
		voided: map[uuid.UUID]uint64{}, newVoids: map[uuid.UUID]uint64{}}
	have, err := v.get(keyRules)
	if err != nil {
		v.Close()
		return nil, err
	}
	switch {
	case have == nil && v.Checkpoint() == 0 && opts != nil && opts.ReadOnly:
		// an empty view read only: nothing folded, nothing to check
	case have == nil && v.Checkpoint() == 0:
		if err := v.db.Set(keyRules, []byte(rules.Digest+" "+homePage), v.metaSync); err != nil {
			v.Close()
			return nil, err
		}
	case string(have) != rules.Digest+" "+homePage:
		v.Close()
		return nil, fmt.Errorf("the JP view in %s was folded with rules %q; the rules now are %q: run `jejak replay` to apply them", dir, have, rules.Digest+" "+homePage)
	}
	if err := ix.loadCaches(); err != nil {
		v.Close()
		return nil, err
	}
	return ix, nil
}

// loadCaches reads what the fold keeps in memory from the view: the
// catalogue entries added through the API, the claims awaited by
// decisions and the voids.
func (ix *JPIndex) loadCaches() error {
	clear(ix.pending)
	clear(ix.newVoids)
	clear(ix.registered)
	ix.registeredAll = true
	if err := ix.scanFamily(famPerson, func(k, _ []byte) error {
		if len(k) > 9 { // famPerson, the NIP, the 8-byte sequence
			ix.noteRegistered(bangkom.NIP(k[1 : len(k)-8]))
		}
		return nil
	}); err != nil {
		return err
	}
	voided := map[uuid.UUID]uint64{}
	if err := ix.scanFamily(famVoided, func(k, v []byte) error {
		voided[uuid.UUID(k[1:17])] = binary.BigEndian.Uint64(v)
		return nil
	}); err != nil {
		return err
	}
	ix.voidMu.Lock()
	ix.voided = voided
	ix.voidMu.Unlock()
	added := map[string]bangkom.CatalogueEntry{}
	if err := ix.scanFamily(famCatalogue, func(_, v []byte) error {
		var e bangkom.CatalogueEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return err
		}
		added[e.Activity] = e
		return nil
	}); err != nil {
		return err
	}
	ix.catMu.Lock()
	ix.catalogueAdded = added
	ix.catMu.Unlock()
	return ix.scanFamily(famPending, func(k, _ []byte) error {
		ix.pending[uuid.UUID(k[1:17])] = struct{}{}
		return nil
	})
}

// Rules returns the rule set the view folds with.
func (ix *JPIndex) Rules() *bangkom.RuleSet { return ix.rules }

// Apply folds a chunk of events in one batch with the checkpoint.
func (ix *JPIndex) Apply(events []lrs.LogEvent) error {
	err := ix.apply(events, ix.fold)
	if err != nil {
		if lerr := ix.loadCaches(); lerr != nil {
			return errors.Join(err, lerr)
		}
		return err
	}
	if len(ix.newVoids) > 0 {
		ix.voidMu.Lock()
		maps.Copy(ix.voided, ix.newVoids)
		ix.voidMu.Unlock()
		clear(ix.newVoids)
	}
	return nil
}

// foldVoided reports whether the statement id has been voided, as the fold
// sees it: folded voids and those of the chunk at hand.
func (ix *JPIndex) foldVoided(id uuid.UUID) bool {
	if _, ok := ix.newVoids[id]; ok {
		return true
	}
	_, ok := ix.voided[id] // only the fold writes ix.voided
	return ok
}

// fold applies one event the view wants.
func (ix *JPIndex) fold(b *pebble.Batch, env lrs.Envelope) error {
	if err := b.Set(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64([]byte{famJPTime}, uint64(env.Stored.UnixMilli())), env.Seq), []byte{1}, nil); err != nil {
		return err
	}
	switch env.Type {
	case lrs.EventStatements:
		return ix.applyStatements(b, env)
	case EventPeople:
		return ix.applyPeople(b, env)
	case EventCatalogue:
		return ix.applyCatalogue(b, env)
	case EventPositions:
		return ix.applyPositions(b, env)
	}
	return nil
}

func (ix *JPIndex) applyStatements(b *pebble.Batch, env lrs.Envelope) error {
	var index uint32
	for _, bt := range env.Payload.GetArray("batches") {
		w := bangkom.Writer{Key: string(bt.GetStringBytes("by"))}
		for _, r := range bt.GetArray("roles") {
			w.Roles = append(w.Roles, string(r.GetStringBytes()))
		}
		for _, st := range bt.GetArray("statements") {
			pos := position{env.Seq, index}
			index++
			if err := ix.applyStatement(b, env.Seq, pos, st, w); err != nil {
				return err
			}
		}
	}
	return nil
}

func (ix *JPIndex) applyStatement(b *pebble.Batch, seq uint64, pos position, st *fastjson.Value, w bangkom.Writer) error {
	facts, err := lrs.Facts(st)
	if err != nil {
		return err
	}
	if facts.VoidTarget != uuid.Nil {
		if ix.foldVoided(facts.VoidTarget) {
			return nil // voided once is enough
		}
		ix.newVoids[facts.VoidTarget] = seq
		return b.Set(uuidKey(famVoided, facts.VoidTarget), binary.BigEndian.AppendUint64(nil, seq), nil)
	}
	c, problem, ok := bangkom.DiagnoseClaim(st, seq, w, ix.homePage, ix.rules, func(activity string) (bangkom.CatalogueEntry, bool) {
		return ix.catalogue(b, activity)
	})
	if problem != nil {
		return ix.fileProblem(b, *problem, pos)
	}
	if ok {
		if err := b.Set(claimKey(string(c.NIP), pos), encodeClaim(nil, c), nil); err != nil {
			return err
		}
		// A claim of a NIP the registry does not hold (yet) is kept and
		// counts once the person is registered; until then it is listed
		// as a problem, which a read passes over once the person is.
		if found, err := ix.isRegistered(b, c.NIP); err != nil {
			return err
		} else if !found {
			if err := ix.fileProblem(b, unregistered(c, st), pos); err != nil {
				return err
			}
		}
		if ev := bangkom.EvidenceFrom(st); !ev.Empty() {
			if id, err := uuid.Parse(c.StatementID); err == nil {
				js, _ := json.Marshal(ev)
				if err := b.Set(uuidKey(famEvidence, id), js, nil); err != nil {
					return err
				}
			}
		}
		return ix.fileClaim(b, c, pos)
	}
	if a, ok := bangkom.AssessmentFrom(st, seq, w, ix.homePage); ok {
		js, _ := json.Marshal(a)
		return b.Set(nipPosKey(famAssess, string(a.NIP), pos), js, nil)
	}
	if p, ok := bangkom.PriorLearningFrom(st, seq, w, ix.homePage, func(activity string) (bangkom.CatalogueEntry, bool) {
		return ix.catalogue(b, activity)
	}); ok {
		js, _ := json.Marshal(p)
		return b.Set(nipPosKey(famRPL, string(p.NIP), pos), js, nil)
	}
	if d, ok := bangkom.DecisionFrom(st, seq, w, ix.homePage); ok {
		claim, err := uuid.Parse(d.Claim)
		if err != nil {
			return nil
		}
		js, _ := json.Marshal(d)
		at, err := getCopy(b, uuidKey(famClaimAt, claim))
		switch {
		case err != nil:
			return err
		case at != nil:
			return b.Set(decisionKey(at[:len(at)-12], decodePosition(at[len(at)-12:]), pos), js, nil)
		}
		ix.pending[claim] = struct{}{}
		return b.Set(pendingKey(claim, pos), js, nil)
	}
	return nil
}

// fileClaim notes where claim c (at pos) is filed, and moves beside it the
// decisions on it that came first.
func (ix *JPIndex) fileClaim(b *pebble.Batch, c bangkom.Claim, pos position) error {
	id, err := uuid.Parse(c.StatementID)
	if err != nil {
		return nil // decisions name claims by statement id: none can reach it
	}
	nip := []byte(c.NIP)
	if err := b.Set(uuidKey(famClaimAt, id), pos.append(nip), nil); err != nil {
		return err
	}
	if _, ok := ix.pending[id]; !ok {
		return nil
	}
	delete(ix.pending, id)
	prefix := uuidKey(famPending, id)
	it, err := b.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	type pending struct{ key, val []byte }
	var moved []pending
	for ok := it.First(); ok; ok = it.Next() {
		moved = append(moved, pending{bytes.Clone(it.Key()), bytes.Clone(it.Value())})
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return err
	}
	for _, m := range moved {
		if err := b.Set(decisionKey(nip, pos, decodePosition(m.key[len(prefix):])), m.val, nil); err != nil {
			return err
		}
		if err := b.Delete(m.key, nil); err != nil {
			return err
		}
	}
	return nil
}

// unregistered is the problem of claim c, from statement st, whose NIP
// the registry does not hold when it is folded.
func unregistered(c bangkom.Claim, st *fastjson.Value) bangkom.Problem {
	stored, _ := time.Parse(time.RFC3339Nano, string(st.GetStringBytes("stored")))
	return bangkom.Problem{StatementID: c.StatementID, Seq: c.Seq, NIP: string(c.NIP), Credential: c.By, Stored: stored.UTC(),
		Timestamp: c.Timestamp, Activity: c.Activity, Form: c.Form, Code: bangkom.ProblemNIPUnregistered, Rule: bangkom.RuleRegistry,
		Reason: fmt.Sprintf("NIP %s is not in the person registry; the claim counts once the person is registered", c.NIP)}
}

// fileProblem keeps a claim problem under its position, the actor's
// account name and the credential that wrote it.
func (ix *JPIndex) fileProblem(b *pebble.Batch, p bangkom.Problem, pos position) error {
	js, err := json.Marshal(p)
	if err != nil {
		return err
	}
	for _, k := range [][]byte{problemKey(pos), problemNameKey(p.NIP, pos), problemCredentialKey(p.Credential, pos)} {
		if err := b.Set(k, js, nil); err != nil {
			return err
		}
	}
	return nil
}

// catalogue finds an activity in the catalogue: entries added through the
// API win over the static catalogue files.
func (ix *JPIndex) catalogue(_ *pebble.Batch, activity string) (bangkom.CatalogueEntry, bool) {
	if e, ok := ix.catalogueAdded[activity]; ok {
		return e, true
	}
	e, ok := ix.rules.Catalogue[activity]
	return e, ok
}

func (ix *JPIndex) applyPeople(b *pebble.Batch, env lrs.Envelope) error {
	if env.V != EventPeopleV1 {
		return fmt.Errorf("unknown %s schema version %d", env.Type, env.V)
	}
	for _, pv := range env.Payload.GetArray("people") {
		var p bangkom.Person
		if err := json.Unmarshal(lrs.AppendJSON(nil, pv), &p); err != nil {
			return err
		}
		old, found, err := ix.latestPerson(b, p.NIP, 0)
		if err != nil {
			return err
		}
		if found {
			if err := b.Delete(unitKey(old.Unit, string(old.NIP)), nil); err != nil {
				return err
			}
			if old.SupervisorNIP != "" {
				if err := b.Delete(superKey(string(old.SupervisorNIP), string(old.NIP)), nil); err != nil {
					return err
				}
			}
		}
		js, _ := json.Marshal(p)
		if err := b.Set(personKey(string(p.NIP), env.Seq), js, nil); err != nil {
			return err
		}
		ix.noteRegistered(p.NIP)
		if err := b.Set(unitKey(p.Unit, string(p.NIP)), []byte(p.Unit), nil); err != nil {
			return err
		}
		if p.SupervisorNIP != "" {
			if err := b.Set(superKey(string(p.SupervisorNIP), string(p.NIP)), []byte{1}, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func (ix *JPIndex) applyCatalogue(b *pebble.Batch, env lrs.Envelope) error {
	if env.V != EventCatalogueV1 {
		return fmt.Errorf("unknown %s schema version %d", env.Type, env.V)
	}
	for _, e := range env.Payload.GetArray("entries") {
		js := lrs.AppendJSON(nil, e)
		var entry bangkom.CatalogueEntry
		if err := json.Unmarshal(js, &entry); err != nil {
			return err
		}
		if err := b.Set(append([]byte{famCatalogue}, entry.Activity...), js, nil); err != nil {
			return err
		}
		ix.catMu.Lock()
		ix.catalogueAdded[entry.Activity] = entry
		ix.catMu.Unlock()
	}
	return nil
}

func (ix *JPIndex) applyPositions(b *pebble.Batch, env lrs.Envelope) error {
	if env.V != EventPositionsV1 {
		return fmt.Errorf("unknown %s schema version %d", env.Type, env.V)
	}
	for _, p := range env.Payload.GetArray("positions") {
		name := p.GetStringBytes("position")
		std := p.Get("standards")
		if len(name) == 0 || std == nil {
			continue
		}
		if err := b.Set(positionStdKey(string(name), env.Seq), lrs.AppendJSON(nil, std), nil); err != nil {
			return err
		}
	}
	return nil
}

// standards returns a position's standard as of asOf (0: the latest).
func (ix *JPIndex) standards(position string, asOf uint64) (map[string]int, error) {
	prefix := append(append([]byte{famPosition2}, position...), 0)
	upper := prefixEnd(prefix)
	if asOf > 0 {
		upper = positionStdKey(position, asOf+1)
	}
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if !it.Last() {
		return nil, it.Error()
	}
	return decodeStandard(it.Value())
}

// standardCache holds position standards decoded, by their stored bytes:
// every person of a position shares one, so a unit's report decodes it
// once rather than once a person. Keyed by content, an entry is never
// stale; the cache is emptied when it reaches maxStandardCache entries.
// Callers only read the maps it returns.
var standardCache struct {
	sync.Mutex
	m map[string]map[string]int
}

const maxStandardCache = 1024

func decodeStandard(v []byte) (map[string]int, error) {
	standardCache.Lock()
	std, ok := standardCache.m[string(v)]
	standardCache.Unlock()
	if ok {
		return std, nil
	}
	if err := json.Unmarshal(v, &std); err != nil {
		return nil, err
	}
	standardCache.Lock()
	if standardCache.m == nil || len(standardCache.m) >= maxStandardCache {
		standardCache.m = map[string]map[string]int{}
	}
	standardCache.m[string(v)] = std
	standardCache.Unlock()
	return std, nil
}

// reader is what both a batch and the database offer for lookups.
type reader interface {
	NewIter(*pebble.IterOptions) (*pebble.Iterator, error)
}

// latestPerson returns the registry entry of nip as of sequence asOf (0:
// the latest).
func (ix *JPIndex) latestPerson(r reader, nip bangkom.NIP, asOf uint64) (bangkom.Person, bool, error) {
	prefix := append([]byte{famPerson}, nip...)
	upper := prefixEnd(prefix)
	if asOf > 0 {
		upper = personKey(string(nip), asOf+1)
	}
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upper})
	if err != nil {
		return bangkom.Person{}, false, err
	}
	defer it.Close()
	if !it.Last() {
		return bangkom.Person{}, false, it.Error()
	}
	var p bangkom.Person
	if err := json.Unmarshal(it.Value(), &p); err != nil {
		return p, false, err
	}
	return p, true, nil
}

// isRegistered reports whether the registry holds nip, as the fold sees it
// (see JPIndex.registered).
func (ix *JPIndex) isRegistered(r reader, nip bangkom.NIP) (bool, error) {
	if _, ok := ix.registered[nip]; ok {
		return true, nil
	}
	if ix.registeredAll {
		return false, nil
	}
	_, found, err := ix.latestPerson(r, nip, 0)
	return found, err
}

// noteRegistered adds nip to the registered NIPs, or gives the map up as
// incomplete past maxRegisteredCache.
func (ix *JPIndex) noteRegistered(nip bangkom.NIP) {
	if _, ok := ix.registered[nip]; ok || !ix.registeredAll {
		return
	}
	if len(ix.registered) >= maxRegisteredCache {
		ix.registeredAll = false
		return
	}
	ix.registered[nip] = struct{}{}
}

// history returns every registry entry of nip up to asOf, in log order.
func (ix *JPIndex) history(nip bangkom.NIP, asOf uint64) ([]bangkom.Registered, error) {
	prefix := append([]byte{famPerson}, nip...)
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []bangkom.Registered
	for ok := it.First(); ok; ok = it.Next() {
		seq := binary.BigEndian.Uint64(it.Key()[len(prefix):])
		if asOf > 0 && seq > asOf {
			break
		}
		var p bangkom.Person
		if err := json.Unmarshal(it.Value(), &p); err != nil {
			return nil, err
		}
		out = append(out, bangkom.Registered{Seq: seq, Person: p})
	}
	return out, it.Error()
}

// Person returns the registry entry of nip as of asOf (0: now).
func (ix *JPIndex) Person(_ context.Context, nip bangkom.NIP, asOf uint64) (bangkom.Person, bool, error) {
	return ix.latestPerson(ix.db, nip, asOf)
}

// Facts returns everything the view holds about nip as of asOf (0: now);
// found is false when nip is not in the registry.
func (ix *JPIndex) Facts(_ context.Context, nip bangkom.NIP, asOf uint64) (bangkom.Facts, bool, error) {
	// The registry entry as of asOf is the last of the history up to asOf
	// (what Person reads), so one pass reads both.
	history, err := ix.history(nip, asOf)
	if err != nil || len(history) == 0 {
		return bangkom.Facts{}, false, err
	}
	f := bangkom.Facts{Person: history[len(history)-1].Person, History: history, Decisions: map[string][]bangkom.Decision{}, Voided: map[string]uint64{}}
	lk := &lookups{ix: ix, strings: interned{}}
	prefix := append([]byte{famClaim}, nip...)
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return f, false, err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		c, err := decodeClaim(it.Value(), lk.strings)
		if err != nil {
			return f, false, err
		}
		if asOf > 0 && c.Seq > asOf {
			break // claims are in log order
		}
		f.Claims = append(f.Claims, c)
		lk.noteVoid(c.StatementID, &f)
	}
	if err := it.Error(); err != nil {
		return f, false, err
	}
	// Decisions are filed by claim position: those on the claims above.
	if err := ix.loadNIPFacts(lk, famDecision, nip, asOf, &f, func(v []byte) (string, error) {
		d, err := decodeDecision(&lk.parser, v)
		if err != nil {
			return "", err
		}
		f.Decisions[d.Claim] = append(f.Decisions[d.Claim], d)
		return d.StatementID, nil
	}); err != nil {
		return f, false, err
	}
	if err := ix.loadNIPFacts(lk, famAssess, nip, asOf, &f, func(v []byte) (string, error) {
		var a bangkom.Assessment
		if err := json.Unmarshal(v, &a); err != nil {
			return "", err
		}
		f.Assessments = append(f.Assessments, a)
		return a.StatementID, nil
	}); err != nil {
		return f, false, err
	}
	if err := ix.loadNIPFacts(lk, famRPL, nip, asOf, &f, func(v []byte) (string, error) {
		var p bangkom.PriorLearning
		if err := json.Unmarshal(v, &p); err != nil {
			return "", err
		}
		f.PriorLearning = append(f.PriorLearning, p)
		return p.StatementID, nil
	}); err != nil {
		return f, false, err
	}
	if f.Problems, err = ix.personProblems(nip, asOf); err != nil {
		return f, false, err
	}
	if f.Person.Position != "" {
		if f.Standards, err = ix.standards(f.Person.Position, asOf); err != nil {
			return f, false, err
		}
	}
	return f, true, nil
}

// loadNIPFacts reads the facts of one family for nip in log order, up to
// asOf, noting voids of each.
func (ix *JPIndex) loadNIPFacts(lk *lookups, fam byte, nip bangkom.NIP, asOf uint64, f *bangkom.Facts, add func([]byte) (string, error)) error {
	prefix := append([]byte{fam}, nip...)
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if asOf > 0 && decodePosition(it.Key()[len(prefix):]).seq > asOf {
			break
		}
		id, err := add(it.Value())
		if err != nil {
			return err
		}
		lk.noteVoid(id, f)
	}
	return it.Error()
}

// lookups notes the voids of a person's statements while their facts are
// read, from the view's in-memory set of voids (JPIndex.voided).
type lookups struct {
	ix      *JPIndex
	parser  fastjson.Parser
	strings interned
}

// noteVoid records in f when the statement id was voided.
func (l *lookups) noteVoid(id string, f *bangkom.Facts) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return
	}
	l.ix.voidMu.RLock()
	seq, ok := l.ix.voided[uid]
	l.ix.voidMu.RUnlock()
	if ok {
		f.Voided[id] = seq
	}
}

// members lists the NIPs under a U or S prefix.
func (ix *JPIndex) members(prefix []byte) ([]bangkom.NIP, error) {
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []bangkom.NIP
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, bangkom.NIP(it.Key()[len(prefix):]))
	}
	return out, it.Error()
}

// Unit returns the NIPs of the people registered in unit now; the unit's
// name is matched whatever its case (FoldUnit).
func (ix *JPIndex) Unit(_ context.Context, unit string) ([]bangkom.NIP, error) {
	return ix.members(append(append([]byte{famUnit}, FoldUnit(unit)...), 0))
}

// Units returns every unit someone is registered in now, in the order of
// their folded names.
func (ix *JPIndex) Units(_ context.Context) ([]bangkom.UnitMembers, error) {
	var out []bangkom.UnitMembers
	var key string
	names := map[string]int{}
	flush := func() {
		if len(out) == 0 {
			return
		}
		u := &out[len(out)-1]
		for name, n := range names {
			if n > names[u.Unit] || n == names[u.Unit] && name < u.Unit {
				u.Unit = name
			}
		}
		clear(names)
	}
	err := ix.scanFamily(famUnit, func(k, v []byte) error {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			return fmt.Errorf("jp view: unit key %q lacks its separator", k)
		}
		if string(k[1:i]) != key || len(out) == 0 {
			flush()
			key = string(k[1:i])
			out = append(out, bangkom.UnitMembers{Unit: string(v)})
		}
		names[string(v)]++
		u := &out[len(out)-1]
		u.People = append(u.People, bangkom.NIP(k[i+1:]))
		return nil
	})
	flush()
	return out, err
}

// UnitPeople calls fn with the registry entry now of each person
// registered in unit (matched whatever its case) whose NIP is after
// after, in NIP order, until fn returns false.
func (ix *JPIndex) UnitPeople(ctx context.Context, unit string, after bangkom.NIP, fn func(bangkom.Person) bool) error {
	prefix := append(append([]byte{famUnit}, FoldUnit(unit)...), 0)
	lower := prefix
	if after != "" {
		lower = append(append(slices.Clone(prefix), after...), 0)
	}
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		p, found, err := ix.Person(ctx, bangkom.NIP(it.Key()[len(prefix):]), 0)
		if err != nil {
			return err
		}
		if found && !fn(p) {
			break
		}
	}
	return it.Error()
}

// EachPerson calls fn with the registry entry now of each person whose
// NIP is after after, in NIP order, until fn returns false.
func (ix *JPIndex) EachPerson(_ context.Context, after bangkom.NIP, fn func(bangkom.Person) bool) error {
	lower := []byte{famPerson}
	if after != "" {
		lower = prefixEnd(append([]byte{famPerson}, after...))
	}
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: []byte{famPerson + 1}})
	if err != nil {
		return err
	}
	defer it.Close()
	// Each NIP's entries are in log order: its last is the latest.
	for ok := it.First(); ok; {
		nip := bytes.Clone(it.Key()[1:19])
		val := bytes.Clone(it.Value())
		for ok = it.Next(); ok && bytes.Equal(it.Key()[1:19], nip); ok = it.Next() {
			val = append(val[:0], it.Value()...)
		}
		var p bangkom.Person
		if err := json.Unmarshal(val, &p); err != nil {
			return err
		}
		if !fn(p) {
			break
		}
	}
	return it.Error()
}

// Positions returns every position standard as last posted, by position
// name.
func (ix *JPIndex) Positions(_ context.Context) (map[string]map[string]int, error) {
	out := map[string]map[string]int{}
	return out, ix.scanFamily(famPosition2, func(k, v []byte) error {
		if len(k) < 1+9 {
			return nil
		}
		var std map[string]int
		if err := json.Unmarshal(v, &std); err != nil {
			return err
		}
		out[string(k[1:len(k)-9])] = std // keys of one position in sequence order: the last wins
		return nil
	})
}

// AddedCatalogue returns the catalogue entries added through the API, by
// activity (the static catalogue is Rules().Catalogue).
func (ix *JPIndex) AddedCatalogue(_ context.Context) (map[string]bangkom.CatalogueEntry, error) {
	out := map[string]bangkom.CatalogueEntry{}
	return out, ix.scanFamily(famCatalogue, func(_, v []byte) error {
		var e bangkom.CatalogueEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return err
		}
		out[e.Activity] = e
		return nil
	})
}

// People returns the NIPs of everyone in the registry.
func (ix *JPIndex) People(_ context.Context) ([]bangkom.NIP, error) {
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: []byte{famPerson}, UpperBound: []byte{famPerson + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []bangkom.NIP
	for ok := it.First(); ok; ok = it.Next() {
		nip := bangkom.NIP(it.Key()[1:19])
		if len(out) == 0 || out[len(out)-1] != nip {
			out = append(out, nip)
		}
	}
	return out, it.Error()
}

// Supervisees returns the NIPs of the people whose registered supervisor is
// nip now.
func (ix *JPIndex) Supervisees(_ context.Context, nip bangkom.NIP) ([]bangkom.NIP, error) {
	return ix.members(append([]byte{famSuper}, nip...))
}

// SeqAt returns the last log sequence stored at or before t (0 if none).
func (ix *JPIndex) SeqAt(_ context.Context, t time.Time) (uint64, error) {
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: []byte{famJPTime}, UpperBound: []byte{famJPTime + 1}})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	ms := t.UnixMilli() + 1
	if !it.SeekLT(binary.BigEndian.AppendUint64([]byte{famJPTime}, uint64(ms))) {
		return 0, it.Error()
	}
	return binary.BigEndian.Uint64(it.Key()[9:]), nil
}

// HomePage is the account homePage of ASN accounts (NIPs) in statements.
func (ix *JPIndex) HomePage() string { return ix.homePage }

// Evidence returns what the view keeps of the evidence of the learning
// claim with statement id: its result.response and attachments (empty when
// it had none, or is no claim).
func (ix *JPIndex) Evidence(_ context.Context, id uuid.UUID) (bangkom.Evidence, error) {
	ev := bangkom.Evidence{StatementID: id.String()}
	js, err := ix.get(uuidKey(famEvidence, id))
	if err != nil || js == nil {
		return ev, err
	}
	return ev, json.Unmarshal(js, &ev)
}

// Claimant returns the NIP of the person whose learning claim is the
// statement id, as folded so far; false when the view holds no such claim
// (not a claim, not a registered person's, or not yet folded).
func (ix *JPIndex) Claimant(_ context.Context, id uuid.UUID) (bangkom.NIP, bool, error) {
	at, err := ix.get(uuidKey(famClaimAt, id))
	if err != nil || len(at) <= 12 {
		return "", false, err
	}
	return bangkom.NIP(at[:len(at)-12]), true, nil
}

// personProblems returns the claim problems of a registered person's
// statements up to asOf, in log order: those filed under their NIP, less
// nip_unregistered (the person is registered now, so those claims count).
func (ix *JPIndex) personProblems(nip bangkom.NIP, asOf uint64) ([]bangkom.Problem, error) {
	prefix := problemNamePrefix(string(nip))
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []bangkom.Problem
	for ok := it.First(); ok; ok = it.Next() {
		if asOf > 0 && decodePosition(it.Key()[len(prefix):]).seq > asOf {
			break
		}
		var p bangkom.Problem
		if err := json.Unmarshal(it.Value(), &p); err != nil {
			return nil, err
		}
		if p.Code != bangkom.ProblemNIPUnregistered && p.NIP == string(nip) {
			out = append(out, p)
		}
	}
	return out, it.Error()
}

// Problems calls fn with the claim problems f selects, in log order, and
// the cursor that continues after each, until fn returns false. A
// nip_unregistered problem is passed over once the registry holds the
// NIP: the claim counts.
func (ix *JPIndex) Problems(_ context.Context, f bangkom.ProblemFilter, fn func(p bangkom.Problem, cursor string) bool) error {
	var prefix []byte
	switch {
	case f.NIP != "":
		prefix = problemNamePrefix(f.NIP)
	case f.Credential != "":
		prefix = problemCredentialPrefix(f.Credential)
	default:
		prefix = []byte{famProblem}
	}
	lower := prefix
	if f.FromSeq > 0 {
		lower = position{f.FromSeq, 0}.append(bytes.Clone(prefix))
	}
	if f.After != "" {
		b, err := hex.DecodeString(f.After)
		if err != nil || len(b) != 12 {
			return bangkom.ErrBadCursor
		}
		if from := decodePosition(b).next().append(bytes.Clone(prefix)); bytes.Compare(from, lower) > 0 {
			lower = from
		}
	}
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	registered := map[string]bool{}
	for ok := it.First(); ok; ok = it.Next() {
		var p bangkom.Problem
		if err := json.Unmarshal(it.Value(), &p); err != nil {
			return err
		}
		if (f.NIP != "" && p.NIP != f.NIP) || (f.Credential != "" && p.Credential != f.Credential) {
			continue
		}
		if p.Code == bangkom.ProblemNIPUnregistered {
			reg, seen := registered[p.NIP]
			if !seen {
				_, found, err := ix.latestPerson(ix.db, bangkom.NIP(p.NIP), 0)
				if err != nil {
					return err
				}
				reg, registered[p.NIP] = found, found
			}
			if reg {
				continue
			}
		}
		if !fn(p, hex.EncodeToString(it.Key()[len(prefix):])) {
			break
		}
	}
	return it.Error()
}

// CatalogueEntry finds an activity in the catalogue as the fold sees it:
// entries added through the API win over the static catalogue files.
func (ix *JPIndex) CatalogueEntry(activity string) (bangkom.CatalogueEntry, bool) {
	ix.catMu.RLock()
	defer ix.catMu.RUnlock()
	return ix.catalogue(nil, activity)
}
