package ubuntu

import (
	"context"
	"fmt"

	"github.com/sandlabx/fetchd/plugins/ubuntu/keys"
	"github.com/sandlabx/fetchd/sdk"
)

// Version is the plugin's version.
const Version = "0.2.0"

// DefaultBaseURL is upstream's root.
const DefaultBaseURL = "https://cloud-images.ubuntu.com"

// Source is the Ubuntu source. It keeps no state between calls and is safe
// for concurrent use.
type Source struct {
	keys [][]byte
}

// An Option changes how New builds the source.
type Option func(*Source)

// WithKeyring makes the source trust exactly pub (OpenPGP public keys,
// armored or binary) instead of the Canonical key it embeds, for tests that
// sign a replica's SHA256SUMS with their own key. Answers still report the
// keys as embedded: they are the source's own keys, not the operator's. An
// operator's trusted_keys replace them as they replace the embedded key.
func WithKeyring(pub ...[]byte) Option {
	return func(s *Source) { s.keys = pub }
}

// New returns the Ubuntu source. Without options it trusts Canonical's
// "UEC Image Automatic Signing Key" (package keys).
func New(opts ...Option) *Source {
	s := &Source{keys: [][]byte{keys.UECImageSigningKey}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Describe says what the source offers. It uses no network.
func (s *Source) Describe() sdk.Description {
	rels := make([]sdk.Release, len(releases))
	for i, r := range releases {
		rels[i] = sdk.Release{Name: r.version, Aliases: append([]string(nil), r.aliases...), EOL: r.eol, Summary: r.summary}
	}
	as := make([]sdk.Arch, len(arches))
	for i, a := range arches {
		as[i] = sdk.Arch{Name: a.Name, Aliases: append([]string(nil), a.Aliases...)}
	}
	return sdk.Description{
		Name:           "ubuntu",
		Summary:        "Ubuntu cloud images (cloud-images.ubuntu.com), SHA256SUMS signed by Canonical",
		Version:        Version,
		Releases:       rels,
		Arches:         as,
		Variants:       append([]sdk.Variant(nil), variants...),
		DefaultBaseURL: DefaultBaseURL,
		DefaultRelease: defaultRelease,
		DefaultVariant: variantServer,
	}
}

// Resolve finds the newest build of the requested release, architecture and
// variant in upstream's simplestreams, verifies the SHA256SUMS of its build
// directory and checks that both agree. See the package documentation for
// every file it reads.
func (s *Source) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Artifact, error) {
	rel, ok := findRelease(req.Release)
	if !ok {
		return sdk.Artifact{}, fmt.Errorf("release %q is not offered by ubuntu: %w", req.Release, sdk.ErrNotFound)
	}
	st, err := streamFor(req.Variant)
	if err != nil {
		return sdk.Artifact{}, err
	}
	if req.Fetcher == nil {
		return sdk.Artifact{}, fmt.Errorf("resolve needs a fetcher: %w", sdk.ErrInvalidArgument)
	}
	return resolver{req: req, rel: rel, stream: st, keys: s.keys}.resolve(ctx)
}
