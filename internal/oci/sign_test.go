package oci_test

import (
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
