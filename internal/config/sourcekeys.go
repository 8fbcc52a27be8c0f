package config

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sandlabx/fetchd/sdk/signature"
)

// A source's trusted keys and pinned plugin binary (sources.<name>.keys and
// sources.<name>.plugin).
//
// keys is either a list of key files, trusted for every release of the
// source, or a mapping from a release's canonical name to a list, so that a
// release's checksum files verify only with that release's keys (Fedora
// signs each release with its own key):
//
//	keys: [mirror-key.asc]
//	keys:
//	  "41": [fedora-41.asc]
//	  "42": [fedora-42.asc]
//
// With a mapping, a release that is not listed gets no operator keys: the
// plugin falls back to the keys it embeds, as with no keys at all. The
// mapping's release names are checked against the plugin's releases when
// the plugin is started (the config cannot know them). Every key file is
// read and parsed as OpenPGP public keys when the config loads; a bad one
// is an error naming the file and the config line.

// KeySet is the key files of one keys list.
type KeySet struct {
	// Files are the absolute paths; Data their contents, parsed once at
	// load to check them.
	Files []string
	Data  [][]byte
	Line  int
}

// KeysFor returns the key data the operator configured for release (a
// canonical release name) of this source: the list form's keys for every
// release, the mapping's entry for release, or nil.
func (s Source) KeysFor(release string) [][]byte {
	if s.ReleaseKeys == nil {
		return s.KeyData
	}
	return s.ReleaseKeys[release].Data
}

// HasKeys reports whether the operator configured any keys for the source.
func (s Source) HasKeys() bool { return len(s.KeyData) > 0 || len(s.ReleaseKeys) > 0 }

// KeyReleases returns the releases the keys mapping names, sorted; nil for
// the list form.
func (s Source) KeyReleases() []string {
	if s.ReleaseKeys == nil {
		return nil
	}
	out := make([]string, 0, len(s.ReleaseKeys))
	for r := range s.ReleaseKeys {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// keys reads sources.<name>.keys: a list, or a mapping of release to list.
func (p *parser) keys(v *yaml.Node, path string, src *Source) error {
	src.KeysLine = v.Line
	if v.Kind != yaml.MappingNode {
		set, err := p.keyList(v, path)
		src.Keys, src.KeyData = set.Files, set.Data
		return err
	}
	src.ReleaseKeys = map[string]KeySet{}
	return p.mapping(v, path, nil, func(release string, k, lv *yaml.Node) error {
		if err := checkWord(release); err != nil {
			return p.errAt(k, path, "release %v", err)
		}
		set, err := p.keyList(lv, child(path, release))
		if err != nil {
			return err
		}
		if len(set.Files) == 0 {
			return p.errAt(lv, child(path, release), "no key files: leave the release out to use the plugin's own keys")
		}
		set.Line = k.Line
		src.ReleaseKeys[release] = set
		return nil
	})
}

// keyList reads a list of key files, each parsed as OpenPGP public keys.
func (p *parser) keyList(v *yaml.Node, path string) (KeySet, error) {
	set := KeySet{Line: v.Line}
	err := p.list(v, path, func(i int, item *yaml.Node) error {
		ipath := index(path, i)
		s, err := p.str(item, ipath)
		if err != nil {
			return err
		}
		name := resolve(p.baseDir, s)
		data, err := readFile(name)
		if err != nil {
			return &Error{File: p.file, Line: item.Line, Key: ipath, Msg: "key file " + name, Err: err}
		}
		if len(data) == 0 {
			return p.errAt(item, ipath, "key file %s is empty", name)
		}
		if _, err := signature.ParseKeyring(data); err != nil {
			msg := strings.TrimPrefix(err.Error(), "parse keyring: key data 1 of 1: ")
			return p.errAt(item, ipath, "key file %s: not an OpenPGP public key: %s", name, msg)
		}
		set.Files = append(set.Files, name)
		set.Data = append(set.Data, data)
		return nil
	})
	return set, err
}

// plugin reads sources.<name>.plugin: the binary that must serve the
// source.
func (p *parser) plugin(v *yaml.Node, path string, src *Source) error {
	s, err := p.str(v, path)
	if err != nil {
		return err
	}
	if strings.HasPrefix(s, "~") {
		return p.errAt(v, path, "%q: ~ is not expanded; write the full path", s)
	}
	src.Plugin = resolve(p.baseDir, s)
	src.PluginLine = v.Line
	return nil
}

// Where names a config line for messages: "file:line", or "built-in config"
// and the line for the default.
func (c *Config) Where(line int) string {
	file := c.File
	if file == "" {
		file = "built-in config"
	}
	return fmt.Sprintf("%s:%d", file, line)
}

// PluginKeys returns the keys in the shape the plugin host takes them: the
// list form's keys, or the mapping's keys by release (nil for the list
// form).
func (s Source) PluginKeys() (all [][]byte, byRelease map[string][][]byte) {
	if s.ReleaseKeys == nil {
		return s.KeyData, nil
	}
	byRelease = make(map[string][][]byte, len(s.ReleaseKeys))
	for r, set := range s.ReleaseKeys {
		byRelease[r] = set.Data
	}
	return nil, byRelease
}

// KeysWhere names the keys setting of source name for messages:
// "fetchd.yaml:12: sources.fedora.keys".
func (c *Config) KeysWhere(name string) string {
	return c.Where(c.Sources[name].KeysLine) + ": " + child(child("sources", name), "keys")
}
