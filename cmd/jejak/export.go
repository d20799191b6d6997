package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// get fetches path with accept and copies the answer to w; a non-2xx
// answer is an error carrying the server's message.
func (c clientConfig) get(ctx context.Context, path, accept string, w io.Writer) error {
	key, secret, ok := strings.Cut(c.Auth, ":")
	if !ok || key == "" {
		return usageError{"--auth key:secret is required (or JEJAK_AUTH)"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(c.URL, "/")+path, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(key, secret)
	req.Header.Set("Accept", accept)
	client := http.Client{Timeout: 10 * time.Minute}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("reach Jejak at %s: %w", c.URL, err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
		return fmt.Errorf("Jejak answered %d: %s", res.StatusCode, strings.TrimSpace(string(b)))
	}
	_, err = io.Copy(w, res.Body)
	return err
}

// runExport serves `jejak export siasn --year 2026 [--unit U] [--format
// csv|json|xlsx] [--out FILE]`: recognised learning as SIASN riwayat rows,
// from a running Jejak.
func runExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usageText = "usage: jejak export siasn --year 2026 | --from 2026-01-01 --to 2026-06-30 [--unit UNIT] [--format csv|json|xlsx] [--out FILE] [--url URL] [--auth key:secret]"
	if len(args) == 0 || args[0] != "siasn" {
		return usageError{usageText}
	}
	var cc clientConfig
	var year int
	var unit, format, out, from, to string
	f := newFlags("export siasn", getenv, stderr)
	cc.bind(f)
	f.Int(&year, "year", time.Now().Year(), "the year to export")
	f.String(&from, "from", "", "export the learning dated from this date, YYYY-MM-DD (instead of --year; alone: to the end of its year)")
	f.String(&to, "to", "", "export the learning dated up to this date, YYYY-MM-DD (instead of --year; alone: from 1 January of its year)")
	f.String(&unit, "unit", "", "only this unit (default: everyone in the registry)")
	f.String(&format, "format", "csv", "csv, json or xlsx")
	f.String(&out, "out", "", "write to this file instead of standard output")
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	accept := map[string]string{"csv": "text/csv", "json": "application/json",
		"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[format]
	if accept == "" {
		return usageError{fmt.Sprintf("--format %q: want csv, json or xlsx", format)}
	}
	q := url.Values{"year": {strconv.Itoa(year)}}
	if from != "" || to != "" {
		q = url.Values{}
		for name, v := range map[string]string{"from": from, "to": to} {
			if v != "" {
				q.Set(name, v)
			}
		}
	}
	if unit != "" {
		q.Set("unit", unit)
	}
	return withOutput(out, stdout, func(w io.Writer) error {
		return cc.get(ctx, "/api/v1/siasn?"+q.Encode(), accept, w)
	})
}

// withOutput calls write with the file out (created afresh), or with
// stdout when out is empty; a failure to write or close the file is an
// error, so an export is never silently cut short.
func withOutput(out string, stdout io.Writer, write func(io.Writer) error) error {
	if out == "" {
		return write(stdout)
	}
	file, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := write(file); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

// runPositions serves `jejak positions import FILE.json`: position
// standards ([{"position", "standards": {"M.01": 3, …}}]) sent to a
// running Jejak, which checks them and appends them as one event.
func runPositions(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usageText = "usage: jejak positions import [--url URL] [--auth key:secret] FILE.json"
	if len(args) == 0 || args[0] != "import" {
		return usageError{usageText}
	}
	var cc clientConfig
	f := newFlags("positions import", getenv, stderr)
	cc.bind(f)
	if err := f.fs.Parse(args[1:]); err != nil {
		return flagError(err)
	}
	if f.fs.NArg() != 1 {
		return usageError{usageText}
	}
	name := f.fs.Arg(0)
	if err := f.parse(nil); err != nil {
		return err
	}
	body, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	var res struct {
		Imported int    `json:"imported"`
		Seq      uint64 `json:"seq"`
	}
	if err := cc.post(ctx, "/api/v1/positions", body, &res); err != nil {
		return fmt.Errorf("%s: nothing was imported: %w", name, err)
	}
	fmt.Fprintf(stdout, "imported %d position standards from %s (log sequence %d)\n", res.Imported, name, res.Seq)
	return nil
}
