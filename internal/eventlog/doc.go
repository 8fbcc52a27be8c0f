// Package eventlog is the service's memory of recent events: a bounded,
// numbered log that any number of readers follow at their own pace. The
// writer never waits for a reader; a reader that falls behind the log's
// capacity is told how many events it missed. It is what GET /v1/events
// streams and what a client resuming with Last-Event-ID reads from.
package eventlog
