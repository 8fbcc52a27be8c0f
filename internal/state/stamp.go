package state

import (
	"os"
	"syscall"
	"time"
)

// Matches reports whether fi, a stat of the build's file (or of a name
// linked to it), is exactly the file recorded: the Stamp rule.
func (b Build) Matches(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	return b.Stamp.Matches(Stamp{
		Dev: uint64(st.Dev), Ino: st.Ino, Size: st.Size, Mode: st.Mode, UID: st.Uid,
		MTime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec).UTC(),
		CTime: time.Unix(st.Ctim.Sec, st.Ctim.Nsec).UTC(),
	})
}
