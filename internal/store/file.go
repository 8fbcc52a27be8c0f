package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// openIn opens name in area a without following a symlink; flags are
// added to O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK (which keeps a FIFO from
// blocking the open), and the result must be a regular file.
func (s *Store) openIn(a Area, name string, flags int, perm uint32) (*os.File, error) {
	path := s.Path(a, name)
	fd, err := unix.Openat(s.fd(a), name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, perm)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, unsafeAt(path, "is a symbolic link")
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if p := judge(&st, s.uid, kindFile); p != "" {
		f.Close()
		return nil, unsafeAt(path, p)
	}
	return f, nil
}

// Open opens a file of the private directory for reading.
func (s *Store) Open(a Area, name string) (*os.File, error) {
	return s.openIn(a, name, unix.O_RDONLY, 0)
}

// ReadFile reads a file of the private directory, at most max bytes; a
// missing file is an error wrapping os.ErrNotExist.
func (s *Store) ReadFile(a Area, name string, max int64) ([]byte, error) {
	f, err := s.Open(a, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", f.Name(), err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", f.Name(), max)
	}
	return data, nil
}

// WriteFile replaces a file of the private directory with data, mode
// 0600, atomically: a new file written, fsynced and renamed over the old
// one, then the directory fsynced. A failure leaves the old file as it
// was.
func (s *Store) WriteFile(a Area, name string, data []byte) error {
	tmp := "." + name + ".tmp-" + randomSuffix()
	f, err := s.openIn(a, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			f.Close()
			_ = unix.Unlinkat(s.fd(a), tmp, 0)
		}
	}()
	path := s.Path(a, name)
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("writing %s: fsync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := unix.Renameat(s.fd(a), tmp, s.fd(a), name); err != nil {
		return fmt.Errorf("writing %s: rename: %w", path, err)
	}
	committed = true
	return s.syncArea(a)
}

// Remove deletes a file of the private directory (not an error if it is
// gone already).
func (s *Store) Remove(a Area, name string) error {
	if err := unix.Unlinkat(s.fd(a), name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return &os.PathError{Op: "remove", Path: s.Path(a, name), Err: err}
	}
	return nil
}

// Entry is a file of an area, as listed.
type Entry struct {
	Name string
	Stat unix.Stat_t
}

// List returns the entries of an area (bounded; not recursive).
func (s *Store) List(a Area) ([]Entry, error) {
	names, err := readNames(s.fds[a], s.Path(a))
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(names))
	for _, n := range names {
		e := Entry{Name: n}
		if err := unix.Fstatat(s.fd(a), n, &e.Stat, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// ProcPath is a path to area a (and name in it) that the kernel resolves
// through the descriptor fetchd holds, for code that takes paths. Use
// Display on what such code reports.
func (s *Store) ProcPath(a Area, name ...string) string {
	p := fdPath(s.fds[a])
	for _, n := range name {
		p += "/" + n
	}
	return p
}

func (s *Store) syncArea(a Area) error {
	if err := s.fds[a].Sync(); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("syncing %s: %w", s.Path(a), err)
	}
	return nil
}

func (s *Store) syncImageDir() error {
	if err := s.img.Sync(); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("syncing %s: %w", s.dir, err)
	}
	return nil
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ListSub returns the entries of the directory sub of an area (the cache's
// metadata directory), opened without following a symbolic link; a
// missing one has none.
func (s *Store) ListSub(a Area, sub string) ([]Entry, error) {
	d, err := s.openDir(s.fds[a], sub, s.Path(a, sub), false)
	if errors.Is(err, ErrNoStore) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := readNames(d, s.Path(a, sub))
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(names))
	for _, n := range names {
		e := Entry{Name: n}
		if err := unix.Fstatat(int(d.Fd()), n, &e.Stat, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// RemoveSub deletes a file of the directory sub of an area (not an error
// if it is gone already).
func (s *Store) RemoveSub(a Area, sub, name string) error {
	d, err := s.openDir(s.fds[a], sub, s.Path(a, sub), false)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Unlinkat(int(d.Fd()), name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return &os.PathError{Op: "remove", Path: s.Path(a, sub, name), Err: err}
	}
	return nil
}
