package qemuimg

import (
	"fmt"
	"strings"
	"time"
)

// InstallHint says how to get qemu-img on the Debian family.
const InstallHint = "install qemu-utils (apt-get install qemu-utils)"

// NotInstalledError reports that the qemu-img binary cannot be found or
// run.
type NotInstalledError struct {
	// Name is the binary looked for: Runner.Path or "qemu-img".
	Name string
	Err  error
}

func (e *NotInstalledError) Error() string {
	return fmt.Sprintf("qemu-img not found (%v): %s", e.Err, InstallHint)
}

func (e *NotInstalledError) Unwrap() error { return e.Err }

// CommandError reports a qemu-img run that failed: a non-zero exit code
// the caller does not accept, a signal, a timeout or too much output.
type CommandError struct {
	// Args is the qemu-img command line (binary first), without the
	// prlimit wrapper.
	Args []string
	// ExitCode is the exit status, or -1 when the process was killed by a
	// signal or did not run to the end.
	ExitCode int
	// Signal names the signal that ended the process, if any (SIGKILL
	// after a timeout, SIGXCPU or SIGKILL at the CPU limit).
	Signal string
	// TimedOut is true when the Runner's timeout (or the caller's
	// deadline) stopped the process. Timeout is the Runner's timeout when
	// that is what fired, else 0.
	TimedOut bool
	Timeout  time.Duration
	// Stderr is what qemu-img printed on stderr, trimmed and bounded.
	Stderr string
	// Reason says what went wrong when the exit code alone does not
	// (e.g. "stdout larger than 1048576 bytes").
	Reason string
	Err    error
}

func (e *CommandError) Error() string {
	var b strings.Builder
	b.WriteString(strings.Join(e.Args, " "))
	b.WriteString(": ")
	switch {
	case e.TimedOut && e.Timeout > 0:
		fmt.Fprintf(&b, "timed out after %s (process group killed)", e.Timeout)
	case e.TimedOut:
		b.WriteString("timed out (process group killed)")
	case e.Signal != "":
		fmt.Fprintf(&b, "killed by %s", e.Signal)
		switch e.Signal {
		case "SIGXCPU":
			b.WriteString(" (cpu time limit reached)")
		case "SIGABRT", "SIGSEGV", "SIGBUS":
			b.WriteString(" (possibly out of memory under the address-space limit)")
		}
	case e.ExitCode >= 0:
		fmt.Fprintf(&b, "exit code %d", e.ExitCode)
	default:
		fmt.Fprintf(&b, "%v", e.Err)
	}
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	if e.Stderr != "" {
		b.WriteString(": " + e.Stderr)
	}
	return b.String()
}

func (e *CommandError) Unwrap() error { return e.Err }

// RefusedError reports an image that qemu-img could read and that fetchd
// refuses.
type RefusedError struct {
	Path string
	// Op is the qemu-img subcommand that found the problem: "info" or
	// "check".
	Op     string
	Reason string
	// Err is the failed command for a refusal read from an exit code
	// (check found corruptions), else nil.
	Err error
}

func (e *RefusedError) Error() string {
	msg := fmt.Sprintf("%s: qemu-img %s: %s", e.Path, e.Op, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *RefusedError) Unwrap() error { return e.Err }
