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
	prune   *api.PruneReport
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
	case api.KindHold, api.KindUnhold:
		var res engine.Result
		if j.Kind == api.KindHold {
			res, err = eng.Hold(ctx, j.Images[0], j.req.Reason)
		} else {
			res, err = eng.Unhold(ctx, j.Images[0])
		}
		if err == nil {
			results = []engine.Result{res}
			s.held(j.ID, res)
		}
	case api.KindRollback:
		// The engine reports the result (outcome held) as a Done event.
		var res engine.Result
		if res, err = eng.Rollback(ctx, j.Images[0], j.req.Version, engine.MoveOptions{}); err == nil {
			results = []engine.Result{res}
		}
	case api.KindPrune:
		return s.prune(ctx, j, eng)
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

// held publishes the result of a hold or unhold: a held event while the
// image is held (by the operator or the config file), else its state.
func (s *Service) held(jobID string, r engine.Result) {
	s.status.remember(r)
	typ, ev := report.ForStream(engine.Event{Kind: engine.Done, Image: r.Name, Result: &r}, jobID, time.Now())
	if r.Hold != "" && r.Outcome.OK() {
		typ = report.TypeHeld
	}
	s.publish(typ, ev)
}

// prune runs a prune job: a removed event for each file removed (none in
// a dry run), and the report in the job.
func (s *Service) prune(ctx context.Context, j *job, eng *engine.Engine) jobOutcome {
	rep, err := eng.Prune(ctx, j.req.DryRun)
	s.status.invalidate()
	if err != nil {
		return jobOutcome{err: err}
	}
	out := jobOutcome{prune: pruneReport(rep)}
	var failed []string
	now := time.Now()
	for _, it := range rep.Removed {
		if it.Err != nil {
			failed = append(failed, it.Path+": "+it.Err.Error())
			continue
		}
		if rep.DryRun {
			continue
		}
		s.publish(report.TypeRemoved, report.Event{Time: report.Stamp(now), Level: report.Info, Event: report.TypeRemoved,
			Image: it.Image, Job: j.ID, Message: report.RemovedText(it.Kind, it.Version, it.Path, it.Why, it.Bytes)})
	}
	verb := "removed"
	if rep.DryRun {
		verb = "would remove"
	}
	out.note = fmt.Sprintf("%s %d files, %d bytes", verb, len(rep.Removed)-len(failed), rep.Freed)
	if len(failed) > 0 {
		out.err = fmt.Errorf("%d of %d files could not be removed: %s", len(failed), len(rep.Removed), strings.Join(failed, "; "))
	}
	s.refreshMetrics(context.WithoutCancel(ctx))
	return out
}

func pruneReport(rep engine.PruneReport) *api.PruneReport {
	items := func(in []engine.PruneItem) []api.PruneItem {
		out := make([]api.PruneItem, 0, len(in))
		for _, it := range in {
			p := api.PruneItem{Kind: it.Kind, Path: it.Path, Bytes: it.Bytes, Image: it.Image, Version: it.Version, Digest: it.Digest, Why: it.Why}
			if it.Err != nil {
				p.Error = it.Err.Error()
			}
			out = append(out, p)
		}
		return out
	}
	return &api.PruneReport{DryRun: rep.DryRun, Removed: items(rep.Removed), Kept: items(rep.Kept), Freed: rep.Freed}
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
