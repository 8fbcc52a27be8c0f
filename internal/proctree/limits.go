package proctree

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Limits are resource limits for a process and everything it starts. Zero
// fields are left as they are.
type Limits struct {
	// Memory caps the process's data segment (RLIMIT_DATA: the heap and
	// every private writable mapping), in bytes. Unlike an address-space
	// limit it does not count the address space Go and other runtimes
	// reserve without using, so it works for Go plugins.
	Memory int64
	// CPU caps the CPU time the process may use over its life (RLIMIT_CPU):
	// at the limit it gets SIGXCPU, five seconds later SIGKILL.
	CPU time.Duration
}

// Apply sets the limits on the calling process; processes it starts
// afterwards inherit them. Core dumps are switched off as well: a plugin's
// memory is nobody's business.
func (l Limits) Apply() error {
	set := func(what string, res int, cur, max uint64) error {
		if err := unix.Setrlimit(res, &unix.Rlimit{Cur: cur, Max: max}); err != nil {
			return os.NewSyscallError(fmt.Sprintf("setrlimit(%s)", what), err)
		}
		return nil
	}
	if err := set("RLIMIT_CORE", unix.RLIMIT_CORE, 0, 0); err != nil {
		return err
	}
	if l.Memory > 0 {
		if err := set("RLIMIT_DATA", unix.RLIMIT_DATA, uint64(l.Memory), uint64(l.Memory)); err != nil {
			return err
		}
	}
	if l.CPU > 0 {
		secs := uint64((l.CPU + time.Second - 1) / time.Second)
		if err := set("RLIMIT_CPU", unix.RLIMIT_CPU, secs, secs+5); err != nil {
			return err
		}
	}
	return nil
}
