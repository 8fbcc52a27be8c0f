package download

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"

	getter "github.com/hashicorp/go-getter/v2"

	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/internal/urlrule"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// Request says what to download and where.
type Request struct {
	URL        string          // already checked by the caller with netpolicy.CheckURL and urlrule.Check; checked again here
	PartialDir string          // <dir>/.fetchd/partial: exists, on the image directory's filesystem
	Digest     checksum.Digest // expected digest; required
	Size       int64           // expected size in bytes; 0 = unknown
	MaxSize    int64           // cap when Size is unknown, and absolute cap; required > 0
	Progress   func(Progress)  // optional; called at most about 5 times a second, and once at the end
}

// Progress is a snapshot of a download.
type Progress struct {
	Done   int64 // bytes in the partial file, reused ones included
	Total  int64 // expected size; 0 = unknown
	Reused int64 // bytes kept from a previous partial
}

// Result describes a finished download.
type Result struct {
	Path        string // the complete, digest-verified partial file (mode 0600)
	Size        int64  // its size
	Reused      int64  // bytes kept from a previous partial
	Transferred int64  // body bytes received in this call, over all attempts
	Restarted   bool   // a resume was abandoned and the download started from zero
}

// Downloader downloads images under one network policy.
type Downloader struct {
	// Client is the HTTP client go-getter uses; nil means Policy.Client().
	// Its Transport is wrapped per attempt, its CheckRedirect is kept and
	// Policy.CheckRedirect is applied as well.
	Client *http.Client
	// Policy bounds every request (URL rules, redirects, idle timeout).
	Policy netpolicy.Policy
	// RetryFromZero retries once from zero after a digest mismatch on a
	// resumed partial. New sets it; the zero Downloader does not retry.
	RetryFromZero bool
}

// New returns a Downloader with RetryFromZero set.
func New(c *http.Client, p netpolicy.Policy) *Downloader {
	return &Downloader{Client: c, Policy: p, RetryFromZero: true}
}

// maxAttempts bounds the attempts of one Download: a range restart, and a
// retry from zero after a mismatch on a resumed partial.
const maxAttempts = 3

// Download fetches req.URL into PartialPath(req.PartialDir, req.Digest),
// resuming what is already there, and returns once the whole file has the
// expected digest. On a digest or size error the partial is deleted; on an
// interruption (*InterruptedError) it is kept for the next call.
func (d *Downloader) Download(ctx context.Context, req Request) (Result, error) {
	if err := d.check(req); err != nil {
		return Result{}, err
	}
	client := d.Client
	if client == nil {
		c, err := d.Policy.Client()
		if err != nil {
			return Result{}, fmt.Errorf("download %s: %w", req.URL, err)
		}
		client = c
	}
	policy := d.Policy.WithDefaults()
	path := PartialPath(req.PartialDir, req.Digest)
	rep := newReporter(req.Progress)

	var res Result
	retried := false
	for attempt := 1; ; attempt++ {
		a := &attemptRun{d: d, client: client, policy: policy, req: req, path: path, rep: rep}
		r, err := a.run(ctx)
		res.Transferred += r.Transferred
		res.Restarted = res.Restarted || r.Restarted
		if err == nil {
			res.Path, res.Size, res.Reused = path, r.Size, r.Reused
			rep.final(res.Size, req.Size, res.Reused)
			return res, nil
		}
		var re *restartError
		var dm *DigestMismatchError
		switch {
		case attempt >= maxAttempts:
		case errors.As(err, &re) && r.Reused > 0:
			if terr := truncatePartial(path); terr != nil {
				return res, terr
			}
			res.Restarted = true
			continue
		case errors.As(err, &dm) && r.Reused > 0 && d.RetryFromZero && !retried:
			// The partial is already deleted.
			retried = true
			res.Restarted = true
			continue
		}
		if errors.As(err, &re) {
			err = fmt.Errorf("download %s: %w", req.URL, err)
		}
		return res, err
	}
}

