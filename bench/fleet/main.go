// Command fleet measures the fleet story: one publisher and N consumers
// (separate image directories and fetchd processes) against an upstream
// replica served by nginx with every connection capped (limit_rate), and a
// real registry (Debian's docker-registry, TLS) on 127.0.0.1.
//
//	bench/fleet.sh                          # builds fetchd, then runs this
//	go run ./bench/fleet -fetchd ./fetchd -mib 64 -consumers 8 -cap 25m
//
// It measures, in one run: N direct syncs from upstream one after another
// and all at once, and the fleet way (the publisher syncs and publishes,
// then the N consumers sync from the registry at once), with the bytes
// upstream served for each (from nginx's access log). Needs nginx,
// qemu-img and docker-registry.
//
// With -uplink, every host reaches upstream through one shared link: a
// reverse proxy in this process, in front of nginx, whose answers all draw
// from one rate limiter (golang.org/x/time/rate), whatever the host or
// connection, as a lab's hosts share one uplink to the internet. nginx
// still caps each connection at -cap. The registry is on the lab's side of
// the uplink and is not limited.
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/sandlabx/fetchd/internal/testing/registry"
	"github.com/sandlabx/fetchd/internal/testutil"
	"github.com/sandlabx/fetchd/internal/testworld"
)

func main() {
	fetchd := flag.String("fetchd", "", "the fetchd binary to measure (required)")
	mib := flag.Int("mib", 64, "size of each default image, MiB of random data")
	consumers := flag.Int("consumers", 8, "consumer hosts")
	limit := flag.String("cap", "25m", "nginx limit_rate per connection (bytes/s, k/m suffix)")
	port := flag.Int("port", 38491, "port for the upstream replica")
	out := flag.String("out", "bench/out/fleet.md", "where to write the results (markdown)")
	plain := flag.Bool("plain-http", false, "run the registry over plain http (consumers write it as http://)")
	uplink := flag.String("uplink", "", "one rate limit (bytes/s, k/m suffix as nginx's) shared by all upstream traffic of all hosts; empty: none")
	work := flag.String("work", "", "working directory (default: a fresh one under /var/tmp, removed at the end)")
	flag.Parse()
	if *fetchd == "" {
		fail("need -fetchd")
	}
	b := &bench{fetchd: mustAbs(*fetchd), mib: *mib, n: *consumers, cap: *limit, port: *port, plain: *plain}
	if *uplink != "" {
		rate, err := parseRate(*uplink)
		check(err)
		b.uplink, b.uplinkRate = *uplink, rate
	}
	atExit = b.close
	if *work == "" {
		dir, err := os.MkdirTemp("/var/tmp", "fetchd-fleet-")
		check(err)
		defer os.RemoveAll(dir)
		*work = dir
	}
	b.work = mustAbs(*work)
	check(os.Chmod(b.work, 0o755)) // nginx workers run as another user
	defer b.close()
	check(b.setup())
	res := b.run()
	md := res.markdown(b)
	fmt.Print(md)
	check(os.MkdirAll(filepath.Dir(*out), 0o755))
	check(os.WriteFile(*out, []byte(md), 0o644))
}

type bench struct {
	fetchd, work string
	mib, n, port int
	cap          string
	plain        bool
	world        *testworld.World
	nginx        *exec.Cmd
	reg          *registry.Registry
	base         string
	// uplink is -uplink as given, uplinkRate in bytes/s; proxy serves it.
	uplink     string
	uplinkRate int
	proxy      *http.Server
	// uplinkBytes counts the image bytes that crossed the uplink (read
	// by the proxy and passed on to a host).
	uplinkBytes atomic.Int64
}

func (b *bench) close() {
	if b.proxy != nil {
		_ = b.proxy.Close()
	}
	if b.nginx != nil && b.nginx.Process != nil {
		// SIGTERM: the master stops its workers too (SIGKILL would leave
		// them holding the port).
		_ = b.nginx.Process.Signal(syscall.SIGTERM)
		_ = b.nginx.Wait()
	}
	if b.reg != nil {
		b.reg.Close()
	}
}

// bigImage reports whether a replica file is one of the three default
// images (for amd64): those get -mib of random data, the rest stay tiny.
func bigImage(name string) bool {
	return strings.Contains(name, "24.04-server-cloudimg-amd64") ||
		strings.Contains(name, "debian-13-generic-amd64") ||
		strings.Contains(name, "x86_64-uefi-cloudinit")
}

