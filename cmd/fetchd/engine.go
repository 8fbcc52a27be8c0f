package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/lock"
)

// session is what sync, status and verify share: the config, the engine
// and, for commands that write, the directory lock.
type session struct {
	cfg    *config.Config
	engine *engine.Engine
	lock   *lock.Lock
}

// openSession loads the config and opens the engine on it. Close it when
// done.
func (a *app) openSession(offline bool) (*session, error) {
	cfg, err := a.loadConfig()
	if err != nil {
		return nil, err
	}
	e, err := a.openEngine(cfg, engine.OpenOptions{Offline: offline})
	if err != nil {
		return nil, err
	}
	return &session{cfg: cfg, engine: e}, nil
}

// openEngine is engine.Open, the one composition root, with what only the
// binary knows: that it serves the built-in sources itself, and the test
// binary's hooks.
func (a *app) openEngine(cfg *config.Config, opts engine.OpenOptions) (*engine.Engine, error) {
	self, err := selfPath()
	if err != nil {
		return nil, err
	}
	opts.Self, opts.Builtins, opts.Plugins = self, builtinNames(), testPluginOptions
	opts.Launcher = []string{self, launchCommand}
	e, err := engine.Open(cfg, opts)
	if err != nil {
		return nil, err
	}
	applyTestHooks(e)
	return e, nil
}

// announce prints (and keeps for --json) the warnings about the plugins
// behind the given sources: skipped plugin files and plugins that replace
// a built-in source. Every command that uses sources calls it first.
func (a *app) announce(e *engine.Engine, sources []string) {
	a.warnings = e.Plugins().Warnings(sources)
	for _, w := range a.warnings {
		a.printError("warning", "", w)
	}
}

// imageSources are the sources of the configured images.
func imageSources(cfg *config.Config) []string {
	var out []string
	for _, im := range cfg.Images {
		if im.Source != "" {
			out = append(out, im.Source)
		}
	}
	return out
}

// jsonWarnings is a.warnings for a JSON document: never null.
func (a *app) jsonWarnings() []string {
	if a.warnings == nil {
		return []string{}
	}
	return a.warnings
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
	s.engine.Close()
	if s.lock != nil {
		_ = s.lock.Release()
		s.lock = nil
	}
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
