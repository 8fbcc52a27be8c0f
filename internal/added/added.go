package added

import (
	"errors"
	"fmt"
	"io/fs"

	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/store"
)

// MaxFileBytes bounds the file (and so how many images can be added).
const MaxFileBytes = 256 << 10

// Entry is one added image, as the API takes it and the file keeps it.
type Entry struct {
	Name     string `yaml:"-" json:"name"`
	Source   string `yaml:"source,omitempty" json:"source,omitempty"`
	Release  string `yaml:"release,omitempty" json:"release,omitempty"`
	Arch     string `yaml:"arch,omitempty" json:"arch,omitempty"`
	Variant  string `yaml:"variant,omitempty" json:"variant,omitempty"`
	URL      string `yaml:"url,omitempty" json:"url,omitempty"`
	Checksum string `yaml:"checksum,omitempty" json:"checksum,omitempty"`
	Format   string `yaml:"format,omitempty" json:"format,omitempty"`
}

// Path is the file's real path, for messages.
func Path(dir string) string {
	return filepath.Join(dir, store.PrivateDir, config.AddedFile)
}

// read returns the file's bytes (nil when it or the private directory
// does not exist yet).
func read(dir string) ([]byte, error) {
	st, err := store.Open(dir, false)
	if errors.Is(err, store.ErrNoStore) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer st.Close()
	data, err := st.ReadFile(store.Private, config.AddedFile, MaxFileBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// Apply adds the file's images to cfg (whose Dir is final). Names the
// config file declares too stay the config file's; they are returned.
func Apply(cfg *config.Config) (skipped []string, err error) {
	data, err := read(cfg.Dir)
	if err != nil || data == nil {
		return nil, err
	}
	ims, err := cfg.ParseAdded(Path(cfg.Dir), data)
	if err != nil {
		return nil, err
	}
	return cfg.AddImages(ims), nil
}

// Load returns the entries of the file, in name order.
func Load(dir string) ([]Entry, error) {
	data, err := read(dir)
	if err != nil || data == nil {
		return nil, err
	}
	var doc struct {
		Images map[string]Entry `yaml:"images"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", Path(dir), err)
	}
	out := make([]Entry, 0, len(doc.Images))
	for name, e := range doc.Images {
		e.Name = name
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Encode is the file's text for entries.
func Encode(entries []Entry) ([]byte, error) {
	var b strings.Builder
	b.WriteString("# Images added through fetchd serve's API (the web UI). fetchd rewrites this\n# file; the config file's images come first and win on a name both declare.\nimages:\n")
	for _, e := range entries {
		key, err := yaml.Marshal(e.Name)
		if err != nil {
			return nil, err
		}
		val, err := yaml.Marshal(e)
		if err != nil {
			return nil, err
		}
		b.WriteString("  " + strings.TrimSpace(string(key)) + ":\n")
		for _, line := range strings.Split(strings.TrimSpace(string(val)), "\n") {
			b.WriteString("    " + line + "\n")
		}
	}
	return []byte(b.String()), nil
}

// Save replaces the file with entries (removing it for none), atomically.
func Save(dir string, entries []Entry) error {
	st, err := store.Open(dir, true)
	if err != nil {
		return err
	}
	defer st.Close()
	if len(entries) == 0 {
		return st.Remove(store.Private, config.AddedFile)
	}
	data, err := Encode(entries)
	if err != nil {
		return err
	}
	if len(data) > MaxFileBytes {
		return fmt.Errorf("%s would hold %d bytes, over the %d-byte limit: remove added images first", Path(dir), len(data), MaxFileBytes)
	}
	return st.WriteFile(store.Private, config.AddedFile, data)
}

// Check parses entries as the file would hold them, by cfg's rules for
// each image (a name cfg has already is for the caller to refuse). It
// returns the images as they would be configured.
func Check(cfg *config.Config, entries []Entry) ([]config.Image, error) {
	data, err := Encode(entries)
	if err != nil {
		return nil, err
	}
	ims, err := cfg.ParseAdded(config.AddedFile, data)
	if err != nil {
		return nil, err
	}
	return ims, nil
}
