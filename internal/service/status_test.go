package service

import (
	"errors"
	"testing"
	"time"

	"github.com/sandlabx/fetchd/internal/api"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

func build(hex string) *state.Build {
	return &state.Build{Version: hex, Digest: checksum.Digest{Algorithm: checksum.SHA256, Hex: hex}}
}

// TestMerge: what an image's last job found shows in its on-disk status
// while the build on disk is the one that job saw.
func TestMerge(t *testing.T) {
	t.Parallel()
	up := &sdk.Artifact{Version: "new"}
	refused := errors.New("unsafe qcow2 header")
	tests := map[string]struct {
		disk, last engine.Result
		want       engine.Outcome
		wantErr    bool
		wantUp     bool
	}{
		"outdated, same build": {
			engine.Result{Outcome: engine.Present, Local: build("a")},
			engine.Result{Outcome: engine.Outdated, Local: build("a"), Upstream: up}, engine.Outdated, false, true},
		"outdated, but the build changed since": {
			engine.Result{Outcome: engine.Present, Local: build("b")},
			engine.Result{Outcome: engine.Outdated, Local: build("a"), Upstream: up}, engine.Present, false, false},
		"a refused update: the old build stays, with the error": {
			engine.Result{Outcome: engine.Present, Local: build("a")},
			engine.Result{Outcome: engine.Failed, Local: build("a"), Err: refused}, engine.Present, true, false},
		"a failed first download": {
			engine.Result{Outcome: engine.Missing},
			engine.Result{Outcome: engine.Failed, Err: refused}, engine.Failed, true, false},
		"installed since": {
			engine.Result{Outcome: engine.Present, Local: build("b")},
			engine.Result{Outcome: engine.Failed, Err: refused}, engine.Present, false, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := merge(tc.disk, tc.last)
			if got.Outcome != tc.want || (got.Err != nil) != tc.wantErr || (got.Upstream != nil) != tc.wantUp {
				t.Errorf("merge = %s, err %v, upstream %v; want %s, err %v, upstream %v",
					got.Outcome, got.Err, got.Upstream, tc.want, tc.wantErr, tc.wantUp)
			}
		})
	}
}

func TestJitter(t *testing.T) {
	t.Parallel()
	for range 1000 {
		if d := jitter(6 * time.Hour); d < 324*time.Minute || d > 396*time.Minute {
			t.Fatalf("jitter(6h) = %s, want within ±10%%", d)
		}
	}
}

func TestSameRequest(t *testing.T) {
	t.Parallel()
	a := api.JobRequest{Kind: api.KindSync, Images: []string{"a"}, Origin: "api"}
	b := api.JobRequest{Kind: api.KindSync, Images: []string{"a"}, Origin: "schedule"}
	if !sameRequest(a, b) {
		t.Error("the same sync from two origins is one job")
	}
	b.Images = nil
	if sameRequest(a, b) {
		t.Error("a sync of one image is not a sync of all")
	}
}
