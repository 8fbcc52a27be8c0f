package debian

import (
	"github.com/sandlabx/fetchd/sdk"
)

// Version is the plugin's version.
const Version = "0.2.0"

// DefaultBaseURL is upstream's images/cloud root.
const DefaultBaseURL = "https://cloud.debian.org/images/cloud"

// UnsignedDetail is the Signature detail of every artifact: Debian signs
// nothing over its cloud images or their checksums.
const UnsignedDetail = "checksum over https; Debian publishes no signature over cloud image checksums"

// Source is the Debian source. It is stateless and safe for concurrent use.
type Source struct{}

// New returns the Debian source.
func New() *Source { return &Source{} }

// Describe says what the source offers. It uses no network.
func (s *Source) Describe() sdk.Description {
	rels := make([]sdk.Release, len(releases))
	for i, r := range releases {
		rels[i] = sdk.Release{Name: r.number, Aliases: append([]string(nil), r.aliases...), EOL: r.eol, Summary: r.note}
	}
	as := make([]sdk.Arch, len(arches))
	for i, a := range arches {
		as[i] = sdk.Arch{Name: a.Name, Aliases: append([]string(nil), a.Aliases...)}
	}
	return sdk.Description{
		Name:           "debian",
		Summary:        "Debian cloud images (cloud.debian.org)",
		Version:        Version,
		Releases:       rels,
		Arches:         as,
		Variants:       append([]sdk.Variant(nil), variants...),
		DefaultBaseURL: DefaultBaseURL,
		DefaultRelease: "13",
		DefaultVariant: "generic",
	}
}
