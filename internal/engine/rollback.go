package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/overlay"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/store"
)

// Rollback moves the image's name back to one of its kept previous builds:
// version names it (its version as the source named it, its digest, or a
// prefix of the digest's hex of at least 8 characters); "" is the newest
// previous build. The build is checked again first (its digest, the
// header inspection, qemu-img info and check: what verify does), and a
// build that fails is not used. The build the name left becomes the
// newest previous build, so a second rollback goes forward again.
//
// The image is then held (a runtime hold, as Hold sets), so that the next
// sync does not move the name straight back to upstream's build; fetchd
// unhold lets the update policy apply again.
//
// VM disks that use the image by its name (not a build path) would see
// other bytes under their own blocks: the rollback is refused, naming
// them (*InUseError), unless move.Rebase (they are first rebased onto the
// build the name points at now, its immutable path: the same bytes) or
// move.Force. It takes the directory lock. The outcome is Held.
func (e *Engine) Rollback(ctx context.Context, name, version string, move MoveOptions) (Result, error) {
	images, err := e.images([]string{name})
	if err != nil {
		return Result{}, err
	}
	im := images[0]
	r, err := e.begin(ctx, writing)
	if err != nil {
		return Result{}, err
	}
	defer r.end()
	res, err := r.rollback(ctx, im, strings.TrimSpace(version), move)
	res.Name = im.Name
	if err != nil {
		return res, r.display(err)
	}
	r.e.reporter().Event(Event{Kind: Done, Image: im.Name, Result: &res})
	return res, nil
}

// RollbackError is a rollback that cannot be done: no kept build matches,
// or none is kept at all. Kept lists the builds it could move to.
type RollbackError struct {
	Name    string
	Version string
	Kept    []string // "1.2 (sha256:abcd…)"
	Retain  int
}

func (e *RollbackError) Error() string {
	switch {
	case len(e.Kept) == 0:
		return fmt.Sprintf("%s has no previous build kept to roll back to (retain: %d)", e.Name, e.Retain)
	case e.Version == "":
		return fmt.Sprintf("%s: no previous build", e.Name)
	}
	return fmt.Sprintf("%s has no kept build %q (kept: %s)", e.Name, e.Version, strings.Join(e.Kept, ", "))
}

// InUseError is a move refused because VM disks use the image by its
// name.
type InUseError struct {
	Name     string
	Overlays []string
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("%d VM disk(s) use %s by its name (%s): moving the name would change the bytes under their blocks; rebase them onto the build they use (--rebase-overlays) or force the move (--force-move)", len(e.Overlays), e.Name, strings.Join(e.Overlays, ", "))
}

