package engine_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/metadata"
	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/internal/qemuimg"
	"github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/store"
	"github.com/sandlabx/fetchd/internal/testutil"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// testNow is the engine's clock in every test: VerifiedAt is exactly it.
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fixture is one image directory, one replica server standing in for
// upstream, fake source plugins and an engine wired to all three.
type fixture struct {
	t       *testing.T
	dir     string // the image directory
	root    string // what the server serves
	srv     *replica.Server
	sources *fakeSources
	eng     *engine.Engine
	events  *eventLog
}

// newFixture builds an engine for images (any order) over a fresh image
// directory and a fresh replica server. It needs qemu-img.
func newFixture(t *testing.T, images ...config.Image) *fixture {
	t.Helper()
	qemu := testutil.RequireQemuImg(t)
	root := t.TempDir()
	srv := replica.Serve(t, root)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	policy := netpolicy.Policy{AllowHTTP: []string{u.Host}, IdleTimeout: 30 * time.Second}
	client, err := policy.Client()
	if err != nil {
		t.Fatal(err)
	}
	meta, err := metadata.New(policy, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{
		Dir:          t.TempDir(),
		Update:       config.Notify,
		Parallel:     3,
		MaxImageSize: 64 << 20,
		IdleTimeout:  30 * time.Second,
		AutoDownload: true,
		Sources:      map[string]config.Source{},
	}
	fx := &fixture{
		t: t, dir: cfg.Dir, root: root, srv: srv,
		sources: &fakeSources{res: map[string]*fakeResolver{}},
		events:  &eventLog{},
	}
	fx.eng = &engine.Engine{
		Config:     cfg,
		Sources:    fx.sources,
		Metadata:   meta,
		Downloader: download.New(client, policy),
		QemuImg:    &qemuimg.Runner{Path: qemu},
		Reporter:   fx.events,
		Arch:       "amd64",
		Now:        func() time.Time { return testNow },
	}
	fx.configure(images...)
	return fx
}

// configure replaces the configured images (any order).
func (fx *fixture) configure(images ...config.Image) {
	images = slices.Clone(images)
	slices.SortFunc(images, func(a, b config.Image) int { return strings.Compare(a.Name, b.Name) })
	fx.eng.Config.Images = images
}

// sourceImage is a configured image from a source plugin.
func sourceImage(name, source string, p config.Policy) config.Image {
	return config.Image{Name: name, Source: source, Release: "3", Update: p}
}

// source returns the fake plugin called name, creating it.
func (fx *fixture) source(name string) *fakeResolver {
	fx.sources.mu.Lock()
	defer fx.sources.mu.Unlock()
	r, ok := fx.sources.res[name]
	if !ok {
		r = &fakeResolver{}
		fx.sources.res[name] = r
	}
	return r
}

// publish puts data at rel on the server and returns the artifact a source
// plugin would announce for it.
func (fx *fixture) publish(rel string, data []byte, version string) sdk.Artifact {
	fx.t.Helper()
	if err := replica.WriteFile(fx.root, rel, data, time.Time{}); err != nil {
		fx.t.Fatal(err)
	}
	return sdk.Artifact{
		URL:         fx.srv.URL + "/" + rel,
		FileName:    path.Base(rel),
		Version:     version,
		Format:      sdk.FormatQCOW2,
		Size:        int64(len(data)),
		Digest:      sha256Of(data),
		ChecksumURL: fx.srv.URL + "/" + path.Dir(rel) + "/SHA256SUMS",
		Signature:   sdk.Unsigned("test replica"),
		Release:     "3",
		Arch:        "amd64",
		Variant:     "cloudinit",
	}
}

// requests is how many requests the server had for the artifact's URL.
func (fx *fixture) requests(art sdk.Artifact) int {
	fx.t.Helper()
	u, err := url.Parse(art.URL)
	if err != nil {
		fx.t.Fatal(err)
	}
	return fx.srv.Requests(u.Path)
}

// sync runs Sync and returns its results by image name.
func (fx *fixture) sync(opts engine.Options) map[string]engine.Result {
	fx.t.Helper()
	rs, err := fx.eng.Sync(fx.t.Context(), opts)
	if err != nil {
		fx.t.Fatalf("Sync: %v", err)
	}
	return byName(fx.t, rs)
}

// online is the options of a plain `fetchd sync`.
var online = engine.Options{Download: true}

func (fx *fixture) path(name string) string { return filepath.Join(fx.dir, name) }

func (fx *fixture) partialDir() string {
	return filepath.Join(fx.dir, state.PrivateDir, "partial")
}

// partials lists the partial directory (nil when it does not exist).
func (fx *fixture) partials() []string {
	fx.t.Helper()
	ents, err := os.ReadDir(fx.partialDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		fx.t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// entry reads name's record from state.json as a fresh load sees it.
func (fx *fixture) entry(name string) (state.Entry, bool) {
	fx.t.Helper()
	s, err := state.Load(fx.dir)
	if err != nil {
		fx.t.Fatalf("loading state: %v", err)
	}
	return s.Get(name)
}

func byName(t *testing.T, rs []engine.Result) map[string]engine.Result {
	t.Helper()
	m := map[string]engine.Result{}
	for _, r := range rs {
		if _, dup := m[r.Name]; dup {
			t.Fatalf("two results for %s", r.Name)
		}
		m[r.Name] = r
	}
	return m
}

// outcomes is the outcome of each result, for one cmp.Diff.
func outcomes(rs map[string]engine.Result) map[string]engine.Outcome {
	m := map[string]engine.Outcome{}
	for n, r := range rs {
		m[n] = r.Outcome
	}
	return m
}

// errText is r.Err's message, or "".
func errText(r engine.Result) string {
	if r.Err == nil {
		return ""
	}
	return r.Err.Error()
}

// wantErr fails unless r.Err's message contains every part.
func wantErr(t *testing.T, r engine.Result, parts ...string) {
	t.Helper()
	if r.Err == nil {
		t.Errorf("%s: Err = nil, want an error containing %q", r.Name, parts)
		return
	}
	for _, p := range parts {
		if !strings.Contains(r.Err.Error(), p) {
			t.Errorf("%s: Err = %q, want it to contain %q", r.Name, r.Err, p)
		}
	}
}

func sha256Of(b []byte) checksum.Digest {
	s := sha256.Sum256(b)
	return checksum.Digest{Algorithm: checksum.SHA256, Hex: hex.EncodeToString(s[:])}
}

func sha512Of(b []byte) checksum.Digest {
	s := sha512.Sum512(b)
	return checksum.Digest{Algorithm: checksum.SHA512, Hex: hex.EncodeToString(s[:])}
}

// builds returns n distinct real qcow2 images of the same file size (they
// differ in virtual size: 16, 24, 32… MiB), standing in for successive
// upstream builds.
func builds(t *testing.T, n int) [][]byte {
	t.Helper()
	dir := t.TempDir()
	var out [][]byte
	for i := range n {
		p := testutil.MakeQcow2(t, dir, fmt.Sprintf("build%d.qcow2", i), 16+8*i)
		out = append(out, mustRead(t, p))
	}
	for i := 1; i < n; i++ {
		if len(out[i]) != len(out[0]) {
			t.Fatalf("qemu-img made builds of %d and %d bytes; the tests assume equal sizes", len(out[0]), len(out[i]))
		}
		if bytes.Equal(out[i], out[0]) {
			t.Fatal("qemu-img made identical builds")
		}
	}
	return out
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantFile fails unless p is a regular file holding exactly want. It
// only reports (never stops the test), so engine hooks may call it.
func wantFile(t *testing.T, p string, want []byte) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Errorf("%s: %v", p, err)
		return
	}
	if !fi.Mode().IsRegular() {
		t.Errorf("%s is %v, want a regular file", p, fi.Mode())
		return
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Error(err)
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s holds %d bytes %s, want %d bytes %s", p, len(got), sha256Of(got).Short(), len(want), sha256Of(want).Short())
	}
}

// wantNoFile fails unless nothing is at p.
func wantNoFile(t *testing.T, p string) {
	t.Helper()
	if fi, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
		if err == nil {
			t.Errorf("%s exists (%v, %d bytes), want nothing there", p, fi.Mode(), fi.Size())
		} else {
			t.Errorf("%s: %v, want it not to exist", p, err)
		}
	}
}

// rewriteInPlace replaces p's bytes with data (of the same length) and
// puts its modification time and mode back, as a disk error or a careless
// tool could: size and mtime still match the record.
func rewriteInPlace(t *testing.T, p string, data []byte) {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != fi.Size() {
		t.Fatalf("rewriteInPlace: %d bytes for a file of %d", len(data), fi.Size())
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, fi.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}

// partialPath is where the engine keeps the partial download of digest d.
func partialPath(fx *fixture, d checksum.Digest) string {
	return download.PartialPath(fx.partialDir(), d)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// buildPath is where the build of digest d is kept.
func (fx *fixture) buildPath(d checksum.Digest) string {
	return filepath.Join(fx.dir, state.PrivateDir, "builds", state.BuildFile(d, "qcow2"))
}

// wantLinked fails unless the name is a hard link to the build of d,
// holding want, read-only, and its record's stamp is the build file's
// (the next sync trusts it without hashing).
func (fx *fixture) wantLinked(name string, d checksum.Digest, want []byte) {
	fx.t.Helper()
	wantFile(fx.t, fx.path(name), want)
	var a, b unix.Stat_t
	if err := unix.Lstat(fx.path(name), &a); err != nil {
		fx.t.Fatal(err)
	}
	if err := unix.Lstat(fx.buildPath(d), &b); err != nil {
		fx.t.Fatalf("no build for %s: %v", d.Short(), err)
	}
	if a.Ino != b.Ino || a.Dev != b.Dev {
		fx.t.Errorf("%s is not a link to its build %s", name, fx.buildPath(d))
	}
	if a.Mode&0o777 != 0o444 {
		fx.t.Errorf("%s has mode %o, want 0444", name, a.Mode&0o777)
	}
	got, ok := fx.entry(name)
	if !ok || got.Digest != d {
		fx.t.Errorf("state records %+v for %s (present %v), want build %s", got, name, ok, d.Short())
		return
	}
	if !got.Stamp.Matches(store.StampOf(&b)) {
		fx.t.Errorf("recorded stamp %+v does not match the build file %+v", got.Stamp, store.StampOf(&b))
	}
}

// aside lists the files moved to the private directory's aside area.
func (fx *fixture) aside() []string {
	fx.t.Helper()
	ents, err := os.ReadDir(filepath.Join(fx.dir, state.PrivateDir, "aside"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		fx.t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, filepath.Join(fx.dir, state.PrivateDir, "aside", e.Name()))
	}
	return out
}
