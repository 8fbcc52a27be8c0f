package keys_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/plugins/ubuntu/keys"
	"github.com/sandlabx/fetchd/sdk/signature"
)

// canonicalFingerprint is spelled out here, independently of the package's
// constant, so that changing the constant and the key together still fails.
const canonicalFingerprint = "D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81"

func TestUECImageSigningKey(t *testing.T) {
	t.Parallel()
	if keys.UECImageSigningKeyFingerprint != canonicalFingerprint {
		t.Fatalf("UECImageSigningKeyFingerprint = %s, want Canonical's %s", keys.UECImageSigningKeyFingerprint, canonicalFingerprint)
	}
	kr, err := signature.ParseKeyring(keys.UECImageSigningKey)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{canonicalFingerprint}, kr.Fingerprints()); diff != "" {
		t.Errorf("embedded key fingerprints (-want +got):\n%s", diff)
	}
}

// testdata/SHA256SUMS and SHA256SUMS.gpg are Canonical's files for an
// Ubuntu 24.04 (noble) release build of 2026-07-25 from
// cloud-images.ubuntu.com, as quoted in a public project's test suite (no
// network here). The signature verifying with the embedded key is what
// makes them authentic.
func TestUECImageSigningKeyVerifiesARealSHA256SUMS(t *testing.T) {
	t.Parallel()
	kr, err := signature.ParseKeyring(keys.UECImageSigningKey)
	if err != nil {
		t.Fatal(err)
	}
	sums := readFile(t, "SHA256SUMS")
	sig := readFile(t, "SHA256SUMS.gpg")
	// A fixed verification time keeps the test valid if the key ever gets an
	// expiry date.
	at := signature.At(time.Date(2026, time.August, 1, 0, 0, 0, 0, time.UTC))
	got, err := signature.VerifyDetached(kr, sums, sig, at)
	if err != nil {
		t.Fatal(err)
	}
	want := signature.Result{
		Fingerprint: canonicalFingerprint,
		KeyID:       "1A5D6C4C7DB87C81",
		UserID:      "UEC Image Automatic Signing Key <cdimage@ubuntu.com>",
		Created:     time.Date(2026, time.July, 25, 22, 34, 7, 0, time.UTC),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}

	tampered := append([]byte(nil), sums...)
	tampered[0] ^= 1
	if _, err := signature.VerifyDetached(kr, tampered, sig, at); err == nil {
		t.Error("a tampered SHA256SUMS verified")
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testdata/uec-image-signing-key-2009.asc is an older export of the same key
// whose only self-signature is the 2009 SHA-1 one. sdk/signature accepts
// SHA-1 self-signatures made before 2019-01-19; this pins that Canonical's
// key keeps working even from such an export.
func TestThe2009ExportIsTheSameKeyAndVerifies(t *testing.T) {
	t.Parallel()
	kr, err := signature.ParseKeyring(readFile(t, "uec-image-signing-key-2009.asc"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{canonicalFingerprint}, kr.Fingerprints()); diff != "" {
		t.Errorf("fingerprints (-want +got):\n%s", diff)
	}
	at := signature.At(time.Date(2026, time.August, 1, 0, 0, 0, 0, time.UTC))
	if _, err := signature.VerifyDetached(kr, readFile(t, "SHA256SUMS"), readFile(t, "SHA256SUMS.gpg"), at); err != nil {
		t.Error(err)
	}
}
