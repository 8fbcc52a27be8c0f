package main

// Another local user against the image directory, end to end: fetchd runs
// as root, the image directory is mode 0777 (as the seed's troubleshooting
// advice left it), and the attacker is a process of uid/gid 65534 that
// races fetchd at the moments that matter. fetchd is held at those moments
// (a qemu-img that waits before check, a hook before the commit), so each
// race is decided the same way every time; the attacker's own loops are
// bounded by a count or by fetchd's exit, never by a duration.
//
// Every case ends with the invariants of the fault suite plus: no file
// outside the image directory changed (a root-only secret and a directory
// of decoys, compared by content and by lstat, ctime included); what the
// attacker put at a final path is not there, and was never recorded as
// verified; right after a raced run, each name is a regular file that is
// the very inode of its verified build, and the previous build is intact;
// a refusal names the path it refuses. A hold the test never released
// (it timed out) fails the case: the race did not run as set up.

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/state"
)

// attackerUID is the uid and gid the attacker runs as (nobody).
const attackerUID = 65534

// userWorld is a fault world whose image directory another user can write.
type userWorld struct {
	*faultWorld
	gate    string // where fetchd's holds announce themselves and wait
	outside *outsideFiles
}

// newUserWorld installs the three default images, then opens the image
// directory to every user (mode 0777) and the path to it to traversal.
// It needs root: fetchd must run as another uid than the attacker.
func newUserWorld(t *testing.T) *userWorld {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("FETCHD_REQUIRE_ROOT") == "1" {
			t.Fatal("this test needs root to run an attacker as another uid (FETCHD_REQUIRE_ROOT=1)")
		}
		t.Skip("needs root: fetchd runs as root and the attacker as uid 65534")
	}
	f := newFaultWorld(t)
	u := &userWorld{faultWorld: f, gate: filepath.Join(f.root, "gate")}
	// The gate is root's and readable by all: the attacker can see where
	// fetchd is held (it races at that moment) but not let it go on.
	if err := os.Mkdir(u.gate, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(u.gate, 0o755); err != nil {
		t.Fatal(err)
	}
	// The attacker must reach the image directory: t.TempDir's 0700
	// directories become traversable (not listable).
	for _, d := range []string{filepath.Dir(f.root), f.root} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(f.images, 0o777); err != nil {
		t.Fatal(err)
	}
	u.outside = newOutsideFiles(t, f.root)
	// A hold that timed out let fetchd go on without the race the test
	// set up (or stopped it): the case did not test what it says.
	t.Cleanup(func() {
		ms, _ := filepath.Glob(filepath.Join(u.gate, "*.timeout"))
		for _, m := range ms {
			t.Errorf("fetchd was held at %s and the test never let it go on: the race did not run as set up", strings.TrimSuffix(filepath.Base(m), ".timeout"))
		}
	})
	return u
}

// attack runs a shell script as uid/gid 65534 (no supplementary groups)
// with args as $1…; it returns the combined output and whether it
// succeeded. Scripts print what the kernel let them do.
func attack(t *testing.T, script string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command("/bin/sh", append([]string{"-c", script, "attacker"}, args...)...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: attackerUID, Gid: attackerUID}}
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("starting the attacker: %v", err)
	}
	return string(out), err == nil
}

// attackMust is attack that fails the test if the script fails.
func attackMust(t *testing.T, script string, args ...string) string {
	t.Helper()
	out, ok := attack(t, script, args...)
	if !ok {
		t.Fatalf("attacker script failed:\n%s", out)
	}
	return out
}

// attackRefused runs a script that must fail with "Permission denied": the
// attack is impossible, not merely lost.
func attackRefused(t *testing.T, what, script string, args ...string) {
	t.Helper()
	out, ok := attack(t, script, args...)
	if ok || !strings.Contains(out, "Permission denied") {
		t.Errorf("%s as uid %d: succeeded or failed otherwise (%v), want permission denied:\n%s", what, attackerUID, ok, out)
	}
}

// swapPrivate is the attack that works when the image directory is
// writable by others without the sticky bit: rename fetchd's .fetchd away
// (the directory's own mode does not matter for a rename within its
// parent) and put the attacker's own in its place, built by the rest of
// the script ($1 is the image directory, $2… as given).
func swapPrivate(build string) string {
	return `set -e
cd "$1"
mv .fetchd .fetchd.moved
mkdir .fetchd
cd .fetchd
` + build + `
echo swapped`
}

// restorePrivate undoes swapPrivate as the operator would: the attacker's
// directory removed (without following its links), fetchd's put back.
// checkMovedPrivate checks fetchd's own private directory, which the
// attacker moved aside to .fetchd.moved during the run: the name holds
// data, committed there, and the previous build of localDebian is intact.
func (u *userWorld) checkMovedPrivate(data []byte) {
	u.t.Helper()
	moved := filepath.Join(u.images, state.PrivateDir+".moved")
	u.checkName(moved, localDebian, data)
	u.buildOf(moved, u.good[localDebian])
}

func (u *userWorld) restorePrivate() {
	u.t.Helper()
	priv := filepath.Join(u.images, state.PrivateDir)
	if err := os.RemoveAll(priv); err != nil {
		u.t.Fatal(err)
	}
	if err := os.Rename(priv+".moved", priv); err != nil {
		u.t.Fatal(err)
	}
}

// holdQemuCheck puts a qemu-img on fetchd's PATH that, for `check`,
// announces itself (gate/check.held) and waits for gate/check.go before
// running the real one. If check.go never comes, it leaves
// gate/check.timeout (the test fails on it) and fails instead of running
// qemu-img.
func (u *userWorld) holdQemuCheck() {
	u.t.Helper()
	real, err := exec.LookPath("qemu-img")
	if err != nil {
		u.t.Fatal(err)
	}
	bin := filepath.Join(u.root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		u.t.Fatal(err)
	}
	script := fmt.Sprintf(`#!/bin/sh
if [ "$1" = check ]; then
  : > %[1]s/check.held
  i=0
  while [ ! -e %[1]s/check.go ] && [ $i -lt 6000 ]; do sleep 0.01; i=$((i+1)); done
  if [ ! -e %[1]s/check.go ]; then
    : > %[1]s/check.timeout
    echo "qemu-img (test wrapper): held at check and never let go on" >&2
    exit 125
  fi
fi
exec %[2]s "$@"
`, u.gate, real)
	if err := os.WriteFile(filepath.Join(bin, "qemu-img"), []byte(script), 0o755); err != nil {
		u.t.Fatal(err)
	}
	u.env = append(u.env, "PATH="+bin+":"+os.Getenv("PATH"))
}

