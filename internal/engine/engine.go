package engine

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/lock"
	"github.com/sandlabx/fetchd/internal/metadata"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/qemuimg"
	"github.com/sandlabx/fetchd/internal/store"
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

// Engine syncs, reports on and verifies one image directory. It is
// long-lived: every call is a run of its own (see run.go), so one Engine
// serves repeated runs.
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
	// Store is the image directory's store, opened once by the caller
	// (who also points the metadata cache into it); nil makes each run
	// open its own.
	Store *store.Store
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

	// LockTimeout bounds how long a run waits for another process to
	// release the directory lock (0: as long as the context allows).
	LockTimeout time.Duration
	// OnLockWait, if set, is called when a run starts waiting for the
	// lock, with who holds it.
	OnLockWait func(lock.Holder)

	// beforeCommit, if set, is called with a verified partial's path just
	// before it is committed (fault tests stop fetchd there).
	beforeCommit func(partial string)

	noteMu   sync.Mutex
	lastNote string

	// plugins and fetcher are what Open built (nil otherwise); ownStore:
	// Open opened Store, and Close closes it.
	plugins  *pluginhost.Registry
	fetcher  *metadata.Fetcher
	ownStore bool
}

// SetBeforeRename installs a hook run just before a verified download is
// committed as a build. Only fault-injection tests use it.
func (e *Engine) SetBeforeRename(f func(partial string)) { e.beforeCommit = f }

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
	// Move says what to do when moving a name would change what VM disks
	// using it see.
	Move MoveOptions
}

// MoveOptions say what to do with VM disks (qcow2 overlays in the
// configured overlay directories) that use an image by its name when the
// name is to move to another build. By default the move is held.
type MoveOptions struct {
	// Rebase rewrites each such overlay's backing file to the immutable
	// path of the build the name points at now (qemu-img rebase -u: the
	// bytes are the same, so nothing else changes), then moves the name.
	// An overlay that a process holds open is not rebased, and the move
	// stays held.
	Rebase bool
	// Force moves the name anyway: those VM disks then see other bytes
	// under their own blocks, which corrupts them.
	Force bool
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

// StateNote says why state.json was discarded in the most recent run, or
// "".
func (e *Engine) StateNote() string {
	e.noteMu.Lock()
	defer e.noteMu.Unlock()
	return e.lastNote
}

func (e *Engine) setLastNote(n string) {
	e.noteMu.Lock()
	defer e.noteMu.Unlock()
	e.lastNote = n
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
