package config

import (
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Store settings: where VM disks on top of the images live, how many
// previous builds each image keeps, and per-image holds.
const (
	// DefaultRetain is how many previous builds of an image are kept for
	// rollback (builds that a VM disk uses are kept whatever it says).
	DefaultRetain = 1
	MaxRetain     = 100
)

// retainUnset marks an image's retain as not written (it takes the global
// one).
const retainUnset = -1

func (p *parser) retain(v *yaml.Node, path string) (int, error) {
	n, err := p.integer(v, path)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > MaxRetain {
		return 0, p.errAt(v, path, "want 0 to %d previous builds, got %d", MaxRetain, n)
	}
	return n, nil
}

func (p *parser) boolean(v *yaml.Node, path string) (bool, error) {
	if v.Kind == yaml.ScalarNode && v.ShortTag() == tagBool {
		switch strings.ToLower(v.Value) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, p.errAt(v, path, "want true or false, got %s", describe(v))
}

// fillRetain gives images without their own retain the global one.
func fillRetain(images []Image, global int) {
	for i := range images {
		if images[i].Retain == retainUnset {
			images[i].Retain = global
		}
	}
}

// applyOverlaysEnv reads FETCHD_OVERLAYS: colon-separated overlay
// directories, replacing the file's overlays (empty elements skipped);
// and FETCHD_REBASE_OVERLAYS: true to rebase VM disks that use a name
// onto its old build before moving it (sync --rebase-overlays), for the
// service's refreshes too.
func (c *Config) applyOverlaysEnv(getenv func(string) string) error {
	switch v := getenv("FETCHD_REBASE_OVERLAYS"); strings.ToLower(strings.TrimSpace(v)) {
	case "", "false", "0", "no":
	case "true", "1", "yes":
		c.RebaseOverlays = true
	default:
		return &Error{Key: "$FETCHD_REBASE_OVERLAYS", Msg: "want true or false, got " + strconv.Quote(shorten(v, 40))}
	}
	v := getenv("FETCHD_OVERLAYS")
	if v == "" {
		return nil
	}
	c.Overlays = nil
	for _, d := range strings.Split(v, ":") {
		if d == "" {
			continue
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			return &Error{Key: "$FETCHD_OVERLAYS", Msg: "cannot make " + strconv.Quote(d) + " absolute", Err: err}
		}
		c.Overlays = append(c.Overlays, abs)
	}
	return nil
}
