package oci

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/signature"
)

// Source is the host-side oci source: it resolves a configured image to
// the build its reference names, for the engine (engine.HostSource).
type Source struct {
	Client *Client
	Config *config.Config
	// Keys are the operator's keys for source oci; nil accepts unsigned
	// builds (and says so).
	Keys *signature.Keyring

	mu       sync.Mutex
	resolved map[string]Resolved // by image name, this run's answers
}

// NewSource returns the oci source of cfg under the network policy.
func NewSource(cfg *config.Config, policy netpolicy.Policy) (*Source, error) {
	src := cfg.Sources[config.OCISourceName]
	s := &Source{Client: &Client{Policy: policy, CredentialsFile: src.OCI.Credentials}, Config: cfg}
	if len(src.KeyData) > 0 {
		kr, err := signature.ParseKeyring(src.KeyData...)
		if err != nil {
			return nil, fmt.Errorf("keys configured for source oci: %w", err)
		}
		s.Keys = kr
	}
	return s, nil
}

// Resolve reads the build im's reference names and answers it as an
// artifact: the image blob's URL, size and SHA-256, the build's version,
// and how it is vouched for.
func (s *Source) Resolve(ctx context.Context, im config.Image) (sdk.Artifact, error) {
	ref, err := s.Config.OCIRef(im)
	if err != nil {
		return sdk.Artifact{}, err
	}
	r, err := s.Client.Resolve(ctx, ref, s.Keys)
	if err != nil {
		return sdk.Artifact{}, err
	}
	s.mu.Lock()
	if s.resolved == nil {
		s.resolved = map[string]Resolved{}
	}
	s.resolved[im.Name] = r
	s.mu.Unlock()
	p := r.Provenance
	art := sdk.Artifact{
		URL:         r.BlobURL,
		FileName:    p.Image,
		Version:     p.Build,
		Format:      sdk.Format(r.Format),
		Size:        r.Layer.Size,
		Digest:      checksum.Digest{Algorithm: checksum.SHA256, Hex: r.Layer.Digest.Encoded()},
		ChecksumURL: r.Ref.String(),
		Release:     p.Release,
		Arch:        p.Arch,
		Variant:     p.Variant,
		Signature:   sdk.Unsigned(Unsigned),
	}
	if r.SignedBy != "" {
		art.Signature = sdk.Verified(r.SignedBy, r.SignatureRef.String(), sdk.KeyOperator,
			"manifest signed by the publisher, checked against the keys configured for source oci")
	}
	return art, nil
}

// Transport returns the download transport for im's registry.
func (s *Source) Transport(im config.Image) http.RoundTripper {
	ref, err := s.Config.OCIRef(im)
	if err != nil {
		return nil
	}
	t, err := s.Client.Transport(ref)
	if err != nil {
		return nil
	}
	return t
}

// Record adds the publisher's provenance to the entry of im installed as
// art.
func (s *Source) Record(im config.Image, art sdk.Artifact, ent *state.Entry) {
	s.mu.Lock()
	r, ok := s.resolved[im.Name]
	s.mu.Unlock()
	if !ok || r.Layer.Digest.Encoded() != art.Digest.Hex {
		return
	}
	p := r.Provenance
	sig := "unsigned"
	if p.Verification.Signature == "verified" {
		sig = fmt.Sprintf("verified (key %s, %s)", p.Verification.SignatureKey, p.Verification.SignatureOrigin)
	} else if p.Verification.SignatureDetail != "" {
		sig += ": " + p.Verification.SignatureDetail
	}
	ent.Published = &state.Published{
		Ref: r.Ref.String(), Image: p.Image, Source: p.Source, Release: p.Release, Arch: p.Arch, Variant: p.Variant,
		Build: p.Build, UpstreamURL: p.UpstreamURL, UpstreamDigest: p.Digest, Signature: sig,
		VerifiedBy: p.Verification.Checks, VerifiedAt: p.Verification.VerifiedAt,
		FetchdVersion: p.Publisher.Version, PublishedAt: p.Publisher.PublishedAt,
	}
}
