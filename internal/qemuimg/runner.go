package qemuimg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Defaults for a zero Runner, as OpenStack runs qemu-img on untrusted
// images (CVE-2015-5162).
const (
	DefaultTimeout      = 60 * time.Second
	DefaultCPUSeconds   = 30
	DefaultAddressSpace = 1 << 30
)

// Output bounds: qemu-img's JSON is a few KiB; anything bigger is refused.
const (
	MaxStdout = 1 << 20
	MaxStderr = 64 << 10
)

// waitDelay bounds how long Wait waits for the output pipes after the
// process is gone or killed.
const waitDelay = 5 * time.Second

// childEnv is the whole environment qemu-img gets.
var childEnv = []string{"PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin", "LC_ALL=C"}

// Runner runs qemu-img under limits. The zero value is ready to use.
type Runner struct {
	// Path is the qemu-img binary; "" looks up "qemu-img" on PATH.
	Path string
	// Timeout bounds each run (wall clock); 0 means DefaultTimeout.
	Timeout time.Duration
	// CPUSeconds is RLIMIT_CPU; 0 means DefaultCPUSeconds.
	CPUSeconds int
	// AddressSpace is RLIMIT_AS in bytes; 0 means DefaultAddressSpace.
	AddressSpace uint64

	// noPrlimitTool makes run apply the limits with prlimit(2) even when
	// prlimit(1) is on PATH (tests of the fallback).
	noPrlimitTool bool
}

// fdArg is the image argument when the image is passed as descriptor 3:
// opening it reopens exactly that inode.
const fdArg = "/proc/self/fd/3"

// image is the file a run is about: arg is what qemu-img is given, name
// what messages call it, f the open file passed as descriptor 3 (or nil).
type image struct {
	arg, name string
	f         *os.File
}

// result is one finished run: exit code 0 or not.
type result struct {
	args     []string
	stdout   []byte
	stderr   string
	exitCode int
}

func (r *Runner) timeout() time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return DefaultTimeout
}

func (r *Runner) cpuSeconds() int {
	if r.CPUSeconds > 0 {
		return r.CPUSeconds
	}
	return DefaultCPUSeconds
}

func (r *Runner) addressSpace() uint64 {
	if r.AddressSpace > 0 {
		return r.AddressSpace
	}
	return DefaultAddressSpace
}

func (r *Runner) binary() (string, error) {
	name := r.Path
	if name == "" {
		name = "qemu-img"
	}
	p, err := exec.LookPath(name)
	if err == nil {
		p, err = filepath.Abs(p)
	}
	if err != nil {
		return "", &NotInstalledError{Name: name, Err: err}
	}
	return p, nil
}

