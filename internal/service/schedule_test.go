package service

import (
	"testing"
	"time"

	"github.com/sandlabx/fetchd/internal/api"
	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/eventlog"
	"github.com/sandlabx/fetchd/internal/metrics"
	"github.com/sandlabx/fetchd/internal/webhook"
)

// TestSchedule: the refresh timer queues a sync of everything, again and
// again (coalesced while one waits), and stops with the service.
func TestSchedule(t *testing.T) {
	t.Parallel()
	s := &Service{
		deps:     Deps{Supports: defaultSupports, Logf: t.Logf},
		log:      eventlog.New(16),
		metrics:  metrics.New("test"),
		notifier: webhook.New(nil, webhook.Options{}),
		cfg:      &config.Config{Refresh: 20 * time.Millisecond},
		progress: map[string]*liveProgress{},
	}
	s.jobs.init()
	s.schedule()
	deadline := time.Now().Add(time.Minute)
	for {
		jobs := s.Jobs()
		if len(jobs) == 1 && jobs[0].Origin == "schedule" && jobs[0].Kind == api.KindSync && len(jobs[0].Images) == 0 {
			break
		}
		if len(jobs) > 1 {
			t.Fatalf("scheduled syncs were not coalesced while one waits: %+v", jobs)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scheduled sync: %+v", jobs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// More firings while the first waits are that same job.
	time.Sleep(100 * time.Millisecond)
	if jobs := s.Jobs(); len(jobs) != 1 {
		t.Errorf("%d jobs after several firings, want the one waiting", len(jobs))
	}
	s.mu.Lock()
	s.stopping = true
	s.timer.Stop()
	s.mu.Unlock()
}
