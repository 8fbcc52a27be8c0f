package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Connections and mirrors.
const (
	// MaxConnections is the most connections a download may use, and what
	// the automatic rule stops at (download.MaxConnectionsPerHost).
	MaxConnections = 16
	// MaxMirrors bounds the mirrors of one source or image.
	MaxMirrors = 8
)

// ParseConnections reads a connections setting: "auto" (0: start with one
// and add while the total rate still grows) or a count from 1 (one
// connection: segmented downloads off) to MaxConnections.
func ParseConnections(s string) (int, error) {
	if s == "auto" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxConnections {
		return 0, fmt.Errorf("want auto or a whole number from 1 to %d, got %q", MaxConnections, shorten(s, 40))
	}
	return n, nil
}

func (p *parser) connections(v *yaml.Node) (int, error) {
	if v.Kind != yaml.ScalarNode || (v.ShortTag() != tagStr && v.ShortTag() != tagInt) {
		return 0, p.errAt(v, "connections", "want auto or a whole number from 1 to %d, got %s", MaxConnections, describe(v))
	}
	n, err := ParseConnections(v.Value)
	if err != nil {
		return 0, p.errAt(v, "connections", "%v", err)
	}
	return n, nil
}

// mirrors reads a list of mirror URLs. For a source (file false) each is a
// base URL serving the same tree as primary, the source's base_url; for a
// url image (file true) each is another URL of the same file. A mirror
// only ever serves bytes: what they must hash to comes from the primary.
func (p *parser) mirrors(v *yaml.Node, path string, file bool, primary string) ([]string, error) {
	var out []string
	seen := map[string]int{canonicalMirror(primary): -1}
	err := p.list(v, path, func(i int, item *yaml.Node) error {
		ipath := index(path, i)
		s, err := p.str(item, ipath)
		if err != nil {
			return err
		}
		if err := checkURL(s, file); err != nil {
			return p.errAt(item, ipath, "%v", err)
		}
		if !file && strings.Contains(s, "?") {
			return p.errAt(item, ipath, "%q: a mirror's base URL must not have a query", shorten(s, 60))
		}
		if j, dup := seen[canonicalMirror(s)]; dup {
			if j < 0 {
				return p.errAt(item, ipath, "%q is the primary itself, not a mirror of it", shorten(s, 60))
			}
			return p.errAt(item, ipath, "%q is listed twice (also %s)", shorten(s, 60), index(path, j))
		}
		seen[canonicalMirror(s)] = i
		if len(out) == MaxMirrors {
			return p.errAt(item, ipath, "at most %d mirrors", MaxMirrors)
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

func canonicalMirror(s string) string { return strings.TrimRight(s, "/") }

// sourceMirrors reads sources.<name>.mirrors, which needs the base_url the
// mirrors copy (it may come after mirrors in the file).
func (p *parser) sourceMirrors(k, v *yaml.Node, path string, src *Source) error {
	if src.BaseURL == "" {
		return p.errAt(k, path, "mirrors need the base_url they copy: set base_url (the primary, e.g. the distribution's own server) next to them")
	}
	ms, err := p.mirrors(v, path, false, src.BaseURL)
	src.Mirrors = ms
	return err
}
