package engine_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/sdk"
)

func TestStatus(t *testing.T) {
	t.Parallel()
	fx := newFixture(t,
		sourceImage("present.qcow2", "alpine", config.Notify),
		sourceImage("missing.qcow2", "debian", config.Notify),
		sourceImage("modified.qcow2", "ubuntu", config.Notify),
	)
	b := builds(t, 2)
	v1 := fx.publish("v1/img.qcow2", b[0], "v1")
	srcs := map[string]*fakeResolver{
		"present.qcow2":  fx.source("alpine").answer(v1),
		"missing.qcow2":  fx.source("debian").answer(v1),
		"modified.qcow2": fx.source("ubuntu").answer(v1),
	}
	rs := fx.sync(engine.Options{Names: []string{"present.qcow2", "modified.qcow2"}, Download: true})
	if diff := cmp.Diff(map[string]engine.Outcome{"present.qcow2": engine.Installed, "modified.qcow2": engine.Installed}, outcomes(rs)); diff != "" {
		t.Fatalf("first sync (-want +got):\n%s", diff)
	}
	// Another file put at the name (the build itself is intact).
	if err := os.Remove(fx.path("modified.qcow2")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fx.path("modified.qcow2"), b[0][:len(b[0])/2], 0o644); err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{}
	for n, s := range srcs {
		calls[n] = s.Calls()
	}

	status := func(check bool) map[string]engine.Result {
		t.Helper()
		rs, err := fx.eng.Status(t.Context(), nil, check)
		if err != nil {
			t.Fatalf("Status: %v", err)
		}
		return byName(t, rs)
	}

	// Without check: what is on disk, from state and stat alone.
	rs = status(false)
	want := map[string]engine.Outcome{
		"present.qcow2":  engine.Present,
		"missing.qcow2":  engine.Missing,
		"modified.qcow2": engine.Modified,
	}
	if diff := cmp.Diff(want, outcomes(rs)); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	for n, s := range srcs {
		if s.Calls() != calls[n] {
			t.Errorf("status without check asked upstream about %s", n)
		}
	}
	if l := rs["present.qcow2"].Local; l == nil || l.Digest != v1.Digest || l.Version != "v1" {
		t.Errorf("present: Local = %+v, want the recorded entry", l)
	}
	if l := rs["missing.qcow2"].Local; l != nil {
		t.Errorf("missing: Local = %+v, want nil", l)
	}
	if r := rs["present.qcow2"]; r.BuildPath != fx.buildPath(v1.Digest) {
		t.Errorf("present: BuildPath %q, want %q", r.BuildPath, fx.buildPath(v1.Digest))
	}
	if r := rs["modified.qcow2"]; !contains(r.Note, "is not the build fetchd installed") {
		t.Errorf("modified: note %q, want it to say what changed", r.Note)
	}

	// With check: upstream has a newer build.
	v2 := fx.publish("v2/img.qcow2", b[1], "v2")
	for _, s := range srcs {
		s.answer(v2)
	}
	rs = status(true)
	want["present.qcow2"] = engine.Outdated
	if diff := cmp.Diff(want, outcomes(rs)); diff != "" {
		t.Errorf("status --check (-want +got):\n%s", diff)
	}
	for n, r := range rs {
		if r.Upstream == nil || r.Upstream.Digest != v2.Digest {
			t.Errorf("%s: Upstream = %+v, want the newer build", n, r.Upstream)
		}
	}
	if r := rs["present.qcow2"]; !contains(r.Note, "v2") || !contains(r.Note, "v1") {
		t.Errorf("present: note %q, want both versions", r.Note)
	}

	// Upstream failing does not change what is on disk.
	boom := errors.New("alpine: listing: HTTP 503")
	srcs["present.qcow2"].fail(boom)
	r := status(true)["present.qcow2"]
	if r.Outcome != engine.Present || !errors.Is(r.Err, boom) {
		t.Errorf("present, upstream failing: %s (%v), want present with the error", r.Outcome, r.Err)
	}
	wantErr(t, r, "checking upstream")

	// Status changes nothing.
	wantFile(t, fx.path("present.qcow2"), b[0])
	wantNoFile(t, fx.path("missing.qcow2"))
	if n := fx.requests(v2); n != 0 {
		t.Errorf("status downloaded the newer build %d times", n)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	fx := newFixture(t,
		sourceImage("intact.qcow2", "alpine", config.Notify),
		sourceImage("touched.qcow2", "debian", config.Notify),
		sourceImage("missing.qcow2", "alpine", config.Notify),
		sourceImage("unrecorded.qcow2", "alpine", config.Notify),
	)
	b := builds(t, 2)
	art := fx.publish("v1/img.qcow2", b[0], "v1")
	art2 := fx.publish("v1/other.qcow2", b[1], "d1")
	fx.source("alpine").answer(art)
	fx.source("debian").answer(art2)
	fx.sync(engine.Options{Names: []string{"intact.qcow2", "touched.qcow2"}, Download: true})
	later := testNow.Add(time.Hour)
	if err := os.Chtimes(fx.path("touched.qcow2"), later, later); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fx.path("unrecorded.qcow2"), b[1], 0o644); err != nil {
		t.Fatal(err)
	}
	fx.eng.Now = func() time.Time { return later }

	vr, err := fx.eng.Verify(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rs := byName(t, vr)
	want := map[string]engine.Outcome{
		"intact.qcow2":     engine.Verified,
		"touched.qcow2":    engine.Verified,
		"missing.qcow2":    engine.Missing,
		"unrecorded.qcow2": engine.Modified,
	}
	if diff := cmp.Diff(want, outcomes(rs)); diff != "" {
		t.Errorf("verify (-want +got):\n%s", diff)
	}
	wantErr(t, rs["missing.qcow2"], "not on disk")
	wantErr(t, rs["unrecorded.qcow2"], "no record")
	if r := rs["touched.qcow2"]; !contains(r.Note, "metadata had changed") {
		t.Errorf("touched: note %q, want it to say the mtime changed but the content matches", r.Note)
	}
	if r := rs["intact.qcow2"]; r.Note != "" {
		t.Errorf("intact: note %q, want none", r.Note)
	}
	for n, a := range map[string]sdk.Artifact{"intact.qcow2": art, "touched.qcow2": art2} {
		if got, ok := fx.entry(n); !ok || !got.VerifiedAt.Equal(later) {
			t.Errorf("%s: state %+v (present %v), want re-verified at %v", n, got, ok, later)
		}
		fx.wantLinked(n, a.Digest, mustRead(t, fx.buildPath(a.Digest)))
	}

	// The re-stamped record is trusted again: no download.
	rs = fx.sync(engine.Options{Names: []string{"touched.qcow2"}, Download: true})
	if r := rs["touched.qcow2"]; r.Outcome != engine.Present {
		t.Errorf("sync after verify: %s (%v), want present", r.Outcome, r.Err)
	}
	if n := fx.requests(art) + fx.requests(art2); n != 2 {
		t.Errorf("%d image requests, want 2 (one per artifact)", n)
	}
	wantFile(t, fx.path("unrecorded.qcow2"), b[1])
}
