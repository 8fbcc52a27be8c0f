package main

// Fault cases of downloads over several connections and from mirrors: one
// segment of the new Debian build misbehaves (cut short, from another
// file, stalled, another size), or a mirror fails, lies or goes away, or
// the primary stops serving metadata. Each case ends with the suite's
// invariants (faultWorld.check): the previous build intact until a
// verified one replaces it, nothing unverified at a final path, the other
// images unaffected, no process left.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandlabx/fetchd/internal/replica"
)

// segImage is the download record of one image in a --json run.
type segImage struct {
	Connections int    `json:"connections"`
	FellBack    string `json:"fell_back"`
	Transferred int64  `json:"bytes_transferred"`
	Reused      int64  `json:"bytes_reused"`
	URL         string `json:"url"`
	Served      []struct {
		URL     string `json:"url"`
		Bytes   int64  `json:"bytes"`
		Dropped string `json:"dropped"`
	} `json:"served"`
}

func segRecord(t *testing.T, res runResult, image string) segImage {
	t.Helper()
	var doc struct {
		Images []struct {
			Name string `json:"name"`
			segImage
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatalf("sync --json output: %v\n%s", err, res.stdout)
	}
	for _, im := range doc.Images {
		if im.Name == image {
			return im.segImage
		}
	}
	t.Fatalf("%s missing from the --json output", image)
	return segImage{}
}

// firstSegment makes the first request for the new build whose range
// starts after byte 0 (a segment another connection asked for) go to h;
// everything else is served as usual.
func (s *serverFault) firstSegment(h func(w http.ResponseWriter, r *http.Request, first, last int)) {
	var once atomic.Bool
	s.onImage(func(w http.ResponseWriter, r *http.Request) bool {
		first, last, ok := srvRange(r, len(s.want))
		if r.Method != http.MethodGet || !ok || first == 0 || !once.CompareAndSwap(false, true) {
			return false
		}
		h(w, r, first, last)
		return true
	})
}

// TestFaultSegments: one segment of a download over four connections goes
// wrong. Fetchd retries what can be retried, falls back to one connection
// when a server's ranges cannot be trusted, and lets the digest over the
// whole file decide.
func TestFaultSegments(t *testing.T) {
	t.Parallel()
	srvRun(t, srvWorld(t, 4), 4, map[string]func(*serverFault){
		// Control: the build arrives over several connections, each
		// byte once.
		"healthy": func(s *serverFault) {
			res := s.update()
			s.updated(res)
			rec := segRecord(s.t, res, "debian-13.qcow2")
			if rec.Connections < 2 || rec.Transferred != int64(len(s.want)) || rec.FellBack != "" {
				s.t.Errorf("downloaded with %+v, want several connections and each byte once", rec)
			}
		},
		// One segment is cut half-way (the connection closes): its rest
		// is asked for again and the sync succeeds.
		"seg-cut": func(s *serverFault) {
			s.firstSegment(func(w http.ResponseWriter, r *http.Request, first, last int) {
				s.head(w, first, last, len(s.want))
				_, _ = w.Write(s.want[first : first+(last-first)/2])
				srvFlush(w)
				panic(http.ErrAbortHandler)
			})
			res := s.update()
			s.updated(res)
			rec := segRecord(s.t, res, "debian-13.qcow2")
			if rec.FellBack != "" || rec.Transferred < int64(len(s.want)) {
				s.t.Errorf("downloaded with %+v, want the cut segment retried, no fall back", rec)
			}
		},
		// Every segment but the first is cut short: fetchd gives up after
		// a bounded number of failures and keeps the partial and where its
		// spans are; a healthy sync fetches only the gaps.
		"seg-cut-always": func(s *serverFault) {
			s.onImage(func(w http.ResponseWriter, r *http.Request) bool {
				first, last, ok := srvRange(r, len(s.want))
				if r.Method != http.MethodGet || !ok || first == 0 {
					return false
				}
				s.head(w, first, last, len(s.want))
				_, _ = w.Write(s.want[first:min(last+1, first+4096)])
				srvFlush(w)
				panic(http.ErrAbortHandler)
			})
			s.failed(s.update(), "(partial kept for resume)")
			statePath := filepath.Join(s.images, ".fetchd", "partial", s.partial+".segments")
			if _, err := os.Stat(statePath); err != nil {
				s.t.Errorf("no resume state after the interruption: %v", err)
			}
			s.healthy()
			res := s.update()
			s.updated(res)
			rec := segRecord(s.t, res, "debian-13.qcow2")
			if rec.Reused <= 0 || rec.Reused+rec.Transferred != int64(len(s.want)) {
				s.t.Errorf("resumed with %+v, want the kept spans reused and only the gaps fetched", rec)
			}
			if _, err := os.Stat(statePath); err == nil {
				s.t.Error("resume state left after the install")
			}
		},
		// One segment comes from another version of the file, and says
		// so (another Last-Modified): the download starts over on one
		// connection.
		"seg-other-file": func(s *serverFault) {
			other := s.otherBytes()
			s.firstSegment(func(w http.ResponseWriter, r *http.Request, first, last int) {
				w.Header().Set("Last-Modified", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
				srvPartial(w, first, last, other)
			})
			res := s.update()
			s.updated(res)
			if rec := segRecord(s.t, res, "debian-13.qcow2"); !strings.Contains(rec.FellBack, "Last-Modified changed") {
				s.t.Errorf("fell back %q, want it to say Last-Modified changed", rec.FellBack)
			}
		},
		// One segment from another file, with nothing in the headers to
		// tell: only the digest over the whole file can, and one retry on
		// one connection gets the right bytes.
		"seg-other-file-quiet": func(s *serverFault) {
			other := bytes.Clone(s.want)
			for i := range other {
				other[i] ^= 0x5a
			}
			s.firstSegment(func(w http.ResponseWriter, r *http.Request, first, last int) {
				s.lastModified(w)
				srvPartial(w, first, last, other)
			})
			res := s.update()
			s.updated(res)
			if rec := segRecord(s.t, res, "debian-13.qcow2"); !strings.Contains(rec.FellBack, "checksum mismatch") {
				s.t.Errorf("fell back %q, want it to say checksum mismatch", rec.FellBack)
			}
		},
		// One connection gets its head and then nothing while the others
		// finish: it times out (idle_timeout 2s), its span is asked for
		// again, the sync succeeds.
		"seg-stalled": func(s *serverFault) {
			s.firstSegment(func(w http.ResponseWriter, r *http.Request, first, last int) {
				s.head(w, first, last, len(s.want))
				srvFlush(w)
				srvWaitOrGone(r, time.Minute) // bounded: the client gives up long before
			})
			res := s.update()
			s.updated(res)
			if rec := segRecord(s.t, res, "debian-13.qcow2"); rec.FellBack != "" {
				s.t.Errorf("fell back %q after one stalled connection", rec.FellBack)
			}
		},
		// One segment says the file is longer: that server's ranges are
		// not to be trusted; one connection from zero.
		"seg-length": func(s *serverFault) {
			s.firstSegment(func(w http.ResponseWriter, r *http.Request, first, last int) {
				s.head(w, first, last, len(s.want)+1)
				_, _ = w.Write(s.want[first : last+1])
			})
			res := s.update()
			s.updated(res)
			if rec := segRecord(s.t, res, "debian-13.qcow2"); !strings.Contains(rec.FellBack, "Content-Range total") {
				s.t.Errorf("fell back %q, want it to name the Content-Range total", rec.FellBack)
			}
		},
	})
}

// head writes a 206 head for first..last of a file of size bytes, with
// the Last-Modified the replica sends for the build.
func (s *serverFault) head(w http.ResponseWriter, first, last, size int) {
	s.lastModified(w)
	srvHead(w, first, last, size)
}

// lastModified sets the Last-Modified the replica sends for the build.
func (s *serverFault) lastModified(w http.ResponseWriter) {
	if fi, err := os.Stat(filepath.Join(s.root, filepath.FromSlash(strings.TrimPrefix(s.path, "/")))); err == nil {
		w.Header().Set("Last-Modified", fi.ModTime().UTC().Format(http.TimeFormat))
	}
}

// srvHead writes a 206 head for first..last of a file of size bytes.
func srvHead(w http.ResponseWriter, first, last, size int) {
	w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last, size))
	w.Header().Set("Content-Length", fmt.Sprint(last-first+1))
	w.WriteHeader(http.StatusPartialContent)
}

