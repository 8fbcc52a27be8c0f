package oci_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/internal/oci"
)

func TestNewSignerRefuses(t *testing.T) {
	t.Parallel()
	key, _ := newKey(t, "Publisher")
	other, _ := newKey(t, "Other")
	for name, tc := range map[string]struct {
		key  []byte
		want string
	}{
		"public key only": {key.PublicArmored(), "public key only"},
		"two keys":        {append(key.SecretArmored(), other.SecretArmored()...), "holds 2 keys"},
		"not a key":       {[]byte("hello"), "reading the signing key"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := oci.NewSigner(tc.key, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	s, err := oci.NewSigner(key.SecretArmored(), nil)
	if err != nil || s.Fingerprint() != key.Fingerprint() {
		t.Errorf("signer %v, %v; want key %s", s, err, key.Fingerprint())
	}
}

func TestNewSignerPassphrase(t *testing.T) {
	t.Parallel()
	key, _ := newKey(t, "Protected publisher")
	protected := key.SecretArmoredWithPassphrase([]byte("correct horse"))
	if bytes.Equal(protected, key.SecretArmored()) {
		t.Fatal("the protected export equals the unprotected one")
	}
	for name, tc := range map[string]struct {
		pass  string
		want  string
		wrong bool
	}{
		"no passphrase":    {"", "protected by a passphrase; set FETCHD_SIGN_PASSPHRASE_FILE", false},
		"wrong passphrase": {"correct horse battery", "the passphrase does not unlock the signing key", true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := oci.NewSigner(protected, []byte(tc.pass))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if errors.Is(err, oci.ErrWrongPassphrase) != tc.wrong {
				t.Errorf("errors.Is(err, ErrWrongPassphrase) = %v, want %v", !tc.wrong, tc.wrong)
			}
		})
	}
	s, err := oci.NewSigner(protected, []byte("correct horse"))
	if err != nil || s.Fingerprint() != key.Fingerprint() {
		t.Fatalf("with the passphrase: signer %v, %v; want key %s", s, err, key.Fingerprint())
	}
	// An unprotected key ignores a passphrase.
	if _, err := oci.NewSigner(key.SecretArmored(), []byte("anything")); err != nil {
		t.Errorf("unprotected key with a passphrase: %v", err)
	}
}
