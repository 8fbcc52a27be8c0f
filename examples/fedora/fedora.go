// Package fedora is an example fetchd source plugin for Fedora Cloud
// images, the shape of many upstreams: an HTTP directory listing, an
// OpenPGP-clearsigned checksum file with BSD-style lines and size comments,
// a different signing key for each release, and a file name that changed
// between releases. It is written with the sdk's helpers only: no listing,
// checksum or signature code of its own.
//
// The mirror it reads, per release N and architecture A:
//
//	<base>/releases/<N>/Cloud/<A>/images/                   the listing
//	  Fedora-Cloud-Base-Generic-<N>-<respin>.<A>.qcow2      (41 and later)
//	  Fedora-Cloud-Base-<N>-<respin>.<A>.qcow2              (40)
//	  Fedora-Cloud-<N>-<respin>-<A>-CHECKSUM                clearsigned:
//	    # <image>: <size> bytes
//	    SHA256 (<image>) = <hex>
package fedora

import (
	"context"
	"fmt"
	"regexp"

	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/listing"
	"github.com/sandlabx/fetchd/sdk/version"
)

// Source is the Fedora source.
type Source struct {
	// keys are the keys the plugin ships, per release. This example ships
	// none: the operator configures sources.fedora.keys per release (see
	// the guide), and without keys every resolve fails closed.
	keys map[string][][]byte
}

// WithKeys makes the source trust keys (release -> public keys) as its own.
func WithKeys(keys map[string][][]byte) func(*Source) {
	return func(s *Source) { s.keys = keys }
}

// New returns the source.
func New(opts ...func(*Source)) *Source {
	s := &Source{}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Describe says what the source offers; it uses no network.
func (s *Source) Describe() sdk.Description {
	return sdk.Description{
		Name:    "fedora",
		Summary: "Fedora Cloud Base images (example plugin), CHECKSUM clearsigned per release",
		Version: "0.1.0",
		Releases: []sdk.Release{
			{Name: "40", EOL: "2025-05-13"},
			{Name: "41", EOL: "2025-11-19"},
			{Name: "42", Aliases: []string{"latest"}},
		},
		Arches:         []sdk.Arch{{Name: "x86_64", Aliases: []string{"amd64"}}, {Name: "aarch64", Aliases: []string{"arm64"}}},
		DefaultBaseURL: "https://dl.fedoraproject.org/pub/fedora/linux",
		DefaultRelease: "latest",
	}
}

// imageRE matches both file name shapes and captures release, respin and
// architecture.
var imageRE = regexp.MustCompile(`^Fedora-Cloud-Base-(?:Generic-)?([0-9]+)-([0-9]+\.[0-9]+)\.([a-z0-9_]+)\.qcow2$`)

// Resolve finds the newest respin of the release for the architecture.
func (s *Source) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Artifact, error) {
	dir := fmt.Sprintf("%s/releases/%s/Cloud/%s/images/", req.BaseURL, req.Release, req.Arch)
	page, err := req.Fetcher.Fetch(ctx, dir, sdk.MaxBytes(1<<20))
	if err != nil {
		return sdk.Artifact{}, err
	}
	entries, err := listing.Parse(page.Body)
	if err != nil {
		return sdk.Artifact{}, fmt.Errorf("%s: %v: %w", dir, err, sdk.ErrBadMetadata)
	}
	images := map[string]string{} // respin -> file name
	var respins []string
	for _, e := range listing.Files(entries) {
		m := imageRE.FindStringSubmatch(e.Name)
		if m == nil || m[1] != req.Release || m[3] != req.Arch {
			continue
		}
		if _, dup := images[m[2]]; dup {
			return sdk.Artifact{}, fmt.Errorf("%s lists respin %s twice: %w", dir, m[2], sdk.ErrBadMetadata)
		}
		images[m[2]] = e.Name
		respins = append(respins, m[2])
	}
	respin, ok := version.Newest(respins)
	if !ok {
		return sdk.Artifact{}, fmt.Errorf("%s lists no Fedora %s %s cloud image: %w", dir, req.Release, req.Arch, sdk.ErrNotFound)
	}
	name := images[respin]
	sums, err := req.Fetcher.Fetch(ctx, fmt.Sprintf("%sFedora-Cloud-%s-%s-%s-CHECKSUM", dir, req.Release, respin, req.Arch), sdk.MaxBytes(1<<20))
	if err != nil {
		return sdk.Artifact{}, err
	}
	checked, err := req.CheckClearsigned(sums, checksum.SHA256, name, s.keys[req.Release]...)
	if err != nil {
		return sdk.Artifact{}, err
	}
	return sdk.Artifact{
		URL:         dir + name,
		FileName:    name,
		Version:     req.Release + "-" + respin,
		Format:      sdk.FormatQCOW2,
		Size:        checked.Entry.Size,
		Digest:      checked.Entry.Digest,
		ChecksumURL: sums.URL,
		Signature:   checked.Signature,
		Release:     req.Release,
		Arch:        req.Arch,
	}, nil
}
