package main

import (
	"fmt"
	"time"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/lock"
	"github.com/sandlabx/fetchd/internal/netpolicy"
)

// session is what sync, status and verify share: the config and the
// engine (which takes the directory lock for each run that writes).
type session struct {
	cfg    *config.Config
	engine *engine.Engine
}

// openSession loads the config and opens the engine on it; write says the
// command changes the image directory (its store is made if missing).
// Close it when done.
func (a *app) openSession(offline, write bool) (*session, error) {
	cfg, err := a.loadConfig()
	if err != nil {
		return nil, err
	}
	e, err := a.openEngine(cfg, engine.OpenOptions{Offline: offline, Write: write})
	if err != nil {
		return nil, err
	}
	e.OnLockWait = func(h lock.Holder) {
		fmt.Fprintf(a.stderr, "fetchd: waiting for %s to finish with %s\n", h, cfg.Dir)
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
	opts.UserAgent = netpolicy.UserAgent(version)
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

// Close stops the plugins and closes the store.
func (s *session) Close() { s.engine.Close() }

// reporterFor picks the progress display: bars on a terminal that knows
// its size, lines in logs (and on a terminal that does not), JSON events
// with --log-format json, nothing with --quiet or --json.
func (a *app) reporterFor() progressReporter {
	switch {
	case a.log != nil:
		return newJSONReporter(a.log, 2*time.Second)
	case a.quiet || a.jsonOut:
		return quietReporter{}
	case canDrawBars(a.stderr):
		return newBarReporter(a.stderr)
	}
	return newLineReporter(a.stderr, 5*time.Second)
}
