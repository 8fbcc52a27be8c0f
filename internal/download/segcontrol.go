package download

import (
	"fmt"
	"slices"
	"time"
)

// The controller's clock. None of these decide correctness: they pace
// rate samples, state saves and the table's compaction.
const (
	controlTick  = 25 * time.Millisecond
	sampleWindow = 100 * time.Millisecond
	stateEvery   = 250 * time.Millisecond
	// chunkTime is how long a request should last at the measured rate
	// per connection: long enough that the round trip between two
	// requests costs little, short enough that the hasher, which follows
	// the lowest unfinished span, is never far behind.
	chunkTime = 500 * time.Millisecond
	// stateBytes: the resume state is saved at least this often in
	// bytes, so a kill costs at most about this much again.
	stateBytes = 16 << 20
)

// control runs until no connection is left: it opens connections as the
// rule asks, feeds it rate samples, drops slow sources, and saves the
// resume state now and then.
func (r *segRun) control() {
	t := time.NewTicker(controlTick)
	defer t.Stop()
	var win window
	lastSave := time.Now()
	for {
		r.mu.Lock()
		if !r.stopping() {
			r.spawn()
		}
		n := len(r.workers)
		r.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-r.wake:
			r.mu.Lock()
			due := r.done-r.savedDone >= stateBytes
			r.mu.Unlock()
			if due {
				r.saveState()
				lastSave = time.Now()
			}
		case now := <-t.C:
			r.sample(now, &win)
			if now.Sub(lastSave) >= stateEvery {
				r.saveState()
				lastSave = now
			}
		}
	}
}

// spawn opens connections until the rule's count, as long as there is
// work for them and their hosts have room. r.mu is held.
func (r *segRun) spawn() {
	want := min(r.rule.want(), MaxConnectionsPerHost)
	for len(r.workers) < want {
		w := r.openOnSource()
		if w == nil {
			return
		}
		s := r.table.take(w, r.chunk)
		if s == nil {
			s = r.table.steal(w, r.chunk)
		}
		if s == nil {
			r.detach(w)
			return
		}
		r.start(w, s, nil)
	}
}

// openOnSource opens a connection on the live source with the fewest,
// the primary first among equals, skipping hosts that are full.
func (r *segRun) openOnSource() *worker {
	live := make([]*source, 0, len(r.sources))
	for _, s := range r.sources {
		if s.dropped == "" {
			live = append(live, s)
		}
	}
	slices.SortStableFunc(live, func(a, b *source) int { return a.workers - b.workers })
	for _, s := range live {
		if w := r.addWorker(s, len(r.workers) == 0); w != nil {
			return w
		}
	}
	return nil
}

// window is a rate measurement in progress: it holds while the same
// connections are all receiving.
type window struct {
	open  bool
	start time.Time
	gen   int
	bytes int64
	src   []int64
}

// sample closes the window when it is long enough: the rule and the chunk
// size learn the rate, and sources much slower than another are judged.
// A window in which a connection started or ended does not count.
func (r *segRun) sample(now time.Time, win *window) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.table == nil || r.stopping() {
		return
	}
	active := 0
	for w := range r.workers {
		if w.active {
			active++
		}
	}
	restart := func() {
		*win = window{}
		if active > 0 && active == len(r.workers) {
			*win = window{open: true, start: now, gen: r.gen, bytes: r.transferred, src: r.srcBytes()}
		}
	}
	if !win.open || win.gen != r.gen || active != len(r.workers) {
		restart()
		return
	}
	el := now.Sub(win.start)
	if el < sampleWindow {
		return
	}
	secs := el.Seconds()
	rate := float64(r.transferred-win.bytes) / secs
	before := r.rule.want()
	r.rule.observe(rateSample{conns: active, rate: rate})
	r.adaptChunk(rate / float64(active))
	r.judgeSources(win, secs)
	restart()
	if r.rule.want() != before {
		r.poke()
	}
	r.table.compact()
}

func (r *segRun) srcBytes() []int64 {
	out := make([]int64, len(r.sources))
	for i, s := range r.sources {
		out[i] = s.bytes
	}
	return out
}

// adaptChunk sizes the next spans so that one request lasts about
// chunkTime at the rate each connection gets.
func (r *segRun) adaptChunk(perConn float64) {
	c := int64(perConn * chunkTime.Seconds())
	r.chunk = min(max(c, r.minChunk()), maxChunk)
}

// judgeSources drops a source whose connections were each much slower
// than the best source's in two windows running, when another source is
// left to take its work.
func (r *segRun) judgeSources(win *window, secs float64) {
	if r.live() < 2 {
		return
	}
	ss := make([]sourceSample, len(r.sources))
	for w := range r.workers {
		if w.src.dropped == "" {
			ss[w.src.index].conns++
		}
	}
	for i, s := range r.sources {
		ss[i].rate = float64(s.bytes-win.src[i]) / secs
	}
	slow := slowSources(ss)
	best := 0.0
	for _, s := range ss {
		if s.conns > 0 {
			best = max(best, s.rate/float64(s.conns))
		}
	}
	for i, s := range r.sources {
		if !slices.Contains(slow, i) {
			s.slow = 0
			continue
		}
		if s.slow++; s.slow >= 2 && r.live() > 1 {
			r.drop(s, fmt.Errorf("too slow: %.1f MB/s per connection, another server gives %.1f MB/s", ss[i].rate/float64(ss[i].conns)/1e6, best/1e6), failSlow)
		}
	}
}
