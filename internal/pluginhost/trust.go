package pluginhost

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Who may be a plugin. fetchd often runs as root and runs what it finds, so
// a plugin binary is used only when nobody but root and fetchd's own user
// could have put it there or could change it:
//
//   - its path is resolved (symlinks followed) and the resolved file is
//     what fetchd runs;
//   - the file is a regular, executable file owned by root or by fetchd's
//     uid, and not writable by its group or by others;
//   - every directory from / down to the file, on the resolved path and on
//     the path of the link that pointed to it, is owned by root or by
//     fetchd's uid and not writable by group or others. A world-writable
//     directory with the sticky bit (/tmp) is accepted: there others may
//     add entries but cannot rename or remove the ones they do not own,
//     and the entry below it is checked in turn.
//
// This is OpenSSH's StrictModes rule for authorized_keys and the rule of
// GnuPG's "unsafe permissions" warning, applied to executables.

// TrustError says why a plugin file may not be used.
type TrustError struct {
	// Path is the file or directory that breaks the rule.
	Path string
	Msg  string
}

func (e *TrustError) Error() string { return e.Path + ": " + e.Msg }

// checkTrusted checks path as described above for a fetchd running as uid
// and returns the resolved path to run.
func checkTrusted(path string, uid int) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	// The link (or file) as found: its directories must be safe, or
	// someone could swap it for another.
	if err := checkDirs(filepath.Dir(abs), uid); err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("cannot resolve: %s", errText(err))
	}
	if real != abs {
		if err := checkDirs(filepath.Dir(real), uid); err != nil {
			return "", fmt.Errorf("symlink to %s: %w", real, err)
		}
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", errors.New(errText(err))
	}
	what := "it"
	if real != abs {
		what = "its target " + real
	}
	switch {
	case !fi.Mode().IsRegular():
		return "", fmt.Errorf("%s is not a regular file", what)
	case fi.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("%s is not executable (chmod +x)", what)
	}
	if err := checkOwner(real, fi, uid, false); err != nil {
		if real != abs {
			return "", fmt.Errorf("symlink to %w", err)
		}
		return "", err
	}
	return real, nil
}

// checkDirs checks dir (resolved) and every directory above it.
func checkDirs(dir string, uid int) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("cannot resolve directory %s: %s", dir, errText(err))
	}
	for d := real; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("directory %s: %s", d, errText(err))
		}
		if err := checkOwner(d, fi, uid, true); err != nil {
			return err
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// checkOwner applies the owner and mode rule to one file or directory.
func checkOwner(path string, fi os.FileInfo, uid int, dir bool) error {
	kind := ""
	if dir {
		kind = "directory "
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return &TrustError{Path: path, Msg: "cannot read its owner"}
	}
	if st.Uid != 0 && int(st.Uid) != uid {
		return &TrustError{Path: path, Msg: fmt.Sprintf("%sowned by uid %d; a plugin and every directory above it must be owned by root or by fetchd's uid %d", kind, st.Uid, uid)}
	}
	perm := fi.Mode().Perm()
	sticky := dir && fi.Mode()&os.ModeSticky != 0
	if perm&0o022 != 0 && !sticky {
		who := []string{}
		if perm&0o020 != 0 {
			who = append(who, "group")
		}
		if perm&0o002 != 0 {
			who = append(who, "others")
		}
		return &TrustError{Path: path, Msg: fmt.Sprintf("%swritable by %s (mode %04o): anyone there could replace the plugin (chmod go-w %s)", kind, strings.Join(who, " and "), perm, path)}
	}
	return nil
}
