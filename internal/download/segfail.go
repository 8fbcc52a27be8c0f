package download

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/internal/urlrule"
)

// errDropped ends the requests of a source that is no longer used.
var errDropped = errors.New("source dropped")

// failed handles a failed request of w (s is the span it was fetching, or
// nil). It returns true when w should go on (the source is alive: take
// work again), false when w should close.
func (r *segRun) failed(w *worker, s *span, err error) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s != nil {
		r.table.abort(s)
		if s.owner == w {
			r.table.release(s)
		}
	}
	src := w.src
	if r.stopping() || src.dropped != "" {
		return false
	}
	var (
		we *writeError
		ce *changedError
		be *busyError
	)
	switch {
	case errors.As(err, &we) || errors.Is(err, syscall.ENOSPC):
		r.end(err)
		return false
	case errors.As(err, &ce):
		r.fall(src, ce.reason)
		return false
	case errors.As(err, &be) && w.peers > 0:
		// Courtesy: the server wants fewer connections from us. The cap
		// comes from what was open when the request was sent, not when
		// the refusal is read: by then the others may have finished.
		r.d.hosts.lower(src.host, w.peers)
		r.detach(w)
		return false
	}
	kind := kindOf(err)
	if kind == failTransient {
		src.failures++
		if src.gotSinceFail && src.failures < maxSourceFailures {
			// The source delivers: this was one connection's trouble.
			src.gotSinceFail = false
			return true
		}
	}
	r.drop(src, err, kind)
	return false
}

// kindOf sorts a request's error.
func kindOf(err error) failKind {
	switch {
	case errors.As(err, new(*rangeError)):
		return failRange
	case errors.As(err, new(*netpolicy.StatusError)),
		errors.As(err, new(*netpolicy.PolicyError)),
		errors.As(err, new(*urlrule.Error)),
		errors.As(err, new(*SizeError)):
		return failRefused
	}
	return failTransient
}

// drop stops using src for the rest of the attempt and ends its
// connections. When it was the last source, the attempt ends: on one
// connection from zero if a source failed at ranges, else with an error.
// r.mu is held.
func (r *segRun) drop(src *source, err error, kind failKind) {
	if src.dropped != "" {
		return
	}
	src.dropped, src.dropErr, src.kind = err.Error(), err, kind
	if src.index > 0 {
		r.d.hosts.dropMirror(src.host, src.dropped)
	}
	for w := range r.workers {
		if w.src == src && w.cancel != nil {
			w.cancel(errDropped)
		}
	}
	defer r.poke()
	if r.live() > 0 {
		return
	}
	for _, s := range r.sources {
		if s.kind == failRange {
			r.fall(s, s.dropped)
			return
		}
	}
	r.end(r.noSourceErrorLocked())
}

// live counts the sources still in use. r.mu is held.
func (r *segRun) live() int {
	n := 0
	for _, s := range r.sources {
		if s.dropped == "" {
			n++
		}
	}
	return n
}

// end ends the attempt with err. r.mu is held.
func (r *segRun) end(err error) {
	if r.endErr == nil && r.fallback == nil {
		r.endErr = err
	}
	r.cancel(err)
}

// fall ends the attempt so that the download starts over on one
// connection to src. r.mu is held.
func (r *segRun) fall(src *source, reason string) {
	if r.endErr == nil && r.fallback == nil {
		r.fallback = &fallbackError{url: src.url, reason: reason}
	}
	r.cancel(r.fallback)
}

func (r *segRun) noSourceError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.sources {
		if s.kind == failRange {
			return &fallbackError{url: s.url, reason: s.dropped}
		}
	}
	return r.noSourceErrorLocked()
}

// noSourceErrorLocked is the error when every source failed: with one
// source, its error as the one-connection path reports it; with mirrors,
// every source's reason. Either is an *InterruptedError (the partial kept)
// when some source failed in a way that may pass. r.mu is held.
func (r *segRun) noSourceErrorLocked() error {
	transient := false
	for _, s := range r.sources {
		if s.kind == failTransient || s.kind == failSlow || s.kind == failEarlier {
			transient = true
		}
	}
	var err error
	if len(r.sources) == 1 {
		err = r.sources[0].dropErr
	} else {
		err = &AllSourcesError{Sources: r.sourceStats()}
		err.(*AllSourcesError).first = r.sources[0].dropErr
	}
	if transient {
		return &InterruptedError{URL: r.req.URL, Done: r.done, Total: r.size, Err: err}
	}
	return err
}

func (r *segRun) sourceStats() []SourceStat {
	out := make([]SourceStat, 0, len(r.sources))
	for _, s := range r.sources {
		out = append(out, SourceStat{URL: s.url, Bytes: s.bytes, Dropped: s.dropped})
	}
	return out
}

// AllSourcesError says every URL of a download (the primary and its
// mirrors) failed; it unwraps to the primary's error.
type AllSourcesError struct {
	Sources []SourceStat
	first   error
}

func (e *AllSourcesError) Error() string {
	parts := make([]string, 0, len(e.Sources))
	for _, s := range e.Sources {
		parts = append(parts, fmt.Sprintf("%s: %s", s.URL, s.Dropped))
	}
	return "every server failed: " + strings.Join(parts, "; ")
}

func (e *AllSourcesError) Unwrap() error { return e.first }
