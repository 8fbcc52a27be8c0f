package download

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"os"
	"sync"

	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// source is one URL the artifact's bytes may come from: Request.URL (the
// primary) or one of Request.Mirrors.
type source struct {
	url   string
	host  string // host:port, the unit of the per-host cap
	index int    // 0 for the primary

	val     validators // what its first answer said about the file
	known   bool       // val is set
	workers int        // connections open to it now
	bytes   int64      // body bytes received from it and written

	gotSinceFail bool // a byte arrived since its last failure
	failures     int
	slow         int // consecutive windows in which it was slow

	dropped string // why it is no longer used; "" while it is
	dropErr error
	kind    failKind
}

// failKind is why a source was dropped; it decides what the attempt
// does when no source is left.
type failKind int

const (
	failTransient failKind = iota + 1 // network, timeout, short body: resume later
	failRefused                       // status, redirect policy: an error
	failRange                         // cannot be trusted with ranges: one connection from zero
	failSlow                          // much slower than another source
	failEarlier                       // a mirror dropped by an earlier download of the run
)

// maxSourceFailures bounds the failed requests to one source in one
// attempt, even when each of them made some progress.
const maxSourceFailures = 8

// worker is one connection of a segmented download.
type worker struct {
	src    *source
	buf    []byte
	active bool                    // has received a byte: counts in rate samples
	cancel context.CancelCauseFunc // ends its current request; nil between requests
	// peers is how many other connections were open to its host, over
	// every download, when its current request was sent: a server that
	// turns the request away accepts no more than that many.
	peers int
}

// Tuning of the segmented download. The sizes are floors and caps; the
// chunk a connection asks for follows the measured rate so that each
// request lasts about chunkTime.
const (
	defaultMinChunk = 1 << 20
	firstChunk      = 4 << 20
	maxChunk        = 64 << 20
	workerBuf       = 256 << 10
)

// segRun is one attempt of a download over ranges: several connections,
// possibly to several sources, each writing its span at its offset in the
// partial, one hasher following the written prefix.
type segRun struct {
	d      *Downloader
	req    Request
	path   string
	spath  string // resume state
	client *http.Client
	policy netpolicy.Policy
	rep    *reporter
	ctx    context.Context
	cancel context.CancelCauseFunc

	f      *os.File
	h      hash.Hash
	hasher *prefixHasher

	mu          sync.Mutex
	table       *spanTable
	size        int64 // known total; 0 until known
	kept        []byteRange
	keptVal     map[string]validators // what each server said, from the resume state
	reused      int64
	done        int64 // bytes written in the partial, kept ones included
	savedDone   int64 // done when the resume state was last saved
	transferred int64
	responses   int // answers whose bytes were written
	restarted   bool
	sources     []*source
	workers     map[*worker]struct{}
	gen         int // changes when a worker starts receiving or ends
	rule        connRule
	chunk       int64
	probeLast   int64 // the last byte the probe's answer holds
	peak        int
	endErr      error
	fallback    *fallbackError
	wake        chan struct{}
	wg          sync.WaitGroup
}

// fallbackError says the attempt gave up on ranges: the download starts
// over from byte 0 on one connection to url.
type fallbackError struct {
	url    string
	reason string
}

func (e *fallbackError) Error() string { return "falling back to one connection: " + e.reason }

func (d *Downloader) newSegRun(ctx context.Context, req Request, client *http.Client, policy netpolicy.Policy, path string, rep *reporter) *segRun {
	r := &segRun{
		d: d, req: req, path: path, spath: path + StateSuffix, client: segClient(client, policy, req.Transport),
		policy: policy, rep: rep, workers: map[*worker]struct{}{}, wake: make(chan struct{}, 1),
	}
	r.ctx, r.cancel = context.WithCancelCause(ctx)
	for i, raw := range append([]string{req.URL}, req.Mirrors...) {
		u, _ := url.Parse(raw) // check parsed it
		src := &source{url: u.String(), host: netpolicy.HostPort(u), index: i}
		if why := d.hosts.droppedMirror(src.host); i > 0 && why != "" {
			// A mirror that failed or was too slow is not asked again
			// in the same run; the primary always is.
			src.dropped, src.kind = "earlier in this run: "+why, failEarlier
			src.dropErr = errors.New(src.dropped)
		}
		r.sources = append(r.sources, src)
	}
	switch {
	case d.rule != nil:
		r.rule = d.rule(req.Connections)
	case req.Connections > 0:
		r.rule = fixedRule{n: req.Connections}
	default:
		r.rule = newAutoRule(MaxConnectionsPerHost)
	}
	return r
}

