// Command serveload measures `fetchd serve` under API load: 200 clients
// following GET /v1/events and 1,000 requests a second to GET /v1/images
// while the service downloads a large image, against the same download with
// no API load, in the same run; then the service's idle CPU and memory.
// bench/serve-load.sh makes the image, serves it with nginx and runs this.
//
//	serveload -fetchd ./fetchd -url http://127.0.0.1:38471/big.qcow2 -sha256 <hex> -work /var/tmp/x
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sandlabx/fetchd/internal/sse"
)

type options struct {
	fetchd, url, sha256, work string
	connections               string
	runs, clients, rps        int
	idle, warm                time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.fetchd, "fetchd", "fetchd", "the fetchd binary")
	flag.StringVar(&o.url, "url", "", "the image to download (served over http on 127.0.0.1)")
	flag.StringVar(&o.sha256, "sha256", "", "its sha256")
	flag.StringVar(&o.work, "work", "", "a scratch directory (the image is downloaded into it)")
	flag.StringVar(&o.connections, "connections", "", "the config's connections: setting (auto, or 1 to 16; empty: the default)")
	flag.IntVar(&o.runs, "runs", 3, "downloads with and without load")
	flag.IntVar(&o.clients, "clients", 200, "event stream clients")
	flag.IntVar(&o.rps, "rps", 1000, "GET /v1/images requests a second")
	flag.DurationVar(&o.idle, "idle", 30*time.Second, "how long the idle service is watched")
	flag.DurationVar(&o.warm, "warm", 2*time.Second, "load before the download starts")
	flag.Parse()
	if o.url == "" || o.sha256 == "" || o.work == "" {
		fmt.Fprintln(os.Stderr, "usage: serveload -fetchd BIN -url URL -sha256 HEX -work DIR")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "serveload: %v\n", err)
		os.Exit(1)
	}
}

// measurement is one download through the service.
type measurement struct {
	loaded            bool
	job               time.Duration // as the service timed it: started_at to finished_at
	lat               []time.Duration
	errors, skipped   int64
	events            []int64 // per stream client
	cpu               time.Duration
	peakRSS, startRSS int64
	// server is the service's own timing of GET /v1/images during the
	// job: cumulative counts per bucket bound, from its metrics.
	server map[float64]float64
}

func run(o options) error {
	var ms []measurement
	// The last service of each kind stays up to be watched idle: one that
	// only downloaded, one that also had the load.
	last := map[bool]*service{}
	for i := range o.runs {
		for _, loaded := range []bool{i%2 == 1, i%2 == 0} {
			s, err := start(o, fmt.Sprintf("run%d-%v", i, loaded))
			if err != nil {
				return err
			}
			m, err := s.measure(o, loaded)
			if err != nil {
				s.stop()
				return err
			}
			ms = append(ms, m)
			fmt.Fprintf(os.Stderr, "serveload: run %d loaded=%v: job %.2fs, %d requests, peak RSS %.1f MiB\n",
				i+1, loaded, m.job.Seconds(), len(m.lat), float64(m.peakRSS)/(1<<20))
			if prev := last[loaded]; prev != nil {
				prev.stop()
				// Its gigabyte goes, so that the disk holds two runs' at most.
				_ = os.RemoveAll(prev.dir)
			}
			last[loaded] = s
		}
	}
	var idle [2]idleFigures
	var wg sync.WaitGroup
	for i, loaded := range []bool{false, true} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			idle[i].cpu, idle[i].rss = last[loaded].idle(o.idle)
		}()
	}
	wg.Wait()
	codes := []int{last[false].stop(), last[true].stop()}
	report(o, ms, idle, codes)
	return nil
}

// idleFigures are what an idle service used.
type idleFigures struct {
	cpu time.Duration
	rss int64
}

// service is one running fetchd serve.
type service struct {
	cmd   *exec.Cmd
	dir   string
	cfg   string
	base  string
	token string
	// connections is the config's connections: setting ("" leaves it out).
	connections string
	client      *http.Client
	exited      chan struct{}
}

