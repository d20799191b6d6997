package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jejak-id/jejak/lrs"
	"github.com/jejak-id/jejak/lrs/natslog"
	"github.com/jejak-id/jejak/projections"
)

// metrics are the numbers an operator watches, in Prometheus form: request
// rates, latencies and errors; the log's head and how far each view lags
// behind it; the group commit's merge factor.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(appender *lrs.Appender, views *projections.Views, integrity *projections.Integrity) *metrics {
	m := &metrics{registry: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jejak_http_requests_total", Help: "HTTP requests answered, by method, route and status.",
	}, []string{"method", "route", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "jejak_http_request_duration_seconds", Help: "Time to answer HTTP requests, by method and route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"method", "route"})
	m.registry.MustRegister(m.requests, m.duration,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jejak_log_last_sequence", Help: "The log's last sequence as this node knows it."},
			func() float64 { return float64(appender.LastSeq()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "jejak_append_events_total", Help: "Statement events appended by this node."},
			func() float64 { ev, _ := appender.Stats(); return float64(ev) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "jejak_append_requests_total", Help: "Write requests those events carried (group commit)."},
			func() float64 { _, reqs := appender.Stats(); return float64(reqs) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "jejak_append_held_back_seconds_total", Help: "Time appends waited for the statement view to catch up (--max-view-lag)."},
			func() float64 { return appender.HeldBack().Seconds() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jejak_append_queued_requests", Help: "Requests waiting for the next append."},
			func() float64 { return float64(appender.Queued()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jejak_log_integrity_break_sequence",
			Help: "The log sequence where its hash chain breaks (an event altered or lost), where every view stopped; 0 while the chain holds as far as the views folded."},
			func() float64 { return float64(integrity.BreakSeq()) }),
		prometheus.NewGoCollector(),
		prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}),
	)
	m.registry.MustRegister(storeCollector{views})
	for _, p := range views.All() {
		name := p.Name()
		m.registry.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jejak_view_applied_sequence", Help: "The last log sequence a view has applied.", ConstLabels: prometheus.Labels{"view": name}},
				func() float64 { return float64(p.Checkpoint()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jejak_view_lag_events", Help: "Events this node appended that a view has not applied yet.", ConstLabels: prometheus.Labels{"view": name}},
				func() float64 { return float64(appender.LastSeq() - min(appender.LastSeq(), p.Checkpoint())) }),
		)
		if f, ok := p.(projections.ForeignCounter); ok {
			m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "jejak_log_foreign_events_total",
				Help:        "Events of the log a view passed over because they are not Jejak's (jejak audit verify lists them), since the node started.",
				ConstLabels: prometheus.Labels{"view": name}}, func() float64 { return float64(f.Foreign()) }))
		}
	}
	return m
}

// storeCollector reports the Pebble databases of the views, each labelled
// store="statements", "statements/records", "documents" or "jp": disk use,
// write amplification (bytes flushed and compacted), the L0 backlog and
// read amplification, and the hits and misses of the block cache the store
// uses (the statement view and its records share one, so both report the
// same figures).
type storeCollector struct{ views *projections.Views }

var storeDescs = struct {
	disk, memtable, readAmp, l0Files, debt, wal, flushed, compacted, compactions, cacheHits, cacheMisses *prometheus.Desc
}{
	disk:        storeDesc("jejak_store_disk_bytes", "Disk space a view's Pebble database uses."),
	memtable:    storeDesc("jejak_store_memtable_bytes", "Bytes in a view's Pebble memory tables."),
	readAmp:     storeDesc("jejak_store_read_amplification", "Sorted runs a read may consult (L0 sublevels and non-empty levels)."),
	l0Files:     storeDesc("jejak_store_l0_files", "Tables in level 0, waiting to be compacted down."),
	debt:        storeDesc("jejak_store_compaction_debt_bytes", "Bytes Pebble estimates it must compact to reach a stable shape."),
	wal:         storeDesc("jejak_store_wal_bytes_total", "Bytes written to a view's write-ahead log."),
	flushed:     storeDesc("jejak_store_flushed_bytes_total", "Bytes of tables written by flushes of memory tables."),
	compacted:   storeDesc("jejak_store_compacted_bytes_total", "Bytes of tables written by compactions (compacted / flushed is the write amplification of the LSM)."),
	compactions: storeDesc("jejak_store_compactions_total", "Compactions run."),
	cacheHits:   storeDesc("jejak_store_block_cache_hits_total", "Block cache hits."),
	cacheMisses: storeDesc("jejak_store_block_cache_misses_total", "Block cache misses (blocks read from files)."),
}

func storeDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, []string{"store"}, nil)
}

func (c storeCollector) Describe(ch chan<- *prometheus.Desc) {
	d := storeDescs
	for _, x := range []*prometheus.Desc{d.disk, d.memtable, d.readAmp, d.l0Files, d.debt, d.wal, d.flushed, d.compacted, d.compactions, d.cacheHits, d.cacheMisses} {
		ch <- x
	}
}

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	d := storeDescs
	for _, s := range c.views.Metrics() {
		// Not s.Total(): its TableBytesFlushed also counts the WAL.
		var flushed, compacted uint64
		for _, l := range s.Levels {
			flushed += l.TableBytesFlushed
			compacted += l.TableBytesCompacted
		}
		for _, v := range []struct {
			desc *prometheus.Desc
			kind prometheus.ValueType
			val  float64
		}{
			{d.disk, prometheus.GaugeValue, float64(s.DiskSpaceUsage())},
			{d.memtable, prometheus.GaugeValue, float64(s.MemTable.Size)},
			{d.readAmp, prometheus.GaugeValue, float64(s.ReadAmp())},
			{d.l0Files, prometheus.GaugeValue, float64(s.Levels[0].TablesCount)},
			{d.debt, prometheus.GaugeValue, float64(s.Compact.EstimatedDebt)},
			{d.wal, prometheus.CounterValue, float64(s.WAL.BytesWritten)},
			{d.flushed, prometheus.CounterValue, float64(flushed)},
			{d.compacted, prometheus.CounterValue, float64(compacted)},
			{d.compactions, prometheus.CounterValue, float64(s.Compact.Count)},
			{d.cacheHits, prometheus.CounterValue, float64(s.BlockCache.Hits)},
			{d.cacheMisses, prometheus.CounterValue, float64(s.BlockCache.Misses)},
		} {
			ch <- prometheus.MustNewConstMetric(v.desc, v.kind, v.val, s.Name)
		}
	}
}

// observe records one answered request (api.Config.Observe).
func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

// serve answers GET /metrics, and the Go profiles under /debug/pprof/, on
// its own listener until ctx is done and the requests in flight are
// answered.
func (m *metrics) serve(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	shutDown := make(chan struct{})
	go func() {
		defer close(shutDown)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx) // waits for the scrapes in flight
	}()
	err := srv.Serve(ln)
	if !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	<-shutDown
	return nil
}

// watchConnections reports the HTTP connections of l: open, the cap, and
// how many were refused over a cap.
func (m *metrics) watchConnections(l *limitListener) {
	m.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jejak_http_connections", Help: "HTTP connections open."},
			func() float64 { return float64(l.open()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jejak_http_connections_max", Help: "Most HTTP connections open at once (--max-conns, fitted to RLIMIT_NOFILE)."},
			func() float64 { return float64(l.max) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "jejak_http_connections_refused_total", Help: "HTTP connections closed on accept: over the total or the per-address cap."},
			func() float64 { return float64(l.refused.Load()) }),
	)
}

// watchAccess reports the access log's queue and counters.
// watchLease shows whether this node decides for the log (ADR 26).
func (m *metrics) watchLease(l *natslog.Lease) {
	m.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jejak_decider", Help: "1 while this node holds the log's lease and decides its appends, 0 otherwise."},
			func() float64 {
				if _, held := l.Held(); held {
					return 1
				}
				return 0
			}),
	)
}

func (m *metrics) watchAccess(a *natslog.AccessLog) {
	m.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jejak_access_queued_entries", Help: "Reads of personal data recorded (or about to be) and not yet stored in the access log."},
			func() float64 { return float64(a.Stats().Queued) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "jejak_access_stored_entries_total", Help: "Entries stored in the access log."},
			func() float64 { return float64(a.Stats().Stored) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "jejak_access_refused_reads_total", Help: "Reads of personal data refused (500) because the access log's queue stayed full: never served unrecorded."},
			func() float64 { return float64(a.Stats().Refused) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "jejak_access_lost_entries_total", Help: "Entries the access log could not store by the end of a shutdown (logged)."},
			func() float64 { return float64(a.Stats().Failed) }),
	)
}
