package main

// Fault cases: an upstream server that misbehaves while fetchd downloads an
// image. Upstream publishes a newer Debian build and `sync --update always`
// downloads it while the server breaks its answers for that build's image
// (and only it); the previous good debian-13.qcow2 must stay, the Ubuntu and
// Alpine images must be unaffected, and where the fault interrupts a
// transfer, a second sync without the fault must resume or restart and end
// with the verified new build.
//
// Test names are short: each world's temporary directory is named after its
// test, and the plugins' unix sockets live under it, whose paths must stay
// under 108 bytes.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandlabx/fetchd/internal/download"
)

// srvWorld is a fault world shared by server cases that run one after the
// other: each case publishes its own newer Debian build, so it starts from
// "installed, upstream has a newer build" whatever the cases before it did,
// and its fault hits only its own build's URL. max_image_size is lowered
// to 1 MiB (the images are about 200 KiB) for the cases that test the cap.
// conns is the world's connections setting; with several, segments are
// 16 KiB, so each image is cut into several.
func srvWorld(t *testing.T, conns int) *faultWorld {
	t.Helper()
	f := newFaultWorld(t)
	f.base += fmt.Sprintf("max_image_size: 1MiB\nconnections: %d\n", conns)
	if conns > 1 {
		f.env = append(f.env, "FETCHD_TEST_MIN_SEGMENT=16384")
	}
	f.writeConfig()
	return f
}

// srvModes runs the cases once per download path, each in its own world:
// one connection (go-getter, c1) and four (ranges written at their
// offsets, c4). Every case must hold on both.
func srvModes(t *testing.T, cases map[string]func(*serverFault)) {
	for _, conns := range []int{1, 4} {
		t.Run(fmt.Sprintf("c%d", conns), func(t *testing.T) {
			t.Parallel()
			srvRun(t, srvWorld(t, conns), conns, cases)
		})
	}
}

// serverFault is one case in a shared world: upstream has a newer Debian
// build than the one installed.
type serverFault struct {
	*faultWorld        // a copy of the shared world's, reporting to the case's t
	path        string // URL path of the new build's image
	want        []byte // the new build's image bytes
	version     string
	partial     string // the name of the new build's partial file
	conns       int    // the world's connections setting
}

// srvCase publishes a newer Debian build in w for the case t.
func srvCase(t *testing.T, w *faultWorld, conns int) *serverFault {
	t.Helper()
	f := *w
	f.t = t
	b, err := f.world.Debian.Publish("13", runtime.GOARCH, "generic")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(f.world.Root, "debian", filepath.FromSlash(b.Path)))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(want, f.good["debian-13.qcow2"]) {
		t.Fatal("the published build has the installed build's bytes")
	}
	s := &serverFault{faultWorld: &f, path: upstreamURLPath("debian", b.Path), want: want, version: b.Version,
		partial: filepath.Base(download.PartialPath("", b.Digest)), conns: conns}
	t.Cleanup(s.healthy)
	return s
}

// srvRun runs the cases one after the other in w.
func srvRun(t *testing.T, w *faultWorld, conns int, cases map[string]func(*serverFault)) {
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { c(srvCase(t, w, conns)) })
	}
}

// srvRange parses a request's "bytes=a-" or "bytes=a-b" against a file of
// size bytes; ok is false for anything else.
func srvRange(r *http.Request, size int) (first, last int, ok bool) {
	v, found := strings.CutPrefix(r.Header.Get("Range"), "bytes=")
	a, b, dash := strings.Cut(v, "-")
	if !found || !dash {
		return 0, 0, false
	}
	first, err := strconv.Atoi(a)
	last = size - 1
	if b != "" {
		last, err = strconv.Atoi(b)
	}
	if err != nil || first < 0 || first > last || last >= size {
		return 0, 0, false
	}
	return first, last, true
}

// srvPartial answers a range request with a correct 206 head and body
// taken from src, the right file or another.
func srvPartial(w http.ResponseWriter, first, last int, src []byte) {
	w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last, len(src)))
	w.Header().Set("Content-Length", strconv.Itoa(last-first+1))
	w.WriteHeader(http.StatusPartialContent)
	_, _ = w.Write(src[first : last+1])
}

