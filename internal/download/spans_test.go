package download

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestNewSpanTable(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		size     int64
		done     []byteRange
		wantErr  bool
		frontier int64
		written  int64
	}{
		"empty":              {size: 100},
		"prefix":             {size: 100, done: []byteRange{{0, 40}}, frontier: 40, written: 40},
		"holes":              {size: 100, done: []byteRange{{10, 20}, {50, 100}}, written: 60},
		"whole":              {size: 100, done: []byteRange{{0, 100}}, frontier: 100, written: 100},
		"adjacent":           {size: 100, done: []byteRange{{0, 10}, {10, 20}}, frontier: 20, written: 20},
		"overlapping":        {size: 100, done: []byteRange{{0, 30}, {20, 40}}, wantErr: true},
		"unsorted":           {size: 100, done: []byteRange{{50, 60}, {0, 10}}, wantErr: true},
		"empty range":        {size: 100, done: []byteRange{{5, 5}}, wantErr: true},
		"backwards range":    {size: 100, done: []byteRange{{9, 5}}, wantErr: true},
		"past the end":       {size: 100, done: []byteRange{{90, 101}}, wantErr: true},
		"negative start":     {size: 100, done: []byteRange{{-1, 5}}, wantErr: true},
		"no size":            {size: 0, wantErr: true},
		"negative size":      {size: -5, wantErr: true},
		"range with no size": {size: 0, done: []byteRange{{0, 1}}, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tab, err := newSpanTable(tc.size, tc.done)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("newSpanTable accepted %v in %d bytes", tc.done, tc.size)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tab.frontier(); got != tc.frontier {
				t.Errorf("frontier %d, want %d", got, tc.frontier)
			}
			if got := tab.done(); got != tc.written {
				t.Errorf("done %d, want %d", got, tc.written)
			}
			checkCover(t, tab)
		})
	}
}

// checkCover asserts the table's invariants: contiguous spans covering the
// file, each with start ≤ pos ≤ busy ≤ end and ahead ≤ end.
func checkCover(t *testing.T, tab *spanTable) {
	t.Helper()
	at := int64(0)
	for _, s := range tab.spans {
		if s.start != at || s.end <= s.start || s.pos < s.start || s.busy < s.pos || s.busy > s.end || s.ahead > s.end {
			t.Fatalf("bad span %+v after byte %d", *s, at)
		}
		at = s.end
	}
	if at != tab.size {
		t.Fatalf("spans end at %d, file has %d", at, tab.size)
	}
}

// write writes n bytes for s as a connection would.
func write(tab *spanTable, s *span, n int64) {
	n = tab.reading(s, n)
	tab.reserve(s, n)
	tab.commit(s)
	s.ahead = s.pos
}

func TestSpanTableTakeInOrder(t *testing.T) {
	t.Parallel()
	tab, _ := newSpanTable(100, []byteRange{{0, 10}, {30, 40}})
	a, b, c := &worker{}, &worker{}, &worker{}
	got := []byteRange{}
	for _, w := range []*worker{a, b, c, a, b} {
		if s := tab.take(w, 15); s != nil {
			got = append(got, byteRange{s.start, s.end})
		}
	}
	// Pending bytes go out lowest first, at most a chunk each, and never
	// over a written range.
	want := []byteRange{{10, 25}, {25, 30}, {40, 55}, {55, 70}, {70, 85}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spans handed out (-want +got):\n%s", diff)
	}
	checkCover(t, tab)
}

func TestSpanTableSteal(t *testing.T) {
	t.Parallel()
	tab, _ := newSpanTable(1000, nil)
	slow, fast := &worker{}, &worker{}
	s := tab.take(slow, 0) // the whole file
	write(tab, s, 100)
	// slow is reading 100 more bytes: a steal must leave them to it.
	tab.reading(s, 100)
	up := tab.steal(fast, 10)
	if up == nil {
		t.Fatal("nothing stolen from 800 free bytes")
	}
	if up.start != 600 || up.end != 1000 || s.end != 600 {
		t.Errorf("stole %d-%d, slow keeps up to %d; want 600-1000 and 600", up.start, up.end, s.end)
	}
	if up.owner != fast || s.owner != slow {
		t.Error("owners mixed up")
	}
	checkCover(t, tab)
	// Too little left to share: nothing.
	tiny, _ := newSpanTable(30, nil)
	tiny.take(slow, 0)
	if tiny.steal(fast, 16) != nil {
		t.Error("stole from a span shorter than twice the minimum")
	}
	// A connection does not steal from itself.
	if tab.steal(fast, 10) == nil {
		t.Error("no steal from slow's span")
	}
	one, _ := newSpanTable(100, nil)
	one.take(fast, 0)
	if one.steal(fast, 10) != nil {
		t.Error("a connection stole from itself")
	}
}