// holdCommit makes fetchd wait before committing its first build.
func (u *userWorld) holdCommit() {
	u.env = append(u.env, "FETCHD_TEST_HOLD_BEFORE_COMMIT="+u.gate)
}

// waitHeld waits until fetchd is held at point, and release lets it go on.
func (u *userWorld) waitHeld(p *localProc, point string) {
	u.t.Helper()
	localWaitFor(u.t, "fetchd to be held at "+point, p, func() bool {
		_, err := os.Stat(filepath.Join(u.gate, point+".held"))
		return err == nil
	})
}

func (u *userWorld) release(point string) {
	u.t.Helper()
	if err := os.WriteFile(filepath.Join(u.gate, point+".go"), nil, 0o644); err != nil {
		u.t.Fatal(err)
	}
}

// evilQcow2 is a valid qcow2 (another digest than any build) the attacker
// can read, of the given size if size > 0 (padded or cut: for the
// same-size attack its validity does not matter).
func (u *userWorld) evilQcow2(size int) string {
	u.t.Helper()
	data := u.factory.Next()
	if size > 0 {
		data = append(data, make([]byte, max(0, size-len(data)))...)[:size]
	}
	p := filepath.Join(u.root, "evil.qcow2")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		u.t.Fatal(err)
	}
	return p
}

// partialName is the partial file name of a build's bytes.
func partialName(data []byte) string {
	return "sha512-" + sha512Hex(data) + ".part"
}

// outsideFiles are files outside the image directory that an attacker
// would like fetchd to touch: a root-only secret and a directory of
// decoys named like fetchd's partials.
type outsideFiles struct {
	secret, decoys string
	before         map[string]outsideStat
}

type outsideStat struct {
	st   unix.Stat_t
	data []byte
}

func newOutsideFiles(t *testing.T, root string) *outsideFiles {
	t.Helper()
	o := &outsideFiles{secret: filepath.Join(root, "secret"), decoys: filepath.Join(root, "decoys")}
	if err := os.WriteFile(o.secret, []byte("root only\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(o.decoys, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{".hidden", "x.part", "x.part.segments", "y.adopt", ".link-1"} {
		if err := os.WriteFile(filepath.Join(o.decoys, n), []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o.before = o.snapshot(t)
	return o
}

func (o *outsideFiles) snapshot(t *testing.T) map[string]outsideStat {
	t.Helper()
	m := map[string]outsideStat{}
	paths := []string{o.secret, o.decoys}
	ents, _ := os.ReadDir(o.decoys)
	for _, e := range ents {
		paths = append(paths, filepath.Join(o.decoys, e.Name()))
	}
	for _, p := range paths {
		var s outsideStat
		if err := unix.Lstat(p, &s.st); err != nil {
			t.Fatal(err)
		}
		if s.st.Mode&unix.S_IFMT == unix.S_IFREG {
			s.data, _ = os.ReadFile(p)
		}
		m[p] = s
	}
	return m
}

// check fails the test if any outside file changed: content, mode, owner,
// size, times (ctime: a chmod or chown counts), or the decoy directory's
// list of files.
func (o *outsideFiles) check(t *testing.T) {
	t.Helper()
	now := o.snapshot(t)
	for p, b := range o.before {
		a, ok := now[p]
		switch {
		case !ok:
			t.Errorf("%s, outside the image directory, is gone", p)
		case !bytes.Equal(a.data, b.data) || a.st.Mode != b.st.Mode || a.st.Uid != b.st.Uid || a.st.Size != b.st.Size ||
			a.st.Mtim != b.st.Mtim || a.st.Ctim != b.st.Ctim || a.st.Ino != b.st.Ino:
			t.Errorf("%s, outside the image directory, was touched (mode %o → %o, ctime %v → %v)", p, b.st.Mode, a.st.Mode, b.st.Ctim, a.st.Ctim)
		}
	}
	for p := range now {
		if _, ok := o.before[p]; !ok {
			t.Errorf("%s appeared outside the image directory", p)
		}
	}
}

// checkBuilds: every file of the builds area holds the bytes its name (the
// digest) says, and none is the attacker's.
func (u *userWorld) checkBuilds(evil string) {
	u.t.Helper()
	dir := filepath.Join(u.images, state.PrivateDir, "builds")
	ents, err := os.ReadDir(dir)
	if err != nil {
		u.t.Fatal(err)
	}
	var bad []byte
	if evil != "" {
		bad, _ = os.ReadFile(evil)
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(p)
		if err != nil {
			u.t.Error(err)
			continue
		}
		algo, hexDigits, _ := strings.Cut(strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())), "-")
		if got := fileDigest(u.t, p, algo+":"); got != algo+":"+hexDigits {
			u.t.Errorf("build %s holds %s", e.Name(), got)
		}
		if bad != nil && bytes.Equal(data, bad) {
			u.t.Errorf("the attacker's file was committed as build %s", e.Name())
		}
	}
}

// checkName checks a name right after a run: it is a regular file (not a
// symlink, not the attacker's), it holds data, and it is the very inode
// of the build that holds data in priv's builds area (priv is fetchd's
// private directory wherever the test's layout left it: .fetchd, or
// .fetchd.moved after the attacker swapped its own in).
func (u *userWorld) checkName(priv, name string, data []byte) {
	u.t.Helper()
	p := filepath.Join(u.images, name)
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		u.t.Errorf("%s: %v", p, err)
		return
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		u.t.Errorf("%s is not a regular file (mode %o)", p, st.Mode)
		return
	}
	if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, data) {
		u.t.Errorf("%s does not hold the verified build's bytes (%d bytes, %v)", p, len(got), err)
	}
	build, bst := u.buildOf(priv, data)
	if build != "" && (bst.Dev != st.Dev || bst.Ino != st.Ino) {
		u.t.Errorf("%s is inode %d, not the inode of its build %s (%d)", p, st.Ino, build, bst.Ino)
	}
}

