package main

import (
	"github.com/spf13/cobra"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/pluginhost"
)

// Shell completion of arguments. cobra's own completion command
// (fetchd completion bash|zsh|fish|powershell) prints the scripts; these
// give them the words: image names from the config the flags point at,
// and source names.

// completeImages offers the configured image names not already given.
func (a *app) completeImages(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	cfg, err := config.Load(a.configPath, a.getenv)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	given := map[string]bool{}
	for _, a := range args {
		given[a] = true
	}
	var out []cobra.Completion
	for _, im := range cfg.Images {
		if !given[im.Name] {
			out = append(out, im.Name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeSources offers the built-in sources and those found in the
// plugin directories, for resolve's first argument.
func (a *app) completeSources(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	self, err := selfPath()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	cfg, err := config.Load(a.configPath, a.getenv)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	cands, _ := pluginhost.Discover(engine.PluginSearch(cfg, self, builtinNames()))
	var out []cobra.Completion
	for _, c := range cands {
		out = append(out, cobra.CompletionWithDesc(c.Name, c.Origin()))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
