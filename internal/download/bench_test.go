package download

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// BenchmarkDownload downloads a file of FETCHD_BENCH_MIB MiB (default 1024)
// from a static file server on 127.0.0.1 with Download, and, in the same
// iteration, with a plain GET + io.Copy to a file through the same client.
// It reports both rates and ratio = Download time / plain time (the target
// is ≤ 1.15). FETCHD_BENCH_DIR picks where the files are written;
// FETCHD_BENCH_CURL=1 also times `curl -o` against the same server.
func BenchmarkDownload(b *testing.B) {
	mib := 1024
	if s := os.Getenv("FETCHD_BENCH_MIB"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("FETCHD_BENCH_MIB=%q", s)
		}
		mib = n
	}
	size := int64(mib) << 20
	src := filepath.Join(b.TempDir(), "image.qcow2")
	digests := writeRandomFile(b, src, size)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, src)
	}))
	b.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	p := netpolicy.Policy{AllowHTTP: []string{netpolicy.HostPort(u)}}
	curl := ""
	if os.Getenv("FETCHD_BENCH_CURL") != "" {
		path, err := exec.LookPath("curl")
		if err != nil {
			b.Fatalf("FETCHD_BENCH_CURL set: %v", err)
		}
		curl = path
	}
	client, err := p.Client()
	if err != nil {
		b.Fatal(err)
	}
	for _, algo := range []checksum.Algorithm{checksum.SHA256, checksum.SHA512} {
		b.Run(string(algo), func(b *testing.B) {
			dir := benchDir(b)
			d := New(client, p)
			req := Request{URL: srv.URL + "/image.qcow2", PartialDir: dir, Digest: digests[algo], Size: size, MaxSize: size}
			var plain, ours, curlTime time.Duration
			b.SetBytes(size)
			i := 0
			for b.Loop() {
				// Alternate the order, and delete each output at once, so
				// that neither side pays for the other's dirty pages.
				runPlain := func() {
					start := time.Now()
					plainCopy(b, client, req.URL, filepath.Join(dir, "plain"))
					plain += time.Since(start)
				}
				if i%2 == 0 {
					runPlain()
				}
				start := time.Now()
				res, err := d.Download(b.Context(), req)
				ours += time.Since(start)
				if err != nil || res.Transferred != size {
					b.Fatalf("Download = %+v, %v", res, err)
				}
				os.Remove(res.Path)
				if i%2 == 1 {
					runPlain()
				}
				if curl != "" {
					start := time.Now()
					out := filepath.Join(dir, "curl")
					if msg, err := exec.Command(curl, "-sS", "-o", out, req.URL).CombinedOutput(); err != nil {
						b.Fatalf("curl: %v: %s", err, msg)
					}
					curlTime += time.Since(start)
					os.Remove(out)
				}
				i++
			}
			n := float64(b.N)
			b.ReportMetric(float64(size)*n/ours.Seconds()/1e6, "download-MB/s")
			b.ReportMetric(float64(size)*n/plain.Seconds()/1e6, "plain-MB/s")
			b.ReportMetric(ours.Seconds()/plain.Seconds(), "ratio")
			if curl != "" {
				b.ReportMetric(float64(size)*n/curlTime.Seconds()/1e6, "curl-MB/s")
				b.ReportMetric(ours.Seconds()/curlTime.Seconds(), "ratio-curl")
			}
			var ru syscall.Rusage
			if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
				b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
			}
		})
	}
}

// benchDir returns where both sides write: FETCHD_BENCH_DIR (for example
// /dev/shm, to take the disk out of the comparison) or a temporary
// directory.
func benchDir(b *testing.B) string {
	base := os.Getenv("FETCHD_BENCH_DIR")
	if base == "" {
		return b.TempDir()
	}
	dir, err := os.MkdirTemp(base, "fetchd-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// plainCopy is the baseline: GET and io.Copy into a new file.
func plainCopy(b *testing.B, c *http.Client, u, dst string) {
	resp, err := c.Get(u)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	os.Remove(dst)
}

// writeRandomFile writes size pseudo-random bytes to path and returns their
// digests.
func writeRandomFile(b *testing.B, path string, size int64) map[checksum.Algorithm]checksum.Digest {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	hs := map[checksum.Algorithm]hash.Hash{checksum.SHA256: sha256.New(), checksum.SHA512: sha512.New()}
	r := rand.NewChaCha8([32]byte{42})
	buf := make([]byte, 4<<20)
	for left := size; left > 0; {
		n := min(left, int64(len(buf)))
		r.Read(buf[:n])
		for _, h := range hs {
			h.Write(buf[:n])
		}
		if _, err := f.Write(buf[:n]); err != nil {
			b.Fatal(err)
		}
		left -= n
	}
	out := map[checksum.Algorithm]checksum.Digest{}
	for a, h := range hs {
		out[a] = checksum.Digest{Algorithm: a, Hex: hex.EncodeToString(h.Sum(nil))}
	}
	return out
}