func (b *bench) setup() error {
	qemuImg, err := exec.LookPath("qemu-img")
	if err != nil {
		return err
	}
	factory, err := testutil.NewQcow2Factory(qemuImg, b.work)
	if err != nil {
		return err
	}
	n := 0
	content := func(name string) ([]byte, error) {
		if !bigImage(name) {
			return factory.Next(), nil
		}
		n++
		return randomQcow2(qemuImg, filepath.Join(b.work, fmt.Sprintf("big-%d", n)), b.mib)
	}
	if b.world, err = testworld.Write(filepath.Join(b.work, "srv", "upstream"), content); err != nil {
		return err
	}
	if err := b.startNginx(); err != nil {
		return err
	}
	b.reg, err = registry.Start(registry.Options{Dir: filepath.Join(b.work, "registry"), Auth: registry.None, PlainHTTP: b.plain})
	return err
}

// randomQcow2 makes a qcow2 holding mib MiB of random data (nothing
// compresses, every cluster allocated).
func randomQcow2(qemuImg, path string, mib int) ([]byte, error) {
	raw := make([]byte, mib<<20)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path+".raw", raw, 0o600); err != nil {
		return nil, err
	}
	defer os.Remove(path + ".raw")
	defer os.Remove(path)
	if out, err := exec.Command(qemuImg, "convert", "-q", "-f", "raw", "-O", "qcow2", path+".raw", path).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("qemu-img convert: %v: %s", err, out)
	}
	return os.ReadFile(path)
}

func (b *bench) startNginx() error {
	dir := filepath.Join(b.work, "nginx")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	conf := fmt.Sprintf(`daemon off;
worker_processes 2;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 512; }
http {
  log_format bytes '$request_uri $body_bytes_sent';
  access_log %[1]s/access.log bytes;
  sendfile on;
  default_type application/octet-stream;
  server { listen 127.0.0.1:%[2]d; root %[3]s; limit_rate %[4]s; }
}
`, dir, b.port, filepath.Join(b.work, "srv"), b.cap)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		return err
	}
	b.nginx = exec.Command("nginx", "-c", filepath.Join(dir, "nginx.conf"), "-p", dir)
	b.nginx.Stderr = os.Stderr
	if err := b.nginx.Start(); err != nil {
		return err
	}
	origin := fmt.Sprintf("http://127.0.0.1:%d", b.port)
	b.base = origin + "/upstream"
	ready := false
	for range 100 {
		if err := exec.Command("curl", "-sf", "-o", "/dev/null", b.base+"/ubuntu-replica-key.asc").Run(); err == nil {
			ready = true
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !ready {
		return fmt.Errorf("nginx did not answer on %s", b.base)
	}
	if b.uplink == "" {
		return nil
	}
	addr, err := b.startUplink(origin)
	if err != nil {
		return err
	}
	b.base = "http://" + addr + "/upstream"
	return nil
}

// startUplink starts the shared uplink in front of origin (nginx) and
// returns its address.
func (b *bench) startUplink(origin string) (string, error) {
	u, err := url.Parse(origin)
	if err != nil {
		return "", err
	}
	// The burst is small against the rate: no host gets more than 64 KiB
	// ahead of the shared budget.
	lim := rate.NewLimiter(rate.Limit(b.uplinkRate), 64<<10)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}
	rp.ModifyResponse = func(resp *http.Response) error {
		lb := &limitedBody{rc: resp.Body, lim: lim, req: resp.Request}
		if isImage(resp.Request.URL.Path) {
			lb.count = &b.uplinkBytes
		}
		resp.Body = lb
		return nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	b.proxy = &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = b.proxy.Serve(l) }()
	return l.Addr().String(), nil
}

// limitedBody reads an upstream answer's body no faster than the shared
// limiter allows.
type limitedBody struct {
	rc    io.ReadCloser
	lim   *rate.Limiter
	req   *http.Request
	count *atomic.Int64 // nil: not an image
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if len(p) > 32<<10 {
		p = p[:32<<10] // at most half the burst per wait
	}
	n, err := l.rc.Read(p)
	if n > 0 {
		if werr := l.lim.WaitN(l.req.Context(), n); werr != nil && err == nil {
			err = werr
		}
		if l.count != nil {
			l.count.Add(int64(n))
		}
	}
	return n, err
}