// checkNames: every default image's name is its installed build (see
// checkName), in fetchd's .fetchd.
func (u *userWorld) checkNames() {
	u.t.Helper()
	for _, n := range defaultImages {
		u.checkName(filepath.Join(u.images, state.PrivateDir), n, u.good[n])
	}
}

// buildOf returns the file in priv's builds area that holds data, and its
// lstat; the file must be a regular file whose name's digest is what it
// holds. A build missing is an error.
func (u *userWorld) buildOf(priv string, data []byte) (string, unix.Stat_t) {
	u.t.Helper()
	dir := filepath.Join(priv, "builds")
	ents, err := os.ReadDir(dir)
	if err != nil {
		u.t.Errorf("%s: %v", dir, err)
		return "", unix.Stat_t{}
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
			continue
		}
		if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, data) {
			continue
		}
		algo, hexDigits, _ := strings.Cut(strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())), "-")
		if got := fileDigest(u.t, p, algo+":"); got != algo+":"+hexDigits {
			u.t.Errorf("build %s holds %s", p, got)
		}
		return p, st
	}
	u.t.Errorf("no build in %s holds the expected %d bytes (sha512 %s…)", dir, len(data), sha512Hex(data)[:16])
	return "", unix.Stat_t{}
}

// wantRefusal checks that a run refused the private directory the
// attacker left in place, naming it and the reason, with a hint.
func (u *userWorld) wantRefusal(res runResult) {
	u.t.Helper()
	priv := filepath.Join(u.images, state.PrivateDir)
	want := fmt.Sprintf("fetchd: error: %s is owned by uid %d, not by uid 0 that fetchd runs as", priv, attackerUID)
	if res.code != 1 || !strings.Contains(res.stderr, want) || !strings.Contains(res.stderr, "fetchd: hint: ") {
		u.t.Errorf("exit %d, want 1 and %q with a hint:\n%s", res.code, want, res.stderr)
	}
}

// TestFaultUserPartialSymlink: the attacker wants fetchd to chmod (or
// install) a root-only file through a symlink at the partial's name while
// qemu-img check runs. The partial area is 0700 inside a 0700 .fetchd, so
// the symlink cannot be made there; the attacker's remaining move — its
// own .fetchd with the symlink, and a symlink at the final name — changes
// nothing fetchd does (it works through the descriptors it opened), and
// the next run refuses the attacker's .fetchd by name.
func TestFaultUserPartialSymlink(t *testing.T) {
	t.Parallel()
	u := newUserWorld(t)
	b := localPublishDebian(t, u.faultWorld)
	part := partialName(b.data)
	u.holdQemuCheck()

	p := localStart(u.faultWorld, nil, "sync", "--json", "--update", "always")
	u.waitHeld(p, "check")
	attackRefused(t, "a symlink at the partial's name", `ln -s "$2" "$1/.fetchd/partial/$3"`, u.images, u.outside.secret, part)
	attackRefused(t, "listing the partial area", `ls "$1/.fetchd/partial"`, u.images)
	attackMust(t, swapPrivate(`mkdir partial
ln -s "$2" "partial/$3"
cd ..
ln -s "$2" .evil-link
mv -f .evil-link "$4"`), u.images, u.outside.secret, part, localDebian)
	u.release("check")
	res := p.wait()
	if res.code != 0 || res.summary[localDebian] != "updated" {
		t.Errorf("sync under attack: exit %d, %s %q; want 0, updated\n%s", res.code, localDebian, res.summary[localDebian], res.stderr)
	}
	// Right after the attacked run, before anything repairs it: the name
	// is the new build, committed in fetchd's own (moved) directory.
	u.checkMovedPrivate(b.data)
	u.outside.check(t)

	// The next run finds the attacker's .fetchd and refuses it.
	u.wantRefusal(u.run("sync"))
	u.outside.check(t)
	// Put back by the operator, everything checks out: the name holds
	// the verified new build, the symlink was moved aside, not followed.
	u.restorePrivate()
	res = u.syncJSON()
	u.check(res, expect{code: 0, changed: []string{localDebian}})
	if !bytes.Equal(u.read(localDebian), b.data) {
		t.Errorf("%s is not the verified new build", localDebian)
	}
	if fi, err := os.Lstat(filepath.Join(u.images, localDebian)); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("%s: %v, %v; want a regular file", localDebian, fi.Mode(), err)
	}
	u.checkBuilds("")
	found := false
	for p := range u.asideFiles() {
		if target, err := os.Readlink(p); err == nil && target == u.outside.secret {
			found = true
		}
	}
	if !found {
		t.Errorf("the attacker's symlink at %s was not kept aside", localDebian)
	}
	u.outside.check(t)
}

