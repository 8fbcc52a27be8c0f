package download

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

func TestPartialPath(t *testing.T) {
	t.Parallel()
	hex64 := strings.Repeat("ab", 32)
	hex128 := strings.Repeat("cd", 64)
	tests := map[string]struct {
		d    checksum.Digest
		want string
	}{
		"sha256": {d: checksum.Digest{Algorithm: checksum.SHA256, Hex: hex64}, want: "/p/sha256-" + hex64 + ".part"},
		"sha512": {d: checksum.Digest{Algorithm: checksum.SHA512, Hex: hex128}, want: "/p/sha512-" + hex128 + ".part"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, PartialPath("/p", tc.d)); diff != "" {
				t.Errorf("PartialPath (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseContentRange(t *testing.T) {
	t.Parallel()
	type span struct{ First, Last, Total int64 }
	tests := map[string]struct {
		in   string
		want *span // nil = error
	}{
		"full":            {in: "bytes 100-199/200", want: &span{100, 199, 200}},
		"unknown total":   {in: "bytes 0-9/*", want: &span{0, 9, -1}},
		"one byte":        {in: "bytes 5-5/6", want: &span{5, 5, 6}},
		"no unit":         {in: "100-199/200"},
		"other unit":      {in: "items 1-2/3"},
		"unsatisfied":     {in: "bytes */200"},
		"reversed":        {in: "bytes 9-0/10"},
		"total too small": {in: "bytes 0-9/9"},
		"negative":        {in: "bytes -1-9/10"},
		"plus sign":       {in: "bytes +1-9/10"},
		"spaces":          {in: "bytes 1 - 9/10"},
		"empty":           {in: ""},
		"huge":            {in: "bytes 0-99999999999999999999/1"},
		"no slash":        {in: "bytes 0-9"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, l, tot, err := parseContentRange(tc.in)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("parseContentRange(%q) = %d, %d, %d; want an error", tc.in, f, l, tot)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseContentRange(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(*tc.want, span{f, l, tot}); diff != "" {
				t.Errorf("parseContentRange(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

// FuzzParseContentRange checks that an accepted Content-Range is a sane
// span and prints back to itself.
func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-9/10", "bytes 5-9/*", "bytes 0-0/1", "bytes */10", "bytes 01-9/10", "bytes 9-0/10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		first, last, total, err := parseContentRange(s)
		if err != nil {
			return
		}
		if first < 0 || last < first || (total != -1 && total <= last) {
			t.Fatalf("parseContentRange(%q) = %d, %d, %d", s, first, last, total)
		}
		tot := "*"
		if total >= 0 {
			tot = fmt.Sprint(total)
		}
		canon := fmt.Sprintf("bytes %d-%d/%s", first, last, tot)
		if f2, l2, t2, err := parseContentRange(canon); err != nil || f2 != first || l2 != last || t2 != total {
			t.Fatalf("canonical form %q of %q does not parse back", canon, s)
		}
	})
}

func TestPipeHasher(t *testing.T) {
	t.Parallel()
	tests := map[string]int{"empty": 0, "one byte": 1, "one buffer": hashBufSize, "many buffers": 5*hashBufSize + 12345}
	for name, size := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data := randomBytes(size, uint64(size))
			p := newPipeHasher(sha256.New())
			r := rand.New(rand.NewPCG(1, 2))
			for rest := data; len(rest) > 0; {
				n := min(len(rest), r.IntN(3*hashBufSize/2)+1)
				p.Write(rest[:n])
				rest = rest[n:]
			}
			want := sha256.Sum256(data)
			if diff := cmp.Diff(want[:], p.Sum()); diff != "" {
				t.Errorf("digest (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want[:], p.Sum()); diff != "" {
				t.Errorf("second Sum (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckFreeSpace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := CheckFreeSpace(dir, 1); err != nil {
		t.Fatalf("CheckFreeSpace(1 byte): %v", err)
	}
	err := CheckFreeSpace(dir, math.MaxInt64)
	var ns *NoSpaceError
	if !errors.As(err, &ns) || ns.Dir != dir || ns.Need != math.MaxInt64 || ns.Free <= 0 {
		t.Fatalf("CheckFreeSpace(huge) = %v, want *NoSpaceError naming %s", err, dir)
	}
	if !strings.Contains(err.Error(), "no space left in "+dir) {
		t.Errorf("message %q", err)
	}
	if err := CheckFreeSpace(filepath.Join(dir, "missing"), 1); err == nil || errors.As(err, &ns) {
		t.Errorf("CheckFreeSpace(missing dir) = %v, want a stat error", err)
	}
}

// A write that fails with ENOSPC deletes the partial and says "no space
// left" with the directory.
func TestFailNoSpace(t *testing.T) {
	t.Parallel()
	dir := partialDir(t)
	path := filepath.Join(dir, "x.part")
	if err := os.WriteFile(path, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &attemptRun{req: Request{URL: "https://h/x", PartialDir: dir, Size: 100}, path: path}
	err := a.fail(&os.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}, 7)
	var ns *NoSpaceError
	if !errors.As(err, &ns) || ns.Dir != dir || ns.Need != 93 {
		t.Fatalf("fail(ENOSPC) = %v, want *NoSpaceError{Dir: %s, Need: 93}", err, dir)
	}
	if !strings.Contains(err.Error(), "no space left in "+dir) {
		t.Errorf("message %q", err)
	}
	checkPartial(t, path, -1)
}
