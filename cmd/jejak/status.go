package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jejak-id/jejak/api"
	"github.com/jejak-id/jejak/projections"
)

// Every view shows its position and digest in GET /api/v1/status.
var (
	_ api.ViewStatus = (*projections.StatementIndex)(nil)
	_ api.ViewStatus = (*projections.DocumentIndex)(nil)
	_ api.ViewStatus = (*projections.JPIndex)(nil)
)

// statusViews are the views GET /api/v1/status shows.
func statusViews(views *projections.Views) []api.ViewStatus {
	var out []api.ViewStatus
	for _, p := range views.All() {
		out = append(out, p.(api.ViewStatus))
	}
	return out
}

const statusUsage = `usage: jejak status --url URL[,URL...] --auth key:secret [--wait 30s] [--json]

Reads GET /api/v1/status of every node given (a credential with the auditor
or admin role) and prints, per node, its id, the deciding node, the log's
head and each view's position and digest. Then it compares the nodes: with
--wait it first waits until every node's views have reached the highest log
head seen at the start. Exit status 0: every view has the same digest on
every node, at the same position; 1: a view differs between nodes at the
same position (named); 3: the views' positions did not meet within --wait;
4: a node could not be read. Loopback URLs only unless --allow-remote.

Flags:
`

// statusPoll is how often `jejak status --wait` asks the nodes again.
const statusPoll = 200 * time.Millisecond

// Exit statuses of `jejak status` beside 0.
const (
	statusDiffer     = 1
	statusApart      = 3
	statusUnreadable = 4
)

// nodeStatus is what one node answered (Status) or why it could not.
type nodeStatus struct {
	URL    string      `json:"url"`
	Status *api.Status `json:"status,omitempty"`
	Error  string      `json:"error,omitempty"`
}

// statusReport is `jejak status --json`.
type statusReport struct {
	Nodes []nodeStatus `json:"nodes"`
	// Target is the highest log head the nodes showed at the start.
	Target  uint64 `json:"target"`
	Verdict string `json:"verdict"` // same, different, apart, unreadable
	Message string `json:"message"`
	code    int
}

// runStatus serves `jejak status`.
func runStatus(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var urls, auth string
	var wait time.Duration
	var asJSON, allowRemote bool
	f := newFlags("status", getenv, stderr)
	f.String(&urls, "url", "http://127.0.0.1:8080", "base URLs of the nodes to compare, separated by commas")
	f.String(&auth, "auth", "", "key:secret of a credential with the auditor or admin role")
	f.Duration(&wait, "wait", 0, "wait up to this long for every node's views to reach the highest log head seen at the start")
	f.Bool(&asJSON, "json", false, "print the nodes' answers and the verdict as one JSON object")
	f.Bool(&allowRemote, "allow-remote", false, "allow a node that is not on loopback (127.0.0.0/8, ::1)")
	f.fs.Usage = func() {
		fmt.Fprint(stderr, statusUsage)
		f.fs.PrintDefaults()
	}
	if err := f.parse(args); err != nil {
		return err
	}
	key, secret, ok := strings.Cut(auth, ":")
	if !ok || key == "" {
		return usageError{"--auth key:secret is required (or JEJAK_AUTH): a credential with the auditor or admin role"}
	}
	if wait < 0 {
		return usageError{fmt.Sprintf("--wait %s: want a duration of 0 or more", wait)}
	}
	var bases []string
	for _, u := range strings.Split(urls, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return usageError{fmt.Sprintf("--url %q: want http(s) base URLs such as http://127.0.0.1:8080", u)}
		}
		if err := benchCheckLoopback(ctx, u, allowRemote); err != nil {
			var ue usageError
			if errors.As(err, &ue) {
				return usageError{fmt.Sprintf("--url %s: %s is not on loopback; give --allow-remote to read the status of a remote node (the credential crosses the network)", u, pu.Hostname())}
			}
			return err
		}
		bases = append(bases, strings.TrimSuffix(strings.TrimSuffix(u, "/"), "/xapi"))
	}
	if len(bases) == 0 {
		return usageError{"--url: give at least one node's base URL"}
	}
	sc := statusClient{key: key, secret: secret, client: &http.Client{Timeout: 2 * time.Minute}}
	rep := sc.compare(ctx, bases, wait)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printStatus(stdout, rep)
	}
	if rep.code != 0 {
		return exitError{code: rep.code, msg: rep.Message}
	}
	return nil
}

