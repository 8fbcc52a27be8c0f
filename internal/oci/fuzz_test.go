package oci

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

func sampleProvenance() Provenance {
	return NewProvenance("debian-13.qcow2", state.Entry{
		Source: "debian", Release: "13", Arch: "amd64", Variant: "generic", Version: "20261109-2641",
		URL: "https://cloud.debian.org/x.qcow2", Format: "qcow2", Size: 4096,
		Digest:     checksum.Digest{Algorithm: checksum.SHA512, Hex: string(make128('a'))},
		VerifiedBy: []string{"sha512", "qcow2-header", "qemu-img info", "qemu-img check"},
		Signature:  "verified (key 0123456789ABCDEF0123456789ABCDEF01234567, operator)",
	}, "test", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
}

func make128(c byte) []byte {
	b := make([]byte, 128)
	for i := range b {
		b[i] = c
	}
	return b
}

// FuzzDecodeProvenance: whatever a registry serves as provenance either is
// refused or decodes to a provenance that validates and encodes back to
// the same value.
func FuzzDecodeProvenance(f *testing.F) {
	good, _ := sampleProvenance().Encode()
	f.Add(good)
	f.Add([]byte(`{"schemaVersion":1}`))
	f.Add([]byte(`{}` + "\n" + `{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodeProvenance(data)
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("decoded but does not validate: %v", err)
		}
		again, err := p.Encode()
		if err != nil {
			t.Fatal(err)
		}
		q, err := DecodeProvenance(again)
		if err != nil {
			t.Fatalf("re-encoded provenance does not decode: %v", err)
		}
		a, _ := json.Marshal(p)
		b, _ := json.Marshal(q)
		if string(a) != string(b) {
			t.Fatalf("round trip changed it:\n%s\n%s", a, b)
		}
	})
}

// FuzzParseManifest: a manifest is refused or yields descriptors that are
// SHA-256, sized, and of the media types fetchd publishes.
func FuzzParseManifest(f *testing.F) {
	p := sampleProvenance()
	cfg := ocispec.Descriptor{MediaType: MediaTypeProvenance, Digest: digest.FromString("c"), Size: 10}
	layer := ocispec.Descriptor{MediaType: MediaTypeQcow2, Digest: digest.FromString("l"), Size: 4096}
	good, _ := buildManifest(p, cfg, layer)
	f.Add(good)
	sig, _ := signatureManifest(cfg, layer)
	f.Add(sig)
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if b, err := ParseManifest(data); err == nil {
			if b.Layer.Digest.Algorithm() != digest.SHA256 || b.Layer.Size <= 0 || b.Config.MediaType != MediaTypeProvenance || (b.Format != "qcow2" && b.Format != "raw") {
				t.Fatalf("accepted %+v", b)
			}
		}
		if pd, sd, err := parseSignatureManifest(data); err == nil {
			if pd.MediaType != MediaTypeSignaturePayload || sd.MediaType != MediaTypePGPSignature || pd.Size > maxSignatureBytes || sd.Size > maxSignatureBytes {
				t.Fatalf("accepted signature manifest %+v %+v", pd, sd)
			}
		}
	})
}
