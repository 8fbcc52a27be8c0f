package replica

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/plugins/alpine"
	"github.com/sandlabx/fetchd/sdk/listing"
	"github.com/sandlabx/fetchd/sdk/signature"
)

// shared is a layout that tests only read; TestMain writes it once, since
// writing a tree takes a second or more on a slow disk.
var shared *Layout

func TestMain(m *testing.M) {
	root, err := os.MkdirTemp("", "alpine-replica-")
	if err != nil {
		panic(err)
	}
	if shared, err = Write(root, Options{}); err != nil {
		panic(err)
	}
	code := m.Run()
	_ = os.RemoveAll(root)
	os.Exit(code)
}

func write(t *testing.T, opts Options) *Layout {
	t.Helper()
	l, err := Write(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// dirFiles returns the files of a directory under the root, except
// index.html.
func dirFiles(t *testing.T, root, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(filepath.Join(root, dir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		if de.Name() != "index.html" {
			out = append(out, de.Name())
		}
	}
	return out
}

// TestTree checks every branch directory: the listing names exactly the
// files there with their sizes, every name follows upstream's grammar, each
// image has a .sha512 holding its bare digest and a .asc that verifies over
// the image bytes (and not over the .sha512).
func TestTree(t *testing.T) {
	t.Parallel()
	l := shared
	keys, err := signature.ParseKeyring(l.Key.PublicArmored())
	if err != nil {
		t.Fatal(err)
	}
	for _, br := range append(Branches(), LatestStable) {
		t.Run(br, func(t *testing.T) {
			t.Parallel()
			dir := dirOf(branchOf(br))
			if br == LatestStable {
				dir = LatestStable + "/releases/cloud"
			}
			page, err := os.ReadFile(filepath.Join(l.Root, dir, "index.html"))
			if err != nil {
				t.Fatal(err)
			}
			entries, err := listing.Parse(page)
			if err != nil {
				t.Fatal(err)
			}
			var listed []string
			for _, e := range entries {
				listed = append(listed, e.Name)
				fi, err := os.Stat(filepath.Join(l.Root, dir, e.Name))
				if err != nil || fi.Size() != e.Size {
					t.Errorf("%s listed with size %d: %v, %v", e.Name, e.Size, fi, err)
				}
			}
			if diff := cmp.Diff(dirFiles(t, l.Root, dir), listed); diff != "" {
				t.Errorf("listing vs directory (-dir +listing):\n%s", diff)
			}
			images := 0
			for _, name := range listed {
				n, err := alpine.ParseFileName(name)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				if n.Branch() != branchOf(br) {
					t.Errorf("%s is in the %s directory", name, br)
				}
				if strings.HasSuffix(name, ".sha512") || strings.HasSuffix(name, ".asc") {
					continue
				}
				images++
				data, _ := os.ReadFile(filepath.Join(l.Root, dir, name))
				sum, _ := os.ReadFile(filepath.Join(l.Root, dir, name+".sha512"))
				want := sha512.Sum512(data)
				if string(sum) != hex.EncodeToString(want[:])+"\n" {
					t.Errorf("%s.sha512 = %q, want the bare digest and a newline", name, sum)
				}
				sig, _ := os.ReadFile(filepath.Join(l.Root, dir, name+".asc"))
				if !bytes.HasPrefix(sig, []byte("-----BEGIN PGP SIGNATURE-----")) {
					t.Errorf("%s.asc is not armored", name)
				}
				if _, err := signature.VerifyDetached(keys, data, sig); err != nil {
					t.Errorf("%s.asc does not verify over the image: %v", name, err)
				}
				if _, err := signature.VerifyDetached(keys, sum, sig); err == nil {
					t.Errorf("%s.asc verifies over the .sha512, want over the image only", name)
				}
			}
			if images*3 != len(listed) {
				t.Errorf("%d images but %d files: want an image, a .sha512 and a .asc each", images, len(listed))
			}
		})
	}
}

// TestLatestStableIsNewestBranch checks that latest-stable holds the newest
// branch's files, byte for byte.
func TestLatestStableIsNewestBranch(t *testing.T) {
	t.Parallel()
	l := shared
	newest := Branches()[len(Branches())-1]
	ls, br := LatestStable+"/releases/cloud", dirOf(newest)
	names := dirFiles(t, l.Root, br)
	if diff := cmp.Diff(names, dirFiles(t, l.Root, ls)); diff != "" {
		t.Fatalf("latest-stable vs v%s (-branch +latest-stable):\n%s", newest, diff)
	}
	for _, n := range names {
		a, _ := os.ReadFile(filepath.Join(l.Root, br, n))
		b, _ := os.ReadFile(filepath.Join(l.Root, ls, n))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs", n)
		}
	}
}

func TestNewest(t *testing.T) {
	t.Parallel()
	l := shared
	tests := map[string]struct {
		release, arch, variant string
		want                   string // file name; "" for none
	}{
		"numeric point release":  {"3.19", "x86_64", "nocloud-uefi-tiny", "nocloud_alpine-3.19.10-x86_64-uefi-tiny-r0.qcow2"},
		"r10":                    {"3.22", "amd64", "generic-bios-tiny", "generic_alpine-3.22.3-x86_64-bios-tiny-r10.qcow2"},
		"latest-stable":          {"latest-stable", "arm64", "nocloud-uefi-cloudinit", "nocloud_alpine-3.24.1-aarch64-uefi-cloudinit-r1.qcow2"},
		"v-prefixed branch":      {"v3.20", "x86_64", "generic-uefi-cloudinit", "generic_alpine-3.20.8-x86_64-uefi-cloudinit-r1.qcow2"},
		"aarch64 bios: none":     {"3.22", "aarch64", "nocloud-bios-tiny", ""},
		"generic on 3.19: none":  {"3.19", "x86_64", "generic-uefi-tiny", ""},
		"a branch not laid out":  {"3.18", "x86_64", "nocloud-uefi-tiny", ""},
		"a variant not laid out": {"3.22", "x86_64", "aws-uefi-tiny", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := l.Newest(tc.release, tc.arch, tc.variant)
			if b.FileName != tc.want {
				t.Errorf("Newest = %q, want %q", b.FileName, tc.want)
			}
		})
	}
}

// TestContent checks that Content supplies every image file, and that its
// error stops Write.
func TestContent(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	asked := map[string]bool{}
	l := write(t, Options{Content: func(name string) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		asked[name] = true
		return []byte("bytes of " + name), nil
	}})
	for _, br := range Branches() {
		for _, n := range dirFiles(t, l.Root, dirOf(br)) {
			if strings.HasSuffix(n, ".sha512") || strings.HasSuffix(n, ".asc") {
				continue
			}
			data, _ := os.ReadFile(filepath.Join(l.Root, dirOf(br), n))
			if !asked[n] || string(data) != "bytes of "+n {
				t.Errorf("%s: asked %v, content %q", n, asked[n], data)
			}
		}
	}
	b := l.Newest("3.22", "x86_64", "nocloud-uefi-cloudinit")
	if b.Size != int64(len("bytes of "+b.FileName)) {
		t.Errorf("Size = %d, want the content's length", b.Size)
	}

	boom := errors.New("boom")
	_, err := Write(t.TempDir(), Options{Content: func(string) ([]byte, error) { return nil, boom }})
	if !errors.Is(err, boom) {
		t.Errorf("Write with failing Content: %v, want it wrapped", err)
	}
}

