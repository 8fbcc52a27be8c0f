package proctree

import (
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// maxRounds bounds the freezing loop of Kill: each round stops every
// descendant found, and a tree that keeps growing would have to fork faster
// than a round of kill(2) calls for this many rounds.
const maxRounds = 1000

// Kill stops every descendant of root (not root itself) and kills them all:
// it sends SIGSTOP to each descendant it finds, again and again until a
// round finds none that is not already stopped, so that nothing in the tree
// can fork or exit while it works; then it sends SIGKILL to all of them.
// A stopped process cannot fork, so the set converges; SIGKILL ends a
// stopped process too. It returns the pids it killed.
//
// Kill does not reap: call it from the tree's subreaper (or root's parent)
// and then Reap.
func Kill(root int) ([]int, error) {
	stopped := map[int]bool{}
	var order []int
	for round := 0; ; round++ {
		procs, err := snapshot()
		if err != nil {
			killAll(order)
			return order, err
		}
		fresh := false
		for _, pid := range descendants(procs, root) {
			if !stopped[pid] {
				stopped[pid] = true
				order = append(order, pid)
				_ = unix.Kill(pid, unix.SIGSTOP)
				fresh = true
			}
		}
		if !fresh && allStopped(procs, stopped) {
			break
		}
		if round == maxRounds {
			killAll(order)
			return order, errors.New("process tree kept changing while it was being stopped")
		}
	}
	killAll(order)
	return order, nil
}

// allStopped reports whether every process in stopped has stopped (or is
// gone): SIGSTOP takes effect asynchronously.
func allStopped(procs []proc, stopped map[int]bool) bool {
	for _, p := range procs {
		if stopped[p.pid] && p.state != 'T' && p.state != 't' && p.state != 'Z' && p.state != 'X' {
			return false
		}
	}
	return true
}

func killAll(pids []int) {
	for _, pid := range pids {
		_ = unix.Kill(pid, unix.SIGKILL)
	}
}

// ReapAll reaps every child of the calling process that has exited, and
// waits (blocking) for the rest when wait is true, until the process has no
// children left. A subreaper calls it after Kill: the killed orphans are
// its children. Only a process that owns all its children may call it (it
// would steal the exit status of a child someone else waits for).
func ReapAll(wait bool) {
	flags := unix.WNOHANG
	if wait {
		flags = 0
	}
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, flags, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
	}
}

// SetSubreaper makes the calling process a child subreaper
// (PR_SET_CHILD_SUBREAPER): orphaned descendants are re-parented to it
// instead of to init, so they stay in its tree.
func SetSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return os.NewSyscallError("prctl(PR_SET_CHILD_SUBREAPER)", err)
	}
	return nil
}

// ReapFor reaps the calling process's exited children until it has none
// left or d has passed. Like ReapAll, only for a process that owns all its
// children.
func ReapFor(d time.Duration) {
	deadline := time.Now().Add(d)
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		switch {
		case errors.Is(err, syscall.EINTR) || pid > 0:
			continue
		case err != nil:
			return // ECHILD
		case time.Now().After(deadline):
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
