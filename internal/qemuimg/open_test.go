package qemuimg

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/internal/testutil"
)

// InfoOpen and CheckOpen look at the inode fetchd holds open, not at
// whatever its name points to by the time qemu-img runs.
func TestOpenChecksTheDescriptor(t *testing.T) {
	t.Parallel()
	testutil.RequireQemuImg(t)
	dir := t.TempDir()
	good := testutil.MakeQcow2(t, dir, "good.qcow2", 64)
	f, err := os.Open(good)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The name now holds an image qemu-img check refuses.
	bad := testutil.MakeQcow2(t, dir, "bad.qcow2", 64)
	writeAt(t, bad, 79, []byte{2}) // corrupt bit
	if err := os.Rename(bad, good); err != nil {
		t.Fatal(err)
	}
	r := &Runner{}
	info, err := r.InfoOpen(t.Context(), f, "qcow2")
	if err != nil {
		t.Fatalf("InfoOpen: %v", err)
	}
	if info.Filename != good || info.VirtualSize != 64<<20 {
		t.Errorf("info %+v, want %s of 64 MiB", info, good)
	}
	if _, err := r.CheckOpen(t.Context(), f, "qcow2"); err != nil {
		t.Fatalf("CheckOpen: %v", err)
	}
	// And a refusal names the file by its name, not by the descriptor.
	g, err := os.Open(good)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	_, err = r.InfoOpen(t.Context(), g, "qcow2")
	var re *RefusedError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), filepath.Base(good)) || strings.Contains(err.Error(), "/proc/self/fd") {
		t.Errorf("InfoOpen of the corrupt image: %v, want a refusal naming %s", err, good)
	}
	raw, err := os.Open(testutil.MakeImage(t, "raw", dir, "img.raw", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_, err = r.InfoOpen(t.Context(), raw, "qcow2")
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Args[len(ce.Args)-1] != raw.Name() || strings.Contains(err.Error(), "/proc/self/fd") {
		t.Errorf("InfoOpen of a raw file as qcow2: %v, want a command error naming %s", err, raw.Name())
	}
}
