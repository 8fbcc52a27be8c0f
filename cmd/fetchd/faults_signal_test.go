package main

// Signals during sync, end to end: `docker stop` (SIGTERM) or Ctrl-C
// (SIGINT) while an image downloads, with fetchd as the entrypoint of a
// server (--best-effort -- CMD), also as PID 1 of its own PID namespace as
// in a container.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestFaultSignal: a signal mid-download stops fetchd: exit code
// 128+signal, one "interrupted" line, CMD never started (even with
// --best-effort), the installed build untouched, the partial kept; the
// next sync resumes it.
func TestFaultSignal(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		sig    syscall.Signal
		code   int
		prefix []string // how fetchd is started
	}{
		"SIGTERM":          {sig: syscall.SIGTERM, code: 143},
		"SIGINT":           {sig: syscall.SIGINT, code: 130},
		"SIGTERM as PID 1": {sig: syscall.SIGTERM, code: 143, prefix: []string{"unshare", "--pid", "--fork", "--kill-child"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if len(tc.prefix) > 0 {
				if _, err := exec.LookPath(tc.prefix[0]); err != nil {
					t.Skipf("needs %s (util-linux): %v", tc.prefix[0], err)
				}
			}
			f := newFaultWorld(t)
			b := localPublishDebian(t, f)
			g := newLocalGate(b)
			f.srv.Hook(g.hook)
			marker := filepath.Join(f.root, "server-started")
			p := localStartAs(f, tc.prefix, nil, "sync", "--update", "always", "--best-effort", "--", "touch", marker)
			localWaitFor(t, "half the download in the partial file", p, func() bool { return localPartialSize(f) >= int64(g.hold) })
			target := p.cmd.Process.Pid
			if len(tc.prefix) > 0 {
				target = signalTarget(t, p)
			}
			if err := syscall.Kill(target, tc.sig); err != nil {
				t.Fatal(err)
			}
			res := p.wait()
			if res.code != tc.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, tc.code, res.stdout, res.stderr)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Errorf("CMD ran after %s", name)
			}
			if strings.Contains(res.stderr, "best-effort") || strings.Contains(res.stdout, "best-effort") {
				t.Errorf("a --best-effort message after a signal:\n%s", res.stderr)
			}
			var lines []string
			for _, l := range strings.Split(strings.TrimSpace(res.stderr+res.stdout), "\n") {
				if strings.Contains(l, "interrupted") {
					lines = append(lines, l)
				}
			}
			want := "fetchd: error: interrupted by " + strings.Fields(name)[0] + ": "
			if len(lines) != 1 || !strings.HasPrefix(lines[0], want) || !strings.Contains(lines[0], "partial downloads are kept") {
				t.Errorf("want one line %q…, got %q in\n%s", want, lines, res.stderr)
			}
			if strings.Contains(res.stdout, "images ready in") {
				t.Errorf("a full summary after a signal:\n%s", res.stdout)
			}
			if got := f.read(localDebian); !bytes.Equal(got, f.good[localDebian]) {
				t.Errorf("%s changed after %s", localDebian, name)
			}
			if n := localPartialSize(f); n < int64(g.hold) {
				t.Errorf("partial has %d bytes after %s, want the %d received kept", n, name, g.hold)
			}
			f.checkFinalPaths()
			f.checkNoProcesses()

			g.release()
			res = f.syncJSON("--update", "always")
			f.check(res, expect{code: 0, changed: []string{localDebian}})
			if im := localImages(t, res.stdout)[localDebian]; im.State != "updated" || im.Reused < int64(g.hold) {
				t.Errorf("%s: %s with %d bytes reused, want updated, resuming the %d kept", localDebian, im.State, im.Reused, g.hold)
			}
		})
	}
}

// signalTarget is fetchd's pid, as seen from here, when p is unshare
// running it as PID 1 of a new PID namespace: unshare's only child.
func signalTarget(t *testing.T, p *localProc) int {
	t.Helper()
	pid := p.cmd.Process.Pid
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "task", strconv.Itoa(pid), "children"))
	if err != nil {
		t.Fatal(err)
	}
	kids := strings.Fields(string(data))
	if len(kids) != 1 {
		t.Fatalf("unshare (pid %d) has children %q, want one", pid, kids)
	}
	status, err := os.ReadFile(filepath.Join("/proc", kids[0], "status"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(status, []byte("\nNSpid:\t"+kids[0]+"\t1\n")) {
		t.Fatalf("fetchd (pid %s) is not PID 1 of its namespace:\n%s", kids[0], status)
	}
	n, err := strconv.Atoi(kids[0])
	if err != nil {
		t.Fatal(err)
	}
	return n
}
