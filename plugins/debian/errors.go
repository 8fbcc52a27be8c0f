package debian

import (
	"fmt"

	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// MismatchError: the manifest and the build directory's SHA512SUMS give
// different digests for the image. It wraps sdk.ErrBadMetadata.
type MismatchError struct {
	// FileName is the pinned image's file name.
	FileName string
	// ManifestURL and ManifestDigest: the manifest and the digest its
	// qcow2 upload carries.
	ManifestURL    string
	ManifestDigest checksum.Digest
	// SumsURL and SumsDigest: the SHA512SUMS file and its line for
	// FileName.
	SumsURL    string
	SumsDigest checksum.Digest
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s: the manifest %s gives %s but %s gives %s: %v",
		e.FileName, e.ManifestURL, e.ManifestDigest, e.SumsURL, e.SumsDigest, sdk.ErrBadMetadata)
}

func (e *MismatchError) Unwrap() error { return sdk.ErrBadMetadata }
