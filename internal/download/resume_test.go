package download

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/netpolicy"
)

// The first GET dies half-way; the second call asks for the rest only.
func TestResumeAfterInterruption(t *testing.T) {
	t.Parallel()
	data := randomBytes(testSize, 3)
	cut := testSize / 2
	srv := newServer(t, false, cutAfter(data, cut, 1))
	dir := partialDir(t)
	req := Request{URL: srv.URL + "/image.qcow2", PartialDir: dir, Digest: digestOfBytes(data), Size: testSize, MaxSize: 1 << 30, Connections: 1}
	d := New(nil, srv.policy())

	_, err := d.Download(t.Context(), req)
	var ie *InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("first Download = %v, want *InterruptedError", err)
	}
	checkPartial(t, PartialPath(dir, req.Digest), int64(cut))

	servedBefore := srv.served.Load()
	res, err := d.Download(t.Context(), req)
	if err != nil {
		t.Fatalf("second Download: %v", err)
	}
	if res.Reused != int64(cut) || res.Transferred != int64(testSize-cut) || res.Restarted {
		t.Errorf("Result %+v, want Reused %d, Transferred %d, not restarted", res, cut, testSize-cut)
	}
	if res.Transferred >= testSize || res.Reused <= 0 {
		t.Errorf("resume transferred %d of %d bytes", res.Transferred, testSize)
	}
	if served := srv.served.Load() - servedBefore; served != int64(testSize-cut) {
		t.Errorf("server sent %d body bytes on resume, want %d", served, testSize-cut)
	}
	if diff := cmp.Diff([]string{"", "bytes=" + strconv.Itoa(cut) + "-"}, srv.rangesSeen()); diff != "" {
		t.Errorf("Range headers (-want +got):\n%s", diff)
	}
	got, _ := os.ReadFile(res.Path)
	if !bytes.Equal(got, data) {
		t.Error("resumed file differs from the served one")
	}
}

// The partial's prefix came from another version of the file: the digest
// over prefix + rest fails, and one retry from zero fixes it, or fails
// again if the server keeps sending the wrong bytes.
func TestResumeServerChanged(t *testing.T) {
	t.Parallel()
	good := randomBytes(testSize, 4)
	bad := randomBytes(testSize, 5)
	cut := testSize / 2
	tests := map[string]struct {
		h         handler
		retry     bool
		wantErr   bool
		wantGets  []string // Range headers of the GETs of both calls
		wantBytes []byte
	}{
		"fixed by a retry from zero": {
			h: func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 {
					cutAfter(bad, cut, 1)(w, r, n)
					return
				}
				serve(good)(w, r, n)
			},
			retry:     true,
			wantGets:  []string{"", "bytes=" + strconv.Itoa(cut) + "-", ""},
			wantBytes: good,
		},
		"server keeps sending bad bytes": {
			h:        cutAfter(bad, cut, 1),
			retry:    true,
			wantErr:  true,
			wantGets: []string{"", "bytes=" + strconv.Itoa(cut) + "-", ""},
		},
		"no retry": {
			h: func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 {
					cutAfter(bad, cut, 1)(w, r, n)
					return
				}
				serve(good)(w, r, n)
			},
			wantErr:  true,
			wantGets: []string{"", "bytes=" + strconv.Itoa(cut) + "-"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, false, tc.h)
			dir := partialDir(t)
			req := Request{URL: srv.URL + "/image.qcow2", PartialDir: dir, Digest: digestOfBytes(good), Size: testSize, MaxSize: 1 << 30, Connections: 1}
			d := &Downloader{Policy: srv.policy(), RetryFromZero: tc.retry}
			if _, err := d.Download(t.Context(), req); !errors.As(err, new(*InterruptedError)) {
				t.Fatalf("first Download = %v, want *InterruptedError", err)
			}
			res, err := d.Download(t.Context(), req)
			if diff := cmp.Diff(tc.wantGets, srv.rangesSeen()); diff != "" {
				t.Errorf("Range headers (-want +got):\n%s", diff)
			}
			path := PartialPath(dir, req.Digest)
			if tc.wantErr {
				var dm *DigestMismatchError
				if !errors.As(err, &dm) {
					t.Fatalf("second Download = %v, want *DigestMismatchError", err)
				}
				checkPartial(t, path, -1)
				return
			}
			if err != nil {
				t.Fatalf("second Download: %v", err)
			}
			if !res.Restarted || res.Reused != 0 {
				t.Errorf("Result %+v, want Restarted and nothing reused", res)
			}
			got, _ := os.ReadFile(path)
			if !bytes.Equal(got, tc.wantBytes) {
				t.Error("file differs from the good one")
			}
		})
	}
}

func TestDownloadIdleTimeout(t *testing.T) {
	t.Parallel()
	data := randomBytes(testSize, 6)
	tests := map[string]struct {
		h    handler
		kept int64
	}{
		"stall mid body": {
			h: func(w http.ResponseWriter, r *http.Request, _ int) {
				w.Header().Set("Content-Length", strconv.Itoa(testSize))
				w.Write(data[:4096])
				w.(http.Flusher).Flush()
				stall(r)
			},
			kept: 4096,
		},
		"stall chunked": {
			h: func(w http.ResponseWriter, r *http.Request, _ int) {
				w.Write(data[:4096])
				w.(http.Flusher).Flush()
				stall(r)
			},
			kept: 4096,
		},
		"stall before the body": {
			h: func(w http.ResponseWriter, r *http.Request, _ int) {
				w.WriteHeader(http.StatusOK)
				w.(http.Flusher).Flush()
				stall(r)
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, conns int) {
				srv := newServer(t, false, tc.h)
				dir := partialDir(t)
				p := srv.policy()
				p.IdleTimeout = 300 * time.Millisecond
				req := Request{URL: srv.URL + "/image.qcow2", PartialDir: dir, Digest: digestOfBytes(data), Size: testSize, MaxSize: 1 << 30, Connections: conns}
				_, err := newDL(p).Download(t.Context(), req)
				var it *netpolicy.IdleTimeoutError
				var ie *InterruptedError
				if !errors.As(err, &it) || !errors.As(err, &ie) {
					t.Fatalf("Download = %v, want *InterruptedError wrapping *netpolicy.IdleTimeoutError", err)
				}
				checkPartial(t, PartialPath(dir, req.Digest), tc.kept)
			})
		})
	}
}

// A slow body that keeps coming is fine: the idle timeout is not a
// deadline.
func TestDownloadTrickle(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, conns int) {
		data := randomBytes(15, 7)
		srv := newServer(t, false, func(w http.ResponseWriter, r *http.Request, _ int) {
			for i := range data {
				w.Write(data[i : i+1])
				w.(http.Flusher).Flush()
				time.Sleep(100 * time.Millisecond)
			}
		})
		p := srv.policy()
		p.IdleTimeout = time.Second // ten times the gap; the whole body takes 1.5s
		req := Request{URL: srv.URL + "/image.qcow2", PartialDir: partialDir(t), Digest: digestOfBytes(data), Size: int64(len(data)), MaxSize: 1 << 30, Connections: conns}
		if _, err := newDL(p).Download(t.Context(), req); err != nil {
			t.Fatalf("Download: %v", err)
		}
	})
}
