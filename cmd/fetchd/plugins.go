package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/plugins/alpine"
	"github.com/sandlabx/fetchd/plugins/debian"
	"github.com/sandlabx/fetchd/plugins/ubuntu"
	"github.com/sandlabx/fetchd/sdk"
)

// pluginCommand is the hidden command with which fetchd re-executes itself
// to serve a built-in source as a plugin process.
const pluginCommand = "__plugin"

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
	sdk.ServeBuiltin(newSource(), args)
}

// systemPluginDirs are searched after the operator's directories.
var systemPluginDirs = []string{"/usr/local/lib/fetchd/plugins", "/usr/lib/fetchd/plugins"}

// pluginDirs lists the plugin directories in precedence order:
// FETCHD_PLUGIN_PATH, the config's plugin_path, "plugins" next to the
// config file, the system directories, and the fetchd binary's own
// directory.
func pluginDirs(envPluginPath, configPluginPath []string, configFile, self string) []pluginhost.Dir {
	var dirs []pluginhost.Dir
	seen := map[string]bool{}
	add := func(p string, explicit bool) {
		if p == "" {
			return
		}
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		if seen[p] {
			return
		}
		seen[p] = true
		dirs = append(dirs, pluginhost.Dir{Path: p, Explicit: explicit})
	}
	for _, p := range envPluginPath {
		add(p, true)
	}
	for _, p := range configPluginPath {
		add(p, true)
	}
	if configFile != "" {
		add(filepath.Join(filepath.Dir(configFile), "plugins"), false)
	}
	for _, p := range systemPluginDirs {
		add(p, false)
	}
	if self != "" {
		add(filepath.Dir(self), false)
	}
	return dirs
}

// selfPath is the fetchd executable, which serves the built-in sources.
func selfPath() (string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot find the fetchd executable to serve built-in sources: %w", err)
	}
	return p, nil
}

// started is the outcome of starting one candidate.
type started struct {
	cand   pluginhost.Candidate
	plugin *pluginhost.Plugin
	err    error
}

// startAll starts the candidates in parallel; one failure does not stop the
// others. The result is in the candidates' order.
func startAll(ctx context.Context, h *pluginhost.Host, cands []pluginhost.Candidate) []started {
	out := make([]started, len(cands))
	var wg sync.WaitGroup
	for i, c := range cands {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := h.Start(ctx, c)
			out[i] = started{cand: c, plugin: p, err: err}
		}()
	}
	wg.Wait()
	return out
}
