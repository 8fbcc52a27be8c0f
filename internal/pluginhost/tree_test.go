package pluginhost

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sandlabx/fetchd/internal/proctree"
)

// launcher is the test binary acting as fetchd's plugin launcher (see
// TestMain).
func launcher(t *testing.T) []string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return []string{self, "__launch"}
}

// treeToken returns a fresh marker for the environment of one test's plugin
// processes, and that environment.
func treeToken(t *testing.T) (string, []string) {
	t.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	tok := "FAKE_TREE_TOKEN=" + hex.EncodeToString(b)
	return tok, append(PluginEnv(os.Getenv), tok)
}

// withToken lists the living processes whose environment holds tok.
func withToken(tok string) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		env, err := os.ReadFile(filepath.Join(p, "environ"))
		if err != nil || !bytes.Contains(env, []byte(tok+"\x00")) {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join(p, "stat"))
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		out = append(out, filepath.Base(p)+": "+strings.ReplaceAll(string(bytes.TrimRight(cmd, "\x00")), "\x00", " "))
	}
	return out
}

// waitForSleepers waits (a bounded number of times) until the forker's
// three sleeping children are all running.
func waitForSleepers(t *testing.T, tok string) {
	t.Helper()
	for range 500 {
		n := 0
		for _, p := range withToken(tok) {
			if strings.Contains(p, "sleep 360") {
				n++
			}
		}
		if n == 3 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the forker's three children did not all start: %v", withToken(tok))
}

func TestStoppingAPluginStopsItsWholeTree(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		launched bool
		// orphans: whether the daemon that left the plugin's session is
		// caught too; without the launcher it is re-parented out of reach.
		orphans bool
	}{
		"through the launcher": {launched: true, orphans: true},
		"started directly":     {launched: false, orphans: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tok, env := treeToken(t)
			opts := Options{Env: env}
			if tc.launched {
				opts.Launcher = launcher(t)
			}
			h := newHost(t, opts)
			p, err := startOne(t, h, "forker")
			if err != nil {
				t.Fatal(err)
			}
			waitForSleepers(t, tok)
			h.Close() // returns although a child holds the plugin's stderr
			if !p.Exited() {
				t.Error("the plugin is still running after Close")
			}
			var left []string
			for _, l := range withToken(tok) {
				if !tc.orphans && strings.Contains(l, "sleep 3602") {
					_ = killPid(l) // the test's own cleanup
					continue
				}
				left = append(left, l)
			}
			if len(left) > 0 {
				t.Errorf("left running after Close: %v", left)
			}
		})
	}
}

func killPid(line string) error {
	var pid int
	if _, err := fmt.Sscan(strings.SplitN(line, ":", 2)[0], &pid); err != nil {
		return err
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

func TestAPluginThatExitsTakesItsTreeWithIt(t *testing.T) {
	t.Parallel()
	tok, env := treeToken(t)
	h := newHost(t, Options{Env: env, Launcher: launcher(t)})
	p, err := startOne(t, h, "forker")
	if err != nil {
		t.Fatal(err)
	}
	waitForSleepers(t, tok)
	// The plugin process itself (the launcher's child) dies on its own.
	for _, l := range withToken(tok) {
		if strings.Contains(l, FilePrefix+"forker") && !strings.Contains(l, "__launch") {
			if err := killPid(l); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 0; !p.Exited(); i++ {
		if i == 500 {
			t.Fatalf("the launcher did not exit after its plugin died; running: %v", withToken(tok))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if left := withToken(tok); len(left) > 0 {
		t.Errorf("left running after the plugin died: %v", left)
	}
}

func TestPluginsRunUnderLimits(t *testing.T) {
	t.Parallel()
	if raceEnabled {
		t.Skip("ThreadSanitizer needs more memory than the 256 MiB limit under test")
	}
	limits := proctree.Limits{Memory: 256 << 20, CPU: 30 * time.Second}
	h := newHost(t, Options{Launcher: launcher(t), Limits: limits})

	p, err := startOne(t, h, "limits")
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Resolve(t.Context(), Request{Arch: "amd64"})
	if want := fmt.Sprintf("limits: data=%d cpu=30 core=0", 256<<20); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Resolve: %v, want the plugin to report %q", err, want)
	}

	hog, err := startOne(t, h, "hog")
	if err != nil {
		t.Fatal(err)
	}
	_, err = hog.Resolve(t.Context(), Request{Arch: "amd64"})
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != Crashed || !strings.Contains(pe.Stderr, "out of memory") {
		t.Errorf("a plugin allocating 2 GiB under a 256 MiB limit: %v; want it to die of it", err)
	}
}

func TestKeysPerRelease(t *testing.T) {
	t.Parallel()
	h := newHost(t, Options{})
	p, err := startOne(t, h, "keys")
	if err != nil {
		t.Fatal(err)
	}
	perRelease := map[string][][]byte{"1.0": {[]byte("one-a"), []byte("one-b")}, "2.0": {[]byte("two")}}
	tests := map[string]struct {
		req  Request
		want string
	}{
		"list: every release":        {Request{Release: "2.0", TrustedKeys: [][]byte{[]byte("all")}}, "release 2.0 got keys [all]"},
		"map: the release's own":     {Request{Release: "stable", ReleaseKeys: perRelease}, "release 1.0 got keys [one-a one-b]"},
		"map: another release's":     {Request{Release: "2.0", ReleaseKeys: perRelease}, "release 2.0 got keys [two]"},
		"map: a release not listed":  {Request{Release: "1.0", ReleaseKeys: map[string][][]byte{"2.0": {[]byte("two")}}}, "release 1.0 got keys []"},
		"map: an alias as a key":     {Request{Release: "1.0", KeysWhere: "fetchd.yaml:3: sources.keys.keys", ReleaseKeys: map[string][][]byte{"stable": {[]byte("x")}}}, `fetchd.yaml:3: sources.keys.keys: "stable" is an alias of release 1.0: key each release by its canonical name`},
		"map: a release that is not": {Request{Release: "1.0", KeysWhere: "fetchd.yaml:3: sources.keys.keys", ReleaseKeys: map[string][][]byte{"3.0": {[]byte("x")}}}, `fetchd.yaml:3: sources.keys.keys: release "3.0" is not offered by keys`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tc.req.Arch = "amd64"
			_, err := p.Resolve(t.Context(), tc.req)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Resolve: %v, want %q", err, tc.want)
			}
		})
	}
}
