package oci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// ProvenanceVersion is the provenance format this package writes and reads.
const ProvenanceVersion = 1

// MaxProvenanceBytes bounds a provenance blob; real ones are about 1 KiB.
const MaxProvenanceBytes = 64 << 10

// Provenance is the config blob of a published build: where the build came
// from and how the publisher verified it. It is JSON (MediaTypeProvenance).
type Provenance struct {
	SchemaVersion int `json:"schemaVersion"`
	// Image is the image's file name on the publisher.
	Image   string `json:"image"`
	Source  string `json:"source,omitempty"` // "" for a direct-URL image
	Release string `json:"release,omitempty"`
	Arch    string `json:"arch,omitempty"`
	Variant string `json:"variant,omitempty"`
	// Build is upstream's build identifier (a serial, a dated build, a
	// point release and revision).
	Build  string `json:"build"`
	Format string `json:"format"`
	Size   int64  `json:"size"`
	// UpstreamURL is where the publisher downloaded the bytes.
	UpstreamURL string `json:"upstreamURL"`
	// ChecksumURL is the checksum file or manifest the digest came from.
	ChecksumURL string `json:"checksumURL,omitempty"`
	// Digest is upstream's digest of the bytes ("sha512:<hex>"), in
	// DigestAlgorithm; the layer's own digest is always SHA-256.
	Digest          string `json:"digest"`
	DigestAlgorithm string `json:"digestAlgorithm"`
	// Verification says how the publisher checked the build.
	Verification Verification `json:"verification"`
	// Publisher says who published it, with what, when.
	Publisher PublishedBy `json:"publisher"`
}

// Verification is how the publisher checked a build before publishing it.
type Verification struct {
	// Signature is "verified" or "unsigned".
	Signature string `json:"signature"`
	// SignatureKey is the fingerprint of the key that signed upstream's
	// checksum file (or the image), and SignatureOrigin whether the
	// plugin embeds it or the operator configured it (verified only).
	SignatureKey    string `json:"signatureKey,omitempty"`
	SignatureOrigin string `json:"signatureOrigin,omitempty"`
	// SignatureDetail is the publisher's record, e.g. why it is unsigned.
	SignatureDetail string `json:"signatureDetail,omitempty"`
	// Checks are the checks that passed, in order (e.g. "sha256",
	// "qcow2-header", "qemu-img info", "qemu-img check").
	Checks           []string  `json:"checks"`
	HeaderInspection bool      `json:"headerInspection"`
	QemuImgInfo      bool      `json:"qemuImgInfo"`
	QemuImgCheck     bool      `json:"qemuImgCheck"`
	VerifiedAt       time.Time `json:"verifiedAt"`
}

// PublishedBy is who published a build.
type PublishedBy struct {
	Tool        string    `json:"tool"` // "fetchd"
	Version     string    `json:"version"`
	PublishedAt time.Time `json:"publishedAt"`
}

// signedRE reads the signature text state records (engine.signatureText).
var signedRE = regexp.MustCompile(`^verified \(key ([0-9A-F]{40}), (embedded|operator)\)$`)

// NewProvenance describes the build recorded as ent for image name.
func NewProvenance(name string, ent state.Entry, fetchdVersion string, now time.Time) Provenance {
	p := Provenance{
		SchemaVersion: ProvenanceVersion,
		Image:         name, Source: ent.Source, Release: ent.Release, Arch: ent.Arch, Variant: ent.Variant,
		Build: ent.Version, Format: formatOf(ent.Format), Size: ent.Size,
		UpstreamURL: ent.URL, ChecksumURL: ent.ChecksumURL,
		Digest: ent.Digest.String(), DigestAlgorithm: string(ent.Digest.Algorithm),
		Publisher: PublishedBy{Tool: "fetchd", Version: fetchdVersion, PublishedAt: now.UTC()},
	}
	v := &p.Verification
	v.Checks = slices.Clone(ent.VerifiedBy)
	if v.Checks == nil {
		v.Checks = []string{}
	}
	v.VerifiedAt = ent.VerifiedAt.UTC()
	v.HeaderInspection = slices.Contains(v.Checks, "qcow2-header") || slices.Contains(v.Checks, "format-probe")
	v.QemuImgInfo = slices.Contains(v.Checks, "qemu-img info")
	v.QemuImgCheck = slices.Contains(v.Checks, "qemu-img check")
	if m := signedRE.FindStringSubmatch(ent.Signature); m != nil {
		v.Signature, v.SignatureKey, v.SignatureOrigin = "verified", m[1], m[2]
	} else {
		v.Signature = "unsigned"
		detail, _ := strings.CutPrefix(ent.Signature, "unsigned: ")
		v.SignatureDetail = detail
	}
	return p
}

func formatOf(f string) string {
	if f == "" {
		return "qcow2"
	}
	return f
}

// Encode returns the provenance as its blob holds it.
func (p Provenance) Encode() ([]byte, error) {
	return json.MarshalIndent(p, "", "  ")
}

// DecodeProvenance parses a provenance blob: one JSON object of at most
// MaxProvenanceBytes, schema version 1, unknown fields refused, every
// required field present and well-formed.
func DecodeProvenance(data []byte) (Provenance, error) {
	if len(data) > MaxProvenanceBytes {
		return Provenance{}, fmt.Errorf("provenance is %d bytes, over the %d-byte cap", len(data), MaxProvenanceBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Provenance
	if err := dec.Decode(&p); err != nil {
		return Provenance{}, fmt.Errorf("provenance: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Provenance{}, errors.New("provenance: data after the JSON object")
	}
	return p, p.Validate()
}

// Validate checks the fields consumers rely on.
func (p Provenance) Validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("provenance: "+format, args...)
	}
	if p.SchemaVersion != ProvenanceVersion {
		return fail("schema version %d (this fetchd reads %d)", p.SchemaVersion, ProvenanceVersion)
	}
	d, err := checksum.ParseDigest(p.Digest)
	if err != nil {
		return fail("digest: %v", err)
	}
	if string(d.Algorithm) != p.DigestAlgorithm {
		return fail("digest %s is not in the algorithm %q it names", d.Short(), p.DigestAlgorithm)
	}
	switch {
	case p.Image == "" || p.Build == "":
		return fail("image and build are required")
	case p.Format != "qcow2" && p.Format != "raw":
		return fail("format %q (want qcow2 or raw)", p.Format)
	case p.Size <= 0:
		return fail("size %d", p.Size)
	case p.Verification.Signature != "verified" && p.Verification.Signature != "unsigned":
		return fail("verification.signature %q (want verified or unsigned)", p.Verification.Signature)
	}
	for _, s := range []string{p.Image, p.Source, p.Release, p.Arch, p.Variant, p.Build, p.UpstreamURL, p.ChecksumURL,
		p.Verification.SignatureKey, p.Verification.SignatureOrigin, p.Verification.SignatureDetail, p.Publisher.Tool, p.Publisher.Version} {
		if len(s) > 4096 || hasControl(s) {
			return fail("a field holds control characters or is over 4096 bytes")
		}
	}
	for _, c := range p.Verification.Checks {
		if len(c) > 64 || hasControl(c) {
			return fail("check name %q", c)
		}
	}
	return nil
}

// UpstreamDigest returns Digest parsed.
func (p Provenance) UpstreamDigest() checksum.Digest {
	d, _ := checksum.ParseDigest(p.Digest)
	return d
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
