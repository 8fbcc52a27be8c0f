package qcow2

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckFileAccepts(t *testing.T) {
	t.Parallel()
	qcow := validV3().bytes()
	raw := image(1<<20, map[int]string{0: "\xeb\x63\x90", 0x1fe: "\x55\xaa", 0x8001: "CD001"})
	tests := map[string]struct {
		data      []byte
		announced Format
		lim       Limits
		wantHdr   bool
	}{
		"qcow2":                   {qcow, FormatQcow2, Limits{MaxVirtualSize: 64 << 20}, true},
		"raw":                     {raw, FormatRaw, Limits{}, false},
		"raw at the cap":          {raw, FormatRaw, Limits{MaxVirtualSize: 1 << 20}, false},
		"raw shorter than a tail": {[]byte("hello"), FormatRaw, Limits{}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := writeFile(t, "img", tc.data)
			rep, err := CheckFile(p, tc.announced, tc.lim)
			if err != nil {
				t.Fatal(err)
			}
			want := &Report{Path: p, Format: tc.announced, Size: int64(len(tc.data))}
			if tc.wantHdr {
				if rep.Header == nil || rep.Header.VirtualSize != 64<<20 {
					t.Fatalf("Header = %+v, want the inspected header", rep.Header)
				}
				want.Header = rep.Header
			}
			if diff := cmp.Diff(want, rep); diff != "" {
				t.Errorf("CheckFile (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckFileMismatch(t *testing.T) {
	t.Parallel()
	polyglot := validV3()
	polyglot.extraAtOffset = map[int]string{0x8001: "CD001"}
	tests := map[string]struct {
		data      []byte
		announced Format
		want      FormatMismatchError
		msg       string
	}{
		"qcow2 announced as raw": {
			data: validV3().bytes(), announced: FormatRaw,
			want: FormatMismatchError{Announced: FormatRaw, Detected: FormatQcow2, Evidence: `magic "QFI\xfb" at offset 0x0`},
			msg:  `announced format raw but the content is qcow2 (magic "QFI\xfb" at offset 0x0): refused`,
		},
		"vmdk descriptor announced as raw": {
			data: []byte("# Disk DescriptorFile\nversion=1\nRW 8 FLAT \"/etc/shadow\" 0\n"), announced: FormatRaw,
			want: FormatMismatchError{Announced: FormatRaw, Detected: FormatVMDK, Evidence: `magic "# Disk DescriptorFile" at offset 0x0`},
		},
		"raw announced as qcow2": {
			data: image(1<<20, nil), announced: FormatQcow2,
			want: FormatMismatchError{Announced: FormatQcow2, Detected: FormatRaw},
		},
		"qcow version 1 announced as qcow2": {
			data: image(4096, map[int]string{0: "QFI\xfb\x00\x00\x00\x01"}), announced: FormatQcow2,
			want: FormatMismatchError{Announced: FormatQcow2, Detected: FormatQcow1, Evidence: `magic "QFI\xfb" at offset 0x0`},
		},
		"qcow2 that is also an iso": {
			data: polyglot.bytes(), announced: FormatQcow2,
			want: FormatMismatchError{Announced: FormatQcow2, Detected: FormatISO9660, Evidence: `signature "CD001" at offset 0x8001`, Polyglot: true},
			msg:  "polyglot images are refused",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := writeFile(t, "img", tc.data)
			_, err := CheckFile(p, tc.announced, Limits{})
			me, ok := errors.AsType[*FormatMismatchError](err)
			if !ok {
				t.Fatalf("error %v (%T) is not a *FormatMismatchError", err, err)
			}
			tc.want.Path = p
			if diff := cmp.Diff(&tc.want, me); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(err.Error(), p+": ") || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not start with the path or lacks %q", err, tc.msg)
			}
		})
	}
}

func TestCheckFileUnsafe(t *testing.T) {
	t.Parallel()
	backing := validV3()
	backing.backingOffset = 0x1c8
	tests := map[string]struct {
		data      []byte
		announced Format
		lim       Limits
		field     string
		msg       string
	}{
		"backing file": {
			data: backing.bytes(), announced: FormatQcow2, field: "backing_file_offset",
			msg: "img: unsafe qcow2 header: backing file set (offset 0x1c8): images with a backing file are refused",
		},
		"raw over the cap": {
			data: image(4096, nil), announced: FormatRaw, lim: Limits{MaxVirtualSize: 4095}, field: "size",
			msg: "img: unsafe raw image: size 4096 bytes: over the cap of 4095 bytes",
		},
		"empty raw":   {data: nil, announced: FormatRaw, field: "file", msg: "img: unsafe raw image: file is empty"},
		"empty qcow2": {data: nil, announced: FormatQcow2, field: "file", msg: "img: unsafe qcow2 header: file is empty"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := writeFile(t, "img", tc.data)
			_, err := CheckFile(p, tc.announced, tc.lim)
			ue, ok := errors.AsType[*UnsafeError](err)
			if !ok {
				t.Fatalf("error %v (%T) is not an *UnsafeError", err, err)
			}
			if ue.Path != p || ue.Field != tc.field {
				t.Errorf("Path, Field = %q, %q; want %q, %q", ue.Path, ue.Field, p, tc.field)
			}
			if !strings.HasSuffix(err.Error(), tc.msg) {
				t.Errorf("error %q does not end with %q", err, tc.msg)
			}
		})
	}
}

func TestCheckFileRefusesNonRegular(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "target.qcow2")
	if err := os.WriteFile(target, validV3().bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.qcow2")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.qcow2")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		path string
		want string
	}{
		"symlink":   {link, "refusing to open a symlink"},
		"fifo":      {fifo, "not a regular file"},
		"directory": {dir, "not a regular file"},
		"missing":   {filepath.Join(dir, "nope"), "no such file"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := CheckFile(tc.path, FormatQcow2, Limits{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckFile(%s) = %v, want an error containing %q", name, err, tc.want)
			}
		})
	}
	if _, err := CheckFile(target, FormatQcow2, Limits{}); err != nil {
		t.Fatalf("the symlink's target itself is fine: %v", err)
	}
}

func TestCheckFileUnknownAnnouncedFormat(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "img", validV3().bytes())
	for _, f := range []Format{"", "vmdk", "QCOW2", "iso9660"} {
		if _, err := CheckFile(p, f, Limits{}); err == nil || !strings.Contains(err.Error(), "announced format") {
			t.Errorf("CheckFile(announced %q) = %v, want an announced-format error", f, err)
		}
	}
}
