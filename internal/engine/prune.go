package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/overlay"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/store"
)

// The kinds of thing prune removes.
const (
	PruneBuild   = "build"   // a build nothing uses
	PrunePartial = "partial" // a partial download nothing will resume
	PruneCache   = "cache"   // a stale cache entry
)

// PruneItem is one thing prune removed (or, in a dry run, would remove),
// or a build it kept.
type PruneItem struct {
	Kind string
	Path string
	// Bytes is what removing it frees on disk (allocated blocks).
	Bytes int64
	// Image, Version and Digest describe a build ("" when not recorded).
	Image   string
	Version string
	Digest  string
	// Why says why it is removed, or kept.
	Why string
	// Err is why removing it failed (nothing was freed).
	Err error
}

// PruneReport is what Prune did.
type PruneReport struct {
	DryRun bool
	// Removed lists what was removed (DryRun: what would be).
	Removed []PruneItem
	// Kept lists the builds kept, and why.
	Kept []PruneItem
	// Freed is the bytes freed (DryRun: that would be), failures excluded.
	Freed int64
}

// Failed reports whether removing anything failed.
func (p PruneReport) Failed() bool {
	for _, it := range p.Removed {
		if it.Err != nil {
			return true
		}
	}
	return false
}

// Prune removes what nothing uses: builds that are not the current or
// pending build of a configured image, nor one of the first retain
// previous builds of one, nor used by a VM disk (a qcow2 overlay in the
// configured overlay directories whose backing file is the build,
// through its build path, the image's name or any other link), nor linked
// at another name; partial downloads that no cached upstream answer still
// points at; and stale cache entries (resolve answers older than
// ResolveCacheTTL; metadata cache entries one of whose two files is
// missing, and temporary files a cut-short write left).
// A build whose users cannot be told (an overlay directory that cannot be
// read) makes Prune fail before anything is removed. With dryRun nothing
// is removed and the report says what would be. It takes the directory
// lock.
func (e *Engine) Prune(ctx context.Context, dryRun bool) (PruneReport, error) {
	r, err := e.begin(ctx, writing)
	if err != nil {
		return PruneReport{}, err
	}
	defer r.end()
	rep := PruneReport{DryRun: dryRun}
	if err := r.pruneBuilds(&rep, nil); err != nil {
		return rep, r.display(err)
	}
	r.prunePartials(&rep)
	r.pruneCache(&rep)
	for i := range rep.Removed {
		rep.Removed[i].Err = r.display(rep.Removed[i].Err)
	}
	return rep, nil
}

// keeps says, per build key, why it is kept by the configuration and the
// records: the images' current, pending and retained previous builds. An
// image's previous builds beyond its retain count are not kept.
func (r *run) keeps() map[string][]string {
	out := map[string][]string{}
	add := func(k, why string) {
		if k != "" {
			out[k] = append(out[k], why)
		}
	}
	r.view(func(s *state.State) {
		for _, im := range r.e.Config.Images {
			rec, ok := s.Image(im.Name)
			if !ok {
				continue
			}
			add(rec.Build, "current build of "+im.Name)
			add(rec.Pending, "pending build of "+im.Name)
			for i, k := range rec.Previous {
				if i < im.Retain {
					add(k, fmt.Sprintf("previous build of %s (retain: %d)", im.Name, im.Retain))
				}
			}
		}
	})
	return out
}

