package download

import (
	"fmt"
	"slices"
)

// span is a byte range [start, end) of the file being downloaded. Bytes
// [start, pos) are written; pos only grows, so a byte once written is never
// written again in the same attempt. While its owner reads bytes for it,
// ahead is where that read ends, and while it writes them, busy is where
// the write ends (pos ≤ busy ≤ end, ahead ≤ end). end may shrink (another
// connection takes the upper part) but never below busy or ahead.
type span struct {
	start, end       int64
	pos, busy, ahead int64
	owner            *worker // nil: no connection is fetching it
}

// remaining is what another connection could take: the bytes of s that
// are not written, being written or being read.
func (s *span) remaining() int64 { return s.end - max(s.busy, s.ahead) }
func (s *span) complete() bool   { return s.pos == s.end }

// spanTable covers [0, size) with contiguous spans, sorted by start. It is
// the one record of which bytes are written and who fetches the rest; the
// caller serializes every call.
type spanTable struct {
	size  int64
	spans []*span
}

// newSpanTable returns a table for a file of size bytes of which the ranges
// in done (sorted, disjoint, within the file) are already written.
func newSpanTable(size int64, done []byteRange) (*spanTable, error) {
	if size <= 0 {
		return nil, fmt.Errorf("size %d is not positive", size)
	}
	t := &spanTable{size: size}
	at := int64(0)
	for _, r := range done {
		if r.Start < at || r.End <= r.Start || r.End > size {
			return nil, fmt.Errorf("written range %d-%d does not fit after byte %d of %d", r.Start, r.End, at, size)
		}
		if r.Start > at {
			t.spans = append(t.spans, &span{start: at, end: r.Start, pos: at, busy: at})
		}
		t.spans = append(t.spans, &span{start: r.Start, end: r.End, pos: r.End, busy: r.End})
		at = r.End
	}
	if at < size {
		t.spans = append(t.spans, &span{start: at, end: size, pos: at, busy: at})
	}
	return t, nil
}

// byteRange is [Start, End).
type byteRange struct{ Start, End int64 }

// split cuts s at x (s.busy, s.ahead ≤ x < s.end) and returns the upper
// part, which nobody owns yet and holds no written byte.
func (t *spanTable) split(s *span, x int64) *span {
	up := &span{start: x, end: s.end, pos: x, busy: x, ahead: x}
	s.end = x
	i := slices.Index(t.spans, s)
	t.spans = slices.Insert(t.spans, i+1, up)
	return up
}

// take gives w the first bytes not yet written and not being fetched, at
// most chunk of them, or nil when every pending byte has an owner.
func (t *spanTable) take(w *worker, chunk int64) *span {
	for _, s := range t.spans {
		if s.owner != nil || s.complete() {
			continue
		}
		return t.claim(s, w, chunk)
	}
	return nil
}

// takeAt gives w the pending bytes starting exactly at off (at most chunk),
// when nobody fetches them: a connection whose response goes on past its
// span reads on into the next one without a new request.
func (t *spanTable) takeAt(w *worker, off, chunk int64) *span {
	for _, s := range t.spans {
		if s.start <= off && off < s.end {
			if s.owner != nil || s.pos != off {
				return nil
			}
			return t.claim(s, w, chunk)
		}
	}
	return nil
}

// claim makes w the owner of s's pending bytes, cut to chunk; the bytes s
// already holds stay in a span of their own.
func (t *spanTable) claim(s *span, w *worker, chunk int64) *span {
	if s.pos > s.start {
		s = t.split(s, s.pos)
	}
	if chunk > 0 && s.end-s.pos > chunk {
		t.split(s, s.pos+chunk)
	}
	s.owner = w
	return s
}

// steal gives w the upper half of the owned span with the most bytes left,
// if that half is at least min bytes: the tail of a download is shared out
// rather than left to the slowest connection.
func (t *spanTable) steal(w *worker, min int64) *span {
	var victim *span
	for _, s := range t.spans {
		if s.owner != nil && s.owner != w && (victim == nil || s.remaining() > victim.remaining()) {
			victim = s
		}
	}
	if victim == nil || victim.remaining() < 2*min {
		return nil
	}
	up := t.split(victim, victim.end-victim.remaining()/2)
	up.owner = w
	return up
}

// release gives up w's claim on s; its written bytes stay written.
func (t *spanTable) release(s *span) { s.owner, s.ahead = nil, s.pos }

// reading marks n bytes from s.pos as being read for s and returns how
// many may be (fewer when s ends sooner).
func (t *spanTable) reading(s *span, n int64) int64 {
	k := min(n, s.end-s.pos)
	s.ahead = s.pos + k
	return k
}

// reserve marks up to n bytes at s.pos as being written and returns how
// many may be: fewer than n when s ended (its end moved down) before.
func (t *spanTable) reserve(s *span, n int64) int64 {
	k := min(n, s.end-s.pos)
	s.busy = s.pos + k
	return k
}

// commit records that the reserved bytes are on the file.
func (t *spanTable) commit(s *span) { s.pos = s.busy }

// abort forgets a reservation whose write failed.
func (t *spanTable) abort(s *span) { s.busy = s.pos }

// frontier is the end of the written prefix: every byte before it is
// written and will not be written again.
func (t *spanTable) frontier() int64 {
	for _, s := range t.spans {
		if !s.complete() {
			return s.pos
		}
	}
	return t.size
}

// done is the number of bytes written.
func (t *spanTable) done() int64 {
	var n int64
	for _, s := range t.spans {
		n += s.pos - s.start
	}
	return n
}

// complete reports whether every byte is written.
func (t *spanTable) complete() bool { return t.frontier() == t.size }

// pending reports whether some byte is neither written nor owned.
func (t *spanTable) pending() bool {
	for _, s := range t.spans {
		if s.owner == nil && !s.complete() {
			return true
		}
	}
	return false
}

// written returns the written bytes as sorted, merged ranges (what resume
// state records).
func (t *spanTable) written() []byteRange {
	var out []byteRange
	for _, s := range t.spans {
		if s.pos == s.start {
			continue
		}
		if n := len(out); n > 0 && out[n-1].End == s.start {
			out[n-1].End = s.pos
		} else {
			out = append(out, byteRange{s.start, s.pos})
		}
	}
	return out
}

// compact merges neighbouring complete, unowned spans, so the table stays
// as short as the number of gaps.
func (t *spanTable) compact() {
	out := t.spans[:0]
	for _, s := range t.spans {
		if n := len(out); n > 0 {
			prev := out[n-1]
			if prev.complete() && s.complete() && prev.owner == nil && s.owner == nil {
				prev.end, prev.pos, prev.busy = s.end, s.end, s.end
				continue
			}
		}
		out = append(out, s)
	}
	clear(t.spans[len(out):])
	t.spans = out
}
