package overlay

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/sandlabx/fetchd/internal/testutil"
)

// world is an image directory with a build and a name linked to it, and
// an overlay directory with real qemu-img overlays on both.
type world struct {
	images, overlays, build, name, other string
}

func newWorld(t *testing.T) world {
	t.Helper()
	testutil.RequireQemuImg(t)
	root := t.TempDir()
	w := world{images: filepath.Join(root, "images"), overlays: filepath.Join(root, "overlays")}
	builds := filepath.Join(w.images, ".fetchd", "builds")
	for _, d := range []string{builds, w.overlays} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	w.build = testutil.MakeQcow2(t, builds, "sha256-aaaa.qcow2", 4)
	w.other = testutil.MakeQcow2(t, builds, "sha256-bbbb.qcow2", 4)
	w.name = filepath.Join(w.images, "base.qcow2")
	if err := os.Link(w.build, w.name); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w world) overlay(t *testing.T, rel, backing string) string {
	t.Helper()
	p := filepath.Join(w.overlays, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	testutil.RunQemuImg(t, "create", "-f", "qcow2", "-b", backing, "-F", "qcow2", p)
	return p
}

func paths(os []Overlay) string { return strings.Join(Paths(os), ",") }

func TestScanIndex(t *testing.T) {
	w := newWorld(t)
	byName := w.overlay(t, "vm1.qcow2", w.name)
	byBuild := w.overlay(t, "lab/vm2.qcow2", w.build)
	// Relative to the overlay's own directory, as QEMU resolves it.
	rel, err := filepath.Rel(filepath.Join(w.overlays, "lab", "deep"), w.name)
	if err != nil {
		t.Fatal(err)
	}
	byRel := w.overlay(t, "lab/deep/vm3.qcow2", rel)
	onOther := w.overlay(t, "vm4.qcow2", w.other)
	// Not overlays: a base image, a text file, a raw file.
	testutil.MakeQcow2(t, w.overlays, "plain.qcow2", 1)
	must(t, os.WriteFile(filepath.Join(w.overlays, "notes.txt"), []byte("QFI"), 0o600))
	must(t, os.WriteFile(filepath.Join(w.overlays, "disk.raw"), make([]byte, 4096), 0o600))

	idx, err := Scan([]string{w.overlays}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Problems) != 0 {
		t.Fatalf("problems: %v", idx.Problems)
	}
	if got := len(idx.Overlays); got != 4 {
		t.Fatalf("%d overlays, want 4: %s", got, paths(idx.Overlays))
	}
	for _, tc := range []struct {
		what string
		got  []Overlay
		want []string
	}{
		{"by the name", idx.ByPath(w.name), []string{byRel, byName}},
		{"by the build path", idx.ByPath(w.build), []string{byBuild}},
		{"uses the build (path or inode)", idx.Uses(w.build), []string{byRel, byBuild, byName}},
		{"uses the name", idx.Uses(w.name), []string{byRel, byBuild, byName}},
		{"uses the other build", idx.Uses(w.other), []string{onOther}},
	} {
		got := Paths(tc.got)
		slices.Sort(got)
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", tc.what, got, want)
		}
	}
	// The name moves to the other build: overlays on the name now use it.
	must(t, os.Remove(w.name))
	must(t, os.Link(w.other, w.name))
	idx, err = Scan([]string{w.overlays}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := paths(idx.Uses(w.build)), byBuild; got != want {
		t.Errorf("after the move, uses the old build: %s, want %s", got, want)
	}
	if got := len(idx.Uses(w.other)); got != 3 {
		t.Errorf("after the move, %d overlays use the new build, want 3", got)
	}
	for _, o := range idx.ByPath(w.name) {
		if o.BackingFormat != "qcow2" {
			t.Errorf("%s: backing format %q", o.Path, o.BackingFormat)
		}
	}
}

// Symbolic links are not followed by the walk: neither a linked
// directory nor a linked overlay is read.
func TestScanNoSymlinks(t *testing.T) {
	w := newWorld(t)
	elsewhere := t.TempDir()
	hidden := filepath.Join(elsewhere, "vm.qcow2")
	testutil.RunQemuImg(t, "create", "-f", "qcow2", "-b", w.name, "-F", "qcow2", hidden)
	must(t, os.Symlink(elsewhere, filepath.Join(w.overlays, "linkdir")))
	must(t, os.Symlink(hidden, filepath.Join(w.overlays, "link.qcow2")))
	must(t, syscall.Mkfifo(filepath.Join(w.overlays, "fifo"), 0o600))
	idx, err := Scan([]string{w.overlays}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Overlays) != 0 || idx.Files != 0 {
		t.Fatalf("followed a symlink: %d overlays, %d files", len(idx.Overlays), idx.Files)
	}
	// The configured directory itself may be a symlink.
	idx, err = Scan([]string{filepath.Join(w.overlays, "linkdir")}, Limits{})
	if err != nil || len(idx.Overlays) != 1 {
		t.Fatalf("configured symlinked directory: %v, %d overlays", err, len(idx.Overlays))
	}
}

func TestScanBounds(t *testing.T) {
	w := newWorld(t)
	for i := range 5 {
		must(t, os.WriteFile(filepath.Join(w.overlays, "f"+string(rune('a'+i))), nil, 0o600))
	}
	if _, err := Scan([]string{w.overlays}, Limits{MaxFiles: 4}); err == nil || !strings.Contains(err.Error(), "more than 4 entries") {
		t.Fatalf("file cap: %v", err)
	}
	deep := filepath.Join(w.overlays, "a", "b", "c")
	must(t, os.MkdirAll(deep, 0o700))
	w.overlay(t, "a/b/c/vm.qcow2", w.name)
	idx, err := Scan([]string{w.overlays}, Limits{MaxDepth: 2})
	if err != nil || len(idx.Overlays) != 0 {
		t.Fatalf("depth cap 2 read a/b/c: %v, %d", err, len(idx.Overlays))
	}
	idx, err = Scan([]string{w.overlays}, Limits{MaxDepth: 3})
	if err != nil || len(idx.Overlays) != 1 {
		t.Fatalf("depth cap 3: %v, %d", err, len(idx.Overlays))
	}
	// A missing directory has no overlays; the same directory twice is
	// read once; a skipped directory is not read.
	idx, err = Scan([]string{filepath.Join(w.overlays, "none"), w.overlays, w.overlays}, Limits{Skip: []string{filepath.Join(w.overlays, "a")}})
	if err != nil || len(idx.Overlays) != 0 {
		t.Fatalf("missing/twice/skip: %v, %s", err, paths(idx.Overlays))
	}
	// A malformed qcow2 is a problem, named.
	bad := filepath.Join(w.overlays, "bad.qcow2")
	must(t, os.WriteFile(bad, []byte("QFI\xfb\x00\x00\x00\x09"), 0o600))
	idx, err = Scan([]string{w.overlays}, Limits{})
	if err != nil || len(idx.Problems) != 1 || idx.Problems[0].Path != bad {
		t.Fatalf("malformed: %v, %v", err, idx.Problems)
	}
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct{ dir, name, want string }{
		{"/o", "/i/base.qcow2", "/i/base.qcow2"},
		{"/o/lab", "../../i/base.qcow2", "/i/base.qcow2"},
		{"/o", "base.qcow2", "/o/base.qcow2"},
		{"/o", "file:/i/x.qcow2", "/i/x.qcow2"},
		{"/o", "nbd://host/x", ""},
		{"/o", `json:{"file":{"filename":"/i/x"}}`, ""},
		{"/o", "./a:b", "/o/a:b"},
	} {
		if got := Resolve(tc.dir, tc.name); got != tc.want {
			t.Errorf("Resolve(%q, %q) = %q, want %q", tc.dir, tc.name, got, tc.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
