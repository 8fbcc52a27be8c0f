package metadata

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"

	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/urlrule"
)

// Fetcher serves plugins' metadata requests. It implements
// pluginhost.MetadataFetcher.
type Fetcher struct {
	Client *http.Client
	Policy netpolicy.Policy
	// Cache, if not nil, keeps what was fetched; conditional requests
	// revalidate it.
	Cache *Cache
	// Offline answers only from Cache and never touches the network.
	Offline bool

	mu  sync.Mutex
	log []Fetch
}

// Fetch records one metadata request, for reporting.
type Fetch struct {
	URL      string
	Status   string // "200", "304 (cached copy still current)", "cache (offline)", or the error
	Bytes    int
	FromDisk bool
}

// New returns a Fetcher for the policy.
func New(p netpolicy.Policy, cache *Cache, offline bool) (*Fetcher, error) {
	c, err := p.Client()
	if err != nil {
		return nil, err
	}
	return &Fetcher{Client: c, Policy: p.WithDefaults(), Cache: cache, Offline: offline}, nil
}

// Log returns the requests made so far.
func (f *Fetcher) Log() []Fetch {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Fetch(nil), f.log...)
}

func (f *Fetcher) record(x Fetch) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, x)
}

// FetchMetadata GETs rawURL, returning at most maxBytes of body. Errors wrap
// the pluginhost.ErrFetch* kinds.
func (f *Fetcher) FetchMetadata(ctx context.Context, rawURL string, maxBytes int64) (pluginhost.Document, error) {
	doc, fromDisk, status, err := f.fetch(ctx, rawURL, maxBytes)
	rec := Fetch{URL: rawURL, Status: status, FromDisk: fromDisk}
	if err != nil {
		rec.Status = err.Error()
	} else {
		rec.Bytes = len(doc.Body)
	}
	f.record(rec)
	return doc, err
}

func (f *Fetcher) fetch(ctx context.Context, rawURL string, maxBytes int64) (doc pluginhost.Document, fromDisk bool, status string, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return doc, false, "", refused(rawURL, "does not parse")
	}
	if err := f.Policy.CheckURL(u); err != nil {
		return doc, false, "", &pluginhost.FetchError{Msg: "GET " + rawURL + ": " + err.Error(), Kind: pluginhost.ErrFetchRefused}
	}
	var cached *Entry
	if f.Cache != nil {
		cached, _ = f.Cache.Get(rawURL)
	}
	if f.Offline {
		if cached == nil {
			return doc, false, "", &pluginhost.FetchError{Msg: fmt.Sprintf("GET %s: offline, and no copy was cached by an earlier online run", rawURL), Kind: pluginhost.ErrFetchNotFound}
		}
		if int64(len(cached.Body)) > maxBytes {
			return doc, false, "", tooLarge(rawURL, maxBytes)
		}
		return cached.Document(), true, "cache (offline)", nil
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return doc, false, "", refused(rawURL, err.Error())
	}
	if cached != nil {
		if cached.ETag != "" {
			req.Header.Set("If-None-Match", cached.ETag)
		}
		if cached.LastModified != "" {
			req.Header.Set("If-Modified-Since", cached.LastModified)
		}
	}
	resp, err := f.Client.Do(req)
	if err != nil {
		return doc, false, "", classify(rawURL, err)
	}
	body := netpolicy.NewIdleReader(resp.Body, f.Policy.IdleTimeout, cancel)
	defer body.Close()
	final := resp.Request.URL.Redacted()
	switch {
	case resp.StatusCode == http.StatusNotModified && cached != nil:
		if int64(len(cached.Body)) > maxBytes {
			return doc, false, "", tooLarge(rawURL, maxBytes)
		}
		return cached.Document(), true, "304 (cached copy still current)", nil
	case resp.StatusCode != http.StatusOK:
		return doc, false, "", classify(rawURL, &netpolicy.StatusError{URL: final, Status: resp.StatusCode})
	case resp.ContentLength > maxBytes:
		return doc, false, "", tooLarge(final, maxBytes)
	}
	// One buffer of the announced size: a large document (Ubuntu's
	// products stream) is held once, not grown by doubling.
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength) + 1)
	}
	_, err = buf.ReadFrom(io.LimitReader(body, maxBytes+1))
	data := buf.Bytes()
	if err == nil {
		err = ctx.Err() // a canceled chunked body can end in a bare EOF
	}
	if err != nil {
		return doc, false, "", classify(rawURL, fmt.Errorf("GET %s: reading body: %w", final, err))
	}
	if int64(len(data)) > maxBytes {
		return doc, false, "", tooLarge(final, maxBytes)
	}
	doc = pluginhost.Document{Body: data, FinalURL: final, ContentType: resp.Header.Get("Content-Type")}
	if f.Cache != nil {
		// A cache that cannot be written costs speed next time, not
		// correctness now.
		_ = f.Cache.Put(rawURL, &Entry{
			URL: rawURL, FinalURL: final, ContentType: doc.ContentType,
			ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
			Body: data,
		})
	}
	return doc, false, "200", nil
}

func refused(rawURL, why string) error {
	return &pluginhost.FetchError{Msg: fmt.Sprintf("GET %s: %s", rawURL, why), Kind: pluginhost.ErrFetchRefused}
}

func tooLarge(rawURL string, max int64) error {
	return &pluginhost.FetchError{Msg: fmt.Sprintf("GET %s: response larger than the %d-byte limit for metadata", rawURL, max), Kind: pluginhost.ErrFetchTooLarge}
}

// classify maps network and policy errors to the fetch error kinds.
func classify(rawURL string, err error) error {
	var se *netpolicy.StatusError
	var pe *netpolicy.PolicyError
	var ue *urlrule.Error
	var tl *netpolicy.TooLargeError
	msg := err.Error()
	switch {
	case errors.As(err, &se):
		if se.NotFound() {
			return &pluginhost.FetchError{Msg: msg, Kind: pluginhost.ErrFetchNotFound, Cause: err}
		}
		return &pluginhost.FetchError{Msg: msg, Cause: err}
	case errors.As(err, &pe), errors.As(err, &ue):
		return &pluginhost.FetchError{Msg: msg, Kind: pluginhost.ErrFetchRefused, Cause: err}
	case errors.As(err, &tl):
		return &pluginhost.FetchError{Msg: msg, Kind: pluginhost.ErrFetchTooLarge, Cause: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &pluginhost.FetchError{Msg: msg, Kind: context.DeadlineExceeded, Cause: err}
	case errors.Is(err, context.Canceled):
		return &pluginhost.FetchError{Msg: msg, Kind: context.Canceled, Cause: err}
	}
	return &pluginhost.FetchError{Msg: msg, Cause: err}
}