func start(o options, name string) (*service, error) {
	dir := filepath.Join(o.work, name)
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &service{dir: dir, cfg: filepath.Join(dir, "fetchd.yaml"), base: "http://127.0.0.1:" + strconv.Itoa(port),
		connections: o.connections, exited: make(chan struct{})}
	if err := s.writeConfig(""); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(o.fetchd, "serve", "--config", s.cfg, "--listen", "127.0.0.1:"+strconv.Itoa(port), "--quiet")
	s.cmd.Stderr = os.Stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	s.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxIdleConns: 1024}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := s.client.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			return nil, errors.New("fetchd serve did not answer within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	tok, err := os.ReadFile(filepath.Join(dir, "images", ".fetchd", "api-token"))
	if err != nil {
		return nil, err
	}
	s.token = strings.TrimSpace(string(tok))
	return s, nil
}

// writeConfig writes the service's config: no image, or the big one.
func (s *service) writeConfig(image string) error {
	cfg := fmt.Sprintf("dir: %s\nrefresh: 24h\n", filepath.Join(s.dir, "images"))
	if s.connections != "" {
		cfg += fmt.Sprintf("connections: %s\n", s.connections)
	}
	if image == "" {
		cfg += "images: {}\n"
	} else {
		cfg += fmt.Sprintf("images:\n  big.qcow2: %s\n", image)
	}
	return os.WriteFile(s.cfg, []byte(cfg), 0o644)
}

