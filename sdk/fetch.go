package sdk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/sandlabx/fetchd/internal/wire"
)

// Fetcher GETs metadata (checksum files, manifests, listings) for a plugin.
// In a running plugin it is fetchd's fetch service, under fetchd's network
// policy; in a source's unit tests it can be anything, e.g.
// sdktest.HTTPFetcher.
//
// Errors wrap ErrNotFound (404, 410), ErrUnavailable (network failures,
// other statuses) or ErrBadMetadata (refused by policy, larger than the
// cap), and their message names the URL.
type Fetcher interface {
	// Fetch returns the whole body of a 200 answer to GET url, at most
	// the cap (MaxBytes, default DefaultFetchBytes).
	Fetch(ctx context.Context, url string, opts ...FetchOption) (*Document, error)
	// Open returns the body as a stream, for a document too large to hold
	// whole (decode it as it arrives). Reading past the cap fails. Close
	// the stream when done; an error from Read means the body was cut off.
	Open(ctx context.Context, url string, opts ...FetchOption) (*Stream, error)
}

// Document is a fetched metadata file.
type Document struct {
	Body []byte
	// URL is where the body came from, after redirects.
	URL string
	// ContentType is the Content-Type header as the server sent it.
	ContentType string
}

// Stream is a metadata file being fetched.
type Stream struct {
	io.ReadCloser
	// URL is where the body comes from, after redirects.
	URL string
	// ContentType is the Content-Type header as the server sent it.
	ContentType string
}

// Caps on a fetched document.
const (
	// DefaultFetchBytes is the cap of a fetch that sets none.
	DefaultFetchBytes = wire.DefaultFetchBytes
	// MaxFetchBytes is the largest cap Fetch honours: one message.
	MaxFetchBytes = wire.MaxFetchBytes
	// MaxStreamBytes is the largest cap Open honours.
	MaxStreamBytes = wire.MaxStreamBytes
)

// A FetchOption changes one fetch.
type FetchOption func(*FetchOptions)

// FetchOptions are the settings of one fetch, for Fetcher implementations
// (see FetchSettings).
type FetchOptions struct {
	// MaxBytes is the largest body accepted.
	MaxBytes int64
}

// MaxBytes caps the body of this fetch at n bytes: a source sets it per
// document, from what the document can plausibly grow to. Fetch honours
// at most MaxFetchBytes, Open at most MaxStreamBytes.
func MaxBytes(n int64) FetchOption { return func(o *FetchOptions) { o.MaxBytes = n } }

// FetchSettings applies opts to the defaults: what a Fetcher
// implementation reads. limit is MaxFetchBytes for Fetch and
// MaxStreamBytes for Open.
func FetchSettings(limit int64, opts []FetchOption) FetchOptions {
	o := FetchOptions{MaxBytes: DefaultFetchBytes}
	for _, f := range opts {
		f(&o)
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultFetchBytes
	}
	o.MaxBytes = min(o.MaxBytes, limit)
	return o
}

// ReadAll reads a Stream to the end and closes it, as a Document; for
// Fetcher implementations whose Fetch is Open and read.
func ReadAll(s *Stream, url string, max int64) (*Document, error) {
	defer s.Close()
	var b bytes.Buffer
	n, err := io.Copy(&b, io.LimitReader(s, max+1))
	var fe *FetchError
	if errors.As(err, &fe) {
		return nil, fe
	}
	if err != nil {
		return nil, NewFetchError(url, fmt.Sprintf("GET %s: reading the body: %v", url, err), ErrUnavailable)
	}
	if n > max {
		return nil, NewFetchError(url, fmt.Sprintf("GET %s: body larger than the %d-byte cap", url, max), ErrBadMetadata)
	}
	return &Document{Body: b.Bytes(), URL: s.URL, ContentType: s.ContentType}, nil
}

// capReader fails a read past max bytes.
type capReader struct {
	r   io.Reader
	n   int64
	max int64
	url string
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		return 0, NewFetchError(c.url, fmt.Sprintf("GET %s: body larger than the %d-byte cap", c.url, c.max), ErrBadMetadata)
	}
	return n, err
}

// CapStream limits r to max bytes: reading more fails with an error
// wrapping ErrBadMetadata. For Fetcher implementations.
func CapStream(r io.Reader, url string, max int64) io.Reader {
	return &capReader{r: r, max: max, url: url}
}
