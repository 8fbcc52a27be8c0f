package pluginhost

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeExec(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask-proof
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, path string, mode os.FileMode) string {
	t.Helper()
	if err := os.Mkdir(path, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	first, second := mkdir(t, filepath.Join(root, "first"), 0o755), mkdir(t, filepath.Join(root, "second"), 0o755)
	writeExec(t, filepath.Join(first, "fetchd-plugin-fedora"), 0o755)
	writeExec(t, filepath.Join(first, "fetchd-plugin-ubuntu"), 0o755)    // replaces the built-in
	writeExec(t, filepath.Join(second, "fetchd-plugin-fedora"), 0o755)   // hidden by first's
	writeExec(t, filepath.Join(second, "fetchd-plugin-Bad_Name"), 0o755) // invalid name
	writeExec(t, filepath.Join(second, "fetchd-plugin-noexec"), 0o644)
	writeExec(t, filepath.Join(second, "fetchd-plugin-open"), 0o777)
	writeExec(t, filepath.Join(second, "fetchd-plugin-group"), 0o775)
	writeExec(t, filepath.Join(second, "README.md"), 0o644) // not a plugin at all
	mkdir(t, filepath.Join(second, "fetchd-plugin-dir"), 0o755)
	missing := filepath.Join(t.TempDir(), "nope")

	got, problems := Discover(Search{
		Dirs: []Dir{
			{Path: first, Explicit: true},
			{Path: second},
			{Path: missing},                       // a default directory: silently absent
			{Path: missing + "2", Explicit: true}, // named by the operator: reported
		},
		Builtins: []string{"alpine", "debian", "ubuntu"},
		Self:     "/usr/bin/fetchd",
	})

	fedora := filepath.Join(first, "fetchd-plugin-fedora")
	ubuntu := filepath.Join(first, "fetchd-plugin-ubuntu")
	want := []Candidate{
		{Name: "alpine", Path: "/usr/bin/fetchd", Builtin: true},
		{Name: "debian", Path: "/usr/bin/fetchd", Builtin: true},
		{Name: "fedora", Path: fedora, Real: fedora, Shadows: []string{filepath.Join(second, "fetchd-plugin-fedora")}},
		{Name: "ubuntu", Path: ubuntu, Real: ubuntu, Shadows: []string{"built-in"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("candidates (-want +got):\n%s", diff)
	}
	var msgs []string
	for _, p := range problems {
		msgs = append(msgs, strings.ReplaceAll(p.Error(), second, "SECOND"))
	}
	wantMsgs := []string{
		`plugin SECOND/fetchd-plugin-Bad_Name: ignored: "Bad_Name" is not a plugin name ([a-z0-9][a-z0-9-]*, at most 32 characters)`,
		`plugin SECOND/fetchd-plugin-dir: ignored: it is not a regular file`,
		`plugin SECOND/fetchd-plugin-group: ignored: SECOND/fetchd-plugin-group: writable by group (mode 0775): anyone there could replace the plugin (chmod go-w SECOND/fetchd-plugin-group)`,
		`plugin SECOND/fetchd-plugin-noexec: ignored: it is not executable (chmod +x)`,
		`plugin SECOND/fetchd-plugin-open: ignored: SECOND/fetchd-plugin-open: writable by group and others (mode 0777): anyone there could replace the plugin (chmod go-w SECOND/fetchd-plugin-open)`,
		`plugin ` + missing + `2: cannot read plugin directory: no such file or directory`,
	}
	if diff := cmp.Diff(wantMsgs, msgs); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestWhoMayBeAPlugin: a plugin is used only when it and every directory
// above it, on its own path and its symlink target's, are owned by root or
// fetchd's uid and writable by no one else.
func TestWhoMayBeAPlugin(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	safe := mkdir(t, filepath.Join(root, "safe"), 0o755)
	writeExec(t, filepath.Join(safe, "tool"), 0o755)

	open := mkdir(t, filepath.Join(root, "open"), 0o777)
	writeExec(t, filepath.Join(open, "fetchd-plugin-a"), 0o755)

	sticky := mkdir(t, filepath.Join(root, "sticky"), os.ModeSticky|0o777) // like /tmp
	inSticky := mkdir(t, filepath.Join(sticky, "mine"), 0o755)
	writeExec(t, filepath.Join(inSticky, "fetchd-plugin-b"), 0o755)

	nobody := mkdir(t, filepath.Join(root, "nobody"), 0o755)
	writeExec(t, filepath.Join(nobody, "fetchd-plugin-c"), 0o755)
	if err := os.Chown(filepath.Join(nobody, "fetchd-plugin-c"), 65534, 65534); err != nil {
		t.Skipf("cannot chown (not root?): %v", err)
	}
	ownedDir := mkdir(t, filepath.Join(root, "owned"), 0o755)
	writeExec(t, filepath.Join(ownedDir, "fetchd-plugin-d"), 0o755)
	if err := os.Chown(ownedDir, 65534, 65534); err != nil {
		t.Fatal(err)
	}

	links := mkdir(t, filepath.Join(root, "links"), 0o755)
	symlink := func(target, name string) {
		if err := os.Symlink(target, filepath.Join(links, name)); err != nil {
			t.Fatal(err)
		}
	}
	symlink(filepath.Join(safe, "tool"), "fetchd-plugin-good-link")
	symlink(filepath.Join(open, "fetchd-plugin-a"), "fetchd-plugin-bad-link")

	tests := map[string]struct {
		path    string
		wantErr string // "" = usable
	}{
		"a safe plugin":                    {filepath.Join(safe, "tool"), ""},
		"in a world-writable directory":    {filepath.Join(open, "fetchd-plugin-a"), open + ": directory writable by group and others (mode 0777)"},
		"below a sticky directory":         {filepath.Join(inSticky, "fetchd-plugin-b"), ""},
		"owned by another uid":             {filepath.Join(nobody, "fetchd-plugin-c"), "owned by uid 65534"},
		"in a directory of another uid":    {filepath.Join(ownedDir, "fetchd-plugin-d"), "directory owned by uid 65534"},
		"a symlink to a safe file":         {filepath.Join(links, "fetchd-plugin-good-link"), ""},
		"a symlink into an open directory": {filepath.Join(links, "fetchd-plugin-bad-link"), "symlink to " + filepath.Join(open, "fetchd-plugin-a") + ": " + open + ": directory writable"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			real, err := checkTrusted(tc.path, os.Geteuid())
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.wantErr == "":
				if want, _ := filepath.EvalSymlinks(tc.path); real != want {
					t.Errorf("runs %s, want the resolved %s", real, want)
				}
			case err == nil || !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestPinnedPlugin(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := mkdir(t, filepath.Join(root, "dir"), 0o755)
	pinned := mkdir(t, filepath.Join(root, "pinned"), 0o755)
	writeExec(t, filepath.Join(dir, "fetchd-plugin-ubuntu"), 0o755)
	writeExec(t, filepath.Join(pinned, "my-ubuntu"), 0o755)
	open := mkdir(t, filepath.Join(root, "open"), 0o777)
	writeExec(t, filepath.Join(open, "fetchd-plugin-lab"), 0o755)

	got, problems := Discover(Search{
		Dirs: []Dir{{Path: dir}},
		Pins: map[string]Pin{
			"ubuntu": {Path: filepath.Join(pinned, "my-ubuntu"), Where: "fetchd.yaml:4"},
			"lab":    {Path: filepath.Join(open, "fetchd-plugin-lab"), Where: "fetchd.yaml:7"},
		},
		Builtins: []string{"ubuntu"},
		Self:     "/usr/bin/fetchd",
	})
	if len(problems) != 0 {
		t.Errorf("problems: %v", problems)
	}
	if len(got) != 2 {
		t.Fatalf("candidates: %+v", got)
	}
	lab, ubuntu := got[0], got[1]
	if lab.Problem == nil || !strings.Contains(lab.Problem.Error(), "writable by group and others") {
		t.Errorf("pinned plugin in an open directory: problem %v", lab.Problem)
	}
	wantShadows := []string{filepath.Join(dir, "fetchd-plugin-ubuntu"), "built-in"}
	if ubuntu.Path != filepath.Join(pinned, "my-ubuntu") || ubuntu.Problem != nil || ubuntu.PinnedBy != "fetchd.yaml:4" || !cmp.Equal(ubuntu.Shadows, wantShadows) {
		t.Errorf("pinned ubuntu: %+v", ubuntu)
	}
	_, err := newHost(t, Options{}).Start(t.Context(), lab)
	if err == nil || !strings.Contains(err.Error(), "refusing the plugin pinned by fetchd.yaml:7") {
		t.Errorf("starting a refused pin: %v", err)
	}
}
