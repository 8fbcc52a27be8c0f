package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sandlabx/fetchd/internal/state"
)

// local is what is on disk for one image.
type local struct {
	path   string
	exists bool
	fi     os.FileInfo
	entry  state.Entry
	known  bool // state has an entry for the name
	// trusted: a regular file whose size and mtime are exactly what fetchd
	// recorded when it verified it.
	trusted bool
	// problem says why an existing file is not trusted.
	problem string
	// blocking is set when the final path holds something fetchd must not
	// replace (a directory).
	blocking error
}

func (e *Engine) inspect(name string) local {
	l := local{path: filepath.Join(e.dir(), name)}
	l.entry, l.known = e.entry(name)
	fi, err := os.Lstat(l.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return l
	case err != nil:
		l.exists, l.problem = true, "cannot stat: "+err.Error()
		l.blocking = fmt.Errorf("cannot inspect %s: %w", l.path, err)
		return l
	}
	l.exists, l.fi = true, fi
	switch {
	case fi.IsDir():
		l.problem = "is a directory"
		l.blocking = &BlockedError{Path: l.path, What: "a directory"}
	case fi.Mode()&fs.ModeSymlink != 0:
		l.problem = "is a symbolic link, not an image fetchd installed"
	case !fi.Mode().IsRegular():
		l.problem = "is not a regular file"
		l.blocking = &BlockedError{Path: l.path, What: "a special file"}
	case !l.known:
		l.problem = "fetchd has no record of it"
	case !l.entry.Matches(fi):
		l.problem = "changed since fetchd verified it (size or modification time differ)"
	default:
		l.trusted = true
	}
	return l
}

// BlockedError is a final path holding something fetchd will not replace.
type BlockedError struct {
	Path string
	What string
}

func (e *BlockedError) Error() string {
	return e.Path + " is " + e.What + "; fetchd will not replace it (move it away)"
}
