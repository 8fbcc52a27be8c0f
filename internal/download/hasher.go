package download

import (
	"hash"
)

// pipeHasher feeds a hash in its own goroutine, so that hashing overlaps
// with reading the network and writing the file. Write copies into one of a
// few reused buffers and hands full ones over; Sum flushes and waits.
// Memory is bufCount × bufSize whatever the file size.
type pipeHasher struct {
	h    hash.Hash
	cur  []byte
	work chan []byte
	free chan []byte
	done chan struct{}
	sum  []byte
}

const (
	hashBufSize  = 256 << 10
	hashBufCount = 4
)

func newPipeHasher(h hash.Hash) *pipeHasher {
	p := &pipeHasher{
		h:    h,
		work: make(chan []byte, hashBufCount),
		free: make(chan []byte, hashBufCount),
		done: make(chan struct{}),
	}
	for range hashBufCount - 1 {
		p.free <- make([]byte, 0, hashBufSize)
	}
	p.cur = make([]byte, 0, hashBufSize)
	go p.run()
	return p
}

func (p *pipeHasher) run() {
	defer close(p.done)
	for b := range p.work {
		p.h.Write(b)
		p.free <- b[:0]
	}
}

// Write hashes b (later, in order). It must not be called after Sum.
func (p *pipeHasher) Write(b []byte) {
	for len(b) > 0 {
		n := copy(p.cur[len(p.cur):cap(p.cur)], b)
		p.cur = p.cur[:len(p.cur)+n]
		b = b[n:]
		if len(p.cur) == cap(p.cur) {
			p.work <- p.cur
			p.cur = <-p.free
		}
	}
}

// Sum flushes, stops the goroutine and returns the digest. It may be called
// more than once.
func (p *pipeHasher) Sum() []byte {
	if p.sum != nil {
		return p.sum
	}
	if len(p.cur) > 0 {
		p.work <- p.cur
	}
	p.cur = nil
	close(p.work)
	<-p.done
	p.sum = p.h.Sum(nil)
	return p.sum
}
