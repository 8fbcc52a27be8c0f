package main

// Fault cases: a source plugin that misbehaves. The built-in Debian source
// is replaced by a fake plugin binary (testdata/fakeplugin) called
// fetchd-plugin-debian in a directory on FETCHD_PLUGIN_PATH; the directory's
// name picks the misbehaviour. Each case checks that the Debian images fail
// (or keep what they have) with an error naming the plugin's path and the
// image, that the Ubuntu and Alpine images are unaffected, and that no
// plugin process is left running.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakePluginModes are the fake plugin's behaviours (testdata/fakeplugin).
var fakePluginModes = []string{
	"crash", "hang", "chatty", "notplugin", "oversized", "file-url", "file-sig-url", "http-url",
	"slash-name", "dotdot-name", "nonhex-digest", "short-digest",
	"honest", "fork-child", "setsid-child", "stderr-holder", "escapes",
}

// fakePlugins builds the fake plugin (once per run of the test that calls
// it; go's build cache makes later builds cheap) and lays it out as
// <dir>/<mode>/fetchd-plugin-debian for every mode, hard links to one
// binary, in a directory removed when t and its subtests are done.
func fakePlugins(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "fakeplugin")
	out, err := exec.Command("go", "build", "-o", bin, "./testdata/fakeplugin").CombinedOutput()
	if err != nil {
		t.Fatalf("building the fake plugin: %v\n%s", err, out)
	}
	for _, mode := range fakePluginModes {
		if err := os.Mkdir(filepath.Join(dir, mode), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Link(bin, filepath.Join(dir, mode, "fetchd-plugin-debian")); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestFaultPlugin: one case per misbehaviour, run one after the other in
// one world (a case only runs sync, which cannot change what the next one
// sees: the Debian plugin fails before anything is downloaded). Besides the
// installed debian-13.qcow2, the world configures debian-13-nocloud.qcow2,
// which is not on disk: it must fail (exit 1) with the plugin's error,
// while debian-13.qcow2 stays as it is, reported present with a warning
// that upstream could not be checked.
func TestFaultPlugin(t *testing.T) {
	t.Parallel()
	plugins := fakePlugins(t)
	world := newFaultWorld(t)
	world.addImages("  debian-13-nocloud.qcow2: {source: debian, release: \"13\", variant: nocloud}\n")

	cases := map[string]struct {
		mode string
		// cause follows "source debian (<plugin path>): " in the error;
		// more are further substrings of the same line.
		cause string
		more  []string
		env   []string
	}{
		"crash": {
			mode: "crash", cause: "plugin exited during Resolve: the plugin process died",
			more: []string{"panic: fakeplugin: crash in Resolve"},
		},
		"hang": {
			// Both Debian images ask at once: the call that times out
			// first makes fetchd stop the plugin, and the other says so.
			mode: "hang", cause: "Resolve: ", more: []string{"no answer within 3s"},
			env: []string{"FETCHD_TEST_RESOLVE_TIMEOUT=3s"},
		},
		"chatty": {
			mode: "chatty", cause: `not a fetchd plugin: its first line on stdout was "fakeplugin: hello from a plugin that prints before the handshake"`,
		},
		"notplugin": {
			mode: "notplugin", cause: "not a fetchd plugin: ",
			more: []string{"this program is not a fetchd plugin"},
		},
		"oversized": {
			mode: "oversized", cause: "invalid Resolve answer: ", more: []string{"answer larger than the 1048576-byte cap"},
		},
		"fileurl": {
			mode: "file-url", cause: `invalid Resolve answer: url: url "file:///etc/shadow" refused: scheme "file" not allowed (https only)`,
		},
		"filesigurl": {
			mode: "file-sig-url", cause: `invalid Resolve answer: image_signature_url: url "file:///etc/shadow.asc" refused: scheme "file" not allowed (https only)`,
		},
		"httpurl": {
			mode: "http-url", cause: `invalid Resolve answer: url: url "http://fetchd-fault.invalid/debian-13.qcow2" refused: http:// is allowed only on the host of an http:// base_url the operator configured`,
		},
		"slashname": {
			mode: "slash-name", cause: `invalid Resolve answer: file_name: file name "trixie/debian-13.qcow2" contains a path separator`,
		},
		"dotdot": {
			mode: "dotdot-name", cause: `invalid Resolve answer: file_name: file name ".." starts with a dot`,
		},
		"nonhex": {
			mode: "nonhex-digest", cause: "invalid Resolve answer: checksum: sha512 digest is not lowercase hex",
		},
		"shortdigest": {
			mode: "short-digest", cause: "invalid Resolve answer: checksum: sha512 digest has 126 hex digits, want 128",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := *world
			f.t = t
			dir := filepath.Join(plugins, tc.mode)
			path := filepath.Join(dir, "fetchd-plugin-debian")
			f.env = append([]string{"FETCHD_PLUGIN_PATH=" + dir}, tc.env...)

			res := f.syncJSON()
			prefix := "source debian (" + path + "): "
			f.check(res, expect{code: 1, failed: map[string]string{"debian-13-nocloud.qcow2": prefix}})
			line := srvStderrLine(res, "error", "debian-13-nocloud.qcow2")
			for _, want := range append([]string{prefix + tc.cause}, tc.more...) {
				if !strings.Contains(line, want) {
					t.Errorf("the error for debian-13-nocloud.qcow2 does not say %q:\n%s", want, line)
				}
			}
			// The installed image keeps its verified bytes (f.check) and
			// is reported present, with the plugin's failure as a warning.
			if got := res.summary["debian-13.qcow2"]; got != "present" {
				t.Errorf("debian-13.qcow2 ended %q, want present", got)
			}
			if w := srvStderrLine(res, "warning", "debian-13.qcow2"); !strings.Contains(w, prefix) {
				t.Errorf("no warning for debian-13.qcow2 naming %s:\n%s", path, res.stderr)
			}
			if _, err := os.Stat(filepath.Join(f.images, "debian-13-nocloud.qcow2")); !os.IsNotExist(err) {
				t.Errorf("debian-13-nocloud.qcow2 exists after its source failed (stat: %v)", err)
			}
		})
	}
}

// runThen runs `fetchd <args> --config <file> -- <command...>`: a sync that
// execs command when it is done.
func (f *faultWorld) runThen(args []string, command ...string) runResult {
	f.t.Helper()
	all := append(append(append([]string{}, args...), "--config", f.cfgPath, "--"), command...)
	return f.runRaw(all...)
}

// leftoverProbe is a command for `sync -- CMD` that writes to file the
// /proc entries of every process still running with a plugin's
// environment (a socket directory under the world's TMPDIR) at the moment
// CMD starts: it must find none.
func (f *faultWorld) leftoverProbe(file string) []string {
	script := `for e in /proc/[0-9]*/environ; do
  if tr '\0' '\n' < "$e" 2>/dev/null | grep -q "^PLUGIN_UNIX_SOCKET_DIR=$1"; then
    echo "$e: $(tr '\0' ' ' < "${e%/environ}/cmdline")"
  fi
done > "$2"`
	return []string{"sh", "-c", script, "probe", f.tmp, file}
}

// TestFaultPluginProcessTree: a plugin that leaves processes behind (a
// child in its process group, a daemon that left its session, a child
// holding its stderr open, which used to keep fetchd waiting for it) has
// its whole tree stopped when fetchd is done with it. Each child sleeps an
// hour: if fetchd waited for any of them, `sync -- CMD` would never start
// CMD and the run would hit the suite's timeout. Instead CMD starts, and
// at that moment no process of the plugin is left (the probe), and none
// afterwards (check). Every wait in fetchd's stop path is bounded (one
// second for the launcher to stop the tree, one for the pipes to close),
// so CMD starts within two seconds of the summary by construction; the
// elapsed time is logged, not asserted.
func TestFaultPluginProcessTree(t *testing.T) {
	t.Parallel()
	plugins := fakePlugins(t)
	world := newFaultWorld(t)
	for _, mode := range []string{"fork-child", "setsid-child", "stderr-holder"} {
		t.Run(mode, func(t *testing.T) {
			f := *world
			f.t = t
			dir := filepath.Join(plugins, mode)
			f.env = []string{"FETCHD_PLUGIN_PATH=" + dir}
			probe := filepath.Join(t.TempDir(), "leftover")
			res := f.runThen([]string{"sync", "--best-effort"}, f.leftoverProbe(probe)...)
			f.check(res, expect{code: 0})
			left, err := os.ReadFile(probe)
			if err != nil {
				t.Fatalf("CMD did not run (no probe output: %v)\nstdout:\n%s\nstderr:\n%s", err, res.stdout, res.stderr)
			}
			if len(left) > 0 {
				t.Errorf("plugin processes still running when CMD started:\n%s", left)
			}
			if !strings.Contains(res.stdout, "3 of 3 images ready") {
				t.Errorf("no summary before CMD:\n%s", res.stdout)
			}
			want := "source debian is served by the plugin " + filepath.Join(dir, "fetchd-plugin-debian") + " (found on the plugin path), which replaces the built-in debian source"
			if !strings.Contains(res.stderr, "fetchd: warning: "+want) {
				t.Errorf("the replacement of the built-in source is not announced:\n%s", res.stderr)
			}
			t.Logf("sync and CMD took %s in all", res.elapsed)
		})
	}
}

// TestFaultPluginWhoMayBeAPlugin: a plugin binary that someone other than
// root (or fetchd's uid) could have put there or could change is not run;
// fetchd says which file and why, and uses the built-in source instead.
func TestFaultPluginWhoMayBeAPlugin(t *testing.T) {
	t.Parallel()
	plugins := fakePlugins(t)
	world := newFaultWorld(t)
	honest := filepath.Join(plugins, "honest", "fetchd-plugin-debian")
	place := func(t *testing.T, dir string, mode os.FileMode, uid int) string {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, "fetchd-plugin-debian")
		data, err := os.ReadFile(honest)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dst, uid, uid); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	cases := map[string]struct {
		// setup lays out the plugin directory and returns it, the plugin
		// path as found, and the reason the warning must give ("" when the
		// plugin is fine and must be used).
		setup func(t *testing.T, root string) (dir, path, reason string)
	}{
		"in a world-writable directory": {func(t *testing.T, root string) (string, string, string) {
			dir := filepath.Join(root, "open")
			p := place(t, dir, 0o777, 0)
			return dir, p, dir + ": directory writable by group and others (mode 0777)"
		}},
		"owned by another uid": {func(t *testing.T, root string) (string, string, string) {
			dir := filepath.Join(root, "nobody")
			p := place(t, dir, 0o755, 65534)
			return dir, p, p + ": owned by uid 65534; a plugin and every directory above it must be owned by root or by fetchd's uid 0"
		}},
		"a symlink into a world-writable directory": {func(t *testing.T, root string) (string, string, string) {
			target := place(t, filepath.Join(root, "open"), 0o777, 0)
			dir := filepath.Join(root, "links")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "fetchd-plugin-debian")
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			return dir, p, "symlink to " + target + ": " + filepath.Join(root, "open") + ": directory writable by group and others"
		}},
		"a symlink to a safe binary": {func(t *testing.T, root string) (string, string, string) {
			dir := filepath.Join(root, "links")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "fetchd-plugin-debian")
			if err := os.Symlink(honest, p); err != nil {
				t.Fatal(err)
			}
			return dir, p, ""
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := *world
			f.t = t
			dir, path, reason := tc.setup(t, t.TempDir())
			f.env = []string{"FETCHD_PLUGIN_PATH=" + dir}
			res := f.syncJSON()
			f.check(res, expect{code: 0})
			var doc struct {
				Warnings []string `json:"warnings"`
			}
			if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
				t.Fatal(err)
			}
			want := "plugin " + path + ": ignored: " + reason
			if reason == "" {
				want = "source debian is served by the plugin " + path + " (found on the plugin path), which replaces the built-in debian source"
			}
			if !strings.Contains(res.stderr, "fetchd: warning: "+want) {
				t.Errorf("stderr does not warn %q:\n%s", want, res.stderr)
			}
			found := false
			for _, w := range doc.Warnings {
				found = found || strings.HasPrefix(w, want)
			}
			if !found {
				t.Errorf("--json warnings %q do not hold %q", doc.Warnings, want)
			}
		})
	}
}

