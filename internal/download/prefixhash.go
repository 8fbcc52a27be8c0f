package download

import (
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
)

// prefixHasher hashes a partial file in order while several connections
// write it out of order. It follows the written prefix (the frontier): it
// reads only bytes below the frontier, which no write of this attempt will
// touch again, from the file itself (the page cache, since they were just
// written), so the digest is ready a moment after the last byte arrives
// and the file is never read a second time. Its memory is one buffer.
type prefixHasher struct {
	f      *os.File
	h      hash.Hash
	buf    []byte
	kick   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	hashed int64 // guarded by mu
	limit  int64 // frontier last told; guarded by mu
	final  int64 // -1 until the attempt knows the whole file is written
	err    error
}

const prefixHashBuf = 1 << 20

var errStopped = errors.New("stopped")

// newPrefixHasher starts hashing f from byte from (the bytes before it are
// already in h).
func newPrefixHasher(f *os.File, h hash.Hash, from int64) *prefixHasher {
	p := &prefixHasher{
		f: f, h: h, buf: make([]byte, prefixHashBuf),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		hashed: from, limit: from, final: -1,
	}
	go p.run()
	return p
}

// advance tells the hasher that every byte before frontier is written for
// good.
func (p *prefixHasher) advance(frontier int64) {
	p.mu.Lock()
	if frontier > p.limit {
		p.limit = frontier
	}
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *prefixHasher) run() {
	defer close(p.done)
	for {
		p.mu.Lock()
		from, to, final := p.hashed, p.limit, p.final
		p.mu.Unlock()
		if from < to {
			if err := p.hashRange(from, to); err != nil {
				p.mu.Lock()
				p.err = err
				p.mu.Unlock()
				return
			}
			continue
		}
		if final >= 0 && from >= final {
			return
		}
		select {
		case <-p.kick:
		case <-p.stop:
			return
		}
	}
}

// hashRange hashes [from, to) in buffer-sized reads, recording progress as
// it goes.
func (p *prefixHasher) hashRange(from, to int64) error {
	for from < to {
		select {
		case <-p.stop:
			return errStopped
		default:
		}
		n := min(int64(len(p.buf)), to-from)
		got, err := p.f.ReadAt(p.buf[:n], from)
		if int64(got) < n {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("hash partial %s at byte %d: %w", p.f.Name(), from+int64(got), err)
		}
		p.h.Write(p.buf[:n])
		from += n
		p.mu.Lock()
		p.hashed = from
		p.mu.Unlock()
	}
	return nil
}

// sum waits until the hasher has read every byte up to size and returns
// the digest.
func (p *prefixHasher) sum(size int64) ([]byte, error) {
	p.mu.Lock()
	p.final = size
	if size > p.limit {
		p.limit = size
	}
	p.mu.Unlock()
	p.advance(size)
	<-p.done
	if p.err != nil {
		return nil, p.err
	}
	if p.hashed != size {
		return nil, fmt.Errorf("hash partial %s: hashed %d of %d bytes", p.f.Name(), p.hashed, size)
	}
	return p.h.Sum(nil), nil
}

// close stops the hasher without a digest (the attempt failed). It may be
// called after sum.
func (p *prefixHasher) close() {
	select {
	case <-p.done:
		return
	default:
	}
	close(p.stop)
	<-p.done
}
