package service

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/metrics"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/sdk"
)

// instrumentedSources counts plugin starts and times Resolve calls per
// source, for the metrics. It passes Identity through, so the engine's
// resolve cache keeps working.
type instrumentedSources struct {
	inner   engine.Sources
	m       *metrics.Metrics
	mu      sync.Mutex
	started map[string]bool
}

func instrument(inner engine.Sources, m *metrics.Metrics) engine.Sources {
	if inner == nil {
		return nil
	}
	return &instrumentedSources{inner: inner, m: m, started: map[string]bool{}}
}

func (i *instrumentedSources) Source(ctx context.Context, name string) (engine.Resolver, error) {
	i.mu.Lock()
	first := !i.started[name]
	i.started[name] = true
	i.mu.Unlock()
	if first {
		// The engine asks for a source when it is about to resolve with
		// it, and an engine starts each source's plugin at most once.
		i.m.PluginStarted(name)
	}
	r, err := i.inner.Source(ctx, name)
	if err != nil {
		i.m.Resolved(name, 0, err)
		return nil, err
	}
	return &instrumentedResolver{inner: r, source: name, m: i.m}, nil
}

// Identity passes the inner Sources' identity through.
func (i *instrumentedSources) Identity(name string) (string, error) {
	if ids, ok := i.inner.(engine.SourceIdentity); ok {
		return ids.Identity(name)
	}
	return "", errors.New("no identity")
}

type instrumentedResolver struct {
	inner  engine.Resolver
	source string
	m      *metrics.Metrics
}

func (r *instrumentedResolver) Resolve(ctx context.Context, req pluginhost.Request) (sdk.Artifact, error) {
	start := time.Now()
	art, err := r.inner.Resolve(ctx, req)
	r.m.Resolved(r.source, time.Since(start), err)
	return art, err
}
