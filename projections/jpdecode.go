package projections

import (
	"time"

	"github.com/valyala/fastjson"

	"github.com/jejak-id/jejak/lrs/bangkom"
)

// Fast decoders of the JP view's claim and decision records (written with
// encoding/json from bangkom.Claim and bangkom.Decision): reading a person's
// report decodes every claim, and reflection-based decoding was most of its
// cost. The field names are those of the structs' json tags.

func decodeClaim(p *fastjson.Parser, b []byte) (bangkom.Claim, error) {
	v, err := p.ParseBytes(b)
	if err != nil {
		return bangkom.Claim{}, err
	}
	c := bangkom.Claim{
		StatementID:   string(v.GetStringBytes("statement_id")),
		Seq:           v.GetUint64("seq"),
		NIP:           bangkom.NIP(v.GetStringBytes("nip")),
		Verb:          string(v.GetStringBytes("verb")),
		Activity:      string(v.GetStringBytes("activity")),
		ActivityName:  string(v.GetStringBytes("activity_name")),
		Form:          string(v.GetStringBytes("form")),
		Days:          v.GetInt("days"),
		International: v.GetBool("international"),
		By:            string(v.GetStringBytes("by")),
		Provider:      v.GetBool("provider"),
		Organizer:     string(v.GetStringBytes("organizer")),
	}
	if c.Timestamp, err = time.Parse(time.RFC3339Nano, string(v.GetStringBytes("timestamp"))); err != nil {
		return c, err
	}
	if x := v.Get("jp_declared"); x != nil && x.Type() == fastjson.TypeNumber {
		f := x.GetFloat64()
		c.DeclaredJP = &f
	}
	if x := v.Get("minutes"); x != nil && x.Type() == fastjson.TypeNumber {
		f := x.GetFloat64()
		c.Minutes = &f
	}
	for _, x := range v.GetArray("competencies") {
		c.Competencies = append(c.Competencies, string(x.GetStringBytes()))
	}
	return c, nil
}

func decodeDecision(p *fastjson.Parser, b []byte) (bangkom.Decision, error) {
	v, err := p.ParseBytes(b)
	if err != nil {
		return bangkom.Decision{}, err
	}
	return bangkom.Decision{
		StatementID: string(v.GetStringBytes("statement_id")),
		Seq:         v.GetUint64("seq"),
		Claim:       string(v.GetStringBytes("claim")),
		Approve:     v.GetBool("approve"),
		Approver:    bangkom.NIP(v.GetStringBytes("approver")),
		By:          string(v.GetStringBytes("by")),
		Verifier:    v.GetBool("verifier"),
	}, nil
}
