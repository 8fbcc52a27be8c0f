package download

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandlabx/fetchd/internal/netpolicy"
)

// firstSegment answers the first GET whose range starts after byte 0 (a
// segment another connection asked for) with h, and everything else like
// a static server with the given validators.
func firstSegment(data []byte, val validators, h handler) handler {
	var once atomic.Bool
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if rangeStart(r) > 0 && once.CompareAndSwap(false, true) {
			h(w, r, n)
			return
		}
		serveWith(data, val)(w, r, n)
	}
}

// serveWith is serve with an ETag and Last-Modified.
func serveWith(data []byte, val validators) handler {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if val.ETag != "" {
			w.Header().Set("ETag", val.ETag)
		}
		if val.LastModified != "" {
			w.Header().Set("Last-Modified", val.LastModified)
		}
		http.ServeContent(w, r, "image.qcow2", time.Time{}, bytes.NewReader(data))
	}
}

// asked parses a request's Range into first and last byte (of size).
func asked(r *http.Request, size int) (int, int) {
	v := strings.TrimPrefix(r.Header.Get("Range"), "bytes=")
	a, b, _ := strings.Cut(v, "-")
	first, _ := strconv.Atoi(a)
	last := size - 1
	if b != "" {
		last, _ = strconv.Atoi(b)
	}
	return first, last
}

// partialAnswer answers a range request with a correct 206 head and the
// body from src (the right file or another), cut after cut bytes if cut
// >= 0 (the connection is then dropped).
func partialAnswer(w http.ResponseWriter, r *http.Request, src []byte, val validators, cut int) {
	first, last := asked(r, len(src))
	if val.ETag != "" {
		w.Header().Set("ETag", val.ETag)
	}
	if val.LastModified != "" {
		w.Header().Set("Last-Modified", val.LastModified)
	}
	w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last, len(src)))
	w.Header().Set("Content-Length", strconv.Itoa(last-first+1))
	w.WriteHeader(http.StatusPartialContent)
	body := src[first : last+1]
	if cut >= 0 {
		w.Write(body[:min(cut, len(body))])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	w.Write(body)
}

