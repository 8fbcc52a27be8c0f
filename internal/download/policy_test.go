package download

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/internal/urlrule"
)

func TestDownloadRefusesURL(t *testing.T) {
	t.Parallel()
	data := randomBytes(1024, 8)
	tests := map[string]struct {
		url       func(base string) string
		allowHTTP bool
		policyErr bool // a *netpolicy.PolicyError, else a *urlrule.Error
	}{
		"http not allowed":     {url: func(b string) string { return b + "/x.qcow2" }, policyErr: true},
		"double slash in path": {url: func(b string) string { return b + "/a//x.qcow2" }, allowHTTP: true},
		"double slash at root": {url: func(b string) string { return b + "//x.qcow2" }, allowHTTP: true},
		"checksum parameter":   {url: func(b string) string { return b + "/x.qcow2?checksum=md5:00" }, allowHTTP: true},
		"archive parameter":    {url: func(b string) string { return b + "/x.qcow2?archive=zip" }, allowHTTP: true},
		"query re-encoded":     {url: func(b string) string { return b + "/x.qcow2?b=1&a=2" }, allowHTTP: true},
		"fragment":             {url: func(b string) string { return b + "/x.qcow2#frag" }, allowHTTP: true},
		"forced getter":        {url: func(b string) string { return "http::" + b + "/x.qcow2" }, allowHTTP: true, policyErr: true},
		"file":                 {url: func(string) string { return "file:///etc/passwd" }, policyErr: true},
		"userinfo": {
			url:       func(b string) string { return strings.Replace(b, "http://", "http://u:p@", 1) + "/x.qcow2" },
			allowHTTP: true, policyErr: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, conns int) {
				srv := newServer(t, false, serve(data))
				p := netpolicy.Policy{}
				if tc.allowHTTP {
					p = srv.policy()
				}
				dir := partialDir(t)
				req := Request{URL: tc.url(srv.URL), PartialDir: dir, Digest: digestOfBytes(data), Size: 1024, MaxSize: 1 << 20, Connections: conns}
				_, err := newDL(p).Download(t.Context(), req)
				if tc.policyErr {
					if !errors.As(err, new(*netpolicy.PolicyError)) {
						t.Fatalf("Download = %v, want *netpolicy.PolicyError", err)
					}
				} else if !errors.As(err, new(*urlrule.Error)) {
					t.Fatalf("Download = %v, want *urlrule.Error", err)
				}
				if n := srv.gets.Load() + srv.heads.Load(); n != 0 {
					t.Errorf("server saw %d requests, want none", n)
				}
				if names := dirEntries(t, dir); len(names) != 0 {
					t.Errorf("partial directory holds %q, want nothing", names)
				}
			})
		})
	}
}

func TestDownloadHTTPS(t *testing.T) {
	t.Parallel()
	data := randomBytes(testSize, 9)
	plain := newServer(t, false, serve(data))
	tests := map[string]struct {
		h       handler
		wantErr bool
	}{
		"direct": {h: serve(data)},
		"redirect to https": {h: func(w http.ResponseWriter, r *http.Request, n int) {
			if r.URL.Path == "/old.qcow2" {
				http.Redirect(w, r, "/new.qcow2", http.StatusFound)
				return
			}
			serve(data)(w, r, n)
		}},
		"redirect to plain http": {
			h: func(w http.ResponseWriter, r *http.Request, n int) {
				http.Redirect(w, r, plain.URL+"/new.qcow2", http.StatusFound)
			},
			wantErr: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, conns int) {
				srv := newServer(t, true, tc.h)
				p := srv.policy()
				p.AllowHTTP = nil
				req := Request{URL: srv.URL + "/old.qcow2", PartialDir: partialDir(t), Digest: digestOfBytes(data), MaxSize: 1 << 30, Connections: conns}
				res, err := newDL(p).Download(t.Context(), req)
				if tc.wantErr {
					var pe *netpolicy.PolicyError
					if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "redirect from") {
						t.Fatalf("Download = %v, want a redirect *netpolicy.PolicyError", err)
					}
					if plain.gets.Load() != 0 {
						t.Errorf("plain http server was reached")
					}
					return
				}
				if err != nil {
					t.Fatalf("Download: %v", err)
				}
				if res.Size != testSize {
					t.Errorf("Size %d, want %d", res.Size, testSize)
				}
			})
		})
	}
}

