package engine_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/qcow2"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/testutil"
	"github.com/sandlabx/fetchd/sdk"
)

// installFirst, in the fault tests, installs a good image before the bad
// one is published, to show that a failure leaves it as it was.
var installFirst = map[string]bool{"nothing installed before": false, "a good image installed before": true}

func TestSyncChecksumMismatch(t *testing.T) {
	t.Parallel()
	for desc, prev := range installFirst {
		t.Run(desc, func(t *testing.T) {
			t.Parallel()
			const name = "alpine-3.qcow2"
			fx := newFixture(t, sourceImage(name, "alpine", config.Always))
			b := builds(t, 3)
			src := fx.source("alpine")
			var v1 sdk.Artifact
			if prev {
				v1 = fx.publish("v1/alpine.qcow2", b[0], "v1")
				src.answer(v1)
				if r := fx.sync(online)[name]; r.Outcome != engine.Installed {
					t.Fatalf("first sync: %s (%v)", r.Outcome, r.Err)
				}
			}
			// The server has b[2] where the checksum file says b[1]: same
			// size, other bytes.
			bad := fx.publish("v2/alpine.qcow2", b[2], "v2")
			bad.Digest = sha256Of(b[1])
			src.answer(bad)
			fx.eng.SetBeforeRename(func(p string) { t.Errorf("renaming %s into place after a checksum mismatch", p) })

			r := fx.sync(online)[name]
			if r.Outcome != engine.Failed {
				t.Fatalf("sync: %s, want failed", r.Outcome)
			}
			var dm *download.DigestMismatchError
			if !errors.As(r.Err, &dm) {
				t.Errorf("Err = %v (%T), want a *download.DigestMismatchError", r.Err, r.Err)
			}
			wantErr(t, r, "checksum mismatch", bad.Digest.Short(), sha256Of(b[2]).Short())
			if n := fx.requests(bad); n != 1 {
				t.Errorf("%d requests for the bad build, want 1 (no retry: nothing was resumed)", n)
			}
			wantNoFile(t, partialPath(fx, bad.Digest))
			if p := fx.partials(); len(p) != 0 {
				t.Errorf("partials %q left after a mismatch", p)
			}
			got, recorded := fx.entry(name)
			if !prev {
				wantNoFile(t, fx.path(name))
				if recorded {
					t.Errorf("state records %+v for an image that was never installed", got)
				}
				return
			}
			wantFile(t, fx.path(name), b[0])
			if !recorded || got.Digest != v1.Digest {
				t.Errorf("state entry %+v (present %v), want the previous image's", got, recorded)
			}
			if !contains(r.Note, "previous build v1 stays") {
				t.Errorf("note %q, want it to say the previous build stays in place", r.Note)
			}
		})
	}
}

func TestSyncRefusesImageFailingInspection(t *testing.T) {
	t.Parallel()
	kinds := map[string]struct {
		make func(t *testing.T) []byte
		// check checks the error's type and says what it must mention.
		check func(t *testing.T, err error)
		text  string
	}{
		"qcow2 with a backing file": {
			make: func(t *testing.T) []byte {
				dir := t.TempDir()
				base := testutil.MakeImage(t, "raw", dir, "base.raw", 1)
				return mustRead(t, testutil.MakeQcow2(t, dir, "child.qcow2", 16, "-b", base, "-F", "raw"))
			},
			check: func(t *testing.T, err error) {
				var ue *qcow2.UnsafeError
				if !errors.As(err, &ue) || ue.Field != "backing_file_offset" {
					t.Errorf("Err = %v (%T), want a *qcow2.UnsafeError on backing_file_offset", err, err)
				}
			},
			text: "backing file",
		},
		"raw image announced as qcow2": {
			make: func(t *testing.T) []byte {
				return mustRead(t, testutil.MakeImage(t, "raw", t.TempDir(), "disk.raw", 1))
			},
			check: func(t *testing.T, err error) {
				var fm *qcow2.FormatMismatchError
				if !errors.As(err, &fm) || fm.Announced != qcow2.FormatQcow2 {
					t.Errorf("Err = %v (%T), want a *qcow2.FormatMismatchError", err, err)
				}
			},
			text: "announced format qcow2 but the content is raw",
		},
	}
	for kind, k := range kinds {
		for desc, prev := range installFirst {
			t.Run(kind+"/"+desc, func(t *testing.T) {
				t.Parallel()
				const name = "alpine-3.qcow2"
				fx := newFixture(t, sourceImage(name, "alpine", config.Always))
				src := fx.source("alpine")
				good := builds(t, 1)[0]
				v1 := fx.publish("v1/alpine.qcow2", good, "v1")
				if prev {
					src.answer(v1)
					if r := fx.sync(online)[name]; r.Outcome != engine.Installed {
						t.Fatalf("first sync: %s (%v)", r.Outcome, r.Err)
					}
				}
				// The digest matches: only inspection can catch it.
				bad := fx.publish("v2/alpine.qcow2", k.make(t), "v2")
				src.answer(bad)
				fx.eng.SetBeforeRename(func(p string) { t.Errorf("renaming %s into place, which failed inspection", p) })

				r := fx.sync(online)[name]
				if r.Outcome != engine.Failed {
					t.Fatalf("sync: %s (%v), want failed", r.Outcome, r.Err)
				}
				k.check(t, r.Err)
				wantErr(t, r, k.text)
				if p := fx.partials(); len(p) != 0 {
					t.Errorf("partials %q left after a refused image", p)
				}
				got, recorded := fx.entry(name)
				if !prev {
					wantNoFile(t, fx.path(name))
					if recorded {
						t.Errorf("state records %+v", got)
					}
					return
				}
				wantFile(t, fx.path(name), good)
				if !recorded || got.Digest != v1.Digest {
					t.Errorf("state entry %+v (present %v), want the previous image's", got, recorded)
				}
			})
		}
	}
}

