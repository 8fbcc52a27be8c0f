package qemuimg

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/internal/testutil"
)

// Integration tests against the real qemu-img, under the default limits.

func TestQemuImgInfo(t *testing.T) {
	t.Parallel()
	testutil.RequireQemuImg(t)
	tests := map[string]struct {
		format  string
		make    func(t *testing.T, dir string) string
		refused string // "" = accepted
		failed  string // a *CommandError containing this
	}{
		"clean qcow2": {format: "qcow2", make: func(t *testing.T, dir string) string {
			return testutil.MakeQcow2(t, dir, "img.qcow2", 64)
		}},
		"qcow2 v2": {format: "qcow2", make: func(t *testing.T, dir string) string {
			return testutil.MakeQcow2(t, dir, "img.qcow2", 64, "-o", "compat=0.10")
		}},
		"raw": {format: "raw", make: func(t *testing.T, dir string) string {
			return testutil.MakeImage(t, "raw", dir, "img.raw", 64)
		}},
		"backing file": {format: "qcow2", refused: "backing file", make: func(t *testing.T, dir string) string {
			back := testutil.MakeImage(t, "raw", dir, "back.raw", 64)
			return testutil.MakeQcow2(t, dir, "img.qcow2", 64, "-b", back, "-F", "raw")
		}},
		"external data file": {format: "qcow2", refused: "external data file", make: func(t *testing.T, dir string) string {
			return testutil.MakeQcow2(t, dir, "img.qcow2", 64, "-o", "data_file="+filepath.Join(dir, "data.raw"))
		}},
		"luks encrypted": {format: "qcow2", refused: "encrypted", make: func(t *testing.T, dir string) string {
			return testutil.MakeQcow2(t, dir, "img.qcow2", 64, "--object", "secret,id=s0,data=pw",
				"-o", "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10")
		}},
		"corrupt bit": {format: "qcow2", refused: "marked corrupt", make: func(t *testing.T, dir string) string {
			p := testutil.MakeQcow2(t, dir, "img.qcow2", 64)
			writeAt(t, p, 79, []byte{2})
			return p
		}},
		"raw file as qcow2": {format: "qcow2", failed: "exit code 1: qemu-img: Could not open", make: func(t *testing.T, dir string) string {
			return testutil.MakeImage(t, "raw", dir, "img.raw", 1)
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := tc.make(t, t.TempDir())
			info, err := (&Runner{}).Info(t.Context(), p, tc.format)
			switch {
			case tc.refused != "":
				if re, ok := errors.AsType[*RefusedError](err); !ok || !strings.Contains(err.Error(), tc.refused) || re.Path != p {
					t.Fatalf("Info = %v, want a *RefusedError for %s containing %q", err, p, tc.refused)
				}
			case tc.failed != "":
				if _, ok := errors.AsType[*CommandError](err); !ok || !strings.Contains(err.Error(), tc.failed) {
					t.Fatalf("Info = %v, want a *CommandError containing %q", err, tc.failed)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if info.Format != tc.format || info.VirtualSize != 64<<20 || info.Filename != p {
					t.Errorf("Info = %+v", info)
				}
			}
		})
	}
}

func TestQemuImgCheck(t *testing.T) {
	t.Parallel()
	testutil.RequireQemuImg(t)
	tests := map[string]struct {
		format  string
		damage  func(t *testing.T, p string)
		status  CheckStatus
		refused bool
		failed  string
	}{
		"clean":          {format: "qcow2", status: CheckClean},
		"leaked cluster": {format: "qcow2", damage: leakCluster, status: CheckLeaks},
		"corrupt":        {format: "qcow2", damage: corruptRefcount, refused: true},
		"raw":            {format: "raw", status: CheckUnsupported},
		"bad header":     {format: "qcow2", damage: func(t *testing.T, p string) { writeAt(t, p, 20, []byte{0, 0, 0, 40}) }, failed: "exit code 1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := testutil.MakeImage(t, tc.format, t.TempDir(), "img", 64)
			testutil.WriteQemuIO(t, tc.format, p, "write -P 0xab 0 64k")
			if tc.damage != nil {
				tc.damage(t, p)
			}
			c, err := (&Runner{}).Check(t.Context(), p, tc.format)
			switch {
			case tc.refused:
				if _, ok := errors.AsType[*RefusedError](err); !ok || !strings.Contains(err.Error(), "image is corrupt") {
					t.Fatalf("Check = %v, want a *RefusedError for corruption", err)
				}
				if !strings.Contains(err.Error(), "ERROR cluster") {
					t.Errorf("error %q lacks qemu-img's stderr", err)
				}
			case tc.failed != "":
				if _, ok := errors.AsType[*CommandError](err); !ok || !strings.Contains(err.Error(), tc.failed) {
					t.Fatalf("Check = %v, want a *CommandError containing %q", err, tc.failed)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if c.Status != tc.status {
					t.Errorf("Status = %q, want %q (%+v)", c.Status, tc.status, c)
				}
			}
		})
	}
}

// Damage helpers: they follow the image's own tables, read from its header
// (all big-endian), so they do not depend on qemu-img's layout choices.

func readU64(t *testing.T, f *os.File, off int64) uint64 {
	t.Helper()
	var b [8]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		t.Fatal(err)
	}
	return binary.BigEndian.Uint64(b[:])
}

const offsetMask = 0x00fffffffffffe00

// firstDataCluster returns the file offset of the L2 entry of guest cluster
// 0 and the host offset of its data cluster.
func firstDataCluster(t *testing.T, f *os.File) (l2Entry int64, data uint64) {
	t.Helper()
	l1 := readU64(t, f, 40)
	l2 := readU64(t, f, int64(l1)) & offsetMask
	data = readU64(t, f, int64(l2)) & offsetMask
	if l2 == 0 || data == 0 {
		t.Fatalf("guest cluster 0 is not allocated (L2 %#x, data %#x)", l2, data)
	}
	return int64(l2), data
}

// leakCluster drops the L2 entry of guest cluster 0: its data cluster keeps
// refcount 1 with no reference, a leak (exit code 3).
func leakCluster(t *testing.T, p string) {
	t.Helper()
	f := openRW(t, p)
	l2Entry, _ := firstDataCluster(t, f)
	writeAt(t, p, l2Entry, make([]byte, 8))
}

// corruptRefcount zeroes the refcount of guest cluster 0's data cluster
// while it stays referenced: a corruption (exit code 2).
func corruptRefcount(t *testing.T, p string) {
	t.Helper()
	f := openRW(t, p)
	_, data := firstDataCluster(t, f)
	var b [4]byte
	if _, err := f.ReadAt(b[:], 20); err != nil {
		t.Fatal(err)
	}
	clusterBits := binary.BigEndian.Uint32(b[:])
	refTable := readU64(t, f, 48)
	block := readU64(t, f, int64(refTable)) & offsetMask
	idx := data >> clusterBits // 16-bit refcounts: one block covers all of a small image
	writeAt(t, p, int64(block+2*idx), []byte{0, 0})
}

func openRW(t *testing.T, p string) *os.File {
	t.Helper()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func writeAt(t *testing.T, p string, off int64, b []byte) {
	t.Helper()
	f := openRW(t, p)
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}
