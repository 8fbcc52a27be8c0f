package api

import (
	"github.com/sandlabx/fetchd/internal/report"
)

// Image is one image in GET /v1/images: what `status --json` says (its
// build_path is what a VM overlay should use as its backing file), plus
// the overlays known to use it and the live progress of a build being
// fetched or checked.
type Image struct {
	report.Image
	// Overlays are the VM disks known to use this image by its name.
	Overlays []string `json:"overlays"`
	// Held says the image is held: by the operator, or by overlays.
	Held bool `json:"held"`
	// Progress is set while a job works on the image.
	Progress *Progress `json:"progress,omitempty"`
	// Origin is where the image is declared: "config" (the config file or
	// the built-in default) or "added" (POST /v1/images; DELETE removes
	// it). Declared says where, in words.
	Origin   string `json:"origin"`
	Declared string `json:"declared,omitempty"`
	// Cause names the check that refused the image's last build (see
	// report.RefusalCause) when Error is a refusal.
	Cause string `json:"cause,omitempty"`
}

// PruneReport is what a prune job removed (or, in a dry run, would
// remove) and what it kept.
type PruneReport struct {
	DryRun  bool        `json:"dry_run"`
	Removed []PruneItem `json:"removed"`
	Kept    []PruneItem `json:"kept"`
	// Freed is the bytes freed (that would be, in a dry run), failures
	// left out.
	Freed int64 `json:"freed"`
}

// PruneItem is one file prune removed or a build it kept.
type PruneItem struct {
	// Kind is build, partial (a download nothing will resume) or cache.
	Kind    string `json:"kind"`
	Path    string `json:"path"`
	Bytes   int64  `json:"bytes"`
	Image   string `json:"image,omitempty"`
	Version string `json:"version,omitempty"`
	Digest  string `json:"digest,omitempty"`
	// Why says why it is removed, or kept.
	Why string `json:"why,omitempty"`
	// Error is why removing it failed (nothing was freed).
	Error string `json:"error,omitempty"`
}

// Origins of an image.
const (
	OriginConfig = "config"
	OriginAdded  = "added"
)

// ImageAdded is the 202 answer to POST /v1/images: the image is in the
// configuration and a job syncs it.
type ImageAdded struct {
	Name string `json:"name"`
	// File is where added images are kept.
	File string `json:"file"`
	Job  Job    `json:"job"`
}

// ImageRemoved is the answer to DELETE /v1/images/{name}.
type ImageRemoved struct {
	Name    string `json:"name"`
	Removed bool   `json:"removed"`
	// Note says what happens to the file in the image directory.
	Note string `json:"note"`
}

// Progress is the live state of an image a job is working on.
type Progress struct {
	// Phase is one of waiting (for the directory lock), resolving,
	// downloading, verifying.
	Phase string `json:"phase"`
	Job   string `json:"job,omitempty"`
	URL   string `json:"url,omitempty"`
	// Done and Total count bytes (Total 0: unknown); Reused counts bytes
	// kept from an earlier partial download.
	Done   int64 `json:"done"`
	Total  int64 `json:"total"`
	Reused int64 `json:"reused,omitempty"`
	// Rate is bytes per second over this download (reused bytes left out).
	Rate float64 `json:"rate"`
	// ETASeconds is the expected time left, when the total and a rate are
	// known.
	ETASeconds *float64 `json:"eta_seconds,omitempty"`
	StartedAt  string   `json:"started_at"`
}

// ImageList is GET /v1/images.
type ImageList struct {
	Dir    string  `json:"dir"`
	Ready  bool    `json:"ready"`
	Images []Image `json:"images"`
	// LastEventID is the newest event reflected in this list: a client
	// that streams GET /v1/events with Last-Event-ID set to it misses
	// nothing.
	LastEventID uint64 `json:"last_event_id"`
}

// Job kinds.
const (
	KindSync     = "sync"
	KindCheck    = "check"
	KindUpdate   = "update"
	KindHold     = "hold"
	KindUnhold   = "unhold"
	KindRollback = "rollback"
	KindPrune    = "prune"
)

// Job states.
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
	JobCanceled  = "canceled"
)

// JobRequest is what a mutating call asks the backend to do.
type JobRequest struct {
	Kind string
	// Images limits the job to these images (empty: all).
	Images []string
	// Version is the build to roll back to ("" = the previous one).
	Version string
	// DryRun makes prune report without removing.
	DryRun bool
	// Reason is why a hold is set.
	Reason string
	// Origin says who asked: "api", "schedule", "start", "signal".
	Origin string
}

// Job is a unit of work the service runs, one at a time.
type Job struct {
	ID         string         `json:"id"`
	Kind       string         `json:"kind"`
	Images     []string       `json:"images,omitempty"`
	Origin     string         `json:"origin"`
	State      string         `json:"state"`
	CreatedAt  string         `json:"created_at"`
	StartedAt  string         `json:"started_at,omitempty"`
	FinishedAt string         `json:"finished_at,omitempty"`
	Error      string         `json:"error,omitempty"`
	Note       string         `json:"note,omitempty"`
	Results    []report.Image `json:"results,omitempty"`
	// Prune is a prune job's report.
	Prune *PruneReport `json:"prune,omitempty"`
}

// JobList is GET /v1/jobs: the most recent jobs, newest first.
type JobList struct {
	Jobs []Job `json:"jobs"`
}

// Readiness is GET /readyz.
type Readiness struct {
	Ready bool `json:"ready"`
	// Missing names the configured images that are not present and
	// verified.
	Missing []string `json:"missing"`
}

// Health is GET /healthz.
type Health struct {
	Status string `json:"status"`
	// Version is fetchd's version.
	Version string `json:"version"`
	// StartedAt is when the service started.
	StartedAt string `json:"started_at"`
}

// ReloadResult is POST /v1/reload's answer.
type ReloadResult struct {
	Reloaded bool   `json:"reloaded"`
	Config   string `json:"config"`
	Images   int    `json:"images"`
	// Restart lists settings that changed but take effect only when the
	// service is restarted (listeners).
	Restart []string `json:"restart,omitempty"`
}

// ErrorBody is every error response.
type ErrorBody struct {
	Error  string `json:"error"`
	Status int    `json:"status"`
}

// JobAccepted is the 202 answer to a mutating call.
type JobAccepted struct {
	Job Job `json:"job"`
}
