package oci

import (
	"context"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"

	"github.com/sandlabx/fetchd/sdk/signature"
)

// Unsigned is what the answer says of a build when no keys are configured.
const Unsigned = "registry digest only"

// Resolved is a published build as a consumer sees it.
type Resolved struct {
	// Ref names the build by its manifest digest.
	Ref        Ref
	Manifest   ocispec.Descriptor
	Layer      ocispec.Descriptor
	Format     string
	Provenance Provenance
	// BlobURL is where the image blob is downloaded.
	BlobURL string
	// SignedBy is the fingerprint of the operator's key that signed the
	// manifest, "" without keys; SignatureRef where the signature is.
	SignedBy     string
	SignatureRef Ref
}

// Resolve reads what ref names: tag → manifest digest, the manifest, its
// provenance and, when keys is not nil, its signature, which must verify
// with one of keys (a build without one is refused).
func (c *Client) Resolve(ctx context.Context, ref Ref, keys *signature.Keyring) (Resolved, error) {
	repoRef := ref.WithTag("")
	repo, err := c.Repository(repoRef)
	if err != nil {
		return Resolved{}, err
	}
	reference := ref.Digest
	if reference == "" {
		reference = ref.Tag
	}
	if reference == "" {
		reference = MovingTag
	}
	desc, data, err := fetchManifest(ctx, repo, reference)
	if errors.Is(err, errdef.ErrNotFound) {
		return Resolved{}, fmt.Errorf("%s: not found in the registry (published? fetchd publish --to %s)", ref, parentOf(repoRef))
	}
	if err != nil {
		return Resolved{}, c.explain(ref, "reading", err)
	}
	b, err := ParseManifest(data)
	if err != nil {
		return Resolved{}, fmt.Errorf("%s: %w", ref, err)
	}
	r := Resolved{Ref: repoRef.WithDigest(desc.Digest.String()), Manifest: desc, Layer: b.Layer, Format: b.Format}
	cfg, err := fetchBlob(ctx, repo, b.Config)
	if err != nil {
		return Resolved{}, c.explain(r.Ref, "reading the provenance of", err)
	}
	if r.Provenance, err = DecodeProvenance(cfg); err != nil {
		return Resolved{}, fmt.Errorf("%s: %w", r.Ref, err)
	}
	if err := r.check(); err != nil {
		return Resolved{}, fmt.Errorf("%s: %w", r.Ref, err)
	}
	if keys != nil {
		tag := SignatureTag(r.Manifest.Digest.String())
		r.SignatureRef = repoRef.WithTag(tag)
		r.SignedBy, err = readSignature(ctx, repo, repoRef, tag, keys, r.Manifest.Digest.String())
		if errors.Is(err, errdef.ErrNotFound) {
			return Resolved{}, &SignatureError{Ref: r.SignatureRef.String(), Reason: "not signed (keys are configured for source oci, so every build must be signed by one of them)"}
		}
		if err != nil {
			var se *SignatureError
			if errors.As(err, &se) {
				return Resolved{}, err
			}
			return Resolved{}, c.explain(r.SignatureRef, "reading", err)
		}
	}
	scheme := "https://"
	if ref.PlainHTTP {
		scheme = "http://"
	}
	r.BlobURL = scheme + ref.Registry + "/v2/" + ref.Repository + "/blobs/" + r.Layer.Digest.String()
	return r, nil
}

// check makes the manifest and the provenance agree.
func (r Resolved) check() error {
	p := r.Provenance
	switch {
	case p.Format != r.Format:
		return fmt.Errorf("provenance says format %s, the layer is %s", p.Format, r.Format)
	case p.Size != r.Layer.Size:
		return fmt.Errorf("provenance says %d bytes, the layer is %d", p.Size, r.Layer.Size)
	case p.DigestAlgorithm == "sha256" && p.UpstreamDigest().Hex != r.Layer.Digest.Encoded():
		return fmt.Errorf("provenance digest %s is not the layer's %s", p.Digest, r.Layer.Digest)
	}
	return nil
}

// parentOf names the repository root a build was published under.
func parentOf(r Ref) string {
	for i := len(r.Repository) - 1; i >= 0; i-- {
		if r.Repository[i] == '/' {
			r.Repository = r.Repository[:i]
			return r.String()
		}
	}
	return r.Registry
}
