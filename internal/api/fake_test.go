package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/sandlabx/fetchd/internal/eventlog"
	"github.com/sandlabx/fetchd/internal/report"
)

// fakeBackend answers with fixed data and records what was submitted.
type fakeBackend struct {
	mu        sync.Mutex
	submitted []JobRequest
	log       *eventlog.Log
	ready     bool
	badReload bool
	queueFull bool
}

func newFake() *fakeBackend { return &fakeBackend{log: eventlog.New(8)} }

var fakeImages = []Image{
	{Image: report.Image{Name: "alpine-3.qcow2", State: "present", OK: true, Source: "alpine", Release: "latest-stable", BuildPath: "/images/.fetchd/builds/x",
		Version: "3.22.2-r0", Digest: "sha512:" + repeat("ab", 64), Size: 1 << 20, VerifiedAt: "2026-12-03T10:00:00Z",
		VerifiedBy: []string{"sha512", "qcow2-header"}}, Overlays: []string{}, Origin: OriginConfig, Declared: "/etc/fetchd/fetchd.yaml line 3"},
	{Image: report.Image{Name: "debian-13.qcow2", State: "failed", Error: "refused"}, Overlays: []string{}, Origin: OriginAdded, Cause: "qcow2_header",
		Progress: &Progress{Phase: "downloading", Job: "1", URL: "https://x/d.qcow2", Done: 10, Total: 100, Rate: 5, StartedAt: "2026-12-03T10:00:00Z"}},
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func (f *fakeBackend) Images(context.Context) (ImageList, error) {
	return ImageList{Dir: "/images", Ready: f.ready, Images: fakeImages, LastEventID: f.log.LastID()}, nil
}

func (f *fakeBackend) Image(_ context.Context, name string) (Image, error) {
	for _, im := range fakeImages {
		if im.Name == name {
			return im, nil
		}
	}
	return Image{}, Errorf(http.StatusNotFound, "no image called %q in the configuration", name)
}

func (f *fakeBackend) Sources(context.Context) (json.RawMessage, error) {
	return json.RawMessage(`{"sources":[{"name":"alpine","origin":"built-in","builtin":true,"path":"/usr/bin/fetchd","releases":[{"Name":"3.22"}]}],"warnings":[]}`), nil
}

func (f *fakeBackend) Submit(req JobRequest) (Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.queueFull {
		return Job{}, Errorf(http.StatusServiceUnavailable, "the job queue is full")
	}
	for _, n := range req.Images {
		if _, err := f.Image(context.Background(), n); err != nil {
			return Job{}, err
		}
	}
	if req.Kind == KindHold {
		return Job{}, Errorf(http.StatusNotImplemented, "hold is not available")
	}
	f.submitted = append(f.submitted, req)
	return Job{ID: strconv.Itoa(len(f.submitted)), Kind: req.Kind, Images: req.Images, Origin: req.Origin, State: JobQueued, CreatedAt: "2026-12-03T10:00:00Z"}, nil
}

func (f *fakeBackend) Job(id string) (Job, bool) {
	if id == "1" {
		return Job{ID: "1", Kind: KindSync, Origin: "start", State: JobSucceeded, CreatedAt: "2026-12-03T10:00:00Z",
			Results: []report.Image{fakeImages[0].Image}}, true
	}
	if id == "2" {
		return Job{ID: "2", Kind: KindPrune, Origin: "api", State: JobSucceeded, CreatedAt: "2026-12-03T10:00:00Z", Note: "removed 1 files, 4096 bytes",
			Prune: &PruneReport{Removed: []PruneItem{{Kind: "build", Path: "/images/.fetchd/builds/y", Bytes: 4096, Image: "alpine-3.qcow2", Version: "3.22.1-r0", Digest: "sha512:cdcd", Why: "beyond retain: 1"}},
				Kept: []PruneItem{{Kind: "build", Path: "/images/.fetchd/builds/x", Bytes: 4096, Image: "alpine-3.qcow2", Why: "current"}}, Freed: 4096}}, true
	}
	return Job{}, false
}

func (f *fakeBackend) Jobs() []Job {
	j, _ := f.Job("1")
	p, _ := f.Job("2")
	return []Job{p, j}
}

func (f *fakeBackend) Reload(context.Context) (ReloadResult, error) {
	if f.badReload {
		return ReloadResult{}, Errorf(http.StatusUnprocessableEntity, "fetchd.yaml:3: unknown key \"imagez\"; the running config stays")
	}
	return ReloadResult{Reloaded: true, Config: "/etc/fetchd/fetchd.yaml", Images: 3}, nil
}

func (f *fakeBackend) Ready() Readiness {
	if f.ready {
		return Readiness{Ready: true}
	}
	return Readiness{Missing: []string{"debian-13.qcow2"}}
}

func (f *fakeBackend) Health() Health {
	return Health{Status: "ok", Version: "test", StartedAt: "2026-12-03T10:00:00Z"}
}

func (f *fakeBackend) Events() *eventlog.Log { return f.log }

func (f *fakeBackend) Resolve(_ context.Context, b ResolveBody) (json.RawMessage, error) {
	if b.Source == "nope" {
		return nil, Errorf(http.StatusUnprocessableEntity, "no source called %q", b.Source)
	}
	return json.RawMessage(`{"source":"alpine","url":"https://x/a.qcow2","version":"3.22.2-r0","checksum":"sha512:ab","signature":"unsigned","size":10,"metadata_read":[],"warnings":[]}`), nil
}

func (f *fakeBackend) AddImage(_ context.Context, b AddImageBody) (ImageAdded, error) {
	if _, err := f.Image(context.Background(), b.Name); err == nil {
		return ImageAdded{}, Errorf(http.StatusConflict, "an image called %q is configured already", b.Name)
	}
	job, err := f.Submit(JobRequest{Kind: KindSync, Origin: "api"})
	if err != nil {
		return ImageAdded{}, err
	}
	return ImageAdded{Name: b.Name, File: "/images/.fetchd/images.yaml", Job: job}, nil
}

func (f *fakeBackend) RemoveImage(_ context.Context, name string) (ImageRemoved, error) {
	if name == "alpine-3.qcow2" {
		return ImageRemoved{}, Errorf(http.StatusConflict, "%s is declared in /etc/fetchd/fetchd.yaml line 3; remove it there", name)
	}
	if name != "added.qcow2" {
		return ImageRemoved{}, Errorf(http.StatusNotFound, "no image called %q in the configuration", name)
	}
	return ImageRemoved{Name: name, Removed: true, Note: "the file stays"}, nil
}
