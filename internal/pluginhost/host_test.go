package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// pluginDir links the test binary into a fresh directory under the given
// fake plugin modes.
func pluginDir(t *testing.T, modes ...string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, m := range modes {
		if err := os.Symlink(self, filepath.Join(dir, FilePrefix+m)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// mapFetcher serves metadata from a map of URL to body.
func mapFetcher(docs map[string]string) MetadataFetcher {
	return FetchFunc(func(_ context.Context, url string, _ int64) (Document, error) {
		body, ok := docs[url]
		if !ok {
			return Document{}, fmt.Errorf("GET %s: 404 Not Found: %w", url, ErrFetchNotFound)
		}
		return Document{Body: []byte(body), FinalURL: url}, nil
	})
}

func newHost(t *testing.T, opts Options) *Host {
	t.Helper()
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 5 * time.Second
	}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func startOne(t *testing.T, h *Host, mode string) (*Plugin, error) {
	t.Helper()
	dir := pluginDir(t, mode)
	cands, problems := Discover(Search{Dirs: []Dir{{Path: dir, Explicit: true}}})
	if len(problems) != 0 || len(cands) != 1 {
		t.Fatalf("Discover: %v, %v", cands, problems)
	}
	return h.Start(t.Context(), cands[0])
}

var digestHex = strings.Repeat("0123456789abcdef", 4)

func TestStartAndResolve(t *testing.T) {
	t.Parallel()
	h := newHost(t, Options{Fetcher: mapFetcher(map[string]string{
		"https://images.example.org/1.0/SHA256SUMS": digestHex + "  fake-1.0-x86_64-cloud.qcow2\n",
	})})
	p, err := startOne(t, h, "good")
	if err != nil {
		t.Fatal(err)
	}
	if p.Protocol != 1 || p.Desc.Name != "good" || p.Desc.Version != "0.1.0" {
		t.Fatalf("plugin = protocol %d, %+v", p.Protocol, p.Desc)
	}
	var fetched []string
	art, err := p.Resolve(t.Context(), Request{Release: "stable", Arch: "amd64", OnFetch: func(u string, _ []byte, _ error) { fetched = append(fetched, u) }})
	if err != nil {
		t.Fatal(err)
	}
	want := sdk.Artifact{
		URL:         "https://images.example.org/1.0/fake-1.0-x86_64-cloud.qcow2",
		FileName:    "fake-1.0-x86_64-cloud.qcow2",
		Version:     "1.0.20260101",
		Format:      sdk.FormatQCOW2,
		Digest:      checksum.Digest{Algorithm: checksum.SHA256, Hex: digestHex},
		ChecksumURL: "https://images.example.org/1.0/SHA256SUMS",
		Signature:   sdk.Unsigned("fake upstream signs nothing"),
		Release:     "1.0",
		Arch:        "x86_64",
		Variant:     "cloud",
	}
	if diff := cmp.Diff(want, art); diff != "" {
		t.Errorf("artifact (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"https://images.example.org/1.0/SHA256SUMS"}, fetched); diff != "" {
		t.Errorf("fetched (-want +got):\n%s", diff)
	}
	// The same plugin answers several calls at once.
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			_, err := p.Resolve(t.Context(), Request{Release: "1.0", Arch: "x86_64", Variant: "cloud"})
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestResolveErrorsFromThePlugin(t *testing.T) {
	t.Parallel()
	h := newHost(t, Options{Fetcher: mapFetcher(map[string]string{
		"https://images.example.org/1.0/SHA256SUMS": digestHex + "  some-other-file.qcow2\n",
	})})
	p, err := startOne(t, h, "good")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		req      Request
		code     codes.Code
		contains string
	}{
		"unknown release":   {Request{Release: "9.9", Arch: "amd64"}, codes.NotFound, `release "9.9" is not offered by good (it has: 1.0 (stable); 2.0)`},
		"unknown arch":      {Request{Arch: "sparc"}, codes.NotFound, `architecture "sparc" is not offered`},
		"unknown variant":   {Request{Arch: "amd64", Variant: "huge"}, codes.NotFound, `variant "huge" is not offered by good (it has: cloud, tiny)`},
		"no line for image": {Request{Arch: "amd64"}, codes.FailedPrecondition, "has no line for fake-1.0-x86_64-cloud.qcow2"},
		"metadata missing":  {Request{Release: "2.0", Arch: "amd64"}, codes.NotFound, "GET https://images.example.org/2.0/SHA256SUMS: 404 Not Found"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := p.Resolve(t.Context(), tc.req)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Resolve = %v, want *Error", err)
			}
			if pe.Kind != Failed || pe.Code != tc.code || !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("Resolve = kind %d code %v %q, want Failed %v containing %q", pe.Kind, pe.Code, err, tc.code, tc.contains)
			}
			if !strings.HasPrefix(err.Error(), "source good (") {
				t.Errorf("error %q does not name the source and origin", err)
			}
		})
	}
}

// TestBadPlugins: each way a plugin can be broken is a clean error naming
// the plugin and its path, and leaves no process behind.
func TestBadPlugins(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		mode      string
		startKind Kind   // expected failure at Start, or -1 when Start succeeds
		kind      Kind   // expected failure at Resolve
		contains  string // in the error text
	}{
		"crash in resolve":        {mode: "crash", startKind: -1, kind: Crashed, contains: "plugin exited during Resolve: the plugin process died (plugin stderr: panic: fake: crash in Resolve"},
		"hang in resolve":         {mode: "hang", startKind: -1, kind: Timeout, contains: "Resolve: no answer within 1s"},
		"no handshake":            {mode: "nohandshake", startKind: Timeout, contains: "start: did not complete the plugin handshake within"},
		"wrong protocol":          {mode: "wrongproto", startKind: ProtocolMismatch, contains: "plugin speaks protocol version 2, this fetchd speaks protocol 1"},
		"prints before handshake": {mode: "chatty", startKind: NotAPlugin, contains: `its first line on stdout was "hello from a plugin that prints before the handshake"`},
		"misnamed":                {mode: "misnamed", startKind: InvalidAnswer, contains: `plugin calls itself "someone-else" but its file name says "misnamed"`},
		"file url":                {mode: "raw-file-url", startKind: -1, kind: InvalidAnswer, contains: `url: url "file:///etc/shadow" refused: scheme "file" not allowed`},
		"http url":                {mode: "raw-http-url", startKind: -1, kind: InvalidAnswer, contains: "http:// is allowed only on the host of an http:// base_url"},
		"getter url":              {mode: "raw-getter-url", startKind: -1, kind: InvalidAnswer, contains: "go-getter forcing prefix"},
		"slash in file name":      {mode: "raw-slash-name", startKind: -1, kind: InvalidAnswer, contains: `file_name: file name "../../etc/passwd" contains a path separator`},
		"short digest":            {mode: "raw-short-digest", startKind: -1, kind: InvalidAnswer, contains: "checksum: sha256 digest has 62 hex digits, want 64"},
		"non-hex digest":          {mode: "raw-nonhex-digest", startKind: -1, kind: InvalidAnswer, contains: "checksum: sha256 digest is not lowercase hex"},
		"no checksum":             {mode: "raw-no-checksum", startKind: -1, kind: InvalidAnswer, contains: "checksum: unknown digest algorithm"},
		"answers another release": {mode: "raw-wrong-release", startKind: -1, kind: InvalidAnswer, contains: "asked for 1.0/x86_64/cloud, answered for 2.0/x86_64/cloud"},
		"slash in source name":    {mode: "raw-bad-name", startKind: InvalidAnswer, contains: `name: "raw/bad-name" is not a source name`},
		"oversized describe":      {mode: "raw-huge-describe", startKind: InvalidAnswer, contains: "answer larger than the 1048576-byte cap"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// Sixteen plugin processes start at once here: a generous start
			// deadline for all but the one that never shakes hands.
			start := 20 * time.Second
			if tc.mode == "nohandshake" {
				start = 2 * time.Second
			}
			h := newHost(t, Options{StartTimeout: start, ResolveTimeout: time.Second, Fetcher: mapFetcher(nil)})
			p, err := startOne(t, h, tc.mode)
			if tc.startKind != -1 {
				assertPluginError(t, err, tc.mode, tc.startKind, tc.contains)
				return
			}
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			_, err = p.Resolve(t.Context(), Request{Arch: "x86_64"})
			assertPluginError(t, err, tc.mode, tc.kind, tc.contains)
			h.Close()
			if !p.Exited() {
				t.Errorf("plugin process still running after Close")
			}
		})
	}
}

