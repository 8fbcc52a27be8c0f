package pluginhost

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSearchPath(t *testing.T) {
	t.Parallel()
	got := SearchPath([]string{"/env/a", "/env/b"}, []string{"/cfg/p", "/env/a"}, "/etc/fetchd/fetchd.yaml")
	want := []Dir{
		{Path: "/env/a", Explicit: true},
		{Path: "/env/b", Explicit: true},
		{Path: "/cfg/p", Explicit: true},
		{Path: "/etc/fetchd/plugins"},
		{Path: "/usr/local/lib/fetchd/plugins"},
		{Path: "/usr/lib/fetchd/plugins"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("search path (-want +got):\n%s", diff)
	}
}

// TestRegistryWithoutStarting: names, identity and unknown sources are
// answered without starting any plugin.
func TestRegistryWithoutStarting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeExec(t, filepath.Join(dir, "fetchd-plugin-fedora"), 0o755)
	self := filepath.Join(dir, "fetchd")
	writeExec(t, self, 0o755)
	r, err := NewRegistry(Search{Dirs: []Dir{{Path: dir, Explicit: true}}, Builtins: []string{"ubuntu"}, Self: self}, Options{SocketDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	id, err := r.Identity("ubuntu")
	if err != nil || !strings.HasPrefix(id, "builtin:ubuntu|"+self+"|") {
		t.Errorf("Identity(ubuntu) = %q, %v; want builtin:ubuntu|%s|…", id, err, self)
	}
	id, err = r.Identity("fedora")
	if err != nil || !strings.HasPrefix(id, "plugin|"+filepath.Join(dir, "fetchd-plugin-fedora")+"|") {
		t.Errorf("Identity(fedora) = %q, %v", id, err)
	}
	_, err = r.Plugin(t.Context(), "fedoar")
	var ue *UnknownSourceError
	if !errors.As(err, &ue) || err.Error() != `no source called "fedoar" (sources: fedora, ubuntu)` {
		t.Errorf("Plugin(fedoar): %v, want an UnknownSourceError listing fedora, ubuntu", err)
	}
}
