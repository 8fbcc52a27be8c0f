package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/overlay"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/store"
	"github.com/sandlabx/fetchd/sdk"
)

// Sync makes the directory match the configuration. It takes the
// directory lock for the run (Engine.LockTimeout bounds the wait). It
// returns one Result per image, in name order; an image failing never
// stops the others.
func (e *Engine) Sync(ctx context.Context, opts Options) ([]Result, error) {
	images, err := e.images(opts.Names)
	if err != nil {
		return nil, err
	}
	r, err := e.begin(ctx, writing)
	if err != nil {
		return nil, err
	}
	defer r.end()
	if !e.NoResolveCache {
		r.resolveCache = newResolveCache(r.st)
		defer func() { _ = r.resolveCache.save() }()
	}
	parallel := opts.Parallel
	if parallel <= 0 {
		parallel = e.Config.Parallel
	}
	results := make([]Result, len(images))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, im := range images {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := e.now()
			res := r.syncOne(ctx, im, opts, sem)
			res.Name = im.Name
			res.Duration = e.now().Sub(start)
			res.Err = r.display(res.Err)
			results[i] = res
			e.reporter().Event(Event{Kind: Done, Image: im.Name, Result: &results[i]})
		}()
	}
	wg.Wait()
	for _, it := range r.retain(ctx, results) {
		if it.Err == nil {
			told := it
			told.Why = fmt.Sprintf("beyond retain: %d", retainOf(r.e.Config, it.Image))
			e.reporter().Event(Event{Kind: Removed, Image: it.Image, Removed: &told})
		}
		for i := range results {
			if results[i].Name != it.Image || it.Err != nil {
				continue
			}
			what := shortKey(it.Digest)
			if it.Version != "" && it.Version != what {
				what = it.Version + " (" + what + ")"
			}
			results[i].Note = joinNote(results[i].Note, fmt.Sprintf("removed build %s (beyond retain: %d)", what, retainOf(r.e.Config, it.Image)))
		}
	}
	if len(opts.Names) == 0 && !opts.Offline {
		r.cleanPartials(results)
	}
	return results, nil
}

// syncOne decides what to do with one image and does it.
func (r *run) syncOne(ctx context.Context, im config.Image, opts Options, sem chan struct{}) Result {
	l := r.inspect(im)
	if l.blocking == nil {
		r.repair(ctx, im, &l)
	}
	o := decideOptions{download: opts.Download, offline: opts.Offline, downloadOff: r.e.autoDownloadSetting()}
	var up upstream
	d := decide(l, up, im, o)
	if d.act == actResolve {
		r.e.reporter().Event(Event{Kind: Resolving, Image: im.Name})
		art, err := r.target(ctx, im)
		up = upstream{asked: true, art: art, err: err}
		d = decide(l, up, im, o)
	}
	var res Result
	switch d.act {
	case actReport:
		res = r.report(l, up, d)
	case actKeep:
		res = r.keep(ctx, im, l, up, d)
	case actAdopt, actInstall:
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
		case <-ctx.Done():
			return Result{Outcome: Failed, Local: r.current(l), Err: ctx.Err()}
		}
		res = r.replace(ctx, im, l, up.art, d, opts.Move)
	}
	res.Note = joinNote(l.note, res.Note)
	if l.aside != "" {
		res.MovedAside = append([]string{l.aside}, res.MovedAside...)
	}
	res.Hold = l.hold
	return res
}

// report is the result of a decision that changes nothing.
func (r *run) report(l local, up upstream, d decision) Result {
	res := Result{Outcome: d.outcome, Err: d.err, Note: d.note}
	if l.build == buildOK {
		res.Local, res.BuildPath = r.current(l), r.st.Path(store.Builds, l.cur.File)
	}
	if up.asked && up.err == nil {
		art := up.art
		res.Upstream = &art
	}
	return res
}

// keep leaves the current build, puts the name back on it if needed, and
// checks an image signature configured after it was installed.
func (r *run) keep(ctx context.Context, im config.Image, l local, up upstream, d decision) Result {
	res := r.report(l, up, d)
	if d.relink {
		mv, err := r.point(im, l.cur, l.want)
		if err != nil {
			return Result{Outcome: Failed, Local: r.current(l), Err: err}
		}
		switch {
		case mv.aside != "":
			res.Outcome = Replaced
			res.MovedAside = []string{mv.aside}
			res.Note = joinNote(res.Note, "the file at the name "+l.problem+": moved aside to "+mv.aside+"; the name points at the verified build again")
		case l.at.Kind == store.NameMissing:
			res.Note = joinNote(res.Note, "the name was missing: it points at the verified build again")
		}
	} else if up.asked && up.err == nil {
		if err := r.recordWant(im, l.want); err != nil {
			res.Err = err
		}
	}
	if up.asked && up.err == nil && res.Outcome == Present {
		b, checked, err := r.checkInstalled(ctx, im, l.cur, up.art)
		switch {
		case err != nil:
			res.Outcome, res.Err = Failed, err
			res.Note = "the image stays on disk; it was installed before keys were configured for " + im.Source
		case checked:
			res.Local = &b
			res.Note = joinNote(res.Note, "image signature checked now: keys were configured for "+im.Source+" after it was installed")
		}
	}
	return res
}

