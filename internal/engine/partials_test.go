package engine_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
)

// Stale partials go only after a full run in which every image ended on
// disk and verified; anything else may still want to resume them.
func TestSyncCleansStalePartials(t *testing.T) {
	t.Parallel()
	const stale = "sha256-" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + ".part"
	tests := map[string]struct {
		failDebian bool
		names      []string
		// outdated: alpine's upstream moves to a newer build (policy
		// notify) whose partial is already half there.
		outdated  bool
		wantStale bool
	}{
		"every image ok":             {wantStale: false},
		"one image failed":           {failDebian: true, wantStale: true},
		"a run for some images only": {names: []string{"alpine-3.qcow2"}, wantStale: true},
		"newer build not downloaded": {outdated: true, wantStale: false},
	}
	for desc, tc := range tests {
		t.Run(desc, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t,
				sourceImage("alpine-3.qcow2", "alpine", config.Notify),
				sourceImage("debian-13.qcow2", "debian", config.Notify),
			)
			b := builds(t, 3)
			alpine := fx.publish("alpine/a.qcow2", b[0], "a1")
			fx.source("alpine").answer(alpine)
			fx.source("debian").answer(fx.publish("debian/d.qcow2", b[1], "d1"))
			if tc.failDebian {
				fx.source("debian").fail(errors.New("debian: HTTP 503"))
			}
			var keep string // the partial of the newer alpine build
			if tc.outdated {
				if r := fx.sync(online)["alpine-3.qcow2"]; r.Outcome != engine.Installed {
					t.Fatalf("first sync: %s (%v)", r.Outcome, r.Err)
				}
				newer := fx.publish("alpine/a2.qcow2", b[2], "a2")
				fx.source("alpine").answer(newer)
				keep = partialPath(fx, newer.Digest)
			}
			if err := os.MkdirAll(fx.partialDir(), 0o700); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{filepath.Join(fx.partialDir(), stale), keep} {
				if p != "" {
					if err := os.WriteFile(p, b[2][:4096], 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}

			rs := fx.sync(engine.Options{Names: tc.names, Download: true})
			for n, r := range rs {
				if wantOK := !(tc.failDebian && n == "debian-13.qcow2"); r.Outcome.OK() != wantOK {
					t.Errorf("%s: %s (%v)", n, r.Outcome, r.Err)
				}
			}
			var want []string
			if tc.wantStale {
				want = append(want, stale)
			}
			if keep != "" {
				want = append(want, filepath.Base(keep))
			}
			slices.Sort(want)
			if diff := cmp.Diff(want, fx.partials()); diff != "" {
				t.Errorf("partial directory after the run (-want +got):\n%s", diff)
			}
		})
	}
}
