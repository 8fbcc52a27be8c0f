package signature_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/sdk/signature"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

func TestParseKeyring(t *testing.T) {
	t.Parallel()
	a, b := newKey(t, "a"), newKey(t, "b", sigtest.WithSigningSubkey())
	both := append(a.PublicBinary(), b.PublicBinary()...)
	sorted := []string{a.Fingerprint(), b.Fingerprint()}
	if sorted[0] > sorted[1] {
		sorted[0], sorted[1] = sorted[1], sorted[0]
	}
	tests := map[string]struct {
		keys [][]byte
		want []string
	}{
		"armored":                     {[][]byte{a.PublicArmored()}, []string{a.Fingerprint()}},
		"binary":                      {[][]byte{a.PublicBinary()}, []string{a.Fingerprint()}},
		"with a signing subkey":       {[][]byte{b.PublicArmored()}, []string{b.Fingerprint()}},
		"two items":                   {[][]byte{b.PublicArmored(), a.PublicBinary()}, sorted},
		"two keys in one binary":      {[][]byte{both}, sorted},
		"two keys in one armor":       {[][]byte{armor(t, "PGP PUBLIC KEY BLOCK", both)}, sorted},
		"two armored blocks":          {[][]byte{append(a.PublicArmored(), b.PublicArmored()...)}, sorted},
		"whitespace around armor":     {[][]byte{append(append([]byte("\n \r\n"), a.PublicArmored()...), "\n\n\t"...)}, []string{a.Fingerprint()}},
		"armor with headers and CRLF": {[][]byte{crlf(withHeader(a.PublicArmored(), "Comment: test key"))}, []string{a.Fingerprint()}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			kr, err := signature.ParseKeyring(tt.keys...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, kr.Fingerprints()); diff != "" {
				t.Errorf("fingerprints (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseKeyringRefuses(t *testing.T) {
	t.Parallel()
	a, b := newKey(t, "a"), newKey(t, "b")
	secret := a.SecretArmored()
	tests := map[string]struct {
		keys   [][]byte
		want   string
		secret bool
	}{
		"nothing":                      {nil, "no public key", false},
		"empty item":                   {[][]byte{{}}, "empty key data", false},
		"whitespace":                   {[][]byte{[]byte(" \n")}, "empty key data", false},
		"text":                         {[][]byte{[]byte("hello")}, "neither an armored nor a binary", false},
		"text before armor":            {[][]byte{append([]byte("x\n"), a.PublicArmored()...)}, "neither an armored nor a binary", false},
		"text after armor":             {[][]byte{append(a.PublicArmored(), "x\n"...)}, "text outside an armored block", false},
		"no end line":                  {[][]byte{[]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n")}, "no END line", false},
		"mismatched end line":          {[][]byte{bytes.Replace(a.PublicArmored(), []byte("END PGP PUBLIC KEY BLOCK"), []byte("END PGP SIGNATURE"), 1)}, "does not end with", false},
		"not base64":                   {[][]byte{bytes.Replace(a.PublicArmored(), []byte("\n\n"), []byte("\n\n!!!!\n"), 1)}, "not base64", false},
		"a signature block":            {[][]byte{a.SignDetached([]byte("x"), true)}, `not a "PGP PUBLIC KEY BLOCK"`, false},
		"a signature packet":           {[][]byte{a.SignDetached([]byte("x"), false)}, "", false},
		"truncated binary":             {[][]byte{a.PublicBinary()[:40]}, "", false},
		"secret armored":               {[][]byte{secret}, "refusing a secret key", true},
		"secret binary":                {[][]byte{dearmor(t, secret)}, "refusing a secret key", true},
		"secret next to public":        {[][]byte{b.PublicArmored(), secret}, "key data 2 of 2: refusing a secret key", true},
		"secret inside a public block": {[][]byte{armor(t, "PGP PUBLIC KEY BLOCK", dearmor(t, secret))}, "refusing a secret key", true},
		"same key twice":               {[][]byte{a.PublicArmored(), a.PublicBinary()}, "appears more than once", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			kr, err := signature.ParseKeyring(tt.keys...)
			if err == nil {
				t.Fatalf("ParseKeyring accepted it: %v", kr.Fingerprints())
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if got := errors.Is(err, signature.ErrSecretKey); got != tt.secret {
				t.Errorf("errors.Is(err, ErrSecretKey) = %v, want %v (err: %v)", got, tt.secret, err)
			}
		})
	}
}

func TestFingerprintsIsACopy(t *testing.T) {
	t.Parallel()
	a := newKey(t, "a")
	kr := keyring(t, a)
	kr.Fingerprints()[0] = "changed"
	if diff := cmp.Diff([]string{a.Fingerprint()}, kr.Fingerprints()); diff != "" {
		t.Errorf("fingerprints (-want +got):\n%s", diff)
	}
}
