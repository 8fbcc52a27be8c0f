package debian

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// sha512B64Len is the length of a SHA-512 digest (64 bytes) in unpadded
// base64; padded it is two "=" longer.
const sha512B64Len = 86

// DecodeDigest turns a manifest's cloud.debian.org/digest annotation,
// "sha512:<base64>", into a hex Digest. Upstream writes standard base64
// with the padding stripped (Python's b64encode(...).rstrip("=")); the
// padded form decodes to the same bytes and is accepted too. Anything else
// is refused: another algorithm, the URL-safe alphabet, whitespace or line
// breaks (which Go's decoder would silently skip), a length other than 86
// (88 padded) characters, and non-zero trailing bits (a second spelling of
// the same digest). Errors wrap sdk.ErrBadMetadata.
func DecodeDigest(annotation string) (checksum.Digest, error) {
	if annotation == "" {
		return checksum.Digest{}, fmt.Errorf("no %s annotation: %w", annotationDigest, sdk.ErrBadMetadata)
	}
	algo, b64, ok := strings.Cut(annotation, ":")
	if !ok {
		return checksum.Digest{}, fmt.Errorf("digest %q: want sha512:<base64>: %w", clip(annotation), sdk.ErrBadMetadata)
	}
	if algo != "sha512" {
		return checksum.Digest{}, fmt.Errorf("digest %q: algorithm %q, want sha512 (SHA512SUMS has only sha512): %w", clip(annotation), clip(algo), sdk.ErrBadMetadata)
	}
	for i := 0; i < len(b64); i++ {
		if c := b64[i]; !isStdBase64(c) && c != '=' {
			return checksum.Digest{}, fmt.Errorf("digest %q: %q is not a standard base64 character: %w", clip(annotation), c, sdk.ErrBadMetadata)
		}
	}
	enc := base64.RawStdEncoding.Strict()
	switch {
	case len(b64) == sha512B64Len+2 && strings.HasSuffix(b64, "=="):
		enc = base64.StdEncoding.Strict()
	case len(b64) != sha512B64Len:
		return checksum.Digest{}, fmt.Errorf("digest %q: %d base64 characters, want %d for sha512: %w", clip(annotation), len(b64), sha512B64Len, sdk.ErrBadMetadata)
	}
	raw, err := enc.DecodeString(b64)
	if err != nil {
		return checksum.Digest{}, fmt.Errorf("digest %q: %v: %w", clip(annotation), err, sdk.ErrBadMetadata)
	}
	if len(raw) != 64 { // unreachable after the checks above; kept as a guard
		return checksum.Digest{}, fmt.Errorf("digest %q: %d bytes, want 64 for sha512: %w", clip(annotation), len(raw), sdk.ErrBadMetadata)
	}
	return checksum.NewDigest(checksum.SHA512, hex.EncodeToString(raw))
}

func isStdBase64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}
