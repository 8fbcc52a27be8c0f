package engine

import (
	"os"

	"golang.org/x/sys/unix"
)

// writeback starts the kernel writing a download's bytes to disk while the
// download is still running (sync_file_range with SYNC_FILE_RANGE_WRITE,
// which does not wait), so that the fsync before install has little left
// to flush: on a 1 GiB image that fsync alone costs about as much as half a
// second of download. It never affects correctness: install still fsyncs.
type writeback struct {
	path string
	f    *os.File
	err  bool
}

func newWriteback(path string) *writeback { return &writeback{path: path} }

// kick asks for the dirty pages written so far to go to disk.
func (w *writeback) kick() {
	if w.err {
		return
	}
	if w.f == nil {
		f, err := os.OpenFile(w.path, os.O_RDONLY|unix.O_NOFOLLOW, 0)
		if err != nil {
			return // not created yet: next time
		}
		w.f = f
	}
	if err := unix.SyncFileRange(int(w.f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE); err != nil {
		w.err = true // e.g. a filesystem that does not support it
	}
}

func (w *writeback) close() {
	if w.f != nil {
		w.f.Close()
	}
}