// A symlink planted at the partial's name is replaced, never written
// through.
func TestDownloadPartialSymlink(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, conns int) {
		data := randomBytes(testSize, 10)
		srv := newServer(t, false, serve(data))
		dir := partialDir(t)
		outside := filepath.Join(t.TempDir(), "victim")
		if err := os.WriteFile(outside, []byte("keep me"), 0o644); err != nil {
			t.Fatal(err)
		}
		req := Request{URL: srv.URL + "/image.qcow2", PartialDir: dir, Digest: digestOfBytes(data), Size: testSize, MaxSize: 1 << 30, Connections: conns}
		if err := os.Symlink(outside, PartialPath(dir, req.Digest)); err != nil {
			t.Fatal(err)
		}
		if _, err := newDL(srv.policy()).Download(t.Context(), req); err != nil {
			t.Fatalf("Download: %v", err)
		}
		if got, _ := os.ReadFile(outside); string(got) != "keep me" {
			t.Errorf("file outside the partial directory changed to %d bytes", len(got))
		}
		checkPartial(t, PartialPath(dir, req.Digest), testSize)
	})
}

func TestDownloadBadRequest(t *testing.T) {
	t.Parallel()
	data := []byte("0123456789")
	tests := map[string]struct {
		mutate func(r *Request, dir string)
		ok     bool
	}{
		"valid (control)":   {mutate: func(*Request, string) {}, ok: true},
		"no digest":         {mutate: func(r *Request, _ string) { r.Digest.Hex = "" }},
		"short digest":      {mutate: func(r *Request, _ string) { r.Digest.Hex = r.Digest.Hex[:10] }},
		"unknown algorithm": {mutate: func(r *Request, _ string) { r.Digest.Algorithm = "md5" }},
		"no cap":            {mutate: func(r *Request, _ string) { r.MaxSize = 0 }},
		"size over cap":     {mutate: func(r *Request, _ string) { r.Size = 101 }},
		"negative size":     {mutate: func(r *Request, _ string) { r.Size = -1 }},
		"missing directory": {mutate: func(r *Request, dir string) { r.PartialDir = filepath.Join(dir, "missing") }},
		"directory is a file": {mutate: func(r *Request, dir string) {
			r.PartialDir = filepath.Join(dir, "file")
			if err := os.WriteFile(r.PartialDir, nil, 0o600); err != nil {
				panic(err)
			}
		}},
		"unparsable url":       {mutate: func(r *Request, _ string) { r.URL = "http://h/%zz" }},
		"relative url":         {mutate: func(r *Request, _ string) { r.URL = "x.qcow2" }},
		"negative connections": {mutate: func(r *Request, _ string) { r.Connections = -1 }},
		"too many connections": {mutate: func(r *Request, _ string) { r.Connections = MaxConnectionsPerHost + 1 }},
		"mirror not allowed":   {mutate: func(r *Request, _ string) { r.Mirrors = []string{"http://elsewhere.invalid/x.qcow2"} }},
		"mirror with //":       {mutate: func(r *Request, _ string) { r.Mirrors = []string{r.URL[:len(r.URL)-len("/x.qcow2")] + "/a//x.qcow2"} }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, false, serve(data))
			dir := partialDir(t)
			req := Request{URL: srv.URL + "/x.qcow2", PartialDir: dir, Digest: digestOfBytes(data), Size: 10, MaxSize: 100}
			tc.mutate(&req, dir)
			_, err := newDL(srv.policy()).Download(t.Context(), req)
			if tc.ok {
				if err != nil {
					t.Fatalf("Download: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Download: no error")
			}
			if n := srv.gets.Load() + srv.heads.Load(); n != 0 {
				t.Errorf("server saw %d requests, want none", n)
			}
		})
	}
}

