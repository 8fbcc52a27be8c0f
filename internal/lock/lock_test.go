package lock

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// holderEnv switches the test binary into a lock holder: it locks the
// directory named by the variable, prints "locked", and releases the lock
// and exits when its stdin is closed.
const holderEnv = "FETCHD_LOCK_TEST_HOLDER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holderEnv); dir != "" {
		os.Exit(hold(dir))
	}
	os.Exit(m.Run())
}

func hold(dir string) int {
	l, err := Acquire(context.Background(), dir, false, nil)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
	if err := l.Release(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// holder is another process holding the lock on a directory.
type holder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func startHolder(t *testing.T, dir string) *holder {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holderEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &holder{cmd: cmd, stdin: stdin}
	t.Cleanup(func() { h.release(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("lock holder said %q (%v), want \"locked\"", line, err)
	}
	return h
}

func (h *holder) pid() int { return h.cmd.Process.Pid }

// release makes the holder release the lock and exit.
func (h *holder) release() { h.stdin.Close() }

func TestAcquireSameProcess(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "images") // Acquire creates it
	l, err := Acquire(t.Context(), dir, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkPIDFile(t, dir, os.Getpid())

	// flock is per open file description, so a second open in this
	// process is refused like another process would be.
	_, err = Acquire(t.Context(), dir, false, nil)
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("second Acquire: %v, want a *BusyError", err)
	}
	if diff := cmp.Diff(&BusyError{Dir: dir, PID: os.Getpid()}, busy); diff != "" {
		t.Errorf("BusyError mismatch (-want +got):\n%s", diff)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v, want nil", err)
	}
	l2, err := Acquire(t.Context(), dir, false, nil)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release()
	fi, err := os.Stat(filepath.Join(dir, PrivateDir))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf(".fetchd: %v, %v; want a 0755 directory", fi.Mode(), err)
	}
}

func checkPIDFile(t *testing.T, dir string, want int) {
	t.Helper()
	data, err := os.ReadFile(Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(data)); got != strconv.Itoa(want) {
		t.Errorf("lock file holds %q, want pid %d", got, want)
	}
}

func TestBusyOtherProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := startHolder(t, dir)
	called := false
	_, err := Acquire(t.Context(), dir, false, func(int) { called = true })
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("Acquire: %v, want a *BusyError", err)
	}
	if diff := cmp.Diff(&BusyError{Dir: dir, PID: h.pid()}, busy); diff != "" {
		t.Errorf("BusyError mismatch (-want +got):\n%s", diff)
	}
	want := fmt.Sprintf("another fetchd (pid %d) is working on %s", h.pid(), dir)
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("message mismatch (-want +got):\n%s", diff)
	}
	if called {
		t.Error("onWait was called with wait=false")
	}
	checkPIDFile(t, dir, h.pid()) // a refused Acquire must not overwrite the pid
}

func TestWaitUntilContextDone(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := startHolder(t, dir)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	var pids []int
	_, err := Acquire(ctx, dir, true, func(pid int) { pids = append(pids, pid) })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire: %v, want the context's deadline error", err)
	}
	if diff := cmp.Diff([]int{h.pid()}, pids); diff != "" {
		t.Errorf("onWait calls mismatch (-want +got):\n%s", diff)
	}
}

func TestWaitThenAcquire(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := startHolder(t, dir)
	var pids []int
	l, err := Acquire(t.Context(), dir, true, func(pid int) {
		pids = append(pids, pid)
		h.release() // the holder lets go only once we are waiting
	})
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	defer l.Release()
	if diff := cmp.Diff([]int{h.pid()}, pids); diff != "" {
		t.Errorf("onWait calls mismatch (-want +got):\n%s", diff)
	}
	checkPIDFile(t, dir, os.Getpid())
}

// TestHolderKilled pins that the kernel drops the lock when the holder
// dies without releasing it: no stale locks.
func TestHolderKilled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := startHolder(t, dir)
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	h.cmd.Wait()
	l, err := Acquire(t.Context(), dir, false, nil)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	l.Release()
}

func TestRefusesSymlinks(t *testing.T) {
	t.Parallel()
	t.Run("lock file", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		victim := filepath.Join(t.TempDir(), "victim")
		if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, PrivateDir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(victim, Path(dir)); err != nil {
			t.Fatal(err)
		}
		if l, err := Acquire(t.Context(), dir, false, nil); err == nil {
			l.Release()
			t.Fatal("Acquire followed a symlinked lock file")
		}
		if data, _ := os.ReadFile(victim); string(data) != "precious\n" {
			t.Errorf("symlink target changed to %q", data)
		}
	})
	t.Run(".fetchd", func(t *testing.T) {
		t.Parallel()
		dir, elsewhere := t.TempDir(), t.TempDir()
		if err := os.Symlink(elsewhere, filepath.Join(dir, PrivateDir)); err != nil {
			t.Fatal(err)
		}
		if l, err := Acquire(t.Context(), dir, false, nil); err == nil {
			l.Release()
			t.Fatal("Acquire used a symlinked .fetchd")
		}
		if _, err := os.Stat(filepath.Join(elsewhere, FileName)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a lock file appeared behind the symlink: %v", err)
		}
	})
}
