package pluginhost

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sandlabx/fetchd/sdk"
)

// FilePrefix starts the file name of every plugin binary:
// fetchd-plugin-<name>.
const FilePrefix = "fetchd-plugin-"

// Dir is a directory searched for plugins.
type Dir struct {
	Path string
	// Explicit is true when the operator named the directory (the plugin
	// path); a missing explicit directory is reported, a missing default
	// one is not.
	Explicit bool
}

// Candidate is a plugin that can be started.
type Candidate struct {
	Name string
	// Path is the executable: the plugin binary as found (or pinned), or
	// the fetchd binary for a built-in source.
	Path string
	// Real is Path with symlinks resolved: what is run. "" means Path.
	Real    string
	Builtin bool
	// Shadows lists what this candidate hides: paths of plugins of the same
	// name in later directories, and "built-in" when it replaces one.
	Shadows []string
	// PinnedBy says where the operator pinned this binary for the source
	// (sources.<name>.plugin), e.g. "/etc/fetchd/fetchd.yaml:12"; "" when
	// it was found on the search path.
	PinnedBy string
	// Problem, when set, is why the pinned binary may not be used; Start
	// fails with it.
	Problem error
}

// Origin is "built-in" or the plugin's path as found, for messages.
func (c Candidate) Origin() string {
	if c.Builtin {
		return "built-in"
	}
	return c.Path
}

// ReplacesBuiltin reports whether the candidate is a plugin that replaces
// a built-in source of the same name.
func (c Candidate) ReplacesBuiltin() bool {
	for _, s := range c.Shadows {
		if s == "built-in" {
			return true
		}
	}
	return false
}

// executable is what to run for c.
func (c Candidate) executable() string {
	if c.Real != "" {
		return c.Real
	}
	return c.Path
}

// DiscoverError is a plugin file (or directory) that was skipped.
type DiscoverError struct {
	Path string
	Msg  string
}

func (e *DiscoverError) Error() string { return fmt.Sprintf("plugin %s: %s", e.Path, e.Msg) }

// Pin is the operator's choice of binary for one source.
type Pin struct {
	Path string
	// Where names the config line, for messages.
	Where string
}

// Search says where Discover looks.
type Search struct {
	// Dirs are searched in order; the first plugin of a name wins.
	Dirs []Dir
	// Pins are sources whose binary the operator named: the search path
	// is not consulted for them.
	Pins map[string]Pin
	// Builtins are the built-in sources, served by Self; a plugin of the
	// same name replaces one.
	Builtins []string
	Self     string
	// UID is the user besides root who may own plugins and their
	// directories; 0 means fetchd's effective uid.
	UID int
}

// Discover lists the plugins the search finds (see trust.go for which
// files may be plugins) and the built-in sources. Files that look like
// plugins but may not or cannot be used are reported, not fatal; a pinned
// binary that may not be used is a Candidate with a Problem.
func Discover(s Search) ([]Candidate, []error) {
	uid := s.UID
	if uid == 0 {
		uid = os.Geteuid()
	}
	var problems []error
	byName := map[string]*Candidate{}
	var order []string
	for name, pin := range s.Pins {
		c := &Candidate{Name: name, Path: pin.Path, PinnedBy: pin.Where}
		if !sdk.ValidName(name) {
			c.Problem = fmt.Errorf("%q is not a plugin name ([a-z0-9][a-z0-9-]*, at most 32 characters)", name)
		} else if real, err := checkTrusted(pin.Path, uid); err != nil {
			c.Problem = err
		} else {
			c.Real = real
		}
		byName[name] = c
		order = append(order, name)
	}
	for _, d := range s.Dirs {
		entries, err := os.ReadDir(d.Path)
		if err != nil {
			if d.Explicit || !errors.Is(err, fs.ErrNotExist) {
				problems = append(problems, &DiscoverError{Path: d.Path, Msg: "cannot read plugin directory: " + errText(err)})
			}
			continue
		}
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), FilePrefix) {
				continue
			}
			path := filepath.Join(d.Path, e.Name())
			name := strings.TrimPrefix(e.Name(), FilePrefix)
			if !sdk.ValidName(name) {
				problems = append(problems, &DiscoverError{Path: path, Msg: fmt.Sprintf("ignored: %q is not a plugin name ([a-z0-9][a-z0-9-]*, at most 32 characters)", name)})
				continue
			}
			if c, ok := byName[name]; ok && c.PinnedBy != "" {
				c.Shadows = append(c.Shadows, path)
				continue
			}
			real, err := checkTrusted(path, uid)
			if err != nil {
				problems = append(problems, &DiscoverError{Path: path, Msg: "ignored: " + err.Error()})
				continue
			}
			if c, ok := byName[name]; ok {
				c.Shadows = append(c.Shadows, path)
				continue
			}
			byName[name] = &Candidate{Name: name, Path: path, Real: real}
			order = append(order, name)
		}
	}
	for _, name := range s.Builtins {
		if c, ok := byName[name]; ok {
			c.Shadows = append(c.Shadows, "built-in")
			continue
		}
		byName[name] = &Candidate{Name: name, Path: s.Self, Builtin: true}
		order = append(order, name)
	}
	sort.Strings(order)
	out := make([]Candidate, 0, len(order))
	for _, name := range order {
		out = append(out, *byName[name])
	}
	return out, problems
}

// errText strips the path from an *fs.PathError, which callers already name.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
