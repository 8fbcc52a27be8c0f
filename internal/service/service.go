package service

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sandlabx/fetchd/internal/api"
	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/eventlog"
	"github.com/sandlabx/fetchd/internal/metrics"
	"github.com/sandlabx/fetchd/internal/report"
	"github.com/sandlabx/fetchd/internal/webhook"
)

// Bounds. ShutdownTimeout is documented: SIGTERM ends serve within it.
const (
	// EventLogSize is how many recent events a resuming client can get.
	EventLogSize = 4096
	// MaxQueued bounds the jobs waiting to run.
	MaxQueued = 32
	// KeptJobs is how many finished jobs GET /v1/jobs remembers.
	KeptJobs = 100
	// ProgressInterval spaces progress events of one image.
	ProgressInterval = 250 * time.Millisecond
	// JobStopTimeout bounds the wait for a cancelled job to stop
	// (downloads are cancelled, partials kept, plugins stopped).
	JobStopTimeout = 10 * time.Second
	// APIStopTimeout bounds the wait for API calls in progress.
	APIStopTimeout = 3 * time.Second
	// NotifyStopTimeout is what queued webhook deliveries get at the end.
	NotifyStopTimeout = 2 * time.Second
	// ShutdownTimeout bounds all of it.
	ShutdownTimeout = JobStopTimeout + APIStopTimeout + NotifyStopTimeout
	// StatusMaxAge bounds how old the on-disk status behind GET /v1/images
	// may be (it is refreshed at once after every job and image).
	StatusMaxAge = time.Second
)

// Deps is what the service needs from the command that starts it.
type Deps struct {
	// Load reads the configuration as the command line says (--config,
	// --dir, the environment) and checks that every source exists.
	Load func() (*config.Config, error)
	// Open builds an engine over cfg (engine.Open): write for a job that
	// changes the directory (closing the engine stops the plugins it
	// started), !write for reading the status.
	Open func(cfg *config.Config, write bool) (*engine.Engine, error)
	// Sources reports the source plugins as `list-sources --json` does.
	Sources func(ctx context.Context, cfg *config.Config) (json.RawMessage, error)
	// Output, if set, also gets every engine event (serve's log lines).
	Output engine.Reporter
	// Logf prints one line about the service.
	Logf func(format string, args ...any)
	// Supports says whether this build can run a job kind.
	Supports func(kind string) bool
	Version  string
	// UI, if set, is mounted at / on every listener.
	UI http.Handler
	// Resolve answers what `fetchd resolve --json` would for a source
	// image, over cfg.
	Resolve func(ctx context.Context, cfg *config.Config, q api.ResolveBody) (json.RawMessage, error)
}

// Service is one running `fetchd serve`.
type Service struct {
	deps    Deps
	log     *eventlog.Log
	metrics *metrics.Metrics
	api     *api.Server
	started time.Time

	mu       sync.Mutex
	cfg      *config.Config
	token    Token
	notifier *webhook.Notifier
	stopping bool
	timer    *time.Timer
	// shrink gives memory back a while after the last event stream closed.
	shrink *time.Timer

	jobs jobQueue

	// progress is the live state of images being worked on, and the
	// throttle of their progress events.
	progress map[string]*liveProgress

	status statusCache
	// reader reads the status for the API, over the config in force;
	// readerMu keeps a reload from closing it under a reader.
	readerMu sync.RWMutex
	reader   *engine.Engine
	// sources caches list-sources for the current config.
	sourcesDoc json.RawMessage
	// addMu keeps one change of the added images at a time.
	addMu sync.Mutex
}

// New builds the service over cfg (already loaded by deps.Load).
func New(deps Deps, cfg *config.Config) (*Service, error) {
	if deps.Logf == nil {
		deps.Logf = func(string, ...any) {}
	}
	if deps.Supports == nil {
		deps.Supports = defaultSupports
	}
	s := &Service{
		deps:     deps,
		log:      eventlog.New(EventLogSize),
		metrics:  metrics.New(deps.Version),
		started:  time.Now(),
		cfg:      cfg,
		progress: map[string]*liveProgress{},
	}
	s.jobs.init()
	tok, err := LoadToken(cfg)
	if err != nil {
		return nil, err
	}
	s.token = tok
	s.api = api.New(s, api.Options{Version: deps.Version, Metrics: s.metrics.Handler(), UI: deps.UI,
		Observe: s.metrics.APIRequest, NoStreams: s.shrinkSoon})
	s.api.Access().Set(tok.Value, cfg.API.PublicRead)
	s.notifier = s.newNotifier(cfg)
	if s.reader, err = deps.Open(cfg, false); err != nil {
		return nil, err
	}
	return s, nil
}

