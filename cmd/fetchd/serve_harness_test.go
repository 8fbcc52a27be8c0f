package main

// The harness of the service's end-to-end tests: a real `fetchd serve`
// process against the replicas, and a client for its API over the Unix
// socket.

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sandlabx/fetchd/internal/api"
	"github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/internal/sse"
	"github.com/sandlabx/fetchd/internal/testutil"
	"github.com/sandlabx/fetchd/internal/testworld"
)

// serveIdleTimeout replaces the fault worlds' 2 s idle timeout: the serve
// tests hold downloads at gates for as long as they need.
const serveIdleTimeout = "idle_timeout: 60s\n"

// newServeWorld is a fault world with nothing installed yet.
func newServeWorld(t *testing.T) *faultWorld {
	t.Helper()
	return newServeWorldAt(t, t.TempDir())
}

// newServeWorldAt is newServeWorld in the empty directory root.
func newServeWorldAt(t *testing.T, root string) *faultWorld {
	t.Helper()
	qemuImg := testutil.RequireQemuImg(t)
	f := &faultWorld{t: t, root: root, good: map[string][]byte{}}
	f.images = filepath.Join(f.root, "images")
	f.tmp = filepath.Join(f.root, "tmp")
	if err := os.MkdirAll(f.tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.factory, err = testutil.NewQcow2Factory(qemuImg, f.root); err != nil {
		t.Fatal(err)
	}
	if f.world, err = testworld.Write(filepath.Join(f.root, "upstream"), f.factory.Content); err != nil {
		t.Fatal(err)
	}
	f.srv = replica.Serve(t, f.root)
	f.base = f.world.Config(f.srv.URL+"/upstream", f.images) + serveIdleTimeout
	f.cfgPath = filepath.Join(f.root, "fetchd.yaml")
	f.writeConfig()
	return f
}

// serveOn makes an installed fault world's config suit the serve tests.
func serveOn(f *faultWorld) {
	f.base = strings.Replace(f.base, "idle_timeout: 2s\n", serveIdleTimeout, 1)
	f.writeConfig()
}

// serveProc is a running `fetchd serve`.
type serveProc struct {
	*localProc
	f      *faultWorld
	sock   string
	client *http.Client
}

// startServe starts `fetchd serve` with args and waits until its API
// answers on the socket.
func startServe(f *faultWorld, args ...string) *serveProc {
	f.t.Helper()
	p := &serveProc{localProc: localStart(f, nil, append([]string{"serve"}, args...)...), f: f}
	p.sock = filepath.Join(f.images, ".fetchd", "run", "api.sock")
	if s := serveSocketFromConfig(f); s != "" {
		p.sock = s
	}
	p.client = unixClient(p.sock)
	localWaitFor(f.t, "the API on "+p.sock, p.localProc, func() bool {
		code, _ := p.call("GET", "/healthz", "", nil)
		return code == http.StatusOK
	})
	return p
}

// serveSocketFromConfig is the api.socket the world's config sets, if any.
func serveSocketFromConfig(f *faultWorld) string {
	for _, line := range strings.Split(f.base, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "socket: "); ok {
			return s
		}
	}
	return ""
}

func unixClient(sock string) *http.Client {
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}
}