// onImage makes the server answer requests for the new build's image with
// h (when h returns true); everything else is served as usual.
func (s *serverFault) onImage(h func(w http.ResponseWriter, r *http.Request) bool) {
	s.srv.Hook(func(w http.ResponseWriter, r *http.Request) bool {
		return r.URL.Path == s.path && h(w, r)
	})
}

// healthy removes the fault.
func (s *serverFault) healthy() { s.srv.Hook(nil) }

// update runs `fetchd sync --json --update always`.
func (s *serverFault) update() runResult {
	s.t.Helper()
	return s.syncJSON("--update", "always")
}

// failed checks a run the fault made fail: exit 1, debian-13.qcow2 failed
// with cause, everything else intact.
func (s *serverFault) failed(res runResult, cause string) {
	s.t.Helper()
	s.check(res, expect{code: 1, failed: map[string]string{"debian-13.qcow2": cause}})
	if got := res.summary["debian-13.qcow2"]; got != "failed" {
		s.t.Errorf("debian-13.qcow2 ended %q, want failed", got)
	}
}

// updated checks a run that must have installed the new build, byte for
// byte.
func (s *serverFault) updated(res runResult) {
	s.t.Helper()
	s.check(res, expect{code: 0, changed: []string{"debian-13.qcow2"}})
	if got := res.summary["debian-13.qcow2"]; got != "updated" {
		s.t.Errorf("debian-13.qcow2 ended %q, want updated\n%s", got, res.stderr)
	}
	if got := s.read("debian-13.qcow2"); !bytes.Equal(got, s.want) {
		s.t.Errorf("debian-13.qcow2 is not the new build (%d bytes, want %d)", len(got), len(s.want))
	}
	if v := srvImageField(s.t, res, "debian-13.qcow2", "version"); v != s.version {
		s.t.Errorf("debian-13.qcow2 is version %v, want %s", v, s.version)
	}
	// The next case starts from this build.
	s.good["debian-13.qcow2"] = s.read("debian-13.qcow2")
}

// partialSize returns the size of the new build's partial file, or -1 if
// there is none. (Partials of earlier cases' builds are not this case's.)
func (s *serverFault) partialSize() int64 {
	s.t.Helper()
	fi, err := os.Stat(filepath.Join(s.images, ".fetchd", "partial", s.partial))
	switch {
	case os.IsNotExist(err):
		return -1
	case err != nil:
		s.t.Fatal(err)
	}
	return fi.Size()
}

// otherBytes returns a file of the new image's length that differs from it
// in its second half, the part a resume would fetch.
func (s *serverFault) otherBytes() []byte {
	other := bytes.Clone(s.want)
	other[len(other)*3/4] ^= 0xff
	return other
}

// noBytesKept checks that a refused download kept no byte (an empty
// partial may remain until a clean sync removes it).
func (s *serverFault) noBytesKept() {
	s.t.Helper()
	if n := s.partialSize(); n > 0 {
		s.t.Errorf("partial %s holds %d bytes after a refused download", s.partial, n)
	}
}

// noPartial checks that a fault whose bytes are known bad left no partial.
func (s *serverFault) noPartial() {
	s.t.Helper()
	if n := s.partialSize(); n >= 0 {
		s.t.Errorf("partial %s (%d bytes) left after a refused download", s.partial, n)
	}
}

