package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/bangkom"
)

// The admin's pages: credentials (add, rotate, revoke; a new secret is
// shown once), the people registry imported from a CSV or spreadsheet with
// a check of every row before anything is applied, position standards and
// the activity catalogue. Every page and action is an API call as the
// admin; the API's policy decides and its words are shown.

// registerAdmin adds the pages of this area.
func (h *Handler) registerAdmin() {
	h.mux.HandleFunc("GET /admin", h.adminHome)
	h.mux.HandleFunc("GET /admin/kredensial", h.adminCredentials)
	h.mux.HandleFunc("POST /admin/kredensial", h.adminAddCredential)
	h.mux.HandleFunc("POST /admin/kredensial/putar", h.adminRotateCredential)
	h.mux.HandleFunc("POST /admin/kredensial/cabut", h.adminRevokeCredential)
	h.mux.HandleFunc("GET /admin/pegawai", h.adminPeople)
	h.mux.HandleFunc("POST /admin/pegawai", h.adminCheckPeople)
	h.mux.HandleFunc("POST /admin/pegawai/terapkan", h.adminApplyPeople)
	h.mux.HandleFunc("GET /admin/jabatan", h.adminPositions)
	h.mux.HandleFunc("POST /admin/jabatan", h.adminPostPositions)
	h.mux.HandleFunc("GET /admin/katalog", h.adminCatalogue)
	h.mux.HandleFunc("POST /admin/katalog", h.adminPostCatalogue)
}

type adminHomeData struct {
	Credentials, Active, Positions, Catalogue int
}

// adminHome shows the admin's registries at a glance.
func (h *Handler) adminHome(w http.ResponseWriter, r *http.Request) {
	p := h.areaPage(w, r, "admin", "admin.title")
	if p == nil {
		return
	}
	var creds []api.CredentialInfo
	if err := h.getJSON(r, "/api/v1/credentials", &creds); err != nil {
		h.fail(w, r, p, err)
		return
	}
	d := adminHomeData{Credentials: len(creds)}
	for _, c := range creds {
		if c.Active {
			d.Active++
		}
	}
	var positions []api.Position
	if err := h.getJSON(r, "/api/v1/positions", &positions); err != nil {
		h.fail(w, r, p, err)
		return
	}
	var cat []api.CatalogueItem
	if err := h.getJSON(r, "/api/v1/catalogue", &cat); err != nil {
		h.fail(w, r, p, err)
		return
	}
	d.Positions, d.Catalogue = len(positions), len(cat)
	p.Data = d
	h.render(w, "admin", p)
}

// --- credentials

// adminRoles are the roles a credential may be given, in the form's order.
var adminRoles = []string{lrs.RoleProvider, lrs.RoleVerifier, lrs.RoleAssessor, lrs.RoleAnalyst, lrs.RoleAuditor, lrs.RoleAdmin}

// credentialForm is the add form, kept when the API refuses it.
type credentialForm struct {
	Key, Name, Scopes, Store, Units, Person string
	Roles                                   []string
}

func (f credentialForm) Has(role string) bool { return slices.Contains(f.Roles, role) }

type credentialsData struct {
	List  []api.CredentialInfo
	Roles []string
	Form  credentialForm
}

func (h *Handler) adminCredentials(w http.ResponseWriter, r *http.Request) {
	p := h.areaPage(w, r, "admin", "admin.cred_title")
	if p == nil {
		return
	}
	h.credentialsPage(w, r, p, credentialForm{})
}

// credentialsPage renders the list and the add form (with p.Error, if set).
func (h *Handler) credentialsPage(w http.ResponseWriter, r *http.Request, p *Page, form credentialForm) {
	var list []api.CredentialInfo
	if err := h.getJSON(r, "/api/v1/credentials", &list); err != nil {
		h.fail(w, r, p, err)
		return
	}
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].Active != list[j].Active {
			return list[i].Active
		}
		return list[i].Key < list[j].Key
	})
	p.Data = credentialsData{List: list, Roles: adminRoles, Form: form}
	h.render(w, "admin_kredensial", p)
}

