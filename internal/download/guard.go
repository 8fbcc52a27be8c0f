package download

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sandlabx/fetchd/internal/netpolicy"
)

// guard is the RoundTripper go-getter's requests go through for one
// attempt. It sees the real response to every hop and refuses, before
// go-getter writes a byte, anything that would make it append the wrong
// bytes to the partial or download more than allowed.
type guard struct {
	base   http.RoundTripper
	policy netpolicy.Policy
	url    string // the URL every first hop must have
	offset int64  // bytes already in the partial: the Range go-getter must ask for
	size   int64  // expected total size, 0 if unknown
	max    int64  // size cap
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := g.policy.CheckURL(req.URL); err != nil {
		return nil, err
	}
	if req.Response == nil && req.URL.String() != g.url {
		// Not a redirect hop: go-getter must send the URL we validated.
		return nil, fmt.Errorf("go-getter requested %s, want %s", req.URL.Redacted(), g.url)
	}
	switch req.Method {
	case http.MethodHead:
		return g.base.RoundTrip(req)
	case http.MethodGet:
	default:
		return nil, fmt.Errorf("go-getter sent an unexpected %s request", req.Method)
	}

	want := ""
	if g.offset > 0 {
		want = fmt.Sprintf("bytes=%d-", g.offset)
	}
	if got := req.Header.Get("Range"); got != want {
		if g.offset > 0 {
			// The HEAD failed or did not offer ranges: go-getter would write
			// the whole file from offset 0 over the old partial.
			return nil, &restartError{reason: fmt.Sprintf("the server did not offer byte ranges for resuming at byte %d", g.offset)}
		}
		return nil, fmt.Errorf("go-getter sent Range %q on a fresh download", got)
	}

	resp, err := g.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		if resp.Header.Get("Location") != "" {
			return resp, nil // the client follows it, through CheckRedirect and us
		}
	}
	if err := g.check(req, resp); err != nil {
		resp.Body.Close()
		return nil, err
	}
	return resp, nil
}

// check decides whether go-getter may have resp.
func (g *guard) check(req *http.Request, resp *http.Response) error {
	u := req.URL.Redacted()
	if g.offset == 0 {
		if resp.StatusCode != http.StatusOK {
			return &netpolicy.StatusError{URL: u, Status: resp.StatusCode}
		}
		return g.checkTotal(u, "Content-Length", resp.ContentLength)
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
	case http.StatusOK:
		return &restartError{reason: "the server answered the Range request with the whole file (200)"}
	case http.StatusRequestedRangeNotSatisfiable:
		return &restartError{reason: "the server refused the range (416)"}
	default:
		return &netpolicy.StatusError{URL: u, Status: resp.StatusCode}
	}
	first, last, total, err := parseContentRange(resp.Header.Get("Content-Range"))
	if err != nil {
		return &restartError{reason: err.Error()}
	}
	if first != g.offset {
		return &restartError{reason: fmt.Sprintf("Content-Range starts at byte %d, asked for %d", first, g.offset)}
	}
	if total >= 0 {
		if err := g.checkTotal(u, "Content-Range total", total); err != nil {
			return err
		}
		if last != total-1 {
			return &restartError{reason: fmt.Sprintf("Content-Range ends at byte %d of %d", last, total)}
		}
	}
	if resp.ContentLength >= 0 && resp.ContentLength != last-first+1 {
		return &restartError{reason: fmt.Sprintf("Content-Length %d does not match Content-Range %d-%d", resp.ContentLength, first, last)}
	}
	return nil
}

// checkTotal checks an announced total size (-1 = not announced) against
// the expected size and the cap.
func (g *guard) checkTotal(u, what string, total int64) error {
	if total < 0 {
		return nil
	}
	if g.size > 0 && total != g.size {
		return &SizeError{URL: u, What: what, Got: total, Want: g.size}
	}
	if total > g.max {
		return &SizeError{URL: u, What: what, Got: total, Want: g.max, Cap: true}
	}
	return nil
}

// CloseIdleConnections reaches the wrapped transport.
func (g *guard) CloseIdleConnections() {
	if c, ok := g.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// parseContentRange parses "bytes first-last/total" (total "*" = -1).
func parseContentRange(s string) (first, last, total int64, err error) {
	bad := func() (int64, int64, int64, error) {
		return 0, 0, 0, fmt.Errorf("unusable Content-Range %q", s)
	}
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return bad()
	}
	span, size, ok := strings.Cut(rest, "/")
	if !ok {
		return bad()
	}
	a, b, ok := strings.Cut(span, "-")
	if !ok {
		return bad()
	}
	if first, err = parseUint(a); err != nil {
		return bad()
	}
	if last, err = parseUint(b); err != nil || last < first {
		return bad()
	}
	total = -1
	if size != "*" {
		if total, err = parseUint(size); err != nil || total <= last {
			return bad()
		}
	}
	return first, last, total, nil
}

func parseUint(s string) (int64, error) {
	if s == "" || len(s) > 18 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errors.New("not a number")
	}
	return strconv.ParseInt(s, 10, 64)
}
