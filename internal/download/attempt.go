package download

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"os"
	"syscall"

	getter "github.com/hashicorp/go-getter/v2"

	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/internal/urlrule"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// attemptRun is one go-getter run over the partial as it is on disk.
type attemptRun struct {
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
	off, h, res, done, err := a.prepare()
	if err != nil || done {
		return res, err
	}
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
	base := transport(a.client)
	if req.Transport != nil {
		base = req.Transport
	}
	g := &guard{base: base, policy: a.policy, url: mustCanonical(req.URL), offset: off, size: req.Size, max: req.MaxSize}
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
	if err := a.verify(off+n, hasher); err != nil {
		return res, err
	}
	res.Size = off + n
	return res, nil
}

// prepare opens the partial and hashes what it holds. It returns the
// offset to resume from and the hash so far; done is true when the partial
// is already complete, which only its digest can say.
func (a *attemptRun) prepare() (off int64, h hash.Hash, res Result, done bool, err error) {
	req := a.req
	f, err := openPartial(a.path)
	if err != nil {
		return 0, nil, res, false, fmt.Errorf("download %s: %w", req.URL, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, nil, res, false, fmt.Errorf("download %s: %w", req.URL, err)
	}
	off = fi.Size()
	restart := func() error {
		if err := f.Truncate(0); err != nil {
			return fmt.Errorf("download %s: truncate partial: %w", req.URL, err)
		}
		off, res.Restarted = 0, true
		return nil
	}
	if (req.Size > 0 && off > req.Size) || off > req.MaxSize {
		// Larger than the artifact can be: not a prefix of it.
		if err := restart(); err != nil {
			return 0, nil, res, false, err
		}
	}
	h = newHash(req.Digest.Algorithm)
	if off > 0 {
		if err := hashPrefix(f, off, h); err != nil {
			return 0, nil, res, false, fmt.Errorf("download %s: %w", req.URL, err)
		}
		if (req.Size == 0 || off == req.Size) && hex.EncodeToString(h.Sum(nil)) == req.Digest.Hex {
			// Complete, and the digest says so: no request at all.
			return off, h, Result{Size: off, Reused: off}, true, nil
		}
		if off == req.Size {
			// Full size, wrong bytes: start over.
			if err := restart(); err != nil {
				return 0, nil, res, false, err
			}
			h.Reset()
		}
	}
	res.Reused = off
	return off, h, res, false, nil
}

// verify checks the finished partial: total bytes counted, the expected
// size, the file on disk, and the digest.
func (a *attemptRun) verify(total int64, hasher *pipeHasher) error {
	req := a.req
	if req.Size > 0 && total != req.Size {
		return a.fail(&SizeError{URL: req.URL, What: "body", Got: total, Want: req.Size}, total)
	}
	st, err := os.Lstat(a.path)
	if err != nil {
		return fmt.Errorf("download %s: partial missing after transfer: %w", req.URL, err)
	}
	if !st.Mode().IsRegular() || st.Size() != total {
		return a.fail(&SizeError{URL: req.URL, What: "file", Got: st.Size(), Want: total}, total)
	}
	got := checksum.Digest{Algorithm: req.Digest.Algorithm, Hex: hex.EncodeToString(hasher.Sum())}
	if got != req.Digest {
		return a.fail(&DigestMismatchError{URL: req.URL, Want: req.Digest, Got: got}, total)
	}
	return nil
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
	case errors.As(err, &dm):
		if rerr := removePartial(a.path); rerr != nil {
			return errors.Join(dm, rerr)
		}
		return dm
	case errors.As(err, &se):
		// The typed errors name the URL; drop the *url.Error around them.
		if rerr := removePartial(a.path); rerr != nil {
			return errors.Join(se, rerr)
		}
		return fmt.Errorf("download: %w", se)
	case errors.As(err, &st):
		return fmt.Errorf("download: %w", st)
	case errors.As(err, &pe):
		return fmt.Errorf("download %s: %w", u, pe)
	case errors.As(err, &ue):
		return fmt.Errorf("download: %w", ue)
	}
	return &InterruptedError{URL: u, Done: done, Total: a.req.Size, Err: err}
}
