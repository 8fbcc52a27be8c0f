// Package report is how fetchd tells machines what it did and is doing:
// the JSON encoding of results (Image: the "images" of sync, status and
// verify --json) and of events (Event: each line on stderr with
// --log-format json, and what the service sends as server-sent events).
//
// # Events
//
// With --log-format json every line fetchd writes on stderr is one JSON
// object, an Event:
//
//	time     RFC 3339 time, UTC, with nanoseconds                 always
//	level    "info", "warning", "error", "hint" or "debug"         always
//	event    what happened (below)                                 always
//	image    the image it concerns                                 when there is one
//	url      what is being downloaded                              downloading
//	done     bytes on disk so far (reused ones included)           progress
//	total    expected size in bytes; absent when unknown           downloading, progress
//	reused   bytes kept from an earlier partial download           progress, when any
//	result   the image's outcome, as in --json's "images"          done
//	message  text for people                                       message, removed
//	cause    the check that refused the image (fetchd serve)       done, when refused
//	job      the service job the event belongs to (fetchd serve)   serve's events
//	state    the job's new state (fetchd serve)                    job
//
// The events of one image come in this order: "resolving" (asking its
// source), "downloading", "progress" (a few a second at most, and once at
// the end), "verifying", "done"; after every image of a sync is done, a
// "removed" for each build that retention removed (its message says which,
// where, the bytes freed and why). Everything else fetchd says — errors,
// warnings, hints, the lines that wait for another fetchd, the usage — is
// a "message" with its level. Fields may be added; none is removed or
// changes meaning within major version 1.
//
// fetchd serve sends the same objects as server-sent events and webhook
// deliveries; the SSE event type (StreamType) names what kind of event it
// is: resolve, progress (downloading and progress), verifying, and for a
// done event its outcome: installed, present, outdated, held, refused,
// failed, missing, modified; removed (a file prune removed, with event
// "removed", or a build retention removed); job and reload (the service's
// own, with event "job" or "reload").
//
// Who reads this: whoever consumes fetchd's output, and whoever adds an
// event or a field (the CLI and the service use this package alike).
package report
