package debian_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	ireplica "github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/plugins/debian"
	"github.com/sandlabx/fetchd/plugins/debian/replica"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/sdktest"
)

// serve writes a replica into a temporary directory and serves it.
func serve(t *testing.T, opts replica.Options) (*replica.Layout, *ireplica.Server) {
	t.Helper()
	l, err := replica.Write(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return l, ireplica.Serve(t, l.Root())
}

// resolve calls Resolve directly with a plain HTTP fetcher.
func resolve(t *testing.T, base, rel, arch, variant string) (sdk.Artifact, error) {
	t.Helper()
	return resolveWith(t, sdktest.HTTPFetcher(nil), base, rel, arch, variant)
}

func resolveWith(t *testing.T, f sdk.Fetcher, base, rel, arch, variant string) (sdk.Artifact, error) {
	t.Helper()
	return debian.New().Resolve(t.Context(), sdk.ResolveRequest{Release: rel, Arch: arch, Variant: variant, BaseURL: base, Fetcher: f})
}

// want is the artifact a correct Resolve returns for b.
func want(base string, b replica.Build) sdk.Artifact {
	return sdk.Artifact{
		URL:         replica.URL(base, b.Path),
		FileName:    b.FileName,
		Version:     b.Version,
		Format:      sdk.FormatQCOW2,
		Digest:      b.Digest,
		ChecksumURL: replica.URL(base, b.SumsPath),
		Signature:   sdk.Unsigned(debian.UnsignedDetail),
		Release:     b.Release,
		Arch:        b.Arch,
		Variant:     b.Variant,
	}
}

// overlay serves a replica with some files replaced or missing, leaving
// the tree on disk as it is, so that many fault cases share one tree.
type overlay struct {
	t    *testing.T
	root string

	mu    sync.Mutex
	files map[string][]byte // root-relative path -> body; nil: 404
	extra func(http.ResponseWriter, *http.Request) bool
}

// serveOverlay starts a server for l's tree with an overlay.
func serveOverlay(t *testing.T, l *replica.Layout) (*overlay, *ireplica.Server) {
	t.Helper()
	o := &overlay{t: t, root: l.Root(), files: map[string][]byte{}}
	srv := ireplica.Serve(t, l.Root())
	srv.Hook(o.serve)
	return o, srv
}

func (o *overlay) serve(w http.ResponseWriter, r *http.Request) bool {
	o.mu.Lock()
	data, ok := o.files[strings.TrimPrefix(r.URL.Path, "/")]
	extra := o.extra
	o.mu.Unlock()
	switch {
	case ok && data == nil:
		http.NotFound(w, r)
		return true
	case ok:
		_, _ = w.Write(data)
		return true
	case extra != nil:
		return extra(w, r)
	}
	return false
}

// hook makes h see every request the overlay does not answer.
func (o *overlay) hook(h func(http.ResponseWriter, *http.Request) bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.extra = h
}

// rewrite serves edit(current body) for rel.
func (o *overlay) rewrite(rel string, edit func([]byte) []byte) {
	o.t.Helper()
	o.mu.Lock()
	data, ok := o.files[rel]
	o.mu.Unlock()
	if !ok {
		var err error
		if data, err = os.ReadFile(filepath.Join(o.root, filepath.FromSlash(rel))); err != nil {
			o.t.Fatal(err)
		}
	}
	data = edit(data)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.files[rel] = data
}

// remove makes rel answer 404.
func (o *overlay) remove(rel string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.files[rel] = nil
}

// editManifest rewrites a manifest through a generic JSON document.
func (o *overlay) editManifest(rel string, edit func(doc map[string]any)) {
	o.t.Helper()
	o.rewrite(rel, func(data []byte) []byte {
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			o.t.Fatal(err)
		}
		edit(doc)
		out, err := json.MarshalIndent(doc, "", "    ")
		if err != nil {
			o.t.Fatal(err)
		}
		return out
	})
}

// replaceLine replaces the line of a SHA512SUMS file that names name.
func replaceLine(t *testing.T, data []byte, name string, with func(line string) string) []byte {
	t.Helper()
	lines := strings.SplitAfter(string(data), "\n")
	found := false
	for i, l := range lines {
		if strings.HasSuffix(strings.TrimSuffix(l, "\n"), "  "+name) {
			lines[i] = with(l)
			found = true
		}
	}
	if !found {
		t.Fatalf("no line for %s", name)
	}
	return []byte(strings.Join(lines, ""))
}

// capFetcher answers url as fetchd's host does for a body over its size
// cap, and passes everything else on.
type capFetcher struct {
	sdk.Fetcher
	url string
}

func (f capFetcher) Fetch(ctx context.Context, url string, opts ...sdk.FetchOption) (*sdk.Document, error) {
	if url == f.url {
		return nil, sdk.NewFetchError(url, "GET "+url+": body larger than 16777216 bytes", sdk.ErrBadMetadata)
	}
	return f.Fetcher.Fetch(ctx, url, opts...)
}

// qcow2Upload returns the qcow2 Upload item of a manifest document.
func qcow2Upload(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	for _, it := range doc["items"].([]any) {
		m := it.(map[string]any)
		if m["kind"] == "Upload" && m["metadata"].(map[string]any)["labels"].(map[string]any)["upload.cloud.debian.org/image-format"] == "qcow2" {
			return m
		}
	}
	t.Fatal("no qcow2 upload in the manifest")
	return nil
}
