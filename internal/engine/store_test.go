package engine_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/store"
	"github.com/sandlabx/fetchd/sdk"
)

// A directory an earlier fetchd wrote (plain files at the names, a
// version 1 state) is taken over without downloading, and without
// changing the inode at the name: a VM disk whose backing file is the name
// keeps its very bytes.
func TestSyncTakesOverVersion1Layout(t *testing.T) {
	t.Parallel()
	const name = "alpine-3.qcow2"
	fx := newFixture(t, sourceImage(name, "alpine", config.Never))
	good := builds(t, 1)[0]
	art := fx.publish("v1/alpine.qcow2", good, "v1")
	fx.source("alpine").answer(art)
	writeVersion1(t, fx.dir, name, good, art)
	var before unix.Stat_t
	if err := unix.Lstat(fx.path(name), &before); err != nil {
		t.Fatal(err)
	}

	r := fx.sync(online)[name]
	if r.Outcome != engine.Present || r.Err != nil {
		t.Fatalf("sync: %s (%v), want present", r.Outcome, r.Err)
	}
	if !contains(r.Note, "taken over from an earlier fetchd's layout") {
		t.Errorf("note %q, want it to say the file was taken over", r.Note)
	}
	fx.wantLinked(name, art.Digest, good)
	var after unix.Stat_t
	if err := unix.Lstat(fx.path(name), &after); err != nil {
		t.Fatal(err)
	}
	if after.Ino != before.Ino {
		t.Error("the take-over replaced the file at the name")
	}
	if n := fx.requests(art); n != 0 {
		t.Errorf("%d image requests, want none", n)
	}
	if got, _ := fx.entry(name); got.Signature != "unsigned: test replica" || got.Version != "v1" {
		t.Errorf("the record's origin changed: %+v", got)
	}
	// The record now holds the configuration: update never needs no
	// upstream any more.
	calls := fx.source("alpine").Calls()
	if r := fx.sync(online)[name]; r.Outcome != engine.Present || r.Note != "upstream not checked (update: never)" {
		t.Errorf("next sync: %s (%q)", r.Outcome, r.Note)
	}
	if fx.source("alpine").Calls() != calls {
		t.Error("the next sync asked upstream although update is never")
	}
}

