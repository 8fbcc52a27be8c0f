package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, true)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

func TestJudge(t *testing.T) {
	t.Parallel()
	const me = 10001
	tests := map[string]struct {
		st   unix.Stat_t
		want kind
		msg  string
	}{
		"own dir":          {unix.Stat_t{Mode: unix.S_IFDIR | 0o700, Uid: me}, kindDir, ""},
		"own dir readable": {unix.Stat_t{Mode: unix.S_IFDIR | 0o755, Uid: me}, kindDir, ""},
		"own file":         {unix.Stat_t{Mode: unix.S_IFREG | 0o444, Uid: me}, kindFile, ""},
		"symlink":          {unix.Stat_t{Mode: unix.S_IFLNK | 0o777, Uid: me}, kindFile, "is a symbolic link"},
		"file for dir":     {unix.Stat_t{Mode: unix.S_IFREG | 0o600, Uid: me}, kindDir, "is not a directory (a regular file)"},
		"fifo":             {unix.Stat_t{Mode: unix.S_IFIFO | 0o600, Uid: me}, kindFile, "is not a regular file (a named pipe)"},
		"foreign owner":    {unix.Stat_t{Mode: unix.S_IFDIR | 0o700, Uid: 65534}, kindDir, "is owned by uid 65534, not by uid 10001 that fetchd runs as"},
		"world-writable":   {unix.Stat_t{Mode: unix.S_IFDIR | 0o777, Uid: me}, kindDir, "is writable by every user (mode 0777)"},
		"group-writable":   {unix.Stat_t{Mode: unix.S_IFREG | 0o660, Uid: me}, kindFile, "is writable by its group (mode 0660)"},
		"sticky 1777":      {unix.Stat_t{Mode: unix.S_IFDIR | unix.S_ISVTX | 0o777, Uid: me}, kindDir, "is writable by every user (mode 1777)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.msg, judge(&tc.st, me, tc.want)); diff != "" {
				t.Errorf("judge (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenMakesPrivateLayout(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "images")
	s := open(t, dir)
	for _, a := range append([]Area{Private}, areas...) {
		if m := mode(t, s.Path(a)); m != os.ModeDir|0o700 {
			t.Errorf("%s: mode %v, want drwx------", s.Path(a), m)
		}
	}
	if err := s.WriteFile(Private, StateFile, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, s.Path(Private, StateFile)); m != 0o600 {
		t.Errorf("state file mode %v, want -rw-------", m)
	}
	lf, err := s.OpenLock()
	if err != nil {
		t.Fatal(err)
	}
	lf.Close()
	if m := mode(t, s.Path(Private, LockFile)); m != 0o600 {
		t.Errorf("lock file mode %v, want -rw-------", m)
	}
	names, _ := os.ReadDir(s.Path(Private))
	var got []string
	for _, n := range names {
		got = append(got, n.Name())
	}
	if diff := cmp.Diff([]string{"aside", "builds", "cache", "lock", "partial", "run", "state.json"}, got); diff != "" {
		t.Errorf("private directory (-want +got):\n%s", diff)
	}
}

// A directory an older fetchd made (0755, files 0644) is taken over:
// nobody else could write it, so it is tightened, not refused.
func TestOpenTightensOldLayout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	priv := filepath.Join(dir, PrivateDir)
	mustMkdir(t, filepath.Join(priv, "cache", "metadata"), 0o755)
	mustWrite(t, filepath.Join(priv, StateFile), "{}", 0o644)
	mustWrite(t, filepath.Join(priv, "cache", "resolve.json"), "{}", 0o644)
	mustWrite(t, filepath.Join(priv, "cache", "metadata", "x.body"), "x", 0o644)
	s := open(t, dir)
	for p, want := range map[string]os.FileMode{
		priv:                                os.ModeDir | 0o700,
		s.Path(Private, StateFile):          0o600,
		s.Path(Cache, "resolve.json"):       0o600,
		s.Path(Cache, "metadata"):           os.ModeDir | 0o700,
		s.Path(Cache, "metadata", "x.body"): 0o600,
	} {
		if m := mode(t, p); m != want {
			t.Errorf("%s: mode %v, want %v", p, m, want)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files owned by another uid")
	}
	tests := map[string]struct {
		prepare func(t *testing.T, dir string) string // returns the path named
		problem string
	}{
		"private dir is a symlink": {func(t *testing.T, dir string) string {
			other := t.TempDir()
			must(t, os.Symlink(other, filepath.Join(dir, PrivateDir)))
			return filepath.Join(dir, PrivateDir)
		}, "is a symbolic link"},
		"private dir owned by another user": {func(t *testing.T, dir string) string {
			p := filepath.Join(dir, PrivateDir)
			mustMkdir(t, p, 0o700)
			must(t, os.Chown(p, 65534, 65534))
			return p
		}, "is owned by uid 65534"},
		"private dir world-writable": {func(t *testing.T, dir string) string {
			p := filepath.Join(dir, PrivateDir)
			mustMkdir(t, p, 0o700)
			must(t, os.Chmod(p, 0o777))
			return p
		}, "is writable by every user"},
		"partial is a symlink": {func(t *testing.T, dir string) string {
			p := filepath.Join(dir, PrivateDir)
			mustMkdir(t, p, 0o700)
			must(t, os.Symlink(t.TempDir(), filepath.Join(p, "partial")))
			return filepath.Join(p, "partial")
		}, "is a symbolic link"},
		"symlink in partial": {func(t *testing.T, dir string) string {
			p := filepath.Join(dir, PrivateDir, "partial")
			mustMkdir(t, p, 0o700)
			must(t, os.Symlink("/etc/shadow", filepath.Join(p, "sha256-x.part")))
			return filepath.Join(p, "sha256-x.part")
		}, "is a symbolic link"},
		"foreign build": {func(t *testing.T, dir string) string {
			p := filepath.Join(dir, PrivateDir, "builds")
			mustMkdir(t, p, 0o700)
			f := filepath.Join(p, "sha256-x.qcow2")
			mustWrite(t, f, "x", 0o444)
			must(t, os.Chown(f, 65534, 65534))
			return f
		}, "is owned by uid 65534"},
		"writable cache file": {func(t *testing.T, dir string) string {
			p := filepath.Join(dir, PrivateDir, "cache")
			mustMkdir(t, p, 0o700)
			f := filepath.Join(p, "resolve.json")
			mustWrite(t, f, "{}", 0o600)
			must(t, os.Chmod(f, 0o666))
			return f
		}, "is writable by every user"},
		"state file is a fifo": {func(t *testing.T, dir string) string {
			p := filepath.Join(dir, PrivateDir)
			mustMkdir(t, p, 0o700)
			must(t, unix.Mkfifo(filepath.Join(p, StateFile), 0o600))
			return filepath.Join(p, StateFile)
		}, "is not a regular file (a named pipe)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := tc.prepare(t, dir)
			s, err := Open(dir, true)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			var ue *UnsafeError
			if !errors.As(err, &ue) || ue.Path != path || !strings.Contains(ue.Problem, tc.problem) || ue.Hint == "" {
				t.Errorf("Open: %v (%#v), want an *UnsafeError for %s: %s, with a hint", err, err, path, tc.problem)
			}
		})
	}
}

func TestOpenRefusesOtherFilesystem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, PrivateDir, "partial")
	mustMkdir(t, p, 0o700)
	if err := unix.Mount("tmpfs", p, "tmpfs", 0, "size=1m,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(p, unix.MNT_DETACH) })
	_, err := Open(dir, true)
	var ue *UnsafeError
	if !errors.As(err, &ue) || ue.Path != p || !strings.Contains(ue.Problem, "is on another filesystem than the image directory") {
		t.Errorf("Open: %v, want an *UnsafeError naming %s on another filesystem", err, p)
	}
}

func TestOpenWithoutCreate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "nothing"), false); !errors.Is(err, ErrNoStore) {
		t.Errorf("Open of a missing directory: %v, want ErrNoStore", err)
	}
	if _, err := Open(dir, false); !errors.Is(err, ErrNoStore) {
		t.Errorf("Open of a directory without .fetchd: %v, want ErrNoStore", err)
	}
	if _, err := os.Stat(filepath.Join(dir, PrivateDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open without create made %s", PrivateDir)
	}
}

