package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// Layout inside the image directory.
const (
	PrivateDir = ".fetchd"
	StateFile  = "state.json"
	LockFile   = "lock"
)

// Area is one directory of the private directory.
type Area string

// The areas.
const (
	Private Area = ""        // .fetchd itself
	Builds  Area = "builds"  // committed builds
	Partial Area = "partial" // downloads in progress
	Cache   Area = "cache"   // caches
	Aside   Area = "aside"   // what was found at a name and moved away
	Run     Area = "run"     // fetchd serve's API socket
)

var areas = []Area{Builds, Partial, Cache, Aside, Run}

// Store is an open image directory and its private directory.
type Store struct {
	dir  string   // the image directory's path, for messages
	img  *os.File // the image directory
	fds  map[Area]*os.File
	uid  uint32
	dev  uint64
	ino  uint64 // .fetchd's inode, to notice it being replaced
	warn []string
}

// ErrNoStore is returned by Open without create when the image directory
// or its private directory does not exist yet.
var ErrNoStore = errors.New("no image directory yet")

// Open opens the image directory dir and its private directory, checking
// both (see the package documentation). With create, missing directories
// are made (the image directory 0755, the private ones 0700); without it,
// a missing one is ErrNoStore.
func Open(dir string, create bool) (*Store, error) {
	dir = filepath.Clean(dir)
	if create {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("creating the image directory: %w", err)
		}
	}
	img, err := os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if errors.Is(err, os.ErrNotExist) && !create {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoStore)
	}
	if err != nil {
		return nil, fmt.Errorf("opening the image directory: %w", err)
	}
	s := &Store{dir: dir, img: img, fds: map[Area]*os.File{}, uid: uint32(os.Geteuid())}
	if err := s.open(create); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) open(create bool) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(s.img.Fd()), &st); err != nil {
		return fmt.Errorf("%s: %w", s.dir, err)
	}
	s.dev = st.Dev
	s.warn = imageDirWarnings(s.dir, &st, s.uid)
	priv, err := s.openDir(s.img, PrivateDir, s.Path(Private), create)
	if err != nil {
		return err
	}
	s.fds[Private] = priv
	if err := unix.Fstat(int(priv.Fd()), &st); err != nil {
		return err
	}
	s.ino = st.Ino
	if err := s.checkProc(priv); err != nil {
		return err
	}
	for _, a := range areas {
		f, err := s.openDir(priv, string(a), s.Path(a), true)
		if err != nil {
			return err
		}
		s.fds[a] = f
	}
	return s.walk()
}

// openDir opens (making it first if asked) the directory name in parent,
// without following a symlink, and checks it.
func (s *Store) openDir(parent *os.File, name, path string, create bool) (*os.File, error) {
	if create {
		err := unix.Mkdirat(int(parent.Fd()), name, 0o700)
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("creating %s: %w", path, err)
		}
	}
	fd, err := unix.Openat(int(parent.Fd()), name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.ENOENT) && !create:
		return nil, fmt.Errorf("%s: %w", path, ErrNoStore)
	case errors.Is(err, unix.ELOOP), errors.Is(err, unix.ENOTDIR):
		var st unix.Stat_t
		if unix.Fstatat(int(parent.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
			if p := judge(&st, s.uid, kindDir); p != "" {
				return nil, unsafeAt(path, p)
			}
		}
		return nil, unsafeAt(path, "is not a directory")
	case err != nil:
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	f := os.NewFile(uintptr(fd), path)
	if err := s.checkDir(f, path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkDir applies judge to an open directory, checks that it is on the
// image directory's filesystem, and tightens its mode to 0700.
func (s *Store) checkDir(f *os.File, path string) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if p := judge(&st, s.uid, kindDir); p != "" {
		return unsafeAt(path, p)
	}
	if st.Dev != s.dev {
		return &UnsafeError{Path: path, Problem: "is on another filesystem than the image directory " + s.dir,
			Hint: "fetchd renames and links between its private directory and the image directory, which needs one filesystem: do not mount anything inside " + s.Path(Private)}
	}
	if st.Mode&0o077 != 0 {
		// Best effort, as in walk: nobody else can write it already.
		_ = unix.Fchmod(int(f.Fd()), 0o700)
	}
	return nil
}

// checkProc makes sure /proc/self/fd resolves to the descriptors fetchd
// holds: every path handed to path-based code goes through it.
func (s *Store) checkProc(priv *os.File) error {
	var a, b unix.Stat_t
	if err := unix.Fstat(int(priv.Fd()), &a); err != nil {
		return err
	}
	if err := unix.Stat(fdPath(priv), &b); err != nil || a.Dev != b.Dev || a.Ino != b.Ino {
		return fmt.Errorf("fetchd needs /proc mounted (it reaches its private directory through /proc/self/fd): %s does not resolve to %s", fdPath(priv), s.Path(Private))
	}
	return nil
}

// Check re-validates an open store, for a long-lived engine before each
// run: the private directory at its path must still be the one opened,
// and everything in it must still pass.
func (s *Store) Check() error {
	var st unix.Stat_t
	if err := unix.Fstatat(int(s.img.Fd()), PrivateDir, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("%s: %w", s.Path(Private), err)
	}
	if st.Dev != s.dev || st.Ino != s.ino {
		return &UnsafeError{Path: s.Path(Private), Problem: "is no longer the directory fetchd opened (it was moved or replaced)",
			Hint: "another user can rename entries of the image directory: make it writable only by fetchd's uid, or set the sticky bit (chmod +t); then restart fetchd"}
	}
	for a, f := range s.fds {
		if err := s.checkDir(f, s.Path(a)); err != nil {
			return err
		}
	}
	return s.walk()
}

// Close releases the descriptors.
func (s *Store) Close() error {
	for _, f := range s.fds {
		f.Close()
	}
	s.fds = map[Area]*os.File{}
	if s.img != nil {
		s.img.Close()
	}
	return nil
}

// Dir is the image directory.
func (s *Store) Dir() string { return s.dir }

// UID is the uid fetchd runs as, which owns the private directory.
func (s *Store) UID() uint32 { return s.uid }

// Warnings are problems with the image directory that do not stop fetchd
// (it is writable by others without the sticky bit).
func (s *Store) Warnings() []string { return s.warn }

// Path is the real path of an area or of a file in it, for messages.
func (s *Store) Path(a Area, name ...string) string {
	return filepath.Join(append([]string{s.dir, PrivateDir, string(a)}, name...)...)
}

// NamePath is the real path of a name in the image directory.
func (s *Store) NamePath(name string) string { return filepath.Join(s.dir, name) }

func (s *Store) fd(a Area) int { return int(s.fds[a].Fd()) }

func fdPath(f *os.File) string { return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())) }

// imageDirWarnings says what is risky about the image directory itself:
// others who can write it can replace the names (and .fetchd) between
// runs, unless the sticky bit stops them renaming what is not theirs.
func imageDirWarnings(dir string, st *unix.Stat_t, uid uint32) []string {
	if st.Mode&0o022 == 0 || st.Mode&unix.S_ISVTX != 0 {
		return nil
	}
	who := "every user"
	if st.Mode&0o002 == 0 {
		who = "its group"
	}
	return []string{fmt.Sprintf("the image directory %s is writable by %s (mode %04o) without the sticky bit: they can replace an image name between runs (fetchd puts it back on the next run); chmod +t %s, or make it writable only by uid %d", dir, who, st.Mode&0o7777, dir, uid)}
}
