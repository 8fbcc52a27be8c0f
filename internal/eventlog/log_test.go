package eventlog

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ids(es []Entry) []uint64 {
	var out []uint64
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func filled(capacity, appended int) *Log {
	l := New(capacity)
	for i := range appended {
		l.Append("progress", []byte(fmt.Sprintf(`{"n":%d}`, i+1)))
	}
	return l
}

func TestSince(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		capacity, appended int
		after              uint64
		limit              int
		wantIDs            []uint64
		wantMissed         uint64
		wantReset          bool
	}{
		"empty log":                     {capacity: 4, appended: 0, after: 0, limit: 10},
		"from the start":                {capacity: 4, appended: 3, after: 0, limit: 10, wantIDs: []uint64{1, 2, 3}},
		"resume in the middle":          {capacity: 4, appended: 3, after: 1, limit: 10, wantIDs: []uint64{2, 3}},
		"up to date":                    {capacity: 4, appended: 3, after: 3, limit: 10},
		"limit":                         {capacity: 8, appended: 6, after: 1, limit: 2, wantIDs: []uint64{2, 3}},
		"wrapped, resume inside":        {capacity: 4, appended: 10, after: 7, limit: 10, wantIDs: []uint64{8, 9, 10}},
		"wrapped, resume at the oldest": {capacity: 4, appended: 10, after: 6, limit: 10, wantIDs: []uint64{7, 8, 9, 10}},
		"fell behind: told what it missed": {
			capacity: 4, appended: 10, after: 2, limit: 10, wantIDs: []uint64{7, 8, 9, 10}, wantMissed: 4},
		"new reader on a wrapped log": {capacity: 4, appended: 10, after: 0, limit: 10, wantIDs: []uint64{7, 8, 9, 10}, wantMissed: 6},
		"an id from an earlier run": {
			capacity: 4, appended: 3, after: 99, limit: 10, wantIDs: []uint64{1, 2, 3}, wantReset: true},
		"an id from an earlier run, wrapped": {
			capacity: 4, appended: 10, after: 99, limit: 10, wantIDs: []uint64{7, 8, 9, 10}, wantReset: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l := filled(tc.capacity, tc.appended)
			r := l.Since(tc.after, tc.limit)
			if diff := cmp.Diff(tc.wantIDs, ids(r.Entries)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if r.Missed != tc.wantMissed || r.Reset != tc.wantReset {
				t.Errorf("missed %d reset %v, want %d %v", r.Missed, r.Reset, tc.wantMissed, tc.wantReset)
			}
			for _, e := range r.Entries {
				if want := fmt.Sprintf(`{"n":%d}`, e.ID); string(e.Data) != want {
					t.Errorf("entry %d holds %s, want %s", e.ID, e.Data, want)
				}
			}
		})
	}
}

func TestWake(t *testing.T) {
	t.Parallel()
	l := New(4)
	r := l.Since(0, 10)
	select {
	case <-r.Wake:
		t.Fatal("woken before anything was appended")
	default:
	}
	l.Append("resolve", []byte(`{}`))
	<-r.Wake // closed by the append
	l.Close()
	r = l.Since(1, 10)
	<-r.Wake
	if !r.Closed {
		t.Error("Since after Close does not say closed")
	}
	if e := l.Append("resolve", nil); e.ID != 0 {
		t.Errorf("append after close gave id %d", e.ID)
	}
}

// TestReadersFollow: concurrent readers following the log see every entry
// in order, or are told exactly how many they missed.
func TestReadersFollow(t *testing.T) {
	t.Parallel()
	const total = 5000
	l := New(64)
	var wg sync.WaitGroup
	for reader := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var pos, seen, missed uint64
			for {
				r := l.Since(pos, 16+reader)
				missed += r.Missed
				for _, e := range r.Entries {
					if e.ID <= pos {
						t.Errorf("reader %d: id %d after %d", reader, e.ID, pos)
					}
					pos = e.ID
					seen++
				}
				if len(r.Entries) == 0 {
					if r.Closed {
						break
					}
					<-r.Wake
				}
			}
			if seen+missed != total {
				t.Errorf("reader %d: saw %d and missed %d of %d", reader, seen, missed, total)
			}
		}()
	}
	for range total {
		l.Append("progress", nil)
	}
	l.Close()
	wg.Wait()
}
