package main

// `fetchd serve` end to end: a real service process against the replicas
// of the three upstreams, driven through its API.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/sandlabx/fetchd/internal/api"
	"github.com/sandlabx/fetchd/internal/testutil"
	"github.com/sandlabx/fetchd/internal/webhook"
)

// distroGate holds the image downloads of each distro until released.
type distroGate struct {
	mu    sync.Mutex
	gates map[string]chan struct{}
}

func newDistroGate(distros ...string) *distroGate {
	g := &distroGate{gates: map[string]chan struct{}{}}
	for _, d := range distros {
		g.gates[d] = make(chan struct{})
	}
	return g
}

func (g *distroGate) hook(w http.ResponseWriter, r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, "/upstream/")
	if !ok || !(strings.HasSuffix(rest, ".qcow2") || strings.HasSuffix(rest, ".img")) {
		return false
	}
	distro, _, _ := strings.Cut(rest, "/")
	g.mu.Lock()
	gate := g.gates[distro]
	g.mu.Unlock()
	if gate == nil {
		return false
	}
	select {
	case <-gate:
		return false
	case <-r.Context().Done():
		return true
	}
}

func (g *distroGate) release(distro string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.gates[distro])
	delete(g.gates, distro)
}

// TestServeReadyAndEvents: readiness goes 503 → 200 as the three images
// land; the event stream shows each download from 0 to done; a stream
// that disconnects and resumes with Last-Event-ID misses nothing; status
// and a one-shot sync work beside the service.
func TestServeReadyAndEvents(t *testing.T) {
	t.Parallel()
	f := newServeWorld(t)
	gate := newDistroGate("alpine", "debian", "ubuntu")
	f.srv.Hook(gate.hook)
	p := startServe(f)

	whole, _ := p.stream("0") // from the first event, never interrupted
	first, stopFirst := p.stream("0")

	code, rd := p.readiness()
	if code != http.StatusServiceUnavailable || !slices.Equal(rd.Missing, defaultImages) {
		t.Fatalf("readiness before any image landed: %d %v, want 503 and all three missing", code, rd.Missing)
	}
	if res := f.run("health", "--ready"); res.code != 1 || !strings.Contains(res.stdout, "not ready: alpine-3.qcow2, debian-13.qcow2, ubuntu-24-lts.qcow2") {
		t.Errorf("health --ready before the images: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	// status works while the service holds downloads.
	if res := f.run("status", "--json"); !strings.Contains(res.stdout, `"state": "missing"`) {
		t.Errorf("status beside the service: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	// Half the stream, then the client goes away.
	var seen []event
	for _, distro := range []string{"alpine", "debian"} {
		gate.release(distro)
		name := map[string]string{"alpine": "alpine-3.qcow2", "debian": "debian-13.qcow2"}[distro]
		seen = append(seen, until(t, first, func(e event) bool { return e.typ == "installed" && e.data["image"] == name })...)
	}
	stopFirst()
	localWaitFor(t, "two of three images ready", p.localProc, func() bool {
		_, rd := p.readiness()
		return slices.Equal(rd.Missing, []string{"ubuntu-24-lts.qcow2"})
	})
	gate.release("ubuntu")
	p.waitReady()
	if res := f.run("health", "--ready"); res.code != 0 || strings.TrimSpace(res.stdout) != "ready" {
		t.Errorf("health --ready once ready: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	// The resumed stream continues right after the last event seen.
	resumed, _ := p.stream(seen[len(seen)-1].id)
	seen = append(seen, until(t, resumed, jobEnded("1"))...)
	all := until(t, whole, jobEnded("1"))
	if diff := eventDiff(all, seen); diff != "" {
		t.Errorf("disconnected and resumed stream differs from the whole one:\n%s", diff)
	}
	for i := 1; i < len(all); i++ {
		if fmt.Sprint(mustAtoi(t, all[i-1].id)+1) != all[i].id {
			t.Errorf("event ids not consecutive: %s then %s", all[i-1].id, all[i].id)
		}
	}
	checkDownloadEvents(t, all)

	// A one-shot sync beside the service: the lock is free between jobs.
	if res := f.syncJSON(); res.code != 0 {
		t.Errorf("sync beside the service: exit %d\n%s", res.code, res.stderr)
	}
	if res := p.stop(); res.code != 0 || !strings.Contains(res.stderr, "fetchd: serve: stopped") {
		t.Errorf("serve after SIGTERM: exit %d\n%s", res.code, res.stderr)
	}
	f.checkFinalPaths()
	f.checkNoProcesses()
}

func eventDiff(want, got []event) string {
	var b strings.Builder
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = want[i].id + " " + want[i].typ + " " + want[i].raw
		}
		if i < len(got) {
			g = got[i].id + " " + got[i].typ + " " + got[i].raw
		}
		if w != g {
			fmt.Fprintf(&b, "  want %s\n   got %s\n", w, g)
		}
	}
	return b.String()
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("event id %q: %v", s, err)
	}
	return n
}

// checkDownloadEvents: each image's events go resolve, progress from 0
// (growing) to its total, verifying, installed.
func checkDownloadEvents(t *testing.T, events []event) {
	t.Helper()
	for _, name := range defaultImages {
		var kinds []string
		var done []float64
		var total float64
		for _, e := range events {
			if e.data["image"] != name {
				continue
			}
			if len(kinds) == 0 || kinds[len(kinds)-1] != e.typ {
				kinds = append(kinds, e.typ)
			}
			if e.typ == "progress" {
				d, _ := e.data["done"].(float64) // absent: 0
				done = append(done, d)
				if v, ok := e.data["total"].(float64); ok && v > 0 {
					total = v
				}
			}
			if e.typ == "installed" {
				total = e.data["result"].(map[string]any)["size"].(float64)
			}
		}
		if want := []string{"resolve", "progress", "verifying", "installed"}; !slices.Equal(kinds, want) {
			t.Errorf("%s: events %v, want %v", name, kinds, want)
		}
		if len(done) < 2 || done[0] != 0 || done[len(done)-1] != total || !slices.IsSorted(done) {
			t.Errorf("%s: progress %v, want from 0 growing to %v", name, done, total)
		}
	}
}

// TestServeHostileBuild: a job started through the API meets hostile
// builds (some of the fault suite's crafted images, each with upstream's
// checksum): each is refused, reported as a refused event with its cause
// and in the metrics, and the previous build is still served; the fault
// suite's invariants hold.
func TestServeHostileBuild(t *testing.T) {
	t.Parallel()
	cases := map[string]string{ // fault case: the refusal cause
		"backing-file":  "qcow2_header",
		"corrupt-bit":   "qcow2_header",
		"raw-as-qcow2":  "format",
		"check-corrupt": "qemu_img",
	}
	f := newFaultWorld(t)
	serveOn(f)
	line := func(name, u, sum string) string {
		return fmt.Sprintf("  %s: {url: %q, checksum: \"sha256:%s\", update: always}\n", name, u, sum)
	}
	sums := map[string]string{}
	for c := range cases {
		name := c + ".qcow2"
		u, sum := f.serveFile("crafted/"+name, f.factory.Next())
		f.addImages(line(name, u, sum))
		sums[name] = sum
	}
	p := startServe(f)
	p.waitReady()
	for c := range cases {
		f.good[c+".qcow2"] = f.read(c + ".qcow2")
	}

	f.extra = ""
	dir := t.TempDir()
	for c := range cases {
		name := c + ".qcow2"
		cdir := filepath.Join(dir, c)
		os.MkdirAll(cdir, 0o755)
		u, bad := f.serveFile("crafted/"+name, imageFaults[c].craft(t, f, cdir))
		f.addImages(line(name, u, bad))
	}
	if code, body := p.authed("POST", "/v1/reload", ""); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	events, _ := p.stream("")
	id := p.submit("/v1/sync", "")
	evs := until(t, events, jobEnded(id))
	job := p.waitJob(id)
	if job.State != api.JobFailed || !strings.Contains(job.Error, fmt.Sprintf("%d of 7 images failed", len(cases))) {
		t.Errorf("job %+v, want failed naming the %d refused images", job, len(cases))
	}
	refused := map[string]event{}
	for _, e := range evs {
		if e.typ == "refused" {
			refused[e.data["image"].(string)] = e
		}
	}
	m := p.metrics()
	perCause := map[string]int{}
	for c, cause := range cases {
		name := c + ".qcow2"
		perCause[cause]++
		e, ok := refused[name]
		if !ok {
			t.Errorf("%s: no refused event", name)
			continue
		}
		res := e.data["result"].(map[string]any)
		if e.data["cause"] != cause || e.data["event"] != "done" || e.data["job"] != id || !strings.Contains(res["error"].(string), imageFaults[c].cause) {
			t.Errorf("%s: refused event %s, want cause %s and an error with %q", name, e.raw, cause, imageFaults[c].cause)
		}
		var im api.Image
		p.getJSON("/v1/images/"+name, &im)
		if !im.OK || im.Digest != "sha256:"+sums[name] || im.Error == "" || im.BuildPath == "" {
			t.Errorf("%s after the refusal: %+v, want the previous build (sha256:%s) still served, with the error", name, im, sums[name])
		}
		for sample, want := range map[string]string{
			`fetchd_image_failed{image="` + name + `"}`:  "1",
			`fetchd_image_present{image="` + name + `"}`: "1",
		} {
			if got := metricValue(m, sample); got != want {
				t.Errorf("%s = %q, want %s", sample, got, want)
			}
		}
	}
	for cause, n := range perCause {
		if got := metricValue(m, `fetchd_refusals_total{cause="`+cause+`"}`); got != fmt.Sprint(n) {
			t.Errorf("refusals with cause %s: %q, want %d", cause, got, n)
		}
	}
	if len(refused) != len(cases) {
		t.Errorf("%d refused events, want %d (the default images are unaffected)", len(refused), len(cases))
	}
	if code, _ := p.readiness(); code != http.StatusOK {
		t.Errorf("readiness %d after refused updates; the previous builds are still there", code)
	}
	testutilCheckMetrics(t, m)
	if res := p.stop(); res.code != 0 {
		t.Errorf("serve after SIGTERM: exit %d\n%s", res.code, res.stderr)
	}
	for n, good := range f.good {
		if !bytes.Equal(f.read(n), good) {
			t.Errorf("%s changed on disk", n)
		}
	}
	f.checkFinalPaths()
	f.checkNoProcesses()
	if left := imgPartialFiles(t, f); len(left) > 0 {
		t.Errorf("partial files left after the refusals: %q", left)
	}
}

// TestServeReload: a broken config, by SIGHUP or by the API, is refused
// with its error and the old config keeps running; a good one takes
// effect.
func TestServeReload(t *testing.T) {
	t.Parallel()
	f := newFaultWorld(t)
	serveOn(f)
	p := startServe(f)
	p.waitReady()
	good := f.base
	f.base = good + "imagez: {}\n"
	f.writeConfig()
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	localWaitFor(t, "the reload to be refused", p.localProc, func() bool {
		return strings.Contains(p.stderr.String(), `reload refused, the running config stays: `+f.cfgPath+`:`)
	})
	if !strings.Contains(p.stderr.String(), `unknown key "imagez"`) {
		t.Errorf("the refusal does not name the problem:\n%s", p.stderr.String())
	}
	code, body := p.authed("POST", "/v1/reload", "")
	var eb api.ErrorBody
	if code != http.StatusUnprocessableEntity || json.Unmarshal(body, &eb) != nil || !strings.Contains(eb.Error, `unknown key "imagez"`) {
		t.Errorf("POST /v1/reload with a broken config: %d %s", code, body)
	}
	var list api.ImageList
	p.getJSON("/v1/images", &list)
	if len(list.Images) != 3 || !list.Ready {
		t.Errorf("after refused reloads: %d images, ready %v; want the old config's three", len(list.Images), list.Ready)
	}
	// The old config still runs jobs.
	if j := p.waitJob(p.submit("/v1/sync", "")); j.State != api.JobSucceeded {
		t.Errorf("sync after a refused reload: %+v", j)
	}
	// A good config with one image less takes effect.
	f.base = strings.Replace(good, "  debian-13.qcow2:     {source: debian, release: \"13\"}\n", "", 1)
	f.writeConfig()
	code, body = p.authed("POST", "/v1/reload", "")
	var rr api.ReloadResult
	if code != http.StatusOK || json.Unmarshal(body, &rr) != nil || !rr.Reloaded || rr.Images != 2 {
		t.Errorf("POST /v1/reload with a good config: %d %s", code, body)
	}
	p.getJSON("/v1/images", &list)
	if len(list.Images) != 2 {
		t.Errorf("after the reload: %d images, want 2", len(list.Images))
	}
	if code, body := p.authed("POST", "/v1/images/debian-13.qcow2/sync", ""); code != http.StatusNotFound {
		t.Errorf("a job on an image no longer configured: %d %s", code, body)
	}
	if res := p.stop(); res.code != 0 {
		t.Errorf("serve after SIGTERM: exit %d\n%s", res.code, res.stderr)
	}
}

// TestServeSigtermResume: SIGTERM while a download runs ends serve with
// exit 0, keeping the partial; the next start resumes it (a Range request
// for what is missing) and installs the verified build.
func TestServeSigtermResume(t *testing.T) {
	t.Parallel()
	f := newFaultWorld(t)
	serveOn(f)
	b := localPublishDebian(t, f)
	g := newLocalGate(b)
	f.srv.Hook(g.hook)
	f.base = strings.Replace(f.base, "images:\n", "update: always\nimages:\n", 1)
	f.writeConfig()
	p := startServe(f)
	localWaitFor(t, "half the download in the partial file", p.localProc, func() bool { return localPartialSize(f) >= int64(g.hold) })
	var im api.Image
	p.getJSON("/v1/images/"+localDebian, &im)
	// (The downloader reports progress at most 5 times a second, so the
	// last bytes before the stall may not show yet.)
	if im.Progress == nil || im.Progress.Phase != "downloading" || im.Progress.Job != "1" || im.Progress.URL == "" || !im.OK {
		t.Errorf("%s mid-download: %+v, progress %+v; want the installed build with live progress", localDebian, im, im.Progress)
	}
	// The CLI's status beside the service shows what the service's job is
	// doing to the image, with the service's pid.
	busy := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(localDebian) + ` +present, downloading( \d+%| [0-9.]+ MiB)? \(pid ` + strconv.Itoa(p.cmd.Process.Pid) + `\) `)
	localWaitFor(t, "status to show the service's download", p.localProc, func() bool {
		return busy.MatchString(f.run("status").stdout)
	})
	res := p.stop()
	if res.code != 0 || !strings.Contains(res.stderr, "fetchd: serve: stopped") {
		t.Fatalf("serve after SIGTERM mid-download: exit %d\n%s", res.code, res.stderr)
	}
	if st := f.run("status"); strings.Contains(st.stdout, "(pid ") {
		t.Errorf("status after serve stopped still shows its activity:\n%s", st.stdout)
	}
	if got := localPartialSize(f); got < int64(g.hold) {
		t.Fatalf("partial has %d bytes after SIGTERM, want the %d received kept", got, g.hold)
	}
	if !bytes.Equal(f.read(localDebian), f.good[localDebian]) {
		t.Errorf("%s changed after SIGTERM", localDebian)
	}
	f.checkNoProcesses()

	g.release()
	p = startServe(f)
	job := p.waitJob("1")
	found := false
	for _, r := range job.Results {
		if r.Name == localDebian {
			found = true
			if r.State != "updated" || r.BytesReused < int64(g.hold) {
				t.Errorf("%s after the restart: %+v, want updated with the kept bytes reused", localDebian, r)
			}
		}
	}
	if !found || job.State != api.JobSucceeded {
		t.Errorf("the start sync after the restart: %+v", job)
	}
	if _, ranges := g.requests(); !slices.Contains(ranges, fmt.Sprintf("bytes=%d-", g.hold)) && !slices.ContainsFunc(ranges, func(r string) bool { return strings.HasPrefix(r, "bytes=") && r != "bytes=0-" }) {
		t.Errorf("no resume request: Range headers %q", ranges)
	}
	if got := f.read(localDebian); !bytes.Equal(got, b.data) {
		t.Errorf("%s is not the new build after the resume", localDebian)
	}
	if res := p.stop(); res.code != 0 {
		t.Errorf("serve after SIGTERM: exit %d\n%s", res.code, res.stderr)
	}
	f.checkFinalPaths()
	f.checkNoProcesses()
}

// TestServeWebhooks: a webhook receiver gets signed deliveries it can
// verify, one per installed image; a receiver that hangs holds up nothing:
// the sync finishes while its first delivery is still unanswered.
func TestServeWebhooks(t *testing.T) {
	t.Parallel()
	f := newServeWorld(t)
	secret := "webhook-secret-0123456789"
	type delivery struct {
		event, id string
		body      []byte
		verified  bool
	}
	var mu sync.Mutex
	var got []delivery
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, delivery{r.Header.Get(webhook.HeaderEvent), r.Header.Get(webhook.HeaderDelivery), body,
			webhook.Verify([]byte(secret), body, r.Header.Get(webhook.HeaderSignature))})
		mu.Unlock()
	}))
	defer good.Close()
	hung := make(chan struct{})
	var waiting sync.WaitGroup
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		waiting.Add(1)
		defer waiting.Done()
		select {
		case <-hung:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(hung)
	var hangStarted sync.Once
	started := make(chan struct{})
	hang.Config.ConnState = func(net.Conn, http.ConnState) { hangStarted.Do(func() { close(started) }) }
	f.base += fmt.Sprintf("notify:\n  - {url: %q, secret: %q, events: [installed, job]}\n  - {url: %q, secret: %q}\n",
		good.URL+"/hooks/fetchd", secret, hang.URL+"/hook", secret)
	f.writeConfig()
	p := startServe(f)
	p.waitReady()
	job := p.waitJob("1")
	if job.State != api.JobSucceeded {
		t.Fatalf("start sync: %+v", job)
	}
	<-started // the hanging receiver got its first delivery and holds it
	localWaitFor(t, "three installed deliveries", p.localProc, func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, d := range got {
			if d.event == "installed" {
				n++
			}
		}
		return n == 3
	})
	mu.Lock()
	ids := map[string]bool{}
	images := map[string]bool{}
	for _, d := range got {
		var ev map[string]any
		want := map[string]string{"installed": "done", "job": "job"}[d.event]
		if err := json.Unmarshal(d.body, &ev); err != nil || ev["event"] != want {
			t.Errorf("delivery %s: body %s does not match its event header %q", d.id, d.body, d.event)
		}
		if d.event == "installed" && ev["result"].(map[string]any)["state"] != "installed" {
			t.Errorf("an installed delivery whose result is not installed: %s", d.body)
		}
		if !d.verified {
			t.Errorf("delivery %s (%s): signature does not verify", d.id, d.event)
		}
		if ids[d.id] || len(d.id) != 32 {
			t.Errorf("delivery id %q repeated or malformed", d.id)
		}
		ids[d.id] = true
		if d.event == "installed" {
			images[ev["image"].(string)] = true
		}
		if d.event != "installed" && d.event != "job" {
			t.Errorf("a delivery of %q, which the webhook did not ask for", d.event)
		}
	}
	mu.Unlock()
	if len(images) != 3 {
		t.Errorf("installed deliveries for %v, want the three images", images)
	}
	m := p.metrics()
	if v := metricValue(m, `fetchd_webhook_deliveries_total{result="delivered",webhook="`+good.URL+`/hooks/fetchd"}`); v == "" || v == "0" {
		t.Errorf("no delivered webhooks in the metrics:\n%s", m)
	}
	if res := p.stop(); res.code != 0 {
		t.Errorf("serve after SIGTERM with a hanging webhook: exit %d\n%s", res.code, res.stderr)
	}
}

