package proctree

import (
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseStat(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		line string
		want proc
		ok   bool
	}{
		"plain":               {"123 (sleep) S 45 123 45 0 -1 4194304", proc{pid: 123, ppid: 45, pgid: 123, state: 'S'}, true},
		"spaces in the name":  {"7 (my prog) R 1 7 7", proc{pid: 7, ppid: 1, pgid: 7, state: 'R'}, true},
		"parens in the name":  {"8 (a) (b)) Z 2 3 3", proc{pid: 8, ppid: 2, pgid: 3, state: 'Z'}, true},
		"stopped":             {"9 (x) T 1 1 1", proc{pid: 9, ppid: 1, pgid: 1, state: 'T'}, true},
		"truncated":           {"9 (x) T 1", proc{}, false},
		"no name":             {"9 x T 1 1 1", proc{}, false},
		"not a pid":           {"x (y) S 1 1 1", proc{}, false},
		"long state":          {"9 (x) TT 1 1 1", proc{}, false},
		"empty":               {"", proc{}, false},
		"bad ppid":            {"9 (x) S one 1 1", proc{}, false},
		"nothing after paren": {"9 (x)", proc{}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok := parseStat([]byte(tc.line))
			if ok != tc.ok || got != tc.want {
				t.Errorf("parseStat(%q) = %+v, %v; want %+v, %v", tc.line, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("123 (sleep) S 45 123 45 0 -1 4194304"))
	f.Add([]byte("8 (a) (b)) Z 2 3 3"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, ok := parseStat(data)
		if !ok && p != (proc{}) {
			t.Errorf("not ok but returned %+v", p)
		}
	})
}

func TestDescendantsOrder(t *testing.T) {
	t.Parallel()
	procs := []proc{
		{pid: 1, ppid: 0}, {pid: 10, ppid: 1}, {pid: 11, ppid: 10}, {pid: 12, ppid: 11, state: 'Z'},
		{pid: 13, ppid: 12}, {pid: 20, ppid: 1}, {pid: 30, ppid: 99},
	}
	// A zombie is left out but its children (re-parented later) are not.
	if diff := cmp.Diff([]int{11, 13}, descendants(procs, 10)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestKillStopsATreeThatLeftItsSession starts a shell that starts a child in
// its group and one in a new session (setsid), and kills the shell's tree.
func TestKillStopsATreeThatLeftItsSession(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("sh", "-c", "sleep 3700 & setsid sleep 3701 & wait")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var before []int
	for range 500 {
		before, _ = Descendants(cmd.Process.Pid)
		if len(before) == 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(before) != 2 {
		t.Fatalf("descendants of the shell: %v, want two sleeps", before)
	}
	killed, err := Kill(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(killed)
	slices.Sort(before)
	if diff := cmp.Diff(before, killed); diff != "" {
		t.Errorf("killed (-want +got):\n%s", diff)
	}
	// The shell reaps its children; once it has, nothing is left.
	if err := cmd.Wait(); err != nil {
		t.Logf("shell: %v", err) // "wait" returns the killed children's status
	}
	for _, pid := range before {
		if p, ok := readProc(pid); ok && p.state != 'Z' {
			t.Errorf("pid %d still running (%c)", pid, p.state)
		}
	}
}
