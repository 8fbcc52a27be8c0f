package download

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// randomBytes returns n deterministic pseudo-random bytes.
func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 1})
	r.Read(b)
	return b
}

// digestOfBytes returns the SHA-256 digest of b.
func digestOfBytes(b []byte) checksum.Digest {
	sum := sha256.Sum256(b)
	return checksum.Digest{Algorithm: checksum.SHA256, Hex: hex.EncodeToString(sum[:])}
}

// server is an httptest server on 127.0.0.1 that records what it was asked
// and how many body bytes it wrote.
type server struct {
	*httptest.Server
	gets, heads atomic.Int64
	served      atomic.Int64
	active      atomic.Int64 // handlers running
	mu          sync.Mutex
	ranges      []string // Range header of every GET ("" for none)
}

// handler gets the request number among GETs (1-based; 0 for HEAD).
type handler func(w http.ResponseWriter, r *http.Request, n int)

func newServer(t testing.TB, tlsOn bool, h handler) *server {
	t.Helper()
	s := &server{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.active.Add(1)
		defer s.active.Add(-1)
		n := 0
		if r.Method == http.MethodHead {
			s.heads.Add(1)
		} else {
			n = int(s.gets.Add(1))
			s.mu.Lock()
			s.ranges = append(s.ranges, r.Header.Get("Range"))
			s.mu.Unlock()
		}
		h(&countingWriter{ResponseWriter: w, n: &s.served}, r, n)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // aborted handlers log otherwise
	if tlsOn {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	s.Server = srv
	return s
}

// settle waits (bounded) until no handler runs: the bytes served are then
// all counted.
func (s *server) settle(t testing.TB) {
	t.Helper()
	for range 500 {
		if s.active.Load() == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%d handlers still running", s.active.Load())
}

func (s *server) rangesSeen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...)
}

// policy allows plain http to s (and trusts it when it is TLS).
func (s *server) policy() netpolicy.Policy {
	u, _ := url.Parse(s.URL)
	p := netpolicy.Policy{AllowHTTP: []string{netpolicy.HostPort(u)}}
	if tr, ok := s.Client().Transport.(*http.Transport); ok && tr.TLSClientConfig != nil {
		p.RootCAs = tr.TLSClientConfig.RootCAs
	}
	return p
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingWriter) Flush() { c.ResponseWriter.(http.Flusher).Flush() }

// serve answers GET and HEAD with data, honouring Range, like a static
// file server.
func serve(data []byte) handler {
	return func(w http.ResponseWriter, r *http.Request, _ int) {
		http.ServeContent(w, r, "image.qcow2", time.Time{}, bytes.NewReader(data))
	}
}

// cutAfter answers like serve but, on the GET numbers listed, sends only the
// first cut bytes of the body and then drops the connection.
func cutAfter(data []byte, cut int, on ...int) handler {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		for _, o := range on {
			if n == o {
				w.Header().Set("Accept-Ranges", "bytes")
				w.Header().Set("Content-Length", itoa(len(data)))
				w.WriteHeader(http.StatusOK)
				w.Write(data[:cut])
				w.(http.Flusher).Flush()
				panic(http.ErrAbortHandler)
			}
		}
		serve(data)(w, r, n)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// partialDir returns a fresh partial directory.
func partialDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), ".fetchd", "partial")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// stall blocks a handler until the client goes away, bounded so a broken
// client cannot hang the test binary.
func stall(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(30 * time.Second):
	}
}

// dirEntries lists dir.
func dirEntries(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// connModes are the two download paths the behaviour-level tests run:
// one connection (go-getter) and four (ranges into the span table, the
// prefix hasher).
var connModes = map[string]int{"one connection": 1, "four connections": 4}

// eachMode runs f once per download path, in parallel.
func eachMode(t *testing.T, f func(t *testing.T, conns int)) {
	t.Helper()
	for name, n := range connModes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, n)
		})
	}
}

// newDL is New with segments small enough to cut the test files into
// several.
func newDL(p netpolicy.Policy) *Downloader {
	d := New(nil, p)
	d.MinSegment = 64 << 10
	return d
}

func mkfifo(path string) error { return unix.Mkfifo(path, 0o600) }
