package lock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Layout inside the image directory.
const (
	PrivateDir = ".fetchd"
	FileName   = "lock"
)

// Path returns the lock file of the image directory dir.
func Path(dir string) string { return filepath.Join(dir, PrivateDir, FileName) }

// BusyError says another process holds the directory's lock.
type BusyError struct {
	Dir string
	PID int // the holder's pid as it wrote it; 0 if unknown
}

func (e *BusyError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("another fetchd (pid %d) is working on %s", e.PID, e.Dir)
	}
	return fmt.Sprintf("another fetchd is working on %s (it holds %s)", e.Dir, Path(e.Dir))
}

// Lock is a held directory lock.
type Lock struct {
	dir  string
	f    *os.File
	once sync.Once
	err  error
}

// Polling bounds while waiting for another holder: flock(2) cannot be
// cancelled, so Acquire retries a non-blocking flock, backing off from
// pollMin to pollMax.
const (
	pollMin = 10 * time.Millisecond
	pollMax = 500 * time.Millisecond
)

// Acquire takes an exclusive flock on <dir>/.fetchd/lock, creating dir and
// .fetchd (0755) and the lock file (0644) as needed, then writes our pid
// into the lock file.
//
// If another process holds the lock: with wait false, Acquire returns a
// *BusyError naming dir and, if it wrote one, the holder's pid. With wait
// true, it calls onWait once with the holder's pid (0 if unknown; onWait
// may be nil), so the CLI can print "waiting for another fetchd (pid N) on
// <dir>…", and retries until the lock is free or ctx is done, in which case
// the error wraps ctx.Err().
func Acquire(ctx context.Context, dir string, wait bool, onWait func(holderPID int)) (*Lock, error) {
	f, err := openLockFile(dir)
	if err != nil {
		return nil, err
	}
	delay := pollMin
	waited := false
	for {
		err := flock(f, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", f.Name(), err)
		}
		if !wait {
			pid := readPID(f)
			f.Close()
			return nil, &BusyError{Dir: dir, PID: pid}
		}
		if !waited {
			waited = true
			if onWait != nil {
				onWait(readPID(f))
			}
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("waiting for the lock on %s: %w", dir, ctx.Err())
		case <-t.C:
		}
		delay = min(delay*2, pollMax)
	}
	if err := writePID(f); err != nil {
		f.Close() // closing drops the flock
		return nil, fmt.Errorf("writing pid to %s: %w", f.Name(), err)
	}
	return &Lock{dir: dir, f: f}, nil
}

// openLockFile creates .fetchd and opens the lock file without following
// symlinks: the directory may be writable by others, and a planted symlink
// must not make us truncate some other file.
func openLockFile(dir string) (*os.File, error) {
	private := filepath.Join(dir, PrivateDir)
	if err := os.MkdirAll(private, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", private, err)
	}
	fi, err := os.Lstat(private)
	if err != nil {
		return nil, fmt.Errorf("checking %s: %w", private, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory (a symlink?); fetchd keeps its state and partial downloads there", private)
	}
	name := Path(dir)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = errors.New("not a regular file")
		}
		return nil, fmt.Errorf("lock file %s: %w", name, err)
	}
	return f, nil
}

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// readPID returns the pid the holder wrote, or 0 if there is none yet or
// it is not a number.
func readPID(f *os.File) int {
	buf := make([]byte, 32)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// Dir returns the image directory this lock is for.
func (l *Lock) Dir() string { return l.dir }

// Release drops the lock. The lock file stays, with our pid in it until the
// next holder overwrites it. Calling Release again does nothing.
func (l *Lock) Release() error {
	l.once.Do(func() {
		err := flock(l.f, unix.LOCK_UN)
		if cerr := l.f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			l.err = fmt.Errorf("releasing lock on %s: %w", l.dir, err)
		}
	})
	return l.err
}
