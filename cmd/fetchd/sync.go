package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sandlabx/fetchd/internal/activity"
	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/textsafe"
)

// testHooks, set only by the test binary, lets fault tests stop fetchd at
// chosen points.
var testHooks func(*engine.Engine)

func applyTestHooks(e *engine.Engine) {
	if testHooks != nil {
		testHooks(e)
	}
}

type syncFlags struct {
	bestEffort  bool
	parallel    int
	offline     bool
	update      string
	lockTimeout time.Duration
	connections string
	rebase      bool
	forceMove   bool
}

func (a *app) syncCmd() *cobra.Command {
	var f syncFlags
	cmd := &cobra.Command{
		Use:   "sync [NAME...] [flags] [-- CMD ARGS...]",
		Short: "make the image directory match the config; with -- CMD, exec CMD afterwards",
		Long: `Sync makes the image directory match the configuration: for each image (or
only the NAMEs given) it looks at the file and its record, asks the image's
source for the current build, and downloads, verifies and installs what is
missing or, per the update policy, outdated. A failure leaves the previous
image as it was.

With -- CMD ARGS..., fetchd then replaces itself with CMD (exec), which
inherits its PID and signals: the way to run fetchd as a container's
entrypoint. CMD is started only if every image is ready, or with
--best-effort.`,
		Example: `  fetchd sync
  fetchd sync debian-13.qcow2 --update always
  fetchd sync --best-effort -- node server.js
  fetchd sync --offline --json`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completeImages,
		RunE: func(cmd *cobra.Command, args []string) error {
			names, command := args, []string(nil)
			if dash := cmd.ArgsLenAtDash(); dash >= 0 {
				names, command = args[:dash], args[dash:]
			}
			return a.sync(cmd.Context(), f, names, command)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.bestEffort, "best-effort", false, "exit 0, and exec CMD, even if some images failed")
	fl.IntVar(&f.parallel, "parallel", 0, "download `N` images at once, 1 to 16 (default: the config's parallel, 3)")
	fl.BoolVar(&f.offline, "offline", false, "use only what is on disk: nothing is resolved or fetched")
	fl.StringVar(&f.update, "update", "", "update `POLICY` for this run: never, notify or always (default: the config's)")
	fl.DurationVar(&f.lockTimeout, "lock-timeout", 0, "give up after waiting `D` for another fetchd to release the directory (default: wait)")
	fl.StringVar(&f.connections, "connections", "", "connections per download: auto, or `N` from 1 (one connection) to 16 (default: the config's connections, auto)")
	fl.BoolVar(&f.rebase, "rebase-overlays", false, "rebase VM disks that use a name onto its current build's path (qemu-img rebase -u) before moving the name, instead of holding the move (also $FETCHD_REBASE_OVERLAYS=true)")
	fl.BoolVar(&f.forceMove, "force-move", false, "move names that VM disks use anyway: those disks then read another build under their own blocks (corrupting them)")
	_ = cmd.RegisterFlagCompletionFunc("connections", cobra.FixedCompletions([]cobra.Completion{"auto", "1", "4", "8", "16"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("update", cobra.FixedCompletions([]cobra.Completion{"never", "notify", "always"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) sync(ctx context.Context, f syncFlags, names, command []string) error {
	if f.parallel < 0 || f.parallel > config.MaxParallel {
		return usagef("--parallel: want 1 to %d, got %d", config.MaxParallel, f.parallel)
	}
	if f.rebase && f.forceMove {
		return usagef("--rebase-overlays and --force-move: choose one")
	}
	if f.lockTimeout < 0 {
		return usagef("--lock-timeout: want a duration of 0 or more, got %s", f.lockTimeout)
	}
	conns := -1
	if f.connections != "" {
		n, err := config.ParseConnections(f.connections)
		if err != nil {
			return usagef("--connections: %v", err)
		}
		conns = n
	}
	progress := a.reporterFor()
	s, err := a.openSession(f.offline, true)
	if err != nil {
		return err
	}
	defer s.Close()
	a.announce(s.engine, imageSources(s.cfg))
	if f.update != "" {
		p, err := config.ParsePolicy(f.update)
		if err != nil {
			return usagef("--update: %v", err)
		}
		s.cfg.SetUpdate(p)
	}
	s.engine.LockTimeout = f.lockTimeout
	if conns >= 0 {
		s.cfg.Connections = conns
	}
	record := activity.NewRecorder(s.cfg.Dir, "sync")
	s.engine.Reporter = teeReporter{progress, record}
	results, err := s.engine.Sync(ctx, engine.Options{
		Names:    names,
		Download: s.cfg.AutoDownload,
		Offline:  f.offline,
		Parallel: f.parallel,
		Move:     engine.MoveOptions{Rebase: f.rebase || s.cfg.RebaseOverlays, Force: f.forceMove},
	})
	progress.Close()
	record.Close()
	if err != nil {
		return err
	}
	if sg := interruption(ctx); sg != nil {
		return a.reportInterrupted(s.cfg, results, sg)
	}
	if note := s.engine.StateNote(); note != "" {
		a.printError("warning", "", note)
	}
	if st := s.engine.Store; st != nil {
		for _, w := range st.Warnings() {
			a.printError("warning", "", w)
		}
	}
	a.report(s.cfg, results, "sync")

	code := exitOK
	for _, r := range results {
		if len(r.Forced) > 0 {
			version := "the new build"
			if r.Local != nil {
				version = "build " + r.Local.Version
			}
			a.printError("warning", r.Name, fmt.Sprintf("moved with --force-move although VM disks used the name: %s now read %s under their own blocks (their file systems are likely corrupt); the previous build is kept for rollback",
				strings.Join(r.Forced, ", "), version))
		}
	}
	for _, r := range results {
		if r.Outcome == engine.Held && len(r.HeldBy) > 0 && code == exitOK {
			code = exitHeld
		}
	}
	for _, r := range results {
		if !r.Outcome.OK() {
			code = exitFailed
		}
	}
	if code == exitFailed && f.bestEffort {
		fmt.Fprintln(a.stderr, "fetchd: some images are not ready; continuing (--best-effort)")
		code = exitOK
	}
	if len(command) == 0 {
		if code != exitOK {
			return &silentError{code: code}
		}
		return nil
	}
	if code == exitHeld {
		// Held images are present and verified at their current build.
		code = exitOK
	}
	if code != exitOK {
		a.printError("error", "", fmt.Sprintf("not starting %s: some images are not ready", command[0]),
			"add --best-effort to start it anyway")
		return &silentError{code: code}
	}
	// Hand the process over: plugins stopped, lock released first, so the
	// command inherits neither; and not at all after a signal.
	s.Close()
	if err := handOver(ctx); err != nil {
		return a.reportInterrupted(s.cfg, results, interruption(ctx))
	}
	return execCommand(command)
}

// reportInterrupted ends a sync stopped by a signal: one line (or the JSON
// document, marked interrupted), no CMD, exit code 128+signal. Images cut
// off keep their partial downloads; their errors only say so.
func (a *app) reportInterrupted(cfg *config.Config, results []engine.Result, sg *signalError) error {
	ready := 0
	for _, r := range results {
		if r.Outcome.OK() {
			ready++
		}
	}
	if a.jsonOut {
		_ = a.writeJSON(map[string]any{"command": "sync", "dir": cfg.Dir, "interrupted": signalName(sg.sig), "images": resultsToJSON(results)})
	}
	a.printError("error", "", fmt.Sprintf("%s: %d of %d images ready in %s; partial downloads are kept and the next sync resumes them",
		sg.Error(), ready, len(results), cfg.Dir))
	return &silentError{code: sg.code()}
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

// report prints the results: the summary on stdout, whose line for a
// failed image says why, or the JSON document with --json. Each failure is
// told once: on stderr only what the summary does not show (warnings;
// every error with --json or --quiet), then the hints, each once.
func (a *app) report(cfg *config.Config, results []engine.Result, command string) {
	summary := !a.jsonOut && !a.quiet
	if a.jsonOut {
		_ = a.writeJSON(map[string]any{"command": command, "dir": cfg.Dir, "images": resultsToJSON(results), "warnings": a.jsonWarnings()})
	} else if summary {
		writeSummary(a.stdout, cfg.Dir, results, a.explain)
	}
	var hints []string
	seen := map[string]bool{}
	for _, r := range results {
		if r.Err == nil {
			continue
		}
		switch {
		case r.Outcome.OK():
			a.printError("warning", r.Name, a.explain.brief(r.Err))
		case !summary:
			a.printError("error", r.Name, a.explain.brief(r.Err))
		}
		a.debugError(r.Name, r.Err)
		for _, h := range a.explain.hints(r.Err) {
			if !seen[h] {
				seen[h] = true
				hints = append(hints, h)
			}
		}
	}
	for _, h := range hints {
		fmt.Fprintf(a.stderr, "fetchd: hint: %s\n", textsafe.Escape(h))
	}
}