func TestSegmentFaults(t *testing.T) {
	t.Parallel()
	data := randomBytes(testSize, 21)
	junk := randomBytes(testSize, 22)
	v1 := validators{ETag: `"v1"`, LastModified: "Mon, 02 Jan 2026 15:04:05 GMT"}
	tests := map[string]struct {
		h        handler
		fellBack string // "" = must not fall back
		extra    bool   // more than the file's bytes may arrive (a retried span)
	}{
		"one segment truncated: retried where it stopped": {
			h: firstSegment(data, v1, func(w http.ResponseWriter, r *http.Request, _ int) {
				partialAnswer(w, r, data, v1, 100<<10)
			}),
			extra: true,
		},
		"one connection stalled while the others finish": {
			h: firstSegment(data, v1, func(w http.ResponseWriter, r *http.Request, _ int) {
				first, last := asked(r, len(data))
				w.Header().Set("ETag", v1.ETag)
				w.Header().Set("Last-Modified", v1.LastModified)
				w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last, len(data)))
				w.Header().Set("Content-Length", strconv.Itoa(last-first+1))
				w.WriteHeader(http.StatusPartialContent)
				w.(http.Flusher).Flush()
				stall(r)
			}),
		},
		"one segment from another file, with another ETag": {
			h: firstSegment(data, v1, func(w http.ResponseWriter, r *http.Request, _ int) {
				partialAnswer(w, r, junk, validators{ETag: `"v2"`, LastModified: v1.LastModified}, -1)
			}),
			fellBack: "ETag changed",
			extra:    true,
		},
		"one segment from another file, with another Last-Modified": {
			h: firstSegment(data, v1, func(w http.ResponseWriter, r *http.Request, _ int) {
				partialAnswer(w, r, junk, validators{ETag: v1.ETag, LastModified: "Tue, 03 Jan 2026 15:04:05 GMT"}, -1)
			}),
			fellBack: "Last-Modified changed",
			extra:    true,
		},
		"one segment from another file, same validators: the digest decides": {
			h: firstSegment(data, v1, func(w http.ResponseWriter, r *http.Request, _ int) {
				partialAnswer(w, r, junk, v1, -1)
			}),
			fellBack: "checksum mismatch",
			extra:    true,
		},
		"a segment answered with the whole file": {
			h: firstSegment(data, v1, func(w http.ResponseWriter, r *http.Request, _ int) {
				w.Header().Set("ETag", v1.ETag)
				w.Header().Set("Content-Length", strconv.Itoa(len(data)))
				w.Write(data)
			}),
			fellBack: "whole file (200)",
			extra:    true,
		},
		"a segment answered with another range": {
			h: firstSegment(data, v1, func(w http.ResponseWriter, r *http.Request, _ int) {
				first, last := asked(r, len(data))
				w.Header().Set("ETag", v1.ETag)
				w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first+1, last, len(data)))
				w.Header().Set("Content-Length", strconv.Itoa(last-first))
				w.WriteHeader(http.StatusPartialContent)
				w.Write(data[first+1 : last+1])
			}),
			fellBack: "asked for",
			extra:    true,
		},
		"a segment says the file is longer": {
			h: firstSegment(data, v1, func(w http.ResponseWriter, r *http.Request, _ int) {
				first, last := asked(r, len(data))
				w.Header().Set("ETag", v1.ETag)
				w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last, len(data)+1))
				w.WriteHeader(http.StatusPartialContent)
				w.Write(data[first : last+1])
			}),
			fellBack: "Content-Range total",
			extra:    true,
		},
		"a segment with a content coding": {
			h: firstSegment(data, v1, func(w http.ResponseWriter, r *http.Request, _ int) {
				w.Header().Set("Content-Encoding", "gzip")
				partialAnswer(w, r, data, v1, -1)
			}),
			fellBack: "Content-Encoding",
			extra:    true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, false, tc.h)
			p := srv.policy()
			p.IdleTimeout = 300 * time.Millisecond
			dir := partialDir(t)
			req := Request{URL: srv.URL + "/image.qcow2", PartialDir: dir, Digest: digestOfBytes(data), Size: testSize, MaxSize: 1 << 30, Connections: 4}
			res, err := newDL(p).Download(t.Context(), req)
			if err != nil {
				t.Fatalf("Download: %v", err)
			}
			if got, _ := os.ReadFile(res.Path); !bytes.Equal(got, data) {
				t.Fatal("the file is not the served one")
			}
			switch {
			case tc.fellBack == "" && res.FellBack != "":
				t.Errorf("fell back to one connection: %s", res.FellBack)
			case !strings.Contains(res.FellBack, tc.fellBack):
				t.Errorf("FellBack %q, want it to say %q", res.FellBack, tc.fellBack)
			}
			if !tc.extra && res.Transferred != testSize {
				t.Errorf("transferred %d bytes for a %d-byte file", res.Transferred, testSize)
			}
			if names := dirEntries(t, dir); len(names) != 1 {
				t.Errorf("partial directory holds %q, want the partial alone", names)
			}
		})
	}
}

// A server that cuts every segment short: the download gives up after a
// bounded number of failures and keeps the partial and where its spans
// are; the next call fetches only the gaps, hashing the kept bytes again.
// A state file that lies is never believed.
func TestSegmentedResume(t *testing.T) {
	t.Parallel()
	data := randomBytes(testSize, 23)
	var broken atomic.Bool
	broken.Store(true)
	srv := newServer(t, false, func(w http.ResponseWriter, r *http.Request, n int) {
		if broken.Load() && rangeStart(r) > 0 {
			partialAnswer(w, r, data, validators{}, 8<<10)
			return
		}
		serve(data)(w, r, n)
	})
	dir := partialDir(t)
	req := Request{URL: srv.URL + "/image.qcow2", PartialDir: dir, Digest: digestOfBytes(data), Size: testSize, MaxSize: 1 << 30, Connections: 4}
	d := newDL(srv.policy())
	_, err := d.Download(t.Context(), req)
	var ie *InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("first Download = %v, want *InterruptedError", err)
	}
	path := PartialPath(dir, req.Digest)
	st, err := readState(path+StateSuffix, req.Digest, req.MaxSize)
	if err != nil || st == nil {
		t.Fatalf("resume state after the interruption: %v, %v", st, err)
	}
	kept := int64(0)
	for _, r := range st.Written {
		kept += r[1] - r[0]
	}
	if kept != ie.Done || len(st.Written) < 2 {
		t.Fatalf("state keeps %d bytes in %d ranges, the error says %d; want holes", kept, len(st.Written), ie.Done)
	}

	broken.Store(false)
	srv.settle(t)
	before := srv.served.Load()
	res, err := d.Download(t.Context(), req)
	if err != nil {
		t.Fatalf("second Download: %v", err)
	}
	if res.Reused != kept || res.Restarted {
		t.Errorf("reused %d (restarted %v), want the %d bytes the state kept", res.Reused, res.Restarted, kept)
	}
	if res.Transferred != testSize-kept {
		t.Errorf("received %d bytes on resume, want the %d missing", res.Transferred, testSize-kept)
	}
	// A tail steal cuts a connection short; what the server had already
	// pushed into it is sent for nothing. Kept bytes are never fetched.
	if served := srv.served.Load() - before; served < testSize-kept || served > testSize-kept+256<<10 {
		t.Errorf("server sent %d bytes on resume, want the %d missing (and at most what a cut connection wastes)", served, testSize-kept)
	}
	if got, _ := os.ReadFile(res.Path); !bytes.Equal(got, data) {
		t.Fatal("resumed file differs from the served one")
	}
	if names := dirEntries(t, dir); len(names) != 1 {
		t.Errorf("partial directory holds %q after success, want the partial alone", names)
	}
}

