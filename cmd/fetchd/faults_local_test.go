package main

// Local faults, end to end: what happens on this machine while fetchd
// works — a full disk, fetchd killed mid-download or between fsync and
// rename, two fetchd at once, a read-only image directory, a damaged
// state file, an image modified after install.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const localDebian = "debian-13.qcow2"

// localBuffer is a bytes.Buffer safe to read while a process writes it.
type localBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *localBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *localBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// localProc is a fetchd run in the background, so that a test can watch
// it and kill it.
type localProc struct {
	t              *testing.T
	args           []string
	cmd            *exec.Cmd
	stdout, stderr localBuffer
	start          time.Time
	done           chan struct{}
	err            error
}

// localStart starts the real fetchd with args (and --config) and the
// environment of f.run plus env.
func localStart(f *faultWorld, env []string, args ...string) *localProc {
	f.t.Helper()
	return localStartAs(f, nil, env, args...)
}

// localStartAs is localStart with fetchd run by the command prefix (such
// as setpriv with its options), if not empty.
func localStartAs(f *faultWorld, prefix, env []string, args ...string) *localProc {
	f.t.Helper()
	p := &localProc{t: f.t, args: args, done: make(chan struct{})}
	argv := append(append(append([]string{}, prefix...), "fetchd"), withConfig(args, f.cfgPath)...)
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + f.root, "TMPDIR=" + f.tmp}, f.env...), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		f.t.Fatalf("starting fetchd: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	f.t.Cleanup(func() {
		if !p.exited() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// withConfig adds --config to args, before a "--" that starts sync's
// command.
func withConfig(args []string, cfg string) []string {
	out := append([]string{}, args...)
	for i, a := range out {
		if a == "--" {
			return append(append(out[:i:i], "--config", cfg), args[i:]...)
		}
	}
	return append(out, "--config", cfg)
}

func (p *localProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits (at most 3 minutes: every run must end on its own) and
// returns the result, with the summary parsed when it ran with --json.
func (p *localProc) wait() runResult {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(3 * time.Minute):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("fetchd %v did not end within the timeout:\n%s\n%s", p.args, p.stdout.String(), p.stderr.String())
	}
	res := runResult{stdout: p.stdout.String(), stderr: p.stderr.String(), elapsed: time.Since(p.start)}
	var ee *exec.ExitError
	switch {
	case errors.As(p.err, &ee):
		res.code = ee.ExitCode()
	case p.err != nil:
		p.t.Fatalf("running fetchd: %v", p.err)
	}
	for _, a := range p.args {
		if a == "--json" {
			res.summary = localSummary(p.t, res.stdout)
		}
	}
	return res
}

// kill sends SIGKILL to fetchd (nothing else: its plugins and qemu-img
// must die by themselves) and waits for it to be gone.
func (p *localProc) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatalf("killing fetchd: %v", err)
	}
	<-p.done
}

// localImageJSON is the part of an image's --json result these tests read.
type localImageJSON struct {
	Name        string `json:"name"`
	State       string `json:"state"`
	Digest      string `json:"digest"`
	Transferred int64  `json:"bytes_transferred"`
	Reused      int64  `json:"bytes_reused"`
}

func localImages(t *testing.T, stdout string) map[string]localImageJSON {
	t.Helper()
	var doc struct {
		Images []localImageJSON `json:"images"`
	}
	out := map[string]localImageJSON{}
	if strings.TrimSpace(stdout) == "" {
		return out
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("fetchd --json output is not JSON (%v):\n%s", err, stdout)
	}
	for _, im := range doc.Images {
		out[im.Name] = im
	}
	return out
}

func localSummary(t *testing.T, stdout string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for name, im := range localImages(t, stdout) {
		m[name] = im.State
	}
	return m
}

