package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/sandlabx/fetchd/internal/config"
)

// Status reports what is on disk for each image, from state.json and the
// files' size and modification time only (nothing is hashed). With check,
// it also asks upstream for the current build and reports images whose
// upstream build differs as outdated.
func (e *Engine) Status(ctx context.Context, names []string, check bool) ([]Result, error) {
	images, err := e.images(names)
	if err != nil {
		return nil, err
	}
	e.loadState()
	results := make([]Result, len(images))
	var wg sync.WaitGroup
	for i, im := range images {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.statusOne(ctx, im, check)
			results[i].Name = im.Name
		}()
	}
	wg.Wait()
	return results, nil
}

func (e *Engine) statusOne(ctx context.Context, im config.Image, check bool) Result {
	l := e.inspect(im.Name)
	r := Result{Local: entryPtr(l)}
	switch {
	case l.blocking != nil:
		return Result{Outcome: Failed, Err: l.blocking}
	case l.trusted:
		r.Outcome = Present
	case l.exists:
		r.Outcome, r.Note = Modified, "the file on disk "+l.problem
	default:
		r.Outcome = Missing
	}
	if !check {
		return r
	}
	art, err := e.target(ctx, im)
	if err != nil {
		r.Err = fmt.Errorf("checking upstream: %w", err)
		return r
	}
	r.Upstream = &art
	if r.Outcome == Present && l.entry.Digest != art.Digest {
		r.Outcome = Outdated
		r.Note = fmt.Sprintf("upstream has %s (on disk: %s)", art.Version, l.entry.Version)
	}
	return r
}

// Verify re-hashes each image and runs the header inspection and qemu-img
// checks again. A file whose digest no longer matches its record loses the
// record, so that the next sync replaces it. The caller holds the lock.
func (e *Engine) Verify(ctx context.Context, names []string) ([]Result, error) {
	images, err := e.images(names)
	if err != nil {
		return nil, err
	}
	e.loadState()
	results := make([]Result, len(images))
	sem := make(chan struct{}, max(1, e.Config.Parallel))
	var wg sync.WaitGroup
	for i, im := range images {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = e.verifyOne(ctx, im)
			results[i].Name = im.Name
			e.reporter().Event(Event{Kind: Done, Image: im.Name, Result: &results[i]})
		}()
	}
	wg.Wait()
	return results, nil
}

func (e *Engine) verifyOne(ctx context.Context, im config.Image) Result {
	l := e.inspect(im.Name)
	switch {
	case l.blocking != nil:
		return Result{Outcome: Failed, Err: l.blocking}
	case !l.exists:
		return Result{Outcome: Missing, Err: errors.New("not on disk")}
	case !l.known:
		return Result{Outcome: Modified, Err: errors.New("fetchd has no record of this file, so nothing to verify it against (run sync)")}
	case !l.fi.Mode().IsRegular():
		return Result{Outcome: Modified, Err: fmt.Errorf("the file on disk %s", l.problem)}
	}
	e.reporter().Event(Event{Kind: Verifying, Image: im.Name})
	got, err := hashFile(ctx, l.path, l.entry.Digest.Algorithm)
	if err != nil {
		return Result{Outcome: Failed, Local: entryPtr(l), Err: err}
	}
	if got != l.entry.Digest {
		e.forget(im.Name)
		return Result{Outcome: Modified, Local: entryPtr(l),
			Err: fmt.Errorf("digest mismatch: recorded %s, the file has %s (modified or corrupted on disk; the next sync replaces it)", l.entry.Digest.Short(), got.Short())}
	}
	by, err := e.verifyFile(ctx, l.path, sdkFormat(l.entry.Format))
	if err != nil {
		e.forget(im.Name)
		return Result{Outcome: Failed, Local: entryPtr(l), Err: err}
	}
	ent := l.entry.Stamp(l.fi)
	ent.VerifiedAt = e.now().UTC()
	ent.VerifiedBy = []string{string(ent.Digest.Algorithm)}
	if slices.Contains(l.entry.VerifiedBy, checkedBySignature) {
		// The signature was checked over exactly these bytes (the digest
		// still matches), so the check still stands.
		ent.VerifiedBy = append(ent.VerifiedBy, checkedBySignature)
	}
	ent.VerifiedBy = append(ent.VerifiedBy, by...)
	if err := e.record(im.Name, ent); err != nil {
		return Result{Outcome: Failed, Local: &ent, Err: err}
	}
	r := Result{Outcome: Verified, Local: &ent}
	if !l.trusted {
		r.Note = "the file's modification time had changed; its content still matches"
	}
	return r
}

// forget drops an image's record, so that sync no longer trusts the file.
func (e *Engine) forget(name string) {
	e.stateMu.Lock()
	defer e.stateMu.Unlock()
	e.state.Delete(name)
	_ = e.state.Save(e.dir())
}
