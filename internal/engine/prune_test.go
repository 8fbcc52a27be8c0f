package engine_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/sdk"
)

func buildFiles(t *testing.T, fx *fixture) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(fx.dir, ".fetchd", "builds"))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// Retention counts per image: with retain 2 the third previous build is
// removed by the sync that pushed it out, and a build another image still
// points at is never removed, whatever the first image's retain says.
func TestRetentionPerImage(t *testing.T) {
	t.Parallel()
	x := sourceImage("x.qcow2", "alpine", config.Always)
	x.Retain = 2
	y := sourceImage("y.qcow2", "debian", config.Never)
	y.Retain = 0
	fx := newFixture(t, x, y)
	bs := builds(t, 4)
	var arts []sdk.Artifact
	for i, b := range bs {
		arts = append(arts, fx.publish("v"+string(rune('1'+i))+"/x.qcow2", b, "v"+string(rune('1'+i))))
	}
	// y shares x's first build.
	fx.source("alpine").answer(arts[0])
	fx.source("debian").answer(arts[0])
	fx.sync(online)
	for i := 1; i < 4; i++ {
		fx.source("alpine").answer(arts[i])
		r := fx.sync(online)["x.qcow2"]
		if r.Outcome != engine.Updated {
			t.Fatalf("update %d: %s (%v)", i, r.Outcome, r.Err)
		}
		if contains(r.Note, "removed build") {
			t.Errorf("update %d removed a build: %s", i, r.Note)
		}
	}
	// v1 is beyond x's retain but y's current build: kept. v2..v4: x's.
	if n := buildFiles(t, fx); n != 4 {
		t.Fatalf("%d builds, want 4", n)
	}
	// A dry run removes nothing: every build is kept by an image.
	rep, err := fx.eng.Prune(t.Context(), true)
	if err != nil || len(rep.Removed) != 0 || len(rep.Kept) != 4 {
		t.Fatalf("prune --dry-run: removed %+v, kept %d (%v), want 4 kept", rep.Removed, len(rep.Kept), err)
	}
	// y moves off v1 (to v4): v1 is used by nothing now but x's history
	// beyond retain, so that sync removes it (y's retain is 0).
	fx.source("debian").answer(arts[3])
	fx.configure(x, func() config.Image { y.Update = config.Always; return y }())
	if r := fx.sync(online)["y.qcow2"]; r.Outcome != engine.Updated || !contains(r.Note, "removed build v1") {
		t.Fatalf("y: %s, note %q; want updated, removing v1", r.Outcome, r.Note)
	}
	rep, err = fx.eng.Prune(t.Context(), false)
	if err != nil || len(rep.Removed) != 0 || rep.Freed != 0 {
		t.Fatalf("prune after retention: removed %+v (%v), want nothing", rep.Removed, err)
	}
	wantNoFile(t, fx.buildPath(arts[0].Digest))
	for _, a := range arts[1:] {
		if _, err := os.Stat(fx.buildPath(a.Digest)); err != nil {
			t.Errorf("build %s: %v", a.Version, err)
		}
	}
	// Rollback lists what is kept when asked for something else.
	_, err = fx.eng.Rollback(t.Context(), "x.qcow2", "v1", engine.MoveOptions{})
	if re, ok := err.(*engine.RollbackError); !ok || len(re.Kept) != 2 {
		t.Fatalf("rollback to a removed build: %v, want a RollbackError listing v3 and v2", err)
	}
	res, err := fx.eng.Rollback(t.Context(), "x.qcow2", "v2", engine.MoveOptions{})
	if err != nil || res.Outcome != engine.Held || res.Local.Version != "v2" {
		t.Fatalf("rollback to v2: %+v, %v", res, err)
	}
	fx.wantLinked("x.qcow2", arts[1].Digest, bs[1])
	if r := fx.sync(online)["x.qcow2"]; r.Outcome != engine.Held {
		t.Errorf("sync after rollback: %s, want held", r.Outcome)
	}
}

// A pending build (committed, held back because a VM disk uses the name)
// is kept by prune, and so is the build the disk reads.
func TestPruneKeepsPending(t *testing.T) {
	t.Parallel()
	x := sourceImage("x.qcow2", "alpine", config.Always)
	x.Retain = 0
	fx := newFixture(t, x)
	vms := t.TempDir()
	fx.eng.Config.Overlays = []string{vms}
	bs := builds(t, 2)
	a1 := fx.publish("v1/x.qcow2", bs[0], "v1")
	a2 := fx.publish("v2/x.qcow2", bs[1], "v2")
	fx.source("alpine").answer(a1)
	fx.sync(online)
	out, err := exec.Command(fx.eng.QemuImg.Path, "create", "-q", "-f", "qcow2", "-b", fx.path("x.qcow2"), "-F", "qcow2", filepath.Join(vms, "vm.qcow2")).CombinedOutput()
	if err != nil {
		t.Fatalf("qemu-img create: %v: %s", err, out)
	}
	fx.source("alpine").answer(a2)
	if r := fx.sync(online)["x.qcow2"]; r.Outcome != engine.Held || r.Pending == nil {
		t.Fatalf("sync: %s, want held with a pending build", r.Outcome)
	}
	rep, err := fx.eng.Prune(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Removed) != 0 || len(rep.Kept) != 2 {
		t.Fatalf("prune: removed %+v, kept %+v; want both builds kept", rep.Removed, rep.Kept)
	}
	for _, a := range []sdk.Artifact{a1, a2} {
		if _, err := os.Stat(fx.buildPath(a.Digest)); err != nil {
			t.Errorf("build %s: %v", a.Version, err)
		}
	}
}

// A hold set before the image is installed: the first sync installs it,
// the next one keeps it on that build; Unhold lets the update through.
func TestHoldBeforeInstall(t *testing.T) {
	t.Parallel()
	x := sourceImage("x.qcow2", "alpine", config.Always)
	fx := newFixture(t, x)
	bs := builds(t, 2)
	a1 := fx.publish("v1/x.qcow2", bs[0], "v1")
	a2 := fx.publish("v2/x.qcow2", bs[1], "v2")
	res, err := fx.eng.Hold(t.Context(), "x.qcow2", "  pinned for the course  ")
	if err != nil || res.Outcome != engine.Missing || !contains(res.Hold, "(pinned for the course)") {
		t.Fatalf("hold: %s, hold %q, %v", res.Outcome, res.Hold, err)
	}
	fx.source("alpine").answer(a1)
	if r := fx.sync(online)["x.qcow2"]; r.Outcome != engine.Installed {
		t.Fatalf("first sync: %s (%v), want installed", r.Outcome, r.Err)
	}
	fx.source("alpine").answer(a2)
	if r := fx.sync(online)["x.qcow2"]; r.Outcome != engine.Held || !contains(r.Note, "pinned for the course") {
		t.Fatalf("second sync: %s, note %q; want held", r.Outcome, r.Note)
	}
	fx.wantLinked("x.qcow2", a1.Digest, bs[0])
	if _, err := fx.eng.Hold(t.Context(), "nosuch.qcow2", ""); err == nil {
		t.Error("hold of an image that is not configured: no error")
	}
	res, err = fx.eng.Unhold(t.Context(), "x.qcow2")
	if err != nil || res.Hold != "" {
		t.Fatalf("unhold: hold %q, %v", res.Hold, err)
	}
	if r := fx.sync(online)["x.qcow2"]; r.Outcome != engine.Updated {
		t.Fatalf("sync after unhold: %s, want updated", r.Outcome)
	}
	fx.wantLinked("x.qcow2", a2.Digest, bs[1])
}
