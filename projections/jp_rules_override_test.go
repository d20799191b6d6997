package projections_test

import (
	"encoding/json"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/jejak-id/jejak/lrs/bangkom"
	"github.com/jejak-id/jejak/schemas"
)

// overriddenRules loads the shipped rules with the top-level fields of some
// forms' rule files replaced (form → field → JSON value). The changed tree
// must pass schemas.ValidateAll, as an operator's rules directory must, and
// names a rule set of its own (another digest than shipped).
func overriddenRules(t *testing.T, shipped *bangkom.RuleSet, override map[string]map[string]json.RawMessage) *bangkom.RuleSet {
	t.Helper()
	fsys := fstest.MapFS{}
	err := fs.WalkDir(schemas.Files(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(schemas.Files(), p)
		fsys[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for form, fields := range override {
		name := "jp-rules/" + form + ".json"
		f, ok := fsys[name]
		if !ok {
			t.Fatalf("rules_override: no rule file %s", name)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(f.Data, &doc); err != nil {
			t.Fatal(err)
		}
		for k, v := range fields {
			if _, known := doc[k]; !known {
				t.Fatalf("rules_override: %s has no field %q to override", name, k)
			}
			doc[k] = v
		}
		if f.Data, err = json.MarshalIndent(doc, "", "  "); err != nil {
			t.Fatal(err)
		}
	}
	if err := schemas.ValidateAll(fsys); err != nil {
		t.Fatalf("rules_override: the changed rules are not valid: %v", err)
	}
	rules, err := bangkom.LoadRules(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if rules.Digest == shipped.Digest {
		t.Fatalf("rules_override: the changed rules have the shipped digest %s", rules.Digest)
	}
	return rules
}
