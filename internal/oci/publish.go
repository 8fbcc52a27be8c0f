package oci

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// Publisher pushes an image directory's verified builds to a registry.
type Publisher struct {
	Client *Client
	// Dir is the image directory.
	Dir string
	// To is the repository root: each image goes to To/<RepositoryName>.
	To Ref
	// Signer signs each build's manifest; nil publishes unsigned.
	Signer *Signer
	// ContainerDisk also publishes each qcow2 build as a KubeVirt
	// containerDisk.
	ContainerDisk bool
	// FetchdVersion goes into the provenance.
	FetchdVersion string
}

// Published is what Publish did for one image.
type Published struct {
	Name string
	// Ref is the build's immutable reference (repository:build tag) and
	// Manifest its digest.
	Ref      Ref
	Manifest string
	// Uploaded counts the bytes of blobs uploaded now; Reused is true when
	// the image blob was already in the registry.
	Uploaded int64
	Reused   bool
	// Existing is true when the build tag already named this build: no
	// manifest was pushed.
	Existing bool
	// Signed is the signing key's fingerprint, "" when unsigned;
	// SignatureRef where the signature is.
	Signed       string
	SignatureRef Ref
	// ContainerDisk is the containerDisk's reference, if one was published.
	ContainerDisk *Ref
}

// Publish publishes the builds of the named images (state must record
// them, and each file must still be exactly what fetchd verified).
func (p *Publisher) Publish(ctx context.Context, st *state.State, name string) (Published, error) {
	out := Published{Name: name}
	ent, ok := st.Get(name)
	if !ok {
		return out, fmt.Errorf("%s has no verified build in %s (run fetchd sync first)", name, p.Dir)
	}
	repoRef, err := p.To.Child(name)
	if err != nil {
		return out, err
	}
	tag, err := BuildTag(ent.Version)
	if err != nil {
		return out, err
	}
	out.Ref = repoRef.WithTag(tag)
	repo, err := p.Client.Repository(repoRef)
	if err != nil {
		return out, err
	}
	f, err := openVerified(filepath.Join(p.Dir, name), ent)
	if err != nil {
		return out, err
	}
	defer f.Close()
	layerDigest, err := hashVerified(ctx, f, ent)
	if err != nil {
		return out, fmt.Errorf("%s: %w", name, err)
	}
	layer := ocispec.Descriptor{MediaType: layerMediaType(ent.Format), Digest: layerDigest, Size: ent.Size}

	manifest, err := p.existing(ctx, repo, out.Ref, layer)
	if err != nil {
		return out, err
	}
	if manifest != nil {
		out.Existing, out.Reused = true, true
	} else {
		m, up, reused, err := p.pushBuild(ctx, repo, repoRef, name, ent, f, layer, tag)
		if err != nil {
			return out, err
		}
		manifest, out.Uploaded, out.Reused = &m, up, reused
	}
	out.Manifest = manifest.Digest.String()
	if err := p.moveTag(ctx, repo, repoRef, *manifest, MovingTag); err != nil {
		return out, err
	}
	if p.Signer != nil {
		n, err := p.sign(ctx, repo, repoRef, *manifest)
		if err != nil {
			return out, err
		}
		out.Uploaded += n
		out.Signed = p.Signer.Fingerprint()
		out.SignatureRef = repoRef.WithTag(SignatureTag(out.Manifest))
	}
	if p.ContainerDisk && formatOf(ent.Format) == "qcow2" {
		cd, n, err := p.pushContainerDisk(ctx, repo, repoRef, name, ent, f, tag)
		if err != nil {
			return out, err
		}
		out.Uploaded += n
		out.ContainerDisk = &cd
	}
	return out, nil
}

// openVerified opens the image without following a symlink and checks it
// is still the file fetchd verified (its recorded stamp: device, inode,
// size, mode, owner, mtime and ctime).
func openVerified(path string, ent state.Entry) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !ent.Matches(fi) {
		f.Close()
		return nil, fmt.Errorf("%s changed since fetchd verified it; run fetchd sync (or verify) before publishing", path)
	}
	return f, nil
}

// hashVerified hashes the open file, checks it against the recorded
// digest, and returns its SHA-256 (the layer digest).
func hashVerified(ctx context.Context, f *os.File, ent state.Entry) (digest.Digest, error) {
	s256 := sha256.New()
	var rec hash.Hash
	w := io.Writer(s256)
	if ent.Digest.Algorithm != checksum.SHA256 {
		h, err := newHash(ent.Digest.Algorithm)
		if err != nil {
			return "", err
		}
		rec = h
		w = io.MultiWriter(s256, rec)
	}
	if _, err := io.Copy(w, &ctxReader{ctx: ctx, r: io.NewSectionReader(f, 0, ent.Size)}); err != nil {
		return "", fmt.Errorf("hashing: %w", err)
	}
	sum := hex.EncodeToString(s256.Sum(nil))
	got := sum
	if rec != nil {
		got = hex.EncodeToString(rec.Sum(nil))
	}
	if got != ent.Digest.Hex {
		return "", fmt.Errorf("the file does not match its record (%s): modified on disk? run fetchd verify", ent.Digest.Short())
	}
	return digest.NewDigestFromEncoded(digest.SHA256, sum), nil
}

