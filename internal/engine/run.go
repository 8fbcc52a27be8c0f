package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/lock"
	"github.com/sandlabx/fetchd/internal/overlay"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/store"
)

// run is one Sync, Verify, Status, Hold, Rollback or Prune: what it opened,
// the state it read and what it did. Nothing of it outlives the call, so a
// long-lived engine (fetchd serve) starts every run afresh.
type run struct {
	e  *Engine
	st *store.Store // nil: read-only run on a directory with no store yet
	// ownStore: the run opened st (the engine was given none) and closes it.
	ownStore bool
	lk       *lock.Lock

	stateMu sync.Mutex
	state   *state.State
	// stateNote says why the state was discarded, if it was.
	stateNote string

	// artifactMu guards artifactLocks: one lock per artifact digest, held
	// while committing it (see lockArtifact).
	artifactMu    sync.Mutex
	artifactLocks map[string]*sync.Mutex

	// resolveCache keeps sources' answers between runs; nil disables it.
	resolveCache *resolveCache

	// overlays is the scan of the overlay directories, made at most once
	// per run and only when needed (overlayIndex).
	overlayOnce sync.Once
	overlays    *overlay.Index
	overlaysErr error
}

// runMode says what a run may do.
type runMode int

const (
	readOnly runMode = iota // Status: no lock, nothing created
	writing                 // everything else: the store made if missing, the lock held
)

// begin opens the store (checking it), takes the lock for a writing run
// and loads the state.
func (e *Engine) begin(ctx context.Context, mode runMode) (*run, error) {
	r := &run{e: e}
	st := e.Store
	if st == nil {
		var err error
		st, err = store.Open(e.dir(), mode == writing)
		switch {
		case errors.Is(err, store.ErrNoStore) && mode == readOnly:
			r.state = state.New()
			return r, nil
		case err != nil:
			return nil, err
		}
		r.ownStore = true
	} else if err := st.Check(); err != nil {
		return nil, err
	}
	r.st = st
	if mode == writing {
		f, err := st.OpenLock()
		if err != nil {
			r.end()
			return nil, err
		}
		r.lk, err = lock.Acquire(ctx, f, e.dir(), lock.Options{Wait: true, Timeout: e.LockTimeout, OnWait: e.OnLockWait})
		if err != nil {
			r.end()
			return nil, err
		}
		// Checked again under the lock: the previous holder may have been
		// anything.
		if err := st.Check(); err != nil {
			r.end()
			return nil, err
		}
	}
	r.loadState()
	return r, nil
}

// end releases what begin took.
func (r *run) end() {
	if r.lk != nil {
		_ = r.lk.Release()
	}
	if r.ownStore {
		r.st.Close()
	}
	r.e.setLastNote(r.stateNote)
}

// loadState reads state.json. A corrupt state is discarded (everything is
// then re-verified or re-downloaded) and the reason kept for the report.
func (r *run) loadState() {
	if r.st == nil {
		r.state = state.New()
		return
	}
	s, err := r.st.LoadState()
	var ce *state.CorruptError
	switch {
	case errors.As(err, &ce):
		r.stateNote = fmt.Sprintf("%v: ignoring it; images without a trusted record are checked against upstream again", err)
	case err != nil:
		r.stateNote = fmt.Sprintf("reading state: %v", err)
	}
	r.state = s
}

// update changes the state under its lock and saves it.
func (r *run) update(what string, change func(s *state.State)) error {
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	change(r.state)
	if err := r.st.SaveState(r.state); err != nil {
		return fmt.Errorf("recording %s in the state file: %w", what, err)
	}
	return nil
}

// view reads the state under its lock.
func (r *run) view(read func(s *state.State)) {
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	read(r.state)
}

// lockArtifact serializes commits of one artifact and returns the unlock.
// Its partial file and its build file are one per digest, so two images
// that resolve to the same artifact in one run would otherwise download
// into, verify and commit the same file at once.
func (r *run) lockArtifact(key string) func() {
	r.artifactMu.Lock()
	if r.artifactLocks == nil {
		r.artifactLocks = map[string]*sync.Mutex{}
	}
	m, ok := r.artifactLocks[key]
	if !ok {
		m = &sync.Mutex{}
		r.artifactLocks[key] = m
	}
	r.artifactMu.Unlock()
	m.Lock()
	return m.Unlock
}

// display rewrites the store's descriptor paths in err's message, and in
// the fields of the typed errors that carry a directory.
func (r *run) display(err error) error {
	if r.st == nil || err == nil {
		return err
	}
	var ns *download.NoSpaceError
	if errors.As(err, &ns) {
		ns.Dir = r.st.DisplayText(ns.Dir)
	}
	return r.st.Display(err)
}
