package api

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sandlabx/fetchd/internal/eventlog"
)

// Backend answers the API's calls: the service.
type Backend interface {
	// Images reports every configured image.
	Images(ctx context.Context) (ImageList, error)
	// Image reports one; an unknown name is a *StatusError 404.
	Image(ctx context.Context, name string) (Image, error)
	// Sources reports the source plugins as `list-sources --json` does.
	Sources(ctx context.Context) (json.RawMessage, error)
	// Submit queues a job and returns it at once.
	Submit(req JobRequest) (Job, error)
	// Job returns a job by id.
	Job(id string) (Job, bool)
	// Jobs returns the most recent jobs, newest first.
	Jobs() []Job
	// Reload loads the configuration again; a bad one is refused (a
	// *StatusError 422) and the running one stays.
	Reload(ctx context.Context) (ReloadResult, error)
	// Ready says whether every configured image is present and verified.
	Ready() Readiness
	// Health says the process is alive.
	Health() Health
	// Events is the event log GET /v1/events streams.
	Events() *eventlog.Log
	// Resolve answers what `fetchd resolve --json` would for a source
	// image (nothing is downloaded), or checks a url image's declaration.
	Resolve(ctx context.Context, body ResolveBody) (json.RawMessage, error)
	// AddImage adds an image to the configuration (kept in the private
	// directory) and queues its sync; a name in use is a 409.
	AddImage(ctx context.Context, body AddImageBody) (ImageAdded, error)
	// RemoveImage takes an added image out of the configuration; one the
	// config file declares is a 409 that says where.
	RemoveImage(ctx context.Context, name string) (ImageRemoved, error)
}

// StatusError is an error with the HTTP status it should be answered
// with. Backends return it for anything but a 500.
type StatusError struct {
	Status int
	Msg    string
}

func (e *StatusError) Error() string { return e.Msg }

// Errorf returns a *StatusError.
func Errorf(status int, format string, args ...any) error {
	return &StatusError{Status: status, Msg: fmt.Sprintf(format, args...)}
}
