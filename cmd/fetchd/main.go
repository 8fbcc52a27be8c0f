// Command fetchd keeps a directory of VM base images present, current and
// safe to boot. See README.md for the commands, or fetchd --help.
package main

import (
	"context"
	"errors"
	"io"
	"log"
	"os"

	"github.com/hashicorp/go-plugin"
)

func main() {
	// go-plugin reports some broker events through the standard logger;
	// fetchd reports what matters itself.
	log.SetOutput(io.Discard)
	if len(os.Args) > 2 && os.Args[1] == pluginCommand {
		servePlugin(os.Args[2], os.Args[3:]) // does not return
	}
	shortenTempDir()
	ctx, stop := signalContext()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	plugin.CleanupClients()
	os.Exit(code)
}

// run executes one fetchd command line and returns the exit code. Only run
// and what it calls in this package print.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv}
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
