package replica

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Server serves a replica directory.
type Server struct {
	*httptest.Server
	Root string

	mu        sync.Mutex
	redirects map[string]string
	hook      func(w http.ResponseWriter, r *http.Request) bool
	requests  map[string]int
	bytesOut  atomic.Int64
}

// Serve starts a server for root on 127.0.0.1 and stops it when the test
// ends.
func Serve(t testing.TB, root string) *Server {
	t.Helper()
	s := NewServer(root)
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a server for root on 127.0.0.1; Close stops it.
func NewServer(root string) *Server {
	s := &Server{Root: root, redirects: map[string]string{}, requests: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Redirect makes GET from answer with a 302 to to (a path on this server or
// an absolute URL).
func (s *Server) Redirect(from, to string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redirects[from] = to
}

// Hook installs a function that sees every request first; when it returns
// true it has answered and the file is not served. Fault tests use it.
func (s *Server) Hook(h func(w http.ResponseWriter, r *http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = h
}

// Requests returns how many requests asked for urlPath.
func (s *Server) Requests(urlPath string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[urlPath]
}

// BytesServed is the number of body bytes written so far.
func (s *Server) BytesServed() int64 { return s.bytesOut.Load() }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests[r.URL.Path]++
	hook := s.hook
	to, redirect := s.redirects[r.URL.Path]
	s.mu.Unlock()
	w = &countingWriter{ResponseWriter: w, n: &s.bytesOut}
	if hook != nil && hook(w, r) {
		return
	}
	if redirect {
		http.Redirect(w, r, to, http.StatusFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	clean := path.Clean("/" + r.URL.Path)
	name := filepath.Join(s.Root, filepath.FromSlash(clean))
	fi, err := os.Stat(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if fi.IsDir() {
		if !strings.HasSuffix(r.URL.Path, "/") {
			http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
			return
		}
		name = filepath.Join(name, "index.html")
		if fi, err = os.Stat(name); err != nil {
			http.NotFound(w, r)
			return
		}
	}
	f, err := os.Open(name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer f.Close()
	// ServeContent answers Range requests and sets Content-Length and
	// Last-Modified, as upstream's servers do.
	http.ServeContent(w, r, fi.Name(), fi.ModTime(), f)
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// Flush lets handlers that stream (fault hooks) flush.
func (c *countingWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
