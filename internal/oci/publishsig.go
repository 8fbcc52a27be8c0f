package oci

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/sandlabx/fetchd/sdk/signature"
)

// sign stores the signer's signature of manifest under SignatureTag,
// unless a signature by the same key already verifies there. It returns
// the bytes uploaded.
func (p *Publisher) sign(ctx context.Context, repo *remote.Repository, repoRef Ref, manifest ocispec.Descriptor) (int64, error) {
	tag := SignatureTag(manifest.Digest.String())
	ref := repoRef.WithTag(tag)
	pub, err := p.Signer.keyring()
	if err != nil {
		return 0, err
	}
	if _, err := readSignature(ctx, repo, repoRef, tag, pub, manifest.Digest.String()); err == nil {
		return 0, nil // signed already, by this key
	} else if se := (*SignatureError)(nil); !errors.As(err, &se) && !errors.Is(err, errdef.ErrNotFound) {
		return 0, p.Client.explain(ref, "reading", err)
	}
	payload, err := newPayload(repoRef.Repository, manifest.Digest.String())
	if err != nil {
		return 0, err
	}
	sig, err := p.Signer.sign(payload)
	if err != nil {
		return 0, err
	}
	pd := content.NewDescriptorFromBytes(MediaTypeSignaturePayload, payload)
	sd := content.NewDescriptorFromBytes(MediaTypePGPSignature, sig)
	var uploaded int64
	for _, b := range []struct {
		d    ocispec.Descriptor
		data []byte
	}{{ocispec.DescriptorEmptyJSON, ocispec.DescriptorEmptyJSON.Data}, {pd, payload}, {sd, sig}} {
		n, err := pushBlob(ctx, repo, b.d, b.data)
		if err != nil {
			return uploaded, p.Client.explain(ref, "uploading the signature", err)
		}
		uploaded += n
	}
	mdata, err := signatureManifest(pd, sd)
	if err != nil {
		return uploaded, err
	}
	md := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, mdata)
	if err := repo.PushReference(ctx, md, bytes.NewReader(mdata), tag); err != nil {
		return uploaded, p.Client.explain(ref, "pushing the signature", err)
	}
	return uploaded, nil
}

// keyring returns the signer's public key as a keyring.
func (s *Signer) keyring() (*signature.Keyring, error) {
	var b bytes.Buffer
	if err := s.entity.Serialize(&b); err != nil {
		return nil, err
	}
	return signature.ParseKeyring(b.Bytes())
}

// readSignature fetches the signature stored under tag and verifies it
// with keys against manifestDigest and repoRef's repository. It returns
// the signer's fingerprint. A missing signature is errdef.ErrNotFound;
// one that does not verify is a *SignatureError.
func readSignature(ctx context.Context, repo *remote.Repository, repoRef Ref, tag string, keys *signature.Keyring, manifestDigest string) (string, error) {
	ref := repoRef.WithTag(tag).String()
	_, data, err := fetchManifest(ctx, repo, tag)
	if err != nil {
		return "", err
	}
	pd, sd, err := parseSignatureManifest(data)
	if err != nil {
		return "", &SignatureError{Ref: ref, Reason: "malformed", Err: err}
	}
	payload, err := fetchBlob(ctx, repo, pd)
	if err != nil {
		return "", err
	}
	sig, err := fetchBlob(ctx, repo, sd)
	if err != nil {
		return "", err
	}
	fpr, err := verifyPayload(keys, payload, sig, repoRef.Repository, manifestDigest)
	if err != nil {
		return "", &SignatureError{Ref: ref, Reason: "it does not verify with the configured keys", Err: err}
	}
	return fpr, nil
}

// fetchBlob reads a small blob, checking its size and digest.
func fetchBlob(ctx context.Context, repo *remote.Repository, d ocispec.Descriptor) ([]byte, error) {
	rc, err := repo.Blobs().Fetch(ctx, d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := content.ReadAll(rc, d)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	return data, nil
}
