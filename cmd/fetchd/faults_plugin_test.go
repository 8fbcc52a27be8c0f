package main

// Fault cases: a source plugin that misbehaves. The built-in Debian source
// is replaced by a fake plugin binary (testdata/fakeplugin) called
// fetchd-plugin-debian in a directory on FETCHD_PLUGIN_PATH; the directory's
// name picks the misbehaviour. Each case checks that the Debian images fail
// (or keep what they have) with an error naming the plugin's path and the
// image, that the Ubuntu and Alpine images are unaffected, and that no
// plugin process is left running.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakePluginModes are the fake plugin's behaviours (testdata/fakeplugin).
var fakePluginModes = []string{
	"crash", "hang", "chatty", "notplugin", "oversized", "file-url", "file-sig-url", "http-url",
	"slash-name", "dotdot-name", "nonhex-digest", "short-digest",
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
