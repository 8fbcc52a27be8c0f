package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/metadata"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/qemuimg"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/sdk"
)

// Resolver answers what a source's current artifact is. *pluginhost.Plugin
// is one.
type Resolver interface {
	Resolve(ctx context.Context, req pluginhost.Request) (sdk.Artifact, error)
}

// Sources starts (or returns the already started) resolver for a source.
// It is called concurrently and must start each source at most once.
type Sources interface {
	Source(ctx context.Context, name string) (Resolver, error)
}

// MetadataFetcher reads checksum files for direct-URL images.
type MetadataFetcher = pluginhost.MetadataFetcher

// Engine syncs, reports on and verifies one image directory.
type Engine struct {
	Config  *config.Config
	Sources Sources
	// HostSources answer for sources the host implements itself (the oci
	// source), by source name; they win over Sources.
	HostSources map[string]HostSource
	Metadata    MetadataFetcher
	Downloader  *download.Downloader
	QemuImg     *qemuimg.Runner
	Reporter    Reporter
	// Arch is the architecture asked for when an image names none (the
	// host's, as Go names it).
	Arch string
	// Now returns the current time (tests pin it).
	Now func() time.Time
	// MaxVirtualSize caps the virtual disk size of an image.
	MaxVirtualSize uint64

	// NoResolveCache makes every sync ask the sources, even when nothing
	// they read has changed.
	NoResolveCache bool

	// beforeRename, if set, is called with the verified partial's path
	// just before it is renamed into place (fault tests stop fetchd there).
	beforeRename func(partial string)

	stateMu sync.Mutex
	state   *state.State
	// stateNote says why the state was discarded, if it was.
	stateNote string

	// artifactMu guards artifactLocks: one lock per artifact digest,
	// held while installing it (see lockArtifact).
	artifactMu    sync.Mutex
	artifactLocks map[string]*sync.Mutex
	// resolveCache keeps sources' answers between runs (see
	// resolvecache.go); nil disables it.
	resolveCache *resolveCache

	// plugins and fetcher are what Open built (nil otherwise).
	plugins *pluginhost.Registry
	fetcher *metadata.Fetcher

	// installed maps an artifact digest to the image file this run
	// installed it as, so another image of the same artifact is copied
	// from it rather than downloaded again (guarded by artifactMu).
	installed map[string]string
}

// SetBeforeRename installs a hook run just before a verified image is
// renamed into place. Only fault-injection tests use it.
func (e *Engine) SetBeforeRename(f func(partial string)) { e.beforeRename = f }

// DefaultMaxVirtualSize is the virtual disk size cap when none is set.
const DefaultMaxVirtualSize = 1 << 40

// Options of one Sync run.
type Options struct {
	// Names limits the run to these images; empty means all.
	Names []string
	// Download is false to report only (AUTO_DOWNLOAD_IMAGES=false).
	Download bool
	// Offline uses only what is on disk: nothing is resolved or fetched.
	Offline bool
	// Parallel images at once; 0 means the config's.
	Parallel int
}

func (e *Engine) reporter() Reporter {
	if e.Reporter == nil {
		return nopReporter{}
	}
	return e.Reporter
}

func (e *Engine) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

func (e *Engine) dir() string { return e.Config.Dir }

func (e *Engine) partialDir() string {
	return filepath.Join(e.dir(), state.PrivateDir, "partial")
}

// images returns the configured images the run is about, or a usage error
// naming an image that is not configured.
func (e *Engine) images(names []string) ([]config.Image, error) {
	if len(names) == 0 {
		return e.Config.Images, nil
	}
	var out []config.Image
	seen := map[string]bool{}
	for _, n := range names {
		im, ok := e.Config.Image(n)
		if !ok {
			var have []string
			for _, im := range e.Config.Images {
				have = append(have, im.Name)
			}
			return nil, &UnknownImageError{Name: n, Configured: have}
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, im)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// UnknownImageError names an image that is not in the configuration.
type UnknownImageError struct {
	Name       string
	Configured []string
}

func (e *UnknownImageError) Error() string {
	return fmt.Sprintf("no image called %q in the configuration (configured: %s)", e.Name, joinList(e.Configured))
}

// loadState reads state.json. A corrupt state is discarded (everything is
// then re-verified or re-downloaded) and the reason kept for the report.
func (e *Engine) loadState() {
	s, err := state.Load(e.dir())
	var ce *state.CorruptError
	switch {
	case errors.As(err, &ce):
		e.stateNote = fmt.Sprintf("%v: ignoring it; images without a trusted record are checked against upstream again", err)
		s = state.New()
	case err != nil:
		e.stateNote = fmt.Sprintf("reading state: %v", err)
		s = state.New()
	}
	e.state = s
}

// StateNote says why state.json was discarded, or "".
func (e *Engine) StateNote() string { return e.stateNote }

func (e *Engine) entry(name string) (state.Entry, bool) {
	e.stateMu.Lock()
	defer e.stateMu.Unlock()
	return e.state.Get(name)
}

// record stores an image's entry and writes state.json.
func (e *Engine) record(name string, ent state.Entry) error {
	e.stateMu.Lock()
	defer e.stateMu.Unlock()
	e.state.Set(name, ent)
	if err := e.state.Save(e.dir()); err != nil {
		return fmt.Errorf("recording %s in the state file: %w", name, err)
	}
	return nil
}

// Sync makes the directory match the configuration. The caller holds the
// directory lock. It returns one Result per image, in name order; an image
// failing never stops the others.
func (e *Engine) Sync(ctx context.Context, opts Options) ([]Result, error) {
	images, err := e.images(opts.Names)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(e.partialDir(), 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", e.partialDir(), err)
	}
	e.loadState()
	e.resolveCache = nil
	if !e.NoResolveCache {
		e.resolveCache = newResolveCache(e.dir())
		defer func() { _ = e.resolveCache.save() }()
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
			r := e.syncOne(ctx, im, opts, sem)
			r.Name = im.Name
			r.Duration = e.now().Sub(start)
			results[i] = r
			e.reporter().Event(Event{Kind: Done, Image: im.Name, Result: &results[i]})
		}()
	}
	wg.Wait()
	if len(opts.Names) == 0 && !opts.Offline {
		e.cleanPartials(results)
	}
	return results, nil
}
