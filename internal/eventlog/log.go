package eventlog

import (
	"sync"
)

// Entry is one event in the log.
type Entry struct {
	// ID numbers entries from 1, in the order they were appended.
	ID uint64
	// Type is the event type (report.Type…).
	Type string
	// Data is the event's JSON object.
	Data []byte
}

// Log keeps the last Capacity entries. It is safe for concurrent use.
type Log struct {
	mu     sync.Mutex
	ring   []Entry
	first  int    // index in ring of the oldest entry
	n      int    // entries held
	last   uint64 // ID of the newest entry; 0 when none was appended yet
	wake   chan struct{}
	closed bool
}

// New returns an empty log that keeps capacity entries (at least 1).
func New(capacity int) *Log {
	return &Log{ring: make([]Entry, max(1, capacity)), wake: make(chan struct{})}
}

// Append adds an entry and wakes every reader waiting for one. It never
// blocks on readers. Appending to a closed log does nothing.
func (l *Log) Append(typ string, data []byte) Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return Entry{}
	}
	l.last++
	e := Entry{ID: l.last, Type: typ, Data: data}
	if l.n < len(l.ring) {
		l.ring[(l.first+l.n)%len(l.ring)] = e
		l.n++
	} else {
		l.ring[l.first] = e
		l.first = (l.first + 1) % len(l.ring)
	}
	close(l.wake)
	l.wake = make(chan struct{})
	return e
}

// LastID is the ID of the newest entry (0 if none).
func (l *Log) LastID() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// Read is what a reader gets from Since.
type Read struct {
	// Entries follow the reader's position, oldest first.
	Entries []Entry
	// Missed counts entries after the reader's position that the log no
	// longer holds (they were pushed out before the reader got to them).
	Missed uint64
	// Reset is true when the reader's position is ahead of the log: it
	// comes from an earlier run of the service, whose IDs mean nothing
	// now. Entries then start at the oldest entry held.
	Reset bool
	// Wake is closed when an entry is appended after these, or the log
	// is closed.
	Wake <-chan struct{}
	// Closed says the log is closed: nothing more will come.
	Closed bool
}

// Since returns at most limit entries with IDs above after.
func (l *Log) Since(after uint64, limit int) Read {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := Read{Wake: l.wake, Closed: l.closed}
	if after > l.last {
		r.Reset = true
		after = 0
	}
	oldest := l.last - uint64(l.n) + 1 // ID of ring[first] when n > 0
	if l.n == 0 {
		oldest = l.last + 1
	}
	if after+1 < oldest {
		r.Missed = oldest - after - 1
		if r.Reset {
			r.Missed = 0 // unknown: the reader's IDs were another run's
		}
		after = oldest - 1
	}
	count := int(l.last - after)
	if count > limit {
		count = limit
	}
	if count > 0 {
		r.Entries = make([]Entry, count)
		start := l.first + int(after+1-oldest)
		for i := range count {
			r.Entries[i] = l.ring[(start+i)%len(l.ring)]
		}
	}
	return r
}

// Close wakes every reader for the last time; Since then reports Closed.
func (l *Log) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.wake)
	}
}