func (s *service) do(method, path string) (int, []byte, error) {
	req, err := http.NewRequest(method, s.base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

func (s *service) measure(o options, loaded bool) (measurement, error) {
	m := measurement{loaded: loaded}
	// What earlier runs wrote reaches the disk now, not during this one.
	syscall.Sync()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var load *loader
	if loaded {
		load = startLoad(ctx, s, o)
		time.Sleep(o.warm)
	}
	m.startRSS = s.rss("VmRSS")
	cpu0 := s.cpu()
	before, err := s.histogram()
	if err != nil {
		return m, err
	}
	if err := s.writeConfig(fmt.Sprintf("{url: %q, checksum: \"sha256:%s\"}", o.url, o.sha256)); err != nil {
		return m, err
	}
	if code, body, err := s.do("POST", "/v1/reload"); err != nil || code != 200 {
		return m, fmt.Errorf("reload: %d %s %v", code, body, err)
	}
	if load != nil {
		load.record.Store(true)
	}
	code, body, err := s.do("POST", "/v1/sync")
	if err != nil || code != 202 {
		return m, fmt.Errorf("sync: %d %s %v", code, body, err)
	}
	var acc struct {
		Job struct{ ID string } `json:"job"`
	}
	if err := json.Unmarshal(body, &acc); err != nil {
		return m, err
	}
	var job struct {
		State      string `json:"state"`
		StartedAt  string `json:"started_at"`
		FinishedAt string `json:"finished_at"`
		Error      string `json:"error"`
	}
	for {
		time.Sleep(100 * time.Millisecond)
		_, body, err := s.do("GET", "/v1/jobs/"+acc.Job.ID)
		if err != nil {
			return m, err
		}
		if err := json.Unmarshal(body, &job); err != nil {
			return m, err
		}
		if job.State != "queued" && job.State != "running" {
			break
		}
	}
	if load != nil {
		load.record.Store(false)
	}
	m.cpu = s.cpu() - cpu0
	after, err := s.histogram()
	if err != nil {
		return m, err
	}
	m.server = map[float64]float64{}
	for le, n := range after {
		m.server[le] = n - before[le]
	}
	if job.State != "succeeded" {
		return m, fmt.Errorf("the sync ended %s: %s", job.State, job.Error)
	}
	t0, _ := time.Parse(time.RFC3339Nano, job.StartedAt)
	t1, _ := time.Parse(time.RFC3339Nano, job.FinishedAt)
	m.job = t1.Sub(t0)
	m.peakRSS = s.rss("VmHWM")
	if load != nil {
		cancel()
		load.wait()
		// The load's keep-alive connections go too: the service is then
		// as a backend that went away leaves it.
		s.client.CloseIdleConnections()
		m.lat, m.errors, m.skipped, m.events = load.lat, load.errors.Load(), load.skipped.Load(), load.eventCounts()
	}
	return m, nil
}

// histogram reads the service's own timing of GET /v1/images answered
// 200 (fetchd_api_request_duration_seconds): cumulative count per upper
// bound, +Inf included.
func (s *service) histogram() (map[float64]float64, error) {
	req, err := http.NewRequest("GET", s.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	out := map[float64]float64{}
	fam := families["fetchd_api_request_duration_seconds"]
	if fam == nil {
		return out, nil // nothing answered yet
	}
	for _, m := range fam.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["route"] != "GET /v1/images" || labels["code"] != "200" {
			continue
		}
		h := m.GetHistogram()
		for _, b := range h.GetBucket() {
			out[b.GetUpperBound()] = float64(b.GetCumulativeCount())
		}
		out[math.Inf(1)] = float64(h.GetSampleCount())
	}
	return out, nil
}

// quantile estimates a quantile from cumulative bucket counts, linearly
// within the bucket it falls in, as Prometheus' histogram_quantile does.
func quantile(h map[float64]float64, q float64) float64 {
	var bounds []float64
	for b := range h {
		bounds = append(bounds, b)
	}
	slices.Sort(bounds)
	if len(bounds) == 0 || h[bounds[len(bounds)-1]] == 0 {
		return 0
	}
	total := h[bounds[len(bounds)-1]]
	rank := q * total
	lower, below := 0.0, 0.0
	for _, b := range bounds {
		if h[b] >= rank {
			if math.IsInf(b, 1) {
				return lower
			}
			return lower + (b-lower)*(rank-below)/max(h[b]-below, 1)
		}
		lower, below = b, h[b]
	}
	return lower
}

// idle watches the service doing nothing: CPU used and RSS.
func (s *service) idle(d time.Duration) (time.Duration, int64) {
	time.Sleep(3 * time.Second) // let the last job's goroutines end
	c0 := s.cpu()
	time.Sleep(d)
	return s.cpu() - c0, s.rss("VmRSS")
}

func (s *service) stop() int {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	return s.cmd.ProcessState.ExitCode()
}

// cpu is the process's user+system time so far.
func (s *service) cpu() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}

// rss reads a VmRSS / VmHWM line of /proc/<pid>/status, in bytes.
func (s *service) rss(field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// loader is the API load: stream clients and a request rate.
type loader struct {
	record          atomic.Bool
	mu              sync.Mutex
	lat             []time.Duration
	errors, skipped atomic.Int64
	events          []atomic.Int64
	wg              sync.WaitGroup
}

func startLoad(ctx context.Context, s *service, o options) *loader {
	l := &loader{events: make([]atomic.Int64, o.clients)}
	streams := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.clients}}
	for i := range o.clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			req, _ := http.NewRequestWithContext(ctx, "GET", s.base+"/v1/events", nil)
			req.Header.Set("Authorization", "Bearer "+s.token)
			resp, err := streams.Do(req)
			if err != nil {
				l.errors.Add(1)
				return
			}
			defer resp.Body.Close()
			rd := sse.NewReader(resp.Body)
			for {
				if _, err := rd.Next(); err != nil {
					return
				}
				l.events[i].Add(1)
			}
		}()
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		l.requests(ctx, s, o.rps)
	}()
	return l
}

