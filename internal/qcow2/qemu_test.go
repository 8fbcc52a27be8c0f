package qcow2

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sandlabx/fetchd/internal/testutil"
)

// Real images made by qemu-img: what CheckFile accepts.
func TestCheckFileQemuImgAccepts(t *testing.T) {
	t.Parallel()
	testutil.RequireQemuImg(t)
	tests := map[string]struct {
		args       []string
		post       func(t *testing.T, path string)
		want       Header // compared on the fields below only
		wantExts   []uint32
		wantIncomp uint64
	}{
		"default":           {want: Header{Version: 3, ClusterBits: 16, HeaderLength: 112}, wantExts: []uint32{ExtFeatureNameTable}},
		"compat 0.10 is v2": {args: []string{"-o", "compat=0.10"}, want: Header{Version: 2, ClusterBits: 16, HeaderLength: 72}},
		// The feature name table does not fit in 512 bytes: qemu-img omits it.
		"512-byte clusters": {args: []string{"-o", "cluster_size=512"}, want: Header{Version: 3, ClusterBits: 9, HeaderLength: 112}},
		"2 MiB clusters":    {args: []string{"-o", "cluster_size=2M"}, want: Header{Version: 3, ClusterBits: 21, HeaderLength: 112}, wantExts: []uint32{ExtFeatureNameTable}},
		"zstd, extended l2, lazy refcounts": {
			args:       []string{"-o", "compression_type=zstd,extended_l2=on,lazy_refcounts=on"},
			want:       Header{Version: 3, ClusterBits: 16, HeaderLength: 112},
			wantExts:   []uint32{ExtFeatureNameTable},
			wantIncomp: IncompatCompressionType | IncompatExtendedL2,
		},
		"persistent bitmap": {
			post: func(t *testing.T, p string) {
				testutil.RunQemuImg(t, "bitmap", "-f", "qcow2", "--add", p, "b0")
			},
			want:     Header{Version: 3, ClusterBits: 16, HeaderLength: 112},
			wantExts: []uint32{ExtFeatureNameTable, ExtBitmaps},
		},
		"with data": {
			post: func(t *testing.T, p string) {
				testutil.WriteQemuIO(t, "qcow2", p, "write -P 0xab 0 1M", "write -c 1M 64k")
			},
			want:     Header{Version: 3, ClusterBits: 16, HeaderLength: 112},
			wantExts: []uint32{ExtFeatureNameTable},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := testutil.MakeQcow2(t, t.TempDir(), "img.qcow2", 64, tc.args...)
			if tc.post != nil {
				tc.post(t, p)
			}
			rep, err := CheckFile(p, FormatQcow2, Limits{MaxVirtualSize: 64 << 20})
			if err != nil {
				t.Fatal(err)
			}
			h := rep.Header
			got := Header{Version: h.Version, ClusterBits: h.ClusterBits, HeaderLength: h.HeaderLength}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
			if h.VirtualSize != 64<<20 {
				t.Errorf("VirtualSize = %d, want %d", h.VirtualSize, 64<<20)
			}
			if h.IncompatibleFeatures != tc.wantIncomp {
				t.Errorf("IncompatibleFeatures = %#x, want %#x", h.IncompatibleFeatures, tc.wantIncomp)
			}
			var types []uint32
			for _, e := range h.Extensions {
				types = append(types, e.Type)
			}
			if diff := cmp.Diff(tc.wantExts, types); diff != "" {
				t.Errorf("extension types (-want +got):\n%s", diff)
			}
		})
	}
}

// Real images made by qemu-img: what CheckFile refuses as unsafe.
func TestCheckFileQemuImgRefuses(t *testing.T) {
	t.Parallel()
	testutil.RequireQemuImg(t)
	luks := []string{"--object", "secret,id=sec0,data=s3cret", "-o", "encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=10"}
	tests := map[string]struct {
		args  func(dir string) []string
		lim   Limits
		field string
	}{
		"backing file": {
			args: func(dir string) []string {
				back := testutil.MakeImage(t, "raw", dir, "back.raw", 64)
				return []string{"-b", back, "-F", "raw"}
			},
			field: "backing_file_offset",
		},
		"v2 with a qcow2 backing file": {
			args: func(dir string) []string {
				back := testutil.MakeQcow2(t, dir, "back.qcow2", 64)
				return []string{"-b", back, "-F", "qcow2", "-o", "compat=0.10"}
			},
			field: "backing_file_offset",
		},
		"external data file": {
			args: func(dir string) []string {
				return []string{"-o", "data_file=" + filepath.Join(dir, "data.raw")}
			},
			field: "incompatible_features",
		},
		"raw external data file": {
			args: func(dir string) []string {
				return []string{"-o", "data_file=" + filepath.Join(dir, "data.raw") + ",data_file_raw=on"}
			},
			field: "incompatible_features",
		},
		"luks encryption": {
			args:  func(string) []string { return luks },
			field: "crypt_method",
		},
		"virtual size over the cap": {
			args:  func(string) []string { return nil },
			lim:   Limits{MaxVirtualSize: 32 << 20},
			field: "size",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p := testutil.MakeQcow2(t, dir, "img.qcow2", 64, tc.args(dir)...)
			_, err := CheckFile(p, FormatQcow2, tc.lim)
			ue, ok := errors.AsType[*UnsafeError](err)
			if !ok {
				t.Fatalf("error %v (%T) is not an *UnsafeError", err, err)
			}
			if ue.Field != tc.field || ue.Path != p {
				t.Errorf("Field, Path = %q, %q; want %q, %q (%v)", ue.Field, ue.Path, tc.field, p, err)
			}
		})
	}
}