// TestServeRefusals: calls without the token, with a wrong token, with an
// oversized body, from another uid on the socket, and a TCP listener other
// machines could reach without a configured token are all refused.
func TestServeRefusals(t *testing.T) {
	t.Parallel()
	f := newServeWorld(t)
	shared, err := os.MkdirTemp("", "fetchd-serve-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(shared) })
	os.Chmod(shared, 0o755)
	sock := filepath.Join(shared, "api.sock")
	f.base += fmt.Sprintf("api:\n  socket: %s\n", sock)
	f.writeConfig()

	// Not on an address others can reach without a token the operator chose.
	if res := f.run("serve", "--listen", "0.0.0.0:0"); res.code != 2 || !strings.Contains(res.stderr, "api.token_file is not set") {
		t.Errorf("serve --listen 0.0.0.0:0 without api.token_file: exit %d\n%s", res.code, res.stderr)
	}

	p := startServe(f, "--listen", "127.0.0.1:0")
	tests := map[string]struct {
		method, path, body string
		hdr                map[string]string
		want               int
	}{
		"no token":             {"POST", "/v1/sync", "", nil, http.StatusUnauthorized},
		"wrong token":          {"POST", "/v1/sync", "", map[string]string{"Authorization": "Bearer " + strings.Repeat("0", 64)}, http.StatusForbidden},
		"not a bearer token":   {"POST", "/v1/sync", "", map[string]string{"Authorization": "Basic Zm9vOmJhcg=="}, http.StatusUnauthorized},
		"oversized body":       {"POST", "/v1/sync", `{"images":[]}` + strings.Repeat(" ", api.MaxBodyBytes), map[string]string{"Authorization": "Bearer " + p.token(), "Content-Type": "application/json"}, http.StatusRequestEntityTooLarge},
		"unknown body field":   {"POST", "/v1/sync", `{"everything":true}`, map[string]string{"Authorization": "Bearer " + p.token(), "Content-Type": "application/json"}, http.StatusBadRequest},
		"read on the socket":   {"GET", "/v1/images", "", nil, http.StatusOK},
		"cross-origin request": {"POST", "/v1/sync", "", map[string]string{"Authorization": "Bearer " + p.token(), "Origin": "https://evil.example"}, http.StatusForbidden},
	}
	for name, tc := range tests {
		code, body := p.call(tc.method, tc.path, tc.body, tc.hdr)
		if code != tc.want {
			t.Errorf("%s: %d %s, want %d", name, code, body, tc.want)
		}
		var eb api.ErrorBody
		if code >= 400 && (json.Unmarshal(body, &eb) != nil || eb.Status != code || eb.Error == "") {
			t.Errorf("%s: refusal without a JSON error body: %s", name, body)
		}
	}

	// Over TCP a read needs the token too, and Host must name loopback.
	addr := regexp.MustCompile(`http://(127\.0\.0\.1:[0-9]+)`).FindStringSubmatch(p.stderr.String())
	if addr == nil {
		t.Fatalf("no TCP address in serve's output:\n%s", p.stderr.String())
	}
	tcp := func(path string, hdr map[string]string) int {
		req, _ := http.NewRequest("GET", "http://"+addr[1]+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if h := hdr["Host"]; h != "" {
			req.Host = h
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for name, c := range map[string]struct {
		path string
		hdr  map[string]string
		want int
	}{
		"tcp read without token": {"/v1/images", nil, http.StatusUnauthorized},
		"tcp read with token":    {"/v1/images", map[string]string{"Authorization": "Bearer " + p.token()}, http.StatusOK},
		"tcp health":             {"/healthz", nil, http.StatusOK},
		"tcp rebinding host":     {"/healthz", map[string]string{"Host": "evil.example"}, http.StatusForbidden},
	} {
		if got := tcp(c.path, c.hdr); got != c.want {
			t.Errorf("%s: %d, want %d", name, got, c.want)
		}
	}

	// Another uid on the socket: its mode keeps it out; with the mode
	// opened, SO_PEERCRED still refuses it.
	if os.Getuid() == 0 {
		bin := sharedCopy(t, shared)
		cfg := filepath.Join(shared, "fetchd.yaml")
		os.WriteFile(cfg, []byte(fmt.Sprintf("dir: %s/images\napi:\n  socket: %s\n", shared, sock)), 0o644)
		asNobody := func() (string, int) {
			cmd := exec.Command(bin, "health", "--config", cfg)
			cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/"}
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			return string(out), code
		}
		if out, code := asNobody(); code != 1 || !strings.Contains(out, "permission denied") {
			t.Errorf("health as nobody on the 0600 socket: exit %d\n%s", code, out)
		}
		if err := os.Chmod(sock, 0o666); err != nil {
			t.Fatal(err)
		}
		if out, code := asNobody(); code != 1 || !strings.Contains(out, "answered 403") || !strings.Contains(out, "another uid") {
			t.Errorf("health as nobody on an opened socket: exit %d\n%s", code, out)
		}
	}
	if res := p.stop(); res.code != 0 {
		t.Errorf("serve after SIGTERM: exit %d\n%s", res.code, res.stderr)
	}
}

func testutilCheckMetrics(t *testing.T, exposition string) {
	t.Helper()
	testutil.CheckMetrics(t, []byte(exposition))
}

// TestServeHoldRollbackPrune: through the API, a hold keeps an image on
// its build when an update is applied, unhold lets it through, a rollback
// moves the name back to the kept build (checked again, then held), one
// to a build not kept fails saying which are, and prune first reports
// what it would free, then frees exactly that; each step is an event, and
// so is a build the sync's retention removes.
func TestServeHoldRollbackPrune(t *testing.T) {
	t.Parallel()
	f := newFaultWorld(t)
	serveOn(f)
	p := startServe(f)
	p.waitReady()
	const deb = "debian-13.qcow2"
	old := f.good[deb]
	var first api.Image
	p.getJSON("/v1/images/"+deb, &first)
	events, _ := p.stream("")
	image := func() api.Image {
		t.Helper()
		var im api.Image
		p.getJSON("/v1/images/"+deb, &im)
		return im
	}
	// job runs a job to its end and returns it and the events meanwhile.
	job := func(path, body, want string) (api.Job, []event) {
		t.Helper()
		id := p.submit(path, body)
		evs := until(t, events, jobEnded(id))
		j := p.waitJob(id)
		if j.State != want {
			t.Fatalf("POST %s %s: job %s %s (%s), want %s", path, body, id, j.State, j.Error, want)
		}
		return j, evs
	}
	sawEvent := func(evs []event, typ string) bool {
		for _, e := range evs {
			if e.typ == typ && (typ == "removed" || e.data["image"] == deb) {
				return true
			}
		}
		return false
	}

	// Held: applying an update leaves the build where it is.
	_, evs := job("/v1/images/"+deb+"/hold", `{"reason":"kernel regression"}`, api.JobSucceeded)
	if im := image(); !sawEvent(evs, "held") || !im.Held || !strings.Contains(im.Hold, "kernel regression") {
		t.Errorf("after hold: held event %v, image held %v hold %q", sawEvent(evs, "held"), im.Held, im.Hold)
	}
	newer := localPublishDebian(t, f)
	job("/v1/images/"+deb+"/update", "", api.JobSucceeded)
	if !bytes.Equal(f.read(deb), old) {
		t.Fatal("the held image moved to the newer build")
	}

	// Unheld, the update goes through; the old build is kept.
	job("/v1/images/"+deb+"/unhold", "", api.JobSucceeded)
	if im := image(); im.Hold != "" {
		t.Errorf("after unhold: hold %q", im.Hold)
	}
	job("/v1/images/"+deb+"/update", "", api.JobSucceeded)
	if !bytes.Equal(f.read(deb), newer.data) {
		t.Fatal("the update after unhold did not install the newer build")
	}
	cur := image()
	if len(cur.Builds) != 2 || cur.Builds[0].Role != "current" || cur.Builds[1].Role != "previous" || cur.Builds[1].Digest != first.Digest || cur.DiskBytes <= 0 {
		t.Fatalf("builds after the update: %+v (disk %d), want current and the previous %s", cur.Builds, cur.DiskBytes, first.Digest)
	}

	// Roll back to the kept build; then to one not kept.
	j, evs := job("/v1/images/"+deb+"/rollback", fmt.Sprintf(`{"version":%q}`, first.Digest), api.JobSucceeded)
	im := image()
	if !bytes.Equal(f.read(deb), old) || im.Digest != first.Digest || !im.Held || !sawEvent(evs, "held") || len(j.Results) != 1 || j.Results[0].State != "held" {
		t.Errorf("after the rollback: digest %s held %v, held event %v, job %+v; want %s, held", im.Digest, im.Held, sawEvent(evs, "held"), j, first.Digest)
	}
	if got := metricValue(p.metrics(), `fetchd_image_held{image="`+deb+`"}`); got != "1" {
		t.Errorf("fetchd_image_held after the rollback = %q, want 1", got)
	}
	j, _ = job("/v1/images/"+deb+"/rollback", `{"version":"20990101-1"}`, api.JobFailed)
	if !strings.Contains(j.Error, `no kept build "20990101-1"`) || !strings.Contains(j.Error, cur.Version) {
		t.Errorf("rollback to a build not kept: %q, want it to name the kept ones (%s)", j.Error, cur.Version)
	}
	if !bytes.Equal(f.read(deb), old) {
		t.Error("a refused rollback moved the name")
	}

	// Prune with nothing retained: the dry run says what would go, and
	// removes nothing; prune removes that.
	f.base += "retain: 0\n"
	f.writeConfig()
	if code, out := p.authed("POST", "/v1/reload", ""); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, out)
	}
	dry, _ := job("/v1/prune", `{"dry_run":true}`, api.JobSucceeded)
	if dry.Prune == nil || !dry.Prune.DryRun || len(dry.Prune.Removed) != 1 || dry.Prune.Removed[0].Digest != cur.Digest || dry.Prune.Freed <= 0 {
		t.Fatalf("prune dry run: %+v, want the newer build (%s) that the rollback left", dry.Prune, cur.Digest)
	}
	gone := dry.Prune.Removed[0].Path
	if _, err := os.Stat(gone); err != nil {
		t.Errorf("the dry run removed %s: %v", gone, err)
	}
	done, evs := job("/v1/prune", "", api.JobSucceeded)
	if done.Prune == nil || len(done.Prune.Removed) != 1 || done.Prune.Removed[0].Path != gone || done.Prune.Freed != dry.Prune.Freed || !sawEvent(evs, "removed") {
		t.Errorf("prune: %+v, removed event %v; want %s removed, %d bytes freed", done.Prune, sawEvent(evs, "removed"), gone, dry.Prune.Freed)
	}
	if _, err := os.Stat(gone); !os.IsNotExist(err) {
		t.Errorf("%s after prune: %v", gone, err)
	}
	im = image()
	if len(im.Builds) != 1 || !bytes.Equal(f.read(deb), old) {
		t.Fatalf("after prune: builds %+v, want only the current one, in place", im.Builds)
	}
	if code, _ := p.readiness(); code != http.StatusOK {
		t.Errorf("readiness %d after prune", code)
	}

	// Unheld, with retain: 0, an update moves the name and the sync itself
	// removes the build it left behind: a removed event says which, where
	// and why.
	left := im.Builds[0].Path
	job("/v1/images/"+deb+"/unhold", "", api.JobSucceeded)
	_, evs = job("/v1/images/"+deb+"/update", "", api.JobSucceeded)
	var told []string
	for _, e := range evs {
		if e.typ == "removed" {
			told = append(told, fmt.Sprintf("%s: %v", e.data["image"], e.data["message"]))
		}
	}
	if len(told) != 1 || !strings.HasPrefix(told[0], deb+": removed build ") || !strings.Contains(told[0], "("+left+", ") || !strings.HasSuffix(told[0], "bytes): beyond retain: 0") {
		t.Errorf("removed events of the update: %q, want one for %s beyond retain: 0", told, left)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) || !bytes.Equal(f.read(deb), newer.data) {
		t.Errorf("after the update with retain: 0: %s: %v; the name has the newer build: %v", left, err, bytes.Equal(f.read(deb), newer.data))
	}
	if res := p.stop(); res.code != 0 {
		t.Errorf("serve after SIGTERM: exit %d\n%s", res.code, res.stderr)
	}
	f.checkFinalPaths()
}