// words splits a field of several values: by commas, semicolons or lines.
func words(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' })
	out := []string{}
	for _, w := range f {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

type secretData struct {
	Credential api.CredentialInfo
	Secret     string
	Rotated    bool
}

// adminAddCredential creates a credential and shows its secret, once.
func (h *Handler) adminAddCredential(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	p := h.areaPage(w, r, "admin", "admin.cred_title")
	if p == nil {
		return
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	form := credentialForm{Key: v("key"), Name: v("name"), Scopes: v("scopes"), Store: v("store"), Units: r.PostFormValue("units"), Person: v("person"), Roles: r.PostForm["roles"]}
	req := api.CredentialRequest{Key: form.Key, Name: &form.Name}
	roles := slices.Clone(form.Roles)
	req.Roles = &roles
	if s := strings.Fields(strings.ReplaceAll(form.Scopes, ",", " ")); len(s) > 0 {
		req.Scopes = &s
	}
	if form.Store != "" {
		req.Store = &form.Store
	}
	if u := words(form.Units); len(u) > 0 {
		req.Units = &u
	}
	if form.Person != "" {
		req.Person = &form.Person
	}
	var created api.CredentialCreated
	if err := h.postJSON(r, "/api/v1/credentials", req, &created); err != nil {
		if refusal(err, p) {
			h.credentialsPage(w, r, p, form)
			return
		}
		h.fail(w, r, p, err)
		return
	}
	h.showSecret(w, p, created, false)
}

// showSecret shows a new secret: only in this answer's body (the page is
// not stored: every page is no-store), never in a URL or a cookie.
func (h *Handler) showSecret(w http.ResponseWriter, p *Page, c api.CredentialCreated, rotated bool) {
	p.Title = "admin.secret_title"
	p.Data = secretData{Credential: c.Credential, Secret: c.Secret, Rotated: rotated}
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, "admin_rahasia", p)
}

// adminRotateCredential gives a credential a new secret, shown once; the
// old one stops working.
func (h *Handler) adminRotateCredential(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	p := h.areaPage(w, r, "admin", "admin.cred_title")
	if p == nil {
		return
	}
	// the form names the credential's last change: a form sent again (a
	// reload of the new secret's page) must not rotate it a second time
	key := r.PostFormValue("key")
	var list []api.CredentialInfo
	if err := h.getJSON(r, "/api/v1/credentials", &list); err != nil {
		h.fail(w, r, p, err)
		return
	}
	for _, c := range list {
		if c.Key == key && strconv.FormatUint(c.Seq, 10) != r.PostFormValue("seq") {
			p.Status, p.Error = http.StatusConflict, p.T("admin.rotate_stale", key)
			h.credentialsPage(w, r, p, credentialForm{})
			return
		}
	}
	var created api.CredentialCreated
	if err := h.postJSON(r, "/api/v1/credentials", api.CredentialRequest{Key: key, Rotate: true}, &created); err != nil {
		if refusal(err, p) {
			h.credentialsPage(w, r, p, credentialForm{})
			return
		}
		h.fail(w, r, p, err)
		return
	}
	h.showSecret(w, p, created, true)
}

// adminRevokeCredential takes a credential out of use (the API refuses
// the last admin, in its words).
func (h *Handler) adminRevokeCredential(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	p := h.areaPage(w, r, "admin", "admin.cred_title")
	if p == nil {
		return
	}
	a := h.Call(r, http.MethodDelete, "/api/v1/credentials/"+url.PathEscape(r.PostFormValue("key")), nil, nil)
	if err := a.Err(); err != nil {
		if refusal(err, p) {
			h.credentialsPage(w, r, p, credentialForm{})
			return
		}
		h.fail(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/admin/kredensial?ok=credential_revoked", http.StatusSeeOther)
}

// --- people

// peopleRow is a row of an import's check with its problems by field.
type peopleRow struct {
	api.PeopleRow
	Bad map[string]string // field → why
}

// Cell is the class of a field's cell: "bad" when it has a problem.
func (r peopleRow) Cell(field string) string {
	if _, ok := r.Bad[field]; ok {
		return "bad"
	}
	return ""
}

type peopleData struct {
	Checked  bool
	Check    api.PeopleCheck
	Rows     []peopleRow
	Whole    []api.PeopleProblem // problems of the whole file (line 0)
	File     string              // the uploaded file's name
	Kind     string              // csv or xlsx
	Content  string              // the file, base64 (URL alphabet), for the apply form
	MaxBytes int64
	Columns  string
}

func (h *Handler) maxImportBytes() int64 { return h.cfg.MaxUploadBytes / 2 }

func (h *Handler) peopleData() *peopleData {
	return &peopleData{MaxBytes: h.maxImportBytes() >> 20, Columns: "nip, name, unit, position, type, timezone, supervisor_nip, instansi, parent_unit"}
}

func (h *Handler) adminPeople(w http.ResponseWriter, r *http.Request) {
	p := h.areaPage(w, r, "admin", "admin.people_title")
	if p == nil {
		return
	}
	// the API decides who may import: ask it with an empty check
	if err := h.mayPost(r, "/api/v1/people?dry_run=true"); err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = h.peopleData()
	h.render(w, "admin_pegawai", p)
}

// mayPost asks the API whether the visitor may post to target: a post
// of an empty JSON array is refused for want of a role (403) before the
// API reads it, or else for the body (400); it never writes.
func (h *Handler) mayPost(r *http.Request, target string) error {
	err := h.Call(r, http.MethodPost, target, strings.NewReader("[]"), map[string]string{"Content-Type": "application/json"}).Err()
	var ae *APIError
	if errors.As(err, &ae) && (ae.Status == http.StatusForbidden || ae.Status == http.StatusUnauthorized) {
		return err
	}
	return nil
}

// importKind is the media type of an uploaded registry file: a
// spreadsheet by its name or its zip signature, else CSV.
func importKind(name string, b []byte) (kind, mediaType string) {
	kind = "csv"
	if strings.EqualFold(path.Ext(name), ".xlsx") || bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		kind = "xlsx"
	}
	return kind, mediaTypeOf(kind)
}

// mediaTypeOf is the media type of an import of kind (csv, xlsx).
func mediaTypeOf(kind string) string {
	if kind == "xlsx" {
		return bangkom.XLSXType
	}
	return "text/csv"
}

// readImport reads the form's file "berkas", bounded by maxImportBytes:
// its name and content, nil when none was chosen. When the file cannot be
// read (too large, a broken form) it sets p's error and status and
// returns ok false.
func (h *Handler) readImport(r *http.Request, p *Page) (name string, b []byte, ok bool) {
	name, b, err := readUpload(r, "berkas", h.maxImportBytes())
	switch {
	case errors.Is(err, errTooLarge):
		p.Status, p.Error = http.StatusRequestEntityTooLarge, p.T("admin.people_too_large", h.maxImportBytes()>>20)
	case err != nil:
		p.Status, p.Error = http.StatusBadRequest, p.T("err.bad_form", err.Error())
	}
	return name, b, err == nil
}

// readUpload reads the form's file field, bounded by max; "" and no error
// when none was chosen.
func readUpload(r *http.Request, field string, max int64) (string, []byte, error) {
	f, hdr, err := r.FormFile(field)
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return "", nil, err
	}
	if int64(len(b)) > max {
		return hdr.Filename, nil, errTooLarge
	}
	if len(b) == 0 && hdr.Size == 0 {
		return "", nil, nil
	}
	return hdr.Filename, b, nil
}

var errTooLarge = errors.New("too large")

// adminCheckPeople checks an uploaded registry file with the API's dry
// run and shows every row and every problem; only a file without any
// offers to apply it.
func (h *Handler) adminCheckPeople(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	p := h.areaPage(w, r, "admin", "admin.people_title")
	if p == nil {
		return
	}
	d := h.peopleData()
	p.Data = d
	name, b, ok := h.readImport(r, p)
	if ok && b == nil {
		p.Status, p.Error = http.StatusBadRequest, p.T("admin.people_no_file")
	}
	if p.Error != "" {
		h.render(w, "admin_pegawai", p)
		return
	}
	kind, mt := importKind(name, b)
	a := h.Call(r, http.MethodPost, "/api/v1/people?dry_run=true", bytes.NewReader(b), map[string]string{"Content-Type": mt})
	if err := a.Err(); err != nil {
		h.formError(w, r, p, "admin_pegawai", err)
		return
	}
	if err := json.Unmarshal(a.Body, &d.Check); err != nil {
		h.fail(w, r, p, err)
		return
	}
	d.Checked, d.File, d.Kind = true, name, kind
	byLine := map[int]map[string]string{}
	for _, pr := range d.Check.Problems {
		if pr.Line == 0 {
			d.Whole = append(d.Whole, pr)
			continue
		}
		if byLine[pr.Line] == nil {
			byLine[pr.Line] = map[string]string{}
		}
		byLine[pr.Line][pr.Field] = pr.Message
	}
	for _, row := range d.Check.People {
		d.Rows = append(d.Rows, peopleRow{PeopleRow: row, Bad: byLine[row.Line]})
	}
	if d.Check.Valid { // a check that found problems is answered 200 too: the check is what was asked
		d.Content = base64.RawURLEncoding.EncodeToString(b)
	}
	h.render(w, "admin_pegawai", p)
}

// adminApplyPeople imports the file the check showed without problems:
// the API checks it again as it imports.
func (h *Handler) adminApplyPeople(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	p := h.areaPage(w, r, "admin", "admin.people_title")
	if p == nil {
		return
	}
	p.Data = h.peopleData()
	b, err := base64.RawURLEncoding.DecodeString(r.PostFormValue("content"))
	if err != nil || len(b) == 0 || int64(len(b)) > h.maxImportBytes() {
		p.Status, p.Error = http.StatusBadRequest, p.T("admin.people_no_file")
		h.render(w, "admin_pegawai", p)
		return
	}
	a := h.Call(r, http.MethodPost, "/api/v1/people", bytes.NewReader(b), map[string]string{"Content-Type": mediaTypeOf(r.PostFormValue("kind"))})
	if err := a.Err(); err != nil {
		h.formError(w, r, p, "admin_pegawai", err)
		return
	}
	http.Redirect(w, r, "/admin/pegawai?ok=people_imported", http.StatusSeeOther)
}

// --- position standards

type positionsData struct {
	List []api.Position
	JSON string
}

func (h *Handler) adminPositions(w http.ResponseWriter, r *http.Request) {
	p := h.areaPage(w, r, "admin", "admin.pos_title")
	if p == nil {
		return
	}
	h.positionsPage(w, r, p, "")
}

func (h *Handler) positionsPage(w http.ResponseWriter, r *http.Request, p *Page, text string) {
	if err := h.mayPost(r, "/api/v1/positions"); err != nil {
		h.fail(w, r, p, err)
		return
	}
	var list []api.Position
	if err := h.getJSON(r, "/api/v1/positions", &list); err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = positionsData{List: list, JSON: text}
	h.render(w, "admin_jabatan", p)
}

// Levels writes a standard as "M.01 3 · M.02 3", by code.
func (p *Page) Levels(std map[string]int) string {
	codes := make([]string, 0, len(std))
	for c := range std {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for i, c := range codes {
		codes[i] = c + " " + strconv.Itoa(std[c])
	}
	return strings.Join(codes, " · ")
}

// adminPostPositions posts position standards: the JSON of the text area,
// or of the file chosen.
func (h *Handler) adminPostPositions(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	p := h.areaPage(w, r, "admin", "admin.pos_title")
	if p == nil {
		return
	}
	text := r.PostFormValue("json")
	if _, b, ok := h.readImport(r, p); ok && b != nil {
		text = string(b)
	}
	if p.Error == "" && strings.TrimSpace(text) == "" {
		p.Status, p.Error = http.StatusBadRequest, p.T("admin.pos_empty")
	}
	if p.Error == "" {
		err := h.Call(r, http.MethodPost, "/api/v1/positions", strings.NewReader(text), map[string]string{"Content-Type": "application/json"}).Err()
		if err == nil {
			http.Redirect(w, r, "/admin/jabatan?ok=positions_saved", http.StatusSeeOther)
			return
		}
		if !refusal(err, p) {
			h.fail(w, r, p, err)
			return
		}
	}
	h.positionsPage(w, r, p, text)
}

// --- catalogue

type catalogueForm struct {
	Activity, NameID, NameEN, Form, JP, Competencies string
}

type catalogueData struct {
	List  []api.CatalogueItem
	Forms []api.Form
	Form  catalogueForm
}

func (h *Handler) adminCatalogue(w http.ResponseWriter, r *http.Request) {
	p := h.areaPage(w, r, "admin", "admin.cat_title")
	if p == nil {
		return
	}
	form := catalogueForm{}
	if act := r.URL.Query().Get("ubah"); act != "" {
		form.Activity = act
	}
	h.cataloguePage(w, r, p, form, true)
}

func (h *Handler) cataloguePage(w http.ResponseWriter, r *http.Request, p *Page, form catalogueForm, fill bool) {
	if err := h.mayPost(r, "/api/v1/catalogue"); err != nil {
		h.fail(w, r, p, err)
		return
	}
	var list []api.CatalogueItem
	if err := h.getJSON(r, "/api/v1/catalogue", &list); err != nil {
		h.fail(w, r, p, err)
		return
	}
	var forms api.FormList
	if err := h.getJSON(r, "/api/v1/forms", &forms); err != nil {
		h.fail(w, r, p, err)
		return
	}
	if fill && form.Activity != "" {
		for _, it := range list {
			if it.Activity == form.Activity {
				form = catalogueForm{Activity: it.Activity, NameID: it.Name["id-ID"], NameEN: it.Name["en"], Form: it.Form,
					Competencies: strings.Join(it.Competencies, ", ")}
				if it.JP != nil {
					form.JP = strconv.FormatFloat(*it.JP, 'f', -1, 64)
				}
			}
		}
	}
	p.Data = catalogueData{List: list, Forms: forms.Forms, Form: form}
	h.render(w, "admin_katalog", p)
}

// JP writes a catalogue entry's JP, "–" when it has none.
func (p *Page) JP(v *float64) string {
	if v == nil {
		return "–"
	}
	return p.Num(*v)
}

// adminPostCatalogue adds or replaces one catalogue entry.
func (h *Handler) adminPostCatalogue(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	p := h.areaPage(w, r, "admin", "admin.cat_title")
	if p == nil {
		return
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	form := catalogueForm{Activity: v("activity"), NameID: v("name_id"), NameEN: v("name_en"), Form: v("form"), JP: v("jp"), Competencies: v("competencies")}
	e := bangkom.CatalogueEntry{Activity: form.Activity, Form: form.Form, Competencies: words(form.Competencies)}
	if form.NameID != "" || form.NameEN != "" {
		e.Name = map[string]string{}
		if form.NameID != "" {
			e.Name["id-ID"] = form.NameID
		}
		if form.NameEN != "" {
			e.Name["en"] = form.NameEN
		}
	}
	if form.JP != "" {
		jp, err := strconv.ParseFloat(strings.Replace(form.JP, ",", ".", 1), 64)
		if err != nil {
			p.Status, p.Error = http.StatusBadRequest, p.T("admin.cat_bad_jp", form.JP)
			h.cataloguePage(w, r, p, form, false)
			return
		}
		e.JP = &jp
	}
	if err := h.postJSON(r, "/api/v1/catalogue", []bangkom.CatalogueEntry{e}, nil); err != nil {
		if refusal(err, p) {
			h.cataloguePage(w, r, p, form, false)
			return
		}
		h.fail(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/admin/katalog?ok=catalogue_saved", http.StatusSeeOther)
}
