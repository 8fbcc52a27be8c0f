package qcow2

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/internal/testutil"
)

// overlayHeader builds a version 3 header with a backing file name and,
// when format is set, a backing format extension before it.
func overlayHeader(name, format string) []byte {
	h := validV3()
	if format != "" {
		h.exts = append(h.exts, testExt{typ: ExtBackingFormat, data: []byte(format)})
	}
	b := h.bytes()
	// The name goes right after the extension area's end marker.
	off := uint64(h.headerLength)
	for _, e := range h.exts {
		off += 8 + (uint64(len(e.data))+7)&^7
	}
	off += 8
	b = append(b[:off], append([]byte(name), b[off:]...)...)
	binary.BigEndian.PutUint64(b[8:], off)
	binary.BigEndian.PutUint32(b[16:], uint32(len(name)))
	return b
}

func TestReadBacking(t *testing.T) {
	for _, tc := range []struct {
		name     string
		data     []byte
		want     Backing
		wantErr  error
		wantUnsf string
	}{
		{"none", validV3().bytes(), Backing{}, nil, ""},
		{"v2 none", validV2().bytes(), Backing{}, nil, ""},
		{"name and format", overlayHeader("/images/base.qcow2", "qcow2"), Backing{Name: "/images/base.qcow2", Format: "qcow2"}, nil, ""},
		{"relative, no format", overlayHeader("base.qcow2", ""), Backing{Name: "base.qcow2"}, nil, ""},
		{"raw text", []byte("not an image at all, just text"), Backing{}, ErrNotQcow2, ""},
		{"empty", nil, Backing{}, ErrNotQcow2, ""},
		{"magic only", []byte(Magic), Backing{}, nil, "file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadBacking(bytes.NewReader(tc.data), int64(len(tc.data)), 0)
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
			case tc.wantUnsf != "":
				ue, ok := errors.AsType[*UnsafeError](err)
				if !ok || ue.Field != tc.wantUnsf {
					t.Fatalf("err %v, want an *UnsafeError on %s", err, tc.wantUnsf)
				}
			case err != nil:
				t.Fatal(err)
			case got != tc.want:
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestReadBackingBounds(t *testing.T) {
	long := overlayHeader(strings.Repeat("a", MaxBackingName+1), "qcow2")
	if _, err := ReadBacking(bytes.NewReader(long), int64(len(long)), 0); err == nil || !strings.Contains(err.Error(), "at most 1023") {
		t.Fatalf("a 1024-byte name: %v", err)
	}
	b := overlayHeader("/images/base.qcow2", "qcow2")
	if _, err := ReadBacking(bytes.NewReader(b), int64(len(b)), 16); err != nil {
		t.Fatalf("a cap under 512 reads 512: %v", err)
	}
	far := validV3().bytes()
	binary.BigEndian.PutUint64(far[8:], 60000)
	binary.BigEndian.PutUint32(far[16:], 10)
	if _, err := ReadBacking(bytes.NewReader(far), int64(len(far)), 1024); err == nil || !strings.Contains(err.Error(), "past the 1024 bytes") {
		t.Fatalf("a name past the cap: %v", err)
	}
}

// TestReadBackingQemu reads the headers real qemu-img writes.
func TestReadBackingQemu(t *testing.T) {
	testutil.RequireQemuImg(t)
	dir := t.TempDir()
	base := filepath.Join(dir, "base.qcow2")
	run := func(args ...string) { t.Helper(); testutil.RunQemuImg(t, args...) }
	run("create", "-f", "qcow2", base, "4M")
	run("create", "-f", "qcow2", "-b", base, "-F", "qcow2", filepath.Join(dir, "abs.qcow2"))
	run("create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", filepath.Join(dir, "rel.qcow2"))
	run("create", "-f", "qcow2", "-o", "compat=0.10", "-b", base, "-F", "qcow2", filepath.Join(dir, "v2.qcow2"))
	for file, want := range map[string]Backing{
		"base.qcow2": {},
		"abs.qcow2":  {Name: base, Format: "qcow2"},
		"rel.qcow2":  {Name: "base.qcow2", Format: "qcow2"},
		"v2.qcow2":   {Name: base},
	} {
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := f.Stat()
		got, err := ReadBacking(f, fi.Size(), 0)
		f.Close()
		if err != nil || got != want {
			t.Errorf("%s: %+v, %v; want %+v", file, got, err, want)
		}
	}
}
