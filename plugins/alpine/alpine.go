package alpine

import "github.com/sandlabx/fetchd/sdk"

// Version is the plugin's version.
const Version = "0.1.0"

// DefaultBaseURL is upstream's root: the directory that holds v3.NN/ and
// latest-stable/.
const DefaultBaseURL = "https://dl-cdn.alpinelinux.org/alpine"

// Arch names as upstream spells them; Describe aliases Go's names to them.
const (
	archX86_64  = "x86_64"
	archAArch64 = "aarch64"
)

// Source is the Alpine source. Its zero value is ready to use and it keeps
// no state, so concurrent Resolve calls are safe.
type Source struct{}

// New returns the Alpine source.
func New() *Source { return &Source{} }

// Describe says what the source offers; it uses no network.
func (s *Source) Describe() sdk.Description {
	var variants []sdk.Variant
	for _, v := range allVariants() {
		variants = append(variants, sdk.Variant{Name: v.String(), Summary: v.summary()})
	}
	return sdk.Description{
		Name:     "alpine",
		Summary:  "Alpine Linux cloud images (dl-cdn.alpinelinux.org)",
		Version:  Version,
		Releases: releases(),
		Arches: []sdk.Arch{
			{Name: archX86_64, Aliases: []string{"amd64"}},
			{Name: archAArch64, Aliases: []string{"arm64"}},
		},
		Variants:       variants,
		DefaultBaseURL: DefaultBaseURL,
		DefaultRelease: latestStable,
		DefaultVariant: "nocloud-uefi-cloudinit",
	}
}
