package main

// fetchd as a container's entrypoint, run the way the container runs it
// (there is no container engine here): `fetchd sync --best-effort -- CMD`
// as uid 10001 (the image's user) on a mounted directory owned by root, and
// on a read-only root file system where only the image directory and the
// temporary directory are writable. TestFaultSignal has it as PID 1 of its
// own PID namespace receiving SIGTERM.

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// containerUID is the uid the fetchd image runs as (Dockerfile).
const containerUID = "10001"

// TestEntrypointUnwritableDir: `docker run -v $PWD/images:/images` makes
// the host directory owned by root when it does not exist; fetchd (uid
// 10001) cannot write there. It says so, with who it runs as, who owns
// the directory and what to do, exits 1 and starts nothing.
func TestEntrypointUnwritableDir(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run fetchd as another uid")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skipf("needs setpriv (util-linux): %v", err)
	}
	f := newFaultWorld(t)
	openForOthers(t, f)
	mounted := filepath.Join(f.root, "mnt", "images") // what the bind mount shows: root's, 0755
	if err := os.MkdirAll(mounted, 0o755); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(f.tmp, "server-started")
	p := localStartAs(f, []string{"setpriv", "--reuid", containerUID, "--regid", containerUID, "--clear-groups"}, []string{"FETCHD_DIR=" + mounted},
		"sync", "--best-effort", "--", "touch", marker)
	res := p.wait()
	if res.code != 1 {
		t.Errorf("exit code %d, want 1\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	want := "fetchd: hint: fetchd runs as uid 10001 and may not write in " + mounted + " (owner uid 0, mode 0755): "
	if !strings.Contains(res.stderr, "permission denied") || !strings.Contains(res.stderr, want) || !strings.Contains(res.stderr, "chown 10001") {
		t.Errorf("stderr lacks the permission error and the hint %q…:\n%s", want, res.stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("CMD started although fetchd could not use the image directory")
	}
}

// TestEntrypointReadOnlyRoot: a container with a read-only root file
// system (`read_only: true`) and a writable /tmp and /images: fetchd
// writes nothing anywhere else, installs the three images, and execs CMD.
func TestEntrypointReadOnlyRoot(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root for a mount namespace")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skipf("needs unshare (util-linux): %v", err)
	}
	f := newFaultWorld(t)
	images := filepath.Join(f.root, "ro-root-images")
	if err := os.Mkdir(images, 0o755); err != nil {
		t.Fatal(err)
	}
	// In a mount namespace of its own: the image directory and TMPDIR
	// stay writable (bind mounts of themselves), then the root file system
	// (this test's files included) becomes read-only.
	script := `set -e
mount --make-rprivate /
mount --bind "$IMAGES" "$IMAGES"
mount --bind "$TMPDIR" "$TMPDIR"
mount -o remount,bind,ro /
if touch /fetchd-ro-probe 2>/dev/null; then echo "root is writable" >&2; exit 99; fi
exec "$@"`
	p := localStartAs(f, []string{"unshare", "--mount", "sh", "-c", script, "sh"},
		[]string{"IMAGES=" + images, "FETCHD_DIR=" + images, "HOME=/nonexistent"},
		"sync", "--best-effort", "--", "sh", "-c", "echo server started")
	res := p.wait()
	if res.code == 99 || strings.Contains(res.stderr, "mount:") {
		t.Skipf("cannot make a read-only root here:\n%s", res.stderr)
	}
	if res.code != 0 || !strings.Contains(res.stdout, "server started") {
		t.Fatalf("exit code %d, want 0 and CMD started\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "fetchd: 3 of 3 images ready in "+images) {
		t.Errorf("not all images installed:\n%s", res.stdout)
	}
	for _, name := range defaultImages {
		if _, err := os.Stat(filepath.Join(images, name)); err != nil {
			t.Error(err)
		}
	}
}

// openForOthers lets another uid reach the world's config and write its
// TMPDIR, as a container's user can reach its own.
func openForOthers(t *testing.T, f *faultWorld) {
	t.Helper()
	for _, d := range []string{filepath.Dir(f.root), f.root} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(f.tmp, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
}

// TestEntrypointBackend: the stand-in lab backend (deploy/backend) started
// the way its image starts it. fetchd syncs, then execs the server, which
// keeps fetchd's PID: it serves the images fetchd verified, and a SIGTERM
// sent to that PID (docker stop) reaches the server.
func TestEntrypointBackend(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	switch {
	case err != nil && os.Getenv("FETCHD_REQUIRE_NODE") == "1":
		t.Fatalf("node is required (FETCHD_REQUIRE_NODE=1): %v", err)
	case err != nil:
		t.Skipf("needs node: %v", err)
	}
	server, err := filepath.Abs("../../deploy/backend/server.js")
	if err != nil {
		t.Fatal(err)
	}
	f := newFaultWorld(t)
	p := localStartAs(f, nil, []string{"FETCHD_DIR=" + f.images, "PORT=0"}, "sync", "--best-effort", "--", node, server)
	listening := regexp.MustCompile(`listening on :(\d+)`)
	localWaitFor(t, "the server to listen", p, func() bool { return listening.MatchString(p.stdout.String()) })
	if !strings.Contains(p.stdout.String(), "fetchd: 3 of 3 images ready in "+f.images) {
		t.Errorf("no summary before the server started:\n%s", p.stdout.String())
	}
	port := listening.FindStringSubmatch(p.stdout.String())[1]
	resp, err := http.Get("http://127.0.0.1:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Images []struct{ Name string } `json:"images"`
	}
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, im := range got.Images {
		names = append(names, im.Name)
	}
	if diff := cmp.Diff(defaultImages, names); diff != "" {
		t.Errorf("the server's images (-want +got):\n%s", diff)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	res := p.wait()
	if res.code != 0 || !strings.Contains(res.stdout, "lab backend: SIGTERM, stopping") {
		t.Errorf("the server did not get the SIGTERM sent to fetchd's PID (exit code %d):\n%s\n%s", res.code, res.stdout, res.stderr)
	}
}
