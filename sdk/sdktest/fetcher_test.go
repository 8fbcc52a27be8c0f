package sdktest_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/sdktest"
)

// TestHTTPFetcher: the final URL after redirects, the content type, and a
// per-call cap, for Fetch and Open alike.
func TestHTTPFetcher(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/new", http.StatusFound) })
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, strings.Repeat("x", 100))
	})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		for range 10 {
			_, _ = io.WriteString(w, strings.Repeat("y", 10))
			w.(http.Flusher).Flush()
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := sdktest.HTTPFetcher(nil)
	doc, err := f.Fetch(t.Context(), srv.URL+"/old")
	if err != nil || doc.URL != srv.URL+"/new" || doc.ContentType != "text/plain; charset=utf-8" || len(doc.Body) != 100 {
		t.Fatalf("Fetch: %v, %+v", err, doc)
	}
	if _, err := f.Fetch(t.Context(), srv.URL+"/new", sdk.MaxBytes(99)); !errors.Is(err, sdk.ErrBadMetadata) || !strings.Contains(err.Error(), "99-byte cap") {
		t.Errorf("Fetch over the cap: %v", err)
	}
	// Over the cap: refused at once when the length is announced, while
	// reading when it is not.
	if _, err := f.Open(t.Context(), srv.URL+"/old", sdk.MaxBytes(50)); !errors.Is(err, sdk.ErrBadMetadata) {
		t.Errorf("opening a document over its cap: %v", err)
	}
	s, err := f.Open(t.Context(), srv.URL+"/chunked", sdk.MaxBytes(50))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := io.ReadAll(s); !errors.Is(err, sdk.ErrBadMetadata) {
		t.Errorf("reading a stream past its cap: %v", err)
	}
	if _, err := f.Fetch(t.Context(), srv.URL+"/missing"); !errors.Is(err, sdk.ErrNotFound) {
		t.Errorf("404: %v", err)
	}
}
