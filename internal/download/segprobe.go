package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/sandlabx/fetchd/internal/netpolicy"
)

// probe asks the sources in order (the primary first) for every byte from
// the first one the partial lacks, until one answers usably. That first
// answer tells the file's size, whether the server honours ranges, and
// its validators.
//
// whole is true when the answer is the whole file (200: the server ignores
// ranges): w then streams it from byte 0 on this one connection. Otherwise
// the span table exists and w owns s, the first chunk, which it reads from
// resp. An error ends the attempt.
func (r *segRun) probe() (w *worker, s *span, resp *http.Response, whole bool, err error) {
	restarted := false
	for _, src := range r.sources {
		for src.dropped == "" {
			from := firstGap(r.kept)
			if len(r.kept) > 0 && r.kept[0].Start > 0 {
				from = 0
			}
			w = r.newWorker(src)
			last := r.probeEnd(from)
			resp, err := r.send(w, from, last)
			if err != nil {
				r.exit(w)
				if stop := r.probeFailed(src, err); stop != nil {
					return nil, nil, nil, false, stop
				}
				continue
			}
			s, whole, again, err := r.probeAnswer(w, src, resp, from, last, restarted)
			switch {
			case err != nil || again:
				resp.Body.Close()
				r.exit(w)
				if err != nil {
					if stop := r.probeFailed(src, err); stop != nil {
						return nil, nil, nil, false, stop
					}
					continue
				}
				restarted = true
				if rerr := r.reset(); rerr != nil {
					return nil, nil, nil, false, rerr
				}
				continue
			}
			return w, s, resp, whole, nil
		}
	}
	return nil, nil, nil, false, r.noSourceError()
}

// probeAnswer checks the first answer. again asks for one more probe from
// byte 0 with the partial emptied: the server refused to resume, or the
// file is not the one the kept bytes came from.
func (r *segRun) probeAnswer(w *worker, src *source, resp *http.Response, from, last int64, restarted bool) (s *span, whole, again bool, err error) {
	req := r.req
	u := resp.Request.URL.Redacted()
	if resp.StatusCode == http.StatusOK {
		g := &guard{size: req.Size, max: req.MaxSize}
		if err := g.checkTotal(u, "Content-Length", resp.ContentLength); err != nil {
			return nil, false, false, err
		}
		if len(r.kept) > 0 {
			// The server will not resume: the whole file from byte 0
			// replaces what the partial held.
			if err := r.reset(); err != nil {
				return nil, false, false, err
			}
		}
		return nil, true, false, nil
	}
	ans, err := checkRangeAnswer(resp, from, last)
	var re *rangeError
	switch {
	case errors.As(err, &re) && from > 0 && !restarted:
		return nil, false, true, nil
	case errors.As(err, &re):
		// A 206 that is not the range asked for: ranges from this server
		// cannot be trusted, a plain GET can.
		return nil, false, false, &fallbackError{url: src.url, reason: re.reason}
	case err != nil:
		return nil, false, false, err
	}
	g := &guard{size: req.Size, max: req.MaxSize}
	if err := g.checkTotal(u, "Content-Range total", ans.total); err != nil {
		return nil, false, false, err
	}
	kv, seen := r.keptVal[src.url]
	if (r.size > 0 && ans.total != r.size) || (seen && sameFile(kv, ans.val) != "") {
		// The file is not the one the kept bytes are from.
		if restarted {
			return nil, false, false, &changedError{reason: fmt.Sprintf("%s changed while fetchd was resuming it", u)}
		}
		return nil, false, true, nil
	}
	t, err := newSpanTable(ans.total, r.kept)
	if err != nil {
		if restarted {
			return nil, false, false, fmt.Errorf("download %s: %w", req.URL, err)
		}
		return nil, false, true, nil
	}
	if err := CheckFreeSpace(req.PartialDir, ans.total-r.reused); err != nil {
		return nil, false, false, err
	}
	r.mu.Lock()
	src.val, src.known = ans.val, true
	r.size, r.table = ans.total, t
	r.chunk = r.firstChunk()
	s = t.takeAt(w, from, min(r.chunk, ans.last+1-from))
	r.probeLast = ans.last
	r.mu.Unlock()
	// Before any byte lands out of order, so a partial with holes always
	// has a state that says where they are.
	r.saveState()
	return s, false, false, nil
}

