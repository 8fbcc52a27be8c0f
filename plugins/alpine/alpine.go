// Package alpine is the built-in Alpine source: it finds the current Alpine
// cloud image on dl-cdn.alpinelinux.org (or a mirror) and its digest.
package alpine

import (
	"context"
	"fmt"

	"github.com/sandlabx/fetchd/sdk"
)

// Version is the plugin's version.
const Version = "0.1.0"

// Source is the Alpine source.
type Source struct{}

// New returns the Alpine source.
func New() *Source { return &Source{} }

// Describe says what the source offers.
func (s *Source) Describe() sdk.Description {
	var variants []sdk.Variant
	for _, cloud := range []string{"nocloud", "generic"} {
		for _, fw := range []string{"uefi", "bios"} {
			for _, boot := range []string{"cloudinit", "tiny"} {
				variants = append(variants, sdk.Variant{Name: cloud + "-" + fw + "-" + boot})
			}
		}
	}
	return sdk.Description{
		Name:    "alpine",
		Summary: "Alpine Linux cloud images (dl-cdn.alpinelinux.org)",
		Version: Version,
		Releases: []sdk.Release{
			{Name: "latest-stable", Summary: "the newest stable branch"},
			{Name: "3.20", EOL: "2026-04-01"},
			{Name: "3.21", EOL: "2026-11-01"},
			{Name: "3.22", EOL: "2027-05-01"},
		},
		Arches: []sdk.Arch{
			{Name: "x86_64", Aliases: []string{"amd64"}},
			{Name: "aarch64", Aliases: []string{"arm64"}},
		},
		Variants:       variants,
		DefaultBaseURL: "https://dl-cdn.alpinelinux.org/alpine",
		DefaultRelease: "latest-stable",
		DefaultVariant: "nocloud-uefi-cloudinit",
	}
}

// Resolve is not implemented yet.
func (s *Source) Resolve(context.Context, sdk.ResolveRequest) (sdk.Artifact, error) {
	return sdk.Artifact{}, fmt.Errorf("alpine: resolving is not implemented yet: %w", sdk.ErrUnimplemented)
}
