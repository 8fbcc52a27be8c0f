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

// holderEnv switches the test binary into a lock holder: it locks the file
// named by the variable, prints "locked", and releases the lock and exits
// when its stdin is closed.
const holderEnv = "FETCHD_LOCK_TEST_HOLDER_FILE"

func TestMain(m *testing.M) {
	if path := os.Getenv(holderEnv); path != "" {
		os.Exit(hold(path))
	}
	os.Exit(m.Run())
}

func openLock(t testing.TB, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func hold(path string) int {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	l, err := Acquire(context.Background(), f, "dir", Options{})
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

// holder is another process holding the lock.
type holder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func startHolder(t *testing.T, path string) *holder {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holderEnv+"="+path)
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

// self is how this test binary is named in /proc/<pid>/comm.
func self() string {
	b, _ := os.ReadFile("/proc/self/comm")
	return strings.TrimSpace(string(b))
}

func TestAcquireSameProcess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "lock")
	l, err := Acquire(t.Context(), openLock(t, path), "dir", Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkPIDFile(t, path, os.Getpid())

	// flock is per open file description, so a second open in this
	// process is refused like another process would be.
	_, err = Acquire(t.Context(), openLock(t, path), "dir", Options{})
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("second Acquire: %v, want a *BusyError", err)
	}
	want := &BusyError{Dir: "dir", Holder: Holder{PID: os.Getpid(), Command: self(), Recorded: os.Getpid()}}
	if diff := cmp.Diff(want, busy); diff != "" {
		t.Errorf("BusyError mismatch (-want +got):\n%s", diff)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v, want nil", err)
	}
	l2, err := Acquire(t.Context(), openLock(t, path), "dir", Options{})
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release()
}

func checkPIDFile(t *testing.T, path string, want int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(data)); got != strconv.Itoa(want) {
		t.Errorf("lock file holds %q, want pid %d", got, want)
	}
}

// Another process holds the lock and the file names a stale pid: the
// error names the real holder, from the kernel's table.
func TestBusyNamesRealHolder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "lock")
	h := startHolder(t, path)
	if err := os.WriteFile(path, []byte("999999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	called := false
	_, err := Acquire(t.Context(), openLock(t, path), "/images", Options{OnWait: func(Holder) { called = true }})
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("Acquire: %v, want a *BusyError", err)
	}
	want := &BusyError{Dir: "/images", Holder: Holder{PID: h.pid(), Command: self(), Recorded: 999999}}
	if diff := cmp.Diff(want, busy); diff != "" {
		t.Errorf("BusyError mismatch (-want +got):\n%s", diff)
	}
	if msg := fmt.Sprintf("pid %d (%s) is working on /images", h.pid(), self()); err.Error() != msg {
		t.Errorf("message %q, want %q", err, msg)
	}
	if called {
		t.Error("OnWait was called without Wait")
	}
}

func TestWaitTimeout(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "lock")
	h := startHolder(t, path)
	var seen []Holder
	_, err := Acquire(t.Context(), openLock(t, path), "/images", Options{Wait: true, Timeout: 50 * time.Millisecond, OnWait: func(h Holder) { seen = append(seen, h) }})
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Waited != 50*time.Millisecond || busy.Holder.PID != h.pid() {
		t.Fatalf("Acquire: %v, want a *BusyError after waiting 50ms for pid %d", err, h.pid())
	}
	if !strings.HasPrefix(err.Error(), "gave up after 50ms waiting for pid ") {
		t.Errorf("message %q", err)
	}
	if len(seen) != 1 || seen[0].PID != h.pid() {
		t.Errorf("OnWait calls %+v, want one naming pid %d", seen, h.pid())
	}
}

func TestWaitUntilContextDone(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "lock")
	startHolder(t, path)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := Acquire(ctx, openLock(t, path), "dir", Options{Wait: true})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire: %v, want the context's deadline error", err)
	}
}

func TestWaitThenAcquire(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "lock")
	h := startHolder(t, path)
	var pids []int
	l, err := Acquire(t.Context(), openLock(t, path), "dir", Options{Wait: true, OnWait: func(who Holder) {
		pids = append(pids, who.PID)
		h.release() // the holder lets go only once we are waiting
	}})
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	defer l.Release()
	if diff := cmp.Diff([]int{h.pid()}, pids); diff != "" {
		t.Errorf("OnWait calls mismatch (-want +got):\n%s", diff)
	}
	checkPIDFile(t, path, os.Getpid())
}

// TestHolderKilled pins that the kernel drops the lock when the holder
// dies without releasing it: no stale locks.
func TestHolderKilled(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "lock")
	h := startHolder(t, path)
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	h.cmd.Wait()
	l, err := Acquire(t.Context(), openLock(t, path), "dir", Options{})
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	l.Release()
}

func TestFlockHolder(t *testing.T) {
	t.Parallel()
	table := `1: POSIX  ADVISORY  WRITE 77 fd:01:5678 0 EOF
2: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF
2: -> FLOCK  ADVISORY  WRITE 999 fd:01:5678 0 EOF
3: FLOCK  ADVISORY  WRITE 4321 fd:01:56789 0 EOF
4: OFDLCK ADVISORY  READ  -1 00:2d:5678 100 101
`
	tests := map[string]struct {
		major, minor uint32
		ino          uint64
		want         int
	}{
		"holder":            {0xfd, 1, 5678, 1234},
		"other inode":       {0xfd, 1, 56789, 4321},
		"no such file":      {0xfd, 2, 5678, 0},
		"only an ofd lock":  {0, 0x2d, 5678, 0},
		"inode prefix only": {0xfd, 1, 567, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := flockHolder([]byte(table), tc.major, tc.minor, tc.ino); got != tc.want {
				t.Errorf("flockHolder = %d, want %d", got, tc.want)
			}
		})
	}
}

func FuzzFlockHolder(f *testing.F) {
	f.Add([]byte("2: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF\n"))
	f.Add([]byte("2: -> FLOCK\n\n: : :"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if pid := flockHolder(data, 0xfd, 1, 5678); pid < 0 {
			t.Fatalf("negative pid %d", pid)
		}
	})
}

func TestHolderString(t *testing.T) {
	t.Parallel()
	tests := map[Holder]string{
		{PID: 5, Command: "fetchd", Recorded: 5}: "another fetchd (pid 5)",
		{PID: 6, Command: "flock", Recorded: 5}:  "pid 6 (flock)",
		{PID: 6}:                                 "pid 6",
		{Recorded: 5}:                            "another process (the lock file names pid 5, which may be stale)",
		{}:                                       "another process",
	}
	for h, want := range tests {
		if got := h.String(); got != want {
			t.Errorf("%+v: %q, want %q", h, got, want)
		}
	}
}
