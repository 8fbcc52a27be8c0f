package main

import (
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sandlabx/fetchd/internal/replica"
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
