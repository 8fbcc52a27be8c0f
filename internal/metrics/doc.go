// Package metrics is what `fetchd serve` exports at /metrics for
// Prometheus: per image present / outdated / held / failed and its current
// build, bytes downloaded, download and verification durations, refusals
// by cause, the last successful sync, resolve latency and errors per
// source, plugin starts, jobs, events and webhook deliveries. The names
// follow Prometheus' conventions (`promtool check metrics` passes in CI).
package metrics
