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

func newMetrics(appender *lrs.Appender, views *projections.Views) *metrics {
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
		prometheus.NewGoCollector(),
		prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}),
	)
	for _, p := range views.All() {
		name := p.Name()
		m.registry.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jejak_view_applied_sequence", Help: "The last log sequence a view has applied.", ConstLabels: prometheus.Labels{"view": name}},
				func() float64 { return float64(p.Checkpoint()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jejak_view_lag_events", Help: "Events this node appended that a view has not applied yet.", ConstLabels: prometheus.Labels{"view": name}},
				func() float64 { return float64(appender.LastSeq() - min(appender.LastSeq(), p.Checkpoint())) }),
		)
	}
	return m
}

// observe records one answered request (api.Config.Observe).
func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

// serve answers GET /metrics, and the Go profiles under /debug/pprof/, on
// its own listener until ctx is done.
func (m *metrics) serve(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