func (l *limitedBody) Close() error { return l.rc.Close() }

// parseRate reads a rate as nginx's limit_rate does: bytes/s, with k or m
// for 1024 or 1024².
func parseRate(s string) (int, error) {
	mult := 1
	num := strings.ToLower(s)
	switch {
	case strings.HasSuffix(num, "k"):
		mult, num = 1<<10, num[:len(num)-1]
	case strings.HasSuffix(num, "m"):
		mult, num = 1<<20, num[:len(num)-1]
	}
	v, err := strconv.Atoi(num)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("-uplink %q: want bytes/s, e.g. 25m", s)
	}
	return v * mult, nil
}

// imageBytes sums the body bytes nginx sent for image files (not
// metadata) so far.
func (b *bench) imageBytes() int64 {
	f, err := os.Open(filepath.Join(b.work, "nginx", "access.log"))
	if err != nil {
		return 0
	}
	defer f.Close()
	var total int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		uri, n, ok := strings.Cut(sc.Text(), " ")
		if !ok || !isImage(uri) {
			continue
		}
		v, _ := strconv.ParseInt(n, 10, 64)
		total += v
	}
	return total
}

// isImage reports whether an upstream path is an image file (not
// metadata).
func isImage(path string) bool {
	return strings.HasSuffix(path, ".qcow2") || strings.HasSuffix(path, ".img")
}

// host is one image directory with its config.
type host struct {
	dir, cfg string
}

func (b *bench) newHost(name, config string) host {
	h := host{dir: filepath.Join(b.work, "hosts", name)}
	check(os.MkdirAll(h.dir, 0o755))
	h.cfg = filepath.Join(h.dir, "fetchd.yaml")
	check(os.WriteFile(h.cfg, []byte(config), 0o644))
	return h
}

// regRoot is the repository root published under, as the operator writes it.
func (b *bench) regRoot() string {
	if b.plain {
		return "http://" + b.reg.Host + "/images"
	}
	return b.reg.Host + "/images"
}

func (b *bench) direct(name string) host {
	dir := filepath.Join(b.work, "hosts", name, "images")
	return b.newHost(name, b.world.Config(b.base, dir))
}

func (b *bench) consumer(name string) host {
	dir := filepath.Join(b.work, "hosts", name, "images")
	return b.newHost(name, fmt.Sprintf(`dir: %s
sources:
  oci:
    repository: %s
images:
  ubuntu-24-lts.qcow2: {source: oci}
  alpine-3.qcow2:      {source: oci}
  debian-13.qcow2:     {source: oci}
`, dir, b.regRoot()))
}

// fetchdRun runs fetchd with the host's config and fails on a non-zero exit.
func (b *bench) fetchdRun(h host, args ...string) {
	cmd := exec.Command(b.fetchd, append(args, "--config", h.cfg, "--quiet")...)
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+b.reg.CA.File, "DOCKER_CONFIG="+h.dir)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		fail(fmt.Sprintf("fetchd %v (%s): %v\n%s", args, h.dir, err, errb.String()))
	}
}

// all runs f for every host at once and returns the time until the last
// one is done.
func all(hosts []host, f func(host)) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	for _, h := range hosts {
		wg.Add(1)
		go func() { defer wg.Done(); f(h) }()
	}
	wg.Wait()
	return time.Since(start)
}

// served is what upstream served of image files: the bytes nginx sent
// (its access log) and, with -uplink, the bytes that crossed the uplink
// to a host. nginx's count can be higher: what it wrote into the proxy's
// socket for a request a host gave up on never crossed the uplink.
type served struct{ nginx, uplink int64 }

func (b *bench) served() served {
	return served{nginx: b.imageBytes(), uplink: b.uplinkBytes.Load()}
}

func (s served) since(before served) served {
	return served{nginx: s.nginx - before.nginx, uplink: s.uplink - before.uplink}
}

type results struct {
	imageBytes                        int64
	seq, par                          time.Duration
	seqBytes, parBytes                served
	pubSync, pubPublish, fleetConsume time.Duration
	fleetBytes                        served
	alone                             time.Duration
}

