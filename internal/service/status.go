package service

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/sandlabx/fetchd/internal/added"
	"github.com/sandlabx/fetchd/internal/api"
	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/metrics"
	"github.com/sandlabx/fetchd/internal/report"
)

// statusCache is what the service knows about each image: what is on disk
// (as `fetchd status` reads it) and how each image's last job ended. A
// reader gets the on-disk status as last read; when it is older than
// StatusMaxAge, or a job changed something, one reader refreshes it while
// the others go on with the last one, so a refresh never holds up the API.
type statusCache struct {
	mu         sync.Mutex
	at         time.Time
	dirty      bool
	refreshing bool
	ondisk     []engine.Result
	known      map[string]knownResult
	// refreshMu serializes reads of the disk.
	refreshMu sync.Mutex
}

// remember keeps an image's outcome from a job.
func (c *statusCache) remember(r engine.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known == nil {
		c.known = map[string]knownResult{}
	}
	c.known[r.Name] = knownResult{Result: r, at: time.Now()}
	c.dirty = true
}

// knownResult is an image's outcome from a job, and when it came.
type knownResult struct {
	engine.Result
	at time.Time
}

func (c *statusCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dirty = true
}

// results returns every configured image's status, merged with what its
// last job said. fresh reads the disk now (after a job, for the metrics).
func (s *Service) results(ctx context.Context, fresh bool) ([]engine.Result, error) {
	c := &s.status
	c.mu.Lock()
	stale := c.dirty || time.Since(c.at) >= StatusMaxAge
	have := c.ondisk != nil
	start := stale && have && !fresh && !c.refreshing
	if start {
		c.refreshing = true
	}
	c.mu.Unlock()
	switch {
	case fresh || !have:
		if err := s.readDisk(ctx); err != nil {
			return nil, err
		}
	case start:
		go func() {
			_ = s.readDisk(context.WithoutCancel(ctx))
			c.mu.Lock()
			c.refreshing = false
			c.mu.Unlock()
		}()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]engine.Result, len(c.ondisk))
	for i, r := range c.ondisk {
		if k, ok := c.known[r.Name]; ok {
			if k.at.After(c.at) && k.Outcome != engine.Failed {
				// Newer than the last read of the disk: what the engine
				// left on disk, as it reported it.
				r = k.Result
			} else {
				r = merge(r, k.Result)
			}
		}
		out[i] = r
	}
	return out, nil
}

// readDisk reads the on-disk status into the cache.
func (s *Service) readDisk(ctx context.Context) error {
	c := &s.status
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	c.mu.Lock()
	c.dirty = false
	c.mu.Unlock()
	s.readerMu.RLock()
	rs, err := s.reader.Status(ctx, nil, false)
	s.readerMu.RUnlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.dirty = true
		return err
	}
	c.ondisk, c.at = rs, time.Now()
	return nil
}

// merge adds what the image's last job found to its on-disk status: an
// outdated notice, upstream's build, or the error of a failed job, as long
// as the build on disk is still the one the job saw.
func merge(disk, last engine.Result) engine.Result {
	same := disk.Local != nil && last.Local != nil && disk.Local.Digest == last.Local.Digest
	gone := disk.Local == nil && last.Local == nil
	if !same && !gone {
		return disk
	}
	if last.Upstream != nil {
		disk.Upstream = last.Upstream
	}
	switch {
	case last.Outcome == engine.Outdated && disk.Outcome == engine.Present:
		disk.Outcome, disk.Note = engine.Outdated, last.Note
	case last.Outcome == engine.Failed:
		if disk.Outcome == engine.Missing {
			disk.Outcome = engine.Failed
		}
		disk.Err = last.Err
		if disk.Outcome.OK() {
			disk.Note = "the last sync failed; this build is still in place"
		}
	case last.Err != nil && disk.Err == nil:
		disk.Err = last.Err
	}
	if last.Outcome == engine.Held && disk.Outcome.OK() {
		disk.Outcome, disk.Note = last.Outcome, last.Note
		disk.HeldBy, disk.Pending, disk.PendingPath = last.HeldBy, last.Pending, last.PendingPath
	}
	return disk
}

// Images reports every image (api.Backend).
func (s *Service) Images(ctx context.Context) (api.ImageList, error) {
	last := s.log.LastID() // taken first: the list reflects at least this
	rs, err := s.results(ctx, false)
	if err != nil {
		return api.ImageList{}, err
	}
	cfg := s.config()
	list := api.ImageList{Dir: cfg.Dir, Ready: true, Images: make([]api.Image, 0, len(rs)), LastEventID: last}
	now := time.Now()
	for _, r := range rs {
		list.Images = append(list.Images, s.imageOf(cfg, r, now))
		if !r.Outcome.OK() {
			list.Ready = false
		}
	}
	return list, nil
}

func (s *Service) imageOf(cfg *config.Config, r engine.Result, now time.Time) api.Image {
	im := api.Image{Image: report.FromResult(r), Overlays: []string{}, Held: r.Outcome == engine.Held || r.Hold != "", Progress: s.liveOf(r.Name, now),
		Origin: api.OriginConfig, Cause: report.RefusalCause(r.Err)}
	if c, ok := cfg.Image(r.Name); ok {
		im.Declared = cfg.Declared(c)
		if c.Added {
			im.Origin, im.Declared = api.OriginAdded, added.Path(cfg.Dir)
		}
	}
	if r.HeldBy != nil {
		im.Overlays = r.HeldBy
	}
	return im
}

// Image reports one image (api.Backend).
func (s *Service) Image(ctx context.Context, name string) (api.Image, error) {
	list, err := s.Images(ctx)
	if err != nil {
		return api.Image{}, err
	}
	for _, im := range list.Images {
		if im.Name == name {
			return im, nil
		}
	}
	return api.Image{}, api.Errorf(http.StatusNotFound, "no image called %q in the configuration", name)
}

// Ready says whether every configured image is present and verified
// (api.Backend).
func (s *Service) Ready() api.Readiness {
	rs, err := s.results(context.Background(), false)
	if err != nil {
		return api.Readiness{Missing: []string{"(status unavailable: " + err.Error() + ")"}}
	}
	rd := api.Readiness{Ready: true, Missing: []string{}}
	for _, r := range rs {
		if !r.Outcome.OK() {
			rd.Ready = false
			rd.Missing = append(rd.Missing, r.Name)
		}
	}
	return rd
}

// refreshMetrics sets the per-image gauges from the status.
func (s *Service) refreshMetrics(ctx context.Context) {
	rs, err := s.results(ctx, true)
	if err != nil {
		return
	}
	s.status.mu.Lock()
	known := s.status.known
	var images []metrics.Image
	for _, r := range rs {
		k, hasLast := known[r.Name]
		im := metrics.Image{Name: r.Name, Present: r.Outcome.OK(), Outdated: r.Outcome == engine.Outdated,
			Held: r.Outcome == engine.Held, Failed: hasLast && k.Outcome == engine.Failed}
		if e := r.Local; e != nil {
			im.Source, im.Release, im.Arch, im.Variant, im.Version, im.Digest = e.Source, e.Release, e.Arch, e.Variant, e.Version, e.Digest.String()
		}
		images = append(images, im)
	}
	s.status.mu.Unlock()
	s.metrics.SetImages(images)
}
