package sdk

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
)

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

// codeTable pairs each kind of error with the gRPC code the protocol
// carries it as (proto/fetchd/source/v1/source.proto, "Errors"): the one
// place the two are mapped, both ways.
var codeTable = []struct {
	kind error
	code codes.Code
}{
	{ErrNotFound, codes.NotFound},
	{ErrInvalidArgument, codes.InvalidArgument},
	{ErrUnavailable, codes.Unavailable},
	{ErrBadMetadata, codes.FailedPrecondition},
	{ErrUnimplemented, codes.Unimplemented},
	{context.DeadlineExceeded, codes.DeadlineExceeded},
	{context.Canceled, codes.Canceled},
}

// kindOf returns the kind err wraps (the first in codeTable), or nil.
func kindOf(err error) error {
	for _, e := range codeTable {
		if errors.Is(err, e.kind) {
			return e.kind
		}
	}
	return nil
}

// codeOf is the code err travels as: its kind's, or INTERNAL.
func codeOf(err error) codes.Code {
	for _, e := range codeTable {
		if errors.Is(err, e.kind) {
			return e.code
		}
	}
	return codes.Internal
}

// kindOfCode is the kind a code stands for; the fetch service's own codes
// (PERMISSION_DENIED, RESOURCE_EXHAUSTED: the policy or the cap refused a
// document) are upstream metadata failing a check, and anything else is
// upstream being unavailable.
func kindOfCode(c codes.Code) error {
	switch c {
	case codes.PermissionDenied, codes.ResourceExhausted:
		return ErrBadMetadata
	}
	for _, e := range codeTable {
		if e.code == c {
			return e.kind
		}
	}
	return ErrUnavailable
}
