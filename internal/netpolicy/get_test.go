package netpolicy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// stallUntilDone blocks a handler until the client goes away, bounded so a
// broken client cannot hang the test binary.
func stallUntilDone(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(30 * time.Second):
	}
}

func TestGet(t *testing.T) {
	t.Parallel()
	const limit = 4096
	tests := map[string]struct {
		handler  http.HandlerFunc
		path     string
		idle     time.Duration
		want     *Document // nil = want an error
		checkErr func(t *testing.T, err error)
	}{
		"ok after redirect": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/old" {
					http.Redirect(w, r, "/new?x=1", http.StatusMovedPermanently)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"ok":true}`)
			},
			path: "/old",
			want: &Document{Body: []byte(`{"ok":true}`), URL: "/new?x=1", ContentType: "application/json"},
		},
		"exactly at the cap": {
			handler: func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte("a"), limit)) },
			want:    &Document{Body: bytes.Repeat([]byte("a"), limit), URL: "/", ContentType: "text/plain; charset=utf-8"},
		},
		"not found": {
			handler:  func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			checkErr: wantStatus(404, true),
		},
		"gone": {
			handler:  func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) },
			checkErr: wantStatus(410, true),
		},
		"server error": {
			handler:  func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) },
			checkErr: wantStatus(500, false),
		},
		"partial content is not 200": {
			handler:  func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusPartialContent) },
			checkErr: wantStatus(206, false),
		},
		"content length over the cap fails before reading": {
			// The body never comes: reading it would end in an idle
			// timeout, not a TooLargeError.
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "104857600")
				w.WriteHeader(http.StatusOK)
				w.(http.Flusher).Flush()
				stallUntilDone(r)
			},
			idle:     time.Minute,
			checkErr: wantTooLarge,
		},
		"chunked body over the cap": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				for range 2 * limit / 512 {
					w.Write(bytes.Repeat([]byte("b"), 512))
					w.(http.Flusher).Flush()
				}
			},
			checkErr: wantTooLarge,
		},
		"chunked body one byte over the cap": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write(bytes.Repeat([]byte("b"), limit))
				w.(http.Flusher).Flush()
				w.Write([]byte("c"))
			},
			checkErr: wantTooLarge,
		},
		"stall before any byte": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusOK)
				w.(http.Flusher).Flush()
				stallUntilDone(r)
			},
			idle:     300 * time.Millisecond,
			checkErr: wantIdle,
		},
		"stall mid body": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "100")
				w.Write([]byte("0123456789"))
				w.(http.Flusher).Flush()
				stallUntilDone(r)
			},
			idle:     300 * time.Millisecond,
			checkErr: wantIdle,
		},
		"trickle slower than nothing but faster than idle": {
			// 15 bytes, one every 100ms: the whole body takes longer than
			// the idle timeout, which is not a total deadline. The gap
			// between bytes is a tenth of the timeout, so a loaded machine
			// does not make this fail.
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				for i := range 15 {
					fmt.Fprint(w, i%10)
					w.(http.Flusher).Flush()
					time.Sleep(100 * time.Millisecond)
				}
			},
			idle: time.Second,
			want: &Document{Body: []byte("012345678901234"), URL: "/", ContentType: "text/plain"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, true, tc.handler)
			p := trusting(Policy{IdleTimeout: tc.idle}, srv.Server)
			path := tc.path
			if path == "" {
				path = "/"
			}
			doc, err := Get(t.Context(), nil, p, srv.URL+path, limit)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("Get = %+v, nil; want an error", doc)
				}
				tc.checkErr(t, err)
				return
			}
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			want := *tc.want
			want.URL = srv.URL + want.URL
			if diff := cmp.Diff(&want, doc); diff != "" {
				t.Errorf("Get (-want +got):\n%s", diff)
			}
		})
	}
}

func wantStatus(code int, notFound bool) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var se *StatusError
		if !errors.As(err, &se) {
			t.Fatalf("got %v, want *StatusError", err)
		}
		if se.Status != code || se.NotFound() != notFound {
			t.Errorf("got status %d NotFound=%v, want %d NotFound=%v", se.Status, se.NotFound(), code, notFound)
		}
	}
}

func wantTooLarge(t *testing.T, err error) {
	t.Helper()
	var te *TooLargeError
	if !errors.As(err, &te) {
		t.Fatalf("got %v, want *TooLargeError", err)
	}
	if te.Limit != 4096 || !strings.Contains(te.Error(), "4096") {
		t.Errorf("TooLargeError %q, want it to name the 4096-byte limit", te)
	}
}

func wantIdle(t *testing.T, err error) {
	t.Helper()
	var ie *IdleTimeoutError
	if !errors.As(err, &ie) {
		t.Fatalf("got %v, want *IdleTimeoutError", err)
	}
}

func TestGetPolicy(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		allow bool
		raw   func(srvURL string) string
		ok    bool
	}{
		"http refused":      {raw: func(s string) string { return s }},
		"http allowed":      {allow: true, raw: func(s string) string { return s }, ok: true},
		"unparsable":        {raw: func(string) string { return "https://h/%zz" }},
		"file":              {raw: func(string) string { return "file:///etc/passwd" }},
		"userinfo":          {allow: true, raw: func(s string) string { return strings.Replace(s, "http://", "http://u:p@", 1) }},
		"allowed other url": {allow: true, raw: func(s string) string { return strings.Replace(s, "127.0.0.1", "localhost", 1) }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, false, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) })
			p := Policy{}
			if tc.allow {
				p = allowHTTP(p, srv.Server)
			}
			_, err := Get(t.Context(), nil, p, tc.raw(srv.URL), 10)
			if tc.ok {
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				if srv.hits.Load() != 1 {
					t.Errorf("server saw %d requests, want 1", srv.hits.Load())
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Get = %v, want *PolicyError", err)
			}
			if srv.hits.Load() != 0 {
				t.Errorf("server saw %d requests, want none", srv.hits.Load())
			}
		})
	}
}

func TestGetBadCap(t *testing.T) {
	t.Parallel()
	if _, err := Get(t.Context(), nil, Policy{}, "https://127.0.0.1:1/x", 0); err == nil {
		t.Fatal("Get with a zero cap: no error")
	}
}

// A canceled request must not come back as a short document: net/http can
// end a canceled chunked body with a bare io.EOF.
func TestGetCanceledMidBody(t *testing.T) {
	t.Parallel()
	for i := range 30 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			sent := make(chan struct{})
			srv := newServer(t, true, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusOK)
				w.(http.Flusher).Flush()
				close(sent)
				stallUntilDone(r)
			})
			ctx, cancel := context.WithCancel(t.Context())
			go func() {
				<-sent
				time.Sleep(10 * time.Millisecond) // usually lands in the body read
				cancel()
			}()
			doc, err := Get(ctx, nil, trusting(Policy{}, srv.Server), srv.URL, 100)
			if err == nil {
				t.Fatalf("Get = %q, nil; want an error", doc.Body)
			}
		})
	}
}

// A caller's own client does not bypass the redirect rule.
func TestGetCallerClientRedirect(t *testing.T) {
	t.Parallel()
	srv := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://127.0.0.1/x", http.StatusFound)
	})
	_, err := Get(t.Context(), &http.Client{}, allowHTTP(Policy{}, srv.Server), srv.URL, 10)
	var pe *PolicyError
	if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "redirect from") {
		t.Fatalf("Get = %v, want a redirect *PolicyError", err)
	}
}
