package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/report"
)

// Metrics holds the service's collectors on a registry of its own.
type Metrics struct {
	reg *prometheus.Registry

	present, outdated, held, failed *prometheus.GaugeVec
	buildInfo                       *prometheus.GaugeVec
	downloaded                      *prometheus.CounterVec
	downloadSeconds, verifySeconds  *prometheus.HistogramVec
	refusals                        *prometheus.CounterVec
	lastSync                        prometheus.Gauge
	resolveSeconds                  *prometheus.HistogramVec
	resolveErrors                   *prometheus.CounterVec
	pluginStarts                    *prometheus.CounterVec
	jobs                            *prometheus.CounterVec
	events                          *prometheus.CounterVec
	deliveries                      *prometheus.CounterVec
	dropped                         *prometheus.CounterVec
	apiSeconds                      *prometheus.HistogramVec

	mu sync.Mutex
	// per image: when its download and verification started, and the
	// bytes counted so far
	downloads map[string]*inflight
}

type inflight struct {
	started, verifying time.Time
	counted            int64
}

// Buckets: downloads take seconds to many minutes; checks and resolves
// milliseconds to a minute.
var (
	downloadBuckets = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600}
	verifyBuckets   = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}
	apiBuckets      = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}
	resolveBuckets  = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120}
)

// New registers every collector, and Go's and the process's own.
func New(version string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), downloads: map[string]*inflight{}}
	image := []string{"image"}
	gauge := func(name, help string, labels []string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "fetchd", Name: name, Help: help}, labels)
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "fetchd", Name: name, Help: help}, labels)
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "fetchd", Name: name, Help: help, Buckets: buckets}, labels)
	}
	m.present = gauge("image_present", "1 if the image is on disk and verified.", image)
	m.outdated = gauge("image_outdated", "1 if upstream has a newer build than the one on disk.", image)
	m.held = gauge("image_held", "1 if a newer build is kept back by a hold.", image)
	m.failed = gauge("image_failed", "1 if the image's last job failed.", image)
	m.buildInfo = gauge("image_build_info", "The build on disk for each image (value 1).",
		[]string{"image", "source", "release", "arch", "variant", "version", "digest"})
	m.downloaded = counter("downloaded_bytes_total", "Bytes of images downloaded (not counting bytes kept from partial downloads).", "image")
	m.downloadSeconds = histogram("download_duration_seconds", "Time from the start of a download to its last byte.", downloadBuckets, "image")
	m.verifySeconds = histogram("verification_duration_seconds", "Time to check a downloaded image (signature, header, qemu-img) and install it.", verifyBuckets, "image")
	m.refusals = counter("refusals_total", "Images or answers refused by a check, by the check that refused them.", "cause")
	m.lastSync = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "fetchd", Name: "last_successful_sync_timestamp_seconds",
		Help: "When a sync of every image last ended with every image present and verified (Unix time)."})
	m.resolveSeconds = histogram("resolve_duration_seconds", "Time for a source plugin to answer Resolve.", resolveBuckets, "source")
	m.resolveErrors = counter("resolve_errors_total", "Resolve calls that failed, per source.", "source")
	m.pluginStarts = counter("plugin_starts_total", "Source plugin processes started, per source.", "source")
	m.jobs = counter("jobs_total", "Jobs finished, by kind and final state.", "kind", "state")
	m.events = counter("events_total", "Events published, by type.", "type")
	m.deliveries = counter("webhook_deliveries_total", "Webhook deliveries finished, by webhook and result (delivered, failed).", "webhook", "result")
	m.dropped = counter("webhook_dropped_total", "Webhook deliveries dropped because the webhook's queue was full.", "webhook")
	m.apiSeconds = histogram("api_request_duration_seconds", "Time to answer an API call (event streams left out), by route and status code.",
		apiBuckets, "route", "code")
	info := gauge("info", "fetchd's version (value 1).", []string{"version"})
	info.WithLabelValues(version).Set(1)
	m.reg.MustRegister(m.present, m.outdated, m.held, m.failed, m.buildInfo, m.downloaded, m.downloadSeconds,
		m.verifySeconds, m.refusals, m.lastSync, m.resolveSeconds, m.resolveErrors, m.pluginStarts, m.jobs,
		m.events, m.deliveries, m.dropped, m.apiSeconds, info,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, c := range report.Causes {
		m.refusals.WithLabelValues(c) // every cause shows, at 0
	}
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is for tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Observe counts what an engine event says: download bytes and durations,
// verification durations, refusals.
func (m *Metrics) Observe(e engine.Event, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.downloads[e.Image]
	switch e.Kind {
	case engine.Downloading:
		m.downloads[e.Image] = &inflight{started: at, counted: e.Done}
	case engine.Progress:
		if d != nil && e.Done > d.counted {
			m.downloaded.WithLabelValues(e.Image).Add(float64(e.Done - d.counted))
			d.counted = e.Done
		}
	case engine.Verifying:
		if d != nil {
			m.downloadSeconds.WithLabelValues(e.Image).Observe(at.Sub(d.started).Seconds())
			d.verifying = at
		}
	case engine.Done:
		if d != nil && !d.verifying.IsZero() {
			m.verifySeconds.WithLabelValues(e.Image).Observe(at.Sub(d.verifying).Seconds())
		}
		delete(m.downloads, e.Image)
		if e.Result != nil {
			if typ, cause := report.OutcomeType(*e.Result); typ == report.TypeRefused {
				m.refusals.WithLabelValues(cause).Inc()
			}
		}
	}
}

// Image is what the per-image gauges show for one image.
type Image struct {
	Name                                    string
	Present, Outdated, Held, Failed         bool
	Source, Release, Arch, Variant, Version string
	Digest                                  string
}

// SetImages replaces the per-image gauges with images (images no longer
// configured disappear).
func (m *Metrics) SetImages(images []Image) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, g := range []*prometheus.GaugeVec{m.present, m.outdated, m.held, m.failed, m.buildInfo} {
		g.Reset()
	}
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	for _, im := range images {
		m.present.WithLabelValues(im.Name).Set(b(im.Present))
		m.outdated.WithLabelValues(im.Name).Set(b(im.Outdated))
		m.held.WithLabelValues(im.Name).Set(b(im.Held))
		m.failed.WithLabelValues(im.Name).Set(b(im.Failed))
		if im.Digest != "" {
			m.buildInfo.WithLabelValues(im.Name, im.Source, im.Release, im.Arch, im.Variant, im.Version, im.Digest).Set(1)
		}
	}
}

