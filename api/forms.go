package api

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// FormList is the body of GET /api/v1/forms: every form of competency
// development the rules know, with the rule version in force on a date.
type FormList struct {
	At    string `json:"at"`    // the date (YYYY-MM-DD) the rules in force are given for
	Rules string `json:"rules"` // the digest of the rule set
	Forms []Form `json:"forms"` // by form code
}

// Form is one form of competency development as integrators need it.
type Form struct {
	Form      string   `json:"form"`
	Name      FormName `json:"name"`
	Category  string   `json:"category"`
	Classroom bool     `json:"classroom"`
	// SIASNJenisDiklatID is SIASN's jenisDiklatId; null where the form has none.
	SIASNJenisDiklatID *int `json:"siasn_jenis_diklat_id"`
	// ProviderApproves: a claim written by a credential with the provider
	// role is approved on arrival.
	ProviderApproves bool `json:"provider_approves"`
	// Approvers decide a claim that is not approved on arrival, and may
	// override one that is: the person's registered supervisor, a verifier.
	Approvers []string `json:"approvers"`
	// Rule is the version in force on the date; null if none is.
	Rule *FormRule `json:"rule"`
}

// FormName is a form's name in Bahasa Indonesia and in English.
type FormName struct {
	ID string `json:"id"`
	EN string `json:"en"`
}

// FormRule is one version of a form's JP rule, as in its rule file
// (schemas/jp-rules/<form>.json).
type FormRule struct {
	Version             string   `json:"version"`
	ValidFrom           string   `json:"valid_from"`
	ValidTo             *string  `json:"valid_to"` // null: open-ended (exclusive otherwise)
	Unit                string   `json:"unit"`
	JP                  *float64 `json:"jp"`
	JPInternational     *float64 `json:"jp_international"`
	InternationalUplift *float64 `json:"international_uplift"`
	// MaxJPPerClaim is, for declared and duration units, the most
	// programme JP one claim counts (the file's value, else the default);
	// null for the other units.
	MaxJPPerClaim *float64  `json:"max_jp_per_claim"`
	Caps          []FormCap `json:"caps"`
	CapForm       *string   `json:"cap_form"` // the form whose caps this form's JP count against
	Pool          *string   `json:"pool,omitempty"`
	Basis         string    `json:"basis"` // S: as in the source; P: proposed default
	Source        string    `json:"source"`
}

// FormCap is a limit per period on recognised JP or on claims.
type FormCap struct {
	Period             string   `json:"period"`
	MaxJP              *float64 `json:"max_jp,omitempty"`
	MaxJPInternational *float64 `json:"max_jp_international,omitempty"`
	MaxSessions        *int     `json:"max_sessions,omitempty"`
}

// formApprovers are who decide a claim (bangkom state: the supervisor
// registered when the decision is made, or a verifier credential).
var formApprovers = []string{"supervisor", "verifier"}

// formsZone is the zone of "today" when no date is asked for: WIB, the
// zone of a person with none registered.
var formsZone = time.FixedZone("WIB", 7*3600)

func (s *Server) forms(c echo.Context) error {
	q := c.QueryParams()
	if err := checkTableParams(q, "at"); err != nil {
		return err
	}
	now := s.cfg.Now().In(formsZone)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if q.Has("at") {
		d, err := time.Parse(time.DateOnly, q.Get("at"))
		if err != nil {
			return lrs.Errorf(lrs.EINVALID, "at: %q is not a date like 2026-07-01", q.Get("at"))
		}
		day = d
	}
	rules := s.cfg.JP.Rules()
	list := FormList{At: day.Format(time.DateOnly), Rules: rules.Digest, Forms: []Form{}}
	for _, code := range slices.Sorted(maps.Keys(rules.Forms)) {
		list.Forms = append(list.Forms, formOf(rules.Forms[code], day))
	}
	if wantsCSV(c) {
		return writeCSV(c, "forms-"+list.At+".csv", formsCSV(list))
	}
	return c.JSON(http.StatusOK, list)
}

// formOf describes r with its version in force on day.
func formOf(r *bangkom.Rule, day time.Time) Form {
	f := Form{Form: r.Form, Name: FormName{ID: r.Name, EN: r.NameEN}, Category: r.Category, Classroom: r.Classroom,
		SIASNJenisDiklatID: r.SIASN, ProviderApproves: r.ProviderApproves, Approvers: formApprovers}
	v, ok := r.At(day)
	if !ok {
		return f
	}
	fr := &FormRule{Version: v.Version, ValidFrom: v.ValidFrom.Format(time.DateOnly), Unit: v.Unit, JP: v.JP,
		JPInternational: v.JPInternational, InternationalUplift: v.InternationalUplift, Caps: []FormCap{}, CapForm: v.CapForm,
		Pool: v.Pool, Basis: v.Basis, Source: v.Source}
	if !v.ValidTo.IsZero() {
		to := v.ValidTo.Format(time.DateOnly)
		fr.ValidTo = &to
	}
	if v.Unit == bangkom.UnitDeclared || v.Unit == bangkom.UnitDuration {
		m := v.MaxPerClaim()
		fr.MaxJPPerClaim = &m
	}
	for _, cp := range v.Caps {
		fr.Caps = append(fr.Caps, FormCap{Period: cp.Period, MaxJP: cp.MaxJP, MaxJPInternational: cp.MaxJPInternational, MaxSessions: cp.MaxSessions})
	}
	f.Rule = fr
	return f
}

// formsCSV is one row per form; a form with no rule in force has the
// rule's columns empty.
func formsCSV(list FormList) [][]string {
	rows := [][]string{{"form", "name_id", "name_en", "category", "classroom", "siasn_jenis_diklat_id", "provider_approves", "approvers",
		"version", "valid_from", "valid_to", "unit", "jp", "jp_international", "international_uplift", "max_jp_per_claim", "caps", "cap_form", "basis", "source"}}
	for _, f := range list.Forms {
		row := []string{f.Form, f.Name.ID, f.Name.EN, f.Category, strconv.FormatBool(f.Classroom), optInt(f.SIASNJenisDiklatID),
			strconv.FormatBool(f.ProviderApproves), strings.Join(f.Approvers, " ")}
		if r := f.Rule; r != nil {
			row = append(row, r.Version, r.ValidFrom, optStr(r.ValidTo), r.Unit, optNum(r.JP), optNum(r.JPInternational),
				optNum(r.InternationalUplift), optNum(r.MaxJPPerClaim), capsText(r.Caps), optStr(r.CapForm), r.Basis, r.Source)
		} else {
			row = append(row, make([]string, 12)...)
		}
		rows = append(rows, row)
	}
	return rows
}

// capsText writes caps as "day max_jp=3 max_jp_international=4; month
// max_sessions=2".
func capsText(caps []FormCap) string {
	parts := make([]string, len(caps))
	for i, cp := range caps {
		p := cp.Period
		if cp.MaxJP != nil {
			p += " max_jp=" + num(*cp.MaxJP)
		}
		if cp.MaxJPInternational != nil {
			p += " max_jp_international=" + num(*cp.MaxJPInternational)
		}
		if cp.MaxSessions != nil {
			p += " max_sessions=" + strconv.Itoa(*cp.MaxSessions)
		}
		parts[i] = p
	}
	return strings.Join(parts, "; ")
}