// defaultSupports: the jobs today's engine can run.
func defaultSupports(kind string) bool {
	switch kind {
	case api.KindSync, api.KindCheck, api.KindUpdate, api.KindHold, api.KindUnhold, api.KindRollback, api.KindPrune:
		return true
	}
	return false
}

func (s *Service) newNotifier(cfg *config.Config) *webhook.Notifier {
	var hooks []webhook.Hook
	for _, w := range cfg.Notify {
		hooks = append(hooks, webhook.Hook{URL: w.URL, Events: w.Events, Secret: w.Secret, RetryFor: w.RetryFor})
	}
	return webhook.New(hooks, webhook.Options{
		UserAgent: "fetchd/" + s.deps.Version,
		Observer:  s.metrics,
		Logf:      s.deps.Logf,
	})
}

// Token is the API token and where it is kept.
func (s *Service) Token() Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// Metrics is the service's metrics (tests and the benchmark read them).
func (s *Service) Metrics() *metrics.Metrics { return s.metrics }

// config returns the configuration in force.
func (s *Service) config() *config.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Listener is one listener the API answers on.
type Listener struct {
	Net  net.Listener
	Kind api.ListenerKind
	// Name is how it is shown: unix:<path> or http://<addr>.
	Name string
}

// Run serves the API on the listeners, syncs everything at once, then on
// the schedule, and runs jobs until ctx is done. Then it stops starting
// work, cancels the job in progress (partial downloads are kept), closes
// the listeners and returns nil, within ShutdownTimeout.
func (s *Service) Run(ctx context.Context, listeners []Listener) error {
	serveErr := make(chan error, len(listeners))
	for _, l := range listeners {
		go func() { serveErr <- s.api.Serve(l.Net, l.Kind) }()
	}
	if _, err := s.Submit(api.JobRequest{Kind: api.KindSync, Origin: "start"}); err != nil {
		return err
	}
	s.schedule()
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		s.work(ctx)
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("api listener: %w", err)
	}
	s.stop(workerDone)
	return err
}

func (s *Service) stop(workerDone <-chan struct{}) {
	s.mu.Lock()
	s.stopping = true
	if s.timer != nil {
		s.timer.Stop()
	}
	s.mu.Unlock()
	s.jobs.cancelAll()
	t := time.NewTimer(JobStopTimeout)
	select {
	case <-workerDone:
	case <-t.C:
		s.deps.Logf("the job in progress did not stop within %s; leaving it", JobStopTimeout)
	}
	t.Stop()
	apiCtx, cancel := context.WithTimeout(context.Background(), APIStopTimeout)
	_ = s.api.Shutdown(apiCtx)
	cancel()
	s.mu.Lock()
	n := s.notifier
	s.mu.Unlock()
	nctx, cancel := context.WithTimeout(context.Background(), NotifyStopTimeout)
	n.Close(nctx)
	cancel()
	s.log.Close()
	s.readerMu.Lock()
	s.reader.Close()
	s.readerMu.Unlock()
}

// publish sends one event, of stream type typ, to the log, the webhooks
// and the metrics.
func (s *Service) publish(typ string, ev report.Event) {
	data, err := json.Marshal(ev)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log.Append(typ, data)
	s.notifier.Notify(typ, data)
	s.metrics.Published(typ)
}

// Events is the event log (api.Backend).
func (s *Service) Events() *eventlog.Log { return s.log }

// Health says the process is alive (api.Backend).
func (s *Service) Health() api.Health {
	return api.Health{Status: "ok", Version: s.deps.Version, StartedAt: report.Stamp(s.started)}
}

// errStopping refuses work once shutdown began.
var errStopping = api.Errorf(503, "fetchd serve is shutting down")

var _ api.Backend = (*Service)(nil)

// ShrinkDelay is how long after the last event stream closes the service
// gives back the memory the streams used.
const ShrinkDelay = 5 * time.Second

// shrinkSoon gives the memory back ShrinkDelay from now (once, however
// many streams close meanwhile), so that a service whose clients are gone
// is as small as an idle one.
func (s *Service) shrinkSoon() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shrink == nil {
		s.shrink = time.AfterFunc(ShrinkDelay, func() { debug.FreeOSMemory() })
		return
	}
	s.shrink.Reset(ShrinkDelay)
}