func TestSpanTableTakeAt(t *testing.T) {
	t.Parallel()
	tab, _ := newSpanTable(100, nil)
	w, other := &worker{}, &worker{}
	s := tab.take(w, 20)
	write(tab, s, 20)
	s.owner = nil
	next := tab.takeAt(w, 20, 20)
	if next == nil || next.start != 20 || next.end != 40 {
		t.Fatalf("takeAt(20) = %+v, want 20-40", next)
	}
	o := tab.take(other, 20) // 40-60
	if tab.takeAt(w, 40, 20) != nil {
		t.Error("took a span another connection owns")
	}
	write(tab, o, 5) // 40-45 written; 45-60 still other's
	o.owner = nil
	if tab.takeAt(w, 40, 20) != nil {
		t.Error("took a span at an offset other than its next byte")
	}
	if tab.takeAt(w, 45, 20) == nil {
		t.Error("no span at the released span's next byte")
	}
	checkCover(t, tab)
}

func TestSpanTableFrontierAndWritten(t *testing.T) {
	t.Parallel()
	tab, _ := newSpanTable(100, nil)
	a, b := &worker{}, &worker{}
	sa := tab.take(a, 50)
	sb := tab.take(b, 50)
	write(tab, sb, 30) // 50-80
	if f := tab.frontier(); f != 0 {
		t.Errorf("frontier %d with nothing at byte 0", f)
	}
	write(tab, sa, 50) // 0-50: complete
	if f := tab.frontier(); f != 80 {
		t.Errorf("frontier %d, want 80", f)
	}
	if diff := cmp.Diff([]byteRange{{0, 80}}, tab.written()); diff != "" {
		t.Errorf("written (-want +got):\n%s", diff)
	}
	sa.owner = nil
	tab.compact()
	checkCover(t, tab)
	if tab.complete() || tab.done() != 80 {
		t.Errorf("complete=%v done=%d, want false and 80", tab.complete(), tab.done())
	}
	write(tab, sb, 20)
	if !tab.complete() || tab.frontier() != 100 {
		t.Errorf("complete=%v frontier=%d after the last byte", tab.complete(), tab.frontier())
	}
}

// Random connections taking, stealing, failing and writing in random
// order never write a byte twice, and the frontier only moves forward
// over written bytes.
func TestSpanTableRandomized(t *testing.T) {
	t.Parallel()
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 7))
		size := 1 + rng.Int64N(5000)
		var done []byteRange
		for at := int64(0); at < size; {
			n := 1 + rng.Int64N(size)
			if rng.IntN(3) == 0 && at+n <= size {
				done = append(done, byteRange{at, at + n})
			}
			at += n + rng.Int64N(50)
		}
		tab, err := newSpanTable(size, done)
		if err != nil {
			continue
		}
		written := make([]bool, size)
		for _, r := range done {
			for i := r.Start; i < r.End; i++ {
				written[i] = true
			}
		}
		workers := []*worker{{}, {}, {}, {}}
		held := map[*worker]*span{}
		last := int64(0)
		for step := 0; step < 10000 && !tab.complete(); step++ {
			w := workers[rng.IntN(len(workers))]
			s := held[w]
			switch {
			case s == nil:
				s = tab.take(w, 1+rng.Int64N(300))
				if s == nil {
					s = tab.steal(w, 1+rng.Int64N(20))
				}
				if s != nil {
					held[w] = s
				}
			case rng.IntN(10) == 0: // the connection fails
				tab.release(s)
				delete(held, w)
			case s.complete():
				s.owner = nil
				delete(held, w)
			default:
				from := s.pos
				n := tab.reading(s, 1+rng.Int64N(100))
				tab.reserve(s, n)
				tab.commit(s)
				s.ahead = s.pos
				for i := from; i < from+n; i++ {
					if written[i] {
						t.Fatalf("seed %d: byte %d written twice", seed, i)
					}
					written[i] = true
				}
			}
			if rng.IntN(20) == 0 {
				tab.compact()
			}
			f := tab.frontier()
			if f < last {
				t.Fatalf("seed %d: frontier went back from %d to %d", seed, last, f)
			}
			for i := last; i < f; i++ {
				if !written[i] {
					t.Fatalf("seed %d: frontier %d passed unwritten byte %d", seed, f, i)
				}
			}
			last = f
			checkCover(t, tab)
		}
		var want []byteRange
		for i := int64(0); i < size; i++ {
			if !written[i] {
				continue
			}
			if n := len(want); n > 0 && want[n-1].End == i {
				want[n-1].End++
			} else {
				want = append(want, byteRange{i, i + 1})
			}
		}
		if diff := cmp.Diff(want, tab.written(), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("seed %d: written ranges (-want +got):\n%s", seed, diff)
		}
	}
}
