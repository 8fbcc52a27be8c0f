package store

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// UnsafeError is a file or directory of the private directory (or the
// image directory itself) that fetchd refuses to work with, and why.
type UnsafeError struct {
	Path    string
	Problem string
	// Hint says what to do about it.
	Hint string
}

func (e *UnsafeError) Error() string { return e.Path + " " + e.Problem }

// kind is what the private directory holds at a place.
type kind int

const (
	kindDir  kind = iota // a directory fetchd made
	kindFile             // a regular file fetchd made
)

// judge says what is wrong with an entry of the private directory, given
// its lstat and the uid fetchd runs as, or "" when nothing is. It is the
// StrictModes rule: owned by fetchd's uid, not writable by group or
// others, no symbolic links, and the expected type.
func judge(st *unix.Stat_t, uid uint32, want kind) string {
	typ := st.Mode & unix.S_IFMT
	switch {
	case typ == unix.S_IFLNK:
		return "is a symbolic link"
	case want == kindDir && typ != unix.S_IFDIR:
		return "is not a directory (" + typeName(typ) + ")"
	case want == kindFile && typ != unix.S_IFREG:
		return "is not a regular file (" + typeName(typ) + ")"
	case st.Uid != uid:
		return fmt.Sprintf("is owned by uid %d, not by uid %d that fetchd runs as", st.Uid, uid)
	case st.Mode&0o002 != 0:
		return fmt.Sprintf("is writable by every user (mode %04o)", st.Mode&0o7777)
	case st.Mode&0o020 != 0:
		return fmt.Sprintf("is writable by its group (mode %04o)", st.Mode&0o7777)
	}
	return ""
}

// hintFor is the advice for a problem judge found.
func hintFor(problem string) string {
	switch {
	case problem == "is a symbolic link":
		return "fetchd never follows links in its private directory; remove the link (only fetchd's uid can write there: find out who made it)"
	case len(problem) > 12 && problem[:12] == "is owned by ":
		return "the private directory is fetchd's alone: another user made or replaced it; move it away (fetchd recreates it) or run fetchd as the uid that owns it"
	case len(problem) > 12 && problem[:12] == "is writable ":
		return "someone loosened its permissions; chmod go-w it (fetchd creates everything there 0700/0600)"
	}
	return "move it out of the private directory; fetchd keeps only its own directories and files there"
}

func unsafeAt(path, problem string) *UnsafeError {
	return &UnsafeError{Path: path, Problem: problem, Hint: hintFor(problem)}
}

func typeName(typ uint32) string {
	switch typ {
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFREG:
		return "a regular file"
	case unix.S_IFLNK:
		return "a symbolic link"
	case unix.S_IFIFO:
		return "a named pipe"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFCHR, unix.S_IFBLK:
		return "a device"
	}
	return "an unknown file type"
}
