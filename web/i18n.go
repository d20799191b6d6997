package web

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strings"

	"github.com/jejak-id/jejak/api"
)

// The message catalogue: every text a page shows, in Bahasa Indonesia
// (the default) and English. It is kept in messages/*.tsv, one line per
// message: key, Indonesian, English, separated by tabs; # starts a comment.
// A text may hold fmt verbs (%s, %d, %v) for the arguments a page gives.

//go:embed messages/*.tsv
var messageFS embed.FS

// Languages, Indonesian first.
const (
	langID = "id"
	langEN = "en"
)

// langCookie keeps the visitor's language.
const langCookie = "jejak_lang"

type catalogue struct {
	text map[string][2]string // key → [id, en]
}

func loadCatalogue() (*catalogue, error) {
	c := &catalogue{text: map[string][2]string{}}
	files, _ := fs.Glob(messageFS, "messages/*.tsv")
	sort.Strings(files)
	for _, name := range files {
		b, _ := messageFS.ReadFile(name)
		sc := bufio.NewScanner(bytes.NewReader(b))
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
				continue
			}
			f := strings.Split(line, "\t")
			if len(f) != 3 || f[0] == "" || f[1] == "" || f[2] == "" {
				return nil, fmt.Errorf("web: %s line %d: want key, Indonesian and English separated by tabs", name, n)
			}
			if _, dup := c.text[f[0]]; dup {
				return nil, fmt.Errorf("web: %s line %d: message %q is defined twice", name, n, f[0])
			}
			c.text[f[0]] = [2]string{f[1], f[2]}
		}
	}
	return c, nil
}

// T is the text of key in lang, formatted with args; a key the catalogue
// lacks shows as itself between brackets (a test walks every page for
// them).
func (c *catalogue) T(lang, key string, args ...any) string {
	t, ok := c.text[key]
	if !ok {
		return "[" + key + "]"
	}
	s := t[0]
	if lang == langEN {
		s = t[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

func (c *catalogue) has(key string) bool { _, ok := c.text[key]; return ok }

// lang is the language of the request: its cookie, else Indonesian.
func lang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && c.Value == langEN {
		return langEN
	}
	return langID
}

// language switches the language (POST /bahasa, fields lang and return).
func (h *Handler) language(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	l := r.PostFormValue("lang")
	if l != langEN {
		l = langID
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure()})
	http.Redirect(w, r, localReturn(r.PostFormValue("return")), http.StatusSeeOther)
}

// localReturn is p when it is a path of this site's pages, else "/".
func localReturn(p string) string {
	if p, err := api.LocalPath(p); err == nil && !isAPIPath(p) {
		return p
	}
	return "/"
}
