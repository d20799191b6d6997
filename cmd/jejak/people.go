package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jejak-id/jejak/lrs/bangkom"
)

// clientConfig is how a client subcommand reaches a running Jejak.
type clientConfig struct {
	URL  string
	Auth string
}

func (c *clientConfig) bind(f *envFlags) {
	f.String(&c.URL, "url", "http://127.0.0.1:8080", "base URL of the running Jejak")
	f.String(&c.Auth, "auth", "", "key:secret of a credential with the admin or verifier role")
}

// post sends body to path and decodes the JSON answer into out; a non-2xx
// answer is an error carrying the server's message.
func (c clientConfig) post(ctx context.Context, path string, body []byte, out any) error {
	key, secret, ok := strings.Cut(c.Auth, ":")
	if !ok || key == "" {
		return usageError{"--auth key:secret is required (or JEJAK_AUTH)"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.URL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.SetBasicAuth(key, secret)
	req.Header.Set("Content-Type", "application/json")
	client := http.Client{Timeout: time.Minute}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("reach Jejak at %s: %w", c.URL, err)
	}
	return readAnswer(res, 1<<20, out)
}

// readAnswer reads at most limit bytes of a Jejak answer and decodes its
// JSON into out; a non-2xx answer is an error carrying the server's message.
func readAnswer(res *http.Response, limit int64, out any) error {
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, limit))
	if res.StatusCode/100 != 2 {
		var e struct{ Message string }
		if json.Unmarshal(b, &e) == nil && e.Message != "" {
			return fmt.Errorf("Jejak answered %d: %s", res.StatusCode, e.Message)
		}
		return fmt.Errorf("Jejak answered %d: %s", res.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}

// runPeople serves `jejak people import FILE.csv`: it checks the whole file
// (every bad row by line and field; nothing is sent from a bad file) and
// sends it to a running Jejak, which appends it to the log as one event.
func runPeople(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return usageError{"usage: jejak people import [--url URL] [--auth key:secret] FILE.csv|FILE.xlsx"}
	}
	var cc clientConfig
	f := newFlags("people import", getenv, stderr)
	cc.bind(f)
	if err := f.fs.Parse(args[1:]); err != nil {
		return flagError(err)
	}
	if f.fs.NArg() != 1 {
		return usageError{"usage: jejak people import [--url URL] [--auth key:secret] FILE.csv|FILE.xlsx"}
	}
	name := f.fs.Arg(0)
	if err := f.parse(nil); err != nil { // environment fallbacks
		return err
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	var people []bangkom.Person
	var sep rune
	if strings.EqualFold(filepath.Ext(name), ".xlsx") {
		people, _, err = bangkom.ReadPeopleXLSX(b)
	} else {
		people, sep, err = bangkom.ReadPeopleCSVSep(bytes.NewReader(b))
	}
	if err != nil {
		return fmt.Errorf("%s: nothing was imported:\n%w", name, err)
	}
	body, _ := json.Marshal(people)
	var res struct {
		Imported int    `json:"imported"`
		Seq      uint64 `json:"seq"`
	}
	if err := cc.post(ctx, "/api/v1/people", body, &res); err != nil {
		return err
	}
	if sep == 0 {
		fmt.Fprintf(stdout, "imported %d people from %s (log sequence %d)\n", res.Imported, name, res.Seq)
		return nil
	}
	fmt.Fprintf(stdout, "imported %d people from %s (separator %q; log sequence %d)\n", res.Imported, name, bangkom.SeparatorName(sep), res.Seq)
	return nil
}
