package download

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

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
	// Transport, when set, carries this request's hops instead of the
	// client's own transport, e.g. one that answers an OCI registry's
	// authentication challenges (oci.Client.Transport). Every hop still
	// goes through the Range checks and the redirect policy.
	Transport http.RoundTripper
	// Mirrors are other URLs of the same file, checked like URL. Bytes may
	// come from any of them; the digest is still Digest, which never
	// comes from a mirror.
	Mirrors []string
	// Connections is how many connections the download may use: 0 means
	// automatic (start with one, add while the total rate grows, up to
	// MaxConnectionsPerHost), 1 means one connection (the go-getter path,
	// unless there are mirrors to fail over to), N means up to N.
	Connections int
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
	// Connections is the most connections open at once (0 on the
	// go-getter path, which is one).
	Connections int
	// Sources says, per URL (Request.URL first, then the mirrors), how
	// many bytes it served and why it was dropped, if it was. Empty on
	// the go-getter path.
	Sources []SourceStat
	// FellBack says why the download gave up on ranges and started over
	// on one connection; "" if it did not.
	FellBack string
}

// SourceStat is one URL's part in a download.
type SourceStat struct {
	URL     string
	Bytes   int64  // body bytes from it that are in the file
	Dropped string // why it stopped being used in this download; "" if it was not
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
	// resumed partial, or on bytes put together from several answers
	// (connections, mirrors). New sets it; the zero Downloader does not
	// retry.
	RetryFromZero bool
	// MinSegment is the smallest piece a download over several
	// connections is cut into; 0 means 1 MiB. Tests lower it to cut
	// small files.
	MinSegment int64

	hosts hostSlots
	// rule, when set, replaces the connection rule (tests script it).
	rule func(connections int) connRule
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
		defer c.CloseIdleConnections() // ours alone: do not leave its connections behind
	}
	policy := d.Policy.WithDefaults()
	path := PartialPath(req.PartialDir, req.Digest)
	rep := newReporter(req.Progress)
	if req.Connections == 1 && len(req.Mirrors) == 0 {
		if err := keepPrefixOnly(req, path); err != nil {
			return Result{}, err
		}
		return d.single(ctx, req, client, policy, path, rep)
	}
	return d.segmented(ctx, req, client, policy, path, rep)
}

// single is the one-connection path: go-getter, resuming a prefix.
func (d *Downloader) single(ctx context.Context, req Request, client *http.Client, policy netpolicy.Policy, path string, rep *reporter) (Result, error) {
	var res Result
	retried := false
	for attempt := 1; ; attempt++ {
		a := &attemptRun{client: client, policy: policy, req: req, path: path, rep: rep}
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
	if req.Connections < 0 || req.Connections > MaxConnectionsPerHost {
		return fmt.Errorf("download %s: connections %d outside 0..%d", req.URL, req.Connections, MaxConnectionsPerHost)
	}
	if len(req.Mirrors) > maxStateURLs-1 {
		return fmt.Errorf("download %s: %d mirrors, at most %d", req.URL, len(req.Mirrors), maxStateURLs-1)
	}
	for _, raw := range append([]string{req.URL}, req.Mirrors...) {
		if err := d.checkURL(raw); err != nil {
			return err
		}
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

// checkURL applies the policy and the URL rules to one URL of a request.
func (d *Downloader) checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return &netpolicy.PolicyError{URL: raw, Reason: fmt.Sprintf("does not parse: %v", err)}
	}
	if err := d.Policy.CheckURL(u); err != nil {
		return err
	}
	base := ""
	if u.Scheme == "http" {
		base = "http://" + netpolicy.HostPort(u) // CheckURL allowed it
	}
	_, err = urlrule.Check(raw, base)
	return err
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
