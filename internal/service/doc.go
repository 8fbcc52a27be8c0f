// Package service is `fetchd serve`: the engine `sync` uses, run for as
// long as the process runs. It syncs at start, then on a schedule
// (refresh:, with jitter) and on demand; it runs jobs one at a time and
// takes the directory lock only while a job works, so `fetchd status` and
// a one-shot `fetchd sync` keep working beside it; it reloads its config
// on request and keeps the old one when the new one does not load. It is
// the api.Backend of the HTTP API, and feeds the event log, the metrics
// and the webhooks from the engine's events.
package service
