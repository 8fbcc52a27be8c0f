package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/store"
)

// Verify re-hashes each image's current build and runs the header
// inspection and qemu-img checks again. A build whose digest no longer
// matches loses its trust stamp, so that the next sync hashes it, sets it
// aside and fetches it again. It takes the directory lock.
func (e *Engine) Verify(ctx context.Context, names []string) ([]Result, error) {
	images, err := e.images(names)
	if err != nil {
		return nil, err
	}
	r, err := e.begin(ctx, writing)
	if err != nil {
		return nil, err
	}
	defer r.end()
	results := make([]Result, len(images))
	sem := make(chan struct{}, max(1, e.Config.Parallel))
	var wg sync.WaitGroup
	for i, im := range images {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = r.verifyOne(ctx, im)
			results[i].Name = im.Name
			results[i].Err = r.display(results[i].Err)
			e.reporter().Event(Event{Kind: Done, Image: im.Name, Result: &results[i]})
		}()
	}
	wg.Wait()
	return results, nil
}

func (r *run) verifyOne(ctx context.Context, im config.Image) Result {
	l := r.inspect(im)
	switch {
	case l.blocking != nil:
		return Result{Outcome: Failed, Err: l.blocking}
	case l.at.Kind == store.NameMissing && !l.known:
		return Result{Outcome: Missing, Err: errors.New("not on disk")}
	case !l.known || l.cur.File == "":
		return Result{Outcome: Modified, Err: errors.New("fetchd has no record of this file, so nothing to verify it against (run sync)")}
	case l.build == buildMissing && l.at.Kind == store.NameFile && l.cur.Stamp.IsZero():
		return Result{Outcome: Modified, Err: errors.New("recorded by an earlier fetchd and not taken over yet (run sync)")}
	case l.build == buildMissing:
		return Result{Outcome: Missing, Err: fmt.Errorf("build %s is missing (the next sync fetches it again)", r.st.Path(store.Builds, l.cur.File))}
	}
	b := l.cur
	f, err := r.st.OpenBuild(b.File)
	if err != nil {
		return Result{Outcome: Failed, Local: &b, Err: err}
	}
	defer f.Close()
	r.e.reporter().Event(Event{Kind: Verifying, Image: im.Name})
	got, err := hashOpen(ctx, f, b.Digest.Algorithm)
	if err != nil {
		return Result{Outcome: Failed, Local: &b, Err: err}
	}
	if got != b.Digest {
		r.untrust(im.Name, b)
		return Result{Outcome: Modified, Local: &b,
			Err: fmt.Errorf("digest mismatch: recorded %s, the file has %s (modified or corrupted on disk; the next sync sets it aside and fetches it again)", b.Digest.Short(), got.Short())}
	}
	c, err := r.e.verifyOpen(ctx, f, sdkFormat(b.Format))
	if err != nil {
		r.untrust(im.Name, b)
		return Result{Outcome: Failed, Local: &b, Err: err}
	}
	stamp, err := store.StampFile(f)
	if err != nil {
		return Result{Outcome: Failed, Local: &b, Err: err}
	}
	wasTrusted := l.build == buildOK
	b.Stamp = stamp
	b.VerifiedAt = r.e.now().UTC()
	by := []string{string(b.Digest.Algorithm)}
	if slices.Contains(l.cur.VerifiedBy, checkedBySignature) {
		// The signature was checked over exactly these bytes (the digest
		// still matches), so the check still stands.
		by = append(by, checkedBySignature)
	}
	b.VerifiedBy = append(by, c.by...)
	b.VirtualSize = c.virtualSize
	if err := r.update(im.Name, func(s *state.State) { s.SetBuild(b) }); err != nil {
		return Result{Outcome: Failed, Local: &b, Err: err}
	}
	res := Result{Outcome: Verified, Local: &b, BuildPath: r.st.Path(store.Builds, b.File)}
	if !wasTrusted {
		res.Note = "the build's metadata had changed; its content still matches"
	}
	if !l.at.Stamp.SameFile(stamp) {
		res.Outcome = Modified
		res.Err = fmt.Errorf("the name is not the build fetchd installed (%s); the build is intact and the next sync points the name at it again", orText(l.problem, "missing"))
	}
	return res
}

// untrust clears a build's stamp, so the next sync hashes it again.
func (r *run) untrust(name string, b state.Build) {
	b.Stamp = state.Stamp{}
	_ = r.update(name, func(s *state.State) { s.SetBuild(b) })
}
