package download

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/netpolicy"
)

// The automatic rule, fed the rates a link would give: it needs no clock,
// so each case is a list of observations and the connections asked for
// after each.
func TestAutoRule(t *testing.T) {
	t.Parallel()
	// perConn caps each connection, link caps the total: the rate n
	// connections get.
	link := func(perConn, total float64) func(n int) float64 {
		return func(n int) float64 { return min(float64(n)*perConn, total) }
	}
	tests := map[string]struct {
		rate  func(n int) float64
		max   int
		wants []int // connections asked for after each observation
	}{
		"one connection fills the link": {
			rate:  link(500, 400),
			max:   16,
			wants: []int{2, 1, 1},
		},
		"capped per connection: quadruples to the cap": {
			rate:  link(25, 1e9),
			max:   16,
			wants: []int{2, 8, 16, 16, 16},
		},
		"25 per connection, 325 total (aria2c -x16's link here)": {
			// 8 connections give 200, 16 give 325: 5 connections' worth
			// for 8 added is not worth 8; it settles on 8+5.
			rate:  link(25, 325),
			max:   16,
			wants: []int{2, 8, 16, 13, 13},
		},
		"scaling that fades: doubles, then settles": {
			// Each connection after the second brings 80% of one.
			rate:  func(n int) float64 { return 100 + 100*min(float64(n-1), 1) + 80*max(float64(n-2), 0) },
			max:   16,
			wants: []int{2, 8, 16, 16},
		},
		"a fifth connection's worth": {
			rate:  link(25, 110),
			max:   16,
			wants: []int{2, 8, 4, 4},
		},
		"200 per connection, 330 total (the disk)": {
			// The second connection brings 0.65 of one: kept, no more.
			rate:  link(200, 330),
			max:   16,
			wants: []int{2, 2, 2},
		},
		"explicit cap": {
			rate:  link(25, 1e9),
			max:   3,
			wants: []int{2, 3, 3},
		},
		"80% scaling: doubles": {
			rate:  func(n int) float64 { return 100 * (1 + 0.8*float64(n-1)) },
			max:   16,
			wants: []int{2, 4, 8, 16, 16},
		},
		"cap of one": {
			rate:  link(25, 1e9),
			max:   1,
			wants: []int{1, 1},
		},
		"noise of a few percent keeps one": {
			rate:  func(n int) float64 { return 400 + float64(n)*8 },
			max:   16,
			wants: []int{2, 1},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newAutoRule(tc.max)
			if r.want() != 1 {
				t.Fatalf("starts with %d connections, want 1", r.want())
			}
			var got []int
			for range tc.wants {
				n := r.want()
				got = append(got, r.observe(rateSample{conns: n, rate: tc.rate(n)}))
			}
			if diff := cmp.Diff(tc.wants, got); diff != "" {
				t.Errorf("connections asked for (-want +got):\n%s", diff)
			}
		})
	}
}

// Samples taken while the connections the rule asked for were not all
// receiving do not count.
func TestAutoRuleIgnoresPartialSamples(t *testing.T) {
	t.Parallel()
	r := newAutoRule(16)
	r.observe(rateSample{conns: 1, rate: 25})
	if r.want() != 2 {
		t.Fatalf("want %d after the first sample, want 2", r.want())
	}
	for _, s := range []rateSample{{conns: 1, rate: 25}, {conns: 3, rate: 75}, {conns: 2, rate: 0}} {
		if got := r.observe(s); got != 2 {
			t.Errorf("observe(%+v) = %d, want it ignored (2)", s, got)
		}
	}
	if got := r.observe(rateSample{conns: 2, rate: 50}); got != 8 {
		t.Errorf("a full sample at 2 connections, scaling perfectly: %d, want 8", got)
	}
}

