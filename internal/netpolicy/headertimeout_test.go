package netpolicy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestResponseHeaderTimeoutFollowsIdle: unset, the wait for response
// headers is at most the idle timeout (a server that sends nothing at all
// is idle); set, it is kept.
func TestResponseHeaderTimeoutFollowsIdle(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   Policy
		want time.Duration
	}{
		"defaults":          {Policy{}, DefaultResponseHeaderTimeout},
		"short idle":        {Policy{IdleTimeout: 2 * time.Second}, 2 * time.Second},
		"long idle":         {Policy{IdleTimeout: 5 * time.Minute}, DefaultResponseHeaderTimeout},
		"explicit is kept":  {Policy{IdleTimeout: 2 * time.Second, ResponseHeaderTimeout: 10 * time.Second}, 10 * time.Second},
		"explicit, default": {Policy{ResponseHeaderTimeout: time.Minute}, time.Minute},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := tc.in.WithDefaults().ResponseHeaderTimeout; got != tc.want {
				t.Errorf("ResponseHeaderTimeout = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestSilentServerHitsIdleTimeout: a server that accepts the request and
// never answers is given up on after the idle timeout, not the 30 s
// header default (which the context's longer deadline would beat).
func TestSilentServerHitsIdleTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := Policy{AllowHTTP: []string{strings.TrimPrefix(srv.URL, "http://")}, IdleTimeout: 300 * time.Millisecond}.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("a server that never answers: got a response")
	}
	if !strings.Contains(err.Error(), "timeout awaiting response headers") {
		t.Errorf("got %v, want the response-header timeout", err)
	}
}