// segClient is c with the policy's redirect rule in front of its own, no
// total deadline, and the request's own transport if it has one.
func segClient(c *http.Client, p netpolicy.Policy, tr http.RoundTripper) *http.Client {
	hc := *c
	hc.Timeout = 0
	if tr != nil {
		hc.Transport = tr
	}
	next := c.CheckRedirect
	hc.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if err := p.CheckRedirect(r, via); err != nil {
			return err
		}
		if next != nil {
			return next(r, via)
		}
		return nil
	}
	return &hc
}

func (r *segRun) minChunk() int64 {
	if r.d.MinSegment > 0 {
		return r.d.MinSegment
	}
	return defaultMinChunk
}

// run does the attempt. A *fallbackError asks the caller to start over on
// one connection; every other error is final for the attempt, as in
// attemptRun.fail.
func (r *segRun) run() (Result, error) {
	defer r.cancel(nil)
	complete, err := r.prepare()
	if r.f != nil {
		defer r.f.Close()
	}
	if r.hasher != nil {
		defer func() { r.hasher.close() }()
	}
	if errors.As(err, new(*NoSpaceError)) {
		return r.result(), r.finishErr(err)
	}
	if err != nil || complete {
		return r.result(), err
	}
	w, s, resp, whole, err := r.probe()
	if err != nil {
		return r.result(), r.finishErr(err)
	}
	if whole {
		err := r.stream(w, resp)
		r.exit(w)
		if err != nil {
			return r.result(), r.finishErr(err)
		}
		return r.result(), r.verify()
	}
	r.mu.Lock()
	r.spawn()
	r.mu.Unlock()
	r.start(w, s, resp)
	r.control()
	r.wg.Wait()
	switch {
	case r.endErr != nil:
		return r.result(), r.finishErr(r.endErr)
	case r.fallback != nil:
		return r.result(), r.giveUpRanges(r.fallback)
	case !r.table.complete():
		return r.result(), r.finishErr(r.interrupted(context.Cause(r.ctx)))
	}
	return r.result(), r.verify()
}

// prepare opens the partial, reads its resume state and starts the
// hasher over what it keeps. complete is true when the partial already
// holds the whole artifact, which only its digest can say.
func (r *segRun) prepare() (complete bool, err error) {
	req := r.req
	f, err := openPartial(r.path)
	if err != nil {
		return false, fmt.Errorf("download %s: %w", req.URL, err)
	}
	r.f = f
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("download %s: %w", req.URL, err)
	}
	st, serr := readState(r.spath, req.Digest, req.MaxSize)
	switch {
	case serr != nil:
		// Not ours, not whole, or not this artifact's: trust none of it.
		if err := r.reset(); err != nil {
			return false, err
		}
	case st != nil && (fi.Size() < st.end() || (req.Size > 0 && st.Size != req.Size)):
		if err := r.reset(); err != nil {
			return false, err
		}
	case st != nil:
		r.kept, r.size, r.keptVal = st.ranges(), st.Size, st.Servers
	case fi.Size() > 0 && ((req.Size > 0 && fi.Size() > req.Size) || fi.Size() > req.MaxSize):
		// Longer than the artifact can be: not a prefix of it.
		if err := r.reset(); err != nil {
			return false, err
		}
	case fi.Size() > 0:
		r.kept = []byteRange{{0, fi.Size()}}
	}
	if req.Size > 0 {
		r.size = req.Size
	}
	for _, k := range r.kept {
		r.reused += k.End - k.Start
	}
	r.done = r.reused
	if req.Size > 0 {
		if err := CheckFreeSpace(req.PartialDir, req.Size-r.reused); err != nil {
			return false, err
		}
	}
	r.h = newHash(req.Digest.Algorithm)
	from := int64(0)
	if prefix := firstGap(r.kept); prefix > 0 && (r.size == 0 || prefix == r.size) {
		// A prefix that may be the whole file: hash it now; its digest
		// says whether anything is left to fetch.
		if err := hashPrefix(f, prefix, r.h); err != nil {
			return false, fmt.Errorf("download %s: %w", req.URL, err)
		}
		if hex.EncodeToString(r.h.Sum(nil)) == req.Digest.Hex {
			r.size = prefix
			return true, removeState(r.spath)
		}
		if prefix == r.size {
			// Every byte there, the wrong digest: start over.
			if err := r.reset(); err != nil {
				return false, err
			}
			r.h.Reset()
			prefix = 0
		}
		from = prefix
	}
	r.hasher = newPrefixHasher(f, r.h, from)
	r.hasher.advance(firstGap(r.kept))
	return false, nil
}

// firstGap is the end of the written prefix described by kept.
func firstGap(kept []byteRange) int64 {
	if len(kept) > 0 && kept[0].Start == 0 {
		return kept[0].End
	}
	return 0
}

