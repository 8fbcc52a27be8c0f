package download

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

const testSize = 2 << 20

// chunked sends body without a Content-Length, in flushed pieces.
func chunked(body []byte) handler {
	return func(w http.ResponseWriter, r *http.Request, _ int) {
		for len(body) > 0 {
			n := min(len(body), 64<<10)
			w.Write(body[:n])
			w.(http.Flusher).Flush()
			body = body[n:]
		}
	}
}

// ignoreRange answers HEAD like a static server offering ranges, and GET
// with the whole file and 200 whatever the Range header says.
func ignoreRange(data []byte) handler {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Method == http.MethodHead {
			serve(data)(w, r, n)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Write(data)
	}
}

// onRange answers requests carrying a Range header with h, and everything
// else like a static server.
func onRange(data []byte, h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("Range") != "" {
			h(w, r, n)
			return
		}
		serve(data)(w, r, n)
	}
}

func TestDownload(t *testing.T) {
	t.Parallel()
	data := randomBytes(testSize, 1)
	junk := randomBytes(testSize, 2)
	third := int64(testSize / 3)
	type outcome struct {
		res     Result // Path is not compared
		err     func(t *testing.T, err error)
		gets    int64
		heads   int64
		ranges  []string // Range header of each GET, "" = none
		partial int64    // size of the partial left behind, -1 = none
	}
	tests := map[string]struct {
		h           handler
		prefix      []byte // partial file before the call; nil = none
		unknownSize bool
		maxSize     int64
		want        outcome
	}{
		"clean": {
			h:    serve(data),
			want: outcome{res: Result{Size: testSize, Transferred: testSize}, gets: 1, ranges: []string{""}, partial: testSize},
		},
		"clean size unknown": {
			h: serve(data), unknownSize: true,
			want: outcome{res: Result{Size: testSize, Transferred: testSize}, gets: 1, ranges: []string{""}, partial: testSize},
		},
		"clean chunked": {
			h:    chunked(data),
			want: outcome{res: Result{Size: testSize, Transferred: testSize}, gets: 1, ranges: []string{""}, partial: testSize},
		},
		"resume from a prefix": {
			h: serve(data), prefix: data[:third],
			want: outcome{
				res:  Result{Size: testSize, Reused: third, Transferred: testSize - third},
				gets: 1, heads: 1, ranges: []string{"bytes=" + strconv.FormatInt(third, 10) + "-"}, partial: testSize,
			},
		},
		"server ignores range": {
			h: ignoreRange(data), prefix: data[:third],
			want: outcome{
				res:  Result{Size: testSize, Transferred: testSize, Restarted: true},
				gets: 2, heads: 1, ranges: []string{"bytes=" + strconv.FormatInt(third, 10) + "-", ""}, partial: testSize,
			},
		},
		"content-range starts elsewhere": {
			h: onRange(data, func(w http.ResponseWriter, r *http.Request, _ int) {
				w.Header().Set("Content-Range", "bytes 0-"+strconv.Itoa(testSize-1)+"/"+strconv.Itoa(testSize))
				w.Header().Set("Content-Length", strconv.Itoa(testSize))
				w.WriteHeader(http.StatusPartialContent)
				w.Write(data)
			}),
			prefix: data[:third],
			want: outcome{
				res:  Result{Size: testSize, Transferred: testSize, Restarted: true},
				gets: 2, heads: 1, ranges: []string{"bytes=" + strconv.FormatInt(third, 10) + "-", ""}, partial: testSize,
			},
		},
		"range not satisfiable": {
			h: onRange(data, func(w http.ResponseWriter, r *http.Request, _ int) {
				w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			}),
			prefix: data[:third],
			want: outcome{
				res:  Result{Size: testSize, Transferred: testSize, Restarted: true},
				gets: 2, heads: 1, ranges: []string{"bytes=" + strconv.FormatInt(third, 10) + "-", ""}, partial: testSize,
			},
		},
		"head not allowed": {
			// No HEAD, no resume: the GET without Range is refused before
			// it is sent, and the download starts over.
			h: func(w http.ResponseWriter, r *http.Request, n int) {
				if r.Method == http.MethodHead {
					w.WriteHeader(http.StatusMethodNotAllowed)
					return
				}
				serve(data)(w, r, n)
			},
			prefix: data[:third],
			want: outcome{
				res:  Result{Size: testSize, Transferred: testSize, Restarted: true},
				gets: 1, heads: 1, ranges: []string{""}, partial: testSize,
			},
		},
		"partial longer than the server's file, size unknown": {
			h: serve(data), prefix: append(bytes.Clone(data), "tail"...), unknownSize: true,
			want: outcome{
				res:  Result{Size: testSize, Transferred: testSize, Restarted: true},
				gets: 1, heads: 1, ranges: []string{""}, partial: testSize,
			},
		},
		"complete partial": {
			h: serve(data), prefix: data,
			want: outcome{res: Result{Size: testSize, Reused: testSize}, partial: testSize},
		},
		"complete partial size unknown": {
			h: serve(data), prefix: data, unknownSize: true,
			want: outcome{res: Result{Size: testSize, Reused: testSize}, partial: testSize},
		},
		"full-size partial with wrong bytes": {
			h: serve(data), prefix: junk,
			want: outcome{
				res:  Result{Size: testSize, Transferred: testSize, Restarted: true},
				gets: 1, ranges: []string{""}, partial: testSize,
			},
		},
		"partial longer than size": {
			h: serve(data), prefix: append(bytes.Clone(junk), 'x'),
			want: outcome{
				res:  Result{Size: testSize, Transferred: testSize, Restarted: true},
				gets: 1, ranges: []string{""}, partial: testSize,
			},
		},
		"wrong bytes right length": {
			h: serve(junk),
			want: outcome{
				err:  wantMismatch(digestOfBytes(data), digestOfBytes(junk)),
				gets: 1, ranges: []string{""}, partial: -1,
			},
		},
		"body shorter than content-length": {
			h: cutAfter(data, int(third), 1),
			want: outcome{
				err: func(t *testing.T, err error) {
					var ie *InterruptedError
					if !errors.As(err, &ie) || !errors.Is(err, io.ErrUnexpectedEOF) {
						t.Fatalf("got %v, want *InterruptedError wrapping io.ErrUnexpectedEOF", err)
					}
				},
				gets: 1, ranges: []string{""}, partial: third,
			},
		},
		"content-length over the cap": {
			h: serve(data), unknownSize: true, maxSize: testSize - 1,
			want: outcome{err: wantSize("Content-Length", testSize, testSize-1, true), gets: 1, ranges: []string{""}, partial: -1},
		},
		"chunked body over the cap": {
			h: chunked(data), unknownSize: true, maxSize: testSize / 2,
			want: outcome{err: wantSize("body", -1, testSize/2, true), gets: 1, ranges: []string{""}, partial: -1},
		},
		"content-length differs from size": {
			h:    serve(append(bytes.Clone(data), 'x')),
			want: outcome{err: wantSize("Content-Length", testSize+1, testSize, false), gets: 1, ranges: []string{""}, partial: -1},
		},
		"chunked body longer than size": {
			h:    chunked(append(bytes.Clone(data), 'x')),
			want: outcome{err: wantSize("body", -1, testSize, false), gets: 1, ranges: []string{""}, partial: -1},
		},
		"chunked body shorter than size": {
			h:    chunked(data[:testSize-1]),
			want: outcome{err: wantSize("body", testSize-1, testSize, false), gets: 1, ranges: []string{""}, partial: -1},
		},
		"content-range total differs from size": {
			h: serve(append(bytes.Clone(data), "more"...)), prefix: data[:third],
			want: outcome{
				err:  wantSize("Content-Range total", testSize+4, testSize, false),
				gets: 1, heads: 1, ranges: []string{"bytes=" + strconv.FormatInt(third, 10) + "-"}, partial: -1,
			},
		},
		"not found": {
			h: func(w http.ResponseWriter, r *http.Request, _ int) { http.NotFound(w, r) },
			want: outcome{
				err: func(t *testing.T, err error) {
					var se *HTTPStatusError
					if !errors.As(err, &se) || !se.NotFound() {
						t.Fatalf("got %v, want a not-found *HTTPStatusError", err)
					}
				},
				gets: 1, ranges: []string{""}, partial: 0,
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, false, tc.h)
			dir := partialDir(t)
			req := Request{URL: srv.URL + "/images/image.qcow2", PartialDir: dir, Digest: digestOfBytes(data), Size: testSize, MaxSize: 1 << 30, Connections: 1}
			if tc.unknownSize {
				req.Size = 0
			}
			if tc.maxSize != 0 {
				req.MaxSize = tc.maxSize
			}
			path := PartialPath(dir, req.Digest)
			if tc.prefix != nil {
				if err := os.WriteFile(path, tc.prefix, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			res, err := New(nil, srv.policy()).Download(t.Context(), req)
			if tc.want.err != nil {
				if err == nil {
					t.Fatalf("Download = %+v, nil; want an error", res)
				}
				tc.want.err(t, err)
			} else {
				if err != nil {
					t.Fatalf("Download: %v", err)
				}
				if res.Path != path {
					t.Errorf("Path = %s, want %s", res.Path, path)
				}
				if diff := cmp.Diff(tc.want.res, res, cmpopts.IgnoreFields(Result{}, "Path")); diff != "" {
					t.Errorf("Result (-want +got):\n%s", diff)
				}
				got, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, data) {
					t.Errorf("partial holds %d bytes that differ from the served file", len(got))
				}
			}
			if got := srv.gets.Load(); got != tc.want.gets {
				t.Errorf("server saw %d GETs, want %d", got, tc.want.gets)
			}
			if got := srv.heads.Load(); got != tc.want.heads {
				t.Errorf("server saw %d HEADs, want %d", got, tc.want.heads)
			}
			if diff := cmp.Diff(tc.want.ranges, srv.rangesSeen(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Range headers (-want +got):\n%s", diff)
			}
			checkPartial(t, path, tc.want.partial)
			if names := dirEntries(t, dir); len(names) > 1 {
				t.Errorf("partial directory holds %q, want at most the one partial", names)
			}
		})
	}
}

// checkPartial checks the partial file's size (-1 = must not exist) and
// mode.
func checkPartial(t *testing.T, path string, size int64) {
	t.Helper()
	fi, err := os.Lstat(path)
	if size < 0 {
		if err == nil {
			t.Errorf("partial %s left behind (%d bytes), want it deleted", path, fi.Size())
		}
		return
	}
	if err != nil {
		t.Fatalf("partial: %v", err)
	}
	if fi.Size() != size {
		t.Errorf("partial has %d bytes, want %d", fi.Size(), size)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("partial mode %v, want a regular file with mode 0600", fi.Mode())
	}
}

func wantMismatch(want, got checksum.Digest) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var dm *DigestMismatchError
		if !errors.As(err, &dm) {
			t.Fatalf("got %v, want *DigestMismatchError", err)
		}
		if dm.Want != want || dm.Got != got {
			t.Errorf("mismatch want=%s got=%s, want want=%s got=%s", dm.Want.Short(), dm.Got.Short(), want.Short(), got.Short())
		}
		wantMsg := "checksum mismatch: want " + want.Short() + ", got " + got.Short()
		if diff := cmp.Diff(wantMsg, err.Error()); diff != "" {
			t.Errorf("message (-want +got):\n%s", diff)
		}
	}
}

// wantSize checks a *SizeError; got < 0 means "any".
func wantSize(what string, got, want int64, isCap bool) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var se *SizeError
		if !errors.As(err, &se) {
			t.Fatalf("got %v, want *SizeError", err)
		}
		if se.What != what || se.Want != want || se.Cap != isCap || (got >= 0 && se.Got != got) {
			t.Errorf("got %+v, want What=%s Got=%d Want=%d Cap=%v", *se, what, got, want, isCap)
		}
		if !strings.Contains(err.Error(), strconv.FormatInt(want, 10)) {
			t.Errorf("message %q does not name %d", err, want)
		}
	}
}