func assertPluginError(t *testing.T, err error, mode string, kind Kind, contains string) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want *Error", err)
	}
	if pe.Kind != kind {
		t.Errorf("kind = %d, want %d (%v)", pe.Kind, kind, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, contains) {
		t.Errorf("error %q\ndoes not contain %q", msg, contains)
	}
	if !strings.HasPrefix(msg, "source "+mode+" (/") || !strings.Contains(msg, FilePrefix+mode+")") {
		t.Errorf("error %q does not name the source and its path", msg)
	}
}

func TestNotAPluginBinary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := filepath.Join(dir, FilePrefix+"script")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho 'I am just a script'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	silent := filepath.Join(dir, FilePrefix+"silent")
	if err := os.WriteFile(silent, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := newHost(t, Options{StartTimeout: 2 * time.Second})
	cands, _ := Discover(Search{Dirs: []Dir{{Path: dir}}})
	for _, c := range cands {
		_, err := h.Start(t.Context(), c)
		var pe *Error
		if !errors.As(err, &pe) || pe.Kind != NotAPlugin || !strings.Contains(err.Error(), "not a fetchd plugin") || !strings.Contains(err.Error(), c.Path) {
			t.Errorf("%s: got %v, want a NotAPlugin error naming the path", c.Name, err)
		}
	}
}

