package pluginhost

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/sandlabx/fetchd/internal/textsafe"
)

// SystemDirs are searched after the operator's plugin directories.
var SystemDirs = []string{"/usr/local/lib/fetchd/plugins", "/usr/lib/fetchd/plugins"}

// SearchPath lists the plugin directories in precedence order: the
// environment's (FETCHD_PLUGIN_PATH), the config's plugin_path, "plugins"
// next to the config file, and the system directories.
//
// The fetchd binary's own directory is not searched: it is wherever fetchd
// was installed (/usr/local/bin, ~/go/bin), among programs that have
// nothing to do with fetchd, where a fetchd-plugin-* that someone `go
// install`ed for another reason would quietly become a source of a root
// process. Plugins go where an operator put them on purpose. Each file
// found must also pass the ownership and permission rules (trust.go),
// which make the config-relative plugins/ safe even for a config in a
// directory others can write: its plugins are then refused, with a
// warning saying why.
func SearchPath(envPath, configPath []string, configFile string) []Dir {
	var dirs []Dir
	seen := map[string]bool{}
	add := func(p string, explicit bool) {
		if p == "" {
			return
		}
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		if seen[p] {
			return
		}
		seen[p] = true
		dirs = append(dirs, Dir{Path: p, Explicit: explicit})
	}
	for _, p := range envPath {
		add(p, true)
	}
	for _, p := range configPath {
		add(p, true)
	}
	if configFile != "" {
		add(filepath.Join(filepath.Dir(configFile), "plugins"), false)
	}
	for _, p := range SystemDirs {
		add(p, false)
	}
	return dirs
}

// Registry is the set of sources one fetchd can use: the plugins found in
// the search path and the built-in sources, each started the first time it
// is asked for and then shared. Close stops them all.
type Registry struct {
	host     *Host
	cands    []Candidate
	problems []error

	mu      sync.Mutex
	started map[string]*lazyPlugin
}

type lazyPlugin struct {
	once sync.Once
	p    *Plugin
	err  error
}

// NewRegistry discovers the plugins and built-ins of the search and makes
// the Host that will start them.
func NewRegistry(search Search, opts Options) (*Registry, error) {
	cands, problems := Discover(search)
	h, err := New(opts)
	if err != nil {
		return nil, err
	}
	return &Registry{host: h, cands: cands, problems: problems, started: map[string]*lazyPlugin{}}, nil
}

// Candidates are the sources, by name.
func (r *Registry) Candidates() []Candidate { return r.cands }

// Problems are the plugin files that were skipped, and why.
func (r *Registry) Problems() []error { return r.problems }

// Close stops every plugin started.
func (r *Registry) Close() { r.host.Close() }

// UnknownSourceError names a source no plugin provides.
type UnknownSourceError struct {
	Name  string
	Known []string
}

func (e *UnknownSourceError) Error() string {
	known := strings.Join(e.Known, ", ")
	if known == "" {
		known = "none"
	}
	return fmt.Sprintf("no source called %q (sources: %s)", e.Name, known)
}

// Candidate returns the candidate called name.
func (r *Registry) Candidate(name string) (Candidate, error) {
	var names []string
	for _, c := range r.cands {
		if c.Name == name {
			return c, nil
		}
		names = append(names, c.Name)
	}
	return Candidate{}, &UnknownSourceError{Name: name, Known: names}
}

// Plugin returns the started plugin for a source, starting it on first
// use. It is safe for concurrent use; each source starts at most once,
// and a failure to start is the answer for the rest of the run.
func (r *Registry) Plugin(ctx context.Context, name string) (*Plugin, error) {
	c, err := r.Candidate(name)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	l, ok := r.started[name]
	if !ok {
		l = &lazyPlugin{}
		r.started[name] = l
	}
	r.mu.Unlock()
	l.once.Do(func() { l.p, l.err = r.host.Start(ctx, c) })
	return l.p, l.err
}

// Identity names exactly which executable would answer for a source,
// without starting it: its path, size and modification time (for a
// built-in source, fetchd's own). Cached answers are keyed by it, so an
// upgraded plugin or fetchd is asked again.
func (r *Registry) Identity(name string) (string, error) {
	c, err := r.Candidate(name)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(c.executable())
	if err != nil {
		return "", err
	}
	kind := "plugin"
	if c.Builtin {
		kind = "builtin:" + name
	}
	return fmt.Sprintf("%s|%s|%d|%d", kind, c.Path, fi.Size(), fi.ModTime().UnixNano()), nil
}

// Started is the outcome of starting one candidate.
type Started struct {
	Candidate Candidate
	Plugin    *Plugin
	Err       error
}

// StartAll starts every candidate in parallel (one failure does not stop
// the others) and returns the outcomes in the candidates' order.
func (r *Registry) StartAll(ctx context.Context) []Started {
	out := make([]Started, len(r.cands))
	var wg sync.WaitGroup
	for i, c := range r.cands {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := r.Plugin(ctx, c.Name)
			out[i] = Started{Candidate: c, Plugin: p, Err: err}
		}()
	}
	wg.Wait()
	return out
}

// Warnings are what a command that uses the named sources must say before
// it uses them: every plugin file that was skipped, and why, and every
// source among them that a plugin serves instead of the built-in one
// (announced on every use: a replaced built-in is never a surprise).
func (r *Registry) Warnings(sources []string) []string {
	out := []string{}
	for _, e := range r.problems {
		out = append(out, textsafe.Escape(e.Error()))
	}
	used := map[string]bool{}
	for _, s := range sources {
		used[s] = true
	}
	for _, c := range r.cands {
		if used[c.Name] && c.ReplacesBuiltin() {
			how := "found on the plugin path"
			if c.PinnedBy != "" {
				how = "pinned by " + c.PinnedBy
			}
			out = append(out, textsafe.Escape(fmt.Sprintf("source %s is served by the plugin %s (%s), which replaces the built-in %s source", c.Name, c.Path, how, c.Name)))
		}
	}
	return out
}
