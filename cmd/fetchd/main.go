// Command fetchd keeps a directory of VM base images present, current and
// safe to boot. See README.md for the commands, or fetchd --help.
package main

import (
	"context"
	"errors"
	"io"
	"log"
	"os"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/sandlabx/fetchd/internal/report"

	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/proctree"
)

func main() {
	// go-plugin reports some broker events through the standard logger;
	// fetchd reports what matters itself.
	log.SetOutput(io.Discard)
	if len(os.Args) > 1 && os.Args[1] == launchCommand {
		pluginhost.LaunchMain(os.Args[2:]) // does not return
	}
	if len(os.Args) > 2 && os.Args[1] == pluginCommand {
		servePlugin(os.Args[2], os.Args[3:]) // does not return
	}
	ownsProcess = true
	// A backstop: a plugin's orphans that somehow left its launcher's
	// tree are re-parented to fetchd, not to init, and endOrphans finds
	// them. Without the capability plugins are still stopped through their
	// launchers.
	_ = proctree.SetSubreaper()
	shortenTempDir()
	ctx, stop := signalContext()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	cleanupClients()
	endOrphans()
	os.Exit(code)
}

// ownsProcess is true in the fetchd process itself and false in tests that
// call run directly: only the former may kill and reap all its children.
var ownsProcess bool

// endOrphans kills and reaps whatever is still running below fetchd: by the
// time a command has finished (or is about to exec its CMD), every plugin
// has been stopped and nothing fetchd started is still needed.
func endOrphans() {
	if !ownsProcess {
		return
	}
	_, _ = proctree.Kill(os.Getpid())
	proctree.ReapFor(time.Second)
}

// cleanupClients stops any go-plugin client still registered, waiting at
// most a few seconds: the plugin host has stopped its plugins already.
func cleanupClients() {
	done := make(chan struct{})
	go func() {
		plugin.CleanupClients()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
	}
}

// run executes one fetchd command line and returns the exit code. Only run
// and what it calls in this package print.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv, explain: newExplainer(nil)}
	if logsJSON(args) {
		// Before the flags are parsed, so that their errors are JSON too.
		a.log = report.NewWriter(stderr)
		a.stderr = a.log.Lines()
	}
	root := a.rootCmd()
	if args == nil {
		args = []string{} // cobra reads os.Args for nil
	}
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if sg := interruption(ctx); sg != nil && err != nil {
		// What failed after a signal failed because of it: the exit code
		// is the signal's, and the command's own report (if any) stands.
		var se *silentError
		switch {
		case errors.As(err, &se) && se.code == sg.code():
		case errors.As(err, &se), errors.Is(err, context.Canceled):
			a.printError("error", "", sg.Error())
		default:
			a.finish(err)
			a.printError("error", "", sg.Error())
		}
		return sg.code()
	}
	return a.finish(err)
}

// logsJSON reports whether the command line asks for --log-format json.
func logsJSON(args []string) bool {
	for i, arg := range args {
		switch {
		case arg == "--":
			return false
		case arg == "--log-format=json":
			return true
		case arg == "--log-format" && i+1 < len(args) && args[i+1] == "json":
			return true
		}
	}
	return false
}

// maxTempDir is the longest TMPDIR under which plugin sockets still fit:
// go-plugin makes them as <TMPDIR>/plugin-dir<n>/plugin<n>, and a Unix
// socket path has at most 107 bytes.
const maxTempDir = 60

// shortenTempDir falls back to /tmp when TMPDIR is too long for plugin
// sockets; otherwise every plugin would fail to bind its socket.
func shortenTempDir() {
	if len(os.TempDir()) > maxTempDir {
		os.Setenv("TMPDIR", "/tmp")
	}
}
