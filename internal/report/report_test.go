package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/qcow2"
)

// TestTypesAreConfigs: a webhook can ask for exactly the event types the
// service sends.
func TestTypesAreConfigs(t *testing.T) {
	t.Parallel()
	if diff := cmp.Diff(config.NotifyEvents, Types); diff != "" {
		t.Errorf("config.NotifyEvents (-) and report.Types (+) differ:\n%s", diff)
	}
}

func TestOutcomeType(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		r              engine.Result
		typ, wantCause string
	}{
		"installed":     {engine.Result{Outcome: engine.Installed}, TypeInstalled, ""},
		"updated":       {engine.Result{Outcome: engine.Updated}, TypeInstalled, ""},
		"adopted":       {engine.Result{Outcome: engine.Adopted}, TypeInstalled, ""},
		"present":       {engine.Result{Outcome: engine.Present}, TypePresent, ""},
		"outdated":      {engine.Result{Outcome: engine.Outdated}, TypeOutdated, ""},
		"network error": {engine.Result{Outcome: engine.Failed, Err: errors.New("dial tcp: refused")}, TypeFailed, ""},
		"digest": {engine.Result{Outcome: engine.Failed,
			Err: fmt.Errorf("download: %w", &download.DigestMismatchError{})}, TypeRefused, CauseDigest},
		"header": {engine.Result{Outcome: engine.Failed,
			Err: fmt.Errorf("x.part: %w", &qcow2.UnsafeError{})}, TypeRefused, CauseHeader},
		"plugin answer": {engine.Result{Outcome: engine.Failed,
			Err: &pluginhost.Error{Kind: pluginhost.InvalidAnswer, Err: errors.New("bad")}}, TypeRefused, CausePluginAnswer},
		"plugin crash": {engine.Result{Outcome: engine.Failed,
			Err: &pluginhost.Error{Kind: pluginhost.Crashed, Err: errors.New("bad")}}, TypeFailed, ""},
		"held": {engine.Result{Outcome: engine.Held}, TypeHeld, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			typ, cause := OutcomeType(tc.r)
			if typ != tc.typ || cause != tc.wantCause {
				t.Errorf("OutcomeType = %s %q, want %s %q", typ, cause, tc.typ, tc.wantCause)
			}
		})
	}
}

// TestStreamEvents pins the objects and stream types of the main events:
// the --log-format json object, with the refusal cause and job added.
func TestStreamEvents(t *testing.T) {
	t.Parallel()
	at := mustTime("2026-12-03T10:00:00.5Z")
	res := engine.Result{Name: "a.qcow2", Outcome: engine.Failed, Err: &download.DigestMismatchError{}}
	tests := map[string]struct {
		e    engine.Event
		typ  string
		want string
	}{
		"resolve": {engine.Event{Kind: engine.Resolving, Image: "a.qcow2"}, "resolve",
			`{"time":"2026-12-03T10:00:00.5Z","level":"info","event":"resolving","image":"a.qcow2","job":"7"}`},
		"download starts": {engine.Event{Kind: engine.Downloading, Image: "a.qcow2", URL: "https://x/a", Done: 5, Total: 10, Reused: 5}, "progress",
			`{"time":"2026-12-03T10:00:00.5Z","level":"info","event":"downloading","image":"a.qcow2","url":"https://x/a","total":10,"job":"7"}`},
		"verifying": {engine.Event{Kind: engine.Verifying, Image: "a.qcow2"}, "verifying",
			`{"time":"2026-12-03T10:00:00.5Z","level":"info","event":"verifying","image":"a.qcow2","job":"7"}`},
		"refused": {engine.Event{Kind: engine.Done, Image: "a.qcow2", Result: &res}, "refused",
			`{"time":"2026-12-03T10:00:00.5Z","level":"error","event":"done","image":"a.qcow2","result":{"name":"a.qcow2","state":"failed","ok":false,"error":"checksum mismatch: want :, got :"},"cause":"digest","job":"7"}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			typ, ev := ForStream(tc.e, "7", at)
			got, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			if typ != tc.typ {
				t.Errorf("stream type %s, want %s", typ, tc.typ)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("JSON (-want +got):\n%s", diff)
			}
		})
	}
}

func mustTime(s string) (t time.Time) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}
