package replica_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/plugins/ubuntu/replica"
	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/signature"
	"github.com/sandlabx/fetchd/sdk/version"
)

var (
	releases = []string{"20.04", "22.04", "24.04", "26.04"}
	arches   = []string{"amd64", "arm64", "armhf", "ppc64el", "riscv64", "s390x"}
	variants = []string{replica.Server, replica.Daily}
)

func read(t *testing.T, l *replica.Layout, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(l.Root(), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkBuild checks that everything the replica says about b is on disk,
// reachable by b's paths (through the links), signed and in the stream.
func checkBuild(t *testing.T, l *replica.Layout, kr *signature.Keyring, b replica.Build) {
	t.Helper()
	img := read(t, l, b.Path)
	sum := sha256.Sum256(img)
	if got := hex.EncodeToString(sum[:]); got != b.Digest.Hex || int64(len(img)) != b.Size {
		t.Errorf("%s: sha256 %s, %d bytes; the layout says %s, %d", b.Path, got, len(img), b.Digest, b.Size)
	}
	if !bytes.Equal(read(t, l, b.Dir+"/"+b.FileName), img) {
		t.Errorf("%s and %s/%s differ", b.Path, b.Dir, b.FileName)
	}
	sums := read(t, l, b.SumsPath)
	if _, err := signature.VerifyDetached(kr, sums, read(t, l, b.SumsPath+".gpg")); err != nil {
		t.Errorf("%s: %v", b.SumsPath, err)
	}
	d, err := checksum.Find(sums, checksum.SHA256, b.FileName)
	if err != nil || d != b.Digest {
		t.Errorf("%s: %s for %s, %v; want %s", b.SumsPath, d, b.FileName, err, b.Digest)
	}
	mirror, itemPath, _ := strings.Cut(b.Path, "/")
	prefix, contentID := "com.ubuntu.cloud:server", "com.ubuntu.cloud:released:download"
	if b.Variant == replica.Daily {
		prefix, contentID = "com.ubuntu.cloud.daily:server", "com.ubuntu.cloud:daily:download"
	}
	var doc struct {
		Products map[string]struct {
			Versions map[string]struct {
				Items map[string]struct {
					Path   string `json:"path"`
					SHA256 string `json:"sha256"`
					Size   int64  `json:"size"`
				} `json:"items"`
			} `json:"versions"`
		} `json:"products"`
	}
	if err := json.Unmarshal(read(t, l, mirror+"/streams/v1/"+contentID+".json"), &doc); err != nil {
		t.Fatal(err)
	}
	item := doc.Products[prefix+":"+b.Release+":"+b.Arch].Versions[b.Version].Items["disk1.img"]
	if item.Path != itemPath || item.SHA256 != b.Digest.Hex || item.Size != b.Size {
		t.Errorf("stream item %+v, want path %s, sha256 %s, size %d", item, itemPath, b.Digest.Hex, b.Size)
	}
}

func TestWrite(t *testing.T) {
	t.Parallel()
	l, err := replica.Write(t.TempDir(), replica.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kr, err := signature.ParseKeyring(l.Key().PublicArmored())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range releases {
		for _, a := range arches {
			for _, v := range variants {
				bs := l.Builds(r, a, v)
				if len(bs) < 3 {
					t.Fatalf("%s %s %s: %d builds, want several", r, a, v, len(bs))
				}
				for i, b := range bs {
					checkBuild(t, l, kr, b)
					if i > 0 && version.Compare(bs[i-1].Version, b.Version) >= 0 {
						t.Errorf("%s %s %s: builds out of order: %s before %s", r, a, v, bs[i-1].Version, b.Version)
					}
				}
				if n := l.Newest(r, a, v); n != bs[len(bs)-1] {
					t.Errorf("Newest %+v, want the last of Builds", n)
				}
			}
		}
	}
	// The moving links point at the newest builds.
	for link, want := range map[string]string{
		"releases/noble/release":   "release-" + l.Newest("24.04", "amd64", replica.Server).Version,
		"releases/24.04":           "noble",
		"noble/current":            l.Newest("24.04", "amd64", replica.Daily).Version,
		"releases/server/releases": "..",
	} {
		if got, err := os.Readlink(filepath.Join(l.Root(), link)); err != nil || got != want {
			t.Errorf("%s -> %q, %v; want %q", link, got, err, want)
		}
	}
	if got := l.Newest("24.04", "i386", replica.Server); got != (replica.Build{}) {
		t.Errorf("Newest of a missing architecture: %+v, want the zero Build", got)
	}
}

func TestWriteHonoursContentAndOmit(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	calls := map[string]int{}
	real := []byte("QFI\xfb pretend this is a qcow2")
	l, err := replica.Write(t.TempDir(), replica.Options{
		ArmoredSignatures: true,
		Omit:              func(release, arch, variant string) bool { return release != "24.04" || arch == "s390x" },
		Content: func(name string) ([]byte, error) {
			mu.Lock()
			defer mu.Unlock()
			calls[name]++
			if name == "ubuntu-24.04-server-cloudimg-amd64.img" {
				return real, nil
			}
			return []byte("other " + name), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := l.Newest("24.04", "amd64", replica.Server)
	if !bytes.Equal(read(t, l, b.Path), real) {
		t.Errorf("%s does not hold Content's bytes", b.Path)
	}
	if sig := read(t, l, b.SumsPath+".gpg"); !bytes.HasPrefix(sig, []byte("-----BEGIN PGP SIGNATURE-----")) {
		t.Errorf("SHA256SUMS.gpg is not armored")
	}
	want := map[string]int{}
	for _, a := range arches[:5] {
		want["ubuntu-24.04-server-cloudimg-"+a+".img"] = len(l.Builds("24.04", a, replica.Server))
		want["noble-server-cloudimg-"+a+".img"] = len(l.Builds("24.04", a, replica.Daily))
	}
	if _, err := l.Publish("24.04", "arm64", replica.Daily); err != nil {
		t.Fatal(err)
	}
	for _, a := range arches[:5] {
		want["noble-server-cloudimg-"+a+".img"]++
	}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("Content calls by file name (-want +got):\n%s", diff)
	}
	for _, omitted := range []struct{ release, arch, variant string }{{"24.04", "s390x", replica.Server}, {"22.04", "amd64", replica.Server}, {"26.04", "amd64", replica.Daily}} {
		if bs := l.Builds(omitted.release, omitted.arch, omitted.variant); len(bs) != 0 {
			t.Errorf("omitted %v has builds %v", omitted, bs)
		}
	}
	if !strings.Contains(string(read(t, l, b.SumsPath)), "cloudimg-amd64.vmdk") || strings.Contains(string(read(t, l, b.SumsPath)), "s390x") {
		t.Errorf("SHA256SUMS lists the wrong files")
	}
}

func TestPublish(t *testing.T) {
	t.Parallel()
	l, err := replica.Write(t.TempDir(), replica.Options{Omit: func(release, _, _ string) bool { return release != "26.04" }})
	if err != nil {
		t.Fatal(err)
	}
	kr, err := signature.ParseKeyring(l.Key().PublicArmored())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range variants {
		before := l.Newest("26.04", "armhf", v)
		first, err := l.Publish("26.04", "armhf", v)
		if err != nil {
			t.Fatal(err)
		}
		second, err := l.Publish("26.04", "armhf", v)
		if err != nil {
			t.Fatal(err)
		}
		if version.Compare(first.Version, before.Version) <= 0 || version.Compare(second.Version, first.Version) <= 0 {
			t.Errorf("%s: serials %s, %s, %s do not increase", v, before.Version, first.Version, second.Version)
		}
		if got := l.Newest("26.04", "armhf", v); got != second {
			t.Errorf("%s: Newest %+v, want %+v", v, got, second)
		}
		if got := l.Newest("26.04", "riscv64", v); got.Version != second.Version {
			t.Errorf("%s: Publish made no riscv64 build in the new directory (newest %s)", v, got.Version)
		}
		checkBuild(t, l, kr, second)
		checkBuild(t, l, kr, before) // the old build is still there
	}
	if got, _ := os.Readlink(filepath.Join(l.Root(), "resolute/current")); got != l.Newest("26.04", "amd64", replica.Daily).Version {
		t.Errorf("resolute/current -> %s after Publish", got)
	}
	for name, args := range map[string][3]string{
		"unknown release":   {"25.10", "amd64", replica.Server},
		"omitted release":   {"24.04", "amd64", replica.Server},
		"unknown arch":      {"26.04", "i386", replica.Server},
		"unknown variant":   {"26.04", "amd64", "minimal"},
		"release w/o daily": {"18.04", "amd64", replica.Daily},
	} {
		if _, err := l.Publish(args[0], args[1], args[2]); err == nil {
			t.Errorf("%s: Publish%v succeeded", name, args)
		}
	}
}

func TestResign(t *testing.T) {
	t.Parallel()
	l, err := replica.Write(t.TempDir(), replica.Options{Omit: func(release, arch, _ string) bool { return release != "20.04" || arch != "amd64" }})
	if err != nil {
		t.Fatal(err)
	}
	kr, err := signature.ParseKeyring(l.Key().PublicArmored())
	if err != nil {
		t.Fatal(err)
	}
	b := l.Newest("20.04", "amd64", replica.Server)
	name := filepath.Join(l.Root(), filepath.FromSlash(b.SumsPath))
	if err := os.WriteFile(name, []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := signature.VerifyDetached(kr, read(t, l, b.SumsPath), read(t, l, b.SumsPath+".gpg")); err == nil {
		t.Fatal("a changed SHA256SUMS still verifies before Resign")
	}
	if err := l.Resign(b.SumsPath); err != nil {
		t.Fatal(err)
	}
	if _, err := signature.VerifyDetached(kr, read(t, l, b.SumsPath), read(t, l, b.SumsPath+".gpg")); err != nil {
		t.Errorf("after Resign: %v", err)
	}
}
