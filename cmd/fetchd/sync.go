package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
)

// testHooks, set only by the test binary, lets fault tests stop fetchd at
// chosen points.
var testHooks func(*engine.Engine)

func applyTestHooks(e *engine.Engine) {
	if testHooks != nil {
		testHooks(e)
	}
}

func (a *app) sync(ctx context.Context, args []string) error {
	fs := a.flags("sync")
	bestEffort := fs.Bool("best-effort", false, "exit 0 even if some images failed")
	parallel := fs.Int("parallel", 0, "images to download at once")
	offline := fs.Bool("offline", false, "use only what is on disk")
	update := fs.String("update", "", "never, notify or always")
	names, command, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *parallel < 0 || *parallel > config.MaxParallel {
		return usagef("--parallel: want 1 to %d, got %d", config.MaxParallel, *parallel)
	}
	progress, err := a.reporterFor()
	if err != nil {
		return err
	}
	s, err := a.openSession(*offline)
	if err != nil {
		return err
	}
	defer s.Close()
	if *update != "" {
		p, err := config.ParsePolicy(*update)
		if err != nil {
			return usagef("--update: %v", err)
		}
		s.cfg.SetUpdate(p)
	}
	if err := a.lockDir(ctx, s); err != nil {
		return err
	}
	s.engine.Reporter = progress
	results, err := s.engine.Sync(ctx, engine.Options{
		Names:    names,
		Download: s.cfg.AutoDownload,
		Offline:  *offline,
		Parallel: *parallel,
	})
	progress.Close()
	if err != nil {
		var ue *engine.UnknownImageError
		if errors.As(err, &ue) {
			return &usageError{msg: err.Error()}
		}
		return err
	}
	if note := s.engine.StateNote(); note != "" {
		fmt.Fprintf(a.stderr, "fetchd: warning: %s\n", note)
	}
	a.report(s.cfg, results, "sync")

	code := exitOK
	for _, r := range results {
		if !r.Outcome.OK() {
			code = exitFailed
		}
	}
	if code != exitOK && *bestEffort {
		fmt.Fprintln(a.stderr, "fetchd: some images are not ready; continuing (--best-effort)")
		code = exitOK
	}
	if len(command) == 0 {
		if code != exitOK {
			return &silentError{code: code}
		}
		return nil
	}
	if code != exitOK {
		fmt.Fprintf(a.stderr, "fetchd: error: not starting %s: some images are not ready\n", command[0])
		fmt.Fprintln(a.stderr, "fetchd: hint: add --best-effort to start it anyway")
		return &silentError{code: code}
	}
	// Hand the process over: plugins stopped, lock released first, so the
	// command inherits neither.
	s.Close()
	return execCommand(command)
}

// execCommand replaces fetchd with the command, so that it gets fetchd's
// PID and signals (the container's PID 1 when fetchd is the entrypoint).
func execCommand(command []string) error {
	path, err := exec.LookPath(command[0])
	if err != nil {
		return &usageError{msg: fmt.Sprintf("cannot run %s: %v", command[0], err)}
	}
	err = syscall.Exec(path, command, os.Environ())
	return fmt.Errorf("exec %s: %w", path, err)
}

// report prints the results: the summary, then each failure on stderr, or
// the JSON document with --json.
func (a *app) report(cfg *config.Config, results []engine.Result, command string) {
	if a.jsonOut {
		out := map[string]any{"command": command, "dir": cfg.Dir, "images": resultsToJSON(results)}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
	} else if !a.quiet {
		writeSummary(a.stdout, cfg.Dir, results)
	}
	for _, r := range results {
		if r.Err == nil {
			continue
		}
		label := "error"
		if r.Outcome.OK() {
			label = "warning"
		}
		fmt.Fprintf(a.stderr, "fetchd: %s: %s: %v\n", label, r.Name, r.Err)
		for _, h := range hints(r.Err) {
			fmt.Fprintf(a.stderr, "fetchd: hint: %s\n", h)
		}
	}
}
