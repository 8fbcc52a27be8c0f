package debian

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sandlabx/fetchd/sdk"
)

// get fetches one metadata file; what names it in messages ("manifest").
// A 404 or 410 becomes an error wrapping onMissing (sdk.ErrNotFound when a
// missing file means upstream does not publish the image, sdk.ErrBadMetadata
// when another file promised it); other failures keep their kind
// (sdk.ErrUnavailable, sdk.ErrBadMetadata for a body over the size cap, a
// context error). The message always names the URL.
func get(ctx context.Context, f sdk.Fetcher, what, url string, onMissing error) ([]byte, error) {
	doc, err := f.Fetch(ctx, url, sdk.MaxBytes(maxManifestBytes))
	if err == nil {
		return doc.Body, nil
	}
	msg := err.Error()
	if !strings.Contains(msg, url) {
		msg = url + ": " + msg
	}
	if errors.Is(err, sdk.ErrNotFound) {
		// The fetch error is not wrapped: the kind is onMissing's alone.
		return nil, fmt.Errorf("%s: %s: %w", what, msg, onMissing)
	}
	return nil, &fetchError{msg: what + ": " + msg, err: err}
}

// fetchError adds context to a Fetcher's error without repeating its text.
type fetchError struct {
	msg string
	err error
}

func (e *fetchError) Error() string { return e.msg }
func (e *fetchError) Unwrap() error { return e.err }
