package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/pluginhost"
)

// loadConfig loads the configuration the common flags point at. A config
// problem is bad usage (exit 2).
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
	return c, nil
}

// testPluginOptions, set only by the test binary (see
// hooks_plugin_test.go), adjusts the plugin host's options: fault tests
// shorten the Resolve deadline, which would otherwise hold a test of a
// hanging plugin for two minutes. The fetchd binary never sets it.
var testPluginOptions func(*pluginhost.Options)

// plugins is the plugin system as a command uses it.
type plugins struct {
	host     *pluginhost.Host
	cands    []pluginhost.Candidate
	problems []error
}

// openPlugins discovers the plugins the config and environment point at and
// makes a Host to start them. Close it when done.
func (a *app) openPlugins(cfg *config.Config, fetcher pluginhost.MetadataFetcher) (*plugins, error) {
	self, err := selfPath()
	if err != nil {
		return nil, err
	}
	dirs := pluginDirs(cfg.EnvPluginPath, cfg.PluginPath, cfg.File, self)
	cands, problems := pluginhost.Discover(dirs, builtinNames(), self)
	opts := pluginhost.Options{Fetcher: fetcher}
	if testPluginOptions != nil {
		testPluginOptions(&opts)
	}
	h, err := pluginhost.New(opts)
	if err != nil {
		return nil, err
	}
	return &plugins{host: h, cands: cands, problems: problems}, nil
}

func (p *plugins) Close() { p.host.Close() }

// candidate returns the candidate called name.
func (p *plugins) candidate(name string) (pluginhost.Candidate, error) {
	var names []string
	for _, c := range p.cands {
		if c.Name == name {
			return c, nil
		}
		names = append(names, c.Name)
	}
	return pluginhost.Candidate{}, &usageError{
		msg:  fmt.Sprintf("no source called %q (sources: %s)", name, joinOr(names, "none")),
		hint: "run 'fetchd list-sources' to see every source and where it was loaded from",
	}
}

// start starts one source by name.
func (p *plugins) start(ctx context.Context, name string) (*pluginhost.Plugin, error) {
	c, err := p.candidate(name)
	if err != nil {
		return nil, err
	}
	return p.host.Start(ctx, c)
}