// A private directory renamed away and replaced under a running fetchd:
// the descriptors still reach the real one, and Check says so.
func TestCheckNoticesReplacement(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.Check(); err != nil {
		t.Fatalf("Check of a fresh store: %v", err)
	}
	must(t, os.Rename(filepath.Join(dir, PrivateDir), filepath.Join(dir, ".moved")))
	mustMkdir(t, filepath.Join(dir, PrivateDir, "partial"), 0o700)
	if err := s.WriteFile(Private, StateFile, []byte("real")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, ".moved", StateFile)); err != nil || string(b) != "real" {
		t.Errorf("the write went elsewhere than the opened directory: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, PrivateDir, StateFile)); err == nil {
		t.Error("the write went to the replacement")
	}
	if b, err := os.ReadFile(s.ProcPath(Private, StateFile)); err != nil || string(b) != "real" {
		t.Errorf("ProcPath does not reach the opened directory: %q, %v", b, err)
	}
	var ue *UnsafeError
	if err := s.Check(); !errors.As(err, &ue) || !strings.Contains(ue.Problem, "no longer the directory fetchd opened") {
		t.Errorf("Check after the replacement: %v", err)
	}
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir())
	must(t, s.WriteFile(Cache, "a.json", []byte("0123456789")))
	if b, err := s.ReadFile(Cache, "a.json", 10); err != nil || string(b) != "0123456789" {
		t.Errorf("ReadFile: %q, %v", b, err)
	}
	if _, err := s.ReadFile(Cache, "a.json", 9); err == nil || !strings.Contains(err.Error(), "larger than 9 bytes") {
		t.Errorf("ReadFile over the cap: %v", err)
	}
	if _, err := s.ReadFile(Cache, "none.json", 9); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile of a missing file: %v", err)
	}
	must(t, os.Symlink(s.Path(Cache, "a.json"), s.Path(Cache, "b.json")))
	var ue *UnsafeError
	if _, err := s.ReadFile(Cache, "b.json", 99); !errors.As(err, &ue) {
		t.Errorf("ReadFile of a symlink: %v, want an *UnsafeError", err)
	}
	names, _ := os.ReadDir(s.Path(Cache))
	if len(names) != 2 {
		t.Errorf("temporary files left: %v", names)
	}
}

