package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Walk bounds: the private directory holds a few dozen entries.
const (
	maxEntries = 4096
	maxDepth   = 3
)

// walk checks every entry of the private directory (the aside area's
// contents excepted: what was moved there is kept as found and never
// read; and the run area's, which holds fetchd serve's socket). Files and directories readable by others are made 0600/0700,
// builds excepted (0444 by design).
func (s *Store) walk() error {
	for _, a := range append([]Area{Private}, areas...) {
		if a == Aside || a == Run {
			continue
		}
		if err := s.walkDir(s.fds[a], s.Path(a), a, 0); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) walkDir(d *os.File, path string, a Area, depth int) error {
	names, err := readNames(d, path)
	if err != nil {
		return err
	}
	for _, name := range names {
		if a == Private && isArea(name) {
			continue // checked when opened
		}
		p := filepath.Join(path, name)
		var st unix.Stat_t
		if err := unix.Fstatat(int(d.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			return fmt.Errorf("checking %s: %w", p, err)
		}
		want := kindFile
		if st.Mode&unix.S_IFMT == unix.S_IFDIR && a == Cache {
			want = kindDir
		}
		if problem := judge(&st, s.uid, want); problem != "" {
			return unsafeAt(p, problem)
		}
		if want == kindDir {
			if depth >= maxDepth {
				return unsafeAt(p, "is nested too deep")
			}
			sub, err := s.openDir(d, name, p, false)
			if err != nil {
				return err
			}
			err = s.walkDir(sub, p, a, depth+1)
			sub.Close()
			if err != nil {
				return err
			}
			continue
		}
		if a != Builds && a != Partial && st.Mode&0o077 != 0 {
			// Best effort: judge has made sure no one else can write it;
			// on a read-only mount it stays as it is.
			_ = tighten(d, name, p)
		}
	}
	return nil
}

func isArea(name string) bool {
	for _, a := range areas {
		if string(a) == name {
			return true
		}
	}
	return false
}

// readNames lists a directory through its descriptor, bounded.
func readNames(d *os.File, path string) ([]string, error) {
	// A duplicate descriptor has its own offset: d can be listed again.
	fd, err := unix.Openat(int(d.Fd()), ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", path, err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	names, err := f.Readdirnames(maxEntries + 1)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("listing %s: %w", path, err)
	}
	if len(names) > maxEntries {
		return nil, unsafeAt(path, fmt.Sprintf("holds more than %d entries", maxEntries))
	}
	return names, nil
}

// tighten makes a file of the private directory 0600 through a descriptor.
func tighten(d *os.File, name, path string) error {
	fd, err := unix.Openat(int(d.Fd()), name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	defer unix.Close(fd)
	if err := unix.Fchmod(fd, 0o600); err != nil {
		return fmt.Errorf("making %s private (chmod 0600): %w", path, err)
	}
	return nil
}