// check validates the request before anything touches the disk or the
// network.
func (d *Downloader) check(req Request) error {
	if err := req.Digest.Validate(); err != nil {
		return fmt.Errorf("download %s: expected digest: %w", req.URL, err)
	}
	if req.MaxSize <= 0 {
		return fmt.Errorf("download %s: size cap must be positive, got %d", req.URL, req.MaxSize)
	}
	if req.Size < 0 || req.Size > req.MaxSize {
		return fmt.Errorf("download %s: expected size %d outside 0..%d", req.URL, req.Size, req.MaxSize)
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		return &netpolicy.PolicyError{URL: req.URL, Reason: fmt.Sprintf("does not parse: %v", err)}
	}
	if err := d.Policy.CheckURL(u); err != nil {
		return err
	}
	base := ""
	if u.Scheme == "http" {
		base = "http://" + netpolicy.HostPort(u) // CheckURL allowed it
	}
	if _, err := urlrule.Check(req.URL, base); err != nil {
		return err
	}
	fi, err := os.Stat(req.PartialDir)
	if err != nil {
		return fmt.Errorf("download %s: partial directory: %w", req.URL, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("download %s: partial directory %s is not a directory", req.URL, req.PartialDir)
	}
	return nil
}

// attemptRun is one go-getter run over the partial as it is on disk.
type attemptRun struct {
	d      *Downloader
	client *http.Client
	policy netpolicy.Policy
	req    Request
	path   string
	rep    *reporter
}

// run prepares the partial, hashes what it holds, lets go-getter fetch the
// rest and verifies the whole. Result.Reused is the prefix it resumed from
// (what a restart would throw away).
func (a *attemptRun) run(ctx context.Context) (Result, error) {
	req := a.req
	f, err := openPartial(a.path)
	if err != nil {
		return Result{}, fmt.Errorf("download %s: %w", req.URL, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return Result{}, fmt.Errorf("download %s: %w", req.URL, err)
	}
	off := fi.Size()
	var res Result
	if (req.Size > 0 && off > req.Size) || off > req.MaxSize {
		// Larger than the artifact can be: not a prefix of it.
		if err := f.Truncate(0); err != nil {
			f.Close()
			return res, fmt.Errorf("download %s: truncate partial: %w", req.URL, err)
		}
		off, res.Restarted = 0, true
	}
	h := newHash(req.Digest.Algorithm)
	if off > 0 {
		if err := hashPrefix(f, off, h); err != nil {
			f.Close()
			return res, fmt.Errorf("download %s: %w", req.URL, err)
		}
		if (req.Size == 0 || off == req.Size) && hex.EncodeToString(h.Sum(nil)) == req.Digest.Hex {
			// Complete, and the digest says so: no request at all.
			f.Close()
			return Result{Size: off, Reused: off}, nil
		}
		if off == req.Size {
			// Full size, wrong bytes: start over.
			if err := f.Truncate(0); err != nil {
				f.Close()
				return res, fmt.Errorf("download %s: truncate partial: %w", req.URL, err)
			}
			off, res.Restarted = 0, true
			h.Reset()
		}
	}
	f.Close()
	res.Reused = off
	if req.Size > 0 {
		if err := CheckFreeSpace(req.PartialDir, req.Size-off); err != nil {
			if off == 0 {
				removePartial(a.path) // empty; a non-empty one is kept for later
			}
			return res, fmt.Errorf("download %s: %w", req.URL, err)
		}
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idle := &netpolicy.IdleTimeoutError{Idle: a.policy.IdleTimeout}
	hasher := newPipeHasher(h)
	defer hasher.Sum() // always stop the goroutine
	g := &guard{base: transport(a.client), policy: a.policy, url: mustCanonical(req.URL), offset: off, size: req.Size, max: req.MaxSize}
	t := &tracker{
		url: req.URL, offset: off, size: req.Size, max: req.MaxSize,
		idle: a.policy.IdleTimeout, onIdle: func() { cancel(idle) }, hasher: hasher,
		report: func(done, total int64, force bool) { a.rep.report(done, total, off, force) },
	}
	a.rep.report(off, req.Size, off, true)
	err = a.get(ctx, g, t, off)
	n, tracked := t.transferred()
	res.Transferred = n
	if cause := context.Cause(ctx); cause != nil && (err == nil || errors.Is(err, context.Canceled)) {
		// A canceled chunked body can end in a bare io.EOF, and go-getter
		// reports its own context check rather than the idle timeout.
		err = cause
	}
	if err != nil {
		return res, a.fail(err, off+n)
	}
	if !tracked {
		// go-getter decided from the HEAD alone that the partial is
		// complete; the digest of the prefix already said it is not.
		if off > 0 {
			return res, &restartError{reason: "the server's file is not longer than the partial"}
		}
		return res, fmt.Errorf("download %s: go-getter returned without transferring anything", req.URL)
	}
	total := off + n
	if req.Size > 0 && total != req.Size {
		return res, a.fail(&SizeError{URL: req.URL, What: "body", Got: total, Want: req.Size}, total)
	}
	st, err := os.Lstat(a.path)
	if err != nil {
		return res, fmt.Errorf("download %s: partial missing after transfer: %w", req.URL, err)
	}
	if !st.Mode().IsRegular() || st.Size() != total {
		return res, a.fail(&SizeError{URL: req.URL, What: "file", Got: st.Size(), Want: total}, total)
	}
	got := checksum.Digest{Algorithm: req.Digest.Algorithm, Hex: hex.EncodeToString(hasher.Sum())}
	if got != req.Digest {
		return res, a.fail(&DigestMismatchError{URL: req.URL, Want: req.Digest, Got: got}, total)
	}
	res.Size = total
	return res, nil
}

// get runs go-getter, held as SECURITY.md says.
func (a *attemptRun) get(ctx context.Context, g *guard, t *tracker, off int64) error {
	hc := *a.client
	hc.Transport = g
	hc.Timeout = 0 // a total deadline would cut off a slow but live download
	policy, next := a.policy, a.client.CheckRedirect
	hc.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if err := policy.CheckRedirect(r, via); err != nil {
			return err
		}
		if next != nil {
			return next(r, via)
		}
		return nil
	}
	header := http.Header{}
	header.Set("User-Agent", a.policy.UserAgent)
	header.Set("Accept-Encoding", "identity") // the bytes hashed are the bytes on the wire
	h := &getter.HttpGetter{
		Client:                &hc,
		Header:                header,
		Netrc:                 false,
		XTerraformGetDisabled: true,
		ReadTimeout:           0,        // a total deadline; the idle timeout is the tracker's
		DoNotCheckHeadFirst:   off == 0, // go-getter resumes only after a HEAD
	}
	c := &getter.Client{
		Getters:         []getter.Getter{h},
		Decompressors:   map[string]getter.Decompressor{},
		DisableSymlinks: true,
	}
	_, err := c.Get(ctx, &getter.Request{
		Src:              a.req.URL,
		Dst:              a.path,
		GetMode:          getter.ModeFile,
		Umask:            0o077,
		DisableSymlinks:  true,
		ProgressListener: t,
	})
	return err
}

// fail classifies err, deletes the partial when its bytes are known bad or
// the disk is full, and wraps the rest as an interruption.
func (a *attemptRun) fail(err error, done int64) error {
	u := a.req.URL
	var (
		re *restartError
		se *SizeError
		dm *DigestMismatchError
		st *netpolicy.StatusError
		pe *netpolicy.PolicyError
		ue *urlrule.Error
	)
	switch {
	case errors.As(err, &re):
		return err
	case errors.Is(err, syscall.ENOSPC):
		free, _ := freeSpace(a.req.PartialDir)
		if rerr := removePartial(a.path); rerr != nil {
			return errors.Join(err, rerr)
		}
		need := int64(0)
		if a.req.Size > 0 {
			need = a.req.Size - done
		}
		return fmt.Errorf("download %s: %w", u, &NoSpaceError{Dir: a.req.PartialDir, Need: need, Free: free})
	case errors.As(err, &se), errors.As(err, &dm):
		if rerr := removePartial(a.path); rerr != nil {
			return errors.Join(err, rerr)
		}
		if dm != nil {
			return err
		}
		return fmt.Errorf("download: %w", err)
	case errors.As(err, &st), errors.As(err, &pe), errors.As(err, &ue):
		return fmt.Errorf("download %s: %w", u, err)
	}
	return &InterruptedError{URL: u, Done: done, Total: a.req.Size, Err: err}
}

// transport returns c's RoundTripper.
func transport(c *http.Client) http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	return http.DefaultTransport
}

// mustCanonical returns the URL as go-getter will send it; check has
// already parsed it.
func mustCanonical(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.String()
}

func newHash(a checksum.Algorithm) hash.Hash {
	if a == checksum.SHA512 {
		return sha512.New()
	}
	return sha256.New()
}

// reporter rate-limits progress reports.
type reporter struct {
	fn   func(Progress)
	mu   sync.Mutex
	last time.Time
}

func newReporter(fn func(Progress)) *reporter { return &reporter{fn: fn} }

func (r *reporter) report(done, total, reused int64, force bool) {
	if r.fn == nil {
		return
	}
	now := time.Now()
	r.mu.Lock()
	if !force && now.Sub(r.last) < progressEvery {
		r.mu.Unlock()
		return
	}
	r.last = now
	r.mu.Unlock()
	r.fn(Progress{Done: done, Total: total, Reused: reused})
}

func (r *reporter) final(size, total, reused int64) {
	if r.fn != nil {
		if total == 0 {
			total = size
		}
		r.fn(Progress{Done: size, Total: total, Reused: reused})
	}
}
