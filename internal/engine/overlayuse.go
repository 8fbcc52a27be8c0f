package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// OverlayUse is one VM disk (a qcow2 overlay in a configured overlay
// directory) and the backing file its header names.
type OverlayUse struct {
	// Overlay is the VM disk's path.
	Overlay string
	// Backing is its backing file, resolved as QEMU resolves it (a
	// relative name against the overlay's directory) and cleaned.
	Backing string
}

// OverlayScanner finds the VM disks in the overlay directories and what
// each uses as its backing file. Engine.Overlays is one; nil uses
// scanOverlayDirs. An error means fetchd cannot tell what VM disks use,
// and nothing that one might use is removed.
type OverlayScanner interface {
	Scan(ctx context.Context, dirs []string) ([]OverlayUse, error)
}

// Bounds of the built-in scan.
const (
	maxOverlayEntries = 100000
	maxOverlayDepth   = 8
	maxBackingName    = 1023 // QEMU refuses longer backing file names
)

// overlayUses scans the configured overlay directories.
func (e *Engine) overlayUses(ctx context.Context) ([]OverlayUse, error) {
	if len(e.Config.Overlays) == 0 {
		return nil, nil
	}
	if e.Overlays != nil {
		return e.Overlays.Scan(ctx, e.Config.Overlays)
	}
	return scanOverlayDirs(ctx, e.Config.Overlays)
}

// scanOverlayDirs walks each directory (not following symbolic links,
// bounded in entries and depth) and reads the backing file name of every
// regular file that is a qcow2 image. A directory that does not exist
// holds no VM disks; one that cannot be read is an error.
func scanOverlayDirs(ctx context.Context, dirs []string) ([]OverlayUse, error) {
	var out []OverlayUse
	seen := 0
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("reading the overlay directory %s: %w", dir, err)
		}
		for _, ent := range ents {
			seen++
			if seen > maxOverlayEntries {
				return fmt.Errorf("the overlay directories hold more than %d entries; not scanning further", maxOverlayEntries)
			}
			p := filepath.Join(dir, ent.Name())
			switch {
			case ent.Type().IsDir():
				if depth < maxOverlayDepth {
					if err := walk(p, depth+1); err != nil {
						return err
					}
				}
			case ent.Type().IsRegular():
				name, err := readBackingName(p)
				if err != nil {
					return err
				}
				if name == "" {
					continue
				}
				if !filepath.IsAbs(name) {
					name = filepath.Join(dir, name)
				}
				out = append(out, OverlayUse{Overlay: p, Backing: filepath.Clean(name)})
			}
		}
		return nil
	}
	for _, d := range dirs {
		if _, err := os.Lstat(d); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := walk(d, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readBackingName reads the backing file name from a qcow2 header ("" for
// a file that is not qcow2 or has no backing file). It opens without
// following a symbolic link and without blocking on a FIFO.
func readBackingName(path string) (string, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ELOOP) {
			return "", nil
		}
		return "", fmt.Errorf("reading the VM disk %s: %w", path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return "", err
	}
	var h [20]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return "", nil // shorter than a qcow2 header
	}
	if string(h[:4]) != "QFI\xfb" {
		return "", nil
	}
	off := binary.BigEndian.Uint64(h[8:])
	n := binary.BigEndian.Uint32(h[16:])
	if off == 0 || n == 0 {
		return "", nil
	}
	if n > maxBackingName || off > 1<<40 {
		return "", fmt.Errorf("the VM disk %s has a malformed qcow2 header (backing file name of %d bytes at %d)", path, n, off)
	}
	name := make([]byte, n)
	if _, err := f.ReadAt(name, int64(off)); err != nil {
		return "", fmt.Errorf("reading the backing file name of %s: %w", path, err)
	}
	return string(name), nil
}

// inode identifies a file.
type inode struct{ dev, ino uint64 }

// backingInodes stats each overlay's backing file (following symbolic
// links, as QEMU does) and returns, per inode, the overlays using it. A
// backing file that is not there is nothing fetchd keeps.
func backingInodes(uses []OverlayUse) map[inode][]string {
	out := map[inode][]string{}
	for _, u := range uses {
		var st unix.Stat_t
		if unix.Stat(u.Backing, &st) != nil {
			continue
		}
		k := inode{uint64(st.Dev), st.Ino}
		out[k] = append(out[k], u.Overlay)
	}
	return out
}

// usersOfName returns the overlays whose backing file is the image
// directory's name itself (not a build path): moving the name changes
// what they see.
func usersOfName(uses []OverlayUse, dir, name string) []string {
	want := []string{filepath.Join(dir, name)}
	if abs, err := filepath.Abs(dir); err == nil {
		want = append(want, filepath.Join(abs, name))
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		want = append(want, filepath.Join(real, name))
	}
	var out []string
	for _, u := range uses {
		b := u.Backing
		if d, err := filepath.EvalSymlinks(filepath.Dir(b)); err == nil {
			b = filepath.Join(d, filepath.Base(b))
		}
		for _, w := range want {
			if b == w || u.Backing == w {
				out = append(out, u.Overlay)
				break
			}
		}
	}
	return out
}
