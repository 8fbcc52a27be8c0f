package oci

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/sandlabx/fetchd/internal/state"
)

// KubeVirt's containerDisk layout: the disk under /disk/, owned by the
// qemu user KubeVirt runs as.
const (
	containerDiskDir = "disk/"
	kubevirtUID      = 107
)

// containerDiskTar streams the layer: a directory disk/ and disk/<name>
// holding the image, with fixed times and owners so that the same build
// always gives the same layer.
func containerDiskTar(ctx context.Context, f *os.File, name string, size int64) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		epoch := time.Unix(0, 0)
		err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: containerDiskDir, Mode: 0o555, Uid: kubevirtUID, Gid: kubevirtUID, ModTime: epoch, Format: tar.FormatPAX})
		if err == nil {
			err = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: containerDiskDir + name, Mode: 0o440, Size: size, Uid: kubevirtUID, Gid: kubevirtUID, ModTime: epoch, Format: tar.FormatPAX})
		}
		if err == nil {
			_, err = io.Copy(tw, &ctxReader{ctx: ctx, r: io.NewSectionReader(f, 0, size)})
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// pushContainerDisk publishes the build as a containerDisk image tagged
// ContainerDiskTag(tag) and ContainerDiskTag(MovingTag).
func (p *Publisher) pushContainerDisk(ctx context.Context, repo *remote.Repository, repoRef Ref, name string, ent state.Entry, f *os.File, tag string) (Ref, int64, error) {
	cdTag := ContainerDiskTag(tag)
	ref := repoRef.WithTag(cdTag)
	desc, err := repo.Resolve(ctx, cdTag)
	switch {
	case err == nil:
		return ref, 0, p.moveTag(ctx, repo, repoRef, desc, ContainerDiskTag(MovingTag))
	case !errors.Is(err, errdef.ErrNotFound):
		return ref, 0, p.Client.explain(ref, "reading", err)
	}
	// The layer's digest takes one pass over the image; the upload another.
	h := sha256.New()
	rc := containerDiskTar(ctx, f, name, ent.Size)
	n, err := io.Copy(h, rc)
	rc.Close()
	if err != nil {
		return ref, 0, fmt.Errorf("%s: building the containerDisk layer: %w", name, err)
	}
	layer := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.NewDigest(digest.SHA256, h), Size: n}
	var uploaded int64
	has, err := repo.Exists(ctx, layer)
	if err != nil {
		return ref, 0, p.Client.explain(ref, "checking the containerDisk layer of", err)
	}
	if !has {
		rc := containerDiskTar(ctx, f, name, ent.Size)
		err := repo.Push(ctx, layer, rc)
		rc.Close()
		if err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
			return ref, 0, p.Client.explain(ref, "uploading the containerDisk layer of", err)
		}
		uploaded += n
	}
	cfg, err := json.Marshal(ocispec.Image{
		Platform: ocispec.Platform{Architecture: goArch(ent.Arch), OS: "linux"},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{layer.Digest}},
	})
	if err != nil {
		return ref, 0, err
	}
	cd := content.NewDescriptorFromBytes(ocispec.MediaTypeImageConfig, cfg)
	m, err := pushBlob(ctx, repo, cd, cfg)
	if err != nil {
		return ref, uploaded, p.Client.explain(ref, "uploading the containerDisk config of", err)
	}
	uploaded += m
	mdata, err := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    cd,
		Layers:    []ocispec.Descriptor{layer},
		Annotations: map[string]string{
			ocispec.AnnotationTitle:   name,
			ocispec.AnnotationVersion: ent.Version,
			ocispec.AnnotationURL:     ent.URL,
		},
	})
	if err != nil {
		return ref, uploaded, err
	}
	md := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, mdata)
	if err := repo.PushReference(ctx, md, bytes.NewReader(mdata), cdTag); err != nil {
		return ref, uploaded, p.Client.explain(ref, "pushing the containerDisk manifest of", err)
	}
	return ref, uploaded, p.moveTag(ctx, repo, repoRef, md, ContainerDiskTag(MovingTag))
}

// goArch names an upstream architecture as OCI platforms do.
func goArch(a string) string {
	switch a {
	case "x86_64", "amd64":
		return "amd64"
	case "aarch64", "arm64":
		return "arm64"
	case "ppc64el", "ppc64le":
		return "ppc64le"
	case "armhf":
		return "arm"
	}
	return a
}