func TestPublish(t *testing.T) {
	t.Parallel()
	l := write(t, Options{}) // the cases publish different images
	tests := map[string]struct {
		release, arch, variant string
		wantName               string
		latestToo              bool
	}{
		"older branch":  {"3.21", "x86_64", "nocloud-uefi-cloudinit", "nocloud_alpine-3.21.6-x86_64-uefi-cloudinit-r2.qcow2", false},
		"after r10":     {"3.22", "amd64", "nocloud-bios-tiny", "nocloud_alpine-3.22.3-x86_64-bios-tiny-r11.qcow2", false},
		"latest-stable": {"latest-stable", "arm64", "generic-uefi-tiny", "generic_alpine-3.24.1-aarch64-uefi-tiny-r1.qcow2", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			before := l.Newest(tc.release, tc.arch, tc.variant)
			b, err := l.Publish(tc.release, tc.arch, tc.variant)
			if err != nil {
				t.Fatal(err)
			}
			if b.FileName != tc.wantName || l.Newest(tc.release, tc.arch, tc.variant) != b {
				t.Errorf("Publish = %+v, want %s and Newest to return it", b, tc.wantName)
			}
			dirs := []string{filepath.Dir(b.Path)}
			if tc.latestToo {
				dirs = append(dirs, LatestStable+"/releases/cloud")
			}
			for _, dir := range dirs {
				page, _ := os.ReadFile(filepath.Join(l.Root, dir, "index.html"))
				entries, err := listing.Parse(page)
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, e := range entries {
					names = append(names, e.Name)
				}
				for _, n := range []string{b.FileName, b.FileName + ".sha512", b.FileName + ".asc", before.FileName} {
					if !slices.Contains(names, n) {
						t.Errorf("%s/index.html does not list %s", dir, n)
					}
					if _, err := os.Stat(filepath.Join(l.Root, dir, n)); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	if _, err := l.Publish("3.22", "aarch64", "nocloud-bios-tiny"); err == nil {
		t.Error("Publish of an image upstream does not build succeeded")
	}
}