// SyncSucceeded records a sync of every image that left all of them
// present and verified.
func (m *Metrics) SyncSucceeded(at time.Time) { m.lastSync.Set(float64(at.UnixNano()) / 1e9) }

// Resolved records one Resolve call of a source plugin.
func (m *Metrics) Resolved(source string, took time.Duration, err error) {
	m.resolveSeconds.WithLabelValues(source).Observe(took.Seconds())
	if err != nil {
		m.resolveErrors.WithLabelValues(source).Inc()
	}
}

// PluginStarted records a plugin process start.
func (m *Metrics) PluginStarted(source string) { m.pluginStarts.WithLabelValues(source).Inc() }

// JobFinished counts a job by kind and final state.
func (m *Metrics) JobFinished(kind, state string) { m.jobs.WithLabelValues(kind, state).Inc() }

// Published counts an event.
func (m *Metrics) Published(typ string) { m.events.WithLabelValues(typ).Inc() }

// Delivered counts a finished webhook delivery.
func (m *Metrics) Delivered(webhook string, ok bool) {
	result := "failed"
	if ok {
		result = "delivered"
	}
	m.deliveries.WithLabelValues(webhook, result).Inc()
}

// Dropped counts a delivery dropped from a full queue.
func (m *Metrics) Dropped(webhook string) { m.dropped.WithLabelValues(webhook).Inc() }

// APIRequest records one API call.
func (m *Metrics) APIRequest(route string, status int, took time.Duration) {
	m.apiSeconds.WithLabelValues(route, strconv.Itoa(status)).Observe(took.Seconds())
}
