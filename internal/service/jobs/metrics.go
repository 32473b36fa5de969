package jobs

import (
	"context"
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// metricsTimeout bounds the queries of one scrape.
const metricsTimeout = 5 * time.Second

// metrics are the queue's Prometheus metrics.
type metrics struct {
	scans    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	depth    prometheus.GaugeFunc
	stats    *statsCollector
}

func newMetrics(q *Queue) *metrics {
	return &metrics{
		scans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecoscan_scans_total",
			Help: "Scans that ended, by app kind and final state (done, failed, canceled).",
		}, []string{"kind", "state"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ecoscan_scan_duration_seconds",
			Help:    "How long scans ran, from start to end, by app kind.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 900, 1800},
		}, []string{"kind"}),
		depth: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ecoscan_queue_depth",
			Help: "Jobs waiting to run: available, scheduled and retryable.",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), metricsTimeout)
			defer cancel()
			n, err := q.Depth(ctx)
			if err != nil {
				q.log.Warn("metrics: queue depth", "error", err.Error())
				return math.NaN()
			}
			return float64(n)
		}),
		stats: &statsCollector{q: q,
			findings: prometheus.NewDesc("ecoscan_findings_open", "Open tickets (findings still to fix), by severity.", []string{"severity"}, nil),
			overdue:  prometheus.NewDesc("ecoscan_tickets_overdue", "Open tickets past their due date.", nil, nil),
			apps:     prometheus.NewDesc("ecoscan_apps", "Registered apps (deleted ones not counted).", nil, nil),
		},
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.scans, m.duration, m.depth, m.stats} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// scanEnded counts a scan that ended in state, after running for took (0
// when it never ran).
func (m *metrics) scanEnded(kind platform.AppKind, state platform.ScanState, took time.Duration) {
	m.scans.WithLabelValues(string(kind), string(state)).Inc()
	if took > 0 {
		m.duration.WithLabelValues(string(kind)).Observe(took.Seconds())
	}
}

// statsCollector reads the store's figures at each scrape.
type statsCollector struct {
	q                       *Queue
	findings, overdue, apps *prometheus.Desc
}

func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.findings
	ch <- c.overdue
	ch <- c.apps
}

func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), metricsTimeout)
	defer cancel()
	st, err := c.q.store.Stats(ctx, c.q.now())
	if err != nil {
		c.q.log.Warn("metrics: store stats", "error", err.Error())
		for _, d := range []*prometheus.Desc{c.findings, c.overdue, c.apps} {
			ch <- prometheus.NewInvalidMetric(d, err)
		}
		return
	}
	for sev, n := range st.FindingsBySeverity {
		ch <- prometheus.MustNewConstMetric(c.findings, prometheus.GaugeValue, float64(n), sev)
	}
	ch <- prometheus.MustNewConstMetric(c.overdue, prometheus.GaugeValue, float64(st.OverdueTickets))
	ch <- prometheus.MustNewConstMetric(c.apps, prometheus.GaugeValue, float64(st.Apps))
}
