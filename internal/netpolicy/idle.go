package netpolicy

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// IdleTimeoutError says that no byte arrived for Idle while a body was
// being read.
type IdleTimeoutError struct {
	Idle time.Duration
}

func (e *IdleTimeoutError) Error() string {
	return fmt.Sprintf("idle timeout: no data received for %s", e.Idle)
}

// Timeout reports true, like the net package's timeout errors.
func (e *IdleTimeoutError) Timeout() bool { return true }

// IdleReader wraps a response body and fails a Read with *IdleTimeoutError
// when no byte arrives for the timeout. The clock runs only while a Read is
// in progress: a slow consumer is not a slow server, and the whole transfer
// may take as long as it needs as long as bytes keep coming.
//
// When the timeout fires, IdleReader calls the onIdle function it was given
// (typically the cancel function of the request's context, which makes the
// transport abort the blocked Read), or closes the body if onIdle is nil.
// It uses a single time.AfterFunc timer and starts no goroutine of its own.
// After the timeout fired, every Read fails, even one that would have
// returned io.EOF: a canceled HTTP/1 chunked body can end in a bare io.EOF.
// Read must not be called concurrently; Close may be called at any time.
type IdleReader struct {
	r       io.ReadCloser
	timeout time.Duration
	onIdle  func()
	timer   *time.Timer
	fired   atomic.Bool
	closed  atomic.Bool
}

// NewIdleReader returns an IdleReader over r. A timeout ≤ 0 means
// DefaultIdleTimeout.
func NewIdleReader(r io.ReadCloser, timeout time.Duration, onIdle func()) *IdleReader {
	if timeout <= 0 {
		timeout = DefaultIdleTimeout
	}
	ir := &IdleReader{r: r, timeout: timeout, onIdle: onIdle}
	ir.timer = time.AfterFunc(time.Hour, ir.fire)
	ir.timer.Stop()
	return ir
}

func (r *IdleReader) fire() {
	r.fired.Store(true)
	if r.onIdle != nil {
		r.onIdle()
		return
	}
	r.r.Close()
}

// Read reads from the body; it fails with *IdleTimeoutError if the body
// stalled for the timeout.
func (r *IdleReader) Read(p []byte) (int, error) {
	if r.fired.Load() {
		return 0, &IdleTimeoutError{Idle: r.timeout}
	}
	r.timer.Reset(r.timeout)
	n, err := r.r.Read(p)
	r.timer.Stop()
	if err != nil && r.fired.Load() {
		// Once the request is canceled, net/http may end a chunked body
		// with a plain io.EOF: never let a timeout pass for the end.
		return n, &IdleTimeoutError{Idle: r.timeout}
	}
	return n, err
}

// Close stops the timer and closes the body.
func (r *IdleReader) Close() error {
	r.timer.Stop()
	if r.closed.Swap(true) {
		return nil
	}
	return r.r.Close()
}
