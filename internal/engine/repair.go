package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/store"
	"github.com/sandlabx/fetchd/sdk"
)

// repair makes what inspect found about the current build definite,
// without asking upstream: a move that was cut short is finished, a build
// file whose metadata changed is hashed (kept if its bytes are the same,
// moved aside if not), and a plain file at the name where the build file is
// missing (the layout of an older fetchd, or a lost build file) is hashed
// against the record and taken over. Afterwards l.build is buildOK,
// buildMissing or buildNone.
func (r *run) repair(ctx context.Context, im config.Image, l *local) {
	if l.historyLink != "" {
		r.finishMove(im, l)
	}
	if l.build == buildStale {
		r.rehashBuild(ctx, im, l)
	}
	if l.build == buildMissing && l.at.Kind == store.NameFile && l.nameHash.IsZero() {
		r.takeOver(ctx, im, l)
	}
}

// finishMove records the name's build as current when it is one of the
// image's own pending or previous builds: the name was moved and the run
// that moved it ended before recording it.
func (r *run) finishMove(im config.Image, l *local) {
	key := l.historyLink
	var b state.Build
	err := r.update(im.Name, func(s *state.State) {
		rec := s.Images[im.Name]
		if rec.Build != "" && rec.Build != key {
			rec.Previous = append([]string{rec.Build}, slices.DeleteFunc(rec.Previous, func(k string) bool { return k == key })...)
		}
		if rec.Pending == key {
			rec.Pending = ""
		}
		rec.Build = key
		s.SetImage(im.Name, rec)
		b, _ = s.Build(key)
		l.rec = rec
	})
	if err != nil {
		l.note = joinNote(l.note, err.Error())
		return
	}
	l.cur, l.build, l.linked, l.historyLink = b, buildOK, true, ""
	l.problem = ""
	l.note = joinNote(l.note, "the name already pointed at build "+b.Version+" (a move was cut short): recorded")
}

// rehashBuild hashes a build file whose stamp no longer matches.
func (r *run) rehashBuild(ctx context.Context, im config.Image, l *local) {
	f, err := r.st.OpenBuild(l.cur.File)
	if err != nil {
		l.build = buildMissing
		return
	}
	defer f.Close()
	r.e.reporter().Event(Event{Kind: Verifying, Image: im.Name})
	got, err := hashOpen(ctx, f, l.cur.Digest.Algorithm)
	if err == nil && got == l.cur.Digest {
		if err := store.Seal(f); err == nil {
			if stamp, err := store.StampFile(f); err == nil {
				b := l.cur
				b.Stamp = stamp
				if r.update(im.Name, func(s *state.State) { s.SetBuild(b) }) == nil {
					l.cur, l.build = b, buildOK
					l.linked = l.at.Kind == store.NameFile && l.at.Stamp.SameFile(stamp)
					return
				}
			}
		}
	}
	// The bytes are not the build's any more (or cannot be read): keep
	// them aside; the name (another link to them) is replaced too.
	if l.at.Stamp.SameFile(l.cur.Stamp) {
		l.nameHash = got
		l.problem = "changed since fetchd verified it (its bytes no longer match the build's digest)"
	}
	aside, aerr := r.st.MoveAside(store.Builds, l.cur.File)
	l.build, l.linked = buildMissing, false
	msg := fmt.Sprintf("build %s no longer matches its digest %s", r.st.Path(store.Builds, l.cur.File), l.cur.Digest.Short())
	if aerr == nil {
		msg += "; moved aside to " + aside + " (VM disks on it may be damaged)"
		l.aside = aside
	}
	l.note = joinNote(l.note, msg)
}

// takeOver hashes the plain file at the name against the recorded build
// and, when it is those bytes, commits it (in place when fetchd alone can
// write it): nothing is downloaded, and VM disks that use the name keep
// the very same bytes.
func (r *run) takeOver(ctx context.Context, im config.Image, l *local) {
	art := artifactOf(l.cur)
	b, got, ok, err := r.adoptName(ctx, im, art)
	if err != nil || !ok {
		l.nameHash = got
		if got.IsZero() {
			l.problem = "changed since fetchd verified it"
		} else {
			l.problem = "changed since fetchd verified it (its digest is not the recorded one)"
		}
		return
	}
	// The record of the file's origin (signature included) stands.
	b.Signature = l.cur.Signature
	if slices.Contains(l.cur.VerifiedBy, checkedBySignature) && !slices.Contains(b.VerifiedBy, checkedBySignature) {
		b.VerifiedBy = append([]string{b.VerifiedBy[0], checkedBySignature}, b.VerifiedBy[1:]...)
	}
	if err := r.update(im.Name, func(s *state.State) { s.SetBuild(b) }); err != nil {
		l.note = joinNote(l.note, err.Error())
		return
	}
	l.cur, l.build = b, buildOK
	l.linked = l.at.Stamp.SameFile(b.Stamp) // false for a copy: the name is relinked
	l.problem = ""
	l.note = joinNote(l.note, "taken over from an earlier fetchd's layout: hashed once, nothing downloaded; the name now links build "+r.st.Path(store.Builds, b.File))
}

// artifactOf is the artifact a build was made from, as recorded.
func artifactOf(b state.Build) sdk.Artifact {
	return sdk.Artifact{
		URL: b.URL, Version: b.Version, Format: sdkFormat(b.Format), Size: b.Size, Digest: b.Digest,
		ChecksumURL: b.ChecksumURL, Release: b.Release, Arch: b.Arch, Variant: b.Variant,
		Signature: sdk.Unsigned("as recorded"),
	}
}