// token is the API token fetchd generated.
func (p *serveProc) token() string {
	p.t.Helper()
	data, err := os.ReadFile(filepath.Join(p.f.images, ".fetchd", "api-token"))
	if err != nil {
		p.t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// call makes one API call over the socket; it returns 0 when the service
// does not answer.
func (p *serveProc) call(method, path, body string, hdr map[string]string) (int, []byte) {
	req, err := http.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// authed is call with the token (and a JSON content type for a body).
func (p *serveProc) authed(method, path, body string) (int, []byte) {
	hdr := map[string]string{"Authorization": "Bearer " + p.token()}
	if body != "" {
		hdr["Content-Type"] = "application/json"
	}
	return p.call(method, path, body, hdr)
}

// getJSON GETs path and decodes the 200 answer into v.
func (p *serveProc) getJSON(path string, v any) {
	p.t.Helper()
	code, body := p.call("GET", path, "", nil)
	if code != http.StatusOK {
		p.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		p.t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
}

// submit POSTs a job and returns its id.
func (p *serveProc) submit(path, body string) string {
	p.t.Helper()
	code, out := p.authed("POST", path, body)
	var acc api.JobAccepted
	if code != http.StatusAccepted || json.Unmarshal(out, &acc) != nil {
		p.t.Fatalf("POST %s: %d %s", path, code, out)
	}
	return acc.Job.ID
}

// waitJob waits for a job to finish and returns it.
func (p *serveProc) waitJob(id string) api.Job {
	p.t.Helper()
	var j api.Job
	localWaitFor(p.t, "job "+id, p.localProc, func() bool {
		p.getJSON("/v1/jobs/"+id, &j)
		return j.State != api.JobQueued && j.State != api.JobRunning
	})
	return j
}

// readiness is GET /readyz.
func (p *serveProc) readiness() (int, api.Readiness) {
	p.t.Helper()
	code, body := p.call("GET", "/readyz", "", nil)
	var rd api.Readiness
	if err := json.Unmarshal(body, &rd); err != nil {
		p.t.Fatalf("GET /readyz: %d %s", code, body)
	}
	return code, rd
}

func (p *serveProc) waitReady() {
	p.t.Helper()
	localWaitFor(p.t, "readiness", p.localProc, func() bool {
		code, _ := p.readiness()
		return code == http.StatusOK
	})
}

// metrics scrapes /metrics.
func (p *serveProc) metrics() string {
	p.t.Helper()
	code, body := p.call("GET", "/metrics", "", nil)
	if code != http.StatusOK {
		p.t.Fatalf("GET /metrics: %d %s", code, body)
	}
	return string(body)
}

// stream opens GET /v1/events, resuming after lastID if it is not "".
func (p *serveProc) stream(lastID string) (*sse.Reader, func()) {
	p.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://localhost/v1/events", nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	c := unixClient(p.sock)
	c.Timeout = 0
	resp, err := c.Do(req)
	if err != nil {
		cancel()
		p.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		p.t.Fatalf("GET /v1/events: %d", resp.StatusCode)
	}
	stop := func() {
		cancel()
		resp.Body.Close()
	}
	p.t.Cleanup(stop)
	return sse.NewReader(resp.Body), stop
}

// stop sends SIGTERM and waits for serve to end; it returns the result.
func (p *serveProc) stop() runResult {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("SIGTERM: %v", err)
	}
	return p.wait()
}

// event is one SSE event with its JSON data decoded.
type event struct {
	id, typ string
	data    map[string]any
	raw     string
}

func readEvent(t *testing.T, rd *sse.Reader) event {
	t.Helper()
	ev, err := rd.Next()
	if err != nil {
		t.Fatalf("event stream: %v", err)
	}
	e := event{id: ev.ID, typ: ev.Type, raw: ev.Data}
	if err := json.Unmarshal([]byte(ev.Data), &e.data); err != nil {
		t.Fatalf("event data is not JSON: %q", ev.Data)
	}
	return e
}

// until reads events until one satisfies done (and returns them all).
func until(t *testing.T, rd *sse.Reader, done func(event) bool) []event {
	t.Helper()
	var out []event
	for {
		e := readEvent(t, rd)
		out = append(out, e)
		if done(e) {
			return out
		}
	}
}

func jobEnded(id string) func(event) bool {
	return func(e event) bool {
		st, _ := e.data["state"].(string)
		return e.typ == "job" && e.data["job"] == id && st != api.JobQueued && st != api.JobRunning
	}
}

// metricValue finds one sample's value in an exposition ("" if absent).
func metricValue(exposition, sample string) string {
	for _, line := range strings.Split(exposition, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			return v
		}
	}
	return ""
}

// sharedCopy copies the fetchd binary into a directory other users can
// read, for running it as another uid.
func sharedCopy(t *testing.T, dir string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "fetchd")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}