// run runs qemu-img with args under the limits. It returns a result for
// any exit code; the error is for a run that did not end by itself (could
// not start, timeout, signal) or printed too much.
func (r *Runner) run(ctx context.Context, img image, args ...string) (*result, error) {
	bin, err := r.binary()
	if err != nil {
		return nil, err
	}
	argv := append([]string{bin}, args...)
	shown := argv
	if img.f != nil {
		shown = slices.Clone(argv)
		for i, a := range shown {
			if a == img.arg {
				shown[i] = img.name
			}
		}
	}
	res := &result{args: shown, exitCode: -1}
	timeout := r.timeout()
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	cmdArgs := argv
	prlimitTool := ""
	if !r.noPrlimitTool {
		if p, err := exec.LookPath("prlimit"); err == nil {
			prlimitTool = p
			cmdArgs = append([]string{p,
				"--as=" + strconv.FormatUint(r.addressSpace(), 10),
				"--cpu=" + strconv.Itoa(r.cpuSeconds()),
				"--"}, argv...)
		}
	}
	cmd := exec.CommandContext(tctx, cmdArgs[0], cmdArgs[1:]...)
	cmd.Env = childEnv
	cmd.Dir = "/"
	stdout := &boundedBuffer{max: MaxStdout}
	stderr := &boundedBuffer{max: MaxStderr}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if img.f != nil {
		cmd.ExtraFiles = []*os.File{img.f} // descriptor 3 in the child
	}
	// Its own process group, so a timeout kills whatever it started too;
	// SIGKILL if fetchd dies first. (Pdeathsig follows the OS thread that
	// forked: Go keeps that thread alive unless a goroutine locked to it
	// exits, which fetchd does not do; the timeout is the backstop.)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error {
		// The group id is the child's pid (Setpgid with Pgid 0).
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = waitDelay

	if err := cmd.Start(); err != nil {
		cmdErr := &CommandError{Args: shown, ExitCode: -1, Err: err}
		if prlimitTool == "" && (errors.Is(err, exec.ErrNotFound) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EACCES)) {
			return nil, &NotInstalledError{Name: bin, Err: err}
		}
		return nil, cmdErr
	}
	if prlimitTool == "" {
		// prlimit(1) is missing: set the limits on the running child.
		// Between fork and this call qemu-img runs without them; it
		// cannot have done much (it is still loading), and the timeout
		// covers it either way.
		if err := r.limit(cmd.Process.Pid); err != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Wait()
			return nil, &CommandError{Args: shown, ExitCode: -1, Reason: "could not apply resource limits", Err: err}
		}
	}
	waitErr := cmd.Wait()
	res.stdout = stdout.Bytes()
	res.stderr = trimStderr(stderr)
	if img.f != nil {
		res.stderr = strings.ReplaceAll(res.stderr, img.arg, img.name)
	}
	var status syscall.WaitStatus
	if cmd.ProcessState != nil {
		status, _ = cmd.ProcessState.Sys().(syscall.WaitStatus)
		if status.Exited() {
			res.exitCode = status.ExitStatus()
		}
	}
	cmdErr := &CommandError{Args: shown, ExitCode: res.exitCode, Stderr: res.stderr, Err: waitErr}
	if ctxErr := tctx.Err(); ctxErr != nil {
		cmdErr.ExitCode = -1
		cmdErr.Err = ctxErr
		switch {
		case ctx.Err() != nil && errors.Is(ctxErr, context.DeadlineExceeded):
			cmdErr.TimedOut = true
			cmdErr.Reason = "the caller's deadline passed"
		case ctx.Err() != nil:
			cmdErr.Reason = "canceled"
		default:
			cmdErr.TimedOut, cmdErr.Timeout = true, timeout
		}
		return nil, cmdErr
	}
	if cmd.ProcessState != nil && status.Signaled() {
		cmdErr.Signal = unix.SignalName(status.Signal())
		if cmdErr.Signal == "" {
			cmdErr.Signal = status.Signal().String()
		}
		return nil, cmdErr
	}
	if stdout.truncated {
		cmdErr.Reason = fmt.Sprintf("stdout larger than %d bytes", MaxStdout)
		return nil, cmdErr
	}
	if res.exitCode < 0 {
		// Not exited, not signaled, not timed out: a Wait error such as
		// WaitDelay expiring on a held pipe.
		return nil, cmdErr
	}
	return res, nil
}

// limit applies RLIMIT_AS and RLIMIT_CPU to pid with prlimit(2).
func (r *Runner) limit(pid int) error {
	as := r.addressSpace()
	if err := unix.Prlimit(pid, unix.RLIMIT_AS, &unix.Rlimit{Cur: as, Max: as}, nil); err != nil {
		return fmt.Errorf("prlimit RLIMIT_AS on pid %d: %w", pid, err)
	}
	cpu := uint64(r.cpuSeconds())
	if err := unix.Prlimit(pid, unix.RLIMIT_CPU, &unix.Rlimit{Cur: cpu, Max: cpu}, nil); err != nil {
		return fmt.Errorf("prlimit RLIMIT_CPU on pid %d: %w", pid, err)
	}
	return nil
}

func trimStderr(b *boundedBuffer) string {
	s := strings.TrimSpace(string(b.Bytes()))
	if b.truncated {
		s += fmt.Sprintf(" [stderr truncated at %d bytes]", b.max)
	}
	return s
}

// absImage returns the absolute form of an image path for qemu-img.
func absImage(path string) (string, error) {
	if path == "" {
		return "", errors.New("empty image path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("absolute path of %s: %w", path, err)
	}
	return abs, nil
}

// checkFormat allows the formats fetchd installs.
func checkFormat(format string) error {
	switch format {
	case "qcow2", "raw":
		return nil
	}
	return fmt.Errorf("image format %q: want qcow2 or raw", format)
}
