package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/overlay"
	"github.com/sandlabx/fetchd/internal/qcow2"
	"github.com/sandlabx/fetchd/internal/qemuimg"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/store"
)

// Overlays are read only when a name is about to move to another build
// (and by prune): a sync that moves nothing opens no file in the overlay
// directories. The run scans once, under the directory lock, the first
// time it needs to.

// overlayIndex is the run's scan of the configured overlay directories.
func (r *run) overlayIndex() (*overlay.Index, error) {
	r.overlayOnce.Do(func() {
		dirs := r.e.Config.Overlays
		if len(dirs) == 0 {
			r.overlays = &overlay.Index{}
			return
		}
		var skip []string
		if r.st != nil {
			skip = append(skip, filepath.Join(r.st.Dir(), store.PrivateDir))
		}
		r.overlays, r.overlaysErr = overlay.Scan(dirs, overlay.Limits{Skip: skip})
	})
	return r.overlays, r.overlaysErr
}

// nameUsers are the VM disks that use an image by its name: overlays whose
// backing file is the name's path (not the build's own path). A file of
// the overlay directories that looks like qcow2 but cannot be read may be
// one: it counts, with why (fail closed).
type nameUsers struct {
	overlays []overlay.Overlay
	unread   []overlay.Problem
}

func (u nameUsers) any() bool { return len(u.overlays)+len(u.unread) > 0 }

func (u nameUsers) paths() []string {
	out := overlay.Paths(u.overlays)
	for _, p := range u.unread {
		out = append(out, p.Path)
	}
	return out
}

func (r *run) usersOfName(name string) (nameUsers, error) {
	idx, err := r.overlayIndex()
	if err != nil {
		return nameUsers{}, fmt.Errorf("cannot tell which VM disks use the name: %w", err)
	}
	return nameUsers{overlays: idx.ByPath(r.st.NamePath(name)), unread: idx.Problems}, nil
}

// moveChoice is what to do with a name that VM disks use by that name
// when it is to move to another build.
type moveChoice int

const (
	moveFree   moveChoice = iota // nothing uses the name: move it
	moveHold                     // keep the name; the new build waits as pending
	moveRebase                   // rebase the users onto the old build, then move
	moveForce                    // move anyway
)

// chooseMove is the move decision, from who uses the name and the run's
// options.
func chooseMove(u nameUsers, o MoveOptions) moveChoice {
	switch {
	case !u.any():
		return moveFree
	case o.Force:
		return moveForce
	case o.Rebase && len(u.unread) == 0:
		return moveRebase
	}
	return moveHold
}

// holdMove records b as the image's pending build (committed and ready,
// kept whatever retention says) and reports the image held by its users.
func (r *run) holdMove(im config.Image, l local, b state.Build, u nameUsers, why string) Result {
	key := b.Digest.String()
	res := Result{Outcome: Held, Local: r.current(l), BuildPath: r.st.Path(store.Builds, l.cur.File),
		HeldBy: u.paths(), PendingPath: r.st.Path(store.Builds, b.File)}
	pb := b
	res.Pending = &pb
	if err := r.update(im.Name, func(s *state.State) {
		rec := s.Images[im.Name]
		rec.Pending = key
		s.SetImage(im.Name, rec)
	}); err != nil {
		res.Outcome, res.Err = Failed, err
		return res
	}
	n := len(res.HeldBy)
	res.Note = fmt.Sprintf("%s is ready at %s, but %s %s the name (%s): the name stays at %s",
		b.Version, res.PendingPath, plural(n, "VM disk", "VM disks"), map[bool]string{true: "uses", false: "use"}[n == 1],
		strings.Join(res.HeldBy, ", "), l.cur.Version)
	for _, p := range u.unread {
		res.Note = joinNote(res.Note, fmt.Sprintf("%s could not be read (%v), so it may use the name", p.Path, p.Err))
	}
	if why != "" {
		res.Note = joinNote(res.Note, why)
	} else {
		res.Note = joinNote(res.Note, "sync --rebase-overlays rebases them onto "+res.BuildPath+" (the same bytes) and moves the name")
	}
	return res
}

// rebaseUsers rewrites each overlay's backing file to the old build's
// immutable path (qemu-img rebase -u: the bytes behind it are the same).
// It returns the overlays it could not rebase, with why.
func (r *run) rebaseUsers(ctx context.Context, name string, old state.Build, users []overlay.Overlay) ([]overlay.Overlay, []string) {
	target := r.st.Path(store.Builds, old.File)
	namePath := overlay.Canonical(r.st.NamePath(name))
	var failed []overlay.Overlay
	var why []string
	for _, o := range users {
		if err := r.rebaseOne(ctx, o, namePath, target, old.Format); err != nil {
			failed = append(failed, o)
			why = append(why, err.Error())
		}
	}
	return failed, why
}

// rebaseOne rebases one overlay, through a descriptor opened without
// following a symlink, after reading its header again from that
// descriptor: it must still name the image's name.
func (r *run) rebaseOne(ctx context.Context, o overlay.Overlay, namePath, target, format string) error {
	f, err := os.OpenFile(o.Path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("rebase %s: %w", o.Path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("rebase %s: %w", o.Path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("rebase %s: not a regular file any more", o.Path)
	}
	b, err := qcow2.ReadBacking(f, fi.Size(), 0)
	if err != nil {
		return fmt.Errorf("rebase %s: read its header: %w", o.Path, err)
	}
	if overlay.Resolve(filepath.Dir(o.Path), b.Name) != namePath {
		return fmt.Errorf("rebase %s: its backing file changed since the scan (now %q)", o.Path, b.Name)
	}
	if err := r.e.QemuImg.RebaseUnsafeOpen(ctx, f, target, format); err != nil {
		if _, ok := errors.AsType[*qemuimg.InUseError](err); ok {
			return fmt.Errorf("not rebased: %w", err)
		}
		return fmt.Errorf("rebase %s: %w", o.Path, err)
	}
	b, err = qcow2.ReadBacking(f, fi.Size(), 0)
	if err != nil || b.Name != target {
		return fmt.Errorf("rebase %s: qemu-img succeeded but the header names %q (%v)", o.Path, b.Name, err)
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
