// Package overlay finds the VM disks that use fetchd's images: the qcow2
// overlays in the configured overlay directories (config key overlays,
// FETCHD_OVERLAYS) and the backing file each one names.
//
// Scan walks each directory (into subdirectories, never through a
// symbolic link, within file-count and depth caps), opens each regular
// file without following symlinks and without blocking, reads at most
// 512 bytes of a file that is not qcow2 and at most Limits.MaxHeader
// bytes of one that is (pure Go, package qcow2; no qemu-img), and resolves
// a relative backing file name against the overlay's own directory, as
// QEMU does. The Index it returns answers "which overlays use this file":
// by the path they name (an overlay on the stable name
// <dir>/ubuntu.qcow2 uses the name, whatever build it points at) and by
// device and inode (the name is a hard link to a build, so an overlay on
// the name uses the build the name points at now; an overlay on the
// build's own path uses exactly that build).
//
// A scan is a snapshot: a VM disk created after it is not in it. fetchd
// scans under its directory lock, just before it would move a name or
// remove a build.
package overlay

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sandlabx/fetchd/internal/qcow2"
)

// Default bounds of a scan.
const (
	DefaultMaxFiles  = 10000
	DefaultMaxDepth  = 8
	DefaultMaxHeader = qcow2.DefaultMaxBackingHeader
)

// Limits bound a scan; zero fields take the defaults.
type Limits struct {
	// MaxFiles is the most directory entries looked at in all directories
	// together; more is an error (the index would be incomplete).
	MaxFiles int
	// MaxDepth is how deep below a configured directory the walk goes.
	MaxDepth int
	// MaxHeader is the most bytes read of one qcow2 file.
	MaxHeader int
	// Skip lists directories not to walk (fetchd's private directory when
	// an overlay directory is the image directory itself).
	Skip []string
}

func (l Limits) withDefaults() Limits {
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultMaxFiles
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxHeader <= 0 {
		l.MaxHeader = DefaultMaxHeader
	}
	return l
}

// Overlay is one qcow2 file with a backing file.
type Overlay struct {
	// Path is the overlay file.
	Path string
	// Backing is the backing file name as written in the header.
	Backing string
	// BackingPath is Backing as QEMU resolves it: absolute, cleaned, with
	// symbolic links in its directory resolved (when that directory
	// exists). "" when the backing file is not a local file (json:,
	// nbd:, ...).
	BackingPath string
	// BackingFormat is the header's backing format ("" when unset).
	BackingFormat string
	// Dev and Ino identify the backing file as it was at the scan
	// (following symlinks, as QEMU opens it); Found is false when it
	// could not be stat'ed (missing).
	Dev, Ino uint64
	Found    bool
}

// Problem is a file of an overlay directory that could not be read.
type Problem struct {
	Path string
	Err  error
}

// Index is the result of a scan.
type Index struct {
	// Overlays are the qcow2 files with a backing file, in path order.
	Overlays []Overlay
	// Problems are files that look like qcow2 but could not be read
	// (malformed header, permission denied): they may use an image, so
	// callers that would move or remove something should say so.
	Problems []Problem
	// Files is how many regular files were looked at.
	Files int
}

// ErrTooManyFiles is a scan over Limits.MaxFiles.
var ErrTooManyFiles = errors.New("too many files in the overlay directories")

// Scan reads the overlay directories. A directory that does not exist is
// no error (it has no overlays yet); one that cannot be read is.
func Scan(dirs []string, lim Limits) (*Index, error) {
	lim = lim.withDefaults()
	s := &scanner{lim: lim, idx: &Index{}, seen: map[[2]uint64]bool{}}
	for _, d := range lim.Skip {
		var st unix.Stat_t
		if unix.Lstat(d, &st) == nil {
			s.seen[[2]uint64{uint64(st.Dev), st.Ino}] = true
		}
	}
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("overlay directory %s: %w", d, err)
		}
		if err := s.walk(abs, 0); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(s.idx.Overlays, func(a, b Overlay) int { return strings.Compare(a.Path, b.Path) })
	return s.idx, nil
}

type scanner struct {
	lim     Limits
	idx     *Index
	entries int
	// seen holds the directories walked (device, inode), so that a
	// directory listed twice or nested in another is read once.
	seen map[[2]uint64]bool
}

