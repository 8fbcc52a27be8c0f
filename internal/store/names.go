package store

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sandlabx/fetchd/internal/state"
)

// NameKind is what is at a name in the image directory.
type NameKind int

// The kinds of thing a name can hold.
const (
	NameMissing NameKind = iota
	NameFile             // a regular file
	NameSymlink
	NameDir
	NameSpecial // a FIFO, socket or device
)

// Name is what stands at a name of the image directory, seen by lstat.
type Name struct {
	Kind  NameKind
	Stamp state.Stamp
	Nlink uint64
}

// StatName looks at a name without opening or following it.
func (s *Store) StatName(name string) (Name, error) {
	var st unix.Stat_t
	err := unix.Fstatat(int(s.img.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return Name{Kind: NameMissing}, nil
	}
	if err != nil {
		return Name{}, &os.PathError{Op: "stat", Path: s.NamePath(name), Err: err}
	}
	n := Name{Stamp: StampOf(&st), Nlink: uint64(st.Nlink)}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		n.Kind = NameFile
	case unix.S_IFLNK:
		n.Kind = NameSymlink
	case unix.S_IFDIR:
		n.Kind = NameDir
	default:
		n.Kind = NameSpecial
	}
	return n, nil
}

// OpenName opens the regular file at a name for reading, without
// following a symlink.
func (s *Store) OpenName(name string) (*os.File, error) {
	path := s.NamePath(name)
	fd, err := unix.Openat(int(s.img.Fd()), name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		f.Close()
		if err == nil {
			err = errors.New("not a regular file")
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return f, nil
}

// LinkName points name at the build file: a new hard link to the build
// is made in the private directory, then exchanged with whatever is at the
// name in one atomic step (renameat2 RENAME_EXCHANGE), so a reader of the
// name sees the old file or the build, never nothing, and nothing that was
// there is lost: what the exchange brought back is dropped only when it
// is another link to a build; anything else (a user's file, a symlink,
// something an attacker put there a moment before) is moved to the aside
// area, and Aside in the result says where.
func (s *Store) LinkName(name, buildFile string) (aside string, err error) {
	tmp := ".link-" + randomSuffix()
	if err := unix.Linkat(s.fd(Builds), buildFile, s.fd(Private), tmp, 0); err != nil {
		return "", fmt.Errorf("linking %s to %s: %w", s.NamePath(name), s.Path(Builds, buildFile), err)
	}
	defer unix.Unlinkat(s.fd(Private), tmp, 0) // gone already unless something failed
	img := int(s.img.Fd())
	for try := 0; ; try++ {
		if try == 5 {
			return "", fmt.Errorf("linking %s: the name keeps changing under fetchd", s.NamePath(name))
		}
		err := unix.Renameat2(s.fd(Private), tmp, img, name, unix.RENAME_EXCHANGE)
		switch {
		case err == nil:
			aside, err = s.dropReturned(tmp, name)
			if err != nil {
				return "", err
			}
			return aside, s.syncNames()
		case errors.Is(err, unix.ENOENT):
			err = unix.Renameat2(s.fd(Private), tmp, img, name, unix.RENAME_NOREPLACE)
			if errors.Is(err, unix.EEXIST) {
				continue // something appeared at the name: exchange with it
			}
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
				return s.linkNameFallback(tmp, name)
			}
			if err != nil {
				return "", fmt.Errorf("linking %s: %w", s.NamePath(name), err)
			}
			return "", s.syncNames()
		case errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS):
			return s.linkNameFallback(tmp, name)
		default:
			return "", fmt.Errorf("linking %s: %w", s.NamePath(name), err)
		}
	}
}

// linkNameFallback is LinkName on a file system without RENAME_EXCHANGE:
// what is at the name is moved aside first (unless it is a link to a
// build), then the link renamed into place. Between the two steps the
// name is briefly missing.
func (s *Store) linkNameFallback(tmp, name string) (string, error) {
	img := int(s.img.Fd())
	aside := ""
	var st unix.Stat_t
	if err := unix.Fstatat(img, name, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && !s.isBuildLink(&st) {
		p, err := s.moveAside(img, name, name)
		if err != nil {
			return "", err
		}
		aside = p
	}
	if err := unix.Renameat(s.fd(Private), tmp, img, name); err != nil {
		return aside, fmt.Errorf("linking %s: %w", s.NamePath(name), err)
	}
	return aside, s.syncNames()
}

// dropReturned deals with what an exchange brought back to tmp.
func (s *Store) dropReturned(tmp, name string) (string, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(s.fd(Private), tmp, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return "", fmt.Errorf("checking what was at %s: %w", s.NamePath(name), err)
	}
	if s.isBuildLink(&st) {
		if err := unix.Unlinkat(s.fd(Private), tmp, 0); err != nil {
			return "", fmt.Errorf("removing the old link of %s: %w", s.NamePath(name), err)
		}
		return "", nil
	}
	return s.moveAside(s.fd(Private), tmp, name)
}

// isBuildLink reports whether st is a regular file that is also a file of
// the builds area, or one already kept in the aside area: dropping such a
// link loses nothing.
func (s *Store) isBuildLink(st *unix.Stat_t) bool {
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Nlink < 2 {
		return false
	}
	for _, a := range []Area{Builds, Aside} {
		ents, err := s.List(a)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if e.Stat.Dev == st.Dev && e.Stat.Ino == st.Ino {
				return true
			}
		}
	}
	return false
}

func (s *Store) syncNames() error {
	if err := s.syncImageDir(); err != nil {
		return err
	}
	return s.syncArea(Private)
}

func nowStamp() string { return time.Now().UTC().Format("20060102T150405Z") }
