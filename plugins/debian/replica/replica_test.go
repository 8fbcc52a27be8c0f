package replica_test

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/plugins/debian/replica"
	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/version"
)

var releases = []string{"12", "13", "14"}

func read(t *testing.T, root, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkImage checks that everything upstream publishes about b agrees:
// the file, its build's SHA512SUMS, latest/'s copy and SHA512SUMS, and the
// manifest in latest/.
func checkImage(t *testing.T, root string, b replica.Build) {
	t.Helper()
	data := read(t, root, b.Path)
	sum := sha512.Sum512(data)
	if got := hex.EncodeToString(sum[:]); got != b.Digest.Hex || int64(len(data)) != b.Size {
		t.Errorf("%s: sha512 %s, %d bytes; Build says %s, %d", b.Path, got, len(data), b.Digest.Hex, b.Size)
	}
	if d, err := checksum.Find(read(t, root, b.SumsPath), checksum.SHA512, b.FileName); err != nil || d != b.Digest {
		t.Errorf("%s: %v, %v; want %s", b.SumsPath, d, err, b.Digest)
	}
	if path.Dir(b.SumsPath) != path.Dir(b.Path) || path.Base(b.Path) != b.FileName || !strings.Contains(b.Path, "/"+b.Version+"/") {
		t.Errorf("inconsistent Build %+v", b)
	}
	latestDir := path.Dir(b.ManifestPath)
	family := strings.TrimSuffix(path.Base(b.ManifestPath), ".json")
	if got := read(t, root, latestDir+"/"+family+".qcow2"); !bytes.Equal(got, data) {
		t.Errorf("%s/%s.qcow2 differs from %s", latestDir, family, b.Path)
	}
	if d, err := checksum.Find(read(t, root, latestDir+"/SHA512SUMS"), checksum.SHA512, family+".qcow2"); err != nil || d != b.Digest {
		t.Errorf("%s/SHA512SUMS: %v, %v; want %s", latestDir, d, err, b.Digest)
	}
	manifest := read(t, root, b.ManifestPath)
	if !bytes.Equal(manifest, read(t, root, path.Dir(b.Path)+"/"+strings.TrimSuffix(b.FileName, ".qcow2")+".json")) {
		t.Errorf("%s differs from the build's manifest", b.ManifestPath)
	}
	var doc struct {
		Items []struct {
			Kind     string
			Metadata struct{ Labels, Annotations map[string]string }
			Data     struct {
				Ref  string
				Info struct{ Version, Arch, Vendor, Release string }
			}
		}
	}
	if err := json.Unmarshal(manifest, &doc); err != nil {
		t.Fatalf("%s: %v", b.ManifestPath, err)
	}
	var formats []string
	for _, it := range doc.Items {
		switch it.Kind {
		case "Build":
			if it.Data.Info.Version != b.Version || it.Data.Info.Arch != b.Arch || it.Data.Info.Vendor != b.Variant {
				t.Errorf("%s: Build info %+v", b.ManifestPath, it.Data.Info)
			}
		case "Upload":
			f := it.Metadata.Labels["upload.cloud.debian.org/image-format"]
			formats = append(formats, f)
			digest, _ := strings.CutPrefix(it.Metadata.Annotations["cloud.debian.org/digest"], "sha512:")
			raw, err := base64.RawStdEncoding.Strict().DecodeString(digest)
			if err != nil {
				t.Errorf("%s: %s upload: digest %q: %v", b.ManifestPath, f, digest, err)
			}
			if f == "qcow2" && (it.Data.Ref != b.Path || hex.EncodeToString(raw) != b.Digest.Hex) {
				t.Errorf("%s: qcow2 upload %s %x, want %s %s", b.ManifestPath, it.Data.Ref, raw, b.Path, b.Digest.Hex)
			}
		}
	}
	if diff := cmp.Diff([]string{"internal", "raw", "qcow2"}, formats); diff != "" {
		t.Errorf("%s: upload formats (-want +got):\n%s", b.ManifestPath, diff)
	}
}

func TestWrite(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	l, err := replica.Write(root, replica.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range releases {
		for _, a := range replica.Arches {
			for _, v := range replica.Variants {
				b := l.Newest(rel, a, v)
				if b.Release != rel || b.Arch != a || b.Variant != v {
					t.Fatalf("Newest(%s, %s, %s) = %+v", rel, a, v, b)
				}
				if newest, _ := version.Newest(l.Builds(rel)); b.Version != newest {
					t.Errorf("Newest(%s, %s, %s) is build %s, want the newest of %v", rel, a, v, b.Version, l.Builds(rel))
				}
				checkImage(t, root, b)
			}
		}
	}
	if got := l.Newest("trixie", "amd64", "generic"); got != l.Newest("13", "amd64", "generic") {
		t.Errorf("Newest by codename %+v differs from by number", got)
	}
	for _, b := range []replica.Build{l.Newest("11", "amd64", "generic"), l.Newest("13", "ppc64el", "generic"), l.Newest("13", "amd64", "azure")} {
		if b != (replica.Build{}) {
			t.Errorf("Newest of an unpublished image = %+v, want zero", b)
		}
	}
	// Upstream's shape: forky has daily builds only; the others also have
	// daily builds newer than their release builds.
	for p, want := range map[string]bool{
		"forky/latest":                             false,
		"forky/daily/latest/SHA512SUMS":            true,
		"trixie/daily/latest/SHA512SUMS":           true,
		"bookworm/daily/latest/index.html":         true,
		"index.html":                               true,
		"trixie/latest/debian-13-ec2-arm64.tar.xz": true,
		"trixie/latest/debian-13-ec2-arm64.qcow2":  false,
	} {
		if _, err := os.Stat(filepath.Join(root, p)); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", p, err == nil, want)
		}
	}
	for _, rel := range []string{"12", "13"} {
		daily := mustNewestDaily(t, root, rel)
		if version.Compare(daily, l.Newest(rel, "amd64", "generic").Version) <= 0 {
			t.Errorf("release %s: the daily build %s is not newer than the release build: not a trap", rel, daily)
		}
	}
	index := string(read(t, root, "index.html"))
	for _, d := range []string{"bookworm/", "trixie/", "forky/"} {
		if !strings.Contains(index, `<a href="`+d+`">`) {
			t.Errorf("index.html does not list %s:\n%s", d, index)
		}
	}
	if s := string(read(t, root, "trixie/20261109-2641/index.html")); !strings.Contains(s, "debian-13-generic-amd64-20261109-2641.qcow2") || !strings.Contains(s, "SHA512SUMS") {
		t.Errorf("trixie/20261109-2641/index.html does not list the build's files:\n%s", s)
	}
}

// mustNewestDaily returns the build latest/ of release's daily track is.
func mustNewestDaily(t *testing.T, root, rel string) string {
	t.Helper()
	codename := map[string]string{"12": "bookworm", "13": "trixie"}[rel]
	var doc struct {
		Items []struct {
			Kind string
			Data struct{ Info struct{ Version string } }
		}
	}
	m := read(t, root, codename+"/daily/latest/debian-"+rel+"-generic-amd64-daily.json")
	if err := json.Unmarshal(m, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Items[0].Data.Info.Version
}

func TestWriteSHA512SUMSFormat(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	l, err := replica.Write(root, replica.Options{Releases: []string{"forky"}})
	if err != nil {
		t.Fatal(err)
	}
	b := l.Newest("forky", "arm64", "genericcloud")
	lines := strings.Split(strings.TrimSuffix(string(read(t, root, b.SumsPath)), "\n"), "\n")
	var names []string
	for _, line := range lines {
		digest, name, ok := strings.Cut(line, "  ")
		if !ok || len(digest) != 128 || strings.ContainsAny(name, " *") {
			t.Errorf("%s: line %q is not <128 hex>  <name>", b.SumsPath, line)
		}
		names = append(names, name)
	}
	if !strings.HasSuffix(string(read(t, root, b.SumsPath)), "\n") {
		t.Errorf("%s does not end with a newline", b.SumsPath)
	}
	sorted := append([]string(nil), names...)
	slicesSort(sorted)
	if diff := cmp.Diff(sorted, names); diff != "" {
		t.Errorf("%s is not sorted by name (-sorted +got):\n%s", b.SumsPath, diff)
	}
	// 6 images × (qcow2, raw, tar.xz, json) + 4 cloud images × (tar.xz, json).
	if len(names) != 6*4+4*2 {
		t.Errorf("%s has %d lines, want 32", b.SumsPath, len(names))
	}
}

func slicesSort(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestWriteContent(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	var asked []string
	content := func(name string) ([]byte, error) {
		asked = append(asked, name)
		return []byte("bytes of " + name), nil
	}
	l, err := replica.Write(root, replica.Options{Releases: []string{"13"}, Content: content})
	if err != nil {
		t.Fatal(err)
	}
	b := l.Newest("13", "arm64", "nocloud")
	want := []byte("bytes of " + b.FileName)
	if got := read(t, root, b.Path); !bytes.Equal(got, want) {
		t.Errorf("%s = %q, want %q", b.Path, got, want)
	}
	if got := read(t, root, "trixie/latest/debian-13-nocloud-arm64.qcow2"); !bytes.Equal(got, want) {
		t.Errorf("latest copy = %q, want %q", got, want)
	}
	checkImage(t, root, b)
	for _, n := range []string{b.FileName, strings.Replace(b.FileName, ".qcow2", ".raw", 1), strings.Replace(b.FileName, ".qcow2", ".tar.xz", 1), "debian-13-gce-amd64-" + b.Version + ".tar.xz", "debian-13-generic-amd64-daily-20261125-2665.qcow2"} {
		if !contains(asked, n) {
			t.Errorf("Content was not asked for %s", n)
		}
	}
	for _, n := range asked {
		if strings.HasSuffix(n, ".json") || !strings.Contains(n, "-2026") {
			t.Errorf("Content was asked for %s, which is no pinned image file", n)
		}
	}

	boom := errors.New("boom")
	_, err = replica.Write(t.TempDir(), replica.Options{Content: func(string) ([]byte, error) { return nil, boom }})
	if !errors.Is(err, boom) {
		t.Errorf("Write with a failing Content: %v, want it wrapped", err)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestWriteOptionErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]replica.Options{
		"unknown release in Builds":   {Builds: map[string][]string{"11": {"20260101-1"}}},
		"unknown release in Releases": {Releases: []string{"sid"}},
		"not a build":                 {Builds: map[string][]string{"13": {"latest"}}},
		"not a date":                  {Builds: map[string][]string{"13": {"20261301-1"}}},
		"no builds":                   {Builds: map[string][]string{"13": {}}},
		"a build twice":               {Builds: map[string][]string{"13": {"20261109-2641", "20261109-2641"}}},
	}
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := replica.Write(t.TempDir(), opts); err == nil {
				t.Errorf("Write(%+v) succeeded, want an error", opts)
			}
		})
	}
}