// mirrorWorld is a server fault world where Debian (and Ubuntu) have a
// mirror: a second server serving the same tree.
type mirrorWorld struct {
	*faultWorld
	mirror *replica.Server
}

func newMirrorWorld(t *testing.T) *mirrorWorld {
	t.Helper()
	f := srvWorld(t, 4)
	m := &mirrorWorld{faultWorld: f, mirror: replica.Serve(t, f.root)}
	for _, distro := range []string{"debian", "ubuntu"} {
		base := fmt.Sprintf("    base_url: %s/upstream/%s\n", f.srv.URL, distro)
		if !strings.Contains(f.base, base) {
			t.Fatalf("config has no %q", base)
		}
		f.base = strings.Replace(f.base, base, base+fmt.Sprintf("    mirrors: [%s/upstream/%s]\n", m.mirror.URL, distro), 1)
	}
	f.writeConfig()
	return m
}

// onMirrorImage makes the mirror answer requests for the case's image with
// h (when h returns true).
func (m *mirrorWorld) onMirrorImage(s *serverFault, h func(w http.ResponseWriter, r *http.Request) bool) {
	m.mirror.Hook(func(w http.ResponseWriter, r *http.Request) bool {
		return r.URL.Path == s.path && h(w, r)
	})
}

// TestFaultMirrors: the Debian build's bytes may come from a mirror; the
// digest never does. A mirror that fails or lies is dropped or outvoted by
// the digest; the summary says who served what.
func TestFaultMirrors(t *testing.T) {
	t.Parallel()
	m := newMirrorWorld(t)
	srvRun(t, m.faultWorld, 4, map[string]func(*serverFault){
		// Both serve parts of the build.
		"both": func(s *serverFault) {
			res := s.update()
			s.updated(res)
			rec := segRecord(s.t, res, "debian-13.qcow2")
			if len(rec.Served) != 2 || rec.Served[0].Bytes == 0 || rec.Served[1].Bytes == 0 ||
				rec.Served[0].Bytes+rec.Served[1].Bytes != int64(len(s.want)) {
				s.t.Errorf("served %+v, want both servers' parts adding up to the build", rec.Served)
			}
		},
		// The mirror drops every connection after its first few KiB: it
		// is dropped for the run, the primary serves the rest, and the
		// summary says so.
		"mirror-fails": func(s *serverFault) {
			var sent atomic.Int64
			m.onMirrorImage(s, func(w http.ResponseWriter, r *http.Request) bool {
				first, last, ok := srvRange(r, len(s.want))
				if !ok || sent.Add(1) > 1 {
					panic(http.ErrAbortHandler)
				}
				s.head(w, first, last, len(s.want))
				_, _ = w.Write(s.want[first:min(last+1, first+4096)])
				srvFlush(w)
				panic(http.ErrAbortHandler)
			})
			defer m.mirror.Hook(nil)
			res := s.run("sync", "--update", "always")
			if res.code != 0 || !strings.Contains(res.stdout, "(dropped: ") || !strings.Contains(res.stdout, m.mirror.Listener.Addr().String()) {
				s.t.Errorf("exit %d; the summary does not say the mirror was dropped:\n%s\n%s", res.code, res.stdout, res.stderr)
			}
			s.check(res, expect{code: 0, changed: []string{"debian-13.qcow2"}})
			if got := s.read("debian-13.qcow2"); !bytes.Equal(got, s.want) {
				s.t.Errorf("debian-13.qcow2 is not the new build")
			}
			s.good["debian-13.qcow2"] = s.read("debian-13.qcow2")
		},
		// The mirror serves other bytes of the same length: the digest
		// over the whole file fails, and one retry on one connection to
		// the primary installs the right build. Trust never came from
		// the mirror.
		"mirror-lies": func(s *serverFault) {
			other := s.otherBytes()
			m.onMirrorImage(s, func(w http.ResponseWriter, r *http.Request) bool {
				first, last, ok := srvRange(r, len(other))
				if !ok {
					return false
				}
				s.lastModified(w)
				srvPartial(w, first, last, other)
				return true
			})
			defer m.mirror.Hook(nil)
			res := s.update()
			s.updated(res)
			rec := segRecord(s.t, res, "debian-13.qcow2")
			if !strings.Contains(rec.FellBack, "checksum mismatch") || rec.Served[1].Bytes != 0 {
				s.t.Errorf("downloaded with %+v, want a mismatch, then the primary alone", rec)
			}
		},
		// The mirror is gone (connections refused): dropped; the primary
		// serves it all.
		"mirror-down": func(s *serverFault) {
			m.onMirrorImage(s, func(w http.ResponseWriter, r *http.Request) bool {
				panic(http.ErrAbortHandler)
			})
			defer m.mirror.Hook(nil)
			res := s.update()
			s.updated(res)
			rec := segRecord(s.t, res, "debian-13.qcow2")
			if len(rec.Served) != 2 || rec.Served[1].Dropped == "" || rec.Served[0].Bytes != int64(len(s.want)) {
				s.t.Errorf("served %+v, want the mirror dropped and the primary serving it all", rec.Served)
			}
		},
		// Ubuntu signs its checksums: when the primary stops answering,
		// the mirror's metadata is taken once its signature verifies, and
		// the newer build comes from the mirror.
		"signed-metadata": func(s *serverFault) {
			const ub = "ubuntu-24-lts.qcow2"
			b, err := s.world.Ubuntu.Publish("24.04", runtime.GOARCH, "server")
			if err != nil {
				s.t.Fatal(err)
			}
			// The replica writes streams files with one fixed mtime; a
			// conditional request must see them changed, as upstream's.
			now := time.Now()
			streams, _ := filepath.Glob(filepath.Join(s.world.Root, "ubuntu", "*", "streams", "v1", "*"))
			for _, p := range streams {
				if err := os.Chtimes(p, now, now); err != nil {
					s.t.Fatal(err)
				}
			}
			s.srv.Hook(func(w http.ResponseWriter, r *http.Request) bool {
				if strings.HasPrefix(r.URL.Path, "/upstream/ubuntu/") {
					http.Error(w, "down", http.StatusServiceUnavailable)
					return true
				}
				return false
			})
			res := s.update()
			s.check(res, expect{code: 0, changed: []string{ub, "debian-13.qcow2"}})
			if got := res.summary[ub]; got != "updated" {
				s.t.Fatalf("%s ended %q, want updated\n%s", ub, got, res.stderr)
			}
			if rec := segRecord(s.t, res, ub); !strings.HasPrefix(rec.URL, m.mirror.URL) {
				s.t.Errorf("installed from %s, want the mirror %s", rec.URL, m.mirror.URL)
			}
			if v := srvImageField(s.t, res, ub, "version"); v != b.Version {
				s.t.Errorf("version %v, want %s", v, b.Version)
			}
			if sig, _ := srvImageField(s.t, res, ub, "signature").(string); !strings.HasPrefix(sig, "verified") {
				s.t.Errorf("signature %q, want verified", sig)
			}
			s.good[ub] = s.read(ub)
			s.good["debian-13.qcow2"] = s.read("debian-13.qcow2")
		},
		// Debian's metadata is unsigned: when the primary stops serving
		// it, a mirror's copy cannot vouch for the digest. The installed
		// build stays, reported present with why.
		"unsigned-metadata": func(s *serverFault) {
			s.srv.Hook(func(w http.ResponseWriter, r *http.Request) bool {
				if strings.HasPrefix(r.URL.Path, "/upstream/debian/") {
					http.Error(w, "down", http.StatusServiceUnavailable)
					return true
				}
				return false
			})
			res := s.update()
			s.check(res, expect{code: 0})
			if line := srvStderrLine(res, "warning", "debian-13.qcow2"); !strings.Contains(line, "not signed, so only the primary can vouch for the digest") {
				s.t.Errorf("warning %q does not say why the mirror was not used\n%s", line, res.stderr)
			}
			if got := res.summary["debian-13.qcow2"]; got != "present" {
				s.t.Errorf("debian-13.qcow2 ended %q, want present", got)
			}
		},
	})
}
