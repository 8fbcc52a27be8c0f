package oci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Media types of a published build.
const (
	// ArtifactType is the artifactType of a build's manifest.
	ArtifactType = "application/vnd.sandlabx.fetchd.image.v1"
	// MediaTypeProvenance is the config blob: a Provenance as JSON.
	MediaTypeProvenance = "application/vnd.sandlabx.fetchd.provenance.v1+json"
	// MediaTypeQcow2 and MediaTypeRaw are the image layer, the bytes as
	// they are installed.
	MediaTypeQcow2 = "application/vnd.sandlabx.fetchd.image.qcow2"
	MediaTypeRaw   = "application/vnd.sandlabx.fetchd.image.raw"
)

// Annotations fetchd adds beyond the standard org.opencontainers.image.* ones.
const (
	AnnotationSource         = "io.github.sandlabx.fetchd.source"
	AnnotationUpstreamDigest = "io.github.sandlabx.fetchd.upstream-digest"
)

// MaxManifestBytes bounds a manifest; fetchd's are under 2 KiB.
const MaxManifestBytes = 256 << 10

// layerMediaType returns the layer media type of an image format.
func layerMediaType(format string) string {
	if format == "raw" {
		return MediaTypeRaw
	}
	return MediaTypeQcow2
}

// buildManifest returns the manifest of one build: config is the
// provenance blob's descriptor, layer the image's.
func buildManifest(p Provenance, config, layer ocispec.Descriptor) ([]byte, error) {
	layer.Annotations = map[string]string{ocispec.AnnotationTitle: p.Image}
	desc := p.Source
	if desc == "" {
		desc = "url"
	}
	desc = strings.Join(nonEmpty(desc, p.Release, p.Arch, p.Variant), " ")
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: ArtifactType,
		Config:       config,
		Layers:       []ocispec.Descriptor{layer},
		Annotations: map[string]string{
			ocispec.AnnotationCreated:     p.Publisher.PublishedAt.UTC().Format(time.RFC3339),
			ocispec.AnnotationTitle:       p.Image,
			ocispec.AnnotationVersion:     p.Build,
			ocispec.AnnotationURL:         p.UpstreamURL,
			ocispec.AnnotationDescription: fmt.Sprintf("%s, build %s, verified by fetchd %s", desc, p.Build, p.Publisher.Version),
			AnnotationSource:              desc,
			AnnotationUpstreamDigest:      p.Digest,
		},
	}
	return json.Marshal(m)
}

func nonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Build is what a build's manifest points at.
type Build struct {
	Config ocispec.Descriptor
	Layer  ocispec.Descriptor
	// Format is "qcow2" or "raw", from the layer's media type.
	Format string
}

// ParseManifest checks that data is a fetchd build's manifest and returns
// what it points at: an OCI image manifest, schema 2, whose config is a
// provenance blob and whose one layer is a qcow2 or raw image, every
// digest SHA-256 and every size within bounds.
func ParseManifest(data []byte) (Build, error) {
	if len(data) > MaxManifestBytes {
		return Build{}, fmt.Errorf("manifest is %d bytes, over the %d-byte cap", len(data), MaxManifestBytes)
	}
	var m ocispec.Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return Build{}, fmt.Errorf("manifest: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Build{}, errors.New("manifest: data after the JSON object")
	}
	switch {
	case m.SchemaVersion != 2:
		return Build{}, fmt.Errorf("manifest: schema version %d, want 2", m.SchemaVersion)
	case m.MediaType != ocispec.MediaTypeImageManifest:
		return Build{}, fmt.Errorf("manifest: media type %q, want %s", m.MediaType, ocispec.MediaTypeImageManifest)
	case m.Config.MediaType != MediaTypeProvenance:
		return Build{}, fmt.Errorf("not a fetchd image: config media type %q, want %s (was it published by fetchd publish?)", m.Config.MediaType, MediaTypeProvenance)
	case len(m.Layers) != 1:
		return Build{}, fmt.Errorf("manifest: %d layers, want 1 (the image)", len(m.Layers))
	}
	if err := checkDescriptor(m.Config, MaxProvenanceBytes); err != nil {
		return Build{}, fmt.Errorf("manifest: config: %w", err)
	}
	l := m.Layers[0]
	b := Build{Config: m.Config, Layer: l}
	switch l.MediaType {
	case MediaTypeQcow2:
		b.Format = "qcow2"
	case MediaTypeRaw:
		b.Format = "raw"
	default:
		return Build{}, fmt.Errorf("manifest: layer media type %q, want %s or %s", l.MediaType, MediaTypeQcow2, MediaTypeRaw)
	}
	if err := checkDescriptor(l, 1<<50); err != nil {
		return Build{}, fmt.Errorf("manifest: layer: %w", err)
	}
	return b, nil
}

// checkDescriptor refuses a descriptor that is not SHA-256, or whose size
// is not in 1..max.
func checkDescriptor(d ocispec.Descriptor, max int64) error {
	if err := d.Digest.Validate(); err != nil {
		return fmt.Errorf("digest %q: %w", d.Digest, err)
	}
	if d.Digest.Algorithm() != digest.SHA256 {
		return fmt.Errorf("digest %s: only sha256 is accepted", d.Digest)
	}
	if d.Size <= 0 || d.Size > max {
		return fmt.Errorf("size %d outside 1..%d", d.Size, max)
	}
	return nil
}