func TestDownloadProgress(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, conns int) {
		data := randomBytes(testSize, 11)
		srv := newServer(t, false, serve(data))
		dir := partialDir(t)
		req := Request{URL: srv.URL + "/image.qcow2", PartialDir: dir, Digest: digestOfBytes(data), Size: testSize, MaxSize: 1 << 30, Connections: conns}
		path := PartialPath(dir, req.Digest)
		if err := os.WriteFile(path, data[:1000], 0o600); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var seen []Progress
		req.Progress = func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, p)
		}
		if _, err := newDL(srv.policy()).Download(t.Context(), req); err != nil {
			t.Fatalf("Download: %v", err)
		}
		if len(seen) < 2 {
			t.Fatalf("progress called %d times, want a start and an end", len(seen))
		}
		last := seen[len(seen)-1]
		if last != (Progress{Done: testSize, Total: testSize, Reused: 1000}) {
			t.Errorf("last progress %+v, want done %d of %d, 1000 reused", last, testSize, testSize)
		}
		for i, p := range seen {
			if p.Done < p.Reused || p.Done > testSize || (i > 0 && p.Done < seen[i-1].Done) {
				t.Errorf("progress %d: %+v out of order or out of range", i, p)
			}
		}
	})
}

// An archive suffix is not a reason to decompress: the bytes on the wire
// are the bytes hashed and kept.
func TestDownloadNoDecompression(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"image.qcow2.xz", "image.tar.gz", "image.zip", "image.bz2"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, conns int) {
				data := randomBytes(4096, 13)
				srv := newServer(t, false, serve(data))
				req := Request{URL: srv.URL + "/" + name, PartialDir: partialDir(t), Digest: digestOfBytes(data), Size: 4096, MaxSize: 1 << 20, Connections: conns}
				res, err := newDL(srv.policy()).Download(t.Context(), req)
				if err != nil {
					t.Fatalf("Download: %v", err)
				}
				if got, _ := os.ReadFile(res.Path); !bytes.Equal(got, data) {
					t.Error("file differs from the served bytes")
				}
			})
		})
	}
}

// Over HTTP/2 a resume asks for the rest, and a stall ends in the idle
// timeout.
func TestDownloadHTTP2(t *testing.T) {
	t.Parallel()
	data := randomBytes(testSize, 14)
	third := testSize / 3
	tests := map[string]struct {
		stall bool
	}{
		"resume": {},
		"stall":  {stall: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, conns int) {
				var proto atomic.Int32
				srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					proto.Store(int32(r.ProtoMajor))
					if tc.stall && r.Method == http.MethodGet {
						w.Header().Set("Content-Length", strconv.Itoa(testSize))
						w.Write(data[:100])
						w.(http.Flusher).Flush()
						stall(r)
						return
					}
					serve(data)(w, r, 0)
				}))
				srv.EnableHTTP2 = true
				srv.StartTLS()
				t.Cleanup(srv.Close)
				p := netpolicy.Policy{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
				if tc.stall {
					p.IdleTimeout = 300 * time.Millisecond
				}
				dir := partialDir(t)
				req := Request{URL: srv.URL + "/image.qcow2", PartialDir: dir, Digest: digestOfBytes(data), Size: testSize, MaxSize: 1 << 30, Connections: conns}
				if !tc.stall {
					if err := os.WriteFile(PartialPath(dir, req.Digest), data[:third], 0o600); err != nil {
						t.Fatal(err)
					}
				}
				res, err := newDL(p).Download(t.Context(), req)
				if proto.Load() != 2 {
					t.Fatalf("server saw HTTP/%d, want HTTP/2", proto.Load())
				}
				if tc.stall {
					if !errors.As(err, new(*netpolicy.IdleTimeoutError)) {
						t.Fatalf("Download = %v, want an idle timeout", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Download: %v", err)
				}
				if res.Reused != int64(third) || res.Transferred != int64(testSize-third) {
					t.Errorf("Result %+v, want %d reused and %d transferred", res, third, testSize-third)
				}
			})
		})
	}
}

// A canonical query reaches the server as it was written.
func TestDownloadQueryKept(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, conns int) {
		data := randomBytes(4096, 15)
		var got atomic.Value
		srv := newServer(t, false, func(w http.ResponseWriter, r *http.Request, n int) {
			got.Store(r.URL.RawQuery)
			serve(data)(w, r, n)
		})
		req := Request{URL: srv.URL + "/image.qcow2?token=a%2Fb&v=2", PartialDir: partialDir(t), Digest: digestOfBytes(data), Size: 4096, MaxSize: 1 << 20, Connections: conns}
		if _, err := newDL(srv.policy()).Download(t.Context(), req); err != nil {
			t.Fatalf("Download: %v", err)
		}
		if q, _ := got.Load().(string); q != "token=a%2Fb&v=2" {
			t.Errorf("server saw query %q, want %q", q, "token=a%2Fb&v=2")
		}
	})
}
