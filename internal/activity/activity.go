// Package activity keeps a small record, in the image directory's private
// directory, of what a running fetchd is doing to which image, so that
// another fetchd beside it can say so: `fetchd status` shows
// "downloading 43% (pid 812)" rather than "missing" while a sync works.
//
// The record is <dir>/.fetchd/activity.json, written through the store
// (mode 0600, atomically, never through a symlink) at most every second or
// so and removed when the run ends. A record left by a fetchd that died is
// ignored: its pid is no longer running.
//
// Who reads this: whoever adds a long-running step worth showing.
package activity

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/store"
)

// File is the record's name in the private directory.
const File = "activity.json"

// maxBytes bounds what Read accepts.
const maxBytes = 1 << 20

// Record is what one fetchd is doing.
type Record struct {
	PID     int             `json:"pid"`
	Command string          `json:"command"`
	Started time.Time       `json:"started"`
	Updated time.Time       `json:"updated"`
	Images  map[string]Step `json:"images"`
}

// Step is where one image is.
type Step struct {
	What  string `json:"what"` // resolving, downloading, verifying
	Done  int64  `json:"done,omitempty"`
	Total int64  `json:"total,omitempty"`
}

// String is the step for people: "downloading 43%", "downloading 12.0
// MiB" (size unknown), "verifying".
func (s Step) String() string {
	switch {
	case s.What == "downloading" && s.Total > 0:
		return fmt.Sprintf("downloading %d%%", s.Done*100/s.Total)
	case s.What == "downloading" && s.Done > 0:
		return fmt.Sprintf("downloading %.1f MiB", float64(s.Done)/(1<<20))
	}
	return s.What
}

// Recorder is an engine.Reporter that keeps the record of this process's
// run. It opens the store on the first event (the engine has made the
// directory by then). Errors writing the record are ignored: it is for
// information only.
type Recorder struct {
	dir      string
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	st      *store.Store
	failed  bool
	rec     Record
	written time.Time
	pending *time.Timer // a write of progress held back by the interval
}

// NewRecorder returns the recorder of command (e.g. "sync") on dir.
func NewRecorder(dir, command string) *Recorder {
	now := time.Now()
	return &Recorder{dir: dir, interval: time.Second, now: time.Now,
		rec: Record{PID: os.Getpid(), Command: command, Started: now.UTC(), Images: map[string]Step{}}}
}

// Event updates the record; a new step is written at once, progress at
// most every interval.
func (r *Recorder) Event(e engine.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Kind == engine.Removed { // after the image finished: no step of it
		return
	}
	prev, had := r.rec.Images[e.Image]
	switch e.Kind {
	case engine.Resolving:
		r.rec.Images[e.Image] = Step{What: "resolving"}
	case engine.Downloading:
		r.rec.Images[e.Image] = Step{What: "downloading", Done: e.Done, Total: e.Total}
	case engine.Progress:
		r.rec.Images[e.Image] = Step{What: "downloading", Done: e.Done, Total: e.Total}
	case engine.Verifying:
		r.rec.Images[e.Image] = Step{What: "verifying"}
	case engine.Done:
		delete(r.rec.Images, e.Image)
	}
	now := r.now()
	newStep := !had || prev.What != r.rec.Images[e.Image].What
	switch wait := r.interval - now.Sub(r.written); {
	case newStep || wait <= 0:
		r.write(now)
	case r.pending == nil:
		// Write the latest progress when the interval is up, even if no
		// more bytes come (a stalled download shows where it stalled).
		r.pending = time.AfterFunc(wait, func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.pending = nil
			r.write(r.now())
		})
	}
}

func (r *Recorder) write(now time.Time) {
	if r.failed {
		return
	}
	if r.st == nil {
		st, err := store.Open(r.dir, false)
		if err != nil {
			r.failed = true
			return
		}
		r.st = st
	}
	r.rec.Updated = now.UTC()
	data, err := json.Marshal(r.rec)
	if err == nil {
		err = r.st.WriteFile(store.Private, File, data)
	}
	if err != nil {
		r.failed = true
		return
	}
	r.written = now
}

// Close removes the record: the run is over.
func (r *Recorder) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending != nil {
		r.pending.Stop()
		r.pending = nil
	}
	if r.st != nil {
		_ = r.st.Remove(store.Private, File)
		r.st.Close()
		r.st = nil
	}
	r.failed = true
}

// Read returns the record of a fetchd running on dir, or nil when none is:
// no record, or one whose process has exited (or one of this process).
func Read(dir string) (*Record, error) {
	st, err := store.Open(dir, false)
	if errors.Is(err, store.ErrNoStore) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer st.Close()
	data, err := st.ReadFile(store.Private, File, maxBytes)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("%s: %w", File, err)
	}
	if rec.PID <= 0 || rec.PID == os.Getpid() || !running(rec.PID) {
		return nil, nil
	}
	return &rec, nil
}

// running reports whether a process pid exists.
func running(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
