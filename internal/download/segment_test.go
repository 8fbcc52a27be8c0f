package download

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rangeStart is the first byte a request's Range asks for, or -1.
func rangeStart(r *http.Request) int64 {
	v, ok := strings.CutPrefix(r.Header.Get("Range"), "bytes=")
	if !ok {
		return -1
	}
	a, _, _ := strings.Cut(v, "-")
	n, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// segDownload runs a four-connection download of data's digest from srv
// with 64 KiB segments.
func segDownload(t *testing.T, srv *server, req Request) (Result, error) {
	t.Helper()
	if req.URL == "" {
		req.URL = srv.URL + "/image.qcow2"
	}
	if req.Connections == 0 {
		req.Connections = 4
	}
	return newDL(srv.policy()).Download(t.Context(), req)
}

// The go-getter table's cases (TestDownload), on the segmented path: what
// it asks and keeps differs, the outcome for the file does not.
func TestSegmented(t *testing.T) {
	t.Parallel()
	data := randomBytes(testSize, 1)
	junk := randomBytes(testSize, 2)
	third := int64(testSize / 3)
	type outcome struct {
		err         func(t *testing.T, err error)
		reused      int64
		transferred int64 // 0: testSize - reused; -1: none; -2: any
		restarted   bool
		fellBack    bool
		firstRange  string // how the first request's Range starts
		conns       int    // most connections at once (0: don't care)
		partial     int64  // size of the partial left behind, -1 = none
	}
	tests := map[string]struct {
		h           handler
		prefix      []byte
		unknownSize bool
		maxSize     int64
		want        outcome
	}{
		"clean": {
			h:    serve(data),
			want: outcome{firstRange: "bytes=0-", conns: 4, partial: testSize},
		},
		"clean size unknown": {
			h: serve(data), unknownSize: true,
			want: outcome{firstRange: "bytes=0-", conns: 4, partial: testSize},
		},
		"server ignores ranges: one streamed connection": {
			h:    ignoreRange(data),
			want: outcome{firstRange: "bytes=0-", conns: 1, partial: testSize},
		},
		"chunked, no ranges": {
			h:    chunked(data),
			want: outcome{firstRange: "bytes=0-", conns: 1, partial: testSize},
		},
		"resume from a prefix": {
			h: serve(data), prefix: data[:third],
			want: outcome{reused: third, firstRange: "bytes=" + strconv.FormatInt(third, 10) + "-", partial: testSize},
		},
		"resume refused with 200: that answer is the restart": {
			h: ignoreRange(data), prefix: data[:third],
			want: outcome{restarted: true, transferred: testSize, firstRange: "bytes=" + strconv.FormatInt(third, 10) + "-", conns: 1, partial: testSize},
		},
		"416 to every range: one connection from zero": {
			h: onRange(data, func(w http.ResponseWriter, r *http.Request, _ int) {
				w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			}),
			prefix: data[:third],
			want:   outcome{restarted: true, fellBack: true, transferred: testSize, firstRange: "bytes=" + strconv.FormatInt(third, 10) + "-", partial: testSize},
		},
		"every range answered from byte 0: one connection from zero": {
			h: onRange(data, func(w http.ResponseWriter, r *http.Request, _ int) {
				w.Header().Set("Content-Range", "bytes 0-"+strconv.Itoa(testSize-1)+"/"+strconv.Itoa(testSize))
				w.Header().Set("Content-Length", strconv.Itoa(testSize))
				w.WriteHeader(http.StatusPartialContent)
				w.Write(data)
			}),
			want: outcome{restarted: true, fellBack: true, transferred: -2, firstRange: "bytes=0-", partial: testSize},
		},
		"partial longer than the server's file, size unknown": {
			h: serve(data), prefix: append(bytes.Clone(data), "tail"...), unknownSize: true,
			want: outcome{restarted: true, transferred: testSize, firstRange: "bytes=" + strconv.Itoa(testSize+4) + "-", partial: testSize},
		},
		"complete partial": {
			h: serve(data), prefix: data,
			want: outcome{reused: testSize, transferred: -1, partial: testSize},
		},
		"complete partial size unknown": {
			h: serve(data), prefix: data, unknownSize: true,
			want: outcome{reused: testSize, transferred: -1, partial: testSize},
		},
		"full-size partial with wrong bytes": {
			h: serve(data), prefix: junk,
			want: outcome{restarted: true, transferred: testSize, firstRange: "bytes=0-", partial: testSize},
		},
		"wrong bytes: one retry on one connection, then the mismatch": {
			h: serve(junk),
			want: outcome{
				err: wantMismatch(digestOfBytes(data), digestOfBytes(junk)), firstRange: "bytes=0-", partial: -1,
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
				firstRange: "bytes=0-", partial: third,
			},
		},
		"total over the cap": {
			h: serve(data), unknownSize: true, maxSize: testSize - 1,
			want: outcome{err: wantSize("Content-Range total", testSize, testSize-1, true), firstRange: "bytes=0-", partial: -1},
		},
		"chunked body over the cap": {
			h: chunked(data), unknownSize: true, maxSize: testSize / 2,
			want: outcome{err: wantSize("body", -1, testSize/2, true), firstRange: "bytes=0-", partial: -1},
		},
		"total differs from size": {
			h:    serve(append(bytes.Clone(data), 'x')),
			want: outcome{err: wantSize("Content-Range total", testSize+1, testSize, false), firstRange: "bytes=0-", partial: -1},
		},
		"content-length differs from size, no ranges": {
			h:    ignoreRange(append(bytes.Clone(data), 'x')),
			want: outcome{err: wantSize("Content-Length", testSize+1, testSize, false), firstRange: "bytes=0-", partial: -1},
		},
		"chunked body shorter than size": {
			h:    chunked(data[:testSize-1]),
			want: outcome{err: wantSize("body", testSize-1, testSize, false), firstRange: "bytes=0-", partial: -1},
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
				firstRange: "bytes=0-", partial: 0,
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, false, tc.h)
			dir := partialDir(t)
			req := Request{PartialDir: dir, Digest: digestOfBytes(data), Size: testSize, MaxSize: 1 << 30}
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
			res, err := segDownload(t, srv, req)
			ranges := srv.rangesSeen()
			if tc.want.firstRange != "" && (len(ranges) == 0 || !strings.HasPrefix(ranges[0], tc.want.firstRange)) {
				t.Errorf("first Range %q, want %q", ranges, tc.want.firstRange)
			}
			if tc.want.err != nil {
				if err == nil {
					t.Fatalf("Download = %+v, nil; want an error", res)
				}
				tc.want.err(t, err)
			} else {
				if err != nil {
					t.Fatalf("Download: %v", err)
				}
				transferred := tc.want.transferred
				switch transferred {
				case 0:
					transferred = testSize - tc.want.reused
				case -1:
					transferred = 0
				case -2:
					transferred = res.Transferred
				}
				got := struct {
					Size, Reused, Transferred int64
					Restarted, FellBack       bool
				}{res.Size, res.Reused, res.Transferred, res.Restarted, res.FellBack != ""}
				want := got
				want.Size, want.Reused, want.Transferred, want.Restarted, want.FellBack = testSize, tc.want.reused, transferred, tc.want.restarted, tc.want.fellBack
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Result (-want +got):\n%s\n%+v", diff, res)
				}
				if tc.want.conns != 0 && res.Connections != tc.want.conns {
					t.Errorf("%d connections at most, want %d", res.Connections, tc.want.conns)
				}
				if b, _ := os.ReadFile(path); !bytes.Equal(b, data) {
					t.Errorf("partial holds %d bytes that differ from the served file", len(b))
				}
			}
			checkPartial(t, path, tc.want.partial)
			for _, n := range dirEntries(t, dir) {
				if n != filepath.Base(path) && !(err != nil && n == filepath.Base(path)+StateSuffix) {
					t.Errorf("partial directory holds %q", n)
				}
			}
		})
	}
}