// statusClient reads GET /api/v1/status of nodes.
type statusClient struct {
	key, secret string
	client      *http.Client
}

// fetch reads every node's status at once (with the views' digests or
// not), in the order of bases.
func (sc statusClient) fetch(ctx context.Context, bases []string, digests bool) []nodeStatus {
	out := make([]nodeStatus, len(bases))
	var wg sync.WaitGroup
	for i, base := range bases {
		wg.Go(func() {
			out[i] = nodeStatus{URL: base}
			st, err := sc.get(ctx, base, digests)
			if err != nil {
				out[i].Error = err.Error()
			} else {
				out[i].Status = st
			}
		})
	}
	wg.Wait()
	return out
}

func (sc statusClient) get(ctx context.Context, base string, digests bool) (*api.Status, error) {
	u := base + "/api/v1/status"
	if !digests {
		u += "?digests=false"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(sc.key, sc.secret)
	res, err := sc.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach Jejak at %s: %w", base, err)
	}
	var st api.Status
	if err := readAnswer(res, 1<<20, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// compare reads the nodes, waits up to wait for their views to reach the
// highest log head seen at the start, and judges them.
func (sc statusClient) compare(ctx context.Context, bases []string, wait time.Duration) statusReport {
	deadline := time.Now().Add(wait)
	nodes := sc.fetch(ctx, bases, true)
	target, seen := highestHead(nodes)
	for {
		if !seen { // no node showed its log's head at the start: the first that does
			target, seen = highestHead(nodes)
		}
		rep := judge(nodes, target)
		rep.Target = target
		if rep.code == 0 || rep.code == statusDiffer || !time.Now().Before(deadline) || ctx.Err() != nil {
			return rep
		}
		// Wait for the positions (cheap), then read the digests there.
		select {
		case <-ctx.Done():
			return rep
		case <-time.After(statusPoll):
		}
		if len(positionsApart(sc.fetch(ctx, bases, false), target)) == 0 || !time.Now().Before(deadline) {
			nodes = sc.fetch(ctx, bases, true) // met, or the last word: with digests
		}
	}
}

// highestHead returns the highest log head the nodes show, and whether
// any shows one.
func highestHead(nodes []nodeStatus) (head uint64, seen bool) {
	for _, n := range nodes {
		if n.Status != nil && n.Status.Log != nil && n.Status.Log.Head != nil {
			head, seen = max(head, *n.Status.Log.Head), true
		}
	}
	return head, seen
}

// nodeName names a node in messages: its URL and, when known, its id.
func nodeName(n nodeStatus) string {
	if n.Status != nil && n.Status.Node != "" {
		return n.URL + " (node " + n.Status.Node + ")"
	}
	return n.URL
}

// judge compares the nodes' views: a view that differs at one position is
// named (1), whatever else; then a node that could not be read (4); then
// views whose positions are not all the same and at least target (3);
// else every view is the same on every node (0).
func judge(nodes []nodeStatus, target uint64) statusReport {
	rep := statusReport{Nodes: nodes}
	names, byView := viewsOf(nodes)
	for _, name := range names {
		vs := byView[name]
		for a, va := range vs {
			for _, vb := range vs[a+1:] {
				if va.Position == vb.Position && va.Digest != "" && vb.Digest != "" && va.Digest != vb.Digest {
					rep.code, rep.Verdict = statusDiffer, "different"
					rep.Message = fmt.Sprintf("view %s differs at position %d: %s has digest %s, %s has %s", name, va.Position, nodeName(nodes[va.node]), va.Digest, nodeName(nodes[vb.node]), vb.Digest)
					return rep
				}
			}
		}
	}
	for _, n := range nodes {
		if n.Status == nil {
			rep.code, rep.Verdict, rep.Message = statusUnreadable, "unreadable", nodeName(n)+" could not be read: "+n.Error
			return rep
		}
		for _, v := range n.Status.Views {
			if v.Error != "" {
				rep.code, rep.Verdict = statusUnreadable, "unreadable"
				rep.Message = fmt.Sprintf("view %s of %s could not be digested: %s", v.Name, nodeName(n), v.Error)
				return rep
			}
		}
	}
	if apart := positionsApart(nodes, target); len(apart) > 0 {
		rep.code, rep.Verdict = statusApart, "apart"
		rep.Message = fmt.Sprintf("the views did not all reach one position, at least the log's head %d, on every node: %s (give --wait to wait for them)", target, strings.Join(apart, "; "))
		return rep
	}
	var positions []string
	for _, name := range names {
		positions = append(positions, fmt.Sprintf("%s at %d", name, byView[name][0].Position))
	}
	rep.Verdict = "same"
	rep.Message = fmt.Sprintf("same: every view has the same digest on all %d nodes (%s)", len(nodes), strings.Join(positions, ", "))
	return rep
}

// nodeView is a view as one node (its index) shows it.
type nodeView struct {
	api.StatusView
	node int
}

// viewsOf returns the names of the views the nodes show, in the order
// they show them, and each view on every node that shows it.
func viewsOf(nodes []nodeStatus) ([]string, map[string][]nodeView) {
	var names []string
	byView := map[string][]nodeView{}
	for i, n := range nodes {
		if n.Status == nil {
			continue
		}
		for _, v := range n.Status.Views {
			if _, ok := byView[v.Name]; !ok {
				names = append(names, v.Name)
			}
			byView[v.Name] = append(byView[v.Name], nodeView{v, i})
		}
	}
	return names, byView
}

// positionsApart names each view that is not at one position, at least
// target, on every node (none when every node was read and they are).
func positionsApart(nodes []nodeStatus, target uint64) []string {
	names, byView := viewsOf(nodes)
	var apart []string
	for _, n := range nodes {
		if n.Status == nil {
			apart = append(apart, nodeName(n)+" could not be read")
		}
	}
	for _, name := range names {
		vs := byView[name]
		met := len(vs) == len(nodes) && vs[0].Position >= target
		var at []string
		for _, v := range vs {
			met = met && v.Position == vs[0].Position
			at = append(at, fmt.Sprintf("%d on %s", v.Position, nodeName(nodes[v.node])))
		}
		if len(vs) < len(nodes) {
			at = append(at, fmt.Sprintf("missing on %d of the %d nodes", len(nodes)-len(vs), len(nodes)))
		}
		if !met {
			apart = append(apart, name+" at "+strings.Join(at, ", "))
		}
	}
	return apart
}

// printStatus writes the nodes as a table, then the verdict when they are
// the same (an exit status other than 0 carries its own message).
func printStatus(w io.Writer, rep statusReport) {
	var views []string
	seen := map[string]bool{}
	for _, n := range rep.Nodes {
		if n.Status == nil {
			continue
		}
		for _, v := range n.Status.Views {
			if !seen[v.Name] {
				seen[v.Name] = true
				views = append(views, v.Name)
			}
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "URL\tNODE\tDECIDER\tREADY\tHEAD")
	for _, v := range views {
		fmt.Fprint(tw, "\t"+strings.ToUpper(v))
	}
	fmt.Fprintln(tw)
	for _, n := range rep.Nodes {
		if n.Status == nil {
			fmt.Fprintf(tw, "%s\t(%s)\n", n.URL, n.Error)
			continue
		}
		st := n.Status
		node, decider, ready, head := orDash(st.Node), "-", "yes", "-"
		if st.Decider != nil {
			decider = st.Decider.Node
			if st.Decider.Self {
				decider += " (self)"
			}
		}
		if !st.Ready {
			ready = "no: " + st.Problem
		}
		if st.Log != nil {
			switch {
			case st.Log.Head != nil:
				head = strconv.FormatUint(*st.Log.Head, 10)
			case st.Log.Error != "":
				head = "? (" + st.Log.Error + ")"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s", n.URL, node, decider, ready, head)
		for _, name := range views {
			cell := "-"
			for _, v := range st.Views {
				if v.Name == name {
					cell = strconv.FormatUint(v.Position, 10) + " " + orDash(shortDigest(v.Digest))
				}
			}
			fmt.Fprint(tw, "\t"+cell)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	if rep.code == 0 {
		fmt.Fprintln(w, rep.Message)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shortDigest is the first 16 hex digits of a digest, for the table
// (--json gives them whole; a difference is named with them whole).
func shortDigest(d string) string {
	if len(d) > 16 {
		return d[:16]
	}
	return d
}
