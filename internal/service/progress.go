package service

import (
	"time"

	"github.com/sandlabx/fetchd/internal/api"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/report"
)

// liveProgress is what the service knows of an image a job works on.
type liveProgress struct {
	api.Progress
	started   time.Time
	startDone int64     // bytes already there when the download started
	lastEvent time.Time // of the last progress event published
	// held is true when the newest progress was not published (too soon
	// after the last one): the download's end publishes it.
	held bool
}

// reporter is the engine's reporter for one job: it keeps the live
// progress, publishes events (progress at most every ProgressInterval
// per image, the last of a download always), and feeds the metrics and
// serve's own output.
func (s *Service) reporter(jobID string) engine.Reporter {
	return engine.ReporterFunc(func(e engine.Event) {
		now := time.Now()
		s.metrics.Observe(e, now)
		if s.deps.Output != nil {
			s.deps.Output.Event(e)
		}
		publish, flush := s.track(jobID, e, now)
		if flush != nil {
			s.publish(report.ForStream(*flush, jobID, now))
		}
		if !publish {
			return
		}
		if e.Kind == engine.Done {
			if e.Result != nil {
				s.finished(jobID, *e.Result)
			}
			return
		}
		s.publish(report.ForStream(e, jobID, now))
	})
}

// track updates the live progress and says whether the event is to be
// published, and what must be published before it: the last progress of
// a download whose size was not known ahead, held back by the throttle.
func (s *Service) track(jobID string, e engine.Event, now time.Time) (publish bool, flush *engine.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.progress[e.Image]
	switch e.Kind {
	case engine.Resolving:
		s.progress[e.Image] = &liveProgress{started: now, Progress: api.Progress{Phase: "resolving", Job: jobID, StartedAt: report.Stamp(now)}}
	case engine.Downloading:
		s.progress[e.Image] = &liveProgress{started: now, startDone: e.Done, lastEvent: now, Progress: api.Progress{
			Phase: "downloading", Job: jobID, URL: e.URL, Done: e.Done, Total: e.Total, Reused: e.Reused, StartedAt: report.Stamp(now)}}
	case engine.Progress:
		if p == nil {
			return false, nil
		}
		p.Done, p.Reused = e.Done, e.Reused
		if e.Total > 0 {
			p.Total = e.Total
		}
		last := p.Total > 0 && p.Done >= p.Total
		if !last && now.Sub(p.lastEvent) < ProgressInterval {
			p.held = true
			return false, nil
		}
		p.lastEvent, p.held = now, false
	case engine.Verifying:
		if p != nil && p.held {
			flush = &engine.Event{Kind: engine.Progress, Image: e.Image, Done: p.Done, Total: p.Done, Reused: p.Reused}
			p.held = false
		}
		if p == nil {
			p = &liveProgress{started: now, Progress: api.Progress{Job: jobID, StartedAt: report.Stamp(now)}}
			s.progress[e.Image] = p
		}
		p.Phase = "verifying"
	case engine.Done:
		delete(s.progress, e.Image)
	}
	return true, flush
}

// finished records an image's outcome and publishes it.
func (s *Service) finished(jobID string, r engine.Result) {
	s.status.remember(r)
	s.publish(report.ForStream(engine.Event{Kind: engine.Done, Image: r.Name, Result: &r}, jobID, time.Now()))
}

// setWaiting marks images as waiting for the directory lock.
func (s *Service) setWaiting(jobID string, names []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for _, n := range names {
		s.progress[n] = &liveProgress{started: now, Progress: api.Progress{Phase: "waiting", Job: jobID, StartedAt: report.Stamp(now)}}
	}
}

func (s *Service) clearProgress(names []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		delete(s.progress, n)
	}
}

// liveOf returns a copy of an image's live progress with its rate and
// ETA as of now, or nil.
func (s *Service) liveOf(name string, now time.Time) *api.Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.progress[name]
	if p == nil {
		return nil
	}
	out := p.Progress
	if out.Phase == "downloading" {
		if secs := now.Sub(p.started).Seconds(); secs > 0 {
			out.Rate = float64(out.Done-p.startDone) / secs
		}
		if out.Total > 0 && out.Rate > 0 {
			eta := float64(out.Total-out.Done) / out.Rate
			out.ETASeconds = &eta
		}
	}
	return &out
}