// pruneBuilds removes unused builds. only, if not nil, limits it to those
// build keys (retention after a sync).
func (r *run) pruneBuilds(rep *PruneReport, only map[string]bool) error {
	ents, err := r.st.List(store.Builds)
	if err != nil {
		return err
	}
	keeps := r.keeps()
	byFile := map[string]state.Build{}
	owner := map[string]string{}
	r.view(func(s *state.State) {
		for _, b := range s.Builds {
			byFile[b.File] = b
		}
		for name, im := range s.Images {
			for _, k := range append([]string{im.Build, im.Pending}, im.Previous...) {
				if b, ok := s.Build(k); ok && owner[b.File] == "" {
					owner[b.File] = name
				}
			}
		}
	})
	type cand struct {
		ent store.Entry
		b   state.Build
		rec bool
	}
	var cands []cand
	for _, ent := range ents {
		if ent.Stat.Mode&0o170000 != 0o100000 {
			continue
		}
		b, recorded := byFile[ent.Name]
		if only != nil && (!recorded || !only[b.Digest.String()]) {
			continue
		}
		item := PruneItem{Kind: PruneBuild, Path: r.st.Path(store.Builds, ent.Name), Bytes: ent.Allocated(), Image: owner[ent.Name]}
		if recorded {
			item.Version, item.Digest = b.Version, b.Digest.String()
		}
		if why := keeps[b.Digest.String()]; recorded && len(why) > 0 {
			item.Why = strings.Join(why, "; ")
			rep.Kept = append(rep.Kept, item)
			continue
		}
		cands = append(cands, cand{ent, b, recorded})
	}
	if len(cands) == 0 && only != nil {
		return nil
	}
	idx, err := r.overlayIndex()
	if err != nil {
		return fmt.Errorf("cannot tell which builds VM disks use, so none is removed: %w", err)
	}
	if len(idx.Problems) > 0 {
		var what []string
		for _, p := range idx.Problems {
			what = append(what, fmt.Sprintf("%s (%v)", p.Path, p.Err))
		}
		return fmt.Errorf("cannot tell which builds VM disks use, so none is removed: %s could not be read", strings.Join(what, ", "))
	}
	usedBy := func(ent store.Entry, path string) []string {
		by := overlay.Paths(idx.ByFile(uint64(ent.Stat.Dev), ent.Stat.Ino))
		for _, p := range overlay.Paths(idx.Uses(path)) {
			if !slices.Contains(by, p) {
				by = append(by, p)
			}
		}
		sort.Strings(by)
		return by
	}
	// Builds the records keep say which VM disks use them too.
	for i := range rep.Kept {
		it := &rep.Kept[i]
		for _, ent := range ents {
			if r.st.Path(store.Builds, ent.Name) == it.Path {
				if by := usedBy(ent, it.Path); len(by) > 0 {
					it.Why += "; used by VM disk(s): " + strings.Join(by, ", ")
				}
			}
		}
	}
	for _, c := range cands {
		item := PruneItem{Kind: PruneBuild, Path: r.st.Path(store.Builds, c.ent.Name), Bytes: c.ent.Allocated(), Image: owner[c.ent.Name]}
		if c.rec {
			item.Version, item.Digest = c.b.Version, c.b.Digest.String()
		}
		if by := usedBy(c.ent, item.Path); len(by) > 0 {
			item.Why = "used by VM disk(s): " + strings.Join(by, ", ")
			rep.Kept = append(rep.Kept, item)
			continue
		}
		if c.ent.Stat.Nlink > 1 {
			item.Why = fmt.Sprintf("it has %d other link(s) (a name in the image directory, or a file kept aside): removing it would free nothing", c.ent.Stat.Nlink-1)
			rep.Kept = append(rep.Kept, item)
			continue
		}
		switch {
		case !c.rec:
			item.Why = "not recorded in the state file"
		case item.Image != "":
			item.Why = "no longer kept for " + item.Image
		default:
			item.Why = "no image uses it"
		}
		if !rep.DryRun {
			item.Err = r.removeBuild(c.ent.Name, c.b, c.rec)
		}
		rep.Removed = append(rep.Removed, item)
		if item.Err == nil {
			rep.Freed += item.Bytes
		}
	}
	return nil
}

// removeBuild forgets a build and removes its file: the record first, so
// that a run cut short leaves an unrecorded file (removed by the next
// prune), never a record of a missing build. An image record whose
// current build it was (an image no longer configured) is dropped.
func (r *run) removeBuild(file string, b state.Build, recorded bool) error {
	if recorded {
		key := b.Digest.String()
		if err := r.update("removing build "+b.Digest.Short(), func(s *state.State) {
			for name, im := range s.Images {
				if im.Build == key {
					s.Delete(name)
				}
			}
			s.DeleteBuild(key)
		}); err != nil {
			return err
		}
	}
	return r.st.Remove(store.Builds, file)
}

// prunePartials removes partial downloads, except those of an artifact a
// cached upstream answer still names (a newer build the update policy did
// not download: its download resumes).
func (r *run) prunePartials(rep *PruneReport) {
	keep := map[string]bool{}
	c := newResolveCache(r.st)
	c.load()
	for _, a := range c.entries {
		keep[filepath.Base(download.PartialPath("", a.Artifact.Digest))] = true
		keep[filepath.Base(download.StatePath("", a.Artifact.Digest))] = true
	}
	ents, err := r.st.List(store.Partial)
	if err != nil {
		return
	}
	stale := map[string]bool{}
	for _, n := range r.stalePartials(keep) {
		stale[n] = true
	}
	for _, e := range ents {
		if !stale[e.Name] {
			continue
		}
		item := PruneItem{Kind: PrunePartial, Path: r.st.Path(store.Partial, e.Name), Bytes: e.Allocated(), Why: "no image's upstream build is this download"}
		if !rep.DryRun {
			item.Err = r.st.Remove(store.Partial, e.Name)
		}
		rep.Removed = append(rep.Removed, item)
		if item.Err == nil {
			rep.Freed += item.Bytes
		}
	}
}