// The external data file name extension is refused on its own too: clear
// the incompatible bit of a real data-file image and it must still fail.
func TestCheckFileQemuImgDataFileExtension(t *testing.T) {
	t.Parallel()
	testutil.RequireQemuImg(t)
	dir := t.TempDir()
	p := testutil.MakeQcow2(t, dir, "img.qcow2", 64, "-o", "data_file="+filepath.Join(dir, "data.raw"))
	patch(t, p, 79, []byte{0})
	_, err := CheckFile(p, FormatQcow2, Limits{})
	ue, ok := errors.AsType[*UnsafeError](err)
	if !ok || ue.Field != "extension 0x44415441" {
		t.Fatalf("error %v: want an *UnsafeError for the external data file extension", err)
	}
}

func TestCheckFileQemuImgPolyglot(t *testing.T) {
	t.Parallel()
	testutil.RequireQemuImg(t)
	p := testutil.MakeQcow2(t, t.TempDir(), "img.qcow2", 64)
	if _, err := CheckFile(p, FormatQcow2, Limits{}); err != nil {
		t.Fatalf("clean image refused: %v", err)
	}
	patch(t, p, 0x8000, []byte("\x01CD001\x01"))
	_, err := CheckFile(p, FormatQcow2, Limits{})
	me, ok := errors.AsType[*FormatMismatchError](err)
	if !ok || !me.Polyglot || me.Detected != FormatISO9660 {
		t.Fatalf("error %v: want a polyglot *FormatMismatchError", err)
	}
}

// Real images of every other format qemu-img can create, announced as raw.
func TestCheckFileQemuImgRawMismatch(t *testing.T) {
	t.Parallel()
	testutil.RequireQemuImg(t)
	tests := map[string]struct {
		format string
		args   []string
		want   Format
	}{
		"qcow2":       {"qcow2", nil, FormatQcow2},
		"qcow":        {"qcow", nil, FormatQcow1},
		"qed":         {"qed", nil, FormatQED},
		"vmdk":        {"vmdk", nil, FormatVMDK},
		"vmdk flat":   {"vmdk", []string{"-o", "subformat=monolithicFlat"}, FormatVMDK},
		"vdi":         {"vdi", nil, FormatVDI},
		"vhdx":        {"vhdx", nil, FormatVHDX},
		"vpc dynamic": {"vpc", nil, FormatVPC},
		"vpc fixed":   {"vpc", []string{"-o", "subformat=fixed"}, FormatVPC},
		"parallels":   {"parallels", nil, FormatParallels},
		"luks":        {"luks", []string{"--object", "secret,id=s,data=x", "-o", "key-secret=s,iter-time=10"}, FormatLUKS},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := testutil.MakeImage(t, tc.format, t.TempDir(), "img", 4, tc.args...)
			_, err := CheckFile(p, FormatRaw, Limits{})
			me, ok := errors.AsType[*FormatMismatchError](err)
			if !ok || me.Detected != tc.want {
				t.Fatalf("error %v: want a *FormatMismatchError detecting %s", err, tc.want)
			}
		})
	}
}

func TestCheckFileQemuImgRaw(t *testing.T) {
	t.Parallel()
	testutil.RequireQemuImg(t)
	p := testutil.MakeImage(t, "raw", t.TempDir(), "img.raw", 4)
	testutil.WriteQemuIO(t, "raw", p, "write -P 0x55 0 64k")
	if _, err := CheckFile(p, FormatRaw, Limits{MaxVirtualSize: 4 << 20}); err != nil {
		t.Fatalf("raw image refused: %v", err)
	}
	_, err := CheckFile(p, FormatQcow2, Limits{})
	if me, ok := errors.AsType[*FormatMismatchError](err); !ok || me.Detected != FormatRaw {
		t.Fatalf("error %v: want a *FormatMismatchError detecting raw", err)
	}
}

func patch(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}
