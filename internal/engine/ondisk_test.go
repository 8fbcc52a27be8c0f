package engine_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
)

func TestSyncFileOnDiskNotAsRecorded(t *testing.T) {
	t.Parallel()
	const name = "alpine-3.qcow2"
	tests := map[string]struct {
		// prepare leaves something at final; installed says whether fetchd
		// installed good there first (one request).
		prepare   func(t *testing.T, fx *fixture, final string, good, other []byte)
		installed bool
		want      engine.Outcome
		requests  int
		note      string
		aside     int // files moved aside (kept, not deleted)
	}{
		"recorded file whose size changed": {
			installed: true,
			prepare: func(t *testing.T, fx *fixture, final string, good, other []byte) {
				if err := os.Chmod(final, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(final, append(good, 0), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			// The name is a link to the build: writing it writes the build,
			// which is set aside, damaged, and fetched again.
			want: engine.Replaced, requests: 2, note: "no longer matches its digest", aside: 1,
		},
		"unrecorded file with upstream's bytes": {
			prepare: func(t *testing.T, fx *fixture, final string, good, other []byte) {
				if err := os.WriteFile(final, good, 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: engine.Adopted, requests: 0, note: "matched upstream's digest",
		},
		"unrecorded file with other bytes": {
			prepare: func(t *testing.T, fx *fixture, final string, good, other []byte) {
				if err := os.WriteFile(final, other, 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: engine.Replaced, requests: 1, note: "fetchd has no record of it", aside: 1,
		},
		// A symlink is never adopted, even to upstream's bytes: what it
		// points at can change under fetchd. Replacing it must not write
		// through it.
		"symlink to a file with upstream's bytes": {
			prepare: func(t *testing.T, fx *fixture, final string, good, other []byte) {
				outside := filepath.Join(t.TempDir(), "outside.qcow2")
				if err := os.WriteFile(outside, good, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(outside, final); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { wantFile(t, outside, good) })
			},
			want: engine.Replaced, requests: 1, note: "symbolic link", aside: 1,
		},
	}
	for desc, tc := range tests {
		t.Run(desc, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t, sourceImage(name, "alpine", config.Notify))
			b := builds(t, 2)
			good, other := b[0], b[1]
			art := fx.publish("v1/alpine.qcow2", good, "v1")
			fx.source("alpine").answer(art)
			final := fx.path(name)
			if tc.installed {
				if r := fx.sync(online)[name]; r.Outcome != engine.Installed {
					t.Fatalf("first sync: %s (%v)", r.Outcome, r.Err)
				}
			}
			tc.prepare(t, fx, final, good, other)

			r := fx.sync(online)[name]
			if r.Outcome != tc.want || r.Err != nil {
				t.Fatalf("sync: %s (%v), want %s", r.Outcome, r.Err, tc.want)
			}
			if !contains(r.Note, tc.note) {
				t.Errorf("note %q, want it to mention %q", r.Note, tc.note)
			}
			fx.wantLinked(name, art.Digest, good)
			if as := fx.aside(); len(as) != tc.aside || len(r.MovedAside) != tc.aside {
				t.Errorf("moved aside %v (reported %v), want %d", as, r.MovedAside, tc.aside)
			}
			if n := fx.requests(art); n != tc.requests {
				t.Errorf("%d image requests, want %d", n, tc.requests)
			}
			// What is recorded now is trusted: nothing more is downloaded.
			if r := fx.sync(online)[name]; r.Outcome != engine.Present {
				t.Errorf("next sync: %s (%v), want present", r.Outcome, r.Err)
			}
			if n := fx.requests(art); n != tc.requests {
				t.Errorf("%d image requests after a no-op sync, want %d", n, tc.requests)
			}
		})
	}
}

func TestSyncOffline(t *testing.T) {
	t.Parallel()
	fx := newFixture(t,
		sourceImage("trusted.qcow2", "alpine", config.Notify),
		sourceImage("missing.qcow2", "debian", config.Notify),
		sourceImage("unrecorded.qcow2", "ubuntu", config.Notify),
	)
	b := builds(t, 2)
	art := fx.publish("v1/img.qcow2", b[0], "v1")
	srcs := []*fakeResolver{fx.source("alpine").answer(art), fx.source("debian").answer(art), fx.source("ubuntu").answer(art)}
	if r := fx.sync(engine.Options{Names: []string{"trusted.qcow2"}, Download: true})["trusted.qcow2"]; r.Outcome != engine.Installed {
		t.Fatalf("first sync: %s (%v)", r.Outcome, r.Err)
	}
	if err := os.WriteFile(fx.path("unrecorded.qcow2"), b[1], 0o644); err != nil {
		t.Fatal(err)
	}
	calls := []int{srcs[0].Calls(), srcs[1].Calls(), srcs[2].Calls()}

	rs := fx.sync(engine.Options{Download: true, Offline: true})
	want := map[string]engine.Outcome{
		"trusted.qcow2":    engine.Present,
		"missing.qcow2":    engine.Failed,
		"unrecorded.qcow2": engine.Failed,
	}
	if diff := cmp.Diff(want, outcomes(rs)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if r := rs["trusted.qcow2"]; r.Err != nil {
		t.Errorf("trusted image: Err = %v, want nil", r.Err)
	}
	wantErr(t, rs["missing.qcow2"], "missing, and sync is offline")
	wantErr(t, rs["unrecorded.qcow2"], "fetchd has no record of it", "offline")
	for i, s := range srcs {
		if s.Calls() != calls[i] {
			t.Errorf("source %d called %d times offline", i, s.Calls()-calls[i])
		}
	}
	if n := fx.requests(art); n != 1 {
		t.Errorf("%d image requests, want 1 (the first, online sync)", n)
	}
	wantNoFile(t, fx.path("missing.qcow2"))
	wantFile(t, fx.path("unrecorded.qcow2"), b[1])
}

// AUTO_DOWNLOAD_IMAGES=false: report, download nothing, replace nothing.
func TestSyncWithoutDownload(t *testing.T) {
	t.Parallel()
	fx := newFixture(t,
		sourceImage("missing.qcow2", "alpine", config.Always),
		sourceImage("unrecorded.qcow2", "debian", config.Always),
	)
	b := builds(t, 2)
	art := fx.publish("v1/img.qcow2", b[0], "v1")
	fx.source("alpine").answer(art)
	fx.source("debian").answer(art)
	if err := os.WriteFile(fx.path("unrecorded.qcow2"), b[1], 0o644); err != nil {
		t.Fatal(err)
	}

	rs := fx.sync(engine.Options{Download: false})
	want := map[string]engine.Outcome{"missing.qcow2": engine.Missing, "unrecorded.qcow2": engine.Modified}
	if diff := cmp.Diff(want, outcomes(rs)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	for _, r := range rs {
		if r.Err != nil || !contains(r.Note, "AUTO_DOWNLOAD_IMAGES=false") {
			t.Errorf("%s: err %v, note %q; want no error and a note naming AUTO_DOWNLOAD_IMAGES", r.Name, r.Err, r.Note)
		}
	}
	if n := fx.requests(art); n != 0 {
		t.Errorf("%d image requests, want none", n)
	}
	wantNoFile(t, fx.path("missing.qcow2"))
	wantFile(t, fx.path("unrecorded.qcow2"), b[1])
	if p := fx.partials(); len(p) != 0 {
		t.Errorf("partials %q, want none", p)
	}
}

func TestSyncResumesPartial(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		// prefix returns the partial's content from the good image and
		// another build of the same size.
		prefix func(good, other []byte) []byte
		// reused: the bytes the install kept from the partial.
		reused func(good []byte) int64
	}{
		"first half of the image": {
			prefix: func(good, _ []byte) []byte { return good[:len(good)/2] },
			reused: func(good []byte) int64 { return int64(len(good) / 2) },
		},
		// Resume never trusts old bytes: a wrong prefix fails the digest
		// and is thrown away.
		"first half of another build": {
			prefix: func(_, other []byte) []byte { return other[:len(other)/2] },
			reused: func([]byte) int64 { return 0 },
		},
	}
	for desc, tc := range tests {
		t.Run(desc, func(t *testing.T) {
			t.Parallel()
			const name = "alpine-3.qcow2"
			fx := newFixture(t, sourceImage(name, "alpine", config.Notify))
			b := builds(t, 2)
			good := b[0]
			art := fx.publish("v1/alpine.qcow2", good, "v1")
			fx.source("alpine").answer(art)
			if err := os.MkdirAll(fx.partialDir(), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(partialPath(fx, art.Digest), tc.prefix(good, b[1]), 0o600); err != nil {
				t.Fatal(err)
			}

			r := fx.sync(online)[name]
			if r.Outcome != engine.Installed || r.Err != nil {
				t.Fatalf("sync: %s (%v), want installed", r.Outcome, r.Err)
			}
			wantFile(t, fx.path(name), good)
			if want := tc.reused(good); r.Reused != want {
				t.Errorf("Reused = %d, want %d", r.Reused, want)
			}
			if want := tc.reused(good); want > 0 && r.Transferred != int64(len(good))-want {
				t.Errorf("Transferred = %d, want %d (only the rest)", r.Transferred, int64(len(good))-want)
			}
			if p := fx.partials(); len(p) != 0 {
				t.Errorf("partials %q left after the install", p)
			}
		})
	}
}
