package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// app holds what every command shares: the output streams, the
// environment, and the common flags.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string

	configPath string
	dir        string
	jsonOut    bool
	quiet      bool
	logFormat  string
}

// flags returns a FlagSet with the common flags bound to a.
func (a *app) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.configPath, "config", "", "config file")
	fs.StringVar(&a.dir, "dir", "", "image directory (overrides the config and FETCHD_DIR)")
	fs.StringVar(&a.logFormat, "log-format", "text", "text or json: how progress is logged")
	fs.BoolVar(&a.jsonOut, "json", false, "machine-readable output")
	fs.BoolVar(&a.quiet, "quiet", false, "print only errors")
	return fs
}

// parse parses flags that may come before, between or after positional
// arguments ("fetchd resolve debian 13 --arch arm64"). The first "--" ends
// them: everything after it is returned as tail (sync's command to exec).
func parse(fs *flag.FlagSet, args []string) (pos, tail []string, err error) {
	for i, arg := range args {
		if arg == "--" {
			args, tail = args[:i], append([]string{}, args[i+1:]...)
			break
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			msg := err.Error()
			if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
				msg = "unknown flag " + name
			}
			return nil, nil, usagef("%s: %s", fs.Name(), msg)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, tail, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (a *app) printf(format string, args ...any) {
	if !a.quiet {
		fmt.Fprintf(a.stdout, format, args...)
	}
}