// commit makes a build of data named file, the way the engine does.
func commit(t *testing.T, s *Store, file string, data []byte) {
	t.Helper()
	mustWrite(t, s.Path(Partial, file+".part"), string(data), 0o600)
	f, err := s.Open(Partial, file+".part")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	must(t, s.CommitBuild(f, file))
	must(t, s.Remove(Partial, file+".part"))
}

// The inode committed is the one opened, whatever was done to its name.
func TestCommitBuildByDescriptor(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir())
	mustWrite(t, s.Path(Partial, "x.part"), "verified", 0o600)
	f, err := s.Open(Partial, "x.part")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	must(t, os.Rename(s.Path(Partial, "x.part"), s.Path(Partial, "elsewhere")))
	mustWrite(t, s.Path(Partial, "x.part"), "swapped", 0o600)
	must(t, s.CommitBuild(f, "b1"))
	if b, _ := os.ReadFile(s.Path(Builds, "b1")); string(b) != "verified" {
		t.Errorf("build holds %q, want the opened file's bytes", b)
	}
	if m := mode(t, s.Path(Builds, "b1")); m != 0o444 {
		t.Errorf("build mode %v, want -r--r--r--", m)
	}
	must(t, s.CommitBuild(f, "b1")) // the same inode again: fine
	other, err := s.Open(Partial, "x.part")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := s.CommitBuild(other, "b1"); !errors.Is(err, ErrBuildExists) {
		t.Errorf("committing another file under b1: %v, want ErrBuildExists", err)
	}
}