func (b *bench) run() results {
	var r results
	r.imageBytes = int64(3) * int64(b.mib) << 20
	logf("%d direct syncs, one after another", b.n)
	before := b.served()
	start := time.Now()
	for i := range b.n {
		b.fetchdRun(b.direct(fmt.Sprintf("seq-%d", i)), "sync")
	}
	r.seq, r.seqBytes = time.Since(start), b.served().since(before)

	logf("%d direct syncs at once", b.n)
	before = b.served()
	var hosts []host
	for i := range b.n {
		hosts = append(hosts, b.direct(fmt.Sprintf("par-%d", i)))
	}
	r.par = all(hosts, func(h host) { b.fetchdRun(h, "sync") })
	r.parBytes = b.served().since(before)

	logf("the fleet: publisher sync + publish, then %d consumers at once from the registry", b.n)
	before = b.served()
	pub := b.direct("publisher")
	start = time.Now()
	b.fetchdRun(pub, "sync")
	r.pubSync = time.Since(start)
	start = time.Now()
	b.fetchdRun(pub, "publish", "--to", b.regRoot())
	r.pubPublish = time.Since(start)
	hosts = nil
	for i := range b.n {
		hosts = append(hosts, b.consumer(fmt.Sprintf("consumer-%d", i)))
	}
	r.fleetConsume = all(hosts, func(h host) { b.fetchdRun(h, "sync") })
	r.fleetBytes = b.served().since(before)

	logf("one consumer alone from the registry")
	alone := b.consumer("consumer-alone")
	start = time.Now()
	b.fetchdRun(alone, "sync")
	r.alone = time.Since(start)
	return r
}

func (r results) markdown(b *bench) string {
	fleet := r.pubSync + r.pubPublish + r.fleetConsume
	var s strings.Builder
	uplink := "none (every host has its own link to upstream)"
	if b.uplink != "" {
		uplink = b.uplink + "/s shared by all hosts' upstream traffic"
	}
	fmt.Fprintf(&s, "Fleet: 1 publisher + %d consumers; three default images of %d MiB random data each; upstream capped at %s per connection (nginx limit_rate); shared uplink: %s; registry: docker-registry (distribution 2.8) over %s, uncapped, on the same 127.0.0.1.\n\n", b.n, b.mib, b.cap, uplink, map[bool]string{true: "plain http", false: "TLS"}[b.plain])
	upCol := b.uplink != ""
	if upCol {
		fmt.Fprintf(&s, "| measurement | time | image bytes nginx sent | image bytes through the uplink | × one sync's images (uplink) |\n|---|---|---|---|---|\n")
	} else {
		fmt.Fprintf(&s, "| measurement | time | image bytes upstream served | × one sync's images |\n|---|---|---|---|\n")
	}
	row := func(what string, d time.Duration, n served) {
		if upCol {
			fmt.Fprintf(&s, "| %s | %.2f s | %d | %d | %.2f |\n", what, d.Seconds(), n.nginx, n.uplink, float64(n.uplink)/float64(r.imageBytes))
			return
		}
		fmt.Fprintf(&s, "| %s | %.2f s | %d | %.2f |\n", what, d.Seconds(), n.nginx, float64(n.nginx)/float64(r.imageBytes))
	}
	row(fmt.Sprintf("%d direct syncs from upstream, one after another", b.n), r.seq, r.seqBytes)
	row(fmt.Sprintf("%d direct syncs from upstream, all at once", b.n), r.par, r.parBytes)
	row(fmt.Sprintf("fleet: publisher sync %.2f s + publish %.2f s + %d consumers from the registry at once %.2f s", r.pubSync.Seconds(), r.pubPublish.Seconds(), b.n, r.fleetConsume.Seconds()), fleet, r.fleetBytes)
	row("one consumer alone from the registry (what each host takes when hosts do not share a machine)", r.alone, served{})
	direct, fl := r.parBytes.nginx, r.fleetBytes.nginx
	if upCol {
		direct, fl = r.parBytes.uplink, r.fleetBytes.uplink
	}
	fmt.Fprintf(&s, "\nratios: fleet / sequential direct = %.2f; fleet / concurrent direct = %.2f; upstream bytes, direct / fleet = %.1f\n",
		fleet.Seconds()/r.seq.Seconds(), fleet.Seconds()/r.par.Seconds(), float64(direct)/float64(max(fl, 1)))
	return s.String()
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "fleet: "+format+"\n", args...) }

func check(err error) {
	if err != nil {
		fail(err.Error())
	}
}

// atExit stops the servers when the benchmark fails.
var atExit = func() {}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "fleet: "+msg)
	atExit()
	os.Exit(1)
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	check(err)
	return a
}
