package lock

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Holder is who holds a lock, as far as fetchd can tell.
type Holder struct {
	// PID is the process the kernel says holds the lock (from
	// /proc/locks); 0 when it cannot be told (another pid namespace).
	PID int
	// Command is that process's name (/proc/<pid>/comm).
	Command string
	// Recorded is the pid the last fetchd to take the lock wrote into the
	// lock file; it may be stale when something else holds the lock.
	Recorded int
}

// String names the holder for messages: "another fetchd (pid 123)", or
// "pid 456 (flock)" for anything else.
func (h Holder) String() string {
	switch {
	case h.PID > 0 && h.Command == "fetchd":
		return fmt.Sprintf("another fetchd (pid %d)", h.PID)
	case h.PID > 0 && h.Command != "":
		return fmt.Sprintf("pid %d (%s)", h.PID, h.Command)
	case h.PID > 0:
		return fmt.Sprintf("pid %d", h.PID)
	case h.Recorded > 0:
		return fmt.Sprintf("another process (the lock file names pid %d, which may be stale)", h.Recorded)
	}
	return "another process"
}

// holderOf finds who holds the flock on f.
func holderOf(f *os.File) Holder {
	h := Holder{Recorded: recordedPID(f)}
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil {
		return h
	}
	data, err := os.ReadFile("/proc/locks")
	if err != nil {
		return h
	}
	h.PID = flockHolder(data, unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
	if h.PID > 0 {
		if comm, err := os.ReadFile("/proc/" + strconv.Itoa(h.PID) + "/comm"); err == nil {
			h.Command = strings.TrimSpace(string(comm))
		}
	}
	return h
}

// flockHolder parses /proc/locks and returns the pid holding a FLOCK on
// the file major:minor:inode, or 0. Lines look like
//
//	3: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF
//	3: -> FLOCK  ADVISORY  WRITE 999 fd:01:5678 0 EOF   (a waiter)
//
// with the device numbers in hex.
func flockHolder(data []byte, major, minor uint32, ino uint64) int {
	want := fmt.Sprintf("%02x:%02x:%d", major, minor, ino)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[1] == "->" || f[1] != "FLOCK" || f[5] != want {
			continue
		}
		if pid, err := strconv.Atoi(f[4]); err == nil && pid > 0 {
			return pid
		}
	}
	return 0
}
