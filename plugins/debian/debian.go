// Package debian is the built-in Debian source: it finds the current Debian
// cloud image on cloud.debian.org (or a mirror) and its digest.
package debian

import (
	"context"
	"fmt"

	"github.com/sandlabx/fetchd/sdk"
)

// Version is the plugin's version.
const Version = "0.1.0"

// Source is the Debian source.
type Source struct{}

// New returns the Debian source.
func New() *Source { return &Source{} }

// Describe says what the source offers.
func (s *Source) Describe() sdk.Description {
	return sdk.Description{
		Name:    "debian",
		Summary: "Debian cloud images (cloud.debian.org)",
		Version: Version,
		Releases: []sdk.Release{
			{Name: "12", Aliases: []string{"bookworm"}, EOL: "2028-06-30", Summary: "bookworm"},
			{Name: "13", Aliases: []string{"trixie", "stable"}, Summary: "trixie"},
		},
		Arches: []sdk.Arch{{Name: "amd64"}, {Name: "arm64"}},
		Variants: []sdk.Variant{
			{Name: "generic", Summary: "works everywhere, cloud-init included"},
			{Name: "genericcloud", Summary: "smaller; lacks some hardware drivers"},
			{Name: "nocloud", Summary: "no cloud-init; root login without password"},
		},
		DefaultBaseURL: "https://cloud.debian.org/images/cloud",
		DefaultRelease: "13",
		DefaultVariant: "generic",
	}
}

// Resolve is not implemented yet.
func (s *Source) Resolve(context.Context, sdk.ResolveRequest) (sdk.Artifact, error) {
	return sdk.Artifact{}, fmt.Errorf("debian: resolving is not implemented yet: %w", sdk.ErrUnimplemented)
}
