package added_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/added"
	"github.com/sandlabx/fetchd/internal/config"
)

const hex64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// configIn parses a config file whose image directory is dir.
func configIn(t *testing.T, dir, images string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(filepath.Join(dir, "fetchd.yaml"), []byte("dir: "+filepath.Join(dir, "images")+"\n"+images))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var (
	srcEntry = added.Entry{Name: "debian-cloud.qcow2", Source: "debian", Release: "13", Arch: "amd64", Variant: "genericcloud"}
	urlEntry = added.Entry{Name: "custom.raw", URL: "https://example.org/a/custom.raw", Checksum: "sha256:" + hex64, Format: "raw"}
)

// TestSaveLoadApply: what Save writes, Load reads back (in name order),
// in a 0600 file in the private directory, and Apply adds to the
// configuration as added images; a name the config file declares stays
// the config file's.
func TestSaveLoadApply(t *testing.T) {
	dir := t.TempDir()
	cfg := configIn(t, dir, "images:\n  custom.raw: {source: alpine, release: edge}\n")
	if err := added.Save(cfg.Dir, []added.Entry{urlEntry, srcEntry}); err != nil {
		t.Fatal(err)
	}
	file := added.Path(cfg.Dir)
	if want := filepath.Join(cfg.Dir, ".fetchd", "images.yaml"); file != want {
		t.Errorf("Path = %s, want %s", file, want)
	}
	fi, err := os.Lstat(file)
	if err != nil || fi.Mode() != 0o600 {
		t.Fatalf("%s: %v %v, want a regular 0600 file", file, fi, err)
	}
	got, err := added.Load(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]added.Entry{urlEntry, srcEntry}, got); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
	skipped, err := added.Apply(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(skipped, []string{"custom.raw"}) {
		t.Errorf("Apply skipped %q, want the name the config file declares", skipped)
	}
	im, ok := cfg.Image("debian-cloud.qcow2")
	if !ok || !im.Added || im.Source != "debian" || im.Release != "13" || im.Variant != "genericcloud" {
		t.Errorf("after Apply: %+v %v, want the added Debian image", im, ok)
	}
	if im, _ := cfg.Image("custom.raw"); im.Added || im.Source != "alpine" {
		t.Errorf("custom.raw after Apply: %+v, want the config file's", im)
	}
}

// TestNothingAdded: no image directory, no private directory, no file:
// nothing added, no error; saving no entries removes the file.
func TestNothingAdded(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none")
	if es, err := added.Load(missing); err != nil || es != nil {
		t.Errorf("Load of a missing directory: %v %v", es, err)
	}
	cfg := configIn(t, dir, "")
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	n := len(cfg.Images)
	if skipped, err := added.Apply(cfg); err != nil || skipped != nil || len(cfg.Images) != n {
		t.Errorf("Apply without a file: %v %v, %d images (want %d)", skipped, err, len(cfg.Images), n)
	}
	if err := added.Save(cfg.Dir, []added.Entry{srcEntry}); err != nil {
		t.Fatal(err)
	}
	if err := added.Save(cfg.Dir, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(added.Path(cfg.Dir)); !os.IsNotExist(err) {
		t.Errorf("after saving no entries: %v, want no file", err)
	}
	if es, err := added.Load(cfg.Dir); err != nil || es != nil {
		t.Errorf("Load after removing: %v %v", es, err)
	}
}

// TestEncodeQuotes: values that mean something in YAML come back as they
// went in.
func TestEncodeQuotes(t *testing.T) {
	dir := t.TempDir()
	weird := added.Entry{Name: "x: y #z.qcow2", Source: "'s\"", Release: "- 1", Arch: "&a", Variant: "*b", URL: "https://h/p?q=1&r=a: b", Checksum: "file:https://h/SUMS #1"}
	if err := added.Save(dir, []added.Entry{weird}); err != nil {
		t.Fatal(err)
	}
	got, err := added.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]added.Entry{weird}, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// TestCheck: entries are held to the config file's rules, and refused
// with the file, the image and the rule.
func TestCheck(t *testing.T) {
	cfg := configIn(t, t.TempDir(), "")
	ims, err := added.Check(cfg, []added.Entry{srcEntry, urlEntry})
	if err != nil {
		t.Fatal(err)
	}
	if len(ims) != 2 || !ims[0].Added || !ims[1].Added {
		t.Errorf("Check: %+v, want two added images", ims)
	}
	for name, tc := range map[string]struct {
		e    added.Entry
		want string
	}{
		"url without checksum": {added.Entry{Name: "a.qcow2", URL: "https://x/a.qcow2"}, "a url image needs a checksum"},
		"file URL":             {added.Entry{Name: "a.qcow2", URL: "file:///etc/shadow", Checksum: "sha256:" + hex64}, "want an https:// (or http://) URL"},
		"name with a slash":    {added.Entry{Name: "../a.qcow2", Source: "debian", Release: "13"}, "../a.qcow2"},
		"short checksum":       {added.Entry{Name: "a.qcow2", URL: "https://x/a", Checksum: "sha256:abcd"}, "want 64"},
		"source and url":       {added.Entry{Name: "a.qcow2", Source: "debian", URL: "https://x/a", Checksum: "sha256:" + hex64}, "a.qcow2"},
	} {
		_, err := added.Check(cfg, []added.Entry{tc.e})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), config.AddedFile) {
			t.Errorf("%s: %v, want an error naming %s and %q", name, err, config.AddedFile, tc.want)
		}
	}
}

// TestFileRefused: a file that is not fetchd's own plain file, or that is
// too large, is refused rather than read; Save refuses to grow the file
// past MaxFileBytes and leaves it as it was.
func TestFileRefused(t *testing.T) {
	dir := t.TempDir()
	if err := added.Save(dir, []added.Entry{srcEntry}); err != nil {
		t.Fatal(err)
	}
	file := added.Path(dir)
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var many []added.Entry
	// Each entry takes over 100 bytes: more than fit.
	for i := range added.MaxFileBytes/100 + 1 {
		e := urlEntry
		e.Name = "image-" + strconv.Itoa(i) + ".raw"
		many = append(many, e)
	}
	err = added.Save(dir, many)
	if err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "limit") {
		t.Errorf("Save of %d entries: %v, want a refusal naming %s and the limit", len(many), err, file)
	}
	if after, _ := os.ReadFile(file); !bytes.Equal(after, before) {
		t.Error("a refused Save changed the file")
	}

	// Too large on disk (written by someone else).
	if err := os.WriteFile(file, bytes.Repeat([]byte("#\n"), added.MaxFileBytes), 0o600); err != nil {
		t.Fatal(err)
	}
	if es, err := added.Load(dir); err == nil {
		t.Errorf("Load of a %d-byte file: %v, want an error", 2*added.MaxFileBytes, es)
	}

	// A symlink in place of the file.
	target := filepath.Join(t.TempDir(), "elsewhere.yaml")
	if err := os.WriteFile(target, before, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, file); err != nil {
		t.Fatal(err)
	}
	if es, err := added.Load(dir); err == nil {
		t.Errorf("Load through a symlink: %v, want an error", es)
	}

	// Not YAML.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("images: [unclosed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := added.Load(dir); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("Load of broken YAML: %v, want an error naming %s", err, file)
	}
}
