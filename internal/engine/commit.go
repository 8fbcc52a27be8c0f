package engine

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/store"
	"github.com/sandlabx/fetchd/sdk"
)

// ingest is a new build's bytes, open for reading: a finished download, a
// copy, or the file at a name taken over in place.
type ingest struct {
	f *os.File
	// partial is the file's name in the partial area, removed once it is
	// committed ("" for a file that is not a partial).
	partial string
}

// commit is the one way a build comes to be. f's digest is already known
// to be art's; commit checks it (the image signature, the header, qemu-img:
// all through the descriptor), seals it (read-only, fsync), links that very
// inode into the builds area and records the build. Install, adopt and the
// take-over of an older layout all end here.
func (r *run) commit(ctx context.Context, im config.Image, art sdk.Artifact, sig *imageSig, in ingest) (state.Build, error) {
	r.e.reporter().Event(Event{Kind: Verifying, Image: im.Name})
	c, err := r.e.checkNew(ctx, in.f, sig, &art)
	if err != nil {
		return state.Build{}, err
	}
	file := state.BuildFile(art.Digest, string(art.Format))
	if err := store.Seal(in.f); err != nil {
		return state.Build{}, err
	}
	if r.e.beforeCommit != nil {
		r.e.beforeCommit(in.f.Name())
	}
	err = r.st.CommitBuild(in.f, file)
	if errors.Is(err, store.ErrBuildExists) {
		// An unrecorded file holds this digest's name and is not these
		// bytes: keep it aside rather than trust or delete it.
		if _, aerr := r.st.MoveAside(store.Builds, file); aerr != nil {
			return state.Build{}, aerr
		}
		err = r.st.CommitBuild(in.f, file)
	}
	if err != nil {
		return state.Build{}, err
	}
	if in.partial != "" {
		if err := r.st.Remove(store.Partial, in.partial); err != nil {
			return state.Build{}, err
		}
	}
	stamp, err := r.st.StatBuild(file)
	if err != nil {
		return state.Build{}, err
	}
	b := state.Build{
		File: file, Source: im.Source, Release: art.Release, Arch: art.Arch, Variant: art.Variant,
		Version: art.Version, URL: art.URL, Format: string(art.Format), Digest: art.Digest,
		Size: stamp.Size, VirtualSize: c.virtualSize, Stamp: stamp,
		VerifiedAt: r.e.now().UTC(), VerifiedBy: c.by,
		ChecksumURL: art.ChecksumURL, Signature: signatureText(art.Signature),
	}
	if hs := r.e.hostSource(im); hs != nil {
		hs.Record(im, art, &b)
	}
	return b, r.update(im.Name, func(s *state.State) { s.SetBuild(b) })
}

// haveBuild returns the build of art if its bytes are in the builds area
// already: recorded and unchanged (or changed in metadata only: hashed
// again), or there unrecorded (a lost state file), then checked like a new
// build. ok is false when art must be fetched.
func (r *run) haveBuild(ctx context.Context, im config.Image, art sdk.Artifact) (state.Build, bool, error) {
	var b state.Build
	var recorded bool
	r.view(func(s *state.State) { b, recorded = s.Build(art.Digest.String()) })
	file := state.BuildFile(art.Digest, string(art.Format))
	if recorded && isOK(r.buildState(b)) {
		return b, true, nil
	}
	if recorded && b.File != file {
		file = b.File
	}
	f, err := r.st.OpenBuild(file)
	if errors.Is(err, os.ErrNotExist) {
		return state.Build{}, false, nil
	}
	if err != nil {
		return state.Build{}, false, err
	}
	defer f.Close()
	got, err := hashOpen(ctx, f, art.Digest.Algorithm)
	if err != nil {
		return state.Build{}, false, err
	}
	if got != art.Digest {
		// Not these bytes any more: a damaged build. Keep it aside and
		// fetch the artifact again.
		_, err := r.st.MoveAside(store.Builds, file)
		return state.Build{}, false, err
	}
	if recorded {
		if err := store.Seal(f); err != nil {
			return state.Build{}, false, err
		}
		stamp, err := r.st.StatBuild(file)
		if err != nil {
			return state.Build{}, false, err
		}
		b.Stamp = stamp
		return b, true, r.update(im.Name, func(s *state.State) { s.SetBuild(b) })
	}
	sig, err := r.e.imageSignature(ctx, im, art)
	if err != nil {
		return state.Build{}, false, err
	}
	nb, err := r.commit(ctx, im, art, sig, ingest{f: f})
	return nb, err == nil, err
}

func signatureText(s sdk.Signature) string {
	if s.Status == sdk.SignatureVerified {
		return fmt.Sprintf("verified (key %s, %s)", s.KeyFingerprint, s.KeyOrigin)
	}
	return "unsigned: " + s.Detail
}
