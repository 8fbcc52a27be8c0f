package sdk_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/signature"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

const sums = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef *disk.img\n"

// TestCheckDetached: the entry and the signature come from the signed
// file; a refusal wraps ErrBadMetadata and the signature package's
// *VerifyError, names both URLs, and says when a file is an HTML page.
func TestCheckDetached(t *testing.T) {
	t.Parallel()
	own := sigtest.MustNewKey("Upstream", "up@example.invalid", sigtest.WithSeed("verify-own"))
	other := sigtest.MustNewKey("Someone Else", "else@example.invalid", sigtest.WithSeed("verify-other"))
	doc := &sdk.Document{URL: "https://m/SHA256SUMS", Body: []byte(sums)}
	sig := &sdk.Document{URL: "https://m/SHA256SUMS.gpg", Body: own.SignDetached([]byte(sums), false)}

	c, err := sdk.ResolveRequest{Release: "1"}.CheckDetached(doc, sig, checksum.SHA256, "disk.img", own.PublicArmored())
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Entry.Digest.String(); !strings.HasSuffix(got, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") {
		t.Errorf("digest %s", got)
	}
	s := c.Signature
	if s.Status != sdk.SignatureVerified || s.KeyFingerprint != own.Fingerprint() || s.KeyOrigin != sdk.KeyEmbedded || s.SignatureURL != sig.URL {
		t.Errorf("signature %+v", s)
	}

	// The operator's key replaces the embedded one: signed by own, trusted other.
	_, err = sdk.ResolveRequest{Release: "1", TrustedKeys: [][]byte{other.PublicArmored()}}.CheckDetached(doc, sig, checksum.SHA256, "disk.img", own.PublicArmored())
	var ve *signature.VerifyError
	if !errors.Is(err, sdk.ErrBadMetadata) || !errors.As(err, &ve) || ve.Reason != signature.ReasonUnknownSigner {
		t.Fatalf("operator key: %v, want an unknown signer refusal wrapping ErrBadMetadata", err)
	}
	for _, want := range []string{doc.URL, sig.URL, "unknown signer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %q", err, want)
		}
	}

	html := &sdk.Document{URL: "https://m/SHA256SUMS.gpg", Body: []byte("\n<!DOCTYPE html><p>Not found</p>")}
	_, err = sdk.ResolveRequest{Release: "1"}.CheckDetached(doc, html, checksum.SHA256, "disk.img", own.PublicArmored())
	if err == nil || !strings.Contains(err.Error(), "(SHA256SUMS.gpg looks like an HTML page)") {
		t.Errorf("HTML signature: %v", err)
	}

	_, err = sdk.ResolveRequest{Release: "1"}.CheckDetached(doc, sig, checksum.SHA256, "disk.img")
	if !errors.Is(err, sdk.ErrBadMetadata) || !strings.Contains(err.Error(), "no key to verify https://m/SHA256SUMS") {
		t.Errorf("no key: %v", err)
	}
}

// TestCheckClearsigned: a good file gives its entry; text appended after
// the signed block and a tampered text are refused.
func TestCheckClearsigned(t *testing.T) {
	t.Parallel()
	key := sigtest.MustNewKey("Upstream", "up@example.invalid", sigtest.WithSeed("verify-clear"))
	signed := key.Clearsign([]byte(sums))
	req := sdk.ResolveRequest{Release: "1", TrustedKeys: [][]byte{key.PublicArmored()}}

	c, err := req.CheckClearsigned(&sdk.Document{URL: "https://m/CHECKSUM", Body: signed}, checksum.SHA256, "disk.img")
	if err != nil {
		t.Fatal(err)
	}
	if c.Signature.KeyOrigin != sdk.KeyOperator || c.Signature.KeyFingerprint != key.Fingerprint() {
		t.Errorf("signature %+v", c.Signature)
	}
	extra := append(append([]byte{}, signed...), []byte("fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210 *evil.img\n")...)
	tampered := []byte(strings.Replace(string(signed), "0123", "3210", 1))
	for name, body := range map[string][]byte{"text after the signed block": extra, "tampered": tampered} {
		_, err = req.CheckClearsigned(&sdk.Document{URL: "https://m/CHECKSUM", Body: body}, checksum.SHA256, "disk.img")
		var ve *signature.VerifyError
		if !errors.Is(err, sdk.ErrBadMetadata) || !errors.As(err, &ve) || !strings.Contains(err.Error(), "https://m/CHECKSUM") {
			t.Errorf("%s: %v, want a refusal naming the URL", name, err)
		}
	}
}
