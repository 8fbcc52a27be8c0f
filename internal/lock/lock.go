package lock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Options say how Acquire waits for another holder.
type Options struct {
	// Wait makes Acquire wait for the lock rather than fail at once.
	Wait bool
	// Timeout bounds the wait (0: until ctx is done).
	Timeout time.Duration
	// OnWait, if not nil, is called once when Acquire starts waiting, so
	// the CLI can say whom it waits for.
	OnWait func(Holder)
}

// BusyError says another process holds the directory's lock.
type BusyError struct {
	Dir    string
	Holder Holder
	// Waited is how long Acquire waited before giving up (0: it did not
	// wait).
	Waited time.Duration
}

func (e *BusyError) Error() string {
	if e.Waited > 0 {
		return fmt.Sprintf("gave up after %s waiting for %s to finish with %s", e.Waited, e.Holder, e.Dir)
	}
	return fmt.Sprintf("%s is working on %s", e.Holder, e.Dir)
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

// Acquire takes an exclusive flock on f, the directory's lock file (dir
// names the directory in messages), and writes our pid into it. Acquire
// owns f from then on: Release (or a failed Acquire) closes it.
//
// If another process holds the lock: without opts.Wait, Acquire returns a
// *BusyError naming the holder. With it, Acquire calls opts.OnWait once
// and retries until the lock is free, opts.Timeout has passed (a
// *BusyError with Waited set) or ctx is done (an error wrapping ctx.Err()).
func Acquire(ctx context.Context, f *os.File, dir string, opts Options) (*Lock, error) {
	start := time.Now()
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
		if !opts.Wait {
			h := holderOf(f)
			f.Close()
			return nil, &BusyError{Dir: dir, Holder: h}
		}
		if opts.Timeout > 0 && time.Since(start) >= opts.Timeout {
			h := holderOf(f)
			f.Close()
			return nil, &BusyError{Dir: dir, Holder: h, Waited: opts.Timeout}
		}
		if !waited {
			waited = true
			if opts.OnWait != nil {
				opts.OnWait(holderOf(f))
			}
		}
		wait := delay
		if opts.Timeout > 0 {
			wait = min(wait, max(time.Millisecond, opts.Timeout-time.Since(start)))
		}
		t := time.NewTimer(wait)
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

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// recordedPID returns the pid the last holder wrote, or 0.
func recordedPID(f *os.File) int {
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
