// Package inhouse is an example fetchd source plugin, written the way a
// third party would write one: for a lab's own image build server.
//
// The server it reads publishes, per release:
//
//	<base>/<release>/labimage-<release>-<arch>-<build>.qcow2
//	<base>/<release>/SHA256SUMS      "<hex>  <file>" lines for every build
//	<base>/<release>/SHA256SUMS.asc  armored detached signature by the
//	                                 lab's release key
//
// Resolve verifies the signature, then picks the newest build listed in
// SHA256SUMS for the release and architecture. Everything is read through
// the host's fetcher; the plugin has no network code.
package inhouse

import (
	"context"
	_ "embed"
	"fmt"
	"regexp"

	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/version"
)

// releaseKey is the lab's image-signing public key. This one is a demo key
// whose private half was thrown away: replace release-key.asc with yours.
//
//go:embed release-key.asc
var releaseKey []byte

// Source is the in-house source.
type Source struct {
	keys [][]byte
}

// Option configures a Source.
type Option func(*Source)

// WithKeyring trusts these public keys instead of the embedded release key.
// Tests use it to sign a replica with a throwaway key.
func WithKeyring(keys ...[]byte) Option {
	return func(s *Source) { s.keys = keys }
}

// New returns the source.
func New(opts ...Option) *Source {
	s := &Source{keys: [][]byte{releaseKey}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Describe says what the source offers. It is static: fetchd calls it for
// `fetchd list-sources` and expects no network traffic.
func (s *Source) Describe() sdk.Description {
	return sdk.Description{
		Name:    "inhouse",
		Summary: "the lab's own images (example third-party plugin)",
		Version: "0.1.0",
		Releases: []sdk.Release{
			{Name: "2026.1", EOL: "2026-12-31"},
			{Name: "2026.2", Aliases: []string{"stable"}},
		},
		Arches:         []sdk.Arch{{Name: "amd64"}, {Name: "arm64"}},
		DefaultBaseURL: "https://images.lab.example.com",
		DefaultRelease: "stable",
	}
}

// buildRE matches an image file name and captures its build.
var buildRE = regexp.MustCompile(`^labimage-([0-9.]+)-(amd64|arm64)-([0-9]{8}(?:\.[0-9]+)?)\.qcow2$`)

// Resolve finds the newest build of the requested release and architecture.
func (s *Source) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Artifact, error) {
	dir := req.BaseURL + "/" + req.Release
	sums, err := req.Fetcher.Fetch(ctx, dir+"/SHA256SUMS", sdk.MaxBytes(1<<20))
	if err != nil {
		return sdk.Artifact{}, err // the host's message names the URL
	}
	sig, err := req.Fetcher.Fetch(ctx, dir+"/SHA256SUMS.asc", sdk.MaxBytes(64<<10))
	if err != nil {
		return sdk.Artifact{}, err
	}
	// Verify with the operator's keys for this release, else ours, and
	// only then read the checksum file.
	checked, err := req.CheckDetached(sums, sig, checksum.SHA256, "", s.keys...)
	if err != nil {
		return sdk.Artifact{}, err
	}
	byBuild := map[string]string{} // build -> file name
	var builds []string
	for _, e := range checked.File.Entries {
		m := buildRE.FindStringSubmatch(e.Name)
		if m == nil || m[1] != req.Release || m[2] != req.Arch {
			continue
		}
		if _, dup := byBuild[m[3]]; !dup {
			builds = append(builds, m[3])
		}
		byBuild[m[3]] = e.Name
	}
	newest, ok := version.Newest(builds)
	if !ok {
		return sdk.Artifact{}, fmt.Errorf("%s lists no labimage build for %s/%s: %w", sums.URL, req.Release, req.Arch, sdk.ErrNotFound)
	}
	name := byBuild[newest]
	entry, err := checked.File.Entry(name, checksum.SHA256) // refuses two different digests for one name
	if err != nil {
		return sdk.Artifact{}, fmt.Errorf("%s: %v: %w", sums.URL, err, sdk.ErrBadMetadata)
	}
	return sdk.Artifact{
		URL:         dir + "/" + name,
		FileName:    name,
		Version:     newest,
		Format:      sdk.FormatQCOW2,
		Digest:      entry.Digest,
		ChecksumURL: sums.URL,
		Signature:   checked.Signature,
		Release:     req.Release,
		Arch:        req.Arch,
		Variant:     req.Variant,
	}, nil
}
