package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/sandlabx/fetchd/internal/added"
	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/pluginhost"
)

// loadConfig loads the configuration the global flags point at, with
// --dir applied. A config problem is bad usage (exit 2).
func (a *app) loadConfig() (*config.Config, error) {
	c, err := config.Load(a.configPath, a.getenv)
	if err != nil {
		var ce *config.Error
		var nf *config.NotFoundError
		if errors.As(err, &ce) || errors.As(err, &nf) {
			return nil, &usageError{msg: err.Error()}
		}
		return nil, &usageError{msg: fmt.Sprintf("config: %v", err)}
	}
	if a.dir != "" {
		abs, err := filepath.Abs(a.dir)
		if err != nil {
			return nil, usagef("--dir: %v", err)
		}
		c.Dir = abs
	}
	skipped, err := added.Apply(c)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			return nil, &usageError{msg: err.Error(), hint: "this file keeps the images added through fetchd serve's web UI or API; fix the line, or remove the entry"}
		}
		return nil, err
	}
	for _, n := range skipped {
		a.printError("warning", n, fmt.Sprintf("added through the API and declared in %s too: the config file's declaration is used", c.File))
	}
	a.explain = newExplainer(c)
	return c, nil
}

// testPluginOptions, set only by the test binary (see
// hooks_plugin_test.go), adjusts the plugin host's options: fault tests
// shorten the Resolve deadline, which would otherwise hold a test of a
// hanging plugin for two minutes. The fetchd binary never sets it.
var testPluginOptions func(*pluginhost.Options)
