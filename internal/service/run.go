package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sandlabx/fetchd/internal/activity"
	"github.com/sandlabx/fetchd/internal/api"
	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/lock"
	"github.com/sandlabx/fetchd/internal/report"
)

// jobOutcome is what a job ends with.
type jobOutcome struct {
	results []report.Image
	note    string
	err     error
}

// runJob does one job: a fresh engine over the config in force (it takes
// the directory lock for the run, and its plugins stop with it), the
// work, and the record of what came of it.
func (s *Service) runJob(ctx context.Context, j *job) jobOutcome {
	cfg := s.config()
	if j.Kind == api.KindUpdate {
		cfg = alwaysUpdate(cfg, j.Images)
	}
	names := j.Images
	if len(names) == 0 {
		for _, im := range cfg.Images {
			names = append(names, im.Name)
		}
	}
	eng, err := s.deps.Open(cfg, true)
	if err != nil {
		return jobOutcome{err: err}
	}
	defer eng.Close()
	// The activity record lets `fetchd status` beside the service say what
	// the job is doing ("downloading 43% (pid N)").
	record := activity.NewRecorder(cfg.Dir, "serve")
	defer record.Close()
	eng.Reporter = tee{s.reporter(j.ID), record}
	eng.OnLockWait = func(h lock.Holder) {
		s.deps.Logf("job %s: waiting for %s to finish with %s", j.ID, h, cfg.Dir)
		s.setWaiting(j.ID, names)
	}
	eng.Sources = instrument(eng.Sources, s.metrics)

	var results []engine.Result
	switch j.Kind {
	case api.KindSync, api.KindUpdate:
		results, err = eng.Sync(ctx, engine.Options{Names: j.Images, Download: cfg.AutoDownload, Move: engine.MoveOptions{Rebase: cfg.RebaseOverlays}})
	case api.KindCheck:
		results, err = eng.Status(ctx, j.Images, true)
		for i := range results {
			s.finished(j.ID, results[i])
		}
	default:
		err = fmt.Errorf("%s is not available in this build of fetchd", j.Kind)
	}
	s.clearProgress(names)
	s.status.invalidate()
	if err != nil {
		return jobOutcome{err: err}
	}
	if j.Kind == api.KindSync && len(j.Images) == 0 && allOK(results) {
		s.metrics.SyncSucceeded(time.Now())
	}
	s.refreshMetrics(context.WithoutCancel(ctx))
	out := jobOutcome{results: report.FromResults(results)}
	out.err = failure(results)
	return out
}

// MaxCauses bounds how many failed images a job's error names with their
// causes (the rest by name).
const MaxCauses = 3

// failure is a job's error when images failed: how many, and each one's
// cause as fetchd words it (the first MaxCauses), so that whoever reads
// the job sees why without looking up every image.
func failure(rs []engine.Result) error {
	var causes, others []string
	for _, r := range rs {
		if r.Outcome.OK() {
			continue
		}
		if len(causes) == MaxCauses {
			others = append(others, r.Name)
			continue
		}
		why := "failed"
		if r.Err != nil {
			why = r.Err.Error()
			if c := report.RefusalCause(r.Err); c != "" {
				why = "refused by the " + report.CauseWords(c) + " check: " + why
			}
		}
		causes = append(causes, r.Name+": "+why)
	}
	if len(causes) == 0 {
		return nil
	}
	text := strings.Join(causes, "; ")
	if len(others) > 0 {
		text += "; also " + strings.Join(others, ", ")
	}
	return fmt.Errorf("%d of %d images failed: %s", len(causes)+len(others), len(rs), text)
}

// alwaysUpdate is cfg with the update policy "always" for the named
// images: what applying a reported update means.
func alwaysUpdate(cfg *config.Config, names []string) *config.Config {
	c := *cfg
	c.Images = slices.Clone(cfg.Images)
	for i := range c.Images {
		if slices.Contains(names, c.Images[i].Name) {
			c.Images[i].Update = config.Always
		}
	}
	return &c
}

func allOK(rs []engine.Result) bool {
	for _, r := range rs {
		if !r.Outcome.OK() {
			return false
		}
	}
	return len(rs) > 0
}

// tee gives every event to each reporter in turn.
type tee []engine.Reporter

func (t tee) Event(e engine.Event) {
	for _, r := range t {
		r.Event(e)
	}
}
