package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

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

func (a *app) version(args []string) error {
	fs := a.flags("version")
	pos, _, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("version takes no arguments")
	}
	if a.jsonOut {
		return json.NewEncoder(a.stdout).Encode(map[string]any{
			"version": version, "commit": buildCommit(), "protocol": wire.ProtocolVersion, "go": runtime.Version(),
		})
	}
	fmt.Fprintf(a.stdout, "fetchd %s (commit %s, plugin protocol %d, %s)\n", version, buildCommit(), wire.ProtocolVersion, runtime.Version())
	return nil
}