// pruneCache drops resolve answers older than ResolveCacheTTL (they are
// never used again) from the resolve cache.
func (r *run) pruneCache(rep *PruneReport) {
	c := newResolveCache(r.st)
	c.load()
	now := r.e.now()
	var old []string
	for k, a := range c.entries {
		if now.Sub(a.At) > ResolveCacheTTL || now.Before(a.At) {
			old = append(old, k)
		}
	}
	sort.Strings(old)
	for _, k := range old {
		a := c.entries[k]
		item := PruneItem{Kind: PruneCache, Path: r.st.Path(store.Cache, resolveCacheFile) + " #" + k[:min(12, len(k))],
			Why: fmt.Sprintf("resolve answer for %s from %s, older than %s", a.Artifact.Version, a.At.UTC().Format("2006-01-02 15:04 UTC"), ResolveCacheTTL)}
		rep.Removed = append(rep.Removed, item)
		if !rep.DryRun {
			c.drop(k)
		}
	}
	if !rep.DryRun && len(old) > 0 {
		if err := c.save(); err != nil {
			for i := range rep.Removed {
				if rep.Removed[i].Kind == PruneCache {
					rep.Removed[i].Err = err
				}
			}
		}
	}
	r.pruneMetadata(rep)
}

// metadataDir is the metadata cache's directory in the cache area.
const metadataDir = "metadata"

// pruneMetadata removes the metadata cache's broken entries: one of the
// two files of an entry without the other (a run cut short between them),
// and temporary files a write left (prune holds the lock: no write is in
// progress).
func (r *run) pruneMetadata(rep *PruneReport) {
	ents, err := r.st.ListSub(store.Cache, metadataDir)
	if err != nil {
		return
	}
	have := map[string]bool{}
	for _, e := range ents {
		have[e.Name] = true
	}
	for _, e := range ents {
		if e.Stat.Mode&0o170000 != 0o100000 {
			continue
		}
		why := ""
		switch base, ext := strings.TrimSuffix(e.Name, filepath.Ext(e.Name)), filepath.Ext(e.Name); {
		case strings.HasPrefix(e.Name, ".") && strings.Contains(e.Name, ".tmp-"):
			why = "a write that did not finish"
		case ext == ".json" && !have[base+".body"]:
			why = "metadata cache entry without its body"
		case ext == ".body" && !have[base+".json"]:
			why = "metadata cache body without its entry"
		default:
			continue
		}
		item := PruneItem{Kind: PruneCache, Path: r.st.Path(store.Cache, metadataDir, e.Name), Bytes: e.Allocated(), Why: why}
		if !rep.DryRun {
			item.Err = r.st.RemoveSub(store.Cache, metadataDir, e.Name)
		}
		rep.Removed = append(rep.Removed, item)
		if item.Err == nil {
			rep.Freed += item.Bytes
		}
	}
}

// retain removes, after a sync, the builds that fell beyond an image's
// retain count because the name moved, when nothing else uses them (the
// rules of Prune), and forgets them. A build a VM disk uses, or whose
// users cannot be told, stays on disk and in the image's previous builds
// (rollback can still move to it); prune removes it once it is free.
func (r *run) retain(ctx context.Context, results []Result) []PruneItem {
	only := map[string]bool{}
	trigger := map[string]string{}
	r.view(func(s *state.State) {
		for _, res := range results {
			if res.Outcome != Updated && res.Outcome != Replaced && res.Outcome != Installed {
				continue
			}
			im, ok := r.e.Config.Image(res.Name)
			rec, known := s.Image(res.Name)
			if !ok || !known {
				continue
			}
			for i, k := range rec.Previous {
				if i >= im.Retain {
					only[k] = true
					trigger[k] = res.Name
				}
			}
		}
	})
	if len(only) == 0 {
		return nil
	}
	rep := PruneReport{}
	if err := r.pruneBuilds(&rep, only); err != nil {
		return nil
	}
	// Each removal is told in the result of the image whose move pushed
	// the build out.
	for i := range rep.Removed {
		rep.Removed[i].Image = trigger[rep.Removed[i].Digest]
	}
	return rep.Removed
}