// reset throws away what the partial holds: the resume state first (a
// partial without one is a prefix), then the bytes.
func (r *segRun) reset() error {
	if err := removeState(r.spath); err != nil {
		return err
	}
	if err := r.f.Truncate(0); err != nil {
		return fmt.Errorf("download %s: truncate partial: %w", r.req.URL, err)
	}
	r.kept, r.keptVal, r.reused, r.done, r.restarted = nil, nil, 0, 0, true
	r.size, r.table = r.req.Size, nil
	if r.hasher != nil {
		r.hasher.close()
		r.h.Reset()
		r.hasher = newPrefixHasher(r.f, r.h, 0)
	}
	return nil
}

// result is what the attempt did so far.
func (r *segRun) result() Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := Result{Path: r.path, Size: r.size, Reused: r.reused, Transferred: r.transferred, Restarted: r.restarted, Connections: r.peak}
	for _, s := range r.sources {
		res.Sources = append(res.Sources, SourceStat{URL: s.url, Bytes: s.bytes, Dropped: s.dropped})
	}
	return res
}

// assembled reports whether the file was put together from more than one
// answer (or kept bytes): then a digest mismatch may be one server's.
func (r *segRun) assembled() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.responses > 1 || r.reused > 0
}

// verify waits for the digest of the whole file and checks it and the
// file's size.
func (r *segRun) verify() error {
	req := r.req
	if req.Size > 0 && r.size != req.Size {
		return r.finishErr(&SizeError{URL: req.URL, What: "body", Got: r.size, Want: req.Size})
	}
	sum, err := r.hasher.sum(r.size)
	if err != nil {
		return r.finishErr(fmt.Errorf("download %s: %w", req.URL, err))
	}
	fi, err := r.f.Stat()
	if err != nil {
		return fmt.Errorf("download %s: %w", req.URL, err)
	}
	if fi.Size() != r.size {
		return r.finishErr(&SizeError{URL: req.URL, What: "file", Got: fi.Size(), Want: r.size})
	}
	got := checksum.Digest{Algorithm: req.Digest.Algorithm, Hex: hex.EncodeToString(sum)}
	if got != req.Digest {
		return r.finishErr(&DigestMismatchError{URL: req.URL, Want: req.Digest, Got: got})
	}
	return removeState(r.spath)
}

// finishErr classifies an error that ends the attempt like the
// one-connection path does (attemptRun.fail: a partial known to be bad is
// deleted, an interruption keeps it), keeping the resume state with a
// partial that is kept and removing it with one that is not.
func (r *segRun) finishErr(err error) error {
	var (
		ie *InterruptedError
		ae *AllSourcesError
		ns *NoSpaceError
	)
	switch {
	case errors.As(err, &ie):
		if ie.URL == r.req.URL {
			ie.Done = r.doneBytes() // writes in flight when it was made have landed
		}
	case errors.As(err, &ae):
		err = fmt.Errorf("download %s: %w", r.req.URL, err)
	case errors.As(err, &ns):
		// Refused before a byte was written: an empty partial goes, one
		// with bytes stays for when there is room.
		if r.doneBytes() == 0 {
			err = errors.Join(err, removePartial(r.path))
		}
		err = fmt.Errorf("download %s: %w", r.req.URL, err)
	default:
		a := &attemptRun{req: r.req, path: r.path}
		err = a.fail(err, r.doneBytes())
	}
	if _, serr := os.Lstat(r.path); errors.Is(serr, os.ErrNotExist) {
		return errors.Join(err, removeState(r.spath))
	}
	r.saveState() // the partial is kept: say what it holds
	return err
}

// giveUpRanges empties the partial for a download from zero on one
// connection.
func (r *segRun) giveUpRanges(fb *fallbackError) error {
	if err := r.reset(); err != nil {
		return err
	}
	return fb
}

func (r *segRun) doneBytes() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done
}

// interrupted is the error for an attempt that stopped with bytes left
// to fetch: the partial and its state are kept for the next call.
func (r *segRun) interrupted(cause error) error {
	if cause == nil {
		cause = errors.New("no server left to fetch from")
	}
	return &InterruptedError{URL: r.req.URL, Done: r.doneBytes(), Total: r.size, Err: cause}
}

// saveState records which bytes the partial holds, when the attempt got
// as far as knowing the file's size and writing out of order. Only the
// controller and the end of run call it.
func (r *segRun) saveState() {
	r.mu.Lock()
	if r.table == nil {
		r.mu.Unlock()
		return
	}
	st := &segState{Version: stateVersion, Digest: r.req.Digest.String(), Size: r.size, Servers: map[string]validators{}}
	for _, w := range r.table.written() {
		st.Written = append(st.Written, [2]int64{w.Start, w.End})
	}
	for _, s := range r.sources {
		if s.known {
			st.Servers[s.url] = s.val
		}
	}
	r.savedDone = r.done
	r.mu.Unlock()
	_ = writeState(r.spath, st) // a lost state costs bytes, never safety
}
