package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sandlabx/fetchd/internal/engine"
)

// TestLineReporterSlowSource: a source that takes longer than an interval
// to answer gets a line, so that the logs do not fall silent; one that
// answers in time does not.
func TestLineReporterSlowSource(t *testing.T) {
	t.Parallel()
	var out localBuffer
	r := newLineReporter(&out, time.Millisecond)
	r.Event(engine.Event{Kind: engine.Resolving, Image: "debian-13.qcow2"})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "fetchd: debian-13.qcow2: still waiting for its source's answer after ") {
		if time.Now().After(deadline) {
			t.Fatalf("no line for a slow source:\n%s", out.String())
		}
		time.Sleep(time.Millisecond)
	}
	r.Close()

	var quick localBuffer
	r = newLineReporter(&quick, time.Hour)
	r.Event(engine.Event{Kind: engine.Resolving, Image: "alpine-3.qcow2"})
	r.Event(engine.Event{Kind: engine.Done, Image: "alpine-3.qcow2", Result: &engine.Result{Outcome: engine.Present}})
	r.Close()
	if quick.String() != "" {
		t.Errorf("lines for a source that answered: %q", quick.String())
	}
}
