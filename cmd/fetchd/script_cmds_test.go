package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/internal/testutil"
	"github.com/sandlabx/fetchd/internal/testworld"
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
	// world DIR: lay out replicas of Ubuntu, Debian and Alpine under
	// $WORK/DIR with real qcow2 images, and write $WORK/DIR.yaml, a config
	// for the three default images served from $SERVER/DIR (serve the
	// parent first) into ./images.
	"world": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: world DIR")
		}
		qemuImg, err := exec.LookPath("qemu-img")
		ts.Check(err)
		f, err := testutil.NewQcow2Factory(qemuImg, ts.MkAbs("."))
		ts.Check(err)
		w, err := testworld.Write(ts.MkAbs(args[0]), f.Content)
		ts.Check(err)
		worlds.set(ts, w)
		ts.Setenv("WORLD_URL", ts.Getenv("SERVER")+"/"+args[0])
		ts.Setenv("WORLD_DIR", args[0])
		ts.Setenv("ALPINE_KEY", w.AlpineKeyFile)
		ts.Setenv("STRANGER_KEY", w.StrangerKeyFile)
		cfg := w.Config(ts.Getenv("SERVER")+"/"+args[0], ts.MkAbs("images"))
		ts.Check(os.WriteFile(ts.MkAbs(args[0]+".yaml"), []byte(cfg), 0o644))
	},
	// publish DISTRO RELEASE ARCH VARIANT: upstream publishes a newer build.
	"publish": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 4 {
			ts.Fatalf("usage: publish DISTRO RELEASE ARCH VARIANT")
		}
		w := worlds.get(ts)
		if w == nil {
			ts.Fatalf("publish: no world (use world first)")
		}
		var err error
		switch args[0] {
		case "ubuntu":
			_, err = w.Ubuntu.Publish(args[1], args[2], args[3])
		case "debian":
			_, err = w.Debian.Publish(args[1], args[2], args[3])
		case "alpine":
			_, err = w.Alpine.Publish(args[1], args[2], args[3])
		default:
			ts.Fatalf("publish: unknown distro %q", args[0])
		}
		ts.Check(err)
	},
	// newest DISTRO RELEASE ARCH VARIANT: set $NEWEST_URL, $NEWEST_VERSION
	// and $NEWEST_DIGEST to what a correct resolve must answer (the
	// replica's own record of its newest build), to check fetchd's answer,
	// and $NEWEST_FILE to the image's path under $WORK.
	"newest": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 4 {
			ts.Fatalf("usage: newest DISTRO RELEASE ARCH VARIANT")
		}
		w := worlds.get(ts)
		if w == nil {
			ts.Fatalf("newest: no world (use world first)")
		}
		var path, version, digest string
		switch args[0] {
		case "ubuntu":
			b := w.Ubuntu.Newest(args[1], args[2], args[3])
			path, version, digest = b.Path, b.Version, b.Digest.String()
		case "debian":
			b := w.Debian.Newest(args[1], args[2], args[3])
			path, version, digest = b.Path, b.Version, b.Digest.String()
		case "alpine":
			b := w.Alpine.Newest(args[1], args[2], args[3])
			path, version, digest = b.Path, b.Version, b.Digest.String()
		default:
			ts.Fatalf("newest: unknown distro %q", args[0])
		}
		if path == "" {
			ts.Fatalf("newest: the replica has no %v", args)
		}
		ts.Setenv("NEWEST_URL", ts.Getenv("WORLD_URL")+"/"+args[0]+"/"+path)
		ts.Setenv("NEWEST_VERSION", version)
		ts.Setenv("NEWEST_DIGEST", digest)
		ts.Setenv("NEWEST_FILE", ts.Getenv("WORLD_DIR")+"/"+args[0]+"/"+path)
	},
	// jsonlines FILE: every line of FILE (stdout, stderr or a file) is one
	// JSON event of --log-format json, with its time, level and event.
	"jsonlines": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: jsonlines FILE")
		}
		text := ts.ReadFile(args[0])
		if strings.TrimSpace(text) == "" {
			ts.Fatalf("%s is empty", args[0])
		}
		for i, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			var ev map[string]any
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				ts.Fatalf("%s line %d is not a JSON object (%v): %s", args[0], i+1, err, line)
			}
			for _, k := range []string{"time", "level", "event"} {
				if s, _ := ev[k].(string); s == "" {
					ts.Fatalf("%s line %d has no %q: %s", args[0], i+1, k, line)
				}
			}
		}
	},
	// stall PATH: from now on the server answers GET of PATH with its
	// headers and the first half of the file, then sends nothing more
	// until the client goes away (a download that is under way). stall off
	// serves it normally again.
	"stall": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: stall PATH|off")
		}
		s := servers.get(ts)
		if s == nil {
			ts.Fatalf("stall: no server (use serve first)")
		}
		path := args[0]
		if path == "off" {
			s.Hook(nil)
			return
		}
		data, err := os.ReadFile(filepath.Join(s.Root, filepath.FromSlash(path)))
		ts.Check(err)
		s.Hook(func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != path || r.Method != http.MethodGet {
				return false
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(data[:len(data)/2])
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			<-r.Context().Done()
			return true
		})
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