// TestFaultPluginEscapes: what a plugin says reaches the terminal and the
// logs with its escape sequences and bidi controls made visible, never
// acted on.
func TestFaultPluginEscapes(t *testing.T) {
	t.Parallel()
	plugins := fakePlugins(t)
	f := newFaultWorld(t)
	f.addImages("  debian-13-nocloud.qcow2: {source: debian, release: \"13\", variant: nocloud}\n")
	f.env = []string{"FETCHD_PLUGIN_PATH=" + filepath.Join(plugins, "escapes")}
	res := f.syncJSON()
	f.check(res, expect{code: 1, failed: map[string]string{"debian-13-nocloud.qcow2": "fakeplugin: "}})
	want := `fakeplugin: \x1b]0;owned\x07\x1b[2J\x1b[31mall good\x1b[0m\x0dREWRITTEN \u{202e}exe.txt\u{202c} end`
	if line := srvStderrLine(res, "error", "debian-13-nocloud.qcow2"); !strings.Contains(line, want) {
		t.Errorf("the plugin's error is not escaped as %q:\n%s", want, line)
	}
	for _, out := range []string{res.stderr, res.stdout} {
		if i := strings.IndexFunc(out, func(r rune) bool {
			return r == 0x1b || r == '\r' || r == 0x07 || r == '\u202e' || r == '\u202c'
		}); i >= 0 {
			t.Errorf("raw control or bidi character at offset %d of the output:\n%q", i, out)
		}
	}
}

// TestFaultPluginDeepManifest: a Debian manifest nested tens of thousands
// deep (once enough to drive the plugin to over a gigabyte) is refused at
// once, naming the limit, and the plugin runs under a memory limit anyway.
func TestFaultPluginDeepManifest(t *testing.T) {
	t.Parallel()
	f := newFaultWorld(t)
	f.addImages("  debian-13-nocloud.qcow2: {source: debian, release: \"13\", variant: nocloud}\n")
	b := f.world.Debian.Newest("13", runtime.GOARCH, "nocloud")
	deep := strings.Repeat(`{"a":`, 3<<20/5)
	f.serveFile("upstream/debian/"+b.ManifestPath, []byte(deep))
	res := f.syncJSON()
	f.check(res, expect{code: 1, failed: map[string]string{"debian-13-nocloud.qcow2": "nested deeper than 32 levels"}})
}