// existing returns the manifest the build tag names when it is this build
// (same image layer), nil when the tag does not exist, and an error when
// the tag names another build: build tags never move.
func (p *Publisher) existing(ctx context.Context, repo *remote.Repository, ref Ref, layer ocispec.Descriptor) (*ocispec.Descriptor, error) {
	desc, data, err := fetchManifest(ctx, repo, ref.Tag)
	if errors.Is(err, errdef.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, p.Client.explain(ref, "reading", err)
	}
	b, err := ParseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s already exists and is not a fetchd build: %w", ref, err)
	}
	if b.Layer.Digest != layer.Digest {
		return nil, fmt.Errorf("%s already names another build (image %s, this one is %s): build tags are immutable; remove the tag in the registry if the old build is wrong", ref, b.Layer.Digest, layer.Digest)
	}
	return &desc, nil
}

// pushBuild uploads what the registry lacks of the build and tags its
// manifest.
func (p *Publisher) pushBuild(ctx context.Context, repo *remote.Repository, repoRef Ref, name string, ent state.Entry, f *os.File, layer ocispec.Descriptor, tag string) (ocispec.Descriptor, int64, bool, error) {
	ref := repoRef.WithTag(tag)
	var uploaded int64
	has, err := repo.Exists(ctx, layer)
	if err != nil {
		return ocispec.Descriptor{}, 0, false, p.Client.explain(ref, "checking the image blob of", err)
	}
	if !has {
		r := &ctxReader{ctx: ctx, r: io.NewSectionReader(f, 0, layer.Size)}
		if err := repo.Push(ctx, layer, r); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
			return ocispec.Descriptor{}, 0, false, p.Client.explain(ref, "uploading the image of", err)
		}
		uploaded += layer.Size
	}
	prov, err := NewProvenance(name, ent, p.FetchdVersion, now()).Encode()
	if err != nil {
		return ocispec.Descriptor{}, 0, false, err
	}
	config := content.NewDescriptorFromBytes(MediaTypeProvenance, prov)
	n, err := pushBlob(ctx, repo, config, prov)
	if err != nil {
		return ocispec.Descriptor{}, 0, false, p.Client.explain(ref, "uploading the provenance of", err)
	}
	uploaded += n
	pv, _ := DecodeProvenance(prov)
	mdata, err := buildManifest(pv, config, layer)
	if err != nil {
		return ocispec.Descriptor{}, 0, false, err
	}
	mdesc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, mdata)
	mdesc.ArtifactType = ArtifactType
	if err := repo.PushReference(ctx, mdesc, bytes.NewReader(mdata), tag); err != nil {
		return ocispec.Descriptor{}, 0, false, p.Client.explain(ref, "pushing the manifest of", err)
	}
	return mdesc, uploaded, has, nil
}

// pushBlob uploads data unless the registry has it, and returns the bytes
// uploaded.
func pushBlob(ctx context.Context, repo *remote.Repository, desc ocispec.Descriptor, data []byte) (int64, error) {
	has, err := repo.Exists(ctx, desc)
	if err != nil {
		return 0, err
	}
	if has {
		return 0, nil
	}
	if err := repo.Push(ctx, desc, bytes.NewReader(data)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return 0, err
	}
	return desc.Size, nil
}

// moveTag points tag at desc unless it already does.
func (p *Publisher) moveTag(ctx context.Context, repo *remote.Repository, repoRef Ref, desc ocispec.Descriptor, tag string) error {
	cur, err := repo.Resolve(ctx, tag)
	switch {
	case err == nil && cur.Digest == desc.Digest:
		return nil
	case err != nil && !errors.Is(err, errdef.ErrNotFound):
		return p.Client.explain(repoRef.WithTag(tag), "reading", err)
	}
	if err := repo.Tag(ctx, desc, tag); err != nil {
		return p.Client.explain(repoRef.WithTag(tag), "tagging", err)
	}
	return nil
}

// fetchManifest reads the manifest a tag or digest names, bounded.
func fetchManifest(ctx context.Context, repo *remote.Repository, reference string) (ocispec.Descriptor, []byte, error) {
	desc, rc, err := repo.Manifests().FetchReference(ctx, reference)
	if err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	defer rc.Close()
	if desc.Size > MaxManifestBytes {
		return ocispec.Descriptor{}, nil, fmt.Errorf("manifest %s is %d bytes, over the %d-byte cap", reference, desc.Size, MaxManifestBytes)
	}
	data, err := content.ReadAll(rc, desc)
	if err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	return desc, data, nil
}

// ctxReader stops reading when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
