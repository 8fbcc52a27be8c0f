package service

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/sandlabx/fetchd/internal/api"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/report"
)

// Reload loads the configuration again (api.Backend, and SIGHUP). A
// config that does not load, or that changes what cannot change while
// serve runs (the directory), is refused with the reason, and the running
// one stays.
func (s *Service) Reload(ctx context.Context) (api.ReloadResult, error) {
	cfg, err := s.deps.Load()
	old := s.config()
	if err == nil && cfg.Dir != old.Dir {
		err = fmt.Errorf("the image directory changed (%s to %s): restart fetchd serve for that", old.Dir, cfg.Dir)
	}
	var tok Token
	if err == nil {
		tok, err = LoadToken(cfg)
	}
	var reader *engine.Engine
	if err == nil {
		reader, err = s.deps.Open(cfg, false)
	}
	if err != nil {
		s.publish(report.TypeReload, report.Event{Time: report.Stamp(time.Now()), Level: report.Error, Event: report.TypeReload,
			Message: "the new config was refused, the running one stays: " + err.Error()})
		s.deps.Logf("reload refused, the running config stays: %v", err)
		return api.ReloadResult{}, api.Errorf(http.StatusUnprocessableEntity, "config refused, the running one stays: %v", err)
	}
	res := api.ReloadResult{Reloaded: true, Config: cfg.File, Images: len(cfg.Images)}
	if res.Config == "" {
		res.Config = "built-in default"
	}
	if cfg.API.Listen != old.API.Listen {
		res.Restart = append(res.Restart, "api.listen")
	}
	if cfg.SocketPath() != old.SocketPath() {
		res.Restart = append(res.Restart, "api.socket")
	}
	notifier := s.newNotifier(cfg)
	s.mu.Lock()
	oldNotifier := s.notifier
	refreshChanged := cfg.Refresh != old.Refresh
	s.cfg, s.token, s.notifier, s.sourcesDoc = cfg, tok, notifier, nil
	s.mu.Unlock()
	s.api.Access().Set(tok.Value, cfg.API.PublicRead)
	s.readerMu.Lock()
	oldReader := s.reader
	s.reader = reader
	s.readerMu.Unlock()
	oldReader.Close()
	go func() {
		nctx, cancel := context.WithTimeout(context.Background(), NotifyStopTimeout)
		defer cancel()
		oldNotifier.Close(nctx)
	}()
	if refreshChanged {
		s.schedule()
	}
	s.status.invalidate()
	s.refreshMetrics(ctx)
	msg := fmt.Sprintf("loaded %s: %d images", res.Config, res.Images)
	s.publish(report.TypeReload, report.Event{Time: report.Stamp(time.Now()), Level: report.Info, Event: report.TypeReload, Message: msg})
	s.deps.Logf("reloaded: %s", msg)
	return res, nil
}

// schedule (re)arms the refresh timer: the next sync of everything in
// refresh ± 10%. A timer, not a loop: nothing runs in between.
func (s *Service) schedule() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	d := jitter(s.cfg.Refresh)
	s.timer = time.AfterFunc(d, func() {
		if _, err := s.Submit(api.JobRequest{Kind: api.KindSync, Origin: "schedule"}); err != nil {
			s.deps.Logf("scheduled sync not started: %v", err)
		}
		s.schedule()
	})
}

// jitter spreads d by ±10%, so that many services started together do not
// ask upstream together.
func jitter(d time.Duration) time.Duration {
	spread := int64(d) / 5
	if spread <= 0 {
		return d
	}
	return d - time.Duration(spread/2) + time.Duration(rand.Int64N(spread+1))
}

// Sources reports the source plugins (api.Backend); the answer is kept
// until the next reload.
func (s *Service) Sources(ctx context.Context) (json.RawMessage, error) {
	s.mu.Lock()
	doc, cfg := s.sourcesDoc, s.cfg
	s.mu.Unlock()
	if doc != nil {
		return doc, nil
	}
	doc, err := s.deps.Sources(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.cfg == cfg {
		s.sourcesDoc = doc
	}
	s.mu.Unlock()
	return doc, nil
}