// replace installs upstream's artifact (adopting the file at the name if it
// is those bytes) and moves the name to it.
func (r *run) replace(ctx context.Context, im config.Image, l local, art sdk.Artifact, d decision, mo MoveOptions) Result {
	res := Result{Upstream: &art, Local: r.current(l)}
	var b state.Build
	var st stats
	adopted := false
	if d.act == actAdopt {
		var ok bool
		var err error
		b, l.nameHash, ok, err = r.adoptName(ctx, im, art)
		adopted = ok && err == nil
	}
	if !adopted {
		var err error
		b, st, err = r.install(ctx, im, art)
		res.Transferred, res.Reused = st.Transferred, st.Reused
		res.Connections, res.Served, res.FellBack = st.Connections, st.Served, st.FellBack
		if err != nil {
			res.Outcome, res.Err = Failed, err
			if l.build == buildOK {
				res.Note = fmt.Sprintf("previous build %s stays", l.cur.Version)
			}
			return res
		}
	}
	// Moving a name that VM disks use by that name would put other bytes
	// under their blocks: held, rebased or forced (chooseMove).
	if l.build == buildOK && l.linked && b.Digest != l.cur.Digest {
		u, err := r.usersOfName(im.Name)
		if err != nil {
			held := r.holdMove(im, l, b, nameUsers{}, "")
			res.Outcome, res.Err, res.Pending, res.PendingPath = Failed, err, held.Pending, held.PendingPath
			res.Note = fmt.Sprintf("the name stays at %s; %s is ready at %s", l.cur.Version, b.Version, held.PendingPath)
			return res
		}
		switch chooseMove(u, mo) {
		case moveHold:
			held := r.holdMove(im, l, b, u, "")
			held.Upstream = &art
			held.carryDownload(res)
			held.Note = joinNote(d.note, held.Note)
			return held
		case moveRebase:
			failed, why := r.rebaseUsers(ctx, im.Name, l.cur, u.overlays)
			for _, o := range u.overlays {
				if !slices.ContainsFunc(failed, func(f overlay.Overlay) bool { return f.Path == o.Path }) {
					res.Rebased = append(res.Rebased, o.Path)
				}
			}
			if len(failed) > 0 {
				held := r.holdMove(im, l, b, nameUsers{overlays: failed}, strings.Join(why, "; "))
				held.Upstream, held.Rebased = &art, res.Rebased
				if len(res.Rebased) > 0 {
					held.Note = joinNote(held.Note, "rebased onto "+held.BuildPath+": "+strings.Join(res.Rebased, ", "))
				}
				held.Note = joinNote(d.note, held.Note)
				return held
			}
		case moveForce:
			res.Forced = u.paths()
		}
	}
	// A file at the name that is no build of fetchd's (someone's own disk)
	// would be moved aside: VM disks made on it by the name would then
	// read the new build under their own blocks. It stays unless forced.
	if !adopted && l.build != buildOK && l.at.Kind != store.NameMissing {
		u, err := r.usersOfName(im.Name)
		if err != nil {
			res.Outcome, res.Err = Failed, err
			res.Note = "the file at the name stays"
			return res
		}
		switch chooseMove(u, mo) {
		case moveFree:
		case moveForce:
			res.Forced = u.paths()
		default:
			held := r.holdMove(im, l, b, u, "")
			held.Upstream = &art
			held.carryDownload(res)
			held.BuildPath = ""
			n := len(held.HeldBy)
			held.Note = joinNote(d.note, fmt.Sprintf("the file at the name is not a build fetchd installed (the file on disk %s), and %s %s it by its name (%s): replacing it would change what they read, so it stays; %s is ready at %s (sync --force-move moves the file aside and the name to it)",
				l.problem, plural(n, "VM disk", "VM disks"), map[bool]string{true: "uses", false: "use"}[n == 1], strings.Join(held.HeldBy, ", "), b.Version, held.PendingPath))
			return held
		}
	}
	mv, err := r.point(im, b, l.want)
	if err != nil {
		res.Outcome, res.Err = Failed, err
		return res
	}
	res.Local, res.BuildPath = &b, r.st.Path(store.Builds, b.File)
	if mv.aside != "" {
		res.MovedAside = []string{mv.aside}
	}
	switch {
	case adopted:
		res.Outcome = Adopted
		res.Note = "the file on disk matched upstream's digest and passed the checks"
	case l.build == buildOK:
		res.Outcome = Updated
		res.Note = fmt.Sprintf("was %s", l.cur.Version)
	case l.at.Kind == store.NameMissing && !l.known:
		res.Outcome = Installed
	case l.at.Kind == store.NameMissing:
		res.Outcome = Installed
		res.Note = "the name was missing"
	default:
		res.Outcome = Replaced
		res.Note = "the file on disk " + l.problem
	}
	res.Note = joinNote(d.note, res.Note)
	if mv.aside != "" {
		res.Note = joinNote(res.Note, "moved aside to "+mv.aside)
	}
	if len(res.Rebased) > 0 {
		res.Note = joinNote(res.Note, fmt.Sprintf("rebased onto %s first (the same bytes): %s", r.st.Path(store.Builds, l.cur.File), strings.Join(res.Rebased, ", ")))
	}
	if len(res.Forced) > 0 && l.build != buildOK {
		res.Note = joinNote(res.Note, fmt.Sprintf("MOVED ANYWAY (forced): %s used the file at the name and now read %s under their own blocks; the file is kept at %s",
			strings.Join(res.Forced, ", "), b.Version, mv.aside))
	} else if len(res.Forced) > 0 {
		res.Note = joinNote(res.Note, fmt.Sprintf("MOVED ANYWAY (forced): %s used the name and now read %s under their own blocks, which corrupts their file systems; the previous build stays at %s",
			strings.Join(res.Forced, ", "), b.Version, r.st.Path(store.Builds, l.cur.File)))
	}
	if st.Shared && !adopted && l.build != buildOK {
		res.Note = joinNote(res.Note, "its build was already on disk: nothing downloaded")
	}
	return res
}

