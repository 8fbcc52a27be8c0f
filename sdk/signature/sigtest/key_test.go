package sigtest_test

import (
	"bytes"
	"crypto"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/sandlabx/fetchd/sdk/signature"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

var epoch = time.Date(2025, time.March, 4, 5, 6, 7, 0, time.UTC)

func TestSeedAndTimeMakeTheSameBytes(t *testing.T) {
	t.Parallel()
	newSeeded := func(seed string) *sigtest.Key {
		return sigtest.MustNewKey("seeded", "seeded@example.test", sigtest.WithSeed(seed), sigtest.WithTime(epoch), sigtest.WithSigningSubkey())
	}
	a, b, c := newSeeded("one"), newSeeded("one"), newSeeded("two")
	if !bytes.Equal(a.PublicBinary(), b.PublicBinary()) {
		t.Error("two keys from the same seed differ")
	}
	if !bytes.Equal(a.SignDetached([]byte("x"), false), b.SignDetached([]byte("x"), false)) {
		t.Error("the same signature from keys with the same seed differs")
	}
	if a.Fingerprint() == c.Fingerprint() {
		t.Error("keys from different seeds have the same fingerprint")
	}
}

func TestKeysSignWhatTheyClaim(t *testing.T) {
	t.Parallel()
	tests := map[string][]sigtest.Option{
		"ed25519":        nil,
		"signing subkey": {sigtest.WithSigningSubkey()},
		"SHA-512":        {sigtest.WithSignatureHash(crypto.SHA512)},
	}
	data := []byte("abc *x.img\n")
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			k, err := sigtest.NewKey(name, "k@example.test", append(opts, sigtest.WithTime(epoch))...)
			if err != nil {
				t.Fatal(err)
			}
			kr, err := signature.ParseKeyring(k.PublicArmored())
			if err != nil {
				t.Fatal(err)
			}
			at := signature.At(epoch.Add(time.Minute))
			for _, armored := range []bool{true, false} {
				res, err := signature.VerifyDetached(kr, data, k.SignDetached(data, armored), at)
				if err != nil {
					t.Fatalf("armored=%v: %v", armored, err)
				}
				if res.Fingerprint != k.Fingerprint() || res.KeyID != k.KeyID() || !res.Created.Equal(epoch) {
					t.Errorf("armored=%v: result %+v, want fingerprint %s, key id %s, created %v", armored, res, k.Fingerprint(), k.KeyID(), epoch)
				}
			}
			text, _, err := signature.VerifyClearsigned(kr, k.Clearsign(data), at)
			if err != nil || !bytes.Equal(text, data) {
				t.Errorf("clearsigned: text %q, error %v; want %q", text, err, data)
			}
		})
	}
}

func TestNewKeyRefusesASubsecondLifetime(t *testing.T) {
	t.Parallel()
	if _, err := sigtest.NewKey("k", "k@example.test", sigtest.WithLifetime(time.Millisecond)); err == nil {
		t.Error("NewKey accepted a lifetime of a millisecond")
	}
}

func TestSigningAfterRevokePanics(t *testing.T) {
	t.Parallel()
	k := sigtest.MustNewKey("k", "k@example.test", sigtest.WithTime(epoch))
	k.Revoke()
	defer func() {
		if recover() == nil {
			t.Error("a revoked key signed")
		}
	}()
	k.SignDetached([]byte("x"), true)
}

func TestUserIDWithComment(t *testing.T) {
	t.Parallel()
	k, err := sigtest.NewKey("Fedora", "fedora-41-primary@fedoraproject.org", sigtest.WithComment("41"), sigtest.WithTime(epoch))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := signature.ParseKeyring(k.PublicArmored())
	if err != nil {
		t.Fatal(err)
	}
	res, err := signature.VerifyDetached(kr, []byte("x"), k.SignDetached([]byte("x"), true), signature.At(epoch.Add(time.Minute)))
	if err != nil || res.UserID != "Fedora (41) <fedora-41-primary@fedoraproject.org>" {
		t.Errorf("user id %q, %v", res.UserID, err)
	}
	if _, err := sigtest.NewKey("Fedora (41)", "f@example.invalid"); err == nil || !strings.Contains(err.Error(), "WithComment") {
		t.Errorf("a name with a parenthesis: %v, want an error pointing at WithComment", err)
	}
}

func TestSecretArmoredWithPassphrase(t *testing.T) {
	t.Parallel()
	k := sigtest.MustNewKey("Protected", "p@example.test", sigtest.WithSigningSubkey())
	el, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(k.SecretArmoredWithPassphrase([]byte("pw"))))
	if err != nil || len(el) != 1 {
		t.Fatalf("reading the protected export: %d keys, %v", len(el), err)
	}
	e := el[0]
	if !e.PrivateKey.Encrypted || len(e.Subkeys) == 0 {
		t.Fatalf("the export's primary secret key is not encrypted (%d subkeys)", len(e.Subkeys))
	}
	for _, sub := range e.Subkeys {
		if !sub.PrivateKey.Encrypted {
			t.Fatalf("subkey %X of the export is not encrypted", sub.PublicKey.KeyId)
		}
	}
	if err := e.DecryptPrivateKeys([]byte("wrong")); err == nil {
		t.Error("a wrong passphrase unlocked the key")
	}
	if err := e.DecryptPrivateKeys([]byte("pw")); err != nil {
		t.Errorf("the passphrase does not unlock the key: %v", err)
	}
	// The Key itself stays unprotected.
	el, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(k.SecretArmored()))
	if err != nil || el[0].PrivateKey.Encrypted {
		t.Errorf("SecretArmored after the protected export: encrypted %v, %v", err == nil && el[0].PrivateKey.Encrypted, err)
	}
}
