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

func TestDiscover(t *testing.T) {
	t.Parallel()
	first, second := t.TempDir(), t.TempDir()
	writeExec(t, filepath.Join(first, "fetchd-plugin-fedora"), 0o755)
	writeExec(t, filepath.Join(first, "fetchd-plugin-ubuntu"), 0o755)    // replaces the built-in
	writeExec(t, filepath.Join(second, "fetchd-plugin-fedora"), 0o755)   // hidden by first's
	writeExec(t, filepath.Join(second, "fetchd-plugin-Bad_Name"), 0o755) // invalid name
	writeExec(t, filepath.Join(second, "fetchd-plugin-noexec"), 0o644)
	writeExec(t, filepath.Join(second, "fetchd-plugin-open"), 0o777)
	writeExec(t, filepath.Join(second, "README.md"), 0o644) // not a plugin at all
	if err := os.Mkdir(filepath.Join(second, "fetchd-plugin-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "nope")

	got, problems := Discover([]Dir{
		{Path: first, Explicit: true},
		{Path: second},
		{Path: missing},                       // a default directory: silently absent
		{Path: missing + "2", Explicit: true}, // named by the operator: reported
	}, []string{"alpine", "debian", "ubuntu"}, "/usr/bin/fetchd")

	want := []Candidate{
		{Name: "alpine", Path: "/usr/bin/fetchd", Builtin: true},
		{Name: "debian", Path: "/usr/bin/fetchd", Builtin: true},
		{Name: "fedora", Path: filepath.Join(first, "fetchd-plugin-fedora"), Shadows: []string{filepath.Join(second, "fetchd-plugin-fedora")}},
		{Name: "ubuntu", Path: filepath.Join(first, "fetchd-plugin-ubuntu"), Shadows: []string{"built-in"}},
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
		`plugin SECOND/fetchd-plugin-dir: ignored: not a regular file`,
		`plugin SECOND/fetchd-plugin-noexec: ignored: not executable (chmod +x)`,
		`plugin SECOND/fetchd-plugin-open: ignored: world-writable: anyone could replace it (chmod o-w)`,
		`plugin ` + missing + `2: cannot read plugin directory: no such file or directory`,
	}
	if diff := cmp.Diff(wantMsgs, msgs); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