func TestSegmentedStateNotTrusted(t *testing.T) {
	t.Parallel()
	data := randomBytes(testSize, 24)
	junk := randomBytes(testSize, 25)
	tests := map[string]struct {
		partial  []byte
		written  [][2]int64
		plant    func(t *testing.T, path string)
		restart  bool
		fellBack bool
	}{
		"claims every byte of garbage": {
			partial: junk, written: [][2]int64{{0, testSize}}, restart: true,
		},
		"claims spans of garbage": {
			// Only the digest can tell: one retry on one connection.
			partial: junk, written: [][2]int64{{0, 100 << 10}, {1 << 20, 1<<20 + 300<<10}}, fellBack: true,
		},
		"claims more than the partial holds": {
			partial: data[:1000], written: [][2]int64{{0, 5000}}, restart: true,
		},
		"owned by another uid": {
			partial: data[:testSize/2], written: [][2]int64{{0, testSize / 2}}, restart: true,
			plant: func(t *testing.T, path string) {
				if os.Geteuid() != 0 {
					t.Skip("needs root to give a file away")
				}
				if err := os.Chown(path, 65534, 65534); err != nil {
					t.Fatal(err)
				}
			},
		},
		"world-writable": {
			partial: data[:testSize/2], written: [][2]int64{{0, testSize / 2}}, restart: true,
			plant: func(t *testing.T, path string) { os.Chmod(path, 0o666) },
		},
		"garbage": {
			partial: data[:testSize/2], restart: true,
			plant: func(t *testing.T, path string) { os.WriteFile(path, []byte("{not json"), 0o600) },
		},
		"true: kept and hashed again": {
			partial: data[:testSize/2], written: [][2]int64{{0, testSize / 4}, {testSize / 3, testSize / 2}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, false, serve(data))
			dir := partialDir(t)
			req := Request{URL: srv.URL + "/image.qcow2", PartialDir: dir, Digest: digestOfBytes(data), Size: testSize, MaxSize: 1 << 30, Connections: 4}
			path := PartialPath(dir, req.Digest)
			if err := os.WriteFile(path, tc.partial, 0o600); err != nil {
				t.Fatal(err)
			}
			st := &segState{Version: 1, Digest: req.Digest.String(), Size: testSize, Written: tc.written}
			if err := writeState(path+StateSuffix, st); err != nil {
				t.Fatal(err)
			}
			if tc.plant != nil {
				tc.plant(t, path+StateSuffix)
			}
			res, err := newDL(srv.policy()).Download(t.Context(), req)
			if err != nil {
				t.Fatalf("Download: %v", err)
			}
			if got, _ := os.ReadFile(res.Path); !bytes.Equal(got, data) {
				t.Fatal("the file is not the served one")
			}
			if res.Restarted != (tc.restart || tc.fellBack) || (res.FellBack != "") != tc.fellBack {
				t.Errorf("Restarted %v, FellBack %q; want restart %v, fall back %v", res.Restarted, res.FellBack, tc.restart, tc.fellBack)
			}
			if tc.restart && res.Reused != 0 {
				t.Errorf("reused %d bytes on the word of a state that lied", res.Reused)
			}
			if names := dirEntries(t, dir); len(names) != 1 {
				t.Errorf("partial directory holds %q, want the partial alone", names)
			}
		})
	}
}

