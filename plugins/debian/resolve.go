package debian

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// Resolve finds the current qcow2 image of one release, arch and variant:
// it reads the image's manifest in latest/, takes the pinned build it
// names, and cross-checks the digest against that build's SHA512SUMS. See
// the package documentation for exactly what is read and checked.
func (s *Source) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Artifact, error) {
	r, err := checkRequest(req)
	if err != nil {
		return sdk.Artifact{}, err
	}
	base := strings.TrimRight(req.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	what := fmt.Sprintf("Debian %s %s %s", r.number, req.Variant, req.Arch)

	// 1. The manifest in latest/ names the pinned build.
	manifestURL := base + "/" + r.dir() + "/latest/" + r.family(req.Variant, req.Arch) + ".json"
	body, err := get(ctx, req.Fetcher, "manifest", manifestURL, sdk.ErrNotFound)
	if err != nil {
		if errors.Is(err, sdk.ErrNotFound) {
			return sdk.Artifact{}, fmt.Errorf("upstream publishes no %s image: %w", what, err)
		}
		return sdk.Artifact{}, err
	}
	img, err := readManifest(r, req.Variant, req.Arch, body)
	if err != nil {
		return sdk.Artifact{}, fmt.Errorf("manifest %s: %w", manifestURL, err)
	}

	// 2. The pinned build's SHA512SUMS must agree.
	imageURL := base + "/" + img.ref
	sumsURL := base + "/" + path.Dir(img.ref) + "/SHA512SUMS"
	sums, err := get(ctx, req.Fetcher, "checksum file", sumsURL, sdk.ErrBadMetadata)
	if err != nil {
		return sdk.Artifact{}, fmt.Errorf("the manifest %s names build %s: %w", manifestURL, img.build, err)
	}
	listed, err := checksum.Find(sums, checksum.SHA512, img.fileName)
	if err != nil {
		return sdk.Artifact{}, fmt.Errorf("%s: %v (the manifest %s gives %s for it): %w", sumsURL, err, manifestURL, img.digest, sdk.ErrBadMetadata)
	}
	if listed != img.digest {
		return sdk.Artifact{}, &MismatchError{FileName: img.fileName, ManifestURL: manifestURL, ManifestDigest: img.digest, SumsURL: sumsURL, SumsDigest: listed}
	}

	return sdk.Artifact{
		URL:         imageURL,
		FileName:    img.fileName,
		Version:     img.build,
		Format:      sdk.FormatQCOW2,
		Size:        0, // neither the manifest nor SHA512SUMS gives it
		Digest:      img.digest,
		ChecksumURL: sumsURL,
		Signature:   sdk.Unsigned(UnsignedDetail),
		Release:     r.number,
		Arch:        req.Arch,
		Variant:     req.Variant,
	}, nil
}

// checkRequest returns the release asked for. sdk.Serve has already made
// the names canonical; this guards direct callers.
func checkRequest(req sdk.ResolveRequest) (release, error) {
	r, ok := lookupRelease(req.Release)
	if !ok {
		return release{}, fmt.Errorf("release %q is not offered by debian: %w", clip(req.Release), sdk.ErrNotFound)
	}
	if !slices.ContainsFunc(arches, func(a sdk.Arch) bool { return a.Name == req.Arch }) {
		return release{}, fmt.Errorf("architecture %q is not offered by debian: %w", clip(req.Arch), sdk.ErrNotFound)
	}
	if !slices.ContainsFunc(variants, func(v sdk.Variant) bool { return v.Name == req.Variant }) {
		return release{}, fmt.Errorf("variant %q is not offered by debian: %w", clip(req.Variant), sdk.ErrNotFound)
	}
	if len(req.TrustedKeys) > 0 {
		return release{}, fmt.Errorf("trusted keys are configured for debian, but Debian signs neither its cloud images nor their checksums, so there is nothing to verify them against: remove them: %w", sdk.ErrInvalidArgument)
	}
	if req.Fetcher == nil {
		return release{}, fmt.Errorf("resolve: no Fetcher in the request: %w", sdk.ErrInvalidArgument)
	}
	return r, nil
}

// pinned is the image a manifest names.
type pinned struct {
	ref      string // relative to the images/cloud root
	fileName string
	build    string
	digest   checksum.Digest
}

// readManifest parses a manifest and checks that its qcow2 upload is the
// pinned image of r/variant/arch and that everything the manifest says
// about the build agrees. Errors wrap sdk.ErrBadMetadata (or
// sdk.ErrNotFound when there is no qcow2 upload).
func readManifest(r release, variant, arch string, body []byte) (pinned, error) {
	m, err := ParseManifest(body)
	if err != nil {
		return pinned{}, err
	}
	up, err := m.Image("qcow2")
	if err != nil {
		return pinned{}, err
	}
	build, err := PinnedRef(r, variant, arch, up.Ref)
	if err != nil {
		return pinned{}, err
	}
	for _, c := range []struct{ field, got, want string }{
		{"the Build item's data.info.version", m.Build.Version, build},
		{"the qcow2 upload's " + labelVersion + " label", up.Version, build},
		{"the Build item's data.info.arch", m.Build.Arch, arch},
		{"the Build item's data.info.vendor", m.Build.Vendor, variant},
		{"the Build item's data.info.release", m.Build.Release, r.codename},
	} {
		// The version must be there (ParseManifest checks); the others
		// are checked when upstream gives them.
		if c.got != "" && c.got != c.want {
			return pinned{}, fmt.Errorf("%s is %q but the image ref %q says %q: %w", c.field, clip(c.got), up.Ref, c.want, sdk.ErrBadMetadata)
		}
	}
	d, err := DecodeDigest(up.Digest)
	if err != nil {
		return pinned{}, fmt.Errorf("qcow2 upload: %w", err)
	}
	return pinned{ref: up.Ref, fileName: path.Base(up.Ref), build: build, digest: d}, nil
}