// TestFaultUserOtherQcow2: when the download is complete and verified, the
// attacker puts a valid qcow2 with another digest where the partial and
// the final name are. The inode fetchd hashed and checked is the one it
// commits (linked by its descriptor): the attacker's file is never
// recorded as verified, and is moved aside from the final name.
func TestFaultUserOtherQcow2(t *testing.T) {
	t.Parallel()
	u := newUserWorld(t)
	b := localPublishDebian(t, u.faultWorld)
	part := partialName(b.data)
	evil := u.evilQcow2(0)
	u.holdCommit()

	p := localStart(u.faultWorld, nil, "sync", "--json", "--update", "always")
	// Until fetchd is held (or has ended), copy the attacker's qcow2 over
	// the partial's name, a bounded number of times: always refused. The
	// attacker says whether it saw the hold: the race ran the whole time
	// up to the commit, not just the first tries.
	out, _ := attack(t, `i=0; ok=0
while [ $i -lt 20000 ] && [ ! -e "$4/commit.held" ] && [ -e /proc/$5 ]; do
  cp "$2" "$1/.fetchd/partial/$3" 2>/dev/null && ok=$((ok+1))
  i=$((i+1))
done
echo "copies that worked: $ok, tries: $i"
[ -e "$4/commit.held" ] && echo "saw fetchd held at the commit"`, u.images, evil, part, u.gate, fmt.Sprint(p.cmd.Process.Pid))
	if !strings.Contains(out, "copies that worked: 0,") {
		t.Errorf("the attacker wrote into the partial area:\n%s", out)
	}
	if !strings.Contains(out, "saw fetchd held at the commit") {
		t.Errorf("the attacker stopped before it saw fetchd held at the commit (ran out of tries, or fetchd ended):\n%s", out)
	}
	u.waitHeld(p, "commit")
	attackMust(t, swapPrivate(`mkdir partial
cp "$2" "partial/$3"
cd ..
cp "$2" .evil
mv -f .evil "$4"`), u.images, evil, part, localDebian)
	u.release("commit")
	res := p.wait()
	if res.code != 0 || res.summary[localDebian] != "updated" {
		t.Errorf("sync under attack: exit %d, %s %q; want 0, updated\n%s", res.code, localDebian, res.summary[localDebian], res.stderr)
	}
	u.checkMovedPrivate(b.data)
	u.wantRefusal(u.run("sync"))
	u.restorePrivate()
	u.check(u.syncJSON(), expect{code: 0, changed: []string{localDebian}})
	if !bytes.Equal(u.read(localDebian), b.data) {
		t.Errorf("%s is not the verified new build", localDebian)
	}
	u.checkBuilds(evil)
	if kept := u.asideFiles(); !containsBytes(kept, mustReadFile(t, evil)) {
		t.Errorf("the attacker's file at the name was not kept aside (aside: %d files)", len(kept))
	}
	u.outside.check(t)
}

