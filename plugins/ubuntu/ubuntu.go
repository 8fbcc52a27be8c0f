// Package ubuntu is the built-in Ubuntu source: it finds the current Ubuntu
// cloud image on cloud-images.ubuntu.com (or a mirror) and its digest.
package ubuntu

import (
	"context"
	"fmt"

	"github.com/sandlabx/fetchd/sdk"
)

// Version is the plugin's version.
const Version = "0.1.0"

// Source is the Ubuntu source.
type Source struct{}

// New returns the Ubuntu source.
func New() *Source { return &Source{} }

// Describe says what the source offers.
func (s *Source) Describe() sdk.Description {
	return sdk.Description{
		Name:    "ubuntu",
		Summary: "Ubuntu cloud images (cloud-images.ubuntu.com)",
		Version: Version,
		Releases: []sdk.Release{
			{Name: "20.04", Aliases: []string{"focal"}, EOL: "2025-05-31", Summary: "Focal Fossa LTS"},
			{Name: "22.04", Aliases: []string{"jammy"}, EOL: "2027-06-01", Summary: "Jammy Jellyfish LTS"},
			{Name: "24.04", Aliases: []string{"noble", "lts"}, EOL: "2029-05-31", Summary: "Noble Numbat LTS"},
		},
		Arches: []sdk.Arch{
			{Name: "amd64"}, {Name: "arm64"}, {Name: "armhf"}, {Name: "ppc64el"}, {Name: "riscv64"}, {Name: "s390x"},
		},
		Variants: []sdk.Variant{
			{Name: "server", Summary: "the release build from releases/<version>/release/"},
			{Name: "daily", Summary: "the newest daily build from <codename>/current/"},
		},
		DefaultBaseURL: "https://cloud-images.ubuntu.com",
		DefaultRelease: "24.04",
		DefaultVariant: "server",
	}
}

// Resolve is not implemented yet.
func (s *Source) Resolve(context.Context, sdk.ResolveRequest) (sdk.Artifact, error) {
	return sdk.Artifact{}, fmt.Errorf("ubuntu: resolving is not implemented yet: %w", sdk.ErrUnimplemented)
}