// carryDownload copies what fetching the build cost from the result of
// the download to the result that reports the image (held, not moved).
func (res *Result) carryDownload(from Result) {
	res.Transferred, res.Reused = from.Transferred, from.Reused
	res.Connections, res.Served, res.FellBack = from.Connections, from.Served, from.FellBack
}

// current is the build the name points at, for a result.
func (r *run) current(l local) *state.Build {
	if l.build != buildOK {
		return nil
	}
	b := l.cur
	return &b
}

// target resolves the artifact an image should be.
func (r *run) target(ctx context.Context, im config.Image) (sdk.Artifact, error) {
	if hs := r.e.hostSource(im); hs != nil {
		return hs.Resolve(ctx, im)
	}
	if im.IsURL() {
		return r.e.urlTarget(ctx, im)
	}
	arch := im.Arch
	if arch == "" {
		arch = r.e.Arch
	}
	sc := r.e.Config.Sources[im.Source]
	req := pluginRequest(im, arch, sc.BaseURL, sc)
	if req.ReleaseKeys != nil {
		req.KeysWhere = r.e.Config.KeysWhere(im.Source)
	}
	key := ""
	if ids, ok := r.e.Sources.(SourceIdentity); ok && r.resolveCache != nil {
		if id, err := ids.Identity(im.Source); err == nil {
			key = resolveKey(id, req)
			if art, ok := r.cachedResolve(ctx, key); ok {
				return art, nil
			}
		}
	}
	src, err := r.e.Sources.Source(ctx, im.Source)
	if err != nil {
		return sdk.Artifact{}, err
	}
	var rec docRecorder
	req.OnFetch = rec.onFetch
	art, err := src.Resolve(ctx, req)
	if err != nil {
		return r.e.fromMirrors(ctx, src, req, sc, &rec, err)
	}
	if key != "" {
		r.remember(key, art, rec.snapshot())
	}
	return art, nil
}

func pluginRequest(im config.Image, arch, baseURL string, sc config.Source) pluginhost.Request {
	all, byRelease := sc.PluginKeys()
	return pluginhost.Request{Release: im.Release, Arch: arch, Variant: im.Variant, BaseURL: baseURL, TrustedKeys: all, ReleaseKeys: byRelease}
}

func joinNote(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// autoDownloadSetting names what turned downloads off, as it was given.
func (e *Engine) autoDownloadSetting() string {
	if s := e.Config.AutoDownloadSetting; s != "" {
		return s
	}
	return "AUTO_DOWNLOAD_IMAGES=false"
}

func retainOf(c *config.Config, name string) int {
	im, _ := c.Image(name)
	return im.Retain
}

// shortKey shortens a digest key ("sha256:<hex>") for notes.
func shortKey(k string) string {
	if i := strings.IndexByte(k, ':'); i >= 0 && len(k) > i+13 {
		return k[:i+13] + "…"
	}
	return k
}
