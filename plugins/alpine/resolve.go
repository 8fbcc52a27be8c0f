package alpine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// Resolve finds the newest cloud image of a release, architecture and
// variant and its SHA-512 digest. See the package documentation for what it
// reads and in which order.
func (s *Source) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Artifact, error) {
	v, err := s.check(req)
	if err != nil {
		return sdk.Artifact{}, err
	}
	sig, withKeys, err := signature(req)
	if err != nil {
		return sdk.Artifact{}, err
	}
	base := strings.TrimRight(req.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}

	branch := req.Release
	var viaLatest ImageName
	if req.Release == latestStable {
		// latest-stable is a moving directory (a symlink to the newest
		// branch on dl-cdn): its newest image names the branch, and the
		// answer is pinned to that branch's own directory.
		dirURL := base + "/" + latestStable + "/releases/cloud/"
		entries, err := readListing(ctx, req.Fetcher, dirURL)
		if err != nil {
			return sdk.Artifact{}, fmt.Errorf("%s: %w", latestStable, err)
		}
		c := Choose(entries, v, req.Arch, "")
		if !c.Found {
			return sdk.Artifact{}, fmt.Errorf("%s: %s: %w", latestStable, c.notFound(v, req.Arch, "", dirURL), sdk.ErrNotFound)
		}
		branch, viaLatest = c.Image.Branch(), c.Image
	}

	where := "branch " + branch // what messages say this is about
	if req.Release == latestStable {
		where = latestStable + " (branch " + branch + ")"
	}
	dirURL := base + "/v" + branch + "/releases/cloud/"
	entries, err := readListing(ctx, req.Fetcher, dirURL)
	if err != nil {
		return sdk.Artifact{}, fmt.Errorf("%s: %w", where, err)
	}
	c := Choose(entries, v, req.Arch, branch)
	switch {
	case !c.Found:
		return sdk.Artifact{}, fmt.Errorf("%s: %s: %w", where, c.notFound(v, req.Arch, branch, dirURL), sdk.ErrNotFound)
	case req.Release == latestStable && !listed(entries, viaLatest.String()):
		return sdk.Artifact{}, fmt.Errorf("%s: %s/%s/releases/cloud/ lists %s but %s does not (a mirror half-way through a sync?): %w",
			where, base, latestStable, viaLatest, dirURL, sdk.ErrBadMetadata)
	}
	name := c.Image.String()

	sumName := name + ".sha512"
	sumURL := dirURL + sumName
	if !listed(entries, sumName) {
		return sdk.Artifact{}, fmt.Errorf("%s: %s lists %s without its digest file %s (upstream may still be publishing it; try again later): %w",
			where, dirURL, name, sumName, sdk.ErrBadMetadata)
	}
	body, err := get(ctx, req.Fetcher, sumURL)
	switch {
	case errors.Is(err, sdk.ErrNotFound):
		// Listed but gone: the image has no digest to trust.
		return sdk.Artifact{}, fmt.Errorf("%s: digest file of %s: %v: %w", where, name, err, sdk.ErrBadMetadata)
	case err != nil:
		return sdk.Artifact{}, fmt.Errorf("%s: digest file of %s: %w", where, name, err)
	}
	digest, err := checksum.ParseBare(body, checksum.SHA512, name)
	if err != nil {
		return sdk.Artifact{}, fmt.Errorf("%s: %s: %v: %w", where, sumURL, err, sdk.ErrBadMetadata)
	}

	// The .asc is for fetchd to check over the image, with the operator's
	// keys; without keys it is passed on all the same (fetchd ignores it).
	var sigURL string
	switch ascName := name + ".asc"; {
	case listed(entries, ascName):
		sigURL = dirURL + ascName
	case withKeys:
		return sdk.Artifact{}, fmt.Errorf("%s: keys are configured for alpine but %s lists %s without its signature %s: %w",
			where, dirURL, name, ascName, sdk.ErrBadMetadata)
	}

	size := c.Entry.Size
	if size < 0 {
		size = 0 // the listing gives no exact size: unknown
	}
	return sdk.Artifact{
		URL:         dirURL + name,
		FileName:    name,
		Version:     c.Image.Version(),
		Format:      sdk.FormatQCOW2,
		Size:        size,
		Digest:      digest,
		ChecksumURL: sumURL,
		Signature:   sig,
		Release:     req.Release,
		Arch:        req.Arch,
		Variant:     req.Variant,

		ImageSignatureURL: sigURL,
	}, nil
}

// check validates a request's canonical names (sdk.Serve has resolved
// aliases already; direct callers may not have) and refuses what upstream
// does not build.
func (s *Source) check(req sdk.ResolveRequest) (Variant, error) {
	if req.Fetcher == nil {
		return Variant{}, fmt.Errorf("no fetcher in the request: %w", sdk.ErrInvalidArgument)
	}
	if req.Release != latestStable && !isBranch(req.Release) {
		var have []string
		for _, r := range releases() {
			have = append(have, r.Name)
		}
		return Variant{}, fmt.Errorf("release %q is not offered (it has: %s): %w", req.Release, strings.Join(have, ", "), sdk.ErrNotFound)
	}
	if req.Arch != archX86_64 && req.Arch != archAArch64 {
		return Variant{}, fmt.Errorf("architecture %q is not offered (it has: %s, %s): %w", req.Arch, archX86_64, archAArch64, sdk.ErrNotFound)
	}
	v, err := ParseVariant(req.Variant)
	if err != nil {
		return Variant{}, fmt.Errorf("%v: %w", err, sdk.ErrNotFound)
	}
	if req.Arch == archAArch64 && v.Firmware == "bios" {
		uefi := Variant{v.Cloud, "uefi", v.Bootstrap}
		return Variant{}, fmt.Errorf("no %s image for aarch64: upstream builds aarch64 images for uefi only (use %s): %w", v, uefi, sdk.ErrNotFound)
	}
	return v, nil
}