// requests sends GET /v1/images at rps, open loop: each request's latency
// counts from when it was due, so a slow answer is not hidden by sending
// the next one later.
func (l *loader) requests(ctx context.Context, s *service, rps int) {
	interval := time.Second / time.Duration(rps)
	sem := make(chan struct{}, 512)
	var inflight sync.WaitGroup
	defer inflight.Wait()
	next := time.Now()
	for ctx.Err() == nil {
		next = next.Add(interval)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		due := next
		select {
		case sem <- struct{}{}:
		default:
			l.skipped.Add(1)
			continue
		}
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			defer func() { <-sem }()
			code, _, err := s.do("GET", "/v1/images")
			took := time.Since(due)
			if err != nil || code != 200 {
				l.errors.Add(1)
				return
			}
			if l.record.Load() {
				l.mu.Lock()
				l.lat = append(l.lat, took)
				l.mu.Unlock()
			}
		}()
	}
}

func (l *loader) wait() { l.wg.Wait() }

func (l *loader) eventCounts() []int64 {
	out := make([]int64, len(l.events))
	for i := range l.events {
		out[i] = l.events[i].Load()
	}
	return out
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func report(o options, ms []measurement, idle [2]idleFigures, codes []int) {
	var loaded, unloaded, rss, cpu []float64
	var lat []time.Duration
	server := map[float64]float64{}
	var errs, skipped int64
	minEvents, maxEvents := int64(-1), int64(0)
	for _, m := range ms {
		if !m.loaded {
			unloaded = append(unloaded, m.job.Seconds())
			continue
		}
		loaded = append(loaded, m.job.Seconds())
		rss = append(rss, float64(m.peakRSS)/(1<<20))
		cpu = append(cpu, m.cpu.Seconds()/m.job.Seconds())
		lat = append(lat, m.lat...)
		for b, n := range m.server {
			server[b] += n
		}
		errs += m.errors
		skipped += m.skipped
		for _, n := range m.events {
			if minEvents < 0 || n < minEvents {
				minEvents = n
			}
			maxEvents = max(maxEvents, n)
		}
	}
	ms2 := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
	fmt.Printf("## fetchd serve under API load (%d runs each, medians)\n\n", o.runs)
	conns := o.connections
	if conns == "" {
		conns = "the default (auto)"
	}
	fmt.Printf("Load: %d clients on GET /v1/events and %d requests/s to GET /v1/images over loopback TCP with the token. Download connections: %s.\n\n", o.clients, o.rps, conns)
	fmt.Println("| measurement | figure | target |")
	fmt.Println("|---|---|---|")
	fmt.Printf("| GET /v1/images latency during the download, p50 / p99 / max (%d requests, %d errors, %d not sent: 512 in flight) | %s / %s / %s | p99 ≤ 10 ms |\n",
		len(lat), errs, skipped, ms2(pct(lat, 0.5)), ms2(pct(lat, 0.99)), ms2(pct(lat, 1)))
	fmt.Printf("| the same, as the service timed its answers (its histogram), p50 / p99 | %.2f ms / %.2f ms | |\n",
		1000*quantile(server, 0.5), 1000*quantile(server, 0.99))
	fmt.Printf("| the sync job (download, verification, install) with load / without | %.2f s / %.2f s = %.3f× | ≤ 1.05× |\n",
		median(loaded), median(unloaded), median(loaded)/median(unloaded))
	fmt.Printf("| the service's peak RSS with load | %.1f MiB | ≤ 64 MiB |\n", median(rss))
	fmt.Printf("| the service's CPU during the loaded job | %.2f cores | |\n", median(cpu))
	fmt.Printf("| events each stream client received per loaded run (min–max) | %d–%d | |\n", minEvents, maxEvents)
	for i, what := range []string{"after a download", "after a download under the load (clients gone)"} {
		fmt.Printf("| idle %s: CPU over %s / RSS | %.2f s (%.3f%% of a core) / %.1f MiB | no CPU, ≤ 30 MiB |\n",
			what, o.idle, idle[i].cpu.Seconds(), 100*idle[i].cpu.Seconds()/o.idle.Seconds(), float64(idle[i].rss)/(1<<20))
	}
	fmt.Printf("| exit codes after SIGTERM | %d, %d | 0 |\n", codes[0], codes[1])
}
