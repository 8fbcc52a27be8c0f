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
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

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
	work := flag.String("work", "", "working directory (default: a fresh one under /var/tmp, removed at the end)")
	flag.Parse()
	if *fetchd == "" {
		fail("need -fetchd")
	}
	b := &bench{fetchd: mustAbs(*fetchd), mib: *mib, n: *consumers, cap: *limit, port: *port, plain: *plain}
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
}

func (b *bench) close() {
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
	b.base = fmt.Sprintf("http://127.0.0.1:%d/upstream", b.port)
	for range 100 {
		if err := exec.Command("curl", "-sf", "-o", "/dev/null", b.base+"/ubuntu-replica-key.asc").Run(); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("nginx did not answer on %s", b.base)
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
		if !ok || !(strings.HasSuffix(uri, ".qcow2") || strings.HasSuffix(uri, ".img")) {
			continue
		}
		v, _ := strconv.ParseInt(n, 10, 64)
		total += v
	}
	return total
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

type results struct {
	imageBytes                        int64
	seq, par                          time.Duration
	seqBytes, parBytes                int64
	pubSync, pubPublish, fleetConsume time.Duration
	fleetBytes                        int64
	alone                             time.Duration
}

func (b *bench) run() results {
	var r results
	r.imageBytes = int64(3) * int64(b.mib) << 20
	logf("%d direct syncs, one after another", b.n)
	before := b.imageBytes()
	start := time.Now()
	for i := range b.n {
		b.fetchdRun(b.direct(fmt.Sprintf("seq-%d", i)), "sync")
	}
	r.seq, r.seqBytes = time.Since(start), b.imageBytes()-before

	logf("%d direct syncs at once", b.n)
	before = b.imageBytes()
	var hosts []host
	for i := range b.n {
		hosts = append(hosts, b.direct(fmt.Sprintf("par-%d", i)))
	}
	r.par = all(hosts, func(h host) { b.fetchdRun(h, "sync") })
	r.parBytes = b.imageBytes() - before

	logf("the fleet: publisher sync + publish, then %d consumers at once from the registry", b.n)
	before = b.imageBytes()
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
	r.fleetBytes = b.imageBytes() - before

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
	fmt.Fprintf(&s, "Fleet: 1 publisher + %d consumers; three default images of %d MiB random data each; upstream capped at %s per connection (nginx limit_rate); registry: docker-registry (distribution 2.8) over %s, uncapped, on the same 127.0.0.1.\n\n", b.n, b.mib, b.cap, map[bool]string{true: "plain http", false: "TLS"}[b.plain])
	fmt.Fprintf(&s, "| measurement | time | image bytes upstream served | × one sync's images |\n|---|---|---|---|\n")
	row := func(what string, d time.Duration, n int64) {
		fmt.Fprintf(&s, "| %s | %.2f s | %d | %.2f |\n", what, d.Seconds(), n, float64(n)/float64(r.imageBytes))
	}
	row(fmt.Sprintf("%d direct syncs from upstream, one after another", b.n), r.seq, r.seqBytes)
	row(fmt.Sprintf("%d direct syncs from upstream, all at once", b.n), r.par, r.parBytes)
	row(fmt.Sprintf("fleet: publisher sync %.2f s + publish %.2f s + %d consumers from the registry at once %.2f s", r.pubSync.Seconds(), r.pubPublish.Seconds(), b.n, r.fleetConsume.Seconds()), fleet, r.fleetBytes)
	row("one consumer alone from the registry (what each host takes when hosts do not share a machine)", r.alone, 0)
	fmt.Fprintf(&s, "\nratios: fleet / sequential direct = %.2f; fleet / concurrent direct = %.2f; upstream bytes, direct / fleet = %.1f\n",
		fleet.Seconds()/r.seq.Seconds(), fleet.Seconds()/r.par.Seconds(), float64(r.parBytes)/float64(max(r.fleetBytes, 1)))
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
