package sdktest

import (
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

const maxBody = 32 << 20

// HTTPFetcher is an sdk.Fetcher over plain net/http for a source's unit
// tests, which call Resolve directly without a plugin process. It allows
// any URL: point it only at test servers. A nil client means a client with
// a 30 s timeout.
func HTTPFetcher(client *http.Client) sdk.Fetcher {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return fetcher{client}
}

type fetcher struct{ client *http.Client }

func (f fetcher) Fetch(ctx context.Context, rawURL string) ([]byte, error) {
	doc, err := get(ctx, f.client, rawURL)
	if err != nil {
		return nil, err
	}
	return doc, nil
}

func get(ctx context.Context, client *http.Client, rawURL string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, sdk.NewFetchError(rawURL, fmt.Sprintf("GET %s: %v", rawURL, err), sdk.ErrBadMetadata)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, sdk.NewFetchError(rawURL, fmt.Sprintf("GET %s: %v", rawURL, err), sdk.ErrUnavailable)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, sdk.NewFetchError(rawURL, fmt.Sprintf("GET %s: %s", rawURL, resp.Status), sdk.ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		return nil, sdk.NewFetchError(rawURL, fmt.Sprintf("GET %s: %s", rawURL, resp.Status), sdk.ErrUnavailable)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, sdk.NewFetchError(rawURL, fmt.Sprintf("GET %s: %v", rawURL, err), sdk.ErrUnavailable)
	}
	if len(body) > maxBody {
		return nil, sdk.NewFetchError(rawURL, fmt.Sprintf("GET %s: body larger than %d bytes", rawURL, maxBody), sdk.ErrBadMetadata)
	}
	return body, nil
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
		body, err := get(ctx, client, rawURL)
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
		if int64(len(body)) > maxBytes {
			return pluginhost.Document{}, &pluginhost.FetchError{Msg: fmt.Sprintf("GET %s: body larger than %d bytes", rawURL, maxBytes), Kind: pluginhost.ErrFetchTooLarge}
		}
		return pluginhost.Document{Body: body, FinalURL: rawURL}, nil
	})
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