func (s *scanner) walk(dir string, depth int) error {
	// O_NOFOLLOW: the top directory may be given through a symlink only by
	// the configuration; below it, no symlink is followed.
	flags := unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC
	if depth > 0 {
		flags |= unix.O_NOFOLLOW
	}
	fd, err := unix.Open(dir, flags, 0)
	if err != nil {
		if depth == 0 && errors.Is(err, unix.ENOENT) {
			return nil
		}
		if depth > 0 {
			s.idx.Problems = append(s.idx.Problems, Problem{Path: dir, Err: err})
			return nil
		}
		return fmt.Errorf("overlay directory %s: %w", dir, err)
	}
	d := os.NewFile(uintptr(fd), dir)
	defer d.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("overlay directory %s: %w", dir, err)
	}
	key := [2]uint64{uint64(st.Dev), st.Ino}
	if s.seen[key] {
		return nil
	}
	s.seen[key] = true
	for {
		ents, err := d.ReadDir(256)
		for _, e := range ents {
			s.entries++
			if s.entries > s.lim.MaxFiles {
				return fmt.Errorf("%w: more than %d entries (overlay directories %s)", ErrTooManyFiles, s.lim.MaxFiles, dir)
			}
			p := filepath.Join(dir, e.Name())
			switch t := e.Type(); {
			case t.IsDir():
				if depth+1 <= s.lim.MaxDepth {
					if err := s.walk(p, depth+1); err != nil {
						return err
					}
				}
			case t.IsRegular():
				s.file(fd, e.Name(), p)
			}
		}
		if errors.Is(err, io.EOF) || len(ents) == 0 {
			break
		}
		if err != nil {
			return fmt.Errorf("overlay directory %s: %w", dir, err)
		}
	}
	return nil
}

// file reads one regular file's header, opened relative to its directory
// without following a symlink or blocking on a FIFO swapped in.
func (s *scanner) file(dirfd int, name, path string) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ELOOP) {
			s.idx.Problems = append(s.idx.Problems, Problem{Path: path, Err: err})
		}
		return
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return
	}
	s.idx.Files++
	b, err := qcow2.ReadBacking(f, fi.Size(), s.lim.MaxHeader)
	switch {
	case errors.Is(err, qcow2.ErrNotQcow2):
		return
	case err != nil:
		s.idx.Problems = append(s.idx.Problems, Problem{Path: path, Err: err})
		return
	case b.Name == "":
		return
	}
	o := Overlay{Path: path, Backing: b.Name, BackingFormat: b.Format, BackingPath: Resolve(filepath.Dir(path), b.Name)}
	if o.BackingPath != "" {
		var st unix.Stat_t
		if unix.Stat(o.BackingPath, &st) == nil {
			o.Dev, o.Ino, o.Found = uint64(st.Dev), st.Ino, true
		}
	}
	s.idx.Overlays = append(s.idx.Overlays, o)
}

// Resolve is the file a backing file name names for an overlay in dir, as
// QEMU resolves it: a name with a protocol prefix (a colon before any
// slash: "json:{…}", "nbd://…") is not a local file (""), except "file:";
// a relative name is relative to the overlay's directory. The result is
// canonical (see Canonical).
func Resolve(dir, name string) string {
	if i := strings.IndexByte(name, ':'); i >= 0 && !strings.Contains(name[:i], "/") {
		if name[:i] != "file" {
			return ""
		}
		name = name[i+1:]
	}
	if name == "" {
		return ""
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	return Canonical(name)
}

// Canonical is path cleaned and made absolute, with symbolic links in its
// directory part resolved when that directory exists (the last component
// is kept: a name that is itself a symlink stays that name). Paths are
// compared in this form.
func Canonical(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	dir, base := filepath.Split(path)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		return filepath.Join(real, base)
	}
	return filepath.Clean(path)
}

// ByPath returns the overlays whose backing file name resolves to path
// (compared in canonical form): the overlays that use that name, whatever
// file it holds.
func (x *Index) ByPath(path string) []Overlay {
	if x == nil {
		return nil
	}
	c := Canonical(path)
	var out []Overlay
	for _, o := range x.Overlays {
		if o.BackingPath == c {
			out = append(out, o)
		}
	}
	return out
}

// ByFile returns the overlays whose backing file was, at the scan, the
// file with that device and inode, through whatever name.
func (x *Index) ByFile(dev, ino uint64) []Overlay {
	if x == nil {
		return nil
	}
	var out []Overlay
	for _, o := range x.Overlays {
		if o.Found && o.Dev == dev && o.Ino == ino {
			out = append(out, o)
		}
	}
	return out
}

// Uses returns the overlays that use the file at path: by that path, or
// through another name for the same file (path is stat'ed now, following
// symlinks). For a build file: the overlays made on the build's path and
// those on a name that points at it.
func (x *Index) Uses(path string) []Overlay {
	out := x.ByPath(path)
	var st unix.Stat_t
	if unix.Stat(path, &st) == nil {
		for _, o := range x.ByFile(uint64(st.Dev), st.Ino) {
			if !slices.ContainsFunc(out, func(p Overlay) bool { return p.Path == o.Path }) {
				out = append(out, o)
			}
		}
	}
	slices.SortFunc(out, func(a, b Overlay) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// Paths are the overlays' file paths.
func Paths(os []Overlay) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.Path
	}
	return out
}
