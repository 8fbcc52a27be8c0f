package main

// VM disks on the images: qcow2 overlays made by a lab backend in the
// overlay directory, written by a guest, then an update of the image they
// sit on. Real qemu-img and qemu-io throughout: what a VM reads through
// its overlay must not change because fetchd moved a name.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/internal/testutil"
)

// overlayWorld is a fault world with a direct-URL image base.qcow2
// (update: always) and an overlay directory in the config.
type overlayWorld struct {
	*faultWorld
	overlays string
	builds   string // where the test makes the images it serves
	n        int
}

const overlayImage = "base.qcow2"

func newOverlayWorld(t *testing.T) *overlayWorld {
	t.Helper()
	testutil.RequireQemuIO(t)
	f := newFaultWorld(t)
	w := &overlayWorld{faultWorld: f, overlays: filepath.Join(f.root, "overlays"), builds: t.TempDir()}
	if err := os.MkdirAll(w.overlays, 0o755); err != nil {
		t.Fatal(err)
	}
	f.base += "overlays: [" + w.overlays + "]\n"
	w.serve(0x41) // 4 MiB of 'A'
	res := f.syncJSON(overlayImage)
	if res.code != 0 || res.summary[overlayImage] != "installed" {
		t.Fatalf("installing %s: exit %d, %v\n%s", overlayImage, res.code, res.summary, res.stderr)
	}
	return w
}

// serve makes a 4 MiB qcow2 image filled with pattern, serves it at a new
// URL and points base.qcow2's config at it.
func (w *overlayWorld) serve(pattern byte) {
	w.t.Helper()
	w.n++
	p := testutil.MakeQcow2(w.t, w.builds, fmt.Sprintf("build%d.qcow2", w.n), 4)
	testutil.WriteQemuIO(w.t, "qcow2", p, fmt.Sprintf("write -P %#x 0 4M", pattern))
	data, err := os.ReadFile(p)
	if err != nil {
		w.t.Fatal(err)
	}
	u, sum := w.serveFile(fmt.Sprintf("direct/%d/base.qcow2", w.n), data)
	w.extra = ""
	w.addImages(fmt.Sprintf("  %s: {url: %q, checksum: \"sha256:%s\", update: always}\n", overlayImage, u, sum))
}

// overlay creates a VM disk on backing, as a lab backend does, and writes
// 64 KiB of 'C' at offset 0 through it, as a guest does.
func (w *overlayWorld) overlay(name, backing string) string {
	w.t.Helper()
	p := filepath.Join(w.overlays, name)
	testutil.RunQemuImg(w.t, "create", "-f", "qcow2", "-b", backing, "-F", "qcow2", p)
	testutil.WriteQemuIO(w.t, "qcow2", p, "write -P 0x43 0 64k")
	return p
}

// reads checks what a VM reads through the overlay: its own 'C' at 0 and
// the base's pattern at 1 MiB; and that qemu-img check passes.
func (w *overlayWorld) reads(p string, base byte) {
	w.t.Helper()
	qio := testutil.RequireQemuIO(w.t)
	for _, c := range []string{"read -P 0x43 0 64k", fmt.Sprintf("read -P %#x 1M 64k", base)} {
		out, err := exec.Command(qio, "-f", "qcow2", "-r", "-c", c, p).CombinedOutput()
		if err != nil {
			w.t.Errorf("%s: qemu-io %q: %v\n%s", filepath.Base(p), c, err, out)
		}
	}
	if out, err := exec.Command(testutil.RequireQemuImg(w.t), "check", "-f", "qcow2", p).CombinedOutput(); err != nil {
		w.t.Errorf("qemu-img check %s: %v\n%s", p, err, out)
	}
}

// backing is the overlay's backing file as qemu-img reads it.
func (w *overlayWorld) backing(p string) string {
	w.t.Helper()
	var info struct {
		Backing string `json:"backing-filename"`
	}
	out := testutil.RunQemuImg(w.t, "info", "--output=json", "-U", p)
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		w.t.Fatalf("qemu-img info %s: %v\n%s", p, err, out)
	}
	return info.Backing
}

