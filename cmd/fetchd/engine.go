package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/lock"
	"github.com/sandlabx/fetchd/internal/metadata"
	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/internal/qemuimg"
	"github.com/sandlabx/fetchd/internal/state"
)

// session is what sync, status and verify share: the config, the plugins,
// the engine and, for commands that write, the directory lock.
type session struct {
	cfg     *config.Config
	plugins *plugins
	fetcher *metadata.Fetcher
	engine  *engine.Engine
	lock    *lock.Lock
}

// openSession loads the config (applying --dir), checks that every image's
// source exists, and builds the engine. Close it when done.
func (a *app) openSession(offline bool) (*session, error) {
	cfg, err := a.loadConfig()
	if err != nil {
		return nil, err
	}
	if a.dir != "" {
		abs, err := filepath.Abs(a.dir)
		if err != nil {
			return nil, usagef("--dir: %v", err)
		}
		cfg.Dir = abs
	}
	cache := &metadata.Cache{Dir: filepath.Join(cfg.Dir, state.PrivateDir, "cache", "metadata")}
	fetcher, err := metadataFetcher(cfg, "", cache, offline)
	if err != nil {
		return nil, err
	}
	ps, err := a.openPlugins(cfg, fetcher)
	if err != nil {
		return nil, err
	}
	if err := checkSources(cfg, ps); err != nil {
		ps.Close()
		return nil, err
	}
	policy := netpolicy.Policy{AllowHTTP: cfg.HTTPHosts(), IdleTimeout: cfg.IdleTimeout}
	client, err := policy.Client()
	if err != nil {
		ps.Close()
		return nil, err
	}
	s := &session{cfg: cfg, plugins: ps, fetcher: fetcher}
	s.engine = &engine.Engine{
		Config:     cfg,
		Sources:    &lazySources{ps: ps, started: map[string]*lazySource{}},
		Metadata:   fetcher,
		Downloader: download.New(client, policy),
		QemuImg:    &qemuimg.Runner{},
		Arch:       runtime.GOARCH,
	}
	applyTestHooks(s.engine)
	return s, nil
}

// checkSources refuses a config naming a source no plugin provides.
func checkSources(cfg *config.Config, ps *plugins) error {
	have := map[string]bool{}
	var names []string
	for _, c := range ps.cands {
		have[c.Name] = true
		names = append(names, c.Name)
	}
	for _, im := range cfg.Images {
		if im.Source != "" && !have[im.Source] {
			where := "built-in config"
			if cfg.File != "" {
				where = fmt.Sprintf("%s:%d", cfg.File, im.Line)
			}
			return &usageError{
				msg:  fmt.Sprintf("%s: images.%q: unknown source %q (sources: %s)", where, im.Name, im.Source, strings.Join(names, ", ")),
				hint: "run 'fetchd list-sources'; a third-party source needs its plugin in a plugin directory",
			}
		}
	}
	return nil
}

// lockDir takes the directory lock, waiting (with a message) for another
// fetchd to finish.
func (a *app) lockDir(ctx context.Context, s *session) error {
	if err := os.MkdirAll(s.cfg.Dir, 0o755); err != nil {
		return fmt.Errorf("creating the image directory: %w", err)
	}
	l, err := lock.Acquire(ctx, s.cfg.Dir, true, func(pid int) {
		who := "another fetchd"
		if pid > 0 {
			who = fmt.Sprintf("another fetchd (pid %d)", pid)
		}
		fmt.Fprintf(a.stderr, "fetchd: waiting for %s to finish with %s\n", who, s.cfg.Dir)
	})
	if err != nil {
		return err
	}
	s.lock = l
	return nil
}

// Close stops the plugins and releases the lock.
func (s *session) Close() {
	s.plugins.Close()
	if s.lock != nil {
		_ = s.lock.Release()
		s.lock = nil
	}
}

// lazySources starts each source's plugin the first time an image needs it;
// all images of a source share the process.
type lazySources struct {
	ps      *plugins
	mu      sync.Mutex
	started map[string]*lazySource
}

type lazySource struct {
	once sync.Once
	r    engine.Resolver
	err  error
}

func (l *lazySources) Source(ctx context.Context, name string) (engine.Resolver, error) {
	l.mu.Lock()
	s, ok := l.started[name]
	if !ok {
		s = &lazySource{}
		l.started[name] = s
	}
	l.mu.Unlock()
	s.once.Do(func() {
		p, err := l.ps.start(ctx, name)
		if err != nil {
			s.err = err
			return
		}
		s.r = p
	})
	return s.r, s.err
}

// reporterFor picks the progress display: bars on a terminal, lines in
// logs, JSON lines with --log-format json, nothing with --quiet or --json.
func (a *app) reporterFor() progressReporter {
	switch {
	case a.logFormat == "json":
		return newJSONReporter(a.stderr, 2*time.Second)
	case a.quiet || a.jsonOut:
		return quietReporter{}
	case isTerminal(a.stderr):
		return newBarReporter(a.stderr)
	}
	return newLineReporter(a.stderr, 5*time.Second)
}

func sortedNames(rs []engine.Result) []string {
	var n []string
	for _, r := range rs {
		n = append(n, r.Name)
	}
	sort.Strings(n)
	return n
}

// Identity names exactly which plugin would answer for a source, without
// starting it: its executable's path, size and modification time (for a
// built-in source, fetchd's own). The engine keys cached answers by it, so
// an upgraded plugin or fetchd is asked again.
func (l *lazySources) Identity(name string) (string, error) {
	c, err := l.ps.candidate(name)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(c.Path)
	if err != nil {
		return "", err
	}
	kind := "plugin"
	if c.Builtin {
		kind = "builtin:" + name
	}
	return fmt.Sprintf("%s|%s|%d|%d", kind, c.Path, fi.Size(), fi.ModTime().UnixNano()), nil
}
