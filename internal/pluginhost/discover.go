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
	// Path is the executable: the plugin binary, or the fetchd binary for a
	// built-in source.
	Path    string
	Builtin bool
	// Shadows lists what this candidate hides: paths of plugins of the same
	// name in later directories, and "built-in" when it replaces one.
	Shadows []string
}

// Origin is "built-in" or the plugin's path, for messages.
func (c Candidate) Origin() string {
	if c.Builtin {
		return "built-in"
	}
	return c.Path
}

// DiscoverError is a plugin file (or directory) that was skipped.
type DiscoverError struct {
	Path string
	Msg  string
}

func (e *DiscoverError) Error() string { return fmt.Sprintf("plugin %s: %s", e.Path, e.Msg) }

// Discover lists the plugins in dirs (earlier directories win) and the
// built-in sources (which any plugin of the same name replaces). self is
// the fetchd executable that serves the built-ins. Files that look like
// plugins but cannot be used are reported, not fatal.
func Discover(dirs []Dir, builtins []string, self string) ([]Candidate, []error) {
	var problems []error
	byName := map[string]*Candidate{}
	var order []string
	for _, d := range dirs {
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
			if err := checkExecutable(path); err != nil {
				problems = append(problems, &DiscoverError{Path: path, Msg: "ignored: " + err.Error()})
				continue
			}
			if c, ok := byName[name]; ok {
				c.Shadows = append(c.Shadows, path)
				continue
			}
			byName[name] = &Candidate{Name: name, Path: path}
			order = append(order, name)
		}
	}
	for _, name := range builtins {
		if c, ok := byName[name]; ok {
			c.Shadows = append(c.Shadows, "built-in")
			continue
		}
		byName[name] = &Candidate{Name: name, Path: self, Builtin: true}
		order = append(order, name)
	}
	sort.Strings(order)
	out := make([]Candidate, 0, len(order))
	for _, name := range order {
		out = append(out, *byName[name])
	}
	return out, problems
}

// checkExecutable refuses what fetchd must not run: non-regular files,
// files without an execute bit, and files anyone may rewrite.
func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return errors.New(errText(err))
	}
	switch {
	case !fi.Mode().IsRegular():
		return errors.New("not a regular file")
	case fi.Mode().Perm()&0o111 == 0:
		return errors.New("not executable (chmod +x)")
	case fi.Mode().Perm()&0o002 != 0:
		return errors.New("world-writable: anyone could replace it (chmod o-w)")
	}
	return nil
}

// errText strips the path from an *fs.PathError, which callers already name.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
