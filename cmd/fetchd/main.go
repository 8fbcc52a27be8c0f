// Command fetchd keeps a directory of VM base images present, current and
// safe to boot. See README.md for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/hashicorp/go-plugin"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // some image or source failed
	exitUsage  = 2 // bad usage or bad config
)

func main() {
	// go-plugin reports some broker events through the standard logger;
	// fetchd reports what matters itself.
	log.SetOutput(io.Discard)
	if len(os.Args) > 2 && os.Args[1] == pluginCommand {
		servePlugin(os.Args[2], os.Args[3:]) // does not return
	}
	shortenTempDir()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	plugin.CleanupClients()
	os.Exit(code)
}

// run executes one fetchd command and returns the exit code. Only run and
// what it calls in this package print.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		a.usage(stderr)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "list-sources":
		err = a.listSources(ctx, rest)
	case "resolve":
		err = a.resolve(ctx, rest)
	case "sync":
		err = a.sync(ctx, rest)
	case "status":
		err = a.status(ctx, rest)
	case "verify":
		err = a.verify(ctx, rest)
	case "version", "--version":
		err = a.version(rest)
	case "help", "-h", "--help":
		a.usage(stdout)
		return exitOK
	default:
		fmt.Fprintf(stderr, "fetchd: error: unknown command %q\n", cmd)
		a.usage(stderr)
		return exitUsage
	}
	return a.finish(err)
}

// finish prints err the one way fetchd prints errors and picks the exit code.
func (a *app) finish(err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	var se *silentError
	switch {
	case errors.As(err, &se):
		return se.code
	case errors.As(err, &ue):
		fmt.Fprintf(a.stderr, "fetchd: error: %v\n", ue.msg)
		if ue.hint != "" {
			fmt.Fprintf(a.stderr, "fetchd: hint: %s\n", ue.hint)
		}
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(a.stderr, "fetchd: error: interrupted")
		return exitFailed
	}
	fmt.Fprintf(a.stderr, "fetchd: error: %v\n", err)
	for _, h := range hints(err) {
		fmt.Fprintf(a.stderr, "fetchd: hint: %s\n", h)
	}
	return exitFailed
}

// usageError is bad usage or bad configuration: exit code 2.
type usageError struct {
	msg  string
	hint string
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// silentError carries an exit code for failures already reported.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func (a *app) usage(w io.Writer) {
	fmt.Fprint(w, `usage: fetchd <command> [flags] [args]

commands:
  sync [NAME...] [flags] [-- CMD ARGS...]     make the image directory match the config,
                                              then exec CMD if given
      --best-effort   exit 0 (and exec CMD) even if some images failed
      --parallel N    images at once (default from config: 3)
      --offline       use only what is on disk
      --update P      never | notify | always (default from config)
  status [NAME...] [--check] [--json]         what is on disk; --check asks upstream too
  verify [NAME...]                            re-hash and re-check what is on disk
  list-sources [--json]                       every source plugin and what it offers
  resolve SOURCE [RELEASE] [--arch A] [--variant V] [--json]
                                              what SOURCE would download now
  version                                     version, commit and plugin protocol version

common flags: --config FILE, --dir DIR, --json, --quiet, --log-format text|json
`)
}

// maxTempDir is the longest TMPDIR under which plugin sockets still fit:
// go-plugin makes them as <TMPDIR>/fetchd-plugins-<n>/plugin<n>, and a Unix
// socket path has at most 107 bytes.
const maxTempDir = 60

// shortenTempDir falls back to /tmp when TMPDIR is too long for plugin
// sockets; otherwise every plugin would fail to bind its socket.
func shortenTempDir() {
	if len(os.TempDir()) > maxTempDir {
		os.Setenv("TMPDIR", "/tmp")
	}
}
