package sdk

import (
	"context"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

// Source is what a plugin author implements: one distribution's knowledge of
// where its images are published and how their digests are vouched for.
//
// Describe must be fast and must not use the network. Resolve is called with
// canonical names (Serve has already turned aliases and empty fields into
// the names Describe lists), possibly several times at once.
type Source interface {
	Describe() Description
	Resolve(ctx context.Context, req ResolveRequest) (Artifact, error)
}

// Description says what a source offers; `fetchd list-sources` shows it.
type Description struct {
	// Name is the source's name, [a-z0-9][a-z0-9-]*; the plugin binary is
	// named fetchd-plugin-<Name>.
	Name string `json:"name"`
	// Summary is one line for humans.
	Summary string `json:"summary"`
	// Version is the plugin's own version, e.g. "1.0.0".
	Version string `json:"version"`
	// Releases, Arches and Variants are what Resolve accepts.
	Releases []Release `json:"releases"`
	Arches   []Arch    `json:"arches"`
	Variants []Variant `json:"variants"`
	// DefaultBaseURL is upstream's root (https). The operator may override
	// it per source with base_url (a mirror or a test server).
	DefaultBaseURL string `json:"default_base_url"`
	// DefaultRelease and DefaultVariant are used when the operator names
	// none. DefaultVariant is required when Variants is not empty.
	DefaultRelease string `json:"default_release"`
	DefaultVariant string `json:"default_variant,omitempty"`
}

// Release is one release of a distribution.
type Release struct {
	Name    string   `json:"name"`              // canonical, e.g. "24.04"
	Aliases []string `json:"aliases,omitempty"` // e.g. "noble", "lts"
	EOL     string   `json:"eol,omitempty"`     // end of support, YYYY-MM-DD, or ""
	Summary string   `json:"summary,omitempty"` // e.g. "Noble Numbat LTS"
}

// Arch is one architecture, named as upstream names it.
type Arch struct {
	Name    string   `json:"name"`              // e.g. "x86_64"
	Aliases []string `json:"aliases,omitempty"` // e.g. "amd64": alias Go's names where upstream uses others
}

// Variant is one flavour of image.
type Variant struct {
	Name    string `json:"name"`
	Summary string `json:"summary,omitempty"`
}

// ResolveRequest asks for the current artifact of one release, architecture
// and variant.
type ResolveRequest struct {
	// Release, Arch and Variant are canonical names from Describe.
	Release string
	Arch    string
	Variant string
	// BaseURL is where upstream is: the operator's override or
	// DefaultBaseURL, without a trailing slash.
	BaseURL string
	// TrustedKeys are OpenPGP public keys the operator configured for this
	// source. When present they replace the keys the plugin embeds; see
	// Keyring.
	TrustedKeys [][]byte
	// Fetcher reads upstream metadata through the host's network policy.
	Fetcher Fetcher
}

// Artifact is one downloadable image and everything needed to trust it.
type Artifact struct {
	// URL is where to download it (https).
	URL string
	// FileName is upstream's file name for it.
	FileName string
	// Version is upstream's build identifier: a serial, a dated build, a
	// point release and revision. fetchd compares it to report "outdated".
	Version string
	// Format is the image format upstream publishes.
	Format Format
	// Size is the size in bytes, or 0 when upstream does not say.
	Size int64
	// Digest is what the downloaded bytes must hash to.
	Digest checksum.Digest
	// ChecksumURL is the checksum file or manifest Digest was read from.
	ChecksumURL string
	// Signature says whether and how that file's signature was verified.
	Signature Signature
	// Release, Arch and Variant are the canonical names answered for.
	Release string
	Arch    string
	Variant string
	// ImageSignatureURL is a detached OpenPGP signature over the image's
	// own bytes, when upstream publishes one (Alpine's <image>.asc); ""
	// otherwise. A plugin cannot check it: fetchd does, after the download,
	// against the operator's keys for the source, when there are some.
	ImageSignatureURL string
}

// Format is an image format.
type Format string

// The formats a source may announce.
const (
	FormatQCOW2 Format = "qcow2"
	FormatRaw   Format = "raw"
)

// Signature records how an artifact's digest is vouched for.
type Signature struct {
	Status SignatureStatus
	// KeyFingerprint is the 40-hex-digit fingerprint of the primary key
	// that signed (Verified only).
	KeyFingerprint string
	// SignatureURL is where the signature came from (Verified only).
	SignatureURL string
	// KeyOrigin says whether the key was embedded or operator-configured
	// (Verified only).
	KeyOrigin KeyOrigin
	// Detail is one line for humans.
	Detail string
}

// SignatureStatus is the outcome of signature checking. A signature that
// fails to verify is not a status but an error wrapping ErrBadMetadata.
type SignatureStatus string

// The signature statuses.
const (
	SignatureVerified SignatureStatus = "verified"
	SignatureUnsigned SignatureStatus = "unsigned"
)

// KeyOrigin says where a trusted key came from.
type KeyOrigin string

// The key origins.
const (
	KeyEmbedded KeyOrigin = "embedded"
	KeyOperator KeyOrigin = "operator"
)

// Unsigned returns the Signature of a digest no signature vouches for;
// detail says why, e.g. "upstream signs nothing: checksum over https".
// fetchd shows it after "unsigned: ", so detail need not say "unsigned"
// again.
func Unsigned(detail string) Signature {
	return Signature{Status: SignatureUnsigned, Detail: detail}
}

// Verified returns the Signature of a digest read from a file whose
// signature at sigURL verified against the key with fingerprint fpr.
func Verified(fpr, sigURL string, origin KeyOrigin, detail string) Signature {
	return Signature{Status: SignatureVerified, KeyFingerprint: fpr, SignatureURL: sigURL, KeyOrigin: origin, Detail: detail}
}
