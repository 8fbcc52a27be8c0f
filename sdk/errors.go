package sdk

import "errors"

// Errors a Source returns wrap one of these, so that fetchd can tell the
// user what kind of failure it was:
//
//	return sdk.Artifact{}, fmt.Errorf("%s: no line for %s: %w", sumsURL, name, sdk.ErrBadMetadata)
//
// An error that wraps none of them is reported as an internal plugin error.
var (
	// ErrNotFound: no such release, architecture or variant, or upstream
	// does not publish the image. Say what exists.
	ErrNotFound = errors.New("not found")
	// ErrInvalidArgument: the request itself is malformed.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrUnavailable: upstream metadata could not be fetched.
	ErrUnavailable = errors.New("upstream unavailable")
	// ErrBadMetadata: upstream metadata is inconsistent or fails a check
	// (bad signature, missing or conflicting digests, disagreeing sources).
	ErrBadMetadata = errors.New("upstream metadata failed a check")
	// ErrUnimplemented: the plugin does not implement the call.
	ErrUnimplemented = errors.New("not implemented")
)
