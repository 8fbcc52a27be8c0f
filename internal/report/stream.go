package report

import (
	"time"

	"github.com/sandlabx/fetchd/internal/engine"
)

// The types of the service's server-sent events (the SSE "event" field,
// and what a webhook's events: list names). Each finished image gets
// exactly one of the outcome types (installed … failed, missing, modified);
// removed is not an outcome: it tells of a build removed (prune, or
// retention after the image's outcome).
const (
	TypeResolve   = "resolve"   // asking the image's source for its current build
	TypeProgress  = "progress"  // a download starts, or bytes of it arrived
	TypeVerifying = "verifying" // the download is complete and being checked
	TypeInstalled = "installed" // a verified build was installed (result.state: installed, updated, replaced, adopted)
	TypePresent   = "present"   // the image was already current (or verified again)
	TypeOutdated  = "outdated"  // upstream has a newer build; the update policy says notify
	TypeHeld      = "held"      // a newer build is kept back by a hold or by VM disks
	TypeRefused   = "refused"   // a download or an answer was refused by a check (cause says which)
	TypeFailed    = "failed"    // anything else went wrong (network, plugin, disk)
	TypeRemoved   = "removed"   // a build was removed (prune, or retention after a sync moved a name)
	TypeMissing   = "missing"   // not on disk and not to be downloaded (AUTO_DOWNLOAD_IMAGES=false)
	TypeModified  = "modified"  // on disk but not as verified, and not to be replaced
	TypeJob       = "job"       // a service job changed state
	TypeReload    = "reload"    // the service loaded its config again, or refused the new one
)

// Types lists every stream type, in the order above.
var Types = []string{TypeResolve, TypeProgress, TypeVerifying, TypeInstalled, TypePresent, TypeOutdated,
	TypeHeld, TypeRefused, TypeFailed, TypeRemoved, TypeMissing, TypeModified, TypeJob, TypeReload}

// StreamType is the stream type of an engine event and, for a refused
// image, the cause.
func StreamType(e engine.Event) (typ, cause string) {
	switch e.Kind {
	case engine.Resolving:
		return TypeResolve, ""
	case engine.Downloading, engine.Progress:
		return TypeProgress, ""
	case engine.Verifying:
		return TypeVerifying, ""
	case engine.Removed:
		return TypeRemoved, ""
	}
	if e.Result == nil {
		return TypeFailed, ""
	}
	return OutcomeType(*e.Result)
}

// OutcomeType is the stream type of a finished image and, for a refusal,
// its cause.
func OutcomeType(r engine.Result) (typ, cause string) {
	switch r.Outcome {
	case engine.Installed, engine.Updated, engine.Replaced, engine.Adopted:
		return TypeInstalled, ""
	case engine.Present, engine.Verified:
		return TypePresent, ""
	case engine.Outdated:
		return TypeOutdated, ""
	case engine.Held:
		return TypeHeld, ""
	case engine.Missing:
		return TypeMissing, ""
	case engine.Modified:
		return TypeModified, ""
	}
	if c := RefusalCause(r.Err); c != "" {
		return TypeRefused, c
	}
	return TypeFailed, ""
}

// ForStream is an engine event as the service streams it: the object
// --log-format json prints, with the refusal cause and the job added, and
// its stream type.
func ForStream(e engine.Event, job string, at time.Time) (typ string, ev Event) {
	ev = FromEngine(e, at)
	typ, ev.Cause = StreamType(e)
	ev.Job = job
	return typ, ev
}