// Invariant 1: the final name appears only by renaming a file that passed
// every check; until then the previous image is what is there.
func TestSyncRenamesOnlyVerifiedFiles(t *testing.T) {
	t.Parallel()
	const name = "alpine-3.qcow2"
	fx := newFixture(t, sourceImage(name, "alpine", config.Always))
	b := builds(t, 2)
	src := fx.source("alpine")
	v1 := fx.publish("v1/alpine.qcow2", b[0], "v1")
	src.answer(v1)
	if r := fx.sync(online)[name]; r.Outcome != engine.Installed {
		t.Fatalf("first sync: %s (%v)", r.Outcome, r.Err)
	}
	v2 := fx.publish("v2/alpine.qcow2", b[1], "v2")
	src.answer(v2)
	renames := 0
	fx.eng.SetBeforeRename(func(p string) {
		renames++
		if filepath.Dir(p) != fx.partialDir() {
			t.Errorf("renaming %s, which is not in the partial directory", p)
		}
		wantFile(t, p, b[1])
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o444 {
			t.Errorf("file about to be renamed: %v, %v; want it read-only already", fi.Mode(), err)
		}
		wantFile(t, fx.path(name), b[0])
		if s, err := state.Load(fx.dir); err != nil {
			t.Error(err)
		} else if got, _ := s.Get(name); got.Digest != v1.Digest {
			t.Errorf("state already records %s before the rename", got.Digest.Short())
		}
	})
	if r := fx.sync(online)[name]; r.Outcome != engine.Updated {
		t.Fatalf("sync: %s (%v), want updated", r.Outcome, r.Err)
	}
	if renames != 1 {
		t.Errorf("%d renames, want 1", renames)
	}
	wantFile(t, fx.path(name), b[1])
}

func TestBlockedFinalPath(t *testing.T) {
	t.Parallel()
	const name = "alpine-3.qcow2"
	fx := newFixture(t, sourceImage(name, "alpine", config.Always))
	src := fx.source("alpine")
	art := fx.publish("v1/alpine.qcow2", builds(t, 1)[0], "v1")
	src.answer(art)
	inside := filepath.Join(fx.path(name), "keep-me")
	if err := os.MkdirAll(fx.path(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inside, []byte("someone's data"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantBlocked := func(what string, rs []engine.Result, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		r := byName(t, rs)[name]
		var be *engine.BlockedError
		if r.Outcome != engine.Failed || !errors.As(r.Err, &be) {
			t.Errorf("%s: %s (%v), want failed with a *BlockedError", what, r.Outcome, r.Err)
			return
		}
		if diff := cmp.Diff(&engine.BlockedError{Path: fx.path(name), What: "a directory"}, be); diff != "" {
			t.Errorf("%s: error (-want +got):\n%s", what, diff)
		}
	}
	rs, err := fx.eng.Sync(t.Context(), online)
	wantBlocked("sync", rs, err)
	rs, err = fx.eng.Status(t.Context(), nil, true)
	wantBlocked("status", rs, err)
	rs, err = fx.eng.Verify(t.Context(), nil)
	wantBlocked("verify", rs, err)

	wantFile(t, inside, []byte("someone's data"))
	if n := fx.requests(art); n != 0 {
		t.Errorf("%d image requests, want none", n)
	}
	if n := src.Calls(); n != 0 {
		t.Errorf("source called %d times for a blocked image, want 0", n)
	}
}

// A state file that cannot be trusted is set aside, not fatal: the images
// on disk are hashed against upstream again and adopted.
func TestSyncCorruptStateFile(t *testing.T) {
	t.Parallel()
	const name = "alpine-3.qcow2"
	fx := newFixture(t, sourceImage(name, "alpine", config.Notify))
	good := builds(t, 1)[0]
	art := fx.publish("v1/alpine.qcow2", good, "v1")
	fx.source("alpine").answer(art)
	if r := fx.sync(online)[name]; r.Outcome != engine.Installed {
		t.Fatalf("first sync: %s (%v)", r.Outcome, r.Err)
	}
	if err := os.WriteFile(state.Path(fx.dir), []byte(`{"version": 1, "images": {`), 0o644); err != nil {
		t.Fatal(err)
	}

	r := fx.sync(online)[name]
	if r.Outcome != engine.Adopted || r.Err != nil {
		t.Fatalf("sync: %s (%v), want adopted", r.Outcome, r.Err)
	}
	if note := fx.eng.StateNote(); !contains(note, state.Path(fx.dir)) || !contains(note, "truncated") {
		t.Errorf("StateNote() = %q, want it to name the state file and what is wrong", note)
	}
	if n := fx.requests(art); n != 1 {
		t.Errorf("%d image requests, want 1: the adopted image is not downloaded again", n)
	}
	if got, ok := fx.entry(name); !ok || got.Digest != art.Digest {
		t.Errorf("state after the sync: %+v (present %v), want the image recorded again", got, ok)
	}
}
