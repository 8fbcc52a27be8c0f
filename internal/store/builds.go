package store

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/sandlabx/fetchd/internal/state"
)

// ErrBuildExists is CommitBuild finding another file under the build's
// name.
var ErrBuildExists = errors.New("another file is already committed under that name")

// Seal makes an open file read-only (fchmod on the descriptor) and durable
// (fsync): the step before CommitBuild.
func Seal(f *os.File) error {
	if err := f.Chmod(0o444); err != nil {
		return fmt.Errorf("making %s read-only: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", f.Name(), err)
	}
	return nil
}

// CommitBuild seals the open file f and links it into builds as file by
// its descriptor (linkat of /proc/self/fd/N), so that the inode committed
// is the one that was hashed and checked, whatever happened to its name.
// If builds/file is already that inode, nothing changes; if it is another
// file, the error wraps ErrBuildExists.
func (s *Store) CommitBuild(f *os.File, file string) error {
	path := s.Path(Builds, file)
	if err := Seal(f); err != nil {
		return err
	}
	err := unix.Linkat(unix.AT_FDCWD, fdPath(f), s.fd(Builds), file, unix.AT_SYMLINK_FOLLOW)
	if errors.Is(err, unix.EEXIST) {
		have, serr := s.StatBuild(file)
		mine, ferr := StampFile(f)
		if serr == nil && ferr == nil && have.SameFile(mine) {
			return nil
		}
		return fmt.Errorf("committing %s: %w", path, ErrBuildExists)
	}
	if err != nil {
		return fmt.Errorf("committing %s: %w", path, err)
	}
	return s.syncArea(Builds)
}

// StatBuild is the stamp of a build file, without opening it; a build
// that is not a regular file owned by fetchd is an *UnsafeError.
func (s *Store) StatBuild(file string) (state.Stamp, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(s.fd(Builds), file, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return state.Stamp{}, &os.PathError{Op: "stat", Path: s.Path(Builds, file), Err: err}
	}
	if p := judge(&st, s.uid, kindFile); p != "" {
		return state.Stamp{}, unsafeAt(s.Path(Builds, file), p)
	}
	return StampOf(&st), nil
}

// CreatePartial creates a new file in the partial area (0600, failing if
// the name exists), open for reading and writing.
func (s *Store) CreatePartial(name string) (*os.File, error) {
	return s.openIn(Partial, name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
}

// Links is the number of names an open file has.
func Links(f *os.File) uint64 {
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil {
		return 0
	}
	return uint64(st.Nlink)
}

// IsBuildFile reports whether the open file is also a file of the builds
// area (the same inode).
func (s *Store) IsBuildFile(f *os.File) bool {
	var st unix.Stat_t
	return unix.Fstat(int(f.Fd()), &st) == nil && s.isBuildLink(&st)
}

// OpenBuild opens a build file for reading.
func (s *Store) OpenBuild(file string) (*os.File, error) { return s.Open(Builds, file) }

// MoveAside moves a file of an area into the aside area (a build whose
// bytes no longer match its digest, a partial fetchd will not use) and
// returns where it went.
func (s *Store) MoveAside(a Area, name string) (string, error) {
	return s.moveAside(s.fd(a), name, name)
}

// moveAside renames name in the directory dirfd into the aside area as
// label.<time>[.n], never over anything.
func (s *Store) moveAside(dirfd int, name, label string) (string, error) {
	base := label + "." + nowStamp()
	for i := 0; i < 100; i++ {
		to := base
		if i > 0 {
			to = fmt.Sprintf("%s.%d", base, i)
		}
		err := renameNoReplace(dirfd, name, s.fd(Aside), to)
		if errors.Is(err, unix.EEXIST) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("moving %s aside: %w", label, err)
		}
		return s.Path(Aside, to), s.syncArea(Aside)
	}
	return "", fmt.Errorf("moving %s aside: too many files of that name in %s", label, s.Path(Aside))
}

// renameNoReplace renames without replacing; where the file system cannot
// promise that, it checks first (a narrower guarantee, in fetchd's own
// directories only).
func renameNoReplace(fromfd int, from string, tofd int, to string) error {
	err := unix.Renameat2(fromfd, from, tofd, to, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		var st unix.Stat_t
		if unix.Fstatat(tofd, to, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
			return unix.EEXIST
		}
		return unix.Renameat(fromfd, from, tofd, to)
	}
	return err
}

// BuildUsage is what a build file takes on disk (allocated blocks, which
// for a sparse image is less than its size) and how many names it has.
func (s *Store) BuildUsage(file string) (allocated int64, links uint64, err error) {
	var st unix.Stat_t
	if err := unix.Fstatat(s.fd(Builds), file, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return 0, 0, &os.PathError{Op: "stat", Path: s.Path(Builds, file), Err: err}
	}
	return st.Blocks * 512, uint64(st.Nlink), nil
}

// Allocated is the bytes a listed file takes on disk.
func (e Entry) Allocated() int64 { return e.Stat.Blocks * 512 }
