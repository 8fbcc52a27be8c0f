package netpolicy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Document is a small file fetched by Get.
type Document struct {
	Body        []byte
	URL         string // the final URL, after redirects
	ContentType string // the Content-Type header, as sent
}

// StatusError says the server answered with a status other than 200.
type StatusError struct {
	URL    string
	Status int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// NotFound reports whether the server said the document does not exist
// (404 Not Found or 410 Gone).
func (e *StatusError) NotFound() bool {
	return e.Status == http.StatusNotFound || e.Status == http.StatusGone
}

// TooLargeError says a response body is larger than the cap.
type TooLargeError struct {
	URL   string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("GET %s: response larger than the %d-byte limit", e.URL, e.Limit)
}

// Get fetches a small document (metadata) under the policy: GET, status
// must be 200, body capped at maxBytes (a Content-Length over the cap fails
// before reading; a body growing past the cap fails when it crosses it), and
// the idle timeout while reading. A nil c means p.Client(); a caller's
// client gets p.CheckRedirect in front of its own.
func Get(ctx context.Context, c *http.Client, p Policy, rawURL string, maxBytes int64) (*Document, error) {
	p = p.WithDefaults()
	if maxBytes <= 0 {
		return nil, fmt.Errorf("get %s: size cap must be positive, got %d", rawURL, maxBytes)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &PolicyError{URL: rawURL, Reason: fmt.Sprintf("does not parse: %v", err)}
	}
	if err := p.CheckURL(u); err != nil {
		return nil, err
	}
	if c == nil {
		if c, err = p.Client(); err != nil {
			return nil, err
		}
	} else {
		// A caller's client still follows only redirects the policy allows.
		hc, next := *c, c.CheckRedirect
		hc.CheckRedirect = func(r *http.Request, via []*http.Request) error {
			if err := p.CheckRedirect(r, via); err != nil {
				return err
			}
			if next != nil {
				return next(r, via)
			}
			return nil
		}
		c = &hc
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", u.Redacted(), err)
	}
	req.Header.Set("User-Agent", p.UserAgent)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	body := NewIdleReader(resp.Body, p.IdleTimeout, cancel)
	defer body.Close()
	final := resp.Request.URL.Redacted()
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{URL: final, Status: resp.StatusCode}
	}
	if resp.ContentLength > maxBytes {
		return nil, &TooLargeError{URL: final, Limit: maxBytes}
	}
	data, err := io.ReadAll(io.LimitReader(body, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("get %s: reading body: %w", final, err)
	}
	if err := ctx.Err(); err != nil {
		// A canceled chunked body can end in a bare io.EOF: do not return
		// a truncated document as if it were whole.
		return nil, fmt.Errorf("get %s: reading body: %w", final, err)
	}
	if int64(len(data)) > maxBytes {
		return nil, &TooLargeError{URL: final, Limit: maxBytes}
	}
	return &Document{Body: data, URL: final, ContentType: resp.Header.Get("Content-Type")}, nil
}