// TestFaultUserPartialDir: the attacker points the partial area at
// another directory full of files named like partials, hoping the
// clean-up after a successful sync deletes them. It cannot replace
// .fetchd/partial itself; with its own .fetchd swapped in during the run,
// the clean-up still works on the partial area fetchd opened; and a
// .fetchd whose partial is a symlink (whoever made it) is refused.
func TestFaultUserPartialDir(t *testing.T) {
	t.Parallel()
	u := newUserWorld(t)
	b := localPublishDebian(t, u.faultWorld)
	attackRefused(t, "replacing .fetchd/partial", `mv "$1/.fetchd/partial" "$1/.fetchd/p"`, u.images)
	// A stale partial the clean-up will remove: fetchd's own.
	stale := filepath.Join(u.images, state.PrivateDir, "partial", "sha512-"+strings.Repeat("0", 128)+".part")
	if err := os.WriteFile(stale, []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	u.holdCommit()

	p := localStart(u.faultWorld, nil, "sync", "--json", "--update", "always")
	u.waitHeld(p, "commit")
	attackMust(t, swapPrivate(`ln -s "$2" partial`), u.images, u.outside.decoys)
	u.release("commit")
	res := p.wait()
	if res.code != 0 {
		t.Errorf("sync under attack: exit %d\n%s", res.code, res.stderr)
	}
	u.checkMovedPrivate(b.data)
	u.outside.check(t)
	u.wantRefusal(u.run("sync"))
	u.outside.check(t)
	u.restorePrivate()
	if _, err := os.Stat(stale); err == nil {
		t.Errorf("the stale partial in fetchd's own partial area was not cleaned up")
	}

	// The same layout made by fetchd's own uid (a mistake, a script): a
	// symlink in the private directory is refused, naming it.
	priv := filepath.Join(u.images, state.PrivateDir)
	if err := os.Rename(filepath.Join(priv, "partial"), filepath.Join(priv, "partial.real")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(u.outside.decoys, filepath.Join(priv, "partial")); err != nil {
		t.Fatal(err)
	}
	res = u.run("sync")
	want := "fetchd: error: " + filepath.Join(priv, "partial") + " is a symbolic link"
	if res.code != 1 || !strings.Contains(res.stderr, want) {
		t.Errorf("exit %d, want 1 and %q:\n%s", res.code, want, res.stderr)
	}
	u.outside.check(t)
	if err := os.Remove(filepath.Join(priv, "partial")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(priv, "partial.real"), filepath.Join(priv, "partial")); err != nil {
		t.Fatal(err)
	}
	u.check(u.syncJSON(), expect{code: 0, changed: []string{localDebian}})
}

// TestFaultUserSameSize: the attacker puts its own bytes at an installed
// image's name, of the same size, with the mtime put back (touch -r), so
// that size and mtime match the no-op record.
//
//   - new inode: its own writable file renamed over the name. The inode,
//     owner, mode and ctime do not match: the file is not trusted, it is
//     moved aside (kept, named in the summary) and the name links to the
//     verified build again, without a download.
//   - in place: the operator loosened the image (chown to the attacker,
//     mode 0666), and the attacker wrote over it (same inode, same size,
//     mtime restored). The name is a link to the build, so the build's
//     bytes changed too. While the file is the attacker's, fetchd refuses
//     its private directory, naming the build. Once the operator has put
//     owner and mode back, only the ctime tells, and it is enough: the
//     build is hashed, moved aside and downloaded again.
func TestFaultUserSameSize(t *testing.T) {
	t.Parallel()
	t.Run("new-inode", func(t *testing.T) {
		t.Parallel()
		u := newUserWorld(t)
		name := filepath.Join(u.images, localDebian)
		evil := u.evilQcow2(len(u.good[localDebian]))
		gets := u.countImageGets()
		attackMust(t, `set -e
cp "$2" "$1.new"
chmod 666 "$1.new"
touch -r "$1" "$1.new"
mv -f "$1.new" "$1"`, name, evil)
		var st unix.Stat_t
		if err := unix.Stat(name, &st); err != nil || st.Uid != attackerUID || st.Size != int64(len(u.good[localDebian])) {
			t.Fatalf("the attacker's file is not in place: %v %+v", err, st)
		}

		res := u.syncJSON()
		u.check(res, expect{code: 0})
		u.wantReplacedFrom(res, evil, "replaced")
		if n := gets(); n != 0 {
			t.Errorf("%d image downloads, want none: the build was on disk", n)
		}
		u.checkBuilds(evil)
		u.outside.check(t)
	})
	t.Run("in-place", func(t *testing.T) {
		t.Parallel()
		u := newUserWorld(t)
		name := filepath.Join(u.images, localDebian)
		evil := u.evilQcow2(len(u.good[localDebian]))
		build, _ := u.buildOf(filepath.Join(u.images, state.PrivateDir), u.good[localDebian])
		gets := u.countImageGets()
		var before unix.Stat_t
		if err := unix.Stat(name, &before); err != nil {
			t.Fatal(err)
		}
		// The operator's mistake: the image handed to the attacker.
		if err := os.Chown(name, attackerUID, attackerUID); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(name, 0o666); err != nil {
			t.Fatal(err)
		}
		attackMust(t, `set -e
touch -r "$1" "$1.ref"
dd if="$2" of="$1" conv=notrunc status=none
touch -r "$1.ref" "$1"
rm -f "$1.ref"`, name, evil)

		// While the file is the attacker's: the build in the private
		// directory is, and fetchd refuses, naming it.
		res := u.run("sync")
		want := fmt.Sprintf("fetchd: error: %s is owned by uid %d, not by uid 0 that fetchd runs as", build, attackerUID)
		if res.code != 1 || !strings.Contains(res.stderr, want) {
			t.Errorf("exit %d, want 1 and %q:\n%s", res.code, want, res.stderr)
		}

		// The operator puts owner and mode back: inode, size, mtime,
		// owner and mode are the record's; only the ctime is not.
		if err := os.Chown(name, 0, 0); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(name, 0o444); err != nil {
			t.Fatal(err)
		}
		var after unix.Stat_t
		if err := unix.Stat(name, &after); err != nil {
			t.Fatal(err)
		}
		if after.Ino != before.Ino || after.Size != before.Size || after.Mtim != before.Mtim ||
			after.Uid != before.Uid || after.Mode != before.Mode || after.Ctim == before.Ctim ||
			!bytes.Equal(u.read(localDebian), mustReadFile(t, evil)) {
			t.Fatalf("want the attacker's bytes in the same inode with only the ctime changed:\nbefore %+v\nafter  %+v", before, after)
		}
		res = u.syncJSON()
		u.check(res, expect{code: 0})
		u.wantReplacedFrom(res, evil, "replaced (hashed again, not trusted)")
		// The build's only copy was the one written over: one download.
		if n := gets(); n != 1 {
			t.Errorf("%d image downloads, want 1: the build itself was changed", n)
		}
		u.checkBuilds(evil)
		u.outside.check(t)
	})
}

// wantReplacedFrom checks that the sync replaced the debian image: the name
// has the verified build again and the attacker's file evil is kept
// aside. want is the message's wanted state.
func (u *userWorld) wantReplacedFrom(res runResult, evil, want string) {
	u.t.Helper()
	if res.summary[localDebian] != "replaced" {
		u.t.Errorf("%s: %q, want %s", localDebian, res.summary[localDebian], want)
	}
	u.checkName(filepath.Join(u.images, state.PrivateDir), localDebian, u.good[localDebian])
	u.wantAside(res, mustReadFile(u.t, evil))
}

// countImageGets counts the server's GETs of .qcow2 files from now on.
func (u *userWorld) countImageGets() func() int {
	var n int
	var mu sync.Mutex
	u.srv.Hook(func(_ http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, ".qcow2") && r.Method == http.MethodGet {
			mu.Lock()
			n++
			mu.Unlock()
		}
		return false
	})
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// wantAside: data was kept in the aside area, and the run's summary names
// every file there.
func (u *userWorld) wantAside(res runResult, data []byte) {
	u.t.Helper()
	aside := u.asideFiles()
	if !containsBytes(aside, data) {
		u.t.Errorf("the attacker's bytes were not kept aside (aside: %d files)", len(aside))
	}
	for p := range aside {
		if !strings.Contains(res.stdout, p) {
			u.t.Errorf("the summary does not name %s:\n%s", p, res.stdout)
		}
	}
}

// TestFaultUserResolveCache: the attacker wants fetchd to believe a
// resolve answer it wrote (another URL and digest). It cannot write the
// cache; its own .fetchd with such a cache is refused before anything is
// read; a cache file another uid owns, or one over the size cap, is not
// believed.
func TestFaultUserResolveCache(t *testing.T) {
	t.Parallel()
	u := newUserWorld(t)
	evil := u.evilQcow2(0)
	evilURL, evilSHA := u.serveFile("evil/evil.qcow2", mustReadFile(t, evil))
	var evilGets int
	var mu sync.Mutex
	u.srv.Hook(func(_ http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.URL.Path, "/evil/") {
			mu.Lock()
			evilGets++
			mu.Unlock()
		}
		return false
	})
	cache := filepath.Join(u.images, state.PrivateDir, "cache", "resolve.json")
	orig, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	forged := forgeResolveCache(t, orig, evilURL, evilSHA, len(mustReadFile(t, evil)))
	if err := os.WriteFile(filepath.Join(u.root, "forged.json"), forged, 0o644); err != nil {
		t.Fatal(err)
	}
	attackRefused(t, "writing the resolve cache", `cp "$2" "$1"`, cache, filepath.Join(u.root, "forged.json"))
	attackRefused(t, "reading the resolve cache", `cat "$1"`, cache)

	// Its own .fetchd, with the forged cache: refused by name.
	attackMust(t, swapPrivate(`mkdir cache
cp "$2" cache/resolve.json`), u.images, filepath.Join(u.root, "forged.json"))
	u.wantRefusal(u.run("sync", "--update", "always"))
	u.restorePrivate()

	// The forged file in fetchd's cache, owned by the attacker (written
	// through an older, looser layout): refused, naming it.
	if err := os.WriteFile(cache, forged, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(cache, attackerUID, attackerUID); err != nil {
		t.Fatal(err)
	}
	res := u.run("sync", "--update", "always")
	want := fmt.Sprintf("fetchd: error: %s is owned by uid %d, not by uid 0 that fetchd runs as", cache, attackerUID)
	if res.code != 1 || !strings.Contains(res.stderr, want) {
		t.Errorf("exit %d, want 1 and %q:\n%s", res.code, want, res.stderr)
	}
	// A cache file over the cap (fetchd's own): not read, not believed;
	// the sources are asked again and everything is present.
	big := append(bytes.Repeat([]byte(" "), 5<<20), forged...)
	if err := os.Remove(cache); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cache, big, 0o600); err != nil {
		t.Fatal(err)
	}
	res = u.syncJSON("--update", "always")
	u.check(res, expect{code: 0})
	for _, n := range defaultImages {
		if res.summary[n] != "present" {
			t.Errorf("%s: %q, want present", n, res.summary[n])
		}
	}
	mu.Lock()
	if evilGets != 0 {
		t.Errorf("%d requests for the forged URL", evilGets)
	}
	mu.Unlock()
	u.checkBuilds(evil)
	u.outside.check(t)

	// Control: the forgery is one fetchd would act on were it its own
	// uid's file under the cap — what it cannot defend against (see
	// SECURITY.md) — so the refusals above are what kept it out.
	if err := os.WriteFile(cache, forged, 0o600); err != nil {
		t.Fatal(err)
	}
	u.run("sync", "--update", "always")
	mu.Lock()
	if evilGets == 0 {
		t.Errorf("control: fetchd did not act on the forged cache written by its own uid; the cases above prove nothing")
	}
	mu.Unlock()
}

// forgeResolveCache rewrites every recorded answer of a resolve cache to
// name url, the sha256 digest and size instead, keeping the rest as
// fetchd wrote it (the documents' digests included), so that only the
// trust in the file decides whether it is believed.
func forgeResolveCache(t *testing.T, orig []byte, url, sha string, size int) []byte {
	t.Helper()
	var entries map[string]map[string]any
	if err := json.Unmarshal(orig, &entries); err != nil || len(entries) == 0 {
		t.Fatalf("the resolve cache (%v):\n%s", err, orig)
	}
	for _, e := range entries {
		art, ok := e["artifact"].(map[string]any)
		if !ok {
			t.Fatalf("a resolve cache entry without an artifact:\n%s", orig)
		}
		art["URL"] = url
		art["Digest"] = map[string]any{"Algorithm": "sha256", "Hex": sha}
		art["Size"] = size
		e["at"] = time.Now().UTC()
	}
	out, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFaultUserLock: the attacker tries to hold the directory lock
// (flock -x) so that fetchd waits forever. The lock is 0600 in the 0700
// private directory: it cannot even open it, and sync runs. A process
// that can hold it (fetchd's own uid) is named by its real pid, and
// --lock-timeout bounds the wait.
func TestFaultUserLock(t *testing.T) {
	t.Parallel()
	u := newUserWorld(t)
	lockPath := filepath.Join(u.images, state.PrivateDir, "lock")
	attackRefused(t, "flock on the lock", `flock -x -n "$1" true`, lockPath)
	if fi, err := os.Stat(lockPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	u.check(u.syncJSON(), expect{code: 0})

	// The lock held by another process of fetchd's uid: sync waits at
	// most --lock-timeout and names that process.
	holder := exec.Command("flock", "-x", lockPath, "sh", "-c", `: > "$1"; exec sleep 300`, "flock", filepath.Join(u.gate, "locked"))
	// Its own process group: flock's child (the sleep) holds the lock
	// too, and both must go.
	holder.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() {
		_ = syscall.Kill(-holder.Process.Pid, syscall.SIGKILL)
		_ = holder.Wait()
	}
	t.Cleanup(stop)
	localWaitFor(t, "flock to hold the lock", nil, func() bool {
		_, err := os.Stat(filepath.Join(u.gate, "locked"))
		return err == nil
	})
	res := u.run("sync", "--lock-timeout", "1s")
	if res.code != 1 {
		t.Errorf("sync with the lock held: exit %d, want 1\n%s", res.code, res.stderr)
	}
	// flock(1) holds the lock and execs its command: the holder is
	// that process, whatever it runs now.
	if want := fmt.Sprintf("pid %d (flock)", holder.Process.Pid); !strings.Contains(res.stderr, want) || !strings.Contains(res.stderr, u.images) {
		t.Errorf("the message does not name the holder %q and the directory:\n%s", want, res.stderr)
	}
	stop()
	u.check(u.syncJSON(), expect{code: 0})
	u.checkNames()
	u.outside.check(t)
}

// TestFaultUserOwnDisk: a user's own VM disk sits at a name the operator
// then configures. fetchd has no record of it and it is not upstream's
// build: it is moved aside into the private directory, kept byte for
// byte, named in the summary, and the verified build is installed at the
// name.
func TestFaultUserOwnDisk(t *testing.T) {
	t.Parallel()
	u := newUserWorld(t)
	const name = "lab-vm.qcow2"
	disk := u.evilQcow2(0)
	attackMust(t, `cp "$1" "$2/$3"`, disk, u.images, name)
	url, sha := u.serveFile("direct/lab.qcow2", u.factory.Next())
	u.addImages(fmt.Sprintf("  %s:\n    url: %s\n    checksum: sha256:%s\n", name, url, sha))

	res := u.syncJSON()
	u.check(res, expect{code: 0})
	if got := res.summary[name]; got != "installed" && got != "replaced" {
		t.Errorf("%s: %q, want installed or replaced", name, got)
	}
	aside := u.asideFiles()
	if !containsBytes(aside, mustReadFile(t, disk)) {
		t.Fatalf("the user's disk was not kept aside")
	}
	for p, data := range aside {
		if bytes.Equal(data, mustReadFile(t, disk)) && !strings.Contains(res.stdout, p) {
			t.Errorf("the summary does not name %s:\n%s", p, res.stdout)
		}
	}
	u.outside.check(t)
}

// TestFaultUserPartialOtherFS: a partial area on another filesystem than
// the image directory (a mount inside .fetchd) is a clear error found
// before any download.
func TestFaultUserPartialOtherFS(t *testing.T) {
	t.Parallel()
	u := newUserWorld(t)
	b := localPublishDebian(t, u.faultWorld)
	g := newLocalGate(b)
	g.release() // count requests only
	u.srv.Hook(g.hook)
	partial := filepath.Join(u.images, state.PrivateDir, "partial")
	if err := unix.Mount("tmpfs", partial, "tmpfs", 0, "size=1m,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v)", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(partial, unix.MNT_DETACH) })
	res := u.run("sync", "--update", "always")
	want := "fetchd: error: " + partial + " is on another filesystem than the image directory " + u.images
	if res.code != 1 || !strings.Contains(res.stderr, want) {
		t.Errorf("exit %d, want 1 and %q:\n%s", res.code, want, res.stderr)
	}
	if gets, _ := g.requests(); gets != 0 {
		t.Errorf("%d downloads of the build, want none", gets)
	}
	u.checkNames()
	u.outside.check(t)
}

// TestFaultUserPrivateModes: a .fetchd that others could write (root's,
// mode 0777) is refused, naming it; one only readable by others (0755, as
// an older fetchd made it) is taken and tightened to 0700.
func TestFaultUserPrivateModes(t *testing.T) {
	t.Parallel()
	u := newUserWorld(t)
	priv := filepath.Join(u.images, state.PrivateDir)
	if err := os.Chmod(priv, 0o777); err != nil {
		t.Fatal(err)
	}
	res := u.run("sync")
	want := "fetchd: error: " + priv + " is writable by every user (mode 0777)"
	if res.code != 1 || !strings.Contains(res.stderr, want) || !strings.Contains(res.stderr, "fetchd: hint: ") {
		t.Errorf("exit %d, want 1 and %q with a hint:\n%s", res.code, want, res.stderr)
	}
	if err := os.Chmod(priv, 0o755); err != nil {
		t.Fatal(err)
	}
	u.check(u.syncJSON(), expect{code: 0})
	if fi, err := os.Stat(priv); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("%s after a sync: %v, %v; want mode 0700", priv, fi.Mode(), err)
	}
	attackRefused(t, "listing .fetchd", `ls "$1"`, priv)
	u.outside.check(t)
}

// TestFaultUserServeSwap: a long-running fetchd serve between jobs. The
// attacker swaps its own .fetchd in: the next job fails, naming the
// private directory, and nothing is written in the attacker's directory.
func TestFaultUserServeSwap(t *testing.T) {
	t.Parallel()
	u := newUserWorld(t)
	serveOn(u.faultWorld)
	p := startServe(u.faultWorld)
	token := p.token()
	attackMust(t, swapPrivate(`mkdir cache partial builds`), u.images)
	// The harness reads the token where it was (the test's copy, not
	// anything fetchd reads).
	if err := os.WriteFile(filepath.Join(u.images, state.PrivateDir, "api-token"), []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	// The API socket is in fetchd's own directory, wherever it is now.
	p.client = unixClient(filepath.Join(u.images, state.PrivateDir+".moved", "run", "api.sock"))
	j := p.waitJob(p.submit("/v1/sync", ""))
	priv := filepath.Join(u.images, state.PrivateDir)
	// Whether the job opens the store afresh (then the impostor's owner is
	// refused) or checks the one it holds (then the swap is noticed), it
	// is refused, naming the directory.
	if j.State == "succeeded" || !(strings.Contains(j.Error, fmt.Sprintf("%s is owned by uid %d", priv, attackerUID)) ||
		strings.Contains(j.Error, priv+" is no longer the directory fetchd opened")) {
		t.Errorf("sync job after the swap: %s, %q; want it refused naming %s", j.State, j.Error, priv)
	}
	for _, area := range []string{"cache", "partial", "builds"} {
		if ents, _ := os.ReadDir(filepath.Join(priv, area)); len(ents) > 0 {
			t.Errorf("fetchd wrote into the attacker's %s: %d entries", area, len(ents))
		}
	}
	if res := p.stop(); res.code != 0 && res.code != 1 {
		t.Errorf("serve: exit %d\n%s", res.code, res.stderr)
	}
	u.restorePrivate()
	u.check(u.syncJSON(), expect{code: 0})
	u.outside.check(t)
}

// TestFaultUserStickyDir: what SECURITY.md advises instead of 0777. With
// the sticky bit (1777) other users can still add files, but can no
// longer rename fetchd's .fetchd or replace an image name; fetchd does not
// warn about the directory.
func TestFaultUserStickyDir(t *testing.T) {
	t.Parallel()
	u := newUserWorld(t)
	if err := unix.Chmod(u.images, 0o1777); err != nil {
		t.Fatal(err)
	}
	evil := u.evilQcow2(0)
	for what, script := range map[string]string{
		"renaming .fetchd away":       `mv "$1/.fetchd" "$1/.fetchd.moved"`,
		"replacing an image name":     `cp "$2" "$1/.new"; mv -f "$1/.new" "$1/$3"; r=$?; rm -f "$1/.new"; exit $r`,
		"removing an image name":      `rm -f "$1/$3"`,
		"renaming an image name away": `mv "$1/$3" "$1/.old"`,
	} {
		out, ok := attack(t, script, u.images, evil, localDebian)
		if ok || !strings.Contains(out, "Operation not permitted") {
			t.Errorf("%s in a sticky directory as uid %d: %v, want operation not permitted:\n%s", what, attackerUID, ok, out)
		}
	}
	res := u.syncJSON()
	u.check(res, expect{code: 0})
	if strings.Contains(res.stderr, "without the sticky bit") {
		t.Errorf("a warning about the sticky directory:\n%s", res.stderr)
	}
	u.outside.check(t)
}

// asideFiles reads the aside area: path → content.
func (u *userWorld) asideFiles() map[string][]byte {
	u.t.Helper()
	dir := filepath.Join(u.images, state.PrivateDir, "aside")
	ents, err := os.ReadDir(dir)
	if err != nil {
		u.t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
			m[p], _ = os.ReadFile(p)
		} else {
			m[p] = nil
		}
	}
	return m
}

func containsBytes(m map[string][]byte, b []byte) bool {
	for _, v := range m {
		if bytes.Equal(v, b) {
			return true
		}
	}
	return false
}

func mustReadFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sha512Hex(b []byte) string {
	s := sha512.Sum512(b)
	return hex.EncodeToString(s[:])
}

// TestFaultUserSegmentState: an interrupted download over several
// connections keeps a resume state next to its partial saying where the
// kept bytes are; the attacker wants fetchd to take its bytes for them.
// It cannot reach the state fetchd keeps (the partial area is 0700 inside
// a 0700 .fetchd). A .fetchd it swaps in, with its own partial and a
// state claiming every byte, is refused, naming it. When the operator has
// opened the private directory up and the attacker rewrote the partial and
// its state in place, fetchd refuses them while others can write them;
// once the operator tightens them again they are fetchd's own files as far
// as the kernel can tell, and the kept bytes are hashed again: the lie
// costs one download from zero, never an install.
func TestFaultUserSegmentState(t *testing.T) {
	t.Parallel()
	u := newUserWorld(t)
	u.base += "connections: 4\n"
	u.env = append(u.env, "FETCHD_TEST_MIN_SEGMENT=16384")
	u.writeConfig()
	b := localPublishDebian(t, u.faultWorld)
	var lastMod string
	if fi, err := os.Stat(filepath.Join(u.root, filepath.FromSlash(strings.TrimPrefix(b.urlPath, "/")))); err == nil {
		lastMod = fi.ModTime().UTC().Format(http.TimeFormat)
	}
	// Every segment but the first is cut short: the sync gives up and
	// keeps the partial with holes, and its state.
	u.srv.Hook(func(w http.ResponseWriter, r *http.Request) bool {
		first, last, ok := srvRange(r, len(b.data))
		if r.URL.Path != b.urlPath || r.Method != http.MethodGet || !ok || first == 0 {
			return false
		}
		w.Header().Set("Last-Modified", lastMod)
		srvHead(w, first, last, len(b.data))
		_, _ = w.Write(b.data[first:min(last+1, first+4096)])
		srvFlush(w)
		panic(http.ErrAbortHandler)
	})
	u.check(u.syncJSON("--update", "always"), expect{code: 1, failed: map[string]string{localDebian: "(partial kept for resume)"}})
	u.srv.Hook(nil)
	partDir := filepath.Join(u.images, state.PrivateDir, "partial")
	part := filepath.Join(partDir, partialName(b.data))
	statePath := part + download.StateSuffix
	if _, err := os.Stat(statePath); err != nil {
		t.Fatalf("no resume state after the interruption: %v", err)
	}
	size := len(b.data)
	lie := fmt.Sprintf(`{"version":1,"digest":"sha512:%s","size":%d,"written":[[0,%d]]}`, sha512Hex(b.data), size, size)
	garbage := `head -c "$3" /dev/zero | tr '\0' '\377'`

	attackRefused(t, "rewriting the resume state", `printf '%s' "$2" > "$1"`, statePath, lie)

	attackMust(t, swapPrivate(`mkdir partial
`+garbage+` > "partial/$4"
printf '%s' "$2" > "partial/$4.segments"`), u.images, lie, fmt.Sprint(size), filepath.Base(part))
	u.wantRefusal(u.run("sync", "--update", "always"))
	u.outside.check(t)
	u.restorePrivate()

	// The operator opens the private directory up; the attacker rewrites
	// the partial and its state in place (the files stay root's).
	for _, d := range []string{filepath.Dir(partDir), partDir} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{part, statePath} {
		if err := os.Chmod(p, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	attackMust(t, garbage+` > "$1" && printf '%s' "$2" > "$1.segments"`, part, lie, fmt.Sprint(size))
	res := u.run("sync", "--update", "always")
	if res.code != 1 || !strings.Contains(res.stderr, "fetchd: error: "+partDir+"/") || !strings.Contains(res.stderr, "is writable by every user (mode 0666)") {
		t.Errorf("exit %d, want 1 and the writable file in %s named:\n%s", res.code, partDir, res.stderr)
	}
	if got := u.read(localDebian); !bytes.Equal(got, u.good[localDebian]) {
		t.Errorf("%s changed while the private directory was refused", localDebian)
	}

	// Tightened again: nothing tells these files from fetchd's own but
	// their bytes, and those are hashed again.
	for _, p := range []string{part, statePath} {
		if err := os.Chmod(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	res = u.syncJSON("--update", "always")
	u.check(res, expect{code: 0, changed: []string{localDebian}})
	u.checkName(filepath.Join(u.images, state.PrivateDir), localDebian, b.data)
	u.buildOf(filepath.Join(u.images, state.PrivateDir), u.good[localDebian]) // the previous build, intact
	// The state claims every byte: they are hashed, the digest is wrong,
	// and the download starts over from byte 0.
	if got := srvBytesReused(t, res, localDebian); got != 0 {
		t.Errorf("reused %d bytes on the word of the attacker's state", got)
	}
	if got, _ := srvImageField(t, res, localDebian, "bytes_transferred").(float64); int(got) != size {
		t.Errorf("took in %v bytes, want the whole build (%d) from zero", got, size)
	}
	u.checkBuilds("")
	u.outside.check(t)
}
