package download

import (
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

// PartialPath returns "<dir>/<algorithm>-<hex>.part": one partial file per
// artifact digest, so bytes of one artifact are never resumed into another.
func PartialPath(dir string, d checksum.Digest) string {
	return filepath.Join(dir, string(d.Algorithm)+"-"+d.Hex+".part")
}

// openPartial opens (creating it, mode 0600) the partial file at path
// without following a symlink. Anything at path that is not a regular file
// is removed first: the partial directory is fetchd's own.
func openPartial(path string) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil {
		switch {
		case !fi.Mode().IsRegular():
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("partial %s is not a regular file and cannot be removed: %w", path, err)
			}
		case fi.Mode().Perm()&0o600 != 0o600:
			// A verified partial is made read-only just before it is
			// renamed into place; a fetchd killed in between leaves it
			// so, and one that is not root could not open it for writing
			// again.
			if err := makeWritable(path); err != nil {
				return nil, err
			}
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open partial: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open partial: %w", err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("partial %s is not a regular file", path)
	}
	if fi.Mode().Perm() != 0o600 {
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return nil, fmt.Errorf("partial %s: %w", path, err)
		}
	}
	return f, nil
}

// makeWritable gives the partial file at path mode 0600 again, through a
// read-only descriptor opened without following a symlink.
func makeWritable(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("open partial: %w", err)
	}
	defer f.Close()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("partial %s: %w", path, err)
	}
	return nil
}

// hashPrefix feeds the first n bytes of f to h. It is the only time bytes
// already on disk are read.
func hashPrefix(f *os.File, n int64, h hash.Hash) error {
	buf := make([]byte, 1<<20)
	got, err := io.CopyBuffer(h, io.NewSectionReader(f, 0, n), buf)
	if err == nil && got != n {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return fmt.Errorf("hash partial %s: %w", f.Name(), err)
	}
	return nil
}

// truncatePartial empties the partial file at path.
func truncatePartial(path string) error {
	if err := os.Truncate(path, 0); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("truncate partial: %w", err)
	}
	return nil
}

// removePartial deletes the partial file at path.
func removePartial(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove partial: %w", err)
	}
	return nil
}