// image is base.qcow2 in `fetchd status --json`.
type statusImage struct {
	State          string   `json:"state"`
	BuildPath      string   `json:"build_path"`
	HeldBy         []string `json:"held_by"`
	PendingPath    string   `json:"pending_path"`
	PendingVersion string   `json:"pending_version"`
	Rebased        []string `json:"rebased"`
	Forced         []string `json:"forced"`
	Note           string   `json:"note"`
	Builds         []struct {
		Role     string   `json:"role"`
		Path     string   `json:"path"`
		Overlays []string `json:"overlays"`
	} `json:"builds"`
}

func (w *overlayWorld) image(res runResult) statusImage {
	w.t.Helper()
	var doc struct {
		Images []struct {
			Name string `json:"name"`
			statusImage
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		w.t.Fatalf("not JSON (%v):\n%s\n%s", err, res.stdout, res.stderr)
	}
	for _, im := range doc.Images {
		if im.Name == overlayImage {
			return im.statusImage
		}
	}
	w.t.Fatalf("%s not in the output:\n%s", overlayImage, res.stdout)
	return statusImage{}
}

func (w *overlayWorld) buildPath() string {
	w.t.Helper()
	im := w.image(w.run("status", "--json", overlayImage))
	if im.BuildPath == "" {
		w.t.Fatal("status --json gives no build_path")
	}
	return im.BuildPath
}

// nameReads checks the bytes at the name: every byte is the image's
// pattern (read through qemu-io, the name is a qcow2 image).
func (w *overlayWorld) nameReads(pattern byte) {
	w.t.Helper()
	c := fmt.Sprintf("read -P %#x 0 4M", pattern)
	if out, err := exec.Command(testutil.RequireQemuIO(w.t), "-f", "qcow2", "-r", "-c", c, filepath.Join(w.images, overlayImage)).CombinedOutput(); err != nil {
		w.t.Errorf("the name: qemu-io %q: %v\n%s", c, err, out)
	}
}

// The scenario in each mode. A VM disk on the stable name holds
// the move (exit 3, the new build ready); --rebase-overlays is refused for
// a disk a process holds open and otherwise moves the disk to the old
// build's path first; a disk made on the build path needs nothing; and
// --force-move moves the name under a disk, which then reads the new
// build's bytes: why it is not the default.
func TestFaultOverlays(t *testing.T) {
	w := newOverlayWorld(t)
	name := filepath.Join(w.images, overlayImage)
	oldBuild := w.buildPath()
	vm1 := w.overlay("vm1.qcow2", name)

	// Held (the default).
	w.serve(0x42)
	res := w.run("sync", "--json")
	im := w.image(res)
	if res.code != exitHeld || im.State != "held" {
		t.Fatalf("held: exit %d, state %q, want %d and held\n%s\n%s", res.code, im.State, exitHeld, res.stdout, res.stderr)
	}
	if len(im.HeldBy) != 1 || im.HeldBy[0] != vm1 || im.PendingPath == "" || im.BuildPath != oldBuild {
		t.Fatalf("held: %+v", im)
	}
	if _, err := os.Stat(im.PendingPath); err != nil {
		t.Fatalf("the pending build is not kept ready: %v", err)
	}
	w.reads(vm1, 0x41)
	w.nameReads(0x41)
	// Again: held again, nothing downloaded (the pending build is reused).
	res = w.run("sync", "--json", overlayImage)
	if again := w.image(res); res.code != exitHeld || again.State != "held" || again.PendingPath != im.PendingPath {
		t.Fatalf("held again: exit %d, %+v\n%s", res.code, again, res.stderr)
	}
	if strings.Contains(res.stdout, `"bytes_transferred"`) {
		t.Errorf("the held sync downloaded again:\n%s", res.stdout)
	}

	// --rebase-overlays while a process holds the disk open (QEMU's
	// locks): refused, the move stays held, the message says why.
	held := holdOpen(t, vm1)
	res = w.run("sync", "--json", "--rebase-overlays", overlayImage)
	held.release()
	im = w.image(res)
	if res.code != exitHeld || im.State != "held" || !strings.Contains(im.Note, "in use") {
		t.Fatalf("rebase of an open disk: exit %d, %+v\n%s", res.code, im, res.stderr)
	}
	if got := w.backing(vm1); got != name {
		t.Fatalf("an open disk was rebased: backing %q", got)
	}
	w.reads(vm1, 0x41)

	// --rebase-overlays: the disk now names the old build's path; the
	// name moves.
	res = w.run("sync", "--json", "--rebase-overlays", overlayImage)
	im = w.image(res)
	if res.code != 0 || im.State != "updated" || len(im.Rebased) != 1 || im.Rebased[0] != vm1 {
		t.Fatalf("rebase: exit %d, %+v\n%s", res.code, im, res.stderr)
	}
	if got := w.backing(vm1); got != oldBuild {
		t.Fatalf("rebased disk: backing %q, want %q", got, oldBuild)
	}
	w.reads(vm1, 0x41)
	w.nameReads(0x42)

	// A disk made on the build path (from status --json): the name moves
	// without holding, the disk is untouched.
	bBuild := w.buildPath()
	vm2 := w.overlay("vm2.qcow2", bBuild)
	w.serve(0x44)
	res = w.run("sync", "--json", overlayImage)
	if im = w.image(res); res.code != 0 || im.State != "updated" || len(im.HeldBy) != 0 {
		t.Fatalf("build-path disk: exit %d, %+v\n%s", res.code, im, res.stderr)
	}
	if got := w.backing(vm2); got != bBuild {
		t.Fatalf("build-path disk was changed: backing %q", got)
	}
	w.reads(vm2, 0x42)
	w.reads(vm1, 0x41)
	w.nameReads(0x44)
	// status lists, per kept build, the disks that use it: vm2 the build
	// it was made on, vm1 the old build it was rebased onto.
	st := w.image(w.run("status", "--json", overlayImage))
	want := map[string]string{bBuild: vm2, oldBuild: vm1}
	for _, b := range st.Builds {
		if u, ok := want[b.Path]; ok {
			delete(want, b.Path)
			if len(b.Overlays) != 1 || b.Overlays[0] != u {
				t.Errorf("status: build %s (%s) used by %v, want [%s]", b.Path, b.Role, b.Overlays, u)
			}
		} else if len(b.Overlays) != 0 {
			t.Errorf("status: build %s (%s) used by %v, want none", b.Path, b.Role, b.Overlays)
		}
	}
	for p, u := range want {
		t.Errorf("status: the build %s that %s uses is not among the kept builds: %+v", p, u, st.Builds)
	}

	// --force-move: the name moves under a disk on the name, which now
	// reads the new build under its own blocks, and qemu-img check cannot
	// tell.
	vm3 := w.overlay("vm3.qcow2", name)
	w.serve(0x45)
	res = w.run("sync", "--json", "--force-move", overlayImage)
	im = w.image(res)
	if res.code != 0 || im.State != "updated" || len(im.Forced) != 1 || im.Forced[0] != vm3 {
		t.Fatalf("force: exit %d, %+v\n%s", res.code, im, res.stderr)
	}
	if !strings.Contains(res.stderr, "fetchd: warning: "+overlayImage+": moved with --force-move") {
		t.Errorf("no warning for the forced move:\n%s", res.stderr)
	}
	w.reads(vm3, 0x45) // 'E' at 1 MiB: no longer the 'D' its guest wrote on
	w.reads(vm2, 0x42)
	w.reads(vm1, 0x41)

	// A qcow2 file in the overlay directory whose header cannot be read
	// may use the name: the move is held, naming it (fail closed), and
	// --rebase-overlays cannot help.
	must(t, os.Remove(vm3))
	bad := filepath.Join(w.overlays, "bad.qcow2")
	must(t, os.WriteFile(bad, []byte("QFI\xfb\x00\x00\x00\x07 not a header fetchd can read"), 0o600))
	w.serve(0x46)
	for _, args := range [][]string{{}, {"--rebase-overlays"}} {
		res = w.run(append([]string{"sync", "--json", overlayImage}, args...)...)
		im = w.image(res)
		if res.code != exitHeld || im.State != "held" || len(im.HeldBy) != 1 || im.HeldBy[0] != bad || !strings.Contains(im.Note, "could not be read") {
			t.Fatalf("unreadable disk %v: exit %d, %+v\n%s", args, res.code, im, res.stderr)
		}
	}
	w.nameReads(0x45)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// openDisk is a qemu-io process holding a VM disk open read-write, with
// QEMU's locks, as a running VM does.
type openDisk struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func holdOpen(t *testing.T, p string) *openDisk {
	t.Helper()
	cmd := exec.Command(testutil.RequireQemuIO(t), "-f", "qcow2", p)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &openDisk{cmd: cmd, stdin: stdin}
	t.Cleanup(d.release)
	// qemu-io has the image open (and locked) once it answers a command.
	if _, err := io.WriteString(stdin, "read 0 512\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	var seen strings.Builder
	for !strings.Contains(seen.String(), "read 512/512 bytes") {
		b, err := r.ReadByte()
		if err != nil {
			t.Fatalf("qemu-io did not open %s: %v\n%s", p, err, seen.String())
		}
		seen.WriteByte(b)
	}
	go func() { _, _ = io.Copy(io.Discard, r) }()
	return d
}

func (d *openDisk) release() {
	if d.cmd.ProcessState != nil {
		return
	}
	_ = d.stdin.Close()
	_ = d.cmd.Wait()
}

// A user's own disk at a configured name (no build of fetchd's: no record
// of it, not upstream's bytes) with a VM disk made on it by the name:
// replacing it would move it aside and change what the VM reads, so it
// stays, held (exit 3), with upstream's build ready; --force-move moves it
// aside (kept) and the name to the build.
func TestFaultOverlaysOwnDisk(t *testing.T) {
	w := newOverlayWorld(t)
	name := filepath.Join(w.images, overlayImage)
	must(t, os.RemoveAll(filepath.Join(w.images, ".fetchd")))
	must(t, os.Remove(name))
	own := testutil.MakeQcow2(t, w.builds, "own.qcow2", 4)
	testutil.WriteQemuIO(t, "qcow2", own, "write -P 0x5a 0 4M")
	data, err := os.ReadFile(own)
	must(t, err)
	must(t, os.WriteFile(name, data, 0o644))
	vm := w.overlay("vm.qcow2", name)
	w.serve(0x42)

	res := w.run("sync", "--json", overlayImage)
	im := w.image(res)
	if res.code != exitHeld || im.State != "held" || len(im.HeldBy) != 1 || im.HeldBy[0] != vm || !strings.Contains(im.Note, "not a build fetchd installed") {
		t.Fatalf("own disk under a VM disk: exit %d, %+v\n%s", res.code, im, res.stderr)
	}
	if _, err := os.Stat(im.PendingPath); err != nil {
		t.Fatalf("upstream's build is not kept ready: %v", err)
	}
	w.reads(vm, 0x5a)
	w.nameReads(0x5a)

	res = w.run("sync", "--json", "--force-move", overlayImage)
	im = w.image(res)
	if res.code != 0 || im.State != "replaced" || len(im.Forced) != 1 || im.Forced[0] != vm {
		t.Fatalf("forced: exit %d, %+v\n%s", res.code, im, res.stderr)
	}
	w.nameReads(0x42)
	var aside []byte
	must(t, filepath.WalkDir(filepath.Join(w.images, ".fetchd", "aside"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			aside, err = os.ReadFile(p)
		}
		return err
	}))
	if !bytes.Equal(aside, data) {
		t.Fatalf("the own disk was not kept byte for byte in .fetchd/aside (%d bytes there)", len(aside))
	}
}