// localWaitFor polls cond every 10 ms for at most a minute; it fails the
// test if cond never holds or p (if not nil) ends first.
func localWaitFor(t *testing.T, what string, p *localProc, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if p != nil && p.exited() {
			t.Fatalf("fetchd ended before %s:\n%s\n%s", what, p.stdout.String(), p.stderr.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// localBuild is a newer Debian build published upstream.
type localBuild struct {
	urlPath string
	data    []byte
}

func localPublishDebian(t *testing.T, f *faultWorld) localBuild {
	t.Helper()
	b, err := f.world.Debian.Publish("13", "amd64", "generic")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(f.world.Root, "debian", filepath.FromSlash(b.Path)))
	if err != nil {
		t.Fatal(err)
	}
	return localBuild{urlPath: upstreamURLPath("debian", b.Path), data: data}
}

// localGate is a server hook that, until released, answers a fresh GET of
// one path (no Range, or a range from byte 0, which it answers like a
// server without ranges) with the first hold bytes, then stalls; it counts
// the requests for that path and records their Range headers.
type localGate struct {
	build localBuild
	hold  int
	open  chan struct{}
	once  sync.Once

	mu     sync.Mutex
	gets   int
	ranges []string
}

func newLocalGate(b localBuild) *localGate {
	return &localGate{build: b, hold: len(b.data) / 2, open: make(chan struct{})}
}

func (g *localGate) hook(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Path != g.build.urlPath {
		return false
	}
	g.mu.Lock()
	if r.Method == http.MethodGet {
		g.gets++
		g.ranges = append(g.ranges, r.Header.Get("Range"))
	}
	g.mu.Unlock()
	select {
	case <-g.open:
		return false // served normally, Range requests included
	default:
	}
	if r.Method != http.MethodGet || (r.Header.Get("Range") != "" && r.Header.Get("Range") != "bytes=0-") {
		return false // a resume is served normally
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(g.build.data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(g.build.data[:g.hold])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	select {
	case <-g.open:
		_, _ = w.Write(g.build.data[g.hold:])
	case <-r.Context().Done():
	}
	return true
}

func (g *localGate) release() { g.once.Do(func() { close(g.open) }) }

func (g *localGate) requests() (int, []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gets, append([]string(nil), g.ranges...)
}

// localPartialSize is the size of the biggest file in the partial
// directory (0 if there is none).
func localPartialSize(f *faultWorld) int64 {
	entries, _ := os.ReadDir(filepath.Join(f.images, ".fetchd", "partial"))
	var n int64
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Size() > n {
			n = fi.Size()
		}
	}
	return n
}

// localWatch samples the content of a final path until stopped, to show
// what a reader could have seen there at any point.
type localWatch struct {
	stop, done chan struct{}
	seen       map[string]bool // sha256 hex of each content seen
}

func localWatchFile(path string) *localWatch {
	w := &localWatch{stop: make(chan struct{}), done: make(chan struct{}), seen: map[string]bool{}}
	go func() {
		defer close(w.done)
		for {
			if b, err := os.ReadFile(path); err == nil {
				w.seen[localSHA(b)] = true
			} else {
				w.seen["error: "+err.Error()] = true
			}
			select {
			case <-w.stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return w
}

// check stops the watch and fails the test if anything but the allowed
// contents was ever seen.
func (w *localWatch) check(t *testing.T, name string, allowed ...[]byte) {
	t.Helper()
	close(w.stop)
	<-w.done
	ok := map[string]bool{}
	for _, b := range allowed {
		ok[localSHA(b)] = true
	}
	for s := range w.seen {
		if !ok[s] {
			t.Errorf("%s held something other than a verified image at some point: %s", name, s)
		}
	}
}

func localSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// localMount moves the image directory onto a fresh mount made by mount
// (called with the empty directory): the files are copied with their
// modification times, so state.json still vouches for them. The mount is
// undone when the test ends. A mount the kernel does not permit skips the
// test.
func localMount(t *testing.T, f *faultWorld, what string, mount func(dir string) error) {
	t.Helper()
	orig := f.images + ".orig"
	if err := os.Rename(f.images, orig); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(f.images, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mount(f.images); err != nil {
		_ = os.Remove(f.images)
		_ = os.Rename(orig, f.images)
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			t.Skipf("cannot mount %s here (%v): this case needs root with CAP_SYS_ADMIN", what, err)
		}
		t.Fatalf("mounting %s: %v", what, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(f.images, unix.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", f.images, err)
		}
	})
	if out, err := exec.Command("cp", "-a", orig+"/.", f.images).CombinedOutput(); err != nil {
		t.Fatalf("copying the image directory onto %s: %v\n%s", what, err, out)
	}
}

// TestFaultLocalDiskFull: the image directory's filesystem fills up while
// a newer build downloads. The error names the image and says why, the
// partial is removed, the installed build stays, and once there is room
// again the next sync installs the newer build.
func TestFaultLocalDiskFull(t *testing.T) {
	t.Parallel()
	f := newFaultWorld(t)
	localMount(t, f, "a tmpfs", func(dir string) error {
		return unix.Mount("tmpfs", dir, "tmpfs", 0, "size=8m,mode=0755")
	})
	b := localPublishDebian(t, f)
	g := newLocalGate(b)
	f.srv.Hook(g.hook)

	p := localStart(f, nil, "sync", "--json", "--update", "always")
	localWaitFor(t, "half the download in the partial file", p, func() bool { return localPartialSize(f) >= int64(g.hold) })
	filler := filepath.Join(f.images, ".fetchd", "filler")
	localFill(t, filler)
	g.release()
	res := p.wait()
	f.check(res, expect{code: 1, failed: map[string]string{localDebian: "no space left on the filesystem of " + f.images + " "}})
	if !strings.Contains(res.stderr, "fetchd: hint: free space on that filesystem") {
		t.Errorf("no hint about freeing space:\n%s", res.stderr)
	}
	if n := localPartialSize(f); n != 0 {
		t.Errorf("a %d-byte partial is left on the full filesystem", n)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	res = f.syncJSON("--update", "always")
	f.check(res, expect{code: 0, changed: []string{localDebian}})
	if res.summary[localDebian] != "updated" {
		t.Errorf("%s: %q after space was freed, want updated", localDebian, res.summary[localDebian])
	}
	if !bytes.Equal(f.read(localDebian), b.data) {
		t.Errorf("%s is not the newer build", localDebian)
	}
}

// localFill writes to path until the filesystem is full.
func localFill(t *testing.T, path string) {
	t.Helper()
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := fh.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", path, err)
			}
			break
		}
	}
	// Smaller writes take the last pages.
	for _, err := fh.Write(chunk[:1]); err == nil; _, err = fh.Write(chunk[:1]) {
	}
	if err := fh.Sync(); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
}

// TestFaultLocalKillMidDownload: fetchd is killed with SIGKILL while a
// newer build downloads. The installed build stays; the next sync resumes
// the partial (a Range request), verifies the whole and installs it.
func TestFaultLocalKillMidDownload(t *testing.T) {
	t.Parallel()
	f := newFaultWorld(t)
	b := localPublishDebian(t, f)
	g := newLocalGate(b)
	f.srv.Hook(g.hook)
	final := filepath.Join(f.images, localDebian)
	watch := localWatchFile(final)

	p := localStart(f, nil, "sync", "--json", "--update", "always")
	localWaitFor(t, "half the download in the partial file", p, func() bool { return localPartialSize(f) >= int64(g.hold) })
	p.kill()
	f.checkFinalPaths()
	f.checkNoProcesses()
	if got := f.read(localDebian); !bytes.Equal(got, f.good[localDebian]) {
		t.Fatalf("%s changed after fetchd was killed mid-download", localDebian)
	}

	g.release()
	res := f.syncJSON("--update", "always")
	watch.check(t, localDebian, f.good[localDebian], b.data)
	f.check(res, expect{code: 0, changed: []string{localDebian}})
	im := localImages(t, res.stdout)[localDebian]
	if im.State != "updated" {
		t.Errorf("%s: %q, want updated", localDebian, im.State)
	}
	if im.Reused != int64(g.hold) {
		t.Errorf("%s: %d bytes reused, want the %d of the partial", localDebian, im.Reused, g.hold)
	}
	if !bytes.Equal(f.read(localDebian), b.data) {
		t.Errorf("%s is not the newer build", localDebian)
	}
	gets, ranges := g.requests()
	// A fresh download asks for everything, with no Range (one connection)
	// or from byte 0 (several; the gate answers it like a server without
	// ranges); the resume asks for the rest.
	if len(ranges) > 0 && ranges[0] == "bytes=0-" {
		ranges[0] = ""
	}
	if want := []string{"", fmt.Sprintf("bytes=%d-", g.hold)}; gets != 2 || fmt.Sprint(ranges) != fmt.Sprint(want) {
		t.Errorf("GET requests for the build: %d with Range headers %q, want %q", gets, ranges, want)
	}
}

// TestFaultLocalKillRename: fetchd is killed with SIGKILL after the newer
// build is verified, made read-only and synced to disk, just before the
// rename. The final path never holds anything but the old or the new
// verified build; the next sync finishes the job from the verified partial.
// It runs as root, and as a process without CAP_DAC_OVERRIDE, as fetchd
// runs when it is not root: the read-only partial must not stop it.
func TestFaultLocalKillRename(t *testing.T) {
	t.Parallel()
	modes := map[string][]string{
		"root":  nil,
		"nocap": {"setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"},
	}
	for name, prefix := range modes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if prefix != nil {
				if _, err := exec.LookPath(prefix[0]); err != nil {
					t.Skipf("%s (util-linux) is needed to drop CAP_DAC_OVERRIDE: %v", prefix[0], err)
				}
			}
			localKillRename(t, prefix)
		})
	}
}

func localKillRename(t *testing.T, prefix []string) {
	f := newFaultWorld(t)
	b := localPublishDebian(t, f)
	g := newLocalGate(b)
	g.release() // count requests only
	f.srv.Hook(g.hook)
	final := filepath.Join(f.images, localDebian)
	watch := localWatchFile(final)

	marker := filepath.Join(f.root, "paused-before-rename")
	p := localStartAs(f, prefix, []string{"FETCHD_TEST_PAUSE_BEFORE_RENAME=" + marker}, "sync", "--json", "--update", "always")
	localWaitFor(t, "fetchd to pause before the rename", p, func() bool {
		_, err := os.Stat(marker)
		return err == nil
	})
	p.kill()
	f.checkFinalPaths()
	f.checkNoProcesses()
	if got := f.read(localDebian); !bytes.Equal(got, f.good[localDebian]) {
		t.Fatalf("%s changed although fetchd was killed before the rename", localDebian)
	}

	res := localStartAs(f, prefix, nil, "sync", "--json", "--update", "always").wait()
	watch.check(t, localDebian, f.good[localDebian], b.data)
	f.check(res, expect{code: 0, changed: []string{localDebian}})
	if res.summary[localDebian] != "updated" {
		t.Errorf("%s: %q, want updated", localDebian, res.summary[localDebian])
	}
	if !bytes.Equal(f.read(localDebian), b.data) {
		t.Errorf("%s is not the newer build", localDebian)
	}
	if gets, _ := g.requests(); gets != 1 {
		t.Errorf("%d GET requests for the build, want 1: the verified partial is complete", gets)
	}
	if left := imgPartialFiles(t, f); len(left) > 0 {
		t.Errorf("partial files left after the install: %q", left)
	}
}

// TestFaultLocalTwoSyncs: two `fetchd sync` on one directory at once. The
// second waits for the first, saying so; both end OK; the build is
// downloaded once.
func TestFaultLocalTwoSyncs(t *testing.T) {
	t.Parallel()
	f := newFaultWorld(t)
	b := localPublishDebian(t, f)
	g := newLocalGate(b)
	f.srv.Hook(g.hook)

	first := localStart(f, nil, "sync", "--json", "--update", "always")
	localWaitFor(t, "the first sync to be downloading", first, func() bool { return localPartialSize(f) >= int64(g.hold) })
	second := localStart(f, nil, "sync", "--json", "--update", "always")
	want := fmt.Sprintf("fetchd: waiting for another fetchd (pid %d) to finish with %s\n", first.cmd.Process.Pid, f.images)
	localWaitFor(t, "the second sync to wait", second, func() bool { return strings.Contains(second.stderr.String(), want) })
	g.release()

	r1 := first.wait()
	f.check(r1, expect{code: 0, changed: []string{localDebian}})
	r2 := second.wait()
	f.check(r2, expect{code: 0, changed: []string{localDebian}})
	if r1.summary[localDebian] != "updated" || r2.summary[localDebian] != "present" {
		t.Errorf("%s: %q then %q, want updated then present", localDebian, r1.summary[localDebian], r2.summary[localDebian])
	}
	if gets, _ := g.requests(); gets != 1 {
		t.Errorf("%d GET requests for the build, want 1", gets)
	}
	if !bytes.Equal(f.read(localDebian), b.data) {
		t.Errorf("%s is not the newer build", localDebian)
	}
}

// TestFaultLocalReadOnlyDir: the image directory is on a read-only mount
// and upstream has a newer build. fetchd cannot take its lock there: it
// says so, with advice, exits 1, and nothing changes.
func TestFaultLocalReadOnlyDir(t *testing.T) {
	t.Parallel()
	f := newFaultWorld(t)
	localMount(t, f, "a read-only bind mount", func(dir string) error {
		return unix.Mount(dir, dir, "", unix.MS_BIND, "")
	})
	// Bind mounted onto itself, filled; now made read-only.
	if err := unix.Mount("", f.images, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			t.Skipf("cannot remount read-only here (%v): this case needs root with CAP_SYS_ADMIN", err)
		}
		t.Fatal(err)
	}
	localPublishDebian(t, f)
	res := f.run("sync", "--update", "always")
	f.check(res, expect{code: 1})
	lock := filepath.Join(f.images, ".fetchd", "lock")
	if want := "fetchd: error: opening lock file: open " + lock + ": read-only file system\n"; !strings.HasPrefix(res.stderr, want) {
		t.Errorf("stderr does not start with %q:\n%s", want, res.stderr)
	}
	if !strings.Contains(res.stderr, "fetchd: hint: fetchd writes its lock, state and downloads in the image directory: mount it read-write") {
		t.Errorf("no hint about the read-only directory:\n%s", res.stderr)
	}
}

