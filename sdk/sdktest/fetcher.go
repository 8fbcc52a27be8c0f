package sdktest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/sdk"
)

// HTTPFetcher is an sdk.Fetcher over plain net/http for a source's unit
// tests, which call Resolve directly without a plugin process. It honours
// sdk.MaxBytes as fetchd does and reports the final URL and the content
// type. It allows any URL: point it only at test servers. A nil client
// means a client with a 30 s timeout.
func HTTPFetcher(client *http.Client) sdk.Fetcher {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return fetcher{client}
}

type fetcher struct{ client *http.Client }

func (f fetcher) Fetch(ctx context.Context, rawURL string, opts ...sdk.FetchOption) (*sdk.Document, error) {
	o := sdk.FetchSettings(sdk.MaxFetchBytes, opts)
	s, err := open(ctx, f.client, rawURL, o.MaxBytes)
	if err != nil {
		return nil, err
	}
	return sdk.ReadAll(s, rawURL, o.MaxBytes)
}

func (f fetcher) Open(ctx context.Context, rawURL string, opts ...sdk.FetchOption) (*sdk.Stream, error) {
	o := sdk.FetchSettings(sdk.MaxStreamBytes, opts)
	return open(ctx, f.client, rawURL, o.MaxBytes)
}

// open GETs rawURL and returns its body, capped at max.
func open(ctx context.Context, client *http.Client, rawURL string, max int64) (*sdk.Stream, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, sdk.NewFetchError(rawURL, fmt.Sprintf("GET %s: %v", rawURL, err), sdk.ErrBadMetadata)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, sdk.NewFetchError(rawURL, fmt.Sprintf("GET %s: %v", rawURL, err), sdk.ErrUnavailable)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		resp.Body.Close()
		return nil, sdk.NewFetchError(rawURL, fmt.Sprintf("GET %s: %s", rawURL, resp.Status), sdk.ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		resp.Body.Close()
		return nil, sdk.NewFetchError(rawURL, fmt.Sprintf("GET %s: %s", rawURL, resp.Status), sdk.ErrUnavailable)
	case resp.ContentLength > max:
		resp.Body.Close()
		return nil, sdk.NewFetchError(rawURL, fmt.Sprintf("GET %s: body larger than the %d-byte cap", rawURL, max), sdk.ErrBadMetadata)
	}
	body := struct {
		io.Reader
		io.Closer
	}{sdk.CapStream(resp.Body, rawURL, max), resp.Body}
	return &sdk.Stream{ReadCloser: body, URL: resp.Request.URL.String(), ContentType: resp.Header.Get("Content-Type")}, nil
}

// loopbackFetcher serves the plugin's metadata requests in the kit: https
// anywhere, plain http to loopback addresses only.
func loopbackFetcher() pluginhost.MetadataFetcher {
	client := &http.Client{Timeout: 30 * time.Second}
	return pluginhost.FetchFunc(func(ctx context.Context, rawURL string, maxBytes int64) (pluginhost.Document, error) {
		u, err := url.Parse(rawURL)
		if err != nil || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
			return pluginhost.Document{}, &pluginhost.FetchError{Msg: fmt.Sprintf("GET %s: only https, or http to a loopback address", rawURL), Kind: pluginhost.ErrFetchRefused}
		}
		doc, err := fetcher{client}.Fetch(ctx, rawURL, sdk.MaxBytes(maxBytes))
		if err != nil {
			var kind error
			switch {
			case errors.Is(err, sdk.ErrNotFound):
				kind = pluginhost.ErrFetchNotFound
			case errors.Is(err, sdk.ErrBadMetadata):
				kind = pluginhost.ErrFetchTooLarge
			}
			return pluginhost.Document{}, &pluginhost.FetchError{Msg: err.Error(), Kind: kind}
		}
		return pluginhost.Document{Body: doc.Body, FinalURL: doc.URL, ContentType: doc.ContentType}, nil
	})
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// FetchFunc makes a function an sdk.Fetcher, for test doubles that fail
// or alter some fetches: Open reads the same Document as Fetch, whole.
type FetchFunc func(ctx context.Context, url string, opts ...sdk.FetchOption) (*sdk.Document, error)

// Fetch calls f.
func (f FetchFunc) Fetch(ctx context.Context, url string, opts ...sdk.FetchOption) (*sdk.Document, error) {
	return f(ctx, url, opts...)
}

// Open calls f and streams the body it returns.
func (f FetchFunc) Open(ctx context.Context, url string, opts ...sdk.FetchOption) (*sdk.Stream, error) {
	doc, err := f(ctx, url, opts...)
	if err != nil {
		return nil, err
	}
	return &sdk.Stream{ReadCloser: io.NopCloser(bytes.NewReader(doc.Body)), URL: doc.URL, ContentType: doc.ContentType}, nil
}
