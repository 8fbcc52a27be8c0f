package main

import (
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sandlabx/fetchd/internal/replica"
)

// scriptCommands are the testscript commands the end-to-end scripts use
// besides the standard ones.
var scriptCommands = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	// serve DIR: serve $WORK/DIR on 127.0.0.1 for the rest of the script;
	// its URL is $SERVER.
	"serve": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: serve DIR")
		}
		s := replica.NewServer(ts.MkAbs(args[0]))
		ts.Defer(s.Close)
		ts.Setenv("SERVER", s.URL)
		servers.set(ts, s)
	},
	// requests PATH N: the server got exactly N requests for PATH.
	"requests": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: requests PATH N")
		}
		s := servers.get(ts)
		if s == nil {
			ts.Fatalf("requests: no server (use serve first)")
		}
		want, err := strconv.Atoi(args[1])
		ts.Check(err)
		if got := s.Requests(args[0]); (got == want) == neg {
			ts.Fatalf("requests for %s: got %d, want %s%d", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
		}
	},
	// expand IN OUT: copy IN to OUT replacing $VARS with the script's
	// environment (config files need the server's URL).
	"expand": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: expand IN OUT")
		}
		data := ts.ReadFile(args[0])
		out := os.Expand(data, func(k string) string { return ts.Getenv(k) })
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(out), 0o644))
	},
	// mode FILE PERM: the file's permission bits are PERM (octal).
	"mode": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: mode FILE PERM")
		}
		fi, err := os.Stat(ts.MkAbs(args[0]))
		ts.Check(err)
		want, err := strconv.ParseUint(strings.TrimPrefix(args[1], "0"), 8, 32)
		ts.Check(err)
		if (uint64(fi.Mode().Perm()) == want) == neg {
			ts.Fatalf("%s has mode %o", args[0], fi.Mode().Perm())
		}
	},
}

// servers maps each running script to its server (scripts run in
// parallel, each with its own).
var servers serverMap
