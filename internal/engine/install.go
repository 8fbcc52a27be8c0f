package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/store"
	"github.com/sandlabx/fetchd/sdk"
)

type stats struct {
	Transferred, Reused int64
	// Shared names the other image of this run whose build this one is,
	// when two images are one artifact.
	Shared bool
	// Connections, Served and FellBack are the download's (see Result).
	Connections int
	Served      []download.SourceStat
	FellBack    string
}

// install makes art a build: the one already committed if there is one
// (another image of the same artifact, a build kept from before), else a
// download into the partial area, committed. The name is not moved here.
func (r *run) install(ctx context.Context, im config.Image, art sdk.Artifact) (state.Build, stats, error) {
	defer r.lockArtifact(art.Digest.String())()
	var st stats
	if b, ok, err := r.haveBuild(ctx, im, art); err != nil || ok {
		st.Shared = ok
		return b, st, err
	}
	sig, err := r.e.imageSignature(ctx, im, art)
	if err != nil {
		return state.Build{}, st, err
	}
	partialDir := r.st.ProcPath(store.Partial)
	maxSize := art.Size
	if maxSize <= 0 {
		maxSize = r.e.Config.MaxImageSize
	}
	if art.Size > 0 {
		need := art.Size
		if fi, err := os.Stat(download.PartialPath(partialDir, art.Digest)); err == nil {
			need -= fi.Size()
		}
		if err := download.CheckFreeSpace(partialDir, need); err != nil {
			return state.Build{}, st, err
		}
	}
	r.e.reporter().Event(Event{Kind: Downloading, Image: im.Name, URL: art.URL, Total: art.Size})
	wb := newWriteback(download.PartialPath(partialDir, art.Digest))
	defer wb.close()
	conns, mirrors := r.e.downloadPlan(im, art)
	res, err := r.e.Downloader.Download(ctx, download.Request{
		Connections: conns,
		Mirrors:     mirrors,
		URL:         art.URL,
		PartialDir:  partialDir,
		Digest:      art.Digest,
		Size:        art.Size,
		MaxSize:     maxSize,
		Transport:   r.e.transport(im),
		Progress: func(p download.Progress) {
			wb.kick()
			r.e.reporter().Event(Event{Kind: Progress, Image: im.Name, Done: p.Done, Total: p.Total, Reused: p.Reused})
		},
	})
	st.Transferred, st.Reused = res.Transferred, res.Reused
	st.Connections, st.Served, st.FellBack = res.Connections, res.Sources, res.FellBack
	if err != nil {
		return state.Build{}, st, err
	}
	name := filepath.Base(res.Path)
	f, err := r.st.Open(store.Partial, name)
	if err != nil {
		return state.Build{}, st, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() != res.Size {
		return state.Build{}, st, fmt.Errorf("partial %s is not the %d bytes just downloaded", f.Name(), res.Size)
	}
	b, err := r.commit(ctx, im, art, sig, ingest{f: f, partial: name})
	if err != nil {
		// A file that fails inspection is not kept for a resume: its bytes
		// matched the digest, so downloading them again cannot help.
		_ = r.st.Remove(store.Partial, name)
		return state.Build{}, st, err
	}
	return b, st, nil
}
