package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// addWorker opens a connection slot on src. force is for a download's
// only connection, which never waits for other downloads' slots. r.mu is
// held.
func (r *segRun) addWorker(src *source, force bool) *worker {
	if !r.d.hosts.acquire(src.host, force) {
		return nil
	}
	w := &worker{src: src, buf: make([]byte, workerBuf)}
	r.workers[w] = struct{}{}
	src.workers++
	r.peak = max(r.peak, len(r.workers))
	return w
}

// newWorker is addWorker for the probe, which always gets its slot.
func (r *segRun) newWorker(src *source) *worker {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.addWorker(src, true)
}

// detach removes w from the run and gives its slot back. r.mu is held.
func (r *segRun) detach(w *worker) {
	if _, ok := r.workers[w]; !ok {
		return
	}
	delete(r.workers, w)
	w.src.workers--
	r.d.hosts.release(w.src.host)
	r.gen++
}

// exit is a worker's last act.
func (r *segRun) exit(w *worker) {
	r.mu.Lock()
	r.detach(w)
	r.mu.Unlock()
	r.poke()
}

// poke wakes the controller.
func (r *segRun) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// stopping reports whether the attempt is ending. r.mu is held.
func (r *segRun) stopping() bool {
	return r.endErr != nil || r.fallback != nil || r.ctx.Err() != nil
}

// start runs w, which owns s and, when resp is not nil, reads it.
func (r *segRun) start(w *worker, s *span, resp *http.Response) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.work(w, s, resp)
	}()
}

// work is one connection's loop: fetch a span, write it, take the next,
// until there is nothing left for it.
func (r *segRun) work(w *worker, s *span, resp *http.Response) {
	defer r.exit(w)
	r.mu.Lock()
	end := r.probeLast + 1 // for the probe's answer, the only one given here
	r.mu.Unlock()
	for {
		if s == nil {
			if s = r.next(w); s == nil {
				return
			}
		}
		if resp == nil {
			var err error
			if resp, end, err = r.fetch(w, s); err != nil {
				if !r.failed(w, s, err) {
					return
				}
				s = nil
				continue
			}
		}
		cur, err := r.copyBody(w, s, resp, end)
		resp, s = nil, nil
		if err != nil && !r.failed(w, cur, err) {
			return
		}
	}
}

// next gives w its next span: pending bytes in file order, else half of
// the largest span another connection still has ahead of it, when that is
// at least two chunks (about a second of its transfer): a steal costs the
// bytes already on their way to the connection it cuts short. It returns
// nil when w should close: nothing left, its source dropped, or more
// connections open than the rule wants.
func (r *segRun) next(w *worker) *span {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopping() || w.src.dropped != "" || len(r.workers) > r.rule.want() {
		r.detach(w)
		return nil
	}
	if s := r.table.take(w, r.chunk); s != nil {
		return s
	}
	s := r.table.steal(w, r.chunk)
	if s == nil {
		r.detach(w)
	}
	return s
}

// send starts a GET for bytes first..last (last < 0: to the end) of w's
// source, under a context of its own that the idle timeout and the
// controller can end.
func (r *segRun) send(w *worker, first, last int64) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(r.ctx)
	r.mu.Lock()
	w.cancel = cancel
	w.peers = r.d.hosts.count(w.src.host) - 1
	r.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.src.url, nil)
	if err != nil {
		r.endRequest(w)
		return nil, err
	}
	rng := "bytes=" + strconv.FormatInt(first, 10) + "-"
	if last >= 0 {
		rng += strconv.FormatInt(last, 10)
	}
	req.Header.Set("Range", rng)
	req.Header.Set("User-Agent", r.policy.UserAgent)
	req.Header.Set("Accept-Encoding", "identity") // the bytes hashed are the bytes on the wire
	resp, err := r.client.Do(req)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil && !errors.Is(cause, context.Canceled) {
			err = cause
		}
		r.endRequest(w)
		return nil, err
	}
	return resp, nil
}

// endRequest releases w's request context.
func (r *segRun) endRequest(w *worker) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w.cancel != nil {
		w.cancel(nil)
		w.cancel = nil
	}
}

// fetch asks w's source for s and checks the answer before a byte of it
// is used. end is where the answer stops.
func (r *segRun) fetch(w *worker, s *span) (*http.Response, int64, error) {
	r.mu.Lock()
	first, last := s.pos, s.end-1
	r.mu.Unlock()
	resp, err := r.send(w, first, last)
	if err != nil {
		return nil, 0, err
	}
	ans, err := checkRangeAnswer(resp, first, last)
	if err == nil {
		err = r.sameAnswer(w.src, ans, resp)
	}
	if err != nil {
		resp.Body.Close()
		r.endRequest(w)
		return nil, 0, err
	}
	return resp, last + 1, nil
}

