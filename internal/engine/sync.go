package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/sdk"
)

// syncOne decides what to do with one image and does it.
func (e *Engine) syncOne(ctx context.Context, im config.Image, opts Options, sem chan struct{}) Result {
	l := e.inspect(im.Name)
	if l.blocking != nil {
		return Result{Outcome: Failed, Err: l.blocking}
	}
	var localEntry = entryPtr(l)

	// Cases that need no upstream answer.
	switch {
	case opts.Offline && l.trusted:
		return Result{Outcome: Present, Local: localEntry, Note: "offline: upstream not checked"}
	case opts.Offline && l.exists:
		return Result{Outcome: Failed, Local: localEntry, Err: fmt.Errorf("the file on disk %s; offline, so it cannot be checked against upstream (run sync online)", l.problem)}
	case opts.Offline:
		return Result{Outcome: Failed, Err: errors.New("missing, and sync is offline")}
	case l.trusted && im.Update == config.Never:
		return Result{Outcome: Present, Local: localEntry, Note: "upstream not checked (update: never)"}
	}

	e.reporter().Event(Event{Kind: Resolving, Image: im.Name})
	art, err := e.target(ctx, im)
	if err != nil {
		if l.trusted {
			// The image is there and verified; failing to ask upstream
			// about a newer one does not make it less so.
			return Result{Outcome: Present, Local: localEntry, Err: err, Note: "could not check upstream for a newer build"}
		}
		return Result{Outcome: Failed, Local: localEntry, Err: err}
	}
	r := Result{Upstream: &art, Local: localEntry}

	switch {
	case l.trusted && l.entry.Digest == art.Digest:
		r.Outcome = Present
		ent, checked, err := e.checkInstalled(ctx, im, l, art)
		switch {
		case err != nil:
			r.Outcome, r.Err = Failed, err
			r.Note = "the image stays on disk; it was installed before keys were configured for " + im.Source
		case checked:
			r.Local = &ent
			r.Note = "image signature checked now: keys were configured for " + im.Source + " after it was installed"
		}
		return r
	case l.trusted && im.Update != config.Always:
		r.Outcome = Outdated
		r.Note = fmt.Sprintf("upstream has %s (on disk: %s); update policy %s", art.Version, l.entry.Version, im.Update)
		return r
	case l.exists && !l.trusted && l.fi.Mode().IsRegular():
		// A file fetchd cannot vouch for: maybe it is exactly upstream's
		// (state lost, or placed by hand). Hash it before downloading.
		if ent, ok := e.adopt(ctx, im, l, art); ok {
			r.Outcome, r.Local = Adopted, &ent
			r.Note = "the file on disk matched upstream's digest and passed the checks"
			return r
		}
	}

	if !opts.Download {
		switch {
		case !l.exists:
			r.Outcome, r.Note = Missing, "not downloading ("+e.autoDownloadSetting()+")"
		case !l.trusted:
			r.Outcome, r.Note = Modified, l.problem+"; not replacing it ("+e.autoDownloadSetting()+")"
		default:
			r.Outcome, r.Note = Outdated, fmt.Sprintf("upstream has %s; not downloading (%s)", art.Version, e.autoDownloadSetting())
		}
		return r
	}

	select {
	case sem <- struct{}{}:
		defer func() { <-sem }()
	case <-ctx.Done():
		return Result{Outcome: Failed, Local: localEntry, Err: ctx.Err()}
	}
	ent, stats, err := e.install(ctx, im, art)
	r.Transferred, r.Reused = stats.Transferred, stats.Reused
	if err != nil {
		r.Outcome, r.Err = Failed, err
		if l.trusted {
			r.Note = fmt.Sprintf("previous build %s stays", l.entry.Version)
		}
		return r
	}
	r.Local = &ent
	switch {
	case !l.exists:
		r.Outcome = Installed
	case l.trusted:
		r.Outcome = Updated
		r.Note = fmt.Sprintf("was %s", l.entry.Version)
	default:
		r.Outcome = Replaced
		r.Note = "the file on disk " + l.problem
	}
	if stats.CopiedFrom != "" {
		r.Note = joinNote(r.Note, "same artifact as "+stats.CopiedFrom+": copied, not downloaded again")
	}
	return r
}

// autoDownloadSetting names what turned downloads off, as it was given.
func (e *Engine) autoDownloadSetting() string {
	if s := e.Config.AutoDownloadSetting; s != "" {
		return s
	}
	return "AUTO_DOWNLOAD_IMAGES=false"
}

func entryPtr(l local) *state.Entry {
	if !l.known {
		return nil
	}
	e := l.entry
	return &e
}

// target resolves the artifact an image should be.
func (e *Engine) target(ctx context.Context, im config.Image) (sdk.Artifact, error) {
	if hs := e.hostSource(im); hs != nil {
		return hs.Resolve(ctx, im)
	}
	if im.IsURL() {
		return e.urlTarget(ctx, im)
	}
	arch := im.Arch
	if arch == "" {
		arch = e.Arch
	}
	sc := e.Config.Sources[im.Source]
	req := pluginRequest(im, arch, sc.BaseURL, sc)
	if req.ReleaseKeys != nil {
		req.KeysWhere = e.Config.KeysWhere(im.Source)
	}
	key := ""
	if ids, ok := e.Sources.(SourceIdentity); ok && e.resolveCache != nil {
		if id, err := ids.Identity(im.Source); err == nil {
			key = resolveKey(id, req)
			if art, ok := e.cachedResolve(ctx, key); ok {
				return art, nil
			}
		}
	}
	src, err := e.Sources.Source(ctx, im.Source)
	if err != nil {
		return sdk.Artifact{}, err
	}
	var rec docRecorder
	req.OnFetch = rec.onFetch
	art, err := src.Resolve(ctx, req)
	if err != nil {
		return sdk.Artifact{}, err
	}
	if key != "" {
		e.remember(key, art, rec.snapshot())
	}
	return art, nil
}

func pluginRequest(im config.Image, arch, baseURL string, sc config.Source) pluginhost.Request {
	all, byRelease := sc.PluginKeys()
	return pluginhost.Request{Release: im.Release, Arch: arch, Variant: im.Variant, BaseURL: baseURL, TrustedKeys: all, ReleaseKeys: byRelease}
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
