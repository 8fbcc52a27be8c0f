package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/store"
)

// Status reports what is on disk for each image, from state.json and
// lstat alone (nothing is opened or hashed; no lock is taken). With check,
// it also asks upstream for the current build and reports images whose
// upstream build differs as outdated.
func (e *Engine) Status(ctx context.Context, names []string, check bool) ([]Result, error) {
	images, err := e.images(names)
	if err != nil {
		return nil, err
	}
	r, err := e.begin(ctx, readOnly)
	if err != nil {
		return nil, err
	}
	defer r.end()
	results := make([]Result, len(images))
	var wg sync.WaitGroup
	for i, im := range images {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = r.statusOne(ctx, im, check)
			results[i].Name = im.Name
			results[i].Err = r.display(results[i].Err)
		}()
	}
	wg.Wait()
	return results, nil
}

func (r *run) statusOne(ctx context.Context, im config.Image, check bool) Result {
	l := r.inspect(im)
	var res Result
	switch {
	case l.blocking != nil:
		return Result{Outcome: Failed, Err: l.blocking}
	case l.build == buildOK && l.linked:
		res = Result{Outcome: Present, Local: r.current(l), BuildPath: r.st.Path(store.Builds, l.cur.File)}
	case l.build == buildStale && onlyCtimeMoved(l.cur.Stamp, l.buildNow) && l.at.Stamp.SameFile(l.buildNow):
		// A link to the build was added or removed (another name, a
		// deleted name): the bytes cannot have changed that way, but the
		// next sync hashes it once to be sure.
		b := l.cur
		res = Result{Outcome: Present, Local: &b, BuildPath: r.st.Path(store.Builds, l.cur.File),
			Note: "its links changed since fetchd verified it; the next sync hashes it once"}
	case l.build == buildMissing && l.at.Kind == store.NameFile && l.cur.Stamp.IsZero():
		b := l.cur
		res = Result{Outcome: Present, Local: &b, Note: "recorded by an earlier fetchd: the next sync hashes it once and takes it over"}
	case l.build == buildOK && l.at.Kind == store.NameMissing:
		res = Result{Outcome: Missing, Local: r.current(l), BuildPath: r.st.Path(store.Builds, l.cur.File),
			Note: "the name is missing; its build is on disk and the next sync links it again"}
	case l.at.Kind != store.NameMissing:
		res = Result{Outcome: Modified, Note: "the file on disk " + orText(l.problem, "changed since fetchd verified it")}
		if l.known {
			b := l.cur
			res.Local = &b
		}
	default:
		res = Result{Outcome: Missing}
	}
	res.Hold = l.hold
	res.Builds, res.DiskBytes = r.keptBuilds(l.rec)
	if res.Local != nil && res.Local.VirtualSize == 0 {
		for _, kb := range res.Builds {
			if kb.Role == RoleCurrent && kb.Build.Digest == res.Local.Digest {
				res.Local.VirtualSize = kb.Build.VirtualSize
			}
		}
	}
	if !check {
		return res
	}
	art, err := r.target(ctx, im)
	if err != nil {
		res.Err = fmt.Errorf("checking upstream: %w", err)
		return res
	}
	res.Upstream = &art
	if res.Outcome == Present && res.Local != nil && res.Local.Digest != art.Digest {
		res.Outcome = Outdated
		res.Note = fmt.Sprintf("upstream has %s (on disk: %s)", art.Version, res.Local.Version)
	}
	return res
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