// writeVersion1 lays out name the way fetchd did before builds: the file
// at the name, read-only, and a version 1 state.json.
func writeVersion1(t *testing.T, dir, name string, data []byte, art sdk.Artifact) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o444); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	priv := filepath.Join(dir, state.PrivateDir)
	if err := os.MkdirAll(filepath.Join(priv, "partial"), 0o755); err != nil {
		t.Fatal(err)
	}
	v1 := `{"version": 1, "images": {"` + name + `": {"source": "alpine", "release": "3", "arch": "amd64", "variant": "cloudinit",
	  "version": "v1", "url": "` + art.URL + `", "format": "qcow2", "digest": "` + art.Digest.String() + `",
	  "size": ` + itoa(len(data)) + `, "mtime": "` + fi.ModTime().UTC().Format(time.RFC3339Nano) + `",
	  "verified_at": "2025-01-01T00:00:00Z", "verified_by": ["sha256", "qcow2-header", "qemu-img info", "qemu-img check"],
	  "checksum_url": "` + art.ChecksumURL + `", "signature": "unsigned: test replica"}}}`
	if err := os.WriteFile(filepath.Join(priv, "state.json"), []byte(v1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// Another user's file of the same size, with the mtime put back, copied
// over an installed image: the stamp's inode and owner differ, so the next
// sync hashes it, moves it aside and links the name to the build again;
// nothing is downloaded and nothing is deleted.
func TestSyncRepairsReplacedName(t *testing.T) {
	t.Parallel()
	const name = "alpine-3.qcow2"
	fx := newFixture(t, sourceImage(name, "alpine", config.Never))
	b := builds(t, 2)
	art := fx.publish("v1/alpine.qcow2", b[0], "v1")
	fx.source("alpine").answer(art)
	if r := fx.sync(online)[name]; r.Outcome != engine.Installed {
		t.Fatalf("first sync: %s (%v)", r.Outcome, r.Err)
	}
	fi, err := os.Stat(fx.path(name))
	if err != nil {
		t.Fatal(err)
	}
	tmp := fx.path(".swap")
	if err := os.WriteFile(tmp, b[1], 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(tmp, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(tmp, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, fx.path(name)); err != nil {
		t.Fatal(err)
	}

	r := fx.sync(online)[name]
	if r.Outcome != engine.Replaced || r.Err != nil {
		t.Fatalf("sync: %s (%v), want replaced", r.Outcome, r.Err)
	}
	fx.wantLinked(name, art.Digest, b[0])
	if len(r.MovedAside) != 1 || !bytes.Equal(mustRead(t, r.MovedAside[0]), b[1]) {
		t.Errorf("moved aside %v, want the other user's file kept", r.MovedAside)
	}
	if !contains(r.Note, "moved aside to "+r.MovedAside[0]) {
		t.Errorf("note %q, want it to name where the file went", r.Note)
	}
	if n := fx.requests(art); n != 1 {
		t.Errorf("%d image requests, want 1: the build was on disk", n)
	}
}

// A changed release, arch, variant, source, url or checksum replaces the
// image whatever the update policy; one the source does not offer fails
// the image (the build stays).
func TestSyncHonorsConfigChange(t *testing.T) {
	t.Parallel()
	const name = "alpine-3.qcow2"
	fx := newFixture(t, sourceImage(name, "alpine", config.Never))
	b := builds(t, 2)
	v1 := fx.publish("v1/alpine.qcow2", b[0], "3.22.1")
	src := fx.source("alpine").answer(v1)
	if r := fx.sync(online)[name]; r.Outcome != engine.Installed {
		t.Fatalf("first sync: %s (%v)", r.Outcome, r.Err)
	}
	other := fx.publish("v2/alpine.qcow2", b[1], "3.23.2")
	other.Release = "3.23"
	src.answer(other)
	im := sourceImage(name, "alpine", config.Never)
	im.Release = "3.23"
	fx.configure(im)
	r := fx.sync(online)[name]
	if r.Outcome != engine.Updated || r.Err != nil {
		t.Fatalf("sync after the release changed: %s (%v), want updated", r.Outcome, r.Err)
	}
	if !contains(r.Note, "the configuration changed: release 3 → 3.23") {
		t.Errorf("note %q, want it to say what changed", r.Note)
	}
	fx.wantLinked(name, other.Digest, b[1])

	im.Release = "9.99"
	fx.configure(im)
	src.fail(&notOfferedError{})
	r = fx.sync(online)[name]
	if r.Outcome != engine.Failed || !errors.Is(r.Err, sdk.ErrNotFound) {
		t.Fatalf("sync with a release the source does not offer: %s (%v), want failed", r.Outcome, r.Err)
	}
	fx.wantLinked(name, other.Digest, b[1])
}

type notOfferedError struct{}

func (*notOfferedError) Error() string { return `release "9.99" is not offered by alpine` }
func (*notOfferedError) Unwrap() error { return sdk.ErrNotFound }

// The hold key keeps the build whatever the policy, and says so.
func TestSyncHoldKey(t *testing.T) {
	t.Parallel()
	const name = "alpine-3.qcow2"
	im := sourceImage(name, "alpine", config.Always)
	fx := newFixture(t, im)
	b := builds(t, 2)
	src := fx.source("alpine").answer(fx.publish("v1/alpine.qcow2", b[0], "v1"))
	if r := fx.sync(online)[name]; r.Outcome != engine.Installed {
		t.Fatalf("first sync: %s (%v)", r.Outcome, r.Err)
	}
	v2 := fx.publish("v2/alpine.qcow2", b[1], "v2")
	src.answer(v2)
	im.Hold = true
	fx.configure(im)
	r := fx.sync(online)[name]
	if r.Outcome != engine.Held || !r.Outcome.OK() || r.Hold == "" || !contains(r.Note, "upstream has v2") {
		t.Fatalf("sync of a held image: %s (hold %q, note %q), want held", r.Outcome, r.Hold, r.Note)
	}
	wantFile(t, fx.path(name), b[0])
	if n := fx.requests(v2); n != 0 {
		t.Errorf("%d requests for the newer build of a held image, want none", n)
	}
}

// The private directory must be fetchd's: another user's .fetchd is
// refused before anything is read or written.
func TestSyncRefusesForeignPrivateDir(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, sourceImage("a.qcow2", "alpine", config.Notify))
	priv := filepath.Join(fx.dir, state.PrivateDir)
	if err := os.Mkdir(priv, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(priv, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, err := fx.eng.Sync(t.Context(), online)
	var ue *store.UnsafeError
	if !errors.As(err, &ue) || ue.Path != priv || !contains(ue.Problem, "owned by uid 65534") {
		t.Fatalf("Sync: %v, want an *UnsafeError naming %s", err, priv)
	}
	if n := fx.source("alpine").Calls(); n != 0 {
		t.Errorf("source called %d times", n)
	}
}
