package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/sandlabx/fetchd/internal/wire"
)

// Set at build time with -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = ""
)

func buildCommit() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version [flags]",
		Short:   "version, commit and plugin protocol version",
		Long:    "Version prints fetchd's version, the commit it was built from, the plugin protocol version it speaks and the Go version.",
		Example: "  fetchd version\n  fetchd version --json",
		Args:    noArgs,
		RunE:    func(*cobra.Command, []string) error { return a.version() },
	}
}

func (a *app) version() error {
	if a.jsonOut {
		return a.writeJSON(map[string]any{
			"version": version, "commit": buildCommit(), "protocol": wire.ProtocolVersion, "go": runtime.Version(),
		})
	}
	fmt.Fprintf(a.stdout, "fetchd %s (commit %s, plugin protocol %d, %s)\n", version, buildCommit(), wire.ProtocolVersion, runtime.Version())
	return nil
}

// noArgs refuses positional arguments, naming the command.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{msg: fmt.Sprintf("%s takes no arguments (got %q)", cmd.Name(), args[0]),
			hint: fmt.Sprintf("run '%s --help'", cmd.CommandPath())}
	}
	return nil
}
