package alpine

import (
	"context"
	"fmt"
	"strings"

	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/listing"
)

// get fetches u through the host and makes sure the error names u.
func get(ctx context.Context, f sdk.Fetcher, u string) ([]byte, error) {
	doc, err := f.Fetch(ctx, u, sdk.MaxBytes(maxDocBytes))
	if err != nil {
		if strings.Contains(err.Error(), u) {
			return nil, err
		}
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return doc.Body, nil
}

// maxDocBytes bounds what this source reads: a branch's cloud listing is a
// few hundred lines (under 100 KiB), a .sha512 one line.
const maxDocBytes = 4 << 20

// listing fetches and parses the directory listing at dirURL. A listing
// that is not one is upstream metadata failing a check.
func readListing(ctx context.Context, f sdk.Fetcher, dirURL string) ([]listing.Entry, error) {
	body, err := get(ctx, f, dirURL)
	if err != nil {
		return nil, fmt.Errorf("cloud image listing: %w", err)
	}
	entries, err := listing.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("cloud image listing %s: %v: %w", dirURL, err, sdk.ErrBadMetadata)
	}
	return listing.Files(entries), nil
}