func (r *run) rollback(ctx context.Context, im config.Image, version string, move MoveOptions) (Result, error) {
	l := r.inspect(im)
	if l.blocking != nil {
		return Result{Outcome: Failed}, l.blocking
	}
	var kept []state.Build
	r.view(func(s *state.State) {
		for _, k := range l.rec.Previous {
			if b, ok := s.Build(k); ok {
				kept = append(kept, b)
			}
		}
	})
	kept = slices.DeleteFunc(kept, func(b state.Build) bool {
		_, err := r.st.StatBuild(b.File)
		return err != nil
	})
	target, ok := pickBuild(kept, version)
	if !ok {
		re := &RollbackError{Name: im.Name, Version: version, Retain: im.Retain}
		for _, b := range kept {
			re.Kept = append(re.Kept, fmt.Sprintf("%s (%s)", orText(b.Version, "?"), b.Digest.Short()))
		}
		return Result{Outcome: Failed, Local: r.current(l)}, re
	}
	if l.cur.File != "" && target.Digest == l.cur.Digest {
		return Result{Outcome: Failed, Local: r.current(l)}, fmt.Errorf("%s already points at %s", im.Name, target.Version)
	}
	var rebased []string
	if l.at.Kind != store.NameMissing {
		u, err := r.usersOfName(im.Name)
		if err != nil {
			return Result{Outcome: Failed, Local: r.current(l)}, fmt.Errorf("not moving %s: %w", im.Name, err)
		}
		switch chooseMove(u, move) {
		case moveHold:
			return Result{Outcome: Failed, Local: r.current(l), HeldBy: u.paths()}, &InUseError{Name: im.Name, Overlays: u.paths()}
		case moveRebase:
			if l.build != buildOK {
				return Result{Outcome: Failed, HeldBy: u.paths()}, &InUseError{Name: im.Name, Overlays: u.paths()}
			}
			failed, why := r.rebaseUsers(ctx, im.Name, l.cur, u.overlays)
			if len(failed) > 0 {
				return Result{Outcome: Failed, Local: r.current(l), HeldBy: overlay.Paths(failed)},
					fmt.Errorf("%w; %s", &InUseError{Name: im.Name, Overlays: overlay.Paths(failed)}, strings.Join(why, "; "))
			}
			rebased = overlay.Paths(u.overlays)
		}
	}
	b, err := r.recheck(ctx, im.Name, target)
	if err != nil {
		return Result{Outcome: Failed, Local: r.current(l)}, fmt.Errorf("build %s (%s) no longer passes its checks, so not rolling back to it: %w", orText(target.Version, "?"), target.Digest.Short(), err)
	}
	from := orText(l.cur.Version, "(none)")
	mv, err := r.point(im, b, l.want)
	if err != nil {
		return Result{Outcome: Failed, Local: r.current(l)}, err
	}
	hold := &state.Hold{Reason: fmt.Sprintf("rolled back from %s to %s", from, orText(b.Version, b.Digest.Short())), At: r.e.now().UTC()}
	if err := r.update("the hold of "+im.Name, func(s *state.State) {
		rec := s.Images[im.Name]
		rec.Hold = hold
		s.SetImage(im.Name, rec)
	}); err != nil {
		return Result{Outcome: Failed, Local: &b}, err
	}
	var rec state.Image
	r.view(func(s *state.State) { rec = s.Images[im.Name] })
	res := Result{Outcome: Held, Local: &b, BuildPath: r.st.Path(store.Builds, b.File), MovedAside: nil,
		Hold: holdReason(im, rec),
		Note: fmt.Sprintf("rolled back from %s to %s (checked again: %s); held until fetchd unhold %s", from, orText(b.Version, b.Digest.Short()), strings.Join(b.VerifiedBy, ", "), im.Name)}
	if len(rebased) > 0 {
		res.Rebased = rebased
		res.Note = joinNote(res.Note, "VM disks rebased onto "+r.st.Path(store.Builds, l.cur.File)+" first: "+strings.Join(rebased, ", "))
	}
	if mv.aside != "" {
		res.MovedAside = []string{mv.aside}
		res.Note = joinNote(res.Note, "the file at the name was moved aside to "+mv.aside)
	}
	res.Builds, res.DiskBytes = r.keptBuilds(rec)
	return res, nil
}

// pickBuild finds the kept build version names.
func pickBuild(kept []state.Build, version string) (state.Build, bool) {
	if len(kept) == 0 {
		return state.Build{}, false
	}
	if version == "" {
		return kept[0], true
	}
	for _, b := range kept {
		if b.Version == version || b.Digest.String() == version {
			return b, true
		}
	}
	v := strings.TrimPrefix(strings.ToLower(version), "sha256:")
	v = strings.TrimSuffix(v, "…")
	if len(v) >= 8 {
		var found []state.Build
		for _, b := range kept {
			if strings.HasPrefix(b.Digest.Hex, v) {
				found = append(found, b)
			}
		}
		if len(found) == 1 {
			return found[0], true
		}
	}
	return state.Build{}, false
}

// recheck hashes a kept build and runs the checks after the digest again,
// through one open descriptor, and records the result. A build that
// fails loses its trust stamp.
func (r *run) recheck(ctx context.Context, name string, b state.Build) (state.Build, error) {
	f, err := r.st.OpenBuild(b.File)
	if err != nil {
		return b, err
	}
	defer f.Close()
	r.e.reporter().Event(Event{Kind: Verifying, Image: name})
	got, err := hashOpen(ctx, f, b.Digest.Algorithm)
	if err != nil {
		return b, err
	}
	if got != b.Digest {
		r.untrust(name, b)
		return b, fmt.Errorf("digest mismatch: recorded %s, the file has %s", b.Digest.Short(), got.Short())
	}
	c, err := r.e.verifyOpen(ctx, f, sdkFormat(b.Format))
	if err != nil {
		r.untrust(name, b)
		return b, err
	}
	stamp, err := store.StampFile(f)
	if err != nil {
		return b, err
	}
	by := []string{string(b.Digest.Algorithm)}
	if slices.Contains(b.VerifiedBy, checkedBySignature) {
		by = append(by, checkedBySignature)
	}
	b.Stamp, b.VerifiedAt, b.VerifiedBy, b.VirtualSize = stamp, r.e.now().UTC(), append(by, c.by...), c.virtualSize
	return b, r.update(name, func(s *state.State) { s.SetBuild(b) })
}
