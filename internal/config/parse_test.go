package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func TestParseProductExample(t *testing.T) {
	t.Parallel()
	file := filepath.Join("testdata", "full.yaml")
	c, err := Load(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		File:         file,
		Dir:          mustAbs(t, "testdata/images"),
		Update:       Notify,
		Parallel:     3,
		MaxImageSize: 16 << 30,
		IdleTimeout:  60 * time.Second,
		PluginLimits: DefaultPluginLimits(),
		Refresh:      6 * time.Hour,
		AutoDownload: true,
		Retain:       1,
		Sources:      map[string]Source{"ubuntu": {BaseURL: "https://cloud-images.ubuntu.com", BaseURLLine: 7, Line: 6}},
		Images: []Image{
			{Name: "alpine-3.qcow2", Source: "alpine", Release: "latest-stable", Update: Notify, Retain: 1, Line: 10},
			{Name: "debian-13.qcow2", Source: "debian", Release: "13", Update: Notify, Retain: 1, Line: 11},
			{
				Name: "my-custom.qcow2", URL: "https://example.com/images/custom.qcow2",
				Checksum: checksum.Digest{Algorithm: checksum.SHA256, Hex: "6cdfd271da635d491e37a2b4a1044b306e6e9e039aeadee95bb355efadf8cb33"},
				Format:   FormatQCOW2, Update: Notify, Retain: 1, Line: 12,
			},
			{Name: "ubuntu-24-lts.qcow2", Source: "ubuntu", Release: "24.04", Update: Notify, Retain: 1, Line: 9},
		},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("Load(%s) mismatch (-want +got):\n%s", file, diff)
	}
	if got := c.HTTPHosts(); len(got) != 0 {
		t.Errorf("HTTPHosts() = %v, want none (everything is https)", got)
	}
}

