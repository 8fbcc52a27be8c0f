package engine_test

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/sdk"
)

// fakeSources hands out fake source plugins by name; an unknown name is
// an error, as a missing plugin would be.
type fakeSources struct {
	mu  sync.Mutex
	res map[string]*fakeResolver
}

func (s *fakeSources) Source(_ context.Context, name string) (engine.Resolver, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.res[name]
	if !ok {
		return nil, fmt.Errorf("no source plugin called %q", name)
	}
	return r, nil
}

// fakeResolver answers with whatever the test set last, and counts calls.
type fakeResolver struct {
	mu    sync.Mutex
	art   sdk.Artifact
	err   error
	calls int
	reqs  []pluginhost.Request
}

func (r *fakeResolver) Resolve(_ context.Context, req pluginhost.Request) (sdk.Artifact, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	r.reqs = append(r.reqs, req)
	if r.err != nil {
		return sdk.Artifact{}, r.err
	}
	return r.art, nil
}

// answer makes the source announce art from now on.
func (r *fakeResolver) answer(art sdk.Artifact) *fakeResolver {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.art, r.err = art, nil
	return r
}

// fail makes the source fail with err from now on.
func (r *fakeResolver) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

func (r *fakeResolver) Calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

func (r *fakeResolver) requests() []pluginhost.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}

// eventLog records the engine's events.
type eventLog struct {
	mu     sync.Mutex
	events []engine.Event
}

func (l *eventLog) Event(e engine.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// kinds returns the kinds of image's events in order, with runs of
// Progress events (their number depends on timing) collapsed into one.
func (l *eventLog) kinds(image string) []engine.EventKind {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []engine.EventKind
	for _, e := range l.events {
		if e.Image != image {
			continue
		}
		if e.Kind == engine.Progress && len(out) > 0 && out[len(out)-1] == engine.Progress {
			continue
		}
		out = append(out, e.Kind)
	}
	return out
}