// The one-connection path after an interruption over several: it keeps
// the written prefix only.
func TestSegmentedThenOneConnection(t *testing.T) {
	t.Parallel()
	data := randomBytes(testSize, 26)
	srv := newServer(t, false, serve(data))
	dir := partialDir(t)
	req := Request{URL: srv.URL + "/image.qcow2", PartialDir: dir, Digest: digestOfBytes(data), Size: testSize, MaxSize: 1 << 30, Connections: 1}
	path := PartialPath(dir, req.Digest)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	st := &segState{Version: 1, Digest: req.Digest.String(), Size: testSize, Written: [][2]int64{{0, 4096}, {8192, testSize}}}
	if err := writeState(path+StateSuffix, st); err != nil {
		t.Fatal(err)
	}
	res, err := New(nil, srv.policy()).Download(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reused != 4096 {
		t.Errorf("reused %d, want the 4096-byte prefix", res.Reused)
	}
	if names := dirEntries(t, dir); len(names) != 1 {
		t.Errorf("partial directory holds %q", names)
	}
}

// The controller opens what its rule asks for: here the rule asks for
// three once the first request arrives, and the server holds its answer
// until three requests are open at once.
func TestSegmentedFollowsRule(t *testing.T) {
	t.Parallel()
	data := randomBytes(testSize, 27)
	rule := &scriptedRule{}
	rule.n.Store(1)
	var open, most atomic.Int32
	all := make(chan struct{})
	var once sync.Once
	srv := newServer(t, false, func(w http.ResponseWriter, r *http.Request, n int) {
		now := open.Add(1)
		defer open.Add(-1)
		for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
		}
		rule.n.Store(3)
		if now >= 3 {
			once.Do(func() { close(all) })
		}
		first, last := asked(r, len(data))
		if n == 1 {
			// The probe: its head tells the size, then it waits.
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last, len(data)))
			w.Header().Set("Content-Length", strconv.Itoa(last-first+1))
			w.WriteHeader(http.StatusPartialContent)
			w.(http.Flusher).Flush()
		}
		select {
		case <-all:
		case <-time.After(10 * time.Second):
			panic(http.ErrAbortHandler) // three connections never came
		}
		if n == 1 {
			w.Write(data[first : last+1])
			return
		}
		serve(data)(w, r, n)
	})
	d := newDL(srv.policy())
	d.rule = func(int) connRule { return rule }
	req := Request{URL: srv.URL + "/image.qcow2", PartialDir: partialDir(t), Digest: digestOfBytes(data), Size: testSize, MaxSize: 1 << 30}
	res, err := d.Download(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Connections != 3 || most.Load() != 3 {
		t.Errorf("%d connections at most (server saw %d), want the rule's 3", res.Connections, most.Load())
	}
}

type scriptedRule struct{ n atomic.Int32 }

func (s *scriptedRule) want() int              { return int(s.n.Load()) }
func (s *scriptedRule) observe(rateSample) int { return s.want() }

