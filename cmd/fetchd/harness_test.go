package main

// The fault suite's harness: a "world" where the three default images are
// installed from replicas by the real fetchd binary, a way to run fetchd
// again under a fault, and the checks every fault case makes.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/testutil"
	"github.com/sandlabx/fetchd/internal/testworld"
)

// defaultImages are the three images every fault world starts with.
var defaultImages = []string{"alpine-3.qcow2", "debian-13.qcow2", "ubuntu-24-lts.qcow2"}

type faultWorld struct {
	t       *testing.T
	root    string
	srv     *replica.Server
	world   *testworld.World
	factory *testutil.Qcow2Factory
	cfgPath string
	images  string
	// tmp is the TMPDIR of every fetchd run: plugin sockets live under it,
	// which is how leftover plugin processes are found.
	tmp string
	// base is the config without extra images; extra holds images added
	// by a case (YAML lines under images:).
	base, extra string
	// good holds the bytes of each image as installed by the first sync.
	good map[string][]byte
	// env is added to every run's environment.
	env []string
}

// newFaultWorld serves replicas of the three upstreams and installs the
// three default images with a first, clean sync.
func newFaultWorld(t *testing.T) *faultWorld {
	t.Helper()
	qemuImg := testutil.RequireQemuImg(t)
	f := &faultWorld{t: t, root: t.TempDir(), good: map[string][]byte{}}
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
	f.base = f.world.Config(f.srv.URL+"/upstream", f.images) + "idle_timeout: 2s\n"
	f.cfgPath = filepath.Join(f.root, "fetchd.yaml")
	f.writeConfig()
	res := f.run("sync")
	if res.code != 0 {
		t.Fatalf("setup sync failed (exit %d):\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	for _, name := range defaultImages {
		f.good[name] = f.read(name)
	}
	t.Cleanup(func() { f.checkNoProcesses() })
	return f
}

func (f *faultWorld) writeConfig() {
	f.t.Helper()
	cfg := f.base
	if f.extra != "" {
		cfg = strings.Replace(cfg, "images:\n", "images:\n"+f.extra, 1)
	}
	if err := os.WriteFile(f.cfgPath, []byte(cfg), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// addImages adds image entries (YAML lines indented by two spaces, as under
// images:) to the config.
func (f *faultWorld) addImages(lines string) {
	f.extra += lines
	f.writeConfig()
}

// serveFile puts data at rel under the server's root and returns its URL
// and sha256.
func (f *faultWorld) serveFile(rel string, data []byte) (url, sha string) {
	f.t.Helper()
	if err := replica.WriteFile(f.root, rel, data, time.Time{}); err != nil {
		f.t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return f.srv.URL + "/" + rel, hex.EncodeToString(sum[:])
}

func (f *faultWorld) read(name string) []byte {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.images, name))
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// upstreamURLPath is the URL path of a file of the served world, given its
// path relative to one distro's replica root.
func upstreamURLPath(distro, rel string) string { return "/upstream/" + distro + "/" + rel }

type runResult struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
	summary        map[string]string // image -> outcome, from --json runs
}

// run runs the real fetchd with args (and --config), bounded by a timeout:
// every fault case must end on its own.
func (f *faultWorld) run(args ...string) runResult {
	f.t.Helper()
	return f.runRaw(append(args, "--config", f.cfgPath)...)
}

// runRaw is run with exactly args.
func (f *faultWorld) runRaw(args ...string) runResult {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "fetchd", args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + f.root, "TMPDIR=" + f.tmp}, f.env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	res := runResult{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	if ctx.Err() != nil {
		f.t.Fatalf("fetchd %v did not end within the timeout:\n%s\n%s", args, res.stdout, res.stderr)
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		f.t.Fatalf("running fetchd: %v", err)
	}
	return res
}

// syncJSON runs `fetchd sync --json` with extra args and parses the outcome
// of each image.
func (f *faultWorld) syncJSON(args ...string) runResult {
	f.t.Helper()
	res := f.run(append([]string{"sync", "--json"}, args...)...)
	var doc struct {
		Images []struct {
			Name  string `json:"name"`
			State string `json:"state"`
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil && res.code != 2 {
		f.t.Fatalf("fetchd sync --json output is not JSON (%v):\n%s\n%s", err, res.stdout, res.stderr)
	}
	res.summary = map[string]string{}
	for _, im := range doc.Images {
		res.summary[im.Name] = im.State
	}
	return res
}

// expect is what a fault case must end with.
type expect struct {
	code int
	// failed maps each image expected to fail to a substring its error
	// must contain; every other configured image must end ok.
	failed map[string]string
	// changed lists default images the run may legitimately replace.
	changed []string
}

// check asserts the invariants every fault case shares: the exit code; each
// failed image named in an error with its cause; the other images fine;
// the previously good images byte-for-byte intact; nothing at a final path
// that is not a verified image; no process left behind.
func (f *faultWorld) check(res runResult, want expect) {
	f.t.Helper()
	if res.code != want.code {
		f.t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, want.code, res.stdout, res.stderr)
	}
	for name, cause := range want.failed {
		prefix := "fetchd: error: " + name + ": "
		found := false
		for _, line := range strings.Split(res.stderr, "\n") {
			if strings.HasPrefix(line, prefix) && strings.Contains(line, cause) {
				found = true
			}
		}
		if !found {
			f.t.Errorf("no error line %q…%q in stderr:\n%s", prefix, cause, res.stderr)
		}
		if res.summary != nil && res.summary[name] == "" {
			f.t.Errorf("%s missing from the summary", name)
		}
	}
	for name, state := range res.summary {
		if _, bad := want.failed[name]; bad {
			continue
		}
		switch state {
		case "present", "installed", "updated", "replaced", "adopted", "outdated":
		default:
			f.t.Errorf("%s ended %q, want it unaffected by the fault", name, state)
		}
	}
	changed := map[string]bool{}
	for _, n := range want.changed {
		changed[n] = true
	}
	for name, good := range f.good {
		if changed[name] {
			continue
		}
		if got := f.read(name); !bytes.Equal(got, good) {
			f.t.Errorf("%s changed on disk (%d bytes, was %d)", name, len(got), len(good))
		}
	}
	f.checkFinalPaths()
	f.checkNoProcesses()
}

// checkFinalPaths: every name in the image directory is a hard link to a
// recorded build in the private directory, and holds exactly the bytes of
// that build's digest.
func (f *faultWorld) checkFinalPaths() {
	f.t.Helper()
	st, err := state.Load(f.images)
	if err != nil {
		f.t.Errorf("state: %v", err)
	}
	entries, err := os.ReadDir(f.images)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == state.PrivateDir {
			continue
		}
		b, ok := st.Current(e.Name())
		if !ok {
			f.t.Errorf("%s is at a final path with no record of being verified", e.Name())
			continue
		}
		p := filepath.Join(f.images, e.Name())
		var name, build unix.Stat_t
		if err := unix.Lstat(p, &name); err != nil {
			f.t.Error(err)
			continue
		}
		if err := unix.Lstat(filepath.Join(f.images, state.PrivateDir, "builds", b.File), &build); err != nil || name.Ino != build.Ino || name.Dev != build.Dev {
			f.t.Errorf("%s is not a link to its recorded build %s (%v)", e.Name(), b.File, err)
		}
		if got := fileDigest(f.t, p, b.Digest.String()); got != b.Digest.String() {
			f.t.Errorf("%s at a final path has %s, its record says %s", e.Name(), got, b.Digest)
		}
	}
}

// checkNoProcesses fails if a process started by this world's fetchd runs
// is still alive: plugins (their environment names a socket directory
// under the world's TMPDIR) or anything whose command line names the
// world's directory (qemu-img).
func (f *faultWorld) checkNoProcesses() {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := f.processes()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			f.t.Errorf("processes left running: %s", strings.Join(left, "; "))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (f *faultWorld) processes() []string {
	var left []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	self := fmt.Sprint(os.Getpid())
	for _, p := range procs {
		if filepath.Base(p) == self {
			continue
		}
		env, _ := os.ReadFile(filepath.Join(p, "environ"))
		cmdline, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		stat, _ := os.ReadFile(filepath.Join(p, "stat"))
		if isZombie(stat) {
			continue
		}
		if bytes.Contains(env, []byte("PLUGIN_UNIX_SOCKET_DIR="+f.tmp)) || bytes.Contains(cmdline, []byte(f.root)) {
			left = append(left, fmt.Sprintf("pid %s: %s", filepath.Base(p), strings.ReplaceAll(string(cmdline), "\x00", " ")))
		}
	}
	return left
}

func isZombie(stat []byte) bool {
	// /proc/<pid>/stat: "pid (comm) S ..."; the state follows the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

func fileDigest(t *testing.T, path, like string) string {
	t.Helper()
	algo, _, _ := strings.Cut(like, ":")
	out, err := exec.Command(algo+"sum", path).Output()
	if err != nil {
		t.Fatalf("%ssum %s: %v", algo, path, err)
	}
	hexDigits, _, _ := strings.Cut(string(out), " ")
	return algo + ":" + hexDigits
}
