package main

// Migration, end to end: a directory as the fetchd before builds left it
// (plain read-only files at the names, a version 1 state.json) with a VM
// disk made on one of them, taken over by the first sync.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sandlabx/fetchd/internal/state"
)

// TestFaultLocalMigration: the three default images laid out as an older
// fetchd wrote them, and a qcow2 overlay (with a guest write) whose backing
// file is one of the names. The first sync takes every image over without
// a download, keeps the inode at each name (so the overlay's backing file
// is the very same bytes), and the overlay reads the same and checks clean.
func TestFaultLocalMigration(t *testing.T) {
	t.Parallel()
	f := newFaultWorld(t)
	qemuImg := "qemu-img"
	qemuIO, err := exec.LookPath("qemu-io")
	if err != nil {
		t.Skip("qemu-io is needed to write into the overlay")
	}
	writeVersion1Layout(t, f)

	inodes := map[string]uint64{}
	for _, n := range defaultImages {
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(f.images, n), &st); err != nil {
			t.Fatal(err)
		}
		inodes[n] = st.Ino
	}
	const base = "alpine-3.qcow2"
	overlays := filepath.Join(f.root, "overlays")
	if err := os.Mkdir(overlays, 0o755); err != nil {
		t.Fatal(err)
	}
	vm := filepath.Join(overlays, "vm1.qcow2")
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	// fetchd knows where the VM disks are: the take-over must not be held
	// by them either (it moves no name).
	f.base = strings.Replace(f.base, "images:\n", "overlays: ["+overlays+"]\nimages:\n", 1)
	f.writeConfig()
	run(qemuImg, "create", "-q", "-f", "qcow2", "-b", filepath.Join(f.images, base), "-F", "qcow2", vm)
	run(qemuIO, "-c", "write -P 0x43 0 64k", vm)
	before := filepath.Join(f.root, "before.raw")
	run(qemuImg, "convert", "-O", "raw", vm, before)

	var gets int
	var mu sync.Mutex
	f.srv.Hook(func(_ http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && (strings.HasSuffix(r.URL.Path, ".qcow2") || strings.HasSuffix(r.URL.Path, ".img")) {
			mu.Lock()
			gets++
			mu.Unlock()
		}
		return false
	})
	res := f.syncJSON()
	f.check(res, expect{code: 0})
	for _, n := range defaultImages {
		if res.summary[n] != "present" {
			t.Errorf("%s: %q, want present (taken over)", n, res.summary[n])
		}
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(f.images, n), &st); err != nil || st.Ino != inodes[n] {
			t.Errorf("%s: the take-over replaced the file at the name (%v)", n, err)
		}
	}
	if !strings.Contains(res.stdout, "taken over from an earlier fetchd's layout") {
		t.Errorf("the result does not say the images were taken over:\n%s", res.stdout)
	}
	mu.Lock()
	if gets != 0 {
		t.Errorf("%d image downloads, want none", gets)
	}
	mu.Unlock()

	after := filepath.Join(f.root, "after.raw")
	run(qemuImg, "convert", "-O", "raw", vm, after)
	if !bytes.Equal(mustReadFile(t, before), mustReadFile(t, after)) {
		t.Errorf("the overlay reads differently after the take-over")
	}
	run(qemuImg, "check", vm)
	if st, err := state.Load(f.images); err != nil || st == nil {
		t.Errorf("state after the take-over: %v", err)
	}

	// The next sync trusts the new records.
	res = f.syncJSON()
	f.check(res, expect{code: 0})
	for _, n := range defaultImages {
		if res.summary[n] != "present" {
			t.Errorf("next sync: %s: %q, want present", n, res.summary[n])
		}
	}

	// The taken-over name is known to be the overlay's backing file: a
	// newer build is held, not moved under the VM disk.
	st, err := state.Load(f.images)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := st.Current(base)
	if _, err := f.world.Alpine.Publish(cur.Release, cur.Arch, cur.Variant); err != nil {
		t.Fatal(err)
	}
	res = f.syncJSON("--update", "always")
	if res.summary[base] != "held" || !strings.Contains(res.stdout, vm) {
		t.Errorf("a newer %s with an overlay on its name: %q, want held naming %s\n%s\n%s", base, res.summary[base], vm, res.stdout, res.stderr)
	}
	if !bytes.Equal(f.read(base), f.good[base]) {
		t.Errorf("%s moved under the overlay", base)
	}
	run(qemuImg, "convert", "-O", "raw", vm, after)
	if !bytes.Equal(mustReadFile(t, before), mustReadFile(t, after)) {
		t.Errorf("the overlay reads differently after the newer build was held")
	}
	run(qemuImg, "check", vm)
}

// writeVersion1Layout turns the world's installed directory into what the
// fetchd before builds wrote: each name a plain read-only file of its own
// (not a link to a build), no builds, a version 1 state.json with the same
// records.
func writeVersion1Layout(t *testing.T, f *faultWorld) {
	t.Helper()
	st, err := state.Load(f.images)
	if err != nil {
		t.Fatal(err)
	}
	type v1Image struct {
		Source      string    `json:"source,omitempty"`
		Release     string    `json:"release,omitempty"`
		Arch        string    `json:"arch,omitempty"`
		Variant     string    `json:"variant,omitempty"`
		Version     string    `json:"version,omitempty"`
		URL         string    `json:"url"`
		Format      string    `json:"format"`
		Digest      string    `json:"digest"`
		Size        int64     `json:"size"`
		MTime       time.Time `json:"mtime"`
		VerifiedAt  time.Time `json:"verified_at"`
		VerifiedBy  []string  `json:"verified_by"`
		ChecksumURL string    `json:"checksum_url,omitempty"`
		Signature   string    `json:"signature,omitempty"`
	}
	images := map[string]v1Image{}
	for _, n := range defaultImages {
		b, ok := st.Current(n)
		if !ok {
			t.Fatalf("%s has no record", n)
		}
		p := filepath.Join(f.images, n)
		data := f.read(n)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o444); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		images[n] = v1Image{
			Source: b.Source, Release: b.Release, Arch: b.Arch, Variant: b.Variant, Version: b.Version,
			URL: b.URL, Format: b.Format, Digest: b.Digest.String(), Size: fi.Size(), MTime: fi.ModTime().UTC(),
			VerifiedAt: b.VerifiedAt, VerifiedBy: b.VerifiedBy, ChecksumURL: b.ChecksumURL, Signature: b.Signature,
		}
	}
	priv := filepath.Join(f.images, state.PrivateDir)
	if err := os.RemoveAll(priv); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(priv, "partial"), 0o755); err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(map[string]any{"version": 1, "images": images})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(priv, "state.json"), doc, 0o644); err != nil {
		t.Fatal(err)
	}
}