// srvImageField returns one field of an image in a --json run's output.
func srvImageField(t *testing.T, res runResult, image, field string) any {
	t.Helper()
	var doc struct {
		Images []map[string]any `json:"images"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatalf("sync --json output: %v\n%s", err, res.stdout)
	}
	for _, im := range doc.Images {
		if im["name"] == image {
			return im[field]
		}
	}
	t.Fatalf("%s missing from the --json output", image)
	return nil
}

// srvStderrLine returns the "fetchd: <label>: <image>: …" line of a run's
// stderr, or "".
func srvStderrLine(res runResult, label, image string) string {
	prefix := "fetchd: " + label + ": " + image + ": "
	for _, line := range strings.Split(res.stderr, "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

// srvBytesReused is bytes_reused of an image in a --json run (0 when absent).
func srvBytesReused(t *testing.T, res runResult, image string) int64 {
	n, _ := srvImageField(t, res, image, "bytes_reused").(float64)
	return int64(n)
}

// srvWaitOrGone waits d, or less when the client went away; it reports
// whether the client is still there.
func srvWaitOrGone(r *http.Request, d time.Duration) bool {
	select {
	case <-r.Context().Done():
		return false
	case <-time.After(d):
		return true
	}
}

func srvFlush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// cutShort answers a fresh GET with the right Content-Length but only the
// first half of the body, then ends the response: the connection closes
// mid-body. With abort, the handler aborts instead (the server drops the
// connection at once, as on a reset). It returns the bytes sent.
func (s *serverFault) cutShort(abort bool) int {
	half := len(s.want) / 2
	s.onImage(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet {
			return false
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(s.want)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(s.want[:half])
		srvFlush(w)
		if abort {
			panic(http.ErrAbortHandler)
		}
		return true
	})
	return half
}

// interrupted runs a sync whose download of the new build is cut off
// half-way and checks that the partial is kept for a resume.
func (s *serverFault) interrupted(abort bool) int {
	s.t.Helper()
	half := s.cutShort(abort)
	s.failed(s.update(), "(partial kept for resume)")
	if n := s.partialSize(); n != int64(half) {
		s.t.Fatalf("partial %s has %d bytes after an interrupted download, want the %d received", s.partial, n, half)
	}
	return half
}

// TestFaultServerResume: faults that interrupt a transfer or break a
// resume. Each ends with a sync against the healthy server that resumes
// or restarts and installs the verified new build, never a mixed file.
func TestFaultServerResume(t *testing.T) {
	t.Parallel()
	srvModes(t, map[string]func(*serverFault){
		// The body ends before Content-Length and the connection closes:
		// the partial is kept and the next sync resumes it.
		"short-body": func(s *serverFault) {
			half := s.interrupted(false)
			s.healthy()
			res := s.update()
			s.updated(res)
			if got := srvBytesReused(s.t, res, "debian-13.qcow2"); got != int64(half) {
				s.t.Errorf("the second sync reused %d bytes, want the %d of the partial", got, half)
			}
		},
		// The connection drops mid-body; the next sync's resume (Range
		// requests) gets other bytes than the first half came from. The
		// digest covers old and new bytes: the mixed partial is thrown
		// away and one restart from zero, on one connection without a
		// Range, gets the right bytes.
		"reset-resume-other": func(s *serverFault) {
			s.interrupted(true)
			other := s.otherBytes()
			var ranged, whole atomic.Int32
			s.onImage(func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodGet {
					return false
				}
				if r.Header.Get("Range") == "" {
					whole.Add(1)
					return false // the right bytes, from zero
				}
				ranged.Add(1)
				first, last, ok := srvRange(r, len(other))
				if !ok || first == 0 {
					http.Error(w, "unexpected Range "+r.Header.Get("Range"), http.StatusBadRequest)
					return true
				}
				srvPartial(w, first, last, other)
				return true
			})
			s.updated(s.update())
			if whole.Load() != 1 || ranged.Load() < 1 || (s.conns == 1 && ranged.Load() != 1) {
				s.t.Errorf("the second sync sent %d Range and %d whole-file requests, want a resume then one restart from zero", ranged.Load(), whole.Load())
			}
		},
		// After an interruption the file at the pinned URL changes
		// altogether (resume and restart both get other bytes): a clean
		// checksum error, no partial kept, the old image in place; then
		// the healthy server's bytes are installed.
		"reset-file-changed": func(s *serverFault) {
			s.interrupted(true)
			other := s.otherBytes()
			s.onImage(func(w http.ResponseWriter, r *http.Request) bool {
				http.ServeContent(w, r, "image.qcow2", time.Time{}, bytes.NewReader(other))
				return true
			})
			s.failed(s.update(), "checksum mismatch: want sha512:")
			s.noPartial()
			s.healthy()
			s.updated(s.update())
		},
		// The resume answered with 200 and the whole file (Range ignored).
		// Over several connections that answer is the restart itself.
		"range-200": srvBadResume(func(s *serverFault, w http.ResponseWriter, r *http.Request) bool {
			r.Header.Del("Range")
			return false
		}, func(ranged, whole int32) bool { return ranged == 1 && whole == 0 }),
		// The resume answered 416 Range Not Satisfiable. Over several
		// connections the range from byte 0 is refused too: one
		// connection from zero, without a Range.
		"range-416": srvBadResume(func(s *serverFault, w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(s.want)))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return true
		}, func(ranged, whole int32) bool { return ranged == 2 && whole == 1 }),
		// The resume answered 206 with a Content-Range that starts at 0,
		// not at the offset asked for, and the bytes it announces. Over
		// several connections every segment is answered so: one
		// connection from zero, without a Range.
		"range-206-wrong": srvBadResume(func(s *serverFault, w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", len(s.want)-1, len(s.want)))
			w.Header().Set("Content-Length", strconv.Itoa(len(s.want)))
			w.WriteHeader(http.StatusPartialContent)
			_, _ = w.Write(s.want)
			return true
		}, func(ranged, whole int32) bool { return ranged >= 2 && whole == 1 }),
		// One byte every 3 s, slower than the 2 s idle timeout: the
		// download gives up and keeps what it got; the next sync resumes
		// from there.
		"trickle": func(s *serverFault) {
			var sent atomic.Int64
			s.onImage(func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodGet {
					return false
				}
				w.Header().Set("Content-Length", strconv.Itoa(len(s.want)))
				w.WriteHeader(http.StatusOK)
				for i := 0; i < 20; i++ { // bounded: the client gives up long before
					_, _ = w.Write(s.want[i : i+1])
					srvFlush(w)
					sent.Add(1)
					if !srvWaitOrGone(r, 3*time.Second) {
						break
					}
				}
				return true
			})
			s.failed(s.update(), "idle timeout: no data received for 2s")
			kept := s.partialSize()
			if kept < 1 || kept > sent.Load() {
				s.t.Errorf("partial holds %d bytes, want 1 to the %d sent", kept, sent.Load())
			}
			s.healthy()
			res := s.update()
			s.updated(res)
			if got := srvBytesReused(s.t, res, "debian-13.qcow2"); got != kept {
				s.t.Errorf("the healthy sync reused %d bytes, want the %d kept", got, kept)
			}
		},
		// Headers, then no byte at all: the idle timeout.
		"stall-body": srvStall(true, "idle timeout: no data received for 2s"),
		// Not even headers: bounded by the idle timeout too.
		"stall-headers": srvStall(false, "timeout awaiting response headers"),
	})
}

// srvBadResume is a case where, after an interruption, the server answers
// the resume with answer. fetchd must refuse it before appending a byte,
// restart from zero and succeed. On one connection that takes one Range
// and one whole-file request; several is what several connections send.
func srvBadResume(answer func(s *serverFault, w http.ResponseWriter, r *http.Request) bool, several func(ranged, whole int32) bool) func(*serverFault) {
	return func(s *serverFault) {
		s.interrupted(false)
		var ranged, whole atomic.Int32
		s.onImage(func(w http.ResponseWriter, r *http.Request) bool {
			switch {
			case r.Method != http.MethodGet:
				return false
			case r.Header.Get("Range") == "":
				whole.Add(1)
				return false
			}
			ranged.Add(1)
			return answer(s, w, r)
		})
		res := s.update()
		s.updated(res)
		switch {
		case s.conns == 1 && (ranged.Load() != 1 || whole.Load() != 1):
			s.t.Errorf("sent %d Range and %d whole-file requests, want one of each (resume refused, restart from zero)", ranged.Load(), whole.Load())
		case s.conns > 1 && !several(ranged.Load(), whole.Load()):
			s.t.Errorf("sent %d Range and %d whole-file requests over several connections", ranged.Load(), whole.Load())
		}
		if got := srvBytesReused(s.t, res, "debian-13.qcow2"); got != 0 {
			s.t.Errorf("reused %d bytes after the server broke the resume, want 0", got)
		}
		// Refused before go-getter read the bad answer: only the restart's
		// bytes were taken in. (Over several connections, segments taken
		// in before a later one was refused are thrown away too.)
		if got, _ := srvImageField(s.t, res, "debian-13.qcow2", "bytes_transferred").(float64); int(got) < len(s.want) || (s.conns == 1 && int(got) != len(s.want)) {
			s.t.Errorf("took in %v bytes, want only the %d of the restart", got, len(s.want))
		}
	}
}

// srvStall is a case where the server stops sending, after the headers or
// before them; a healthy sync afterwards installs the build.
func srvStall(headers bool, cause string) func(*serverFault) {
	return func(s *serverFault) {
		s.onImage(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodGet {
				return false
			}
			if headers {
				w.Header().Set("Content-Length", strconv.Itoa(len(s.want)))
				w.WriteHeader(http.StatusOK)
				srvFlush(w)
			}
			srvWaitOrGone(r, time.Minute) // bounded: the client gives up long before
			return true
		})
		s.failed(s.update(), cause)
		s.healthy()
		s.updated(s.update())
	}
}

// TestFaultServerRefuse: answers fetchd must refuse outright: wrong bytes,
// redirects it must not follow, sizes over the cap. The previous image
// stays and no byte of the refused answer is kept. Also: upstream
// publishing during a download, which must not disturb it.
func TestFaultServerRefuse(t *testing.T) {
	t.Parallel()
	srvModes(t, map[string]func(*serverFault){
		// The right length, the wrong bytes: a checksum mismatch, the
		// partial deleted; a later healthy sync installs the build.
		"wrong-bytes": func(s *serverFault) {
			bad := bytes.Clone(s.want)
			bad[len(bad)/2] ^= 0xff
			s.onImage(func(w http.ResponseWriter, r *http.Request) bool {
				http.ServeContent(w, r, "image.qcow2", time.Time{}, bytes.NewReader(bad))
				return true
			})
			s.failed(s.update(), "checksum mismatch: want sha512:")
			s.noPartial()
			s.healthy()
			s.updated(s.update())
		},
		// An HTML error page served with 200 in place of the image.
		"html-page": func(s *serverFault) {
			s.onImage(func(w http.ResponseWriter, r *http.Request) bool {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.WriteHeader(http.StatusOK)
				_, _ = fmt.Fprint(w, "<!DOCTYPE html><html><head><title>Mirror maintenance</title></head><body><h1>503 Service Unavailable</h1></body></html>\n")
				return true
			})
			s.failed(s.update(), "checksum mismatch: want sha512:")
			s.noPartial()
		},
		// Redirects are refused before any connection to their target.
		"redirect-loop": srvRedirect("", "too many redirects: stopped after 5"),
		"redirect-http": srvRedirect("http://fetchd-fault.invalid/debian-13.qcow2", "http:// is allowed only on a host:port the operator configured"),
		"redirect-file": srvRedirect("file:///etc/passwd", "url file:///etc/passwd refused"),
		"redirect-ftp":  srvRedirect("ftp://fetchd-fault.invalid/debian-13.qcow2", `scheme "ftp" is not allowed (https required)`),
		// A Content-Length far over the cap (Debian announces no size, so
		// the cap is max_image_size): refused before a byte is written.
		"huge-length": func(s *serverFault) {
			s.onImage(func(w http.ResponseWriter, r *http.Request) bool {
				w.Header().Set("Content-Length", strconv.FormatInt(1<<40, 10))
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write(s.want[:4096])
				return true
			})
			s.failed(s.update(), "Content-Length 1099511627776 exceeds the 1048576-byte size cap")
			s.noPartial()
		},
		// A chunked body (no Content-Length) that goes on past the cap:
		// cut off at the cap, nothing kept.
		"chunked-over-cap": func(s *serverFault) {
			s.onImage(func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodGet {
					return false
				}
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write(s.want)
				srvFlush(w)
				chunk := make([]byte, 64<<10)
				for sent := len(s.want); sent < 4<<20; sent += len(chunk) { // bounded
					if _, err := w.Write(chunk); err != nil {
						break
					}
					srvFlush(w)
				}
				return true
			})
			s.failed(s.update(), "body exceeds the 1048576-byte size cap")
			s.noPartial()
		},
		// Upstream publishes yet another build between resolve and
		// download. The resolved URL is pinned, so the build resolved is
		// downloaded and installed intact; the next sync reports the newer
		// one.
		"publish-midway": func(s *serverFault) {
			var once sync.Once
			var newer string
			var publishErr error
			s.onImage(func(w http.ResponseWriter, r *http.Request) bool {
				once.Do(func() {
					b, err := s.world.Debian.Publish("13", runtime.GOARCH, "generic")
					newer, publishErr = b.Version, err
				})
				return false
			})
			s.updated(s.update())
			if publishErr != nil || newer == "" || newer == s.version {
				s.t.Fatalf("publishing during the download: %q (first build %s), %v", newer, s.version, publishErr)
			}
			s.healthy()
			res := s.syncJSON() // the harness config's update policy: notify
			s.check(res, expect{code: 0})
			if got := res.summary["debian-13.qcow2"]; got != "outdated" {
				s.t.Errorf("debian-13.qcow2 ended %q, want outdated", got)
			}
			if v := srvImageField(s.t, res, "debian-13.qcow2", "upstream_version"); v != newer {
				s.t.Errorf("upstream_version %v, want the build published midway, %s", v, newer)
			}
		},
	})
}

// srvRedirect is a case where the image redirects to location ("" = to
// itself, a loop), which fetchd must refuse with cause.
func srvRedirect(location, cause string) func(*serverFault) {
	return func(s *serverFault) {
		loc := location
		if loc == "" {
			loc = s.path
		}
		var hops atomic.Int32
		s.onImage(func(w http.ResponseWriter, r *http.Request) bool {
			if hops.Add(1) > 50 {
				http.Error(w, "redirect loop not stopped", http.StatusLoopDetected)
				return true
			}
			http.Redirect(w, r, loc, http.StatusFound)
			return true
		})
		res := s.update()
		s.failed(res, cause)
		if line := srvStderrLine(res, "error", "debian-13.qcow2"); !strings.Contains(line, "refused") {
			s.t.Errorf("the error does not say the URL was refused:\n%s", line)
		}
		s.noBytesKept()
	}
}

// TestFaultUbuntuLength: Ubuntu announces its images' size; a length
// that disagrees is refused, on one connection (a Content-Length) and on
// four (the total of every range answer's Content-Range), before a byte
// is written.
func TestFaultUbuntuLength(t *testing.T) {
	t.Parallel()
	for _, conns := range []int{1, 4} {
		t.Run(fmt.Sprintf("c%d", conns), func(t *testing.T) {
			t.Parallel()
			f := srvWorld(t, conns)
			b, err := f.world.Ubuntu.Publish("24.04", runtime.GOARCH, "server")
			if err != nil {
				t.Fatal(err)
			}
			// The replica writes every streams file with one fixed mtime, so
			// Last-Modified would not change and fetchd's metadata cache would
			// rightly take the 304 for "unchanged". Upstream's does change.
			now := time.Now()
			streams, _ := filepath.Glob(filepath.Join(f.world.Root, "ubuntu", "*", "streams", "v1", "*"))
			for _, p := range streams {
				if err := os.Chtimes(p, now, now); err != nil {
					t.Fatal(err)
				}
			}
			path := upstreamURLPath("ubuntu", b.Path)
			lied := b.Size * 1000
			f.srv.Hook(func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != path {
					return false
				}
				if first, last, ok := srvRange(r, int(b.Size)); ok {
					srvHead(w, first, last, int(lied))
					return true
				}
				w.Header().Set("Content-Length", strconv.FormatInt(lied, 10))
				w.WriteHeader(http.StatusOK)
				return true
			})
			what := "Content-Length"
			if conns > 1 {
				what = "Content-Range total"
			}
			res := f.syncJSON("--update", "always")
			f.check(res, expect{code: 1, failed: map[string]string{
				"ubuntu-24-lts.qcow2": fmt.Sprintf("%s %d does not match the expected size %d", what, lied, b.Size),
			}})
		})
	}
}
