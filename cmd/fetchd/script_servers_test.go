package main

import (
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/internal/testworld"
)

// perScript keeps one value per running script (scripts run in parallel,
// each with its own server and world).
type perScript[T any] struct {
	mu sync.Mutex
	m  map[*testscript.TestScript]T
}

func (s *perScript[T]) get(ts *testscript.TestScript) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[ts]
}

func (s *perScript[T]) set(ts *testscript.TestScript, v T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[*testscript.TestScript]T{}
	}
	s.m[ts] = v
}

var (
	servers perScript[*replica.Server]
	worlds  perScript[*testworld.World]
)