func TestPublish(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		rel         string
		builds      []string
		now         time.Time
		wantVersion string
	}{
		"dated Now":             {rel: "14", now: time.Date(2026, 12, 24, 18, 0, 0, 0, time.UTC), wantVersion: "20261224-2670"},
		"release builds":        {rel: "12", wantVersion: "20261126-2665"}, // one past bookworm's daily 2664
		"daily builds":          {rel: "forky", wantVersion: "20261126-2670"},
		"counter gains a digit": {rel: "13", builds: []string{"20261126-9998", "20261126-9999"}, wantVersion: "20261126-10000"},
		"newest dated later":    {rel: "13", builds: []string{"20261201-3000"}, wantVersion: "20261201-3001"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			opts := replica.Options{Releases: []string{tc.rel}, Now: tc.now}
			if tc.builds != nil {
				opts.Builds = map[string][]string{"13": tc.builds}
			}
			l, err := replica.Write(root, opts)
			if err != nil {
				t.Fatal(err)
			}
			before := map[string]replica.Build{}
			for _, v := range replica.Variants {
				before[v] = l.Newest(tc.rel, "amd64", v)
			}
			oldBytes := read(t, root, before["generic"].Path)
			b, err := l.Publish(tc.rel, "amd64", "generic")
			if err != nil {
				t.Fatal(err)
			}
			if b.Version != tc.wantVersion {
				t.Errorf("Publish: version %s, want %s", b.Version, tc.wantVersion)
			}
			if diff := cmp.Diff(b, l.Newest(tc.rel, "amd64", "generic")); diff != "" {
				t.Errorf("Newest after Publish (-published +newest):\n%s", diff)
			}
			checkImage(t, root, b)
			for _, v := range replica.Variants {
				nb := l.Newest(tc.rel, "amd64", v)
				if nb.Version != b.Version || nb.Digest == before[v].Digest {
					t.Errorf("%s after Publish: %s %s, want build %s with a new digest", v, nb.Version, nb.Digest.Short(), b.Version)
				}
				checkImage(t, root, nb)
			}
			if got := read(t, root, before["generic"].Path); !bytes.Equal(got, oldBytes) {
				t.Errorf("Publish changed the old build's file %s", before["generic"].Path)
			}
			if d, err := checksum.Find(read(t, root, before["generic"].SumsPath), checksum.SHA512, before["generic"].FileName); err != nil || d != before["generic"].Digest {
				t.Errorf("the old build's SHA512SUMS changed: %v, %v", d, err)
			}
			if builds := l.Builds(tc.rel); builds[len(builds)-1] != b.Version {
				t.Errorf("Builds = %v, want %s last", builds, b.Version)
			}
			if _, err := l.Publish(tc.rel, "ppc64el", "generic"); err == nil {
				t.Error("Publish of an unpublished arch succeeded")
			}
		})
	}
}
