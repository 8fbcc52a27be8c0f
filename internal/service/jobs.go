package service

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sandlabx/fetchd/internal/api"
	"github.com/sandlabx/fetchd/internal/report"
)

// job is one queued, running or finished job.
type job struct {
	api.Job
	req    api.JobRequest
	cancel context.CancelFunc
}

// jobQueue holds the jobs: waiting, the one running, and the most recent
// finished ones. One worker runs them in order.
type jobQueue struct {
	mu       sync.Mutex
	next     int
	waiting  []*job
	running  *job
	finished []*job // oldest first, at most KeptJobs
	wake     chan struct{}
	stopped  bool
}

func (q *jobQueue) init() { q.wake = make(chan struct{}, 1) }

// Submit queues a job (api.Backend). A job that asks for exactly what a
// waiting one asks for is that job.
func (s *Service) Submit(req api.JobRequest) (api.Job, error) {
	if !s.deps.Supports(req.Kind) {
		return api.Job{}, api.Errorf(http.StatusNotImplemented, "%s is not available in this build of fetchd", req.Kind)
	}
	cfg := s.config()
	for _, n := range req.Images {
		if _, ok := cfg.Image(n); !ok {
			return api.Job{}, api.Errorf(http.StatusNotFound, "no image called %q in the configuration", n)
		}
	}
	s.mu.Lock()
	stopping := s.stopping
	s.mu.Unlock()
	if stopping {
		return api.Job{}, errStopping
	}
	q := &s.jobs
	q.mu.Lock()
	for _, j := range q.waiting {
		if sameRequest(j.req, req) {
			snap := j.Job
			q.mu.Unlock()
			return snap, nil
		}
	}
	if len(q.waiting) >= MaxQueued {
		q.mu.Unlock()
		return api.Job{}, api.Errorf(http.StatusServiceUnavailable, "%d jobs are waiting already; try again later", MaxQueued)
	}
	q.next++
	j := &job{req: req, Job: api.Job{
		ID: strconv.Itoa(q.next), Kind: req.Kind, Images: slices.Clone(req.Images), Origin: req.Origin,
		State: api.JobQueued, CreatedAt: report.Stamp(time.Now()),
	}}
	q.waiting = append(q.waiting, j)
	snap := j.Job
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	s.publishJob(snap)
	return snap, nil
}

func sameRequest(a, b api.JobRequest) bool {
	return a.Kind == b.Kind && slices.Equal(a.Images, b.Images) && a.Version == b.Version && a.DryRun == b.DryRun && a.Reason == b.Reason
}

// Job returns one job (api.Backend).
func (s *Service) Job(id string) (api.Job, bool) {
	q := &s.jobs
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, list := range [][]*job{q.waiting, q.finished, {q.running}} {
		for _, j := range list {
			if j != nil && j.ID == id {
				return j.Job, true
			}
		}
	}
	return api.Job{}, false
}

// Jobs returns the jobs, newest first (api.Backend).
func (s *Service) Jobs() []api.Job {
	q := &s.jobs
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []api.Job
	for i := len(q.waiting) - 1; i >= 0; i-- {
		out = append(out, q.waiting[i].Job)
	}
	if q.running != nil {
		out = append(out, q.running.Job)
	}
	for i := len(q.finished) - 1; i >= 0; i-- {
		out = append(out, q.finished[i].Job)
	}
	return out
}

// work runs queued jobs, one at a time, until ctx is done.
func (s *Service) work(ctx context.Context) {
	q := &s.jobs
	for {
		q.mu.Lock()
		if q.stopped || ctx.Err() != nil {
			q.mu.Unlock()
			return
		}
		if len(q.waiting) == 0 {
			q.mu.Unlock()
			select {
			case <-q.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		j := q.waiting[0]
		q.waiting = q.waiting[1:]
		jctx, cancel := context.WithCancel(ctx)
		j.cancel = cancel
		j.State, j.StartedAt = api.JobRunning, report.Stamp(time.Now())
		q.running = j
		snap := j.Job
		q.mu.Unlock()

		s.publishJob(snap)
		s.deps.Logf("job %s (%s%s, %s) started", j.ID, j.Kind, imagesText(j.Images), j.Origin)
		out := s.runJob(jctx, j)
		cancel()

		q.mu.Lock()
		j.FinishedAt = report.Stamp(time.Now())
		j.Results, j.Note, j.Prune = out.results, out.note, out.prune
		switch {
		case ctx.Err() != nil:
			j.State, j.Error = api.JobCanceled, "fetchd serve is shutting down"
		case out.err != nil:
			j.State, j.Error = api.JobFailed, out.err.Error()
		default:
			j.State = api.JobSucceeded
		}
		q.running = nil
		q.finished = append(q.finished, j)
		if len(q.finished) > KeptJobs {
			q.finished = q.finished[len(q.finished)-KeptJobs:]
		}
		snap = j.Job
		q.mu.Unlock()
		s.metrics.JobFinished(snap.Kind, snap.State)
		s.publishJob(snap)
		s.logJob(snap)
		// A job's buffers (a download's, plugins' answers) are garbage
		// now: give the memory back, so that an idle service is small.
		debug.FreeOSMemory()
	}
}

// cancelAll cancels the running job and drops the waiting ones.
func (q *jobQueue) cancelAll() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = true
	if q.running != nil && q.running.cancel != nil {
		q.running.cancel()
	}
	now := report.Stamp(time.Now())
	for _, j := range q.waiting {
		j.State, j.FinishedAt, j.Error = api.JobCanceled, now, "fetchd serve is shutting down"
		q.finished = append(q.finished, j)
	}
	q.waiting = nil
}

func (s *Service) publishJob(j api.Job) {
	ev := report.Event{Time: report.Stamp(time.Now()), Level: report.Info, Event: report.TypeJob, Job: j.ID, State: j.State,
		Message: fmt.Sprintf("%s%s (%s) %s", j.Kind, imagesText(j.Images), j.Origin, j.State)}
	if j.Error != "" {
		ev.Level = report.Error
		ev.Message += ": " + j.Error
	}
	s.publish(report.TypeJob, ev)
}

func (s *Service) logJob(j api.Job) {
	ok := 0
	for _, r := range j.Results {
		if r.OK {
			ok++
		}
	}
	summary := ""
	if len(j.Results) > 0 {
		summary = fmt.Sprintf(": %d of %d images ready", ok, len(j.Results))
	}
	if j.Note != "" {
		summary += "; " + j.Note
	}
	if j.Error != "" {
		s.deps.Logf("job %s (%s%s) %s%s: %s", j.ID, j.Kind, imagesText(j.Images), j.State, summary, j.Error)
		return
	}
	s.deps.Logf("job %s (%s%s) %s%s", j.ID, j.Kind, imagesText(j.Images), j.State, summary)
}

func imagesText(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return " " + names[0]
	}
	return fmt.Sprintf(" %s and %d more", names[0], len(names)-1)
}
