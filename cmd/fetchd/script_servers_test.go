package main

import (
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/internal/testworld"
)

// serverMap is a concurrency-safe map from a running script to its server.
type serverMap struct {
	mu sync.Mutex
	m  map[*testscript.TestScript]*replica.Server
}

func (s *serverMap) get(ts *testscript.TestScript) *replica.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[ts]
}

func (s *serverMap) set(ts *testscript.TestScript, srv *replica.Server) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[*testscript.TestScript]*replica.Server{}
	}
	s.m[ts] = srv
}

// worldMap is a concurrency-safe map from a running script to its world.
type worldMap struct {
	mu sync.Mutex
	m  map[*testscript.TestScript]*testworld.World
}

var worlds worldMap

func (s *worldMap) get(ts *testscript.TestScript) *testworld.World {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[ts]
}

func (s *worldMap) set(ts *testscript.TestScript, w *testworld.World) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[*testscript.TestScript]*testworld.World{}
	}
	s.m[ts] = w
}
