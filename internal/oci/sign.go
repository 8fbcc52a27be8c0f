package oci

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/sandlabx/fetchd/sdk/signature"
)

// Media types of a signature manifest.
const (
	ArtifactTypeSignature     = "application/vnd.sandlabx.fetchd.signature.v1"
	MediaTypeSignaturePayload = "application/vnd.sandlabx.fetchd.signature.payload.v1+json"
	MediaTypePGPSignature     = "application/pgp-signature"
	// payloadType is the payload's "type".
	payloadType = "fetchd manifest signature v1"
	// maxSignatureBytes bounds each blob of a signature manifest.
	maxSignatureBytes = 64 << 10
)

// Payload is what a signature signs: the manifest digest, and the
// repository it was published to (without the registry host, so that a
// replica of the registry under another name still verifies).
type Payload struct {
	Type       string `json:"type"`
	Repository string `json:"repository"`
	Manifest   string `json:"manifest"`
}

func newPayload(repository, manifestDigest string) ([]byte, error) {
	return json.Marshal(Payload{Type: payloadType, Repository: repository, Manifest: manifestDigest})
}

// ErrWrongPassphrase: the passphrase given does not unlock the signing key.
var ErrWrongPassphrase = errors.New("the passphrase does not unlock the signing key (a wrong passphrase, or a damaged key file)")

// Signer signs payloads with an OpenPGP secret key.
type Signer struct {
	entity *openpgp.Entity
}

// NewSigner reads an OpenPGP secret key (armored or binary). A key
// protected by a passphrase needs passphrase; an unprotected key ignores it.
func NewSigner(key []byte, passphrase []byte) (*Signer, error) {
	var el openpgp.EntityList
	var err error
	if n := bytes.Count(key, []byte("-----BEGIN PGP ")); n > 1 {
		// go-crypto would read the first block and ignore the rest.
		return nil, fmt.Errorf("the signing key file holds %d keys, want exactly 1", n)
	} else if n == 1 {
		el, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(key))
	} else {
		el, err = openpgp.ReadKeyRing(bytes.NewReader(key))
	}
	if err != nil {
		return nil, fmt.Errorf("reading the signing key: %w", err)
	}
	if len(el) != 1 {
		return nil, fmt.Errorf("the signing key file holds %d keys, want exactly 1", len(el))
	}
	e := el[0]
	if e.PrivateKey == nil {
		return nil, errors.New("the signing key file holds a public key only; --sign-key needs the secret key")
	}
	if err := decrypt(e, passphrase); err != nil {
		return nil, err
	}
	if _, ok := e.SigningKey(now()); !ok {
		return nil, errors.New("the signing key has no valid signing (sub)key")
	}
	return &Signer{entity: e}, nil
}

func decrypt(e *openpgp.Entity, passphrase []byte) error {
	keys := []*packet.PrivateKey{e.PrivateKey}
	for _, s := range e.Subkeys {
		if s.PrivateKey != nil {
			keys = append(keys, s.PrivateKey)
		}
	}
	for _, k := range keys {
		if !k.Encrypted {
			continue
		}
		if len(passphrase) == 0 {
			return errors.New("the signing key is protected by a passphrase; set FETCHD_SIGN_PASSPHRASE_FILE to a file holding it")
		}
		if err := k.Decrypt(passphrase); err != nil {
			return fmt.Errorf("%w: %w", ErrWrongPassphrase, err)
		}
	}
	return nil
}

// Fingerprint is the signing key's primary fingerprint (40 hex digits).
func (s *Signer) Fingerprint() string {
	return fmt.Sprintf("%X", s.entity.PrimaryKey.Fingerprint)
}

// sign returns an armored detached signature over data, made with SHA-256.
func (s *Signer) sign(data []byte) ([]byte, error) {
	var out bytes.Buffer
	cfg := &packet.Config{DefaultHash: crypto.SHA256, Time: now}
	if err := openpgp.ArmoredDetachSign(&out, s.entity, bytes.NewReader(data), cfg); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return out.Bytes(), nil
}

// signatureManifest returns the manifest that stores a signature: an empty
// config, the payload and the signature as its two layers.
func signatureManifest(payload, sig ocispec.Descriptor) ([]byte, error) {
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: ArtifactTypeSignature,
		Config:       ocispec.DescriptorEmptyJSON,
		Layers:       []ocispec.Descriptor{payload, sig},
	}
	return json.Marshal(m)
}

// parseSignatureManifest returns the payload and signature descriptors of
// a signature manifest.
func parseSignatureManifest(data []byte) (payload, sig ocispec.Descriptor, err error) {
	if len(data) > MaxManifestBytes {
		return payload, sig, fmt.Errorf("signature manifest is %d bytes, over the cap", len(data))
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return payload, sig, fmt.Errorf("signature manifest: %w", err)
	}
	if m.ArtifactType != ArtifactTypeSignature || len(m.Layers) != 2 ||
		m.Layers[0].MediaType != MediaTypeSignaturePayload || m.Layers[1].MediaType != MediaTypePGPSignature {
		return payload, sig, errors.New("signature manifest: not a fetchd signature (want artifactType " + ArtifactTypeSignature + " with a payload and an OpenPGP signature)")
	}
	for _, d := range m.Layers {
		if err := checkDescriptor(d, maxSignatureBytes); err != nil {
			return payload, sig, fmt.Errorf("signature manifest: %w", err)
		}
	}
	return m.Layers[0], m.Layers[1], nil
}

// SignatureError says that a build's signature is missing or does not
// verify against the operator's keys.
type SignatureError struct {
	Ref    string // the signature's reference
	Reason string
	Err    error
}

func (e *SignatureError) Error() string {
	s := "signature " + e.Ref + " refused: " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *SignatureError) Unwrap() error { return e.Err }

// verifyPayload checks sig over payload with keys and that payload names
// repository and manifestDigest. It returns the signer's fingerprint.
func verifyPayload(keys *signature.Keyring, payload, sig []byte, repository, manifestDigest string) (string, error) {
	res, err := signature.VerifyDetached(keys, payload, sig)
	if err != nil {
		return "", err
	}
	var p Payload
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return "", fmt.Errorf("payload: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "", errors.New("payload: data after the JSON object")
	}
	switch {
	case p.Type != payloadType:
		return "", fmt.Errorf("payload type %q, want %q", p.Type, payloadType)
	case p.Manifest != manifestDigest:
		return "", fmt.Errorf("it signs manifest %s, not %s (a signature moved from another build)", p.Manifest, manifestDigest)
	case p.Repository != repository:
		return "", fmt.Errorf("it signs repository %q, not %q (a build moved from another image)", p.Repository, repository)
	}
	return res.Fingerprint, nil
}
