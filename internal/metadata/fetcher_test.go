package metadata

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/internal/pluginhost"
)

// server serves one document with Last-Modified and ETag validators,
// counting full answers and 304s.
type server struct {
	*httptest.Server
	body      atomic.Value // string
	full, not atomic.Int32
}

func newServer(t *testing.T) *server {
	s := &server{}
	s.body.Store("SHA256SUMS v1\n")
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/doc":
			body := s.body.Load().(string)
			etag := fmt.Sprintf("%q", fmt.Sprint(len(body), body[len(body)-3:]))
			w.Header().Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				s.not.Add(1)
				w.WriteHeader(http.StatusNotModified)
				return
			}
			s.full.Add(1)
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, body)
		case "/big":
			w.Header().Set("Content-Length", "100000")
			w.Write(make([]byte, 100000))
		case "/redirect-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func newFetcher(t *testing.T, s *server, cache *Cache, offline bool) *Fetcher {
	t.Helper()
	u, _ := url.Parse(s.URL)
	f, err := New(netpolicy.Policy{AllowHTTP: []string{u.Host}, IdleTimeout: 5 * time.Second}, cache, offline)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFetchUsesConditionalRequests(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cache := &Cache{Dir: t.TempDir()}
	f := newFetcher(t, s, cache, false)
	ctx := t.Context()

	doc, err := f.FetchMetadata(ctx, s.URL+"/doc", 1<<20)
	if err != nil || string(doc.Body) != "SHA256SUMS v1\n" || doc.ContentType != "text/plain" {
		t.Fatalf("first fetch: %q %q %v", doc.Body, doc.ContentType, err)
	}
	// Unchanged: a 304 answers from the cache, body and all.
	doc, err = f.FetchMetadata(ctx, s.URL+"/doc", 1<<20)
	if err != nil || string(doc.Body) != "SHA256SUMS v1\n" {
		t.Fatalf("second fetch: %q %v", doc.Body, err)
	}
	if s.full.Load() != 1 || s.not.Load() != 1 {
		t.Fatalf("server saw %d full answers and %d 304s, want 1 and 1", s.full.Load(), s.not.Load())
	}
	// Changed upstream: the new body, and the cache follows.
	s.body.Store("SHA256SUMS v2!\n")
	doc, err = f.FetchMetadata(ctx, s.URL+"/doc", 1<<20)
	if err != nil || string(doc.Body) != "SHA256SUMS v2!\n" {
		t.Fatalf("after a change: %q %v", doc.Body, err)
	}
	// Offline answers from the cache only.
	off := newFetcher(t, s, cache, true)
	doc, err = off.FetchMetadata(ctx, s.URL+"/doc", 1<<20)
	if err != nil || string(doc.Body) != "SHA256SUMS v2!\n" {
		t.Fatalf("offline: %q %v", doc.Body, err)
	}
	_, err = off.FetchMetadata(ctx, s.URL+"/never-fetched", 1<<20)
	if !errors.Is(err, pluginhost.ErrFetchNotFound) || !strings.Contains(err.Error(), "offline, and no copy was cached") {
		t.Fatalf("offline, uncached: %v", err)
	}
	if n := len(f.Log()); n != 3 {
		t.Errorf("log has %d entries, want 3", n)
	}
}

func TestFetchErrorKinds(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	f := newFetcher(t, s, nil, false)
	tests := map[string]struct {
		url  string
		max  int64
		kind error
		msg  string
	}{
		"404":              {s.URL + "/missing", 1 << 20, pluginhost.ErrFetchNotFound, "404"},
		"other status":     {s.URL + "/teapot", 1 << 20, nil, "418"},
		"over the cap":     {s.URL + "/big", 1000, pluginhost.ErrFetchTooLarge, "larger than the 1000-byte limit"},
		"http elsewhere":   {"http://example.invalid/x", 1 << 20, pluginhost.ErrFetchRefused, "http://"},
		"redirect to file": {s.URL + "/redirect-file", 1 << 20, pluginhost.ErrFetchRefused, "file:///etc/passwd"},
		"not a URL at all": {"::", 1 << 20, pluginhost.ErrFetchRefused, "does not parse"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := f.FetchMetadata(context.Background(), tc.url, tc.max)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.msg)
			}
			if tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Fatalf("err = %v, want kind %v", err, tc.kind)
			}
			if tc.kind == nil && (errors.Is(err, pluginhost.ErrFetchNotFound) || errors.Is(err, pluginhost.ErrFetchRefused)) {
				t.Fatalf("err = %v: a 418 is neither not-found nor refused", err)
			}
		})
	}
}

func TestCacheIgnoresATamperedBody(t *testing.T) {
	t.Parallel()
	c := &Cache{Dir: t.TempDir()}
	if err := c.Put("https://h/x", &Entry{URL: "https://h/x", Body: []byte("good")}); err != nil {
		t.Fatal(err)
	}
	if e, err := c.Get("https://h/x"); err != nil || string(e.Body) != "good" {
		t.Fatalf("Get = %v, %v", e, err)
	}
	_, body := c.paths("https://h/x")
	if err := writeFile(body, []byte("evil")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get("https://h/x"); err == nil {
		t.Fatal("a body that does not match its record was served")
	}
	if _, err := c.Get("https://h/other"); err == nil {
		t.Fatal("an uncached URL was served")
	}
}