func TestParseEveryKey(t *testing.T) {
	t.Parallel()
	file := filepath.Join("testdata", "every-key.yaml")
	key, err := os.ReadFile(filepath.Join("testdata", "placeholder-key.asc"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		File:         file,
		Dir:          "/srv/images",
		Update:       Always,
		Parallel:     16,
		Connections:  4,
		MaxImageSize: 512 << 20,
		IdleTimeout:  150 * time.Second,
		PluginLimits: PluginLimits{Memory: 256 << 20, CPU: 90 * time.Second},
		PluginPath:   []string{mustAbs(t, "testdata/plugins"), "/opt/fetchd/plugins"},
		Overlays:     []string{"/srv/overlays", mustAbs(t, "testdata/vm-disks")},
		Retain:       3,
		AutoDownload: true,
		Sources: map[string]Source{
			"ubuntu": {
				BaseURL: "http://mirror.lan:8080/ubuntu/", BaseURLLine: 13, HTTPHost: "mirror.lan:8080",
				Keys: []string{mustAbs(t, "testdata/placeholder-key.asc")}, KeyData: [][]byte{key}, KeysLine: 14, Line: 12,
			},
			"in-house2": {
				BaseURL: "https://images.example.com", BaseURLLine: 17, Line: 15,
				Mirrors: []string{"https://mirror-a.example.com/images", "http://mirror.lan:8081/in-house"},
			},
		},
		Images: []Image{
			{Name: "alpine-edge.qcow2", Source: "alpine", Release: "edge", Arch: "aarch64", Variant: "nocloud-uefi-cloudinit", Update: Never, Hold: true, Retain: 0, Line: 19},
			{Name: "debian-13-arm.qcow2", Source: "debian", Release: "13", Arch: "arm64", Variant: "genericcloud", Update: Always, Retain: 3, Line: 27},
			{
				Name: "old.raw", URL: "http://files.lan/old.raw", ChecksumFileURL: "https://files.lan/SHA256SUMS", Format: FormatRaw, Update: Notify, Retain: 3, Line: 28,
				Mirrors: []string{"https://files.example.com/old.raw"},
			},
			{Name: "ubuntu.qcow2", Source: "ubuntu", Release: "24.04", Update: Always, Retain: 3, Line: 34},
		},
		Refresh: 30 * time.Minute,
		API: API{Listen: "0.0.0.0:8080", Socket: "/run/fetchd/api.sock", TokenFile: mustAbs(t, "testdata/api-token"),
			Token: "placeholder-api-token-0123456789abcdef", PublicRead: true, Line: 38},
		Notify: []Webhook{
			{URL: "https://lab.example.com/hooks/fetchd", Events: []string{"outdated", "failed"},
				Secret: []byte("placeholder-api-token-0123456789abcdef"), RetryFor: time.Minute, Line: 43},
			{URL: "http://backend:3000/hooks", Events: DefaultNotifyEvents, Secret: []byte("placeholder-webhook-secret"),
				RetryFor: DefaultRetryFor, Line: 47},
		},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("Load(%s) mismatch (-want +got):\n%s", file, diff)
	}
	if diff := cmp.Diff([]string{"files.lan:80", "mirror.lan:8080", "mirror.lan:8081"}, c.HTTPHosts()); diff != "" {
		t.Errorf("HTTPHosts() mismatch (-want +got):\n%s", diff)
	}
}

func TestDefaultYAMLIsDefault(t *testing.T) {
	t.Parallel()
	c, err := Parse("", []byte(DefaultYAML))
	if err != nil {
		t.Fatalf("Parse(DefaultYAML): %v", err)
	}
	if diff := cmp.Diff(Default(), c); diff != "" {
		t.Errorf("Parse(DefaultYAML) differs from Default() (-Default +parsed):\n%s", diff)
	}
}

// TestReleaseAsWritten pins that release, arch and variant keep the text
// the operator wrote, even where YAML reads a number: 3.20 is not 3.2.
func TestReleaseAsWritten(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		`24.04`:         "24.04",
		`"24.04"`:       "24.04",
		`13`:            "13",
		`3.20`:          "3.20",
		`'3.20'`:        "3.20",
		`010`:           "010",
		`latest-stable`: "latest-stable",
		`2024-01-15`:    "2024-01-15",
	}
	for written, want := range tests {
		t.Run(written, func(t *testing.T) {
			t.Parallel()
			c, err := Parse("fetchd.yaml", []byte("images:\n  x.qcow2: {source: s, release: "+written+", arch: "+written+", variant: "+written+"}\n"))
			if err != nil {
				t.Fatal(err)
			}
			im := c.Images[0]
			if diff := cmp.Diff([]string{want, want, want}, []string{im.Release, im.Arch, im.Variant}); diff != "" {
				t.Errorf("release, arch, variant mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "fetchd.yaml")
	c, err := Parse(file, []byte("images:\n  u.img:\n    url: https://h/u.img\n    checksum: SHA512:"+string(make128('A'))+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		File: file, Dir: filepath.Join(dir, "images"), Update: Notify, Parallel: 3,
		MaxImageSize: 16 << 30, IdleTimeout: time.Minute, PluginLimits: DefaultPluginLimits(), Refresh: DefaultRefresh, AutoDownload: true, Retain: 1, Sources: map[string]Source{},
		Images: []Image{{
			Name: "u.img", URL: "https://h/u.img", Format: FormatQCOW2, Update: Notify, Retain: 1, Line: 2,
			Checksum: checksum.Digest{Algorithm: checksum.SHA512, Hex: string(make128('a'))},
		}},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
}

func make128(c byte) []byte {
	b := make([]byte, 128)
	for i := range b {
		b[i] = c
	}
	return b
}

func TestConfigImage(t *testing.T) {
	t.Parallel()
	c := Default()
	tests := map[string]bool{
		"alpine-3.qcow2":      true,
		"debian-13.qcow2":     true,
		"ubuntu-24-lts.qcow2": true,
		"Alpine-3.qcow2":      false,
		"alpine-3":            false,
		"":                    false,
		"zzz":                 false,
	}
	for name, want := range tests {
		im, ok := c.Image(name)
		if ok != want || (ok && im.Name != name) {
			t.Errorf("Image(%q) = %q, %v; want found=%v", name, im.Name, ok, want)
		}
	}
}

func TestSetUpdate(t *testing.T) {
	t.Parallel()
	c, err := Parse("f.yaml", []byte("images:\n  a: {source: s, release: r, update: never}\n  b: {source: s, release: r}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Policy{Never, Notify}, []Policy{c.Images[0].Update, c.Images[1].Update}); diff != "" {
		t.Errorf("per-image update before SetUpdate (-want +got):\n%s", diff)
	}
	c.SetUpdate(Always)
	if diff := cmp.Diff([]Policy{Always, Always, Always}, []Policy{c.Update, c.Images[0].Update, c.Images[1].Update}); diff != "" {
		t.Errorf("after SetUpdate(always) (-want +got):\n%s", diff)
	}
}