func TestSlowSources(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   []sourceSample
		want []int
	}{
		"equal":                 {in: []sourceSample{{4, 100}, {4, 100}}},
		"one at a fifth":        {in: []sourceSample{{4, 100}, {4, 20}}, want: []int{1}},
		"per connection counts": {in: []sourceSample{{8, 200}, {1, 20}}},
		"just under a quarter":  {in: []sourceSample{{1, 100}, {1, 24}}, want: []int{1}},
		"a quarter is not slow": {in: []sourceSample{{1, 100}, {1, 25}}},
		"stalled":               {in: []sourceSample{{2, 100}, {2, 0}}, want: []int{1}},
		"no connection: judged": {in: []sourceSample{{2, 100}, {0, 0}}},
		"alone":                 {in: []sourceSample{{2, 1}}},
		"the primary is slow":   {in: []sourceSample{{2, 1}, {2, 100}, {2, 90}}, want: []int{0}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, slowSources(tc.in)); diff != "" {
				t.Errorf("slow (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHostSlots(t *testing.T) {
	t.Parallel()
	var h hostSlots
	for i := range MaxConnectionsPerHost {
		if !h.acquire("a:443", i == 0) {
			t.Fatalf("slot %d refused", i)
		}
	}
	if h.acquire("a:443", false) {
		t.Error("a slot over the cap")
	}
	if !h.acquire("b:443", false) {
		t.Error("another host shares the first one's cap")
	}
	if !h.acquire("a:443", true) {
		t.Error("a download's only connection was refused")
	}
	h.release("a:443")
	h.release("a:443")
	if !h.acquire("a:443", false) {
		t.Error("no slot after two were released")
	}
	h.lower("a:443", 3)
	if h.acquire("a:443", false) || h.limit("a:443") != 3 {
		t.Errorf("cap %d after lower(3), want 3 and no slot", h.limit("a:443"))
	}
	h.lower("a:443", 0)
	if h.limit("a:443") != 1 {
		t.Errorf("cap %d, want at least 1", h.limit("a:443"))
	}
}

// A source whose connections each bring less than a quarter of the best
// source's is dropped after two such windows in a row, never the last
// source, and one good window clears it.
func TestJudgeSources(t *testing.T) {
	t.Parallel()
	d := New(nil, netpolicy.Policy{})
	req := Request{URL: "https://a/x", Mirrors: []string{"https://b/x", "https://c/x"}, Connections: 6}
	r := d.newSegRun(t.Context(), req, &http.Client{}, d.Policy, "/nonexistent", newReporter(nil))
	for _, src := range r.sources {
		for range 2 {
			r.workers[&worker{src: src, active: true}] = struct{}{}
		}
	}
	// window feeds one second of rates (bytes per connection) and judges.
	window := func(perConn ...int64) {
		win := &window{src: r.srcBytes()}
		for i, s := range r.sources {
			s.bytes += 2 * perConn[i]
		}
		r.mu.Lock()
		r.judgeSources(win, 1)
		r.mu.Unlock()
	}
	dropped := func() []bool {
		var out []bool
		for _, s := range r.sources {
			out = append(out, s.dropped != "")
		}
		return out
	}
	window(100, 90, 10) // c slow once
	if diff := cmp.Diff([]bool{false, false, false}, dropped()); diff != "" {
		t.Fatalf("after one slow window (-want +got):\n%s", diff)
	}
	window(100, 90, 50) // c fine again
	window(100, 90, 10) // slow once more: the count started over
	if diff := cmp.Diff([]bool{false, false, false}, dropped()); diff != "" {
		t.Fatalf("after slow, fine, slow (-want +got):\n%s", diff)
	}
	window(100, 90, 10) // twice running: dropped
	if diff := cmp.Diff([]bool{false, false, true}, dropped()); diff != "" {
		t.Fatalf("after two slow windows (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.sources[2].dropped, "too slow") {
		t.Errorf("dropped for %q", r.sources[2].dropped)
	}
	// With c gone, b is slow against a twice: dropped; a is never judged
	// alone.
	for range 3 {
		for w := range r.workers {
			if w.src.dropped != "" {
				delete(r.workers, w)
			}
		}
		window(100, 5, 0)
	}
	if diff := cmp.Diff([]bool{false, true, true}, dropped()); diff != "" {
		t.Fatalf("the last source must stay (-want +got):\n%s", diff)
	}
}
