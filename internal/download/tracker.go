package download

import (
	"fmt"
	"io"
	"time"

	"github.com/sandlabx/fetchd/internal/netpolicy"
)

// progressEvery is the least time between two progress reports.
const progressEvery = 200 * time.Millisecond

// tracker is go-getter's ProgressListener for one attempt. Its reader is
// the only path from the response body to the file: it enforces the idle
// timeout and the size, counts, and feeds the hash. go-getter is
// synchronous, so every call comes from the goroutine running Download.
type tracker struct {
	url    string
	offset int64 // bytes already in the partial and in the hash
	size   int64 // expected size, 0 if unknown
	max    int64
	idle   time.Duration
	onIdle func()
	hasher *pipeHasher
	report func(done, total int64, force bool)

	calls int
	body  *trackedBody
}

// TrackProgress implements getter.ProgressTracker.
func (t *tracker) TrackProgress(_ string, currentSize, totalSize int64, stream io.ReadCloser) io.ReadCloser {
	t.calls++
	if t.calls > 1 {
		stream.Close()
		return errBody{&restartError{reason: "go-getter opened a second body in one attempt"}}
	}
	if currentSize != t.offset {
		stream.Close()
		return errBody{&restartError{reason: fmt.Sprintf("go-getter resumes at byte %d, the hashed partial has %d", currentSize, t.offset)}}
	}
	total := t.size
	if total == 0 && totalSize > currentSize {
		total = totalSize
	}
	t.body = &trackedBody{
		t:     t,
		r:     netpolicy.NewIdleReader(stream, t.idle, t.onIdle),
		limit: t.max,
		total: total,
	}
	if t.size > 0 {
		t.body.limit = t.size
	}
	return t.body
}

// transferred returns the bytes received in this attempt, and whether a
// body was tracked at all.
func (t *tracker) transferred() (int64, bool) {
	if t.body == nil {
		return 0, false
	}
	return t.body.n, true
}

// trackedBody counts, caps and hashes the response body.
type trackedBody struct {
	t     *tracker
	r     *netpolicy.IdleReader
	n     int64 // bytes received in this attempt
	limit int64 // most bytes the file may hold
	total int64 // for progress: expected total, 0 if unknown
	err   error
}

func (b *trackedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	if n > 0 {
		if b.t.offset+b.n+int64(n) > b.limit {
			b.err = &SizeError{URL: b.t.url, What: "body", Got: b.t.offset + b.n + int64(n), Want: b.limit, Cap: b.t.size == 0}
			return 0, b.err
		}
		b.t.hasher.Write(p[:n])
		b.n += int64(n)
		b.t.report(b.t.offset+b.n, b.total, false)
	}
	return n, err
}

func (b *trackedBody) Close() error { return b.r.Close() }

// errBody is a body that fails at once.
type errBody struct{ err error }

func (e errBody) Read([]byte) (int, error) { return 0, e.err }
func (e errBody) Close() error             { return nil }