// sameAnswer checks that an answer is about the file the download is
// fetching: the size every source said, and the validators this source
// gave first (or that the resume state kept for it).
func (r *segRun) sameAnswer(src *source, ans rangeAnswer, resp *http.Response) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := resp.Request.URL.Redacted()
	if ans.total != r.size {
		return &rangeError{reason: fmt.Sprintf("%s: Content-Range total %d, but the file has %d bytes", u, ans.total, r.size)}
	}
	if !src.known {
		src.val, src.known = ans.val, true
		if kv, ok := r.keptVal[src.url]; ok {
			if msg := sameFile(kv, ans.val); msg != "" {
				return &changedError{reason: fmt.Sprintf("%s: %s since the kept bytes were fetched", u, msg)}
			}
		}
		return nil
	}
	if msg := sameFile(src.val, ans.val); msg != "" {
		return &changedError{reason: fmt.Sprintf("%s: %s between two ranges", u, msg)}
	}
	return nil
}

// copyBody reads resp (which covers the file up to end) into s and, while
// nobody else wants them, the spans that follow. It reads only bytes of a
// span w owns, so nothing it receives is thrown away. It returns the span
// it was writing when it failed.
func (r *segRun) copyBody(w *worker, s *span, resp *http.Response, end int64) (*span, error) {
	defer resp.Body.Close()
	defer r.endRequest(w)
	r.mu.Lock()
	pos, first := s.pos, s.pos
	r.responses++
	r.mu.Unlock()
	body := r.bodyReader(w, resp)
	for pos < end {
		r.mu.Lock()
		if s.complete() {
			s.owner = nil
			var next *span
			if !r.stopping() && len(r.workers) <= r.rule.want() {
				next = r.table.takeAt(w, pos, min(r.chunk, end-pos))
			}
			if next == nil {
				r.mu.Unlock()
				r.poke()
				return nil, nil // the rest of this answer is someone else's
			}
			s = next
		}
		n := r.table.reading(s, min(int64(len(w.buf)), end-pos))
		r.mu.Unlock()
		got, err := io.ReadFull(body, w.buf[:n])
		if got > 0 {
			r.mu.Lock()
			r.received(w, int64(got))
			r.mu.Unlock()
			if werr := r.put(w, s, w.buf[:got], pos); werr != nil {
				return s, werr
			}
			pos += int64(got)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%s: the answer for bytes %d-%d ended at byte %d: %w", resp.Request.URL.Redacted(), first, end-1, pos, io.ErrUnexpectedEOF)
		}
		if err != nil {
			return s, err
		}
	}
	r.mu.Lock()
	if s.owner == w {
		s.owner = nil
	}
	r.mu.Unlock()
	r.poke()
	return nil, nil
}

// received counts n body bytes that arrived on w. r.mu is held.
func (r *segRun) received(w *worker, n int64) {
	r.transferred += n
	w.src.gotSinceFail = true
	if !w.active {
		w.active = true
		r.gen++
	}
}

// put writes data, which belongs at pos in s (copyBody read no more than
// s has room for), and records it.
func (r *segRun) put(w *worker, s *span, data []byte, pos int64) error {
	r.mu.Lock()
	at, end := s.pos, s.end
	k := r.table.reserve(s, int64(len(data)))
	if k != int64(len(data)) || at != pos {
		r.table.abort(s)
		r.mu.Unlock()
		return fmt.Errorf("download %s: internal error: %d bytes for byte %d do not fit the span at %d-%d", r.req.URL, len(data), pos, at, end)
	}
	r.mu.Unlock()
	if _, err := r.f.WriteAt(data, pos); err != nil {
		r.mu.Lock()
		r.table.abort(s)
		r.mu.Unlock()
		return &writeError{path: r.path, err: err}
	}
	r.mu.Lock()
	r.table.commit(s)
	r.done += k
	w.src.bytes += k
	frontier, done, total := r.table.frontier(), r.done, r.size
	save := r.done-r.savedDone >= stateBytes
	r.mu.Unlock()
	if save {
		r.poke()
	}
	r.hasher.advance(frontier)
	r.rep.report(done, total, r.reused, false)
	return nil
}

// writeError is a failed write to the partial: it ends the attempt.
type writeError struct {
	path string
	err  error
}

func (e *writeError) Error() string { return fmt.Sprintf("writing %s: %v", e.path, e.err) }
func (e *writeError) Unwrap() error { return e.err }
