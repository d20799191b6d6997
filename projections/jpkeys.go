package projections

import (
	"encoding/binary"
	"strings"
	"unicode"

	"github.com/google/uuid"
)

// JP view key encoding, version 7 (besides the m keys of every view):
//
//	m "rules"                 → digest of the rule set the view was folded with
//	P nip(18) seq(8)          → person JSON          registry entry as of that event
//	U fold(unit) 0x00 nip     → unit as registered   current unit membership (fold: FoldUnit)
//	S supervisor(18) nip(18)  → 1                    current supervisor of nip
//	C nip(18) seq(8) idx(4)   → claim (encodeClaim)  a learning claim (bangkom.Claim)
//	I claim id(16)            → nip(18) seq idx      where a claim is filed
//	D nip(18) claim seq idx seq idx → decision JSON  an approval or rejection of a known claim
//	A claim id(16) seq idx    → decision JSON        a decision whose claim is not (yet) known
//	V statement id(16)        → seq(8)               the statement was voided at seq (also held in memory)
//	K activity                → catalogue entry JSON an entry added through the API
//	T stored ms(8) seq(8)     → 1                    stored time → sequence (as_of)
//	M nip(18) seq(8) idx(4)   → assessment JSON      a competency assessment (bangkom.Assessment)
//	R nip(18) seq(8) idx(4)   → prior learning JSON  a module recognised as mastered
//	O position 0x00 seq(8)    → standards JSON       a position standard as of that event
//	Q seq(8) idx(4)           → problem JSON         a statement meant as a claim that is not (bangkom.Problem)
//	N len(1) name seq idx     → problem JSON         the same, by the actor's account name (at most 64 bytes of it)
//	W credential 0x00 seq idx → problem JSON         the same, by the credential that wrote it
//	E claim id(16)            → evidence JSON        a claim's result.response and attachments (bangkom.Evidence), when it has any
const (
	famPerson    = 'P'
	famUnit      = 'U'
	famSuper     = 'S'
	famClaim     = 'C'
	famClaimAt   = 'I'
	famDecision  = 'D'
	famPending   = 'A'
	famVoided    = 'V'
	famCatalogue = 'K'
	famJPTime    = 'T'
	famAssess    = 'M'
	famRPL       = 'R'
	famPosition2 = 'O'
	famProblem   = 'Q'
	famProblemN  = 'N'
	famProblemW  = 'W'
	famEvidence  = 'E'

	// Version 2 files decisions under the claimant beside the claims, so a
	// lookup reads a person's claims and decisions in two range scans
	// instead of a seek per claim.
	//
	// Version 3 keys unit memberships by the unit's case-folded name
	// (FoldUnit), so a unit is found whatever its case, and keeps the name
	// as registered in the value.
	//
	// Version 4 keeps a claim's start date (…/extensions/start-date) and no
	// longer writes the credential key as the organizer or the activity IRI
	// as the name.
	//
	// Version 5 keeps each claim's context.registration (part of a claim's
	// identity, ADR 18).
	//
	// Version 6 keeps claim problems (Q, N, W) and no longer reads a
	// statement whose Bangkom numbers break the profile as a claim.
	//
	// Version 7 keeps each claim's evidence (E keys) and each decision's
	// reason, for the approval queue.
	jpFormat = "7"
)

var keyRules = []byte("mrules")

func personKey(nip string, seq uint64) []byte {
	k := append([]byte{famPerson}, nip...)
	return binary.BigEndian.AppendUint64(k, seq)
}

// FoldUnit is the key of a unit name: each letter replaced by the least
// of its simple case folds, so two names are one unit exactly when
// strings.EqualFold says they are equal ("Biro Umum", "BIRO UMUM").
func FoldUnit(unit string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, unit)
}

func unitKey(unit, nip string) []byte {
	k := append([]byte{famUnit}, FoldUnit(unit)...)
	k = append(k, 0)
	return append(k, nip...)
}

func superKey(supervisor, nip string) []byte {
	k := append([]byte{famSuper}, supervisor...)
	return append(k, nip...)
}

func claimKey(nip string, p position) []byte {
	return p.append(append([]byte{famClaim}, nip...))
}

func nipPosKey(fam byte, nip string, p position) []byte {
	return p.append(append([]byte{fam}, nip...))
}

func positionStdKey(name string, seq uint64) []byte {
	k := append([]byte{famPosition2}, name...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, seq)
}

func uuidKey(fam byte, id uuid.UUID) []byte { return append([]byte{fam}, id[:]...) }

// decisionKey files a decision on the claim of nip at claim.
func decisionKey(nip []byte, claim, p position) []byte {
	k := make([]byte, 0, 1+len(nip)+24)
	k = append(append(k, famDecision), nip...)
	return p.append(claim.append(k))
}

// pendingKey holds a decision on a claim the view does not know yet.
func pendingKey(claim uuid.UUID, p position) []byte {
	return p.append(uuidKey(famPending, claim))
}

// maxProblemName bounds the account name in an N key.
const maxProblemName = 64

func problemKey(p position) []byte { return p.append([]byte{famProblem}) }

// problemNameKey files a problem under the actor's account name (its first
// maxProblemName bytes, length-prefixed so one name is one prefix).
func problemNameKey(name string, p position) []byte {
	return p.append(problemNamePrefix(name))
}

func problemNamePrefix(name string) []byte {
	if len(name) > maxProblemName {
		name = name[:maxProblemName]
	}
	return append([]byte{famProblemN, byte(len(name))}, name...)
}

func problemCredentialKey(key string, p position) []byte {
	return p.append(problemCredentialPrefix(key))
}

func problemCredentialPrefix(key string) []byte {
	return append(append([]byte{famProblemW}, key...), 0)
}
