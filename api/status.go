package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jejak-id/jejak/lrs"
)

// NodeStatus is who this node is among the nodes of one log, for GET
// /api/v1/status.
type NodeStatus struct {
	Node     string // this node's id
	Decider  string // the id of the node that decides the log's appends; "" when none is known
	Deciding bool   // this node decides them
}

// ViewStatus is a view as GET /api/v1/status shows it (every view of
// package projections is one).
type ViewStatus interface {
	Name() string
	// Checkpoint is the last log sequence the view holds.
	Checkpoint() uint64
	// SnapshotDigest returns the view's position and its digest there
	// (the digest `jejak audit views` compares), both read from one
	// snapshot of the view.
	SnapshotDigest() (uint64, lrs.Hash, error)
}

// Status is the answer of GET /api/v1/status: what an operator compares
// across the nodes of one log (see `jejak status`).
type Status struct {
	Node string `json:"node"`
	// Decider is null when no deciding node is known.
	Decider *StatusDecider `json:"decider"`
	// Log is null on a node that serves no log (read-only).
	Log   *StatusLog   `json:"log"`
	Views []StatusView `json:"views"`
	// Chain is the log's hash chain as the views checked it while they
	// folded; null when this node does not check it.
	Chain *StatusChain `json:"chain"`
	Ready bool         `json:"ready"`
	// Problem says why the node is not ready, when it is not.
	Problem string `json:"problem,omitempty"`
	// Nodes, with ?nodes=all, are the statuses every node of the log
	// answered (this one among them), each as that node wrote it.
	Nodes []json.RawMessage `json:"nodes,omitempty"`
}

// StatusDecider names the node that decides the log's appends.
type StatusDecider struct {
	Node string `json:"node"`
	Self bool   `json:"self"`
}

// StatusLog is the log as this node reads it: its stream and last
// sequence, or why that could not be read.
type StatusLog struct {
	Stream string  `json:"stream"`
	Head   *uint64 `json:"head,omitempty"`
	Error  string  `json:"error,omitempty"`
}

// Integrity is the break of the log's hash chain the views met, if any
// (projections.Integrity).
type Integrity interface {
	// Err is the break; nil while the chain is intact as far as folded.
	Err() error
	// BreakSeq is the sequence of the break, 0 while there is none.
	BreakSeq() uint64
}

// StatusChain is the log's hash chain as this node's views checked it:
// every event's link to the one before, before any view folds it.
// VerifiedThrough is the last sequence checked (the highest view
// position, or the event before the break); Break, when set, is the
// break, before which every view stops.
type StatusChain struct {
	VerifiedThrough uint64       `json:"verified_through"`
	Break           *StatusBreak `json:"break,omitempty"`
}

// StatusBreak is a break of the log's hash chain.
type StatusBreak struct {
	Seq     uint64 `json:"seq"`
	Message string `json:"message"`
}

// StatusView is one view: the last log sequence it holds and its digest
// there (left out with ?digests=false, or when it could not be read:
// then Error says why).
type StatusView struct {
	Name     string `json:"name"`
	Position uint64 `json:"position"`
	Digest   string `json:"digest,omitempty"`
	Error    string `json:"error,omitempty"`
}

func (s *Server) registerStatus() {
	getHead(s.echo.Group("/api/v1", s.authenticate), "/status", s.status)
}

// status answers GET /api/v1/status for auditors and admins.
func (s *Server) status(c echo.Context) error {
	if err := lrs.MayReadStatus(principal(c)); err != nil {
		return err
	}
	q := c.QueryParams()
	if err := checkParams(q, "digests", "nodes"); err != nil {
		return err
	}
	digests := true
	switch q.Get("digests") {
	case "", "true":
	case "false":
		digests = false
	default:
		return lrs.Errorf(lrs.EINVALID, "digests: %q is not true or false", q.Get("digests"))
	}
	st := s.StatusOf(c.Request().Context(), digests)
	switch q.Get("nodes") {
	case "":
	case "all":
		if s.cfg.Nodes == nil { // a node alone: itself
			self, _ := json.Marshal(st)
			st.Nodes = []json.RawMessage{self}
			break
		}
		nodes, err := s.cfg.Nodes(c.Request().Context(), digests)
		if err != nil {
			return lrs.Errorf(lrs.EUNAVAILABLE, "asking the other nodes for their status: %v", err)
		}
		st.Nodes = nodes
	default:
		return lrs.Errorf(lrs.EINVALID, "nodes: %q is not all", q.Get("nodes"))
	}
	return c.JSON(http.StatusOK, st)
}

// StatusOf is this node's status (GET /api/v1/status without nodes=all),
// with the views' digests when digests is set.
func (s *Server) StatusOf(ctx context.Context, digests bool) Status {
	st := s.nodeStatus(ctx)
	st.Views = make([]StatusView, 0, len(s.cfg.Views))
	for _, v := range s.cfg.Views {
		sv := StatusView{Name: v.Name()}
		if !digests {
			sv.Position = v.Checkpoint()
		} else if pos, sum, err := v.SnapshotDigest(); err != nil {
			sv.Position, sv.Error = v.Checkpoint(), err.Error()
			s.cfg.Logger.Error("status: digest of a view", "component", "api", "view", sv.Name, "err", err)
		} else {
			sv.Position, sv.Digest = pos, sum.String()
		}
		st.Views = append(st.Views, sv)
	}
	if s.cfg.Integrity != nil {
		st.Chain = &StatusChain{}
		if err := s.cfg.Integrity.Err(); err != nil {
			brk := s.cfg.Integrity.BreakSeq()
			st.Chain.Break = &StatusBreak{Seq: brk, Message: err.Error()}
			if brk > 0 {
				st.Chain.VerifiedThrough = brk - 1
			}
		} else {
			for _, v := range st.Views {
				st.Chain.VerifiedThrough = max(st.Chain.VerifiedThrough, v.Position)
			}
		}
	}
	return st
}

// logHeadWait bounds how long the status route waits for the log's head:
// a log out of reach is named in the answer, not waited for.
const logHeadWait = 3 * time.Second

// nodeStatus is the status of the node and its log, without the views.
func (s *Server) nodeStatus(ctx context.Context) Status {
	var st Status
	if s.cfg.Node != nil {
		n := s.cfg.Node()
		st.Node = n.Node
		if n.Decider != "" {
			st.Decider = &StatusDecider{Node: n.Decider, Self: n.Deciding}
		}
	}
	if s.cfg.LogHead != nil {
		ctx, cancel := context.WithTimeout(ctx, logHeadWait)
		stream, head, err := s.cfg.LogHead(ctx)
		cancel()
		st.Log = &StatusLog{Stream: stream}
		if err != nil {
			st.Log.Error = err.Error()
		} else {
			st.Log.Head = &head
		}
	}
	st.Ready = true
	if s.cfg.ReadOnly == "" && s.cfg.Ready != nil {
		if err := s.cfg.Ready(); err != nil {
			st.Ready, st.Problem = false, err.Error()
		}
	}
	return st
}
