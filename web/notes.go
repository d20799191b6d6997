package web

import (
	"regexp"
	"strings"
)

// The JP view explains a figure in a note, in English (the API's words,
// for integrators). The pages show the notes they know in the visitor's
// language, and any other as the API wrote it.

var noteForms = []struct {
	re  *regexp.Regexp
	key string // message with the groups as %s, in order
}{
	{regexp.MustCompile(`^capped: ([0-9.]+) of ([0-9.]+) JP recognised$`), "note.capped"},
	{regexp.MustCompile(`^duplicate of ([^:]+): one learning \((.*)\) counts once$`), "note.duplicate"},
	{regexp.MustCompile(`^no rule of this form is in force on this date$`), "note.no_rule"},
	{regexp.MustCompile(`^international uplift: ([0-9.]+) JP × ([0-9.]+) = ([0-9.]+) JP$`), "note.uplift"},
	{regexp.MustCompile(`^start date (.+) is after the last day (.+); ignored$`), "note.start_after"},
}

// Note is an API note in the page's language: each of its parts (joined
// by "; ") that the catalogue knows is translated.
func (p *Page) Note(note string) string {
	if p.Lang == langEN || note == "" {
		return note
	}
	parts := strings.Split(note, "; ")
	for i, part := range parts {
		for _, f := range noteForms {
			if m := f.re.FindStringSubmatch(part); m != nil {
				args := make([]any, len(m)-1)
				for j, g := range m[1:] {
					args[j] = strings.Replace(g, ".", ",", 1)
				}
				parts[i] = p.T(f.key, args...)
				break
			}
		}
	}
	return strings.Join(parts, "; ")
}
