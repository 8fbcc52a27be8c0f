package download

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/sandlabx/fetchd/internal/netpolicy"
)

// segmented is the path over ranges. When its attempt gives up on ranges,
// or its bytes fail the digest after being put together from several
// answers (connections, mirrors, kept bytes), the download starts over
// once from zero on one connection through go-getter, to the server that
// misbehaved at ranges or to the primary: the digest over the whole file
// decides either way.
func (d *Downloader) segmented(ctx context.Context, req Request, client *http.Client, policy netpolicy.Policy, path string, rep *reporter) (Result, error) {
	r := d.newSegRun(ctx, req, client, policy, path, rep)
	res, err := r.run()
	if err == nil {
		rep.final(res.Size, req.Size, res.Reused)
		return res, nil
	}
	one := req
	var (
		fb *fallbackError
		dm *DigestMismatchError
	)
	switch {
	case errors.As(err, &fb):
		res.FellBack = fb.reason
		one.URL = fb.url
	case errors.As(err, &dm) && d.RetryFromZero && r.assembled():
		// The partial is deleted already.
		res.FellBack = fmt.Sprintf("%v over bytes from several answers", err)
	default:
		return res, err
	}
	one.Mirrors, one.Connections = nil, 1
	sub, err := d.single(ctx, one, client, policy, path, rep)
	res.Transferred += sub.Transferred
	res.Restarted, res.Reused = true, 0
	res.Size, res.Path = sub.Size, sub.Path
	for i := range res.Sources {
		if res.Sources[i].URL == one.URL || mustCanonical(res.Sources[i].URL) == mustCanonical(one.URL) {
			res.Sources[i].Bytes = sub.Size
		} else {
			res.Sources[i].Bytes = 0
		}
	}
	return res, err
}

// keepPrefixOnly prepares a partial for the one-connection path, which
// resumes a prefix: a partial written over several connections keeps only
// its written prefix, and loses its resume state.
func keepPrefixOnly(req Request, path string) error {
	spath := path + StateSuffix
	st, err := readState(spath, req.Digest, req.MaxSize)
	if st == nil && err == nil {
		return nil
	}
	keep := int64(0)
	if err == nil {
		keep = firstGap(st.ranges())
	}
	if err := removeState(spath); err != nil {
		return err
	}
	f, err := openPartial(path)
	if err != nil {
		return fmt.Errorf("download %s: %w", req.URL, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > keep {
		if err := f.Truncate(keep); err != nil {
			return fmt.Errorf("download %s: truncate partial: %w", req.URL, err)
		}
	}
	return nil
}
