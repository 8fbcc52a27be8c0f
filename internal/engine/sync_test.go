package engine_test

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/state"
)

func TestSyncInstallsMissingImage(t *testing.T) {
	t.Parallel()
	const name = "alpine-3.qcow2"
	fx := newFixture(t, sourceImage(name, "alpine", config.Notify))
	img := builds(t, 1)[0]
	art := fx.publish("v1/alpine.qcow2", img, "3.20.1")
	src := fx.source("alpine").answer(art)

	r := fx.sync(online)[name]
	if r.Outcome != engine.Installed || r.Err != nil {
		t.Fatalf("outcome %s, err %v; want installed", r.Outcome, r.Err)
	}
	fx.wantLinked(name, art.Digest, img)
	want := state.Build{
		File: state.BuildFile(art.Digest, "qcow2"), Source: "alpine", Release: "3", Arch: "amd64", Variant: "cloudinit",
		Version: "3.20.1", URL: art.URL, Format: "qcow2", Digest: art.Digest,
		Size: int64(len(img)), VirtualSize: 16 << 20,
		VerifiedAt:  testNow,
		VerifiedBy:  []string{"sha256", "qcow2-header", "qemu-img info", "qemu-img check"},
		ChecksumURL: art.ChecksumURL, Signature: "unsigned: test replica",
	}
	got, ok := fx.entry(name)
	if !ok {
		t.Fatal("state.json has no entry for the installed image")
	}
	noStamp := cmpopts.IgnoreFields(state.Build{}, "Stamp")
	if diff := cmp.Diff(want, got, noStamp); diff != "" {
		t.Errorf("state.json entry (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&want, r.Local, noStamp); diff != "" {
		t.Errorf("Result.Local (-want +got):\n%s", diff)
	}
	if r.BuildPath != fx.buildPath(art.Digest) {
		t.Errorf("BuildPath %q, want %q", r.BuildPath, fx.buildPath(art.Digest))
	}
	if p := fx.partials(); len(p) != 0 {
		t.Errorf("partial directory holds %q after a successful install", p)
	}
	if n := fx.requests(art); n != 1 {
		t.Errorf("%d requests for the image, want 1 (one GET, no HEAD for a fresh download)", n)
	}
	if r.Transferred != int64(len(img)) || r.Reused != 0 {
		t.Errorf("Transferred %d, Reused %d; want %d, 0", r.Transferred, r.Reused, len(img))
	}
	wantReq := []pluginhost.Request{{Release: "3", Arch: "amd64"}}
	if diff := cmp.Diff(wantReq, src.requests(), cmpopts.IgnoreFields(pluginhost.Request{}, "OnFetch")); diff != "" {
		t.Errorf("requests to the source (-want +got):\n%s", diff)
	}
	wantKinds := []engine.EventKind{engine.Resolving, engine.Downloading, engine.Progress, engine.Verifying, engine.Done}
	if diff := cmp.Diff(wantKinds, fx.events.kinds(name)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// A no-op sync trusts the build's stamp and reads nothing. Any change to
// the build file (even with size and mtime put back) changes its ctime:
// the next sync hashes it, keeps it if only its metadata changed, and sets
// it aside and fetches the build again if its bytes did. Verify re-hashes
// whatever the stamp says.
func TestSyncTrustsStampVerifyRehashes(t *testing.T) {
	t.Parallel()
	const name = "alpine-3.qcow2"
	fx := newFixture(t, sourceImage(name, "alpine", config.Notify))
	b := builds(t, 2)
	good, other := b[0], b[1]
	art := fx.publish("v1/alpine.qcow2", good, "v1")
	fx.source("alpine").answer(art)
	final := fx.path(name)

	if r := fx.sync(online)[name]; r.Outcome != engine.Installed {
		t.Fatalf("first sync: %s (%v), want installed", r.Outcome, r.Err)
	}
	if r := fx.sync(online)[name]; r.Outcome != engine.Present || r.Err != nil || r.Note != "" {
		t.Fatalf("second sync: %s (%v, %q), want present", r.Outcome, r.Err, r.Note)
	}
	if n := fx.requests(art); n != 1 {
		t.Fatalf("%d image requests after a no-op sync, want still 1", n)
	}

	// Metadata only: hashed, same bytes, trusted again; nothing fetched.
	if err := os.Chmod(final, 0o400); err != nil {
		t.Fatal(err)
	}
	if r := fx.sync(online)[name]; r.Outcome != engine.Present || r.Err != nil {
		t.Fatalf("sync after a chmod: %s (%v), want present", r.Outcome, r.Err)
	}
	fx.wantLinked(name, art.Digest, good)
	if n := fx.requests(art); n != 1 {
		t.Fatalf("%d image requests after a chmod, want still 1", n)
	}

	// Same size, same mtime, other bytes.
	rewriteInPlace(t, final, other)
	r := fx.sync(online)[name]
	if r.Outcome != engine.Replaced || r.Err != nil {
		t.Fatalf("sync after an in-place rewrite: %s (%v), want replaced", r.Outcome, r.Err)
	}
	if !contains(r.Note, "no longer matches its digest") {
		t.Errorf("note %q, want it to say the build no longer matches", r.Note)
	}
	fx.wantLinked(name, art.Digest, good)
	if n := fx.requests(art); n != 2 {
		t.Errorf("%d image requests, want 2 (the install and the fetch after the damage)", n)
	}
	if as := fx.aside(); len(as) != 1 || !bytes.Equal(mustRead(t, as[0]), other) {
		t.Errorf("aside holds %v, want the damaged bytes kept once", as)
	}

	// Verify hashes even what the stamp vouches for.
	rewriteInPlace(t, fx.buildPath(art.Digest), other)
	vr, err := fx.eng.Verify(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	v := byName(t, vr)[name]
	if v.Outcome != engine.Modified {
		t.Errorf("verify: %s, want modified", v.Outcome)
	}
	wantErr(t, v, "digest mismatch", art.Digest.Short())
	if got, _ := fx.entry(name); !got.Stamp.IsZero() {
		t.Error("verify kept trusting a build whose digest no longer matches")
	}
	if r := fx.sync(online)[name]; r.Outcome != engine.Replaced || r.Err != nil {
		t.Fatalf("sync after verify: %s (%v), want replaced", r.Outcome, r.Err)
	}
	fx.wantLinked(name, art.Digest, good)
}

func TestSyncUpdatePolicy(t *testing.T) {
	t.Parallel()
	tests := map[config.Policy]struct {
		want engine.Outcome
		// newOnDisk: the newer build replaced the old one.
		newOnDisk bool
		// resolves: calls to the source during the second sync.
		resolves int
	}{
		config.Notify: {want: engine.Outdated, resolves: 1},
		config.Always: {want: engine.Updated, newOnDisk: true, resolves: 1},
		config.Never:  {want: engine.Present, resolves: 0},
	}
	for policy, tc := range tests {
		t.Run(string(policy), func(t *testing.T) {
			t.Parallel()
			const name = "alpine-3.qcow2"
			fx := newFixture(t, sourceImage(name, "alpine", policy))
			b := builds(t, 2)
			v1 := fx.publish("v1/alpine.qcow2", b[0], "3.20.1")
			src := fx.source("alpine").answer(v1)
			if r := fx.sync(online)[name]; r.Outcome != engine.Installed {
				t.Fatalf("first sync: %s (%v), want installed", r.Outcome, r.Err)
			}

			v2 := fx.publish("v2/alpine.qcow2", b[1], "3.20.2")
			src.answer(v2)
			before := src.Calls()
			r := fx.sync(online)[name]
			if r.Outcome != tc.want || r.Err != nil {
				t.Fatalf("second sync: %s (%v), want %s", r.Outcome, r.Err, tc.want)
			}
			if got := src.Calls() - before; got != tc.resolves {
				t.Errorf("source called %d times, want %d", got, tc.resolves)
			}
			onDisk, art, downloads := b[0], v1, 0
			if tc.newOnDisk {
				onDisk, art, downloads = b[1], v2, 1
			}
			wantFile(t, fx.path(name), onDisk)
			if got, _ := fx.entry(name); got.Digest != art.Digest || got.Version != art.Version {
				t.Errorf("state records %s %s, want %s %s", got.Version, got.Digest.Short(), art.Version, art.Digest.Short())
			}
			if n := fx.requests(v2); n != downloads {
				t.Errorf("%d requests for the newer build, want %d", n, downloads)
			}
			if tc.want == engine.Outdated && r.Upstream.Digest != v2.Digest {
				t.Errorf("Upstream = %+v, want the newer build", r.Upstream)
			}
		})
	}
}

func TestSyncResolverFailure(t *testing.T) {
	t.Parallel()
	fx := newFixture(t,
		sourceImage("alpine-3.qcow2", "alpine", config.Notify),
		sourceImage("debian-13.qcow2", "debian", config.Notify),
		sourceImage("ubuntu-24.qcow2", "ubuntu", config.Notify),
		sourceImage("fedora-42.qcow2", "fedora", config.Notify), // no such plugin
	)
	b := builds(t, 3)
	alpine := fx.publish("alpine/a.qcow2", b[0], "a1")
	fx.source("debian").answer(fx.publish("debian/d.qcow2", b[1], "d1"))
	fx.source("ubuntu").answer(fx.publish("ubuntu/u.qcow2", b[2], "u1"))
	boom := errors.New(`alpine: release "3": GET https://dl-cdn.alpinelinux.org/alpine/latest-releases.yaml: HTTP 503`)
	fx.source("alpine").fail(boom)

	rs := fx.sync(online)
	want := map[string]engine.Outcome{
		"alpine-3.qcow2":  engine.Failed,
		"debian-13.qcow2": engine.Installed,
		"ubuntu-24.qcow2": engine.Installed,
		"fedora-42.qcow2": engine.Failed,
	}
	if diff := cmp.Diff(want, outcomes(rs)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if !errors.Is(rs["alpine-3.qcow2"].Err, boom) {
		t.Errorf("alpine: Err = %v, want the resolver's error", rs["alpine-3.qcow2"].Err)
	}
	wantErr(t, rs["fedora-42.qcow2"], `no source plugin called "fedora"`)
	wantNoFile(t, fx.path("alpine-3.qcow2"))

	// Once alpine is installed and trusted, failing to ask upstream about
	// a newer build reports the problem but does not fail the image.
	fx.source("alpine").answer(alpine)
	if r := fx.sync(engine.Options{Names: []string{"alpine-3.qcow2"}, Download: true})["alpine-3.qcow2"]; r.Outcome != engine.Installed {
		t.Fatalf("alpine: %s (%v), want installed", r.Outcome, r.Err)
	}
	fx.source("alpine").fail(boom)
	r := fx.sync(online)["alpine-3.qcow2"]
	if r.Outcome != engine.Present || !r.Outcome.OK() {
		t.Errorf("alpine with a failing source: %s, want present", r.Outcome)
	}
	if !errors.Is(r.Err, boom) || !contains(r.Note, "could not check upstream") {
		t.Errorf("alpine: err %v, note %q; want the resolver's error and a note that upstream was not checked", r.Err, r.Note)
	}
	wantFile(t, fx.path("alpine-3.qcow2"), b[0])
}

func TestUnknownImageName(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, sourceImage("alpine-3.qcow2", "alpine", config.Notify))
	calls := map[string]func() ([]engine.Result, error){
		"sync": func() ([]engine.Result, error) {
			return fx.eng.Sync(t.Context(), engine.Options{Names: []string{"alpine-3.qcow2", "nope.qcow2"}, Download: true})
		},
		"status": func() ([]engine.Result, error) { return fx.eng.Status(t.Context(), []string{"nope.qcow2"}, true) },
		"verify": func() ([]engine.Result, error) { return fx.eng.Verify(t.Context(), []string{"nope.qcow2"}) },
	}
	for desc, call := range calls {
		// Not parallel: the calls share one engine.
		t.Run(desc, func(t *testing.T) {
			rs, err := call()
			var ue *engine.UnknownImageError
			if !errors.As(err, &ue) {
				t.Fatalf("err %v, want *UnknownImageError", err)
			}
			if diff := cmp.Diff(&engine.UnknownImageError{Name: "nope.qcow2", Configured: []string{"alpine-3.qcow2"}}, ue); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if rs != nil {
				t.Errorf("results %v with the error", rs)
			}
		})
	}
	if n := fx.source("alpine").Calls(); n != 0 {
		t.Errorf("source called %d times for a run refused up front", n)
	}
}

// Two images may resolve to the same artifact (two names for one
// release). Their downloads share one partial file per digest, so they
// must not run at once: one would truncate or rewrite the file the other
// has just verified and is about to rename into place.
func TestSyncTwoImagesOneArtifact(t *testing.T) {
	t.Parallel()
	names := []string{"ubuntu-24-lts.qcow2", "ubuntu-noble.qcow2", "ubuntu-lts.qcow2", "ubuntu.qcow2"}
	var images []config.Image
	for _, n := range names {
		images = append(images, sourceImage(n, "ubuntu", config.Notify))
	}
	fx := newFixture(t, images...)
	good := builds(t, 1)[0]
	art := fx.publish("noble/disk.qcow2", good, "20250601")
	fx.source("ubuntu").answer(art)
	var mu sync.Mutex
	inFlight, most, total := 0, 0, 0
	fx.srv.Hook(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		inFlight++
		total++
		most = max(most, inFlight)
		mu.Unlock()
		defer func() {
			mu.Lock()
			inFlight--
			mu.Unlock()
		}()
		http.ServeContent(w, r, "disk.qcow2", time.Time{}, bytes.NewReader(good))
		return true
	})

	rs := fx.sync(online)
	for _, n := range names {
		if r := rs[n]; r.Outcome != engine.Installed || r.Err != nil {
			t.Errorf("%s: %s (%v), want installed", n, r.Outcome, r.Err)
		}
		wantFile(t, fx.path(n), good)
	}
	if most != 1 || total != 1 {
		t.Errorf("%d downloads of one artifact, %d at once; want 1: the other images are verified copies", total, most)
	}
	if p := fx.partials(); len(p) != 0 {
		t.Errorf("partials %q left", p)
	}
}