func TestLinkName(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		prepare func(t *testing.T, s *Store, name string)
		aside   string // what must have been moved aside ("" none)
	}{
		"missing": {func(*testing.T, *Store, string) {}, ""},
		"link to another build": {func(t *testing.T, s *Store, name string) {
			commit(t, s, "old", []byte("old build"))
			must(t, os.Link(s.Path(Builds, "old"), s.NamePath(name)))
		}, ""},
		"a user's file": {func(t *testing.T, s *Store, name string) {
			mustWrite(t, s.NamePath(name), "my vm disk", 0o644)
		}, "my vm disk"},
		"a symlink": {func(t *testing.T, s *Store, name string) {
			must(t, os.Symlink("/etc/shadow", s.NamePath(name)))
		}, "symlink:/etc/shadow"},
		// A hard link to a build made by hand is still another name for
		// fetchd's own bytes only if it is in builds: here it is not.
		"a copy of the build": {func(t *testing.T, s *Store, name string) {
			mustWrite(t, s.NamePath(name), "new build", 0o444)
		}, "new build"},
	}
	for desc, tc := range tests {
		t.Run(desc, func(t *testing.T) {
			t.Parallel()
			s := open(t, t.TempDir())
			const name = "a.qcow2"
			commit(t, s, "new", []byte("new build"))
			tc.prepare(t, s, name)
			aside, err := s.LinkName(name, "new")
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(s.NamePath(name)); string(b) != "new build" {
				t.Errorf("name holds %q", b)
			}
			a, b := statOf(t, s.NamePath(name)), statOf(t, s.Path(Builds, "new"))
			if a.Ino != b.Ino {
				t.Error("name is not a link to the build")
			}
			if got := asideContent(t, aside); got != tc.aside {
				t.Errorf("moved aside %q (%s), want %q", got, aside, tc.aside)
			}
			if aside != "" && !strings.HasPrefix(filepath.Base(aside), name+".") {
				t.Errorf("moved aside as %s, want it named after %s", aside, name)
			}
			ents, _ := os.ReadDir(s.Path(Private))
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), ".link-") {
					t.Errorf("temporary link %s left", e.Name())
				}
			}
		})
	}
}

func asideContent(t *testing.T, p string) string {
	t.Helper()
	if p == "" {
		return ""
	}
	if target, err := os.Readlink(p); err == nil {
		return "symlink:" + target
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMoveAsideNeverOverwrites(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir())
	var got []string
	for i := range 3 {
		mustWrite(t, s.Path(Partial, "p"), fmt.Sprint(i), 0o600)
		p, err := s.MoveAside(Partial, "p")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	for i, p := range got {
		if b, _ := os.ReadFile(p); string(b) != fmt.Sprint(i) {
			t.Errorf("%s holds %q, want %d", p, b, i)
		}
	}
}

func TestDisplay(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir())
	err := fmt.Errorf("wrapped: %w", &os.PathError{Op: "open", Path: s.ProcPath(Partial, "x.part"), Err: os.ErrPermission})
	shown := s.Display(err)
	if want := "wrapped: open " + s.Path(Partial, "x.part") + ": permission denied"; shown.Error() != want {
		t.Errorf("Display: %q, want %q", shown, want)
	}
	if !errors.Is(shown, os.ErrPermission) {
		t.Error("Display hides the wrapped error")
	}
	if other := errors.New("/proc/self/fd/99999/x"); s.Display(other) != other {
		t.Error("Display changed a path that is not the store's")
	}
}

func TestImageDirWarnings(t *testing.T) {
	t.Parallel()
	for m, warn := range map[uint32]bool{0o755: false, 0o775: true, 0o777: true, 0o1777: false, 0o3775: false} {
		got := imageDirWarnings("/images", &unix.Stat_t{Mode: unix.S_IFDIR | m}, 0) != nil
		if got != warn {
			t.Errorf("mode %04o: warning %v, want %v", m, got, warn)
		}
	}
}

func statOf(t *testing.T, p string) *unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	must(t, unix.Lstat(p, &st))
	return &st
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustMkdir(t *testing.T, p string, m os.FileMode) {
	t.Helper()
	must(t, os.MkdirAll(p, m))
	must(t, os.Chmod(p, m))
}

func mustWrite(t *testing.T, p, data string, m os.FileMode) {
	t.Helper()
	must(t, os.WriteFile(p, []byte(data), m))
	must(t, os.Chmod(p, m))
}
