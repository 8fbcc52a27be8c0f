package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/sandlabx/fetchd/internal/wire"
	"github.com/sandlabx/fetchd/plugins/alpine"
	"github.com/sandlabx/fetchd/plugins/debian"
	"github.com/sandlabx/fetchd/plugins/ubuntu"
	"github.com/sandlabx/fetchd/sdk"
)

// pluginCommand is the hidden command with which fetchd re-executes itself
// to serve a built-in source as a plugin process; launchCommand the one
// with which it runs every plugin process under its limits
// (pluginhost.LaunchMain).
const (
	pluginCommand = "__plugin"
	launchCommand = "__launch"
)

// builtins are the sources compiled into fetchd.
var builtins = map[string]func() sdk.Source{
	"alpine": func() sdk.Source { return alpine.New() },
	"debian": func() sdk.Source { return debian.New() },
	"ubuntu": func() sdk.Source { return ubuntu.New() },
}

func builtinNames() []string {
	names := make([]string, 0, len(builtins))
	for n := range builtins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// servePlugin is fetchd running as the plugin process of a built-in source.
func servePlugin(name string, args []string) {
	newSource, ok := builtins[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "fetchd: error: no built-in source %q (built-in: %s)\n", name, strings.Join(builtinNames(), ", "))
		os.Exit(exitUsage)
	}
	wire.ServeBuiltin.(func(sdk.Source, []string))(newSource(), args)
}

// selfPath is the fetchd executable, which serves the built-in sources.
func selfPath() (string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot find the fetchd executable to serve built-in sources: %w", err)
	}
	return p, nil
}