// probeFailed handles a probe that got no usable answer from src. It
// returns an error when the attempt must end (size, space, fallback);
// otherwise src is dropped and the next source is asked.
func (r *segRun) probeFailed(src *source, err error) error {
	var (
		se *SizeError
		ns *NoSpaceError
		fb *fallbackError
		ce *changedError
	)
	switch {
	case errors.As(err, &ns):
		return err
	case errors.As(err, &se) && src.index == 0:
		// The primary disagrees with the size the source announced.
		return err
	case errors.As(err, &fb):
		return err
	case errors.As(err, &ce):
		return &fallbackError{url: src.url, reason: ce.reason}
	case r.ctx.Err() != nil:
		return r.interrupted(context.Cause(r.ctx))
	}
	r.mu.Lock()
	r.drop(src, err, kindOf(err))
	r.mu.Unlock()
	return nil
}

// probeEnd is the last byte the probe asks for: with the size known and
// several connections wanted from the start, only the first chunk (the
// rest is other connections'); else everything to the end, which one
// connection then streams.
func (r *segRun) probeEnd(from int64) int64 {
	if r.size <= 0 || r.rule.want() < 2 {
		return -1
	}
	return min(from+r.firstChunk(), r.size) - 1
}

// firstChunk is the size of the first spans handed out, before any rate
// is known: small enough that every connection asked for at once gets
// one.
func (r *segRun) firstChunk() int64 {
	c := int64(firstChunk)
	if n := int64(r.rule.want()); n > 1 {
		c = min(c, (r.size-r.reused+n-1)/n)
	}
	return max(c, r.minChunk())
}

// stream writes a whole-file answer from byte 0 on one connection: the
// server does not do ranges. The size is capped as on the one-connection
// path; an interruption keeps the prefix for a resume.
func (r *segRun) stream(w *worker, resp *http.Response) error {
	defer resp.Body.Close()
	req := r.req
	limit := req.MaxSize
	if req.Size > 0 {
		limit = req.Size
		if err := CheckFreeSpace(req.PartialDir, req.Size); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.responses++
	r.mu.Unlock()
	body := r.bodyReader(w, resp)
	var pos int64
	for {
		n, err := body.Read(w.buf)
		if n > 0 {
			if pos+int64(n) > limit {
				return &SizeError{URL: req.URL, What: "body", Got: pos + int64(n), Want: limit, Cap: req.Size == 0}
			}
			if _, werr := r.f.WriteAt(w.buf[:n], pos); werr != nil {
				return fmt.Errorf("writing %s: %w", r.path, werr)
			}
			pos += int64(n)
			r.mu.Lock()
			r.received(w, int64(n))
			r.done = pos
			r.mu.Unlock()
			r.hasher.advance(pos)
			r.rep.report(pos, req.Size, 0, false)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return r.interrupted(err)
		}
	}
	r.mu.Lock()
	r.size = pos
	r.mu.Unlock()
	return nil
}

// bodyReader wraps a response body with the idle timeout of w's request.
func (r *segRun) bodyReader(w *worker, resp *http.Response) *netpolicy.IdleReader {
	idle := &netpolicy.IdleTimeoutError{Idle: r.policy.IdleTimeout}
	r.mu.Lock()
	cancel := w.cancel
	r.mu.Unlock()
	return netpolicy.NewIdleReader(resp.Body, r.policy.IdleTimeout, func() {
		if cancel != nil {
			cancel(idle)
		}
	})
}
