package store

import (
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sandlabx/fetchd/internal/state"
)

// StampOf is the trust stamp of a file, from its stat.
func StampOf(st *unix.Stat_t) state.Stamp {
	return state.Stamp{
		Dev: st.Dev, Ino: st.Ino, Size: st.Size, Mode: st.Mode, UID: st.Uid,
		MTime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec).UTC(),
		CTime: time.Unix(st.Ctim.Sec, st.Ctim.Nsec).UTC(),
	}
}

// StampFile is the trust stamp of an open file.
func StampFile(f *os.File) (state.Stamp, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return state.Stamp{}, &os.PathError{Op: "stat", Path: f.Name(), Err: err}
	}
	return StampOf(&st), nil
}
