package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/sdk"
)

// identSources gives the fake sources an identity, which turns the resolve
// cache on.
type identSources struct {
	*fakeSources
	id string
}

func (s *identSources) Identity(string) (string, error) { return s.id, nil }

// readingResolver is a source that, like a real one, reads a metadata
// document through the host before answering.
type readingResolver struct {
	fx    *fixture
	doc   string
	art   sdk.Artifact
	calls int
}

func (r *readingResolver) Resolve(ctx context.Context, req pluginhost.Request) (sdk.Artifact, error) {
	r.calls++
	doc, err := r.fx.eng.Metadata.FetchMetadata(ctx, r.doc, 1<<20)
	if req.OnFetch != nil {
		req.OnFetch(r.doc, doc.Body, err)
	}
	if err != nil {
		return sdk.Artifact{}, err
	}
	return r.art, nil
}

func TestResolveCache(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, sourceImage("img.qcow2", "distro", config.Notify))
	b := builds(t, 1)[0]
	art := fx.publish("3/disk.qcow2", b, "20260101")
	if err := replica.WriteFile(fx.root, "3/SHA256SUMS", []byte("manifest v1\n"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	res := &readingResolver{fx: fx, doc: fx.srv.URL + "/3/SHA256SUMS", art: art}
	fx.sources.res["distro"] = &fakeResolver{}
	ids := &identSources{fakeSources: fx.sources, id: "plugin-v1"}
	fx.eng.Sources = resolverSources{ids, res}

	// First run: the source is asked, the image installed.
	if r := fx.sync(online)["img.qcow2"]; r.Outcome != engine.Installed {
		t.Fatalf("first sync: %s (%v)", r.Outcome, r.Err)
	}
	// Nothing changed upstream: the cached answer stands, the source is not
	// asked (not even started).
	if r := fx.sync(online)["img.qcow2"]; r.Outcome != engine.Present || res.calls != 1 {
		t.Fatalf("second sync: %s, source asked %d times, want present and 1", r.Outcome, res.calls)
	}
	// The document the source read changes: the source is asked again.
	if err := replica.WriteFile(fx.root, "3/SHA256SUMS", []byte("manifest v2\n"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if r := fx.sync(online)["img.qcow2"]; r.Outcome != engine.Present || res.calls != 2 {
		t.Fatalf("after a metadata change: %s, source asked %d times, want 2", r.Outcome, res.calls)
	}
	// An upgraded plugin is asked again.
	ids.id = "plugin-v2"
	fx.sync(online)
	if res.calls != 3 {
		t.Fatalf("after a plugin upgrade: source asked %d times, want 3", res.calls)
	}
	fx.sync(online)
	if res.calls != 3 {
		t.Fatalf("cached again: source asked %d times, want 3", res.calls)
	}
	// After the cache's lifetime the source is asked whatever the documents say.
	later := testNow.Add(engine.ResolveCacheTTL + time.Minute)
	fx.eng.Now = func() time.Time { return later }
	fx.sync(online)
	if res.calls != 4 {
		t.Fatalf("after the TTL: source asked %d times, want 4", res.calls)
	}
	// A failing metadata fetch is never cached.
	if err := replica.WriteFile(fx.root, "3/SHA256SUMS", []byte("manifest v3\n"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	res.doc = fx.srv.URL + "/3/missing"
	fx.sync(online)
	fx.sync(online)
	if res.calls != 6 {
		t.Fatalf("with a failing fetch: source asked %d times, want 6 (never cached)", res.calls)
	}
	// NoResolveCache asks every time.
	res.doc = fx.srv.URL + "/3/SHA256SUMS"
	fx.eng.NoResolveCache = true
	fx.sync(online)
	fx.sync(online)
	if res.calls != 8 {
		t.Fatalf("with the cache off: source asked %d times, want 8", res.calls)
	}
}

// resolverSources serves one resolver for every source, with an identity.
type resolverSources struct {
	ids *identSources
	r   engine.Resolver
}

func (s resolverSources) Source(context.Context, string) (engine.Resolver, error) { return s.r, nil }
func (s resolverSources) Identity(name string) (string, error)                    { return s.ids.Identity(name) }
