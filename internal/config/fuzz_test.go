package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is an *Error,
// and that whatever it accepts satisfies the rules the rest of fetchd
// relies on.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"full.yaml", "every-key.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(DefaultYAML))
	f.Add([]byte(""))
	f.Add([]byte("images:\n  a.qcow2: {source: s, release: 3.20}\n  A.qcow2: {url: 'https://x/a', checksum: 'sha256:" + hex64 + "'}\n"))
	f.Add([]byte("images:\n  x.raw: {url: 'http://h:8/x.raw', checksum: 'file:https://h/SUMS', format: raw, update: never}\n"))
	f.Add([]byte("dir: &a x\nplugin_path: [*a]\n<<: {}\n"))
	f.Add([]byte("parallel: 16\nmax_image_size: 1\nidle_timeout: 1s\nupdate: always\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(filepath.Join("testdata", "fuzz.yaml"), data)
		if err != nil {
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("error %T is not a *config.Error: %v", err, err)
			}
			return
		}
		checkInvariants(t, c)
	})
}

func checkInvariants(t *testing.T, c *Config) {
	t.Helper()
	if !filepath.IsAbs(c.Dir) {
		t.Errorf("Dir %q is not absolute", c.Dir)
	}
	if c.Parallel < 1 || c.Parallel > MaxParallel {
		t.Errorf("Parallel = %d", c.Parallel)
	}
	if c.MaxImageSize <= 0 {
		t.Errorf("MaxImageSize = %d", c.MaxImageSize)
	}
	if c.IdleTimeout < MinIdleTimeout {
		t.Errorf("IdleTimeout = %s", c.IdleTimeout)
	}
	if _, err := ParsePolicy(string(c.Update)); err != nil {
		t.Errorf("Update: %v", err)
	}
	for _, p := range c.PluginPath {
		if !filepath.IsAbs(p) {
			t.Errorf("plugin path %q is not absolute", p)
		}
	}
	for name, s := range c.Sources {
		if !ValidSourceName(name) {
			t.Errorf("source name %q accepted", name)
		}
		if s.BaseURL != "" {
			if err := checkURL(s.BaseURL, false); err != nil {
				t.Errorf("source %s: base_url %q accepted: %v", name, s.BaseURL, err)
			}
		}
		if len(s.Keys) != len(s.KeyData) {
			t.Errorf("source %s: %d keys but %d key contents", name, len(s.Keys), len(s.KeyData))
		}
	}
	if !slices.IsSortedFunc(c.Images, func(a, b Image) int { return compareStrings(a.Name, b.Name) }) {
		t.Error("images are not sorted by name")
	}
	folded := map[string]bool{}
	for _, im := range c.Images {
		if err := CheckImageName(im.Name); err != nil {
			t.Errorf("image name %q accepted: %v", im.Name, err)
		}
		if folded[foldName(im.Name)] {
			t.Errorf("image name %q accepted twice (ignoring case)", im.Name)
		}
		folded[foldName(im.Name)] = true
		if (im.Source == "") == (im.URL == "") {
			t.Errorf("image %q: source %q, url %q: want exactly one", im.Name, im.Source, im.URL)
		}
		if _, err := ParsePolicy(string(im.Update)); err != nil {
			t.Errorf("image %q: update: %v", im.Name, err)
		}
		if im.Source != "" {
			if !ValidSourceName(im.Source) || im.Release == "" || !im.Checksum.IsZero() || im.ChecksumFileURL != "" || im.Format != "" {
				t.Errorf("source image %+v breaks the rules", im)
			}
			for _, w := range []string{im.Release, im.Arch, im.Variant} {
				if err := checkWord(w); err != nil {
					t.Errorf("image %q: %v", im.Name, err)
				}
			}
			continue
		}
		if im.Checksum.IsZero() == (im.ChecksumFileURL == "") {
			t.Errorf("url image %q: want exactly one of checksum %v and checksum file %q", im.Name, im.Checksum, im.ChecksumFileURL)
		}
		if !im.Checksum.IsZero() {
			if err := im.Checksum.Validate(); err != nil {
				t.Errorf("url image %q: checksum: %v", im.Name, err)
			}
		}
		if err := checkURL(im.URL, true); err != nil {
			t.Errorf("url image %q: %v", im.Name, err)
		}
		if im.Format != FormatQCOW2 && im.Format != FormatRaw {
			t.Errorf("url image %q: format %q", im.Name, im.Format)
		}
		if im.Release != "" || im.Arch != "" || im.Variant != "" {
			t.Errorf("url image %q has release/arch/variant", im.Name)
		}
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
