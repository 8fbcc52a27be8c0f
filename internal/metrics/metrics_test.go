package metrics

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/engine"
	fetchdtest "github.com/sandlabx/fetchd/internal/testutil"
)

// fill makes every metric have samples.
func fill(m *Metrics) {
	t0 := time.Unix(1_800_000_000, 0)
	m.Observe(engine.Event{Kind: engine.Downloading, Image: "a.qcow2", Done: 100, Total: 1000, Reused: 100}, t0)
	m.Observe(engine.Event{Kind: engine.Progress, Image: "a.qcow2", Done: 600, Total: 1000}, t0.Add(time.Second))
	m.Observe(engine.Event{Kind: engine.Progress, Image: "a.qcow2", Done: 1000, Total: 1000}, t0.Add(2*time.Second))
	m.Observe(engine.Event{Kind: engine.Verifying, Image: "a.qcow2"}, t0.Add(2*time.Second))
	m.Observe(engine.Event{Kind: engine.Done, Image: "a.qcow2", Result: &engine.Result{Outcome: engine.Installed}}, t0.Add(3*time.Second))
	m.Observe(engine.Event{Kind: engine.Downloading, Image: "b.qcow2", Total: 10}, t0)
	m.Observe(engine.Event{Kind: engine.Verifying, Image: "b.qcow2"}, t0)
	m.Observe(engine.Event{Kind: engine.Done, Image: "b.qcow2", Result: &engine.Result{Outcome: engine.Failed,
		Err: &download.DigestMismatchError{}}}, t0.Add(time.Second))
	m.SetImages([]Image{
		{Name: "a.qcow2", Present: true, Source: "alpine", Release: "latest-stable", Arch: "x86_64", Variant: "v", Version: "3.22.2-r0", Digest: "sha512:ab"},
		{Name: "b.qcow2", Failed: true},
	})
	m.SyncSucceeded(t0)
	m.Resolved("alpine", 20*time.Millisecond, nil)
	m.Resolved("debian", time.Second, errors.New("timeout"))
	m.PluginStarted("alpine")
	m.JobFinished("sync", "succeeded")
	m.Published("installed")
	m.Delivered("https://x/h", true)
	m.Dropped("https://x/h")
	m.APIRequest("GET /v1/images", 200, 300*time.Microsecond)
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

// TestPromtool: Prometheus' own linter accepts the exposition.
func TestPromtool(t *testing.T) {
	t.Parallel()
	m := New("test")
	fill(m)
	fetchdtest.CheckMetrics(t, []byte(scrape(t, m)))
}

func TestValues(t *testing.T) {
	t.Parallel()
	m := New("test")
	fill(m)
	if got := testutil.ToFloat64(m.downloaded.WithLabelValues("a.qcow2")); got != 900 {
		t.Errorf("downloaded bytes %v, want 900 (the 100 reused bytes are not downloaded)", got)
	}
	if got := testutil.ToFloat64(m.refusals.WithLabelValues("digest")); got != 1 {
		t.Errorf("digest refusals %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.refusals.WithLabelValues("qcow2_header")); got != 0 {
		t.Errorf("header refusals %v, want 0", got)
	}
	out := scrape(t, m)
	for _, want := range []string{
		`fetchd_image_present{image="a.qcow2"} 1`,
		`fetchd_image_failed{image="b.qcow2"} 1`,
		`fetchd_image_build_info{arch="x86_64",digest="sha512:ab",image="a.qcow2",release="latest-stable",source="alpine",variant="v",version="3.22.2-r0"} 1`,
		`fetchd_download_duration_seconds_count{image="a.qcow2"} 1`,
		`fetchd_verification_duration_seconds_sum{image="a.qcow2"} 1`,
		`fetchd_last_successful_sync_timestamp_seconds 1.8e+09`,
		`fetchd_resolve_errors_total{source="debian"} 1`,
		`fetchd_plugin_starts_total{source="alpine"} 1`,
		`fetchd_info{version="test"} 1`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
	// An image dropped from the config drops out of the gauges.
	m.SetImages([]Image{{Name: "a.qcow2", Present: true}})
	if out := scrape(t, m); strings.Contains(out, `image="b.qcow2"}`) && strings.Contains(out, `fetchd_image_failed{image="b.qcow2"}`) {
		t.Errorf("b.qcow2 still in the gauges")
	}
}