func TestCloseKillsPlugins(t *testing.T) {
	t.Parallel()
	h, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var ps []*Plugin
	for _, m := range []string{"good", "good-two"} {
		p, err := startOne(t, h, m)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	socketDir := h.socketDir
	h.Close()
	for _, p := range ps {
		if !p.Exited() {
			t.Errorf("%s still running", p.Name)
		}
	}
	if _, err := os.Stat(socketDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket dir left behind: %v", err)
	}
	// Starting after Close is refused rather than leaking a process.
	if _, err := startOne(t, h, "good"); err == nil {
		t.Error("Start after Close succeeded")
	}
}

func TestPluginEnvironmentIsExplicit(t *testing.T) {
	t.Parallel()
	env := PluginEnv(func(k string) string {
		return map[string]string{"PATH": "/bin", "HTTPS_PROXY": "http://proxy:3128", "AWS_SECRET_ACCESS_KEY": "hush", "FETCHD_DIR": "/images"}[k]
	})
	if diff := cmp.Diff([]string{"PATH=/bin", "HTTPS_PROXY=http://proxy:3128"}, env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
}

// processAlive is used by tests that check for leftover processes.
func processAlive(pid int) bool { return syscall.Kill(pid, 0) == nil }

var _ = processAlive

// TestStartGivenUp: a start whose context has ended is given up on while
// go-plugin may still be starting the process in its own goroutine; the
// kill that follows races that start (under -race, a data race fails the
// test), and no plugin process outlives it.
func TestStartGivenUp(t *testing.T) {
	t.Parallel()
	h := newHost(t, Options{})
	dir := pluginDir(t, "good")
	cands, problems := Discover(Search{Dirs: []Dir{{Path: dir, Explicit: true}}})
	if len(problems) != 0 || len(cands) != 1 {
		t.Fatalf("Discover: %v, %v", cands, problems)
	}
	for range 20 {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if p, err := h.Start(ctx, cands[0]); err == nil {
			p.Kill() // the start won the race
		}
	}
	h.Close()
	// A killed plugin is gone once reaped; bounded, not timed.
	for i := 0; ; i++ {
		left := processesFrom(t, dir)
		if len(left) == 0 {
			break
		}
		if i == 200 {
			t.Fatalf("plugin processes still running after their starts were given up on: %v", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processesFrom lists the processes whose command line names dir.
func processesFrom(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmd), dir) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return out
}
