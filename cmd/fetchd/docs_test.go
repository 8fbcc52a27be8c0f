package main

import (
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func testRoot() *cobra.Command {
	a := &app{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	return a.rootCmd()
}

// TestReadmeCommands: README's command table lists exactly the commands
// fetchd has, and every flag a row shows is one that command takes (its
// own or a global one). The usage and the man pages are generated from
// the same definitions, so the three agree.
func TestReadmeCommands(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	root := testRoot()
	flagRE := regexp.MustCompile(`--[a-z][a-z-]*`)
	rows := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		cell, ok := strings.CutPrefix(line, "| `fetchd ")
		if !ok {
			continue
		}
		cell, _, _ = strings.Cut(cell, "`")
		name := strings.Fields(cell)[0]
		rows[name] = true
		cmd, _, err := root.Find([]string{name})
		if err != nil || cmd == root {
			t.Errorf("README lists `fetchd %s`, which is not a command", name)
			continue
		}
		for _, f := range flagRE.FindAllString(cell, -1) {
			if f == "--" {
				continue
			}
			if cmd.Flags().Lookup(f[2:]) == nil && cmd.InheritedFlags().Lookup(f[2:]) == nil && f != "--help" {
				t.Errorf("README's row for `fetchd %s` shows %s, which it does not take", name, f)
			}
		}
	}
	for _, c := range root.Commands() {
		if (c.IsAvailableCommand() || c.Name() == "help") && !rows[c.Name()] {
			t.Errorf("`fetchd %s` is missing from README's command table", c.Name())
		}
	}
}

// TestCommandsDocumented: every command says what it does at length and
// shows examples, which --help and the man pages print.
func TestCommandsDocumented(t *testing.T) {
	t.Parallel()
	for _, c := range testRoot().Commands() {
		if !c.IsAvailableCommand() || c.Name() == "completion" {
			continue
		}
		if c.Short == "" || c.Long == "" || c.Example == "" {
			t.Errorf("fetchd %s: Short, Long and Example must all be set", c.Name())
		}
		if strings.ToLower(c.Short[:1]) != c.Short[:1] || strings.HasSuffix(c.Short, ".") {
			t.Errorf("fetchd %s: Short %q: lowercase, no trailing period", c.Name(), c.Short)
		}
	}
}
