package signature_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/sandlabx/fetchd/sdk/signature"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

// epoch is the time the deterministic test keys are made and sign at.
var epoch = time.Date(2025, time.March, 4, 5, 6, 7, 0, time.UTC)

// signedAt verifies as of an hour after epoch.
var signedAt = signature.At(epoch.Add(time.Hour))

func newKey(t testing.TB, name string, opts ...sigtest.Option) *sigtest.Key {
	t.Helper()
	k, err := sigtest.NewKey(name, "test@example.test", append([]sigtest.Option{sigtest.WithTime(epoch), sigtest.WithSeed(name)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyring(t testing.TB, keys ...*sigtest.Key) *signature.Keyring {
	t.Helper()
	var data [][]byte
	for _, k := range keys {
		data = append(data, k.PublicArmored())
	}
	kr, err := signature.ParseKeyring(data...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// reasonOf returns the Reason of a *VerifyError, or "" with a test error if
// err is something else.
func reasonOf(t testing.TB, err error) signature.Reason {
	t.Helper()
	var ve *signature.VerifyError
	if !errors.As(err, &ve) {
		t.Errorf("error %v (%T) is not a *signature.VerifyError", err, err)
		return ""
	}
	return ve.Reason
}

// flip returns a copy of b with bit 0 of byte i (counted from the end if
// negative) flipped.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	if i < 0 {
		i += len(c)
	}
	c[i] ^= 1
	return c
}
