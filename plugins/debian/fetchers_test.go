package debian_test

import (
	"context"
	"testing"

	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/sdktest"
)

func sdktestFetcher() sdk.Fetcher { return sdktest.HTTPFetcher(nil) }

// panicFetcher fails a test that should not fetch anything.
type panicFetcher struct{}

func (panicFetcher) Fetch(_ context.Context, url string, _ ...sdk.FetchOption) (*sdk.Document, error) {
	panic("unexpected fetch of " + url)
}

func (panicFetcher) Open(_ context.Context, url string, _ ...sdk.FetchOption) (*sdk.Stream, error) {
	panic("unexpected fetch of " + url)
}

func sdkDigest(t *testing.T, hex string) checksum.Digest {
	t.Helper()
	d, err := checksum.NewDigest(checksum.SHA512, hex)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
