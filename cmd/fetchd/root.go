package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// rootCmd builds the command tree. Every command is defined once here and
// in its own file; the usage, the help of each command, the shell
// completion and the man pages (docs/man) all come from these definitions.
func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "fetchd",
		Short: "keep a directory of VM base images present, current and safe to boot",
		Long: `fetchd keeps a directory of VM base images present, current and safe to boot.
Source plugins work out each image's URL and checksum from the distribution's
own metadata; fetchd downloads, verifies (digest, qcow2 header, qemu-img) and
installs atomically. With no configuration it keeps Ubuntu 24.04, Alpine
latest-stable and Debian 13 in ./images.

Exit codes: 0 everything asked for is present and verified; 1 some image or
source failed (0 with sync --best-effort); 2 bad usage or bad config;
130 or 143 stopped by SIGINT or SIGTERM (sync then keeps its partial
downloads for the next run and never starts its CMD).`,
		Example: `  fetchd sync                                  # the three default images into ./images
  fetchd status --check                        # what is on disk, and what upstream has now
  fetchd sync --best-effort -- node server.js  # a container entrypoint`,
		Args:          a.noCommand,
		RunE:          a.runRoot,
		SilenceErrors: true,
		SilenceUsage:  true,
		// The man pages must not change with the day they are generated.
		DisableAutoGenTag: true,
		// "fetchd synk" suggests sync.
		SuggestionsMinimumDistance: 2,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", "", "read the config from `FILE` (default: $FETCHD_CONFIG, else /etc/fetchd/fetchd.yaml if it exists, else the built-in default)")
	pf.StringVar(&a.dir, "dir", "", "image directory `DIR` (overrides the config and $FETCHD_DIR)")
	pf.BoolVar(&a.jsonOut, "json", false, "machine-readable output: one JSON document on stdout")
	pf.BoolVarP(&a.quiet, "quiet", "q", false, "print only warnings and errors")
	pf.StringVar(&a.logFormat, "log-format", "text", "write progress and errors on stderr as `FORMAT`: text or json")
	pf.BoolVar(&a.debug, "debug", false, "also print each error in full: file paths, commands, tools' whole output")
	root.Flags().BoolVar(&a.showVersion, "version", false, "print the version (as 'fetchd version')")
	root.PersistentPreRunE = a.checkCommonFlags
	root.SetFlagErrorFunc(a.flagError)
	root.SetUsageTemplate(usageTemplate)
	root.SetHelpCommand(a.helpCmd())
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.AddCommand(
		a.syncCmd(),
		a.statusCmd(),
		a.verifyCmd(),
		a.rollbackCmd(),
		a.holdCmd(),
		a.unholdCmd(),
		a.pruneCmd(),
		a.publishCmd(),
		a.resolveCmd(),
		a.listSourcesCmd(),
		a.versionCmd(),
		a.serveCmd(),
		a.healthCmd(),
		a.manCmd(),
	)
	// cobra adds these two when it executes; adding them now makes them
	// part of the tree the man pages and tests see.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		c.Short = "print a shell completion script: bash, zsh, fish or powershell"
	}
	return root
}

// usageTemplate is cobra's usage layout in fetchd's voice.
const usageTemplate = `usage: {{if .HasParent}}{{.UseLine}}{{else}}fetchd <command> [flags] [args]{{end}}{{if gt (len .Aliases) 0}}

aliases: {{.NameAndAliases}}{{end}}{{if .HasAvailableSubCommands}}

commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

flags:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

global flags:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasExample}}

examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

Run 'fetchd help COMMAND' or 'fetchd COMMAND --help' for a command's flags and examples.{{end}}
`

// runRoot is fetchd without a command: the usage, exit code 2 (or the
// version with --version).
func (a *app) runRoot(cmd *cobra.Command, _ []string) error {
	if a.showVersion {
		return a.version()
	}
	fmt.Fprint(a.stderr, cmd.UsageString())
	return &silentError{code: exitUsage}
}

// noCommand refuses a word that is not a command.
func (a *app) noCommand(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return unknownCommand(cmd.Root(), args[0])
	}
	return nil
}

func unknownCommand(root *cobra.Command, name string) error {
	hint := "run 'fetchd --help' to see the commands"
	if s := root.SuggestionsFor(name); len(s) > 0 {
		for i := range s {
			s[i] = "'fetchd " + s[i] + "'"
		}
		hint = "did you mean " + strings.Join(s, " or ") + "? (" + hint + ")"
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", name), hint: hint}
}

// checkCommonFlags validates the persistent flags before any command runs.
func (a *app) checkCommonFlags(*cobra.Command, []string) error {
	switch a.logFormat {
	case "text", "json":
		return nil
	}
	return usagef("--log-format: want text or json, got %q", a.logFormat)
}

// flagError turns pflag's parse errors into fetchd's usage errors, which
// name the command, the flag as typed, and where to look.
func (a *app) flagError(cmd *cobra.Command, err error) error {
	if cmd == cmd.Root() {
		if args := cmd.Flags().Args(); len(args) > 0 {
			// "fetchd synk --best-effort": the word, not the flag, is wrong.
			return unknownCommand(cmd, args[0])
		}
	}
	msg := err.Error()
	var (
		ne *pflag.NotExistError
		vr *pflag.ValueRequiredError
		iv *pflag.InvalidValueError
	)
	switch {
	case errors.As(err, &ne) && len(ne.GetSpecifiedShortnames()) > 1:
		msg = fmt.Sprintf("unknown flag -%s (in -%s)", ne.GetSpecifiedName(), ne.GetSpecifiedShortnames())
	case errors.As(err, &ne) && ne.GetSpecifiedShortnames() != "":
		msg = "unknown flag -" + ne.GetSpecifiedName()
	case errors.As(err, &ne):
		msg = "unknown flag --" + ne.GetSpecifiedName()
	case errors.As(err, &vr):
		msg = "--" + vr.GetFlag().Name + " needs a value"
	case errors.As(err, &iv):
		msg = fmt.Sprintf("--%s: invalid value %q (%s)", iv.GetFlag().Name, iv.GetValue(), flagValueProblem(iv))
	}
	if cmd != cmd.Root() {
		msg = cmd.Name() + ": " + msg
	}
	return &usageError{msg: msg, hint: fmt.Sprintf("run '%s --help' to see its flags", cmd.CommandPath())}
}

// flagValueProblem says what a flag wanted, without strconv's internals.
func flagValueProblem(iv *pflag.InvalidValueError) string {
	switch iv.GetFlag().Value.Type() {
	case "int":
		return "want a whole number"
	case "bool":
		return "want true or false"
	case "duration":
		return "want a duration such as 30s or 5m"
	}
	return iv.Unwrap().Error()
}

// helpCmd is 'fetchd help [COMMAND]': the command's help on stdout, exit
// code 0; an unknown command is bad usage.
func (a *app) helpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "help about any command",
		Long:  "Help prints the help of any command: what it does, its flags with their defaults, and examples.",
		Args:  cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			root := c.Root()
			target, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 || (target == root && len(args) > 0) {
				return unknownCommand(root, args[0])
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
		ValidArgsFunction: func(c *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var names []cobra.Completion
			if len(args) == 0 {
				for _, sub := range c.Root().Commands() {
					if sub.IsAvailableCommand() {
						names = append(names, cobra.CompletionWithDesc(sub.Name(), sub.Short))
					}
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
	}
}