// TestFaultLocalState: state.json is garbage or cut short. sync warns,
// checks each image on disk against upstream — they match, so it adopts
// them without downloading — and ends with everything verified.
func TestFaultLocalState(t *testing.T) {
	t.Parallel()
	damage := map[string]func([]byte) []byte{
		"garbage":   func([]byte) []byte { return []byte("\x00\x17not json at all{{{") },
		"truncated": func(b []byte) []byte { return b[:len(b)/2] },
	}
	for name, cut := range damage {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFaultWorld(t)
			statePath := filepath.Join(f.images, ".fetchd", "state.json")
			data, err := os.ReadFile(statePath)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(statePath, cut(data), 0o644); err != nil {
				t.Fatal(err)
			}
			var imageGets int
			var mu sync.Mutex
			f.srv.Hook(func(_ http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, ".qcow2") || strings.HasSuffix(r.URL.Path, ".img") {
					mu.Lock()
					imageGets++
					mu.Unlock()
				}
				return false
			})

			res := f.syncJSON()
			f.check(res, expect{code: 0})
			if !strings.Contains(res.stderr, "fetchd: warning: state file "+statePath+" is unusable") {
				t.Errorf("no warning about the state file:\n%s", res.stderr)
			}
			for _, n := range defaultImages {
				if res.summary[n] != "adopted" {
					t.Errorf("%s: %q, want adopted", n, res.summary[n])
				}
			}
			mu.Lock()
			if imageGets != 0 {
				t.Errorf("%d image downloads, want none: the files on disk match upstream", imageGets)
			}
			mu.Unlock()

			// The state is whole again: the next sync trusts it.
			res = f.syncJSON()
			f.check(res, expect{code: 0})
			if strings.Contains(res.stderr, "warning") {
				t.Errorf("warnings on the next sync:\n%s", res.stderr)
			}
			for _, n := range defaultImages {
				if res.summary[n] != "present" {
					t.Errorf("next sync: %s: %q, want present", n, res.summary[n])
				}
			}
		})
	}
}