// A server that answers extra connections with 503: the host's cap comes
// down to the connections that were open when it refused one, and the
// download finishes on those. The server holds its first two answers
// until it has refused a connection, and sends its refusals only once
// those two answers are complete, so the refusals are typically read after
// the other connections have ended: the cap must not depend on what is
// still open when a refusal is read. Four connections were open when the
// refused ones were sent (the probe's, held, and three asked for at once),
// so the cap is 3 whatever the order.
func TestSegmentedServerBusy(t *testing.T) {
	t.Parallel()
	data := randomBytes(testSize, 28)
	var open, busy, served atomic.Int32
	turnedAway, allServed := make(chan struct{}), make(chan struct{})
	var once sync.Once
	isClosed := func(c chan struct{}) bool {
		select {
		case <-c:
			return true
		default:
			return false
		}
	}
	srv := newServer(t, false, func(w http.ResponseWriter, r *http.Request, n int) {
		if open.Add(1) > 2 && !isClosed(allServed) {
			open.Add(-1)
			busy.Add(1)
			once.Do(func() { close(turnedAway) })
			select {
			case <-allServed:
			case <-time.After(10 * time.Second):
				panic(http.ErrAbortHandler) // the held answers never ended
			}
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		held := !isClosed(turnedAway)
		defer func() {
			open.Add(-1)
			if held && served.Add(1) == 2 {
				close(allServed)
			}
		}()
		first, last := asked(r, len(data))
		if n == 1 {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last, len(data)))
			w.Header().Set("Content-Length", strconv.Itoa(last-first+1))
			w.WriteHeader(http.StatusPartialContent)
			w.(http.Flusher).Flush()
		}
		// Hold the answers until a connection was turned away.
		select {
		case <-turnedAway:
		case <-time.After(10 * time.Second):
			panic(http.ErrAbortHandler)
		}
		if n == 1 {
			w.Write(data[first : last+1])
			return
		}
		serve(data)(w, r, n)
	})
	d := newDL(srv.policy())
	res, err := d.Download(t.Context(), Request{URL: srv.URL + "/image.qcow2", PartialDir: partialDir(t), Digest: digestOfBytes(data), Size: testSize, MaxSize: 1 << 30, Connections: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.FellBack != "" || res.Sources[0].Dropped != "" {
		t.Errorf("a busy answer failed the source: %+v", res)
	}
	u := res.Sources[0].URL
	host := strings.TrimPrefix(u[:strings.LastIndex(u, "/")], "http://")
	if c := d.hosts.limit(host); c != 3 || busy.Load() == 0 {
		t.Errorf("host cap %d after %d 503s to extra connections, want 3 (the connections open when they were refused, less one)", c, busy.Load())
	}
}

func TestSegmentedMirrors(t *testing.T) {
	t.Parallel()
	data := randomBytes(testSize, 29)
	junk := randomBytes(testSize, 30)
	// failAfter serves like a static server until it has sent limit body
	// bytes, then drops every connection.
	failAfter := func(limit int64) handler {
		var sent atomic.Int64
		return func(w http.ResponseWriter, r *http.Request, n int) {
			first, last := asked(r, len(data))
			want := int64(last - first + 1)
			before := sent.Add(want) - want
			if before >= limit {
				panic(http.ErrAbortHandler)
			}
			cut := -1
			if before+want > limit {
				cut = int(limit - before)
			}
			partialAnswer(w, r, data, validators{}, cut)
		}
	}
	notFound := func(w http.ResponseWriter, r *http.Request, _ int) { http.NotFound(w, r) }
	down := newServer(t, false, serve(data))
	down.Close()
	tests := map[string]struct {
		primary, mirror handler
		primaryDown     bool
		conns           int
		wantErr         func(t *testing.T, err error)
		dropped         []bool // per source
		fellBack        bool
		bothServe       bool
	}{
		"both healthy: both serve": {
			primary: serve(data), mirror: serve(data), dropped: []bool{false, false}, bothServe: true,
		},
		"the mirror fails half-way: dropped, the primary finishes": {
			primary: serve(data), mirror: failAfter(testSize / 4), dropped: []bool{false, true},
		},
		"the primary is down: the mirror serves it all": {
			primaryDown: true, mirror: serve(data), dropped: []bool{true, false},
		},
		"the mirror's file has another size": {
			primary: serve(data), mirror: serve(append(bytes.Clone(data), 'x')), dropped: []bool{false, true},
		},
		"the mirror serves other bytes: the digest decides, the primary alone retries": {
			primary: serve(data), mirror: serve(junk), fellBack: true,
		},
		"one connection: the mirror takes over from a failing primary": {
			primary: func(w http.ResponseWriter, r *http.Request, _ int) { http.Error(w, "oops", 500) },
			mirror:  serve(data), conns: 1, dropped: []bool{true, false},
		},
		"every server fails": {
			primary: notFound, mirror: notFound,
			wantErr: func(t *testing.T, err error) {
				var ae *AllSourcesError
				var se *HTTPStatusError
				if !errors.As(err, &ae) || !errors.As(err, &se) || !se.NotFound() {
					t.Fatalf("got %v, want an *AllSourcesError unwrapping to the primary's 404", err)
				}
				if !strings.Contains(err.Error(), "every server failed") || strings.Count(err.Error(), "HTTP 404 Not Found") != 2 {
					t.Errorf("message %q does not name both servers' answers", err)
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			primary := down
			if !tc.primaryDown {
				primary = newServer(t, false, tc.primary)
			}
			mirror := newServer(t, false, tc.mirror)
			u1, u2 := primary.URL+"/image.qcow2", mirror.URL+"/mirror/image.qcow2"
			p := netpolicy.Policy{AllowHTTP: []string{strings.TrimPrefix(primary.URL, "http://"), strings.TrimPrefix(mirror.URL, "http://")}}
			conns := tc.conns
			if conns == 0 {
				conns = 4
			}
			req := Request{URL: u1, Mirrors: []string{u2}, PartialDir: partialDir(t), Digest: digestOfBytes(data), Size: testSize, MaxSize: 1 << 30, Connections: conns}
			res, err := newDL(p).Download(t.Context(), req)
			if tc.wantErr != nil {
				tc.wantErr(t, err)
				return
			}
			if err != nil {
				t.Fatalf("Download: %v", err)
			}
			if got, _ := os.ReadFile(res.Path); !bytes.Equal(got, data) {
				t.Fatal("the file is not the served one")
			}
			if (res.FellBack != "") != tc.fellBack {
				t.Errorf("FellBack %q, want %v", res.FellBack, tc.fellBack)
			}
			if len(res.Sources) != 2 || res.Sources[0].URL != u1 || res.Sources[1].URL != u2 {
				t.Fatalf("Sources %+v, want the primary then the mirror", res.Sources)
			}
			total := int64(0)
			for i, s := range res.Sources {
				total += s.Bytes
				if tc.dropped != nil && (s.Dropped != "") != tc.dropped[i] {
					t.Errorf("source %d dropped %q, want dropped=%v", i, s.Dropped, tc.dropped[i])
				}
				if tc.bothServe && s.Bytes == 0 {
					t.Errorf("source %d served nothing", i)
				}
			}
			if total != testSize {
				t.Errorf("sources served %d bytes in all (%+v), want %d", total, res.Sources, testSize)
			}
		})
	}
}

// A mirror dropped from one download is not asked again by the next
// download of the same Downloader (one run), which says why in its
// sources; a new Downloader (the next run) asks it again.
func TestMirrorDroppedForTheRun(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{"/a.qcow2": randomBytes(testSize, 31), "/b.qcow2": randomBytes(testSize, 32)}
	byPath := func(w http.ResponseWriter, r *http.Request, _ int) {
		data, ok := files[strings.TrimPrefix(r.URL.Path, "/mirror")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "image.qcow2", time.Time{}, bytes.NewReader(data))
	}
	var broken atomic.Bool
	broken.Store(true)
	var asked atomic.Int32 // GETs the mirror received
	primary := newServer(t, false, byPath)
	mirror := newServer(t, false, func(w http.ResponseWriter, r *http.Request, n int) {
		asked.Add(1)
		if broken.Load() {
			panic(http.ErrAbortHandler)
		}
		byPath(w, r, n)
	})
	p := netpolicy.Policy{AllowHTTP: []string{strings.TrimPrefix(primary.URL, "http://"), strings.TrimPrefix(mirror.URL, "http://")}}
	get := func(d *Downloader, name string) Result {
		t.Helper()
		req := Request{URL: primary.URL + name, Mirrors: []string{mirror.URL + "/mirror" + name}, PartialDir: partialDir(t),
			Digest: digestOfBytes(files[name]), Size: testSize, MaxSize: 1 << 30, Connections: 4}
		res, err := d.Download(t.Context(), req)
		if err != nil {
			t.Fatalf("Download %s: %v", name, err)
		}
		if got, _ := os.ReadFile(res.Path); !bytes.Equal(got, files[name]) {
			t.Fatalf("%s: the file is not the served one", name)
		}
		return res
	}
	run := newDL(p)
	first := get(run, "/a.qcow2")
	if first.Sources[1].Dropped == "" || asked.Load() == 0 {
		t.Fatalf("the failing mirror was not tried and dropped (%d requests): %+v", asked.Load(), first.Sources)
	}
	broken.Store(false) // it would serve now, but this run is done with it
	mirror.settle(t)
	before := asked.Load()
	second := get(run, "/b.qcow2")
	if n := asked.Load() - before; n != 0 {
		t.Errorf("the mirror dropped earlier in the run got %d requests", n)
	}
	if d := second.Sources[1].Dropped; !strings.HasPrefix(d, "earlier in this run: ") || !strings.Contains(d, first.Sources[1].Dropped) {
		t.Errorf("second download says the mirror was dropped %q, want earlier in this run, with the first reason %q", d, first.Sources[1].Dropped)
	}
	if second.Sources[0].Bytes != testSize {
		t.Errorf("the primary served %d bytes, want all %d", second.Sources[0].Bytes, testSize)
	}
	before = asked.Load()
	third := get(newDL(p), "/b.qcow2")
	if asked.Load() == before || third.Sources[1].Dropped != "" || third.Sources[1].Bytes == 0 {
		t.Errorf("the next run did not use the mirror again: %+v", third.Sources)
	}
}
