package netpolicy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func get(t *testing.T, p Policy, u string) (*http.Response, error) {
	t.Helper()
	c, err := p.Client()
	if err != nil {
		t.Fatalf("Client: %v", err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err == nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

func TestClientTrust(t *testing.T) {
	t.Parallel()
	srv := newServer(t, true, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("User-Agent"))
	})
	tests := map[string]struct {
		policy func(t *testing.T) Policy
		ok     bool
	}{
		"root pool": {policy: func(t *testing.T) Policy { return trusting(Policy{}, srv.Server) }, ok: true},
		"ca file":   {policy: func(t *testing.T) Policy { return Policy{CAFile: caFile(t, srv.Server)} }, ok: true},
		"root pool plus ca file": {policy: func(t *testing.T) Policy {
			return Policy{RootCAs: x509.NewCertPool(), CAFile: caFile(t, srv.Server)}
		}, ok: true},
		"system roots only": {policy: func(t *testing.T) Policy { return Policy{} }},
		"empty root pool":   {policy: func(t *testing.T) Policy { return Policy{RootCAs: x509.NewCertPool()} }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resp, err := get(t, tc.policy(t), srv.URL)
			if !tc.ok {
				var ue x509.UnknownAuthorityError
				if !errors.As(err, &ue) {
					t.Fatalf("got %v, want x509.UnknownAuthorityError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if diff := cmp.Diff(DefaultUserAgent, string(body)); diff != "" {
				t.Errorf("User-Agent (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClientBadCAFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"missing":        filepath.Join(dir, "missing.pem"),
		"no certificate": junk,
	}
	for name, path := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := (Policy{CAFile: path}).Client(); err == nil {
				t.Fatalf("Client with CAFile %s: no error", path)
			}
		})
	}
}

func TestClientRefusesOldTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, err := get(t, trusting(Policy{}, srv), srv.URL)
	if err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Fatalf("GET over TLS 1.1 = %v, want a protocol version error", err)
	}
}

func TestClientRedirects(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		target     func(tlsURL, plainURL string) string // where /go redirects to
		allowPlain bool
		wantBody   string // "" = want a *PolicyError
		reason     string
		plainHits  int64
	}{
		"https to https": {target: func(s, _ string) string { return s + "/final" }, wantBody: "final"},
		"https to http refused": {
			target: func(_, p string) string { return p + "/x" },
			reason: "http:// is allowed only",
		},
		"https to allowed http": {
			target:     func(_, p string) string { return p + "/x" },
			allowPlain: true, wantBody: "plain", plainHits: 1,
		},
		"to file": {target: func(_, _ string) string { return "file:///etc/passwd" }, reason: "a host is required"},
		"to ftp":  {target: func(_, _ string) string { return "ftp://127.0.0.1/x" }, reason: `scheme "ftp"`},
		"to userinfo": {
			target: func(s, _ string) string { return strings.Replace(s, "https://", "https://u:p@", 1) + "/final" },
			reason: "user info",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			plain := newServer(t, false, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "plain") })
			var srv *countingServer
			srv = newServer(t, true, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/final" {
					io.WriteString(w, "final")
					return
				}
				http.Redirect(w, r, tc.target(srv.URL, plain.URL), http.StatusFound)
			})
			p := trusting(Policy{}, srv.Server)
			if tc.allowPlain {
				p = allowHTTP(p, plain.Server)
			}
			resp, err := get(t, p, srv.URL+"/go")
			if tc.wantBody == "" {
				var pe *PolicyError
				if !errors.As(err, &pe) {
					t.Fatalf("GET = %v, want *PolicyError", err)
				}
				if !strings.Contains(pe.Reason, "redirect from") || !strings.Contains(pe.Reason, tc.reason) {
					t.Errorf("reason %q, want a redirect refusal containing %q", pe.Reason, tc.reason)
				}
				if strings.Contains(pe.URL, ":p@") {
					t.Errorf("PolicyError.URL leaks the password: %s", pe.URL)
				}
			} else {
				if err != nil {
					t.Fatalf("GET: %v", err)
				}
				body, _ := io.ReadAll(resp.Body)
				if diff := cmp.Diff(tc.wantBody, string(body)); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			}
			if got := plain.hits.Load(); got != tc.plainHits {
				t.Errorf("plain http server saw %d requests, want %d", got, tc.plainHits)
			}
		})
	}
}

func TestClientRedirectLoop(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		max      int
		wantHits int64
	}{
		"default": {max: 0, wantHits: DefaultMaxRedirects + 1},
		"two":     {max: 2, wantHits: 3},
		"none":    {max: -1, wantHits: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, true, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/loop", http.StatusFound)
			})
			_, err := get(t, trusting(Policy{MaxRedirects: tc.max}, srv.Server), srv.URL+"/loop")
			var pe *PolicyError
			if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "too many redirects") {
				t.Fatalf("GET = %v, want a too-many-redirects *PolicyError", err)
			}
			if got := srv.hits.Load(); got != tc.wantHits {
				t.Errorf("server saw %d requests, want %d", got, tc.wantHits)
			}
		})
	}
}

// The download client speaks HTTP/1.1 even to a server offering HTTP/2,
// so several connections are several TCP connections, and keeps them for
// the next request.
func TestDownloadClient(t *testing.T) {
	t.Parallel()
	var protos, conns sync.Map
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protos.Store(r.Proto, true)
		conns.Store(r.RemoteAddr, true)
		io.WriteString(w, r.Header.Get("User-Agent"))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	p := trusting(Policy{UserAgent: UserAgent("1.2.3")}, srv)
	c, err := p.DownloadClient(4)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "fetchd/1.2.3 (+https://github.com/sandlabx/fetchd)" {
			t.Errorf("User-Agent %q", body)
		}
	}
	n := 0
	protos.Range(func(k, _ any) bool {
		if k != "HTTP/1.1" {
			t.Errorf("server saw %v", k)
		}
		return true
	})
	conns.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Errorf("five sequential requests used %d connections, want one kept alive", n)
	}
}