// TestFaultLocalModified: an installed image is changed on disk. verify
// reports it (exit 1, naming the image and the digests); the next sync
// replaces it with upstream's verified bytes.
func TestFaultLocalModified(t *testing.T) {
	t.Parallel()
	f := newFaultWorld(t)
	path := filepath.Join(f.images, localDebian)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	fh, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The last byte changes: same size, other content.
	if _, err := fh.WriteAt([]byte{0xee}, int64(len(f.good[localDebian])-1)); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}

	res := f.run("verify")
	if res.code != 1 {
		t.Errorf("verify: exit code %d, want 1\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if !regexp.MustCompile(`(?m)^  !! +` + regexp.QuoteMeta(localDebian) + ` +modified +digest mismatch: recorded sha512:`).MatchString(res.stdout) {
		t.Errorf("verify does not name the modified image and the mismatch:\n%s", res.stdout)
	}
	for _, n := range defaultImages {
		if n != localDebian && (strings.Contains(res.stderr, n) || !regexp.MustCompile(`(?m)^  ok +`+regexp.QuoteMeta(n)+` +verified`).MatchString(res.stdout)) {
			t.Errorf("verify reports %s, which is intact, as other than verified:\n%s\n%s", n, res.stdout, res.stderr)
		}
	}

	res = f.syncJSON()
	f.check(res, expect{code: 0})
	if res.summary[localDebian] != "replaced" {
		t.Errorf("%s: %q, want replaced", localDebian, res.summary[localDebian])
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o444 {
		t.Errorf("%s after the replacement: %v, %v; want mode 0444", localDebian, fi.Mode(), err)
	}
	if res := f.run("verify"); res.code != 0 {
		t.Errorf("verify after the replacement: exit code %d\n%s", res.code, res.stderr)
	}
}

// TestFaultLocalLongTmpdir: fetchd's TMPDIR is a long path. The plugins'
// Unix sockets live under it and a socket path must fit in 108 bytes;
// fetchd must still work (or say clearly what is wrong).
func TestFaultLocalLongTmpdir(t *testing.T) {
	t.Parallel()
	// Unix socket paths are limited to 108 bytes: with a long TMPDIR the
	// plugins' sockets would not fit and every plugin would fail to start.
	// fetchd falls back to /tmp for them (main.go, shortenTempDir).
	f := newFaultWorld(t)
	long := filepath.Join(f.tmp, strings.Repeat("t", 100-len(f.tmp)))
	if err := os.MkdirAll(long, 0o700); err != nil {
		t.Fatal(err)
	}
	b := localPublishDebian(t, f)
	res := localStart(f, []string{"TMPDIR=" + long}, "sync", "--json", "--update", "always").wait()
	f.check(res, expect{code: 0, changed: []string{localDebian}})
	if res.summary[localDebian] != "updated" {
		t.Errorf("%s: %q, want updated", localDebian, res.summary[localDebian])
	}
	if !bytes.Equal(f.read(localDebian), b.data) {
		t.Errorf("%s is not the newer build", localDebian)
	}
}

// TestFaultLocalStatusBeside: status beside a sync that is downloading
// says what that sync is doing, with its pid, instead of only what is on
// disk; once the sync is over, nothing of it is left.
func TestFaultLocalStatusBeside(t *testing.T) {
	t.Parallel()
	f := newFaultWorld(t)
	// The held download must not end by the idle timeout while status
	// looks at it, however slow the machine.
	f.base = strings.Replace(f.base, "idle_timeout: 2s\n", "idle_timeout: 5m\n", 1)
	f.writeConfig()
	b := localPublishDebian(t, f)
	g := newLocalGate(b)
	f.srv.Hook(g.hook)
	p := localStart(f, nil, "sync", "--update", "always")
	localWaitFor(t, "half the download in the partial file", p, func() bool { return localPartialSize(f) >= int64(g.hold) })
	pid := strconv.Itoa(p.cmd.Process.Pid)
	// The percentage, or the bytes when the size is unknown, once a
	// progress report has come in.
	busy := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(localDebian) + ` +present, downloading( \d+%| [0-9.]+ MiB)? \(pid ` + pid + `\) `)
	var res runResult
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last status:\n%s\n%s", res.stdout, res.stderr)
		}
	})
	localWaitFor(t, "status to show the download", p, func() bool {
		res = f.run("status")
		return busy.MatchString(res.stdout)
	})
	if res.code != 0 {
		t.Errorf("status: exit code %d:\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	js := f.run("status", "--json")
	if !strings.Contains(js.stdout, `"activity": "downloading `) || !strings.Contains(js.stdout, "(pid "+pid+")") {
		t.Errorf("status --json lacks the activity:\n%s", js.stdout)
	}
	g.release()
	if res := p.wait(); res.code != 0 {
		t.Fatalf("sync: exit code %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	res = f.run("status")
	if strings.Contains(res.stdout, "pid ") {
		t.Errorf("status after the sync still shows an activity:\n%s", res.stdout)
	}
	if _, err := os.Stat(filepath.Join(f.images, ".fetchd", "activity.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("activity record left after the sync: %v", err)
	}
}
