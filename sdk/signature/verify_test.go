package signature_test

import (
	"crypto"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/sdk/signature"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

const sums = "de5e63c2b8ef4b4c3e7d1a0f8b3c6d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8 *ubuntu-24.04-server-cloudimg-amd64.img\n"

func TestVerifyDetached(t *testing.T) {
	t.Parallel()
	a := newKey(t, "a")
	sub := newKey(t, "sub", sigtest.WithSigningSubkey())
	other := newKey(t, "other")
	shortLived := newKey(t, "short-lived", sigtest.WithLifetime(24*time.Hour))
	data := []byte(sums)
	resultFor := func(k *sigtest.Key, name string) signature.Result {
		return signature.Result{Fingerprint: k.Fingerprint(), KeyID: k.KeyID(), UserID: name + " <test@example.test>", Created: epoch}
	}
	tests := map[string]struct {
		keyring *signature.Keyring
		data    []byte
		sig     []byte
		opts    []signature.Option
		want    signature.Result
	}{
		"armored":                        {keyring(t, a), data, a.SignDetached(data, true), nil, resultFor(a, "a")},
		"binary":                         {keyring(t, a), data, a.SignDetached(data, false), nil, resultFor(a, "a")},
		"armored with CRLF and a header": {keyring(t, a), data, crlf(withHeader(a.SignDetached(data, true), "Version: GnuPG v2")), nil, resultFor(a, "a")},
		"empty data":                     {keyring(t, a), nil, a.SignDetached(nil, true), nil, resultFor(a, "a")},
		"signing subkey":                 {keyring(t, sub), data, sub.SignDetached(data, true), nil, resultFor(sub, "sub")},
		"keyring of several keys":        {keyring(t, other, a, sub), data, a.SignDetached(data, false), nil, resultFor(a, "a")},
		"an unknown signer beside a good one": {keyring(t, a), data,
			append(other.SignDetached(data, false), a.SignDetached(data, false)...), nil, resultFor(a, "a")},
		"short-lived key while it is valid": {keyring(t, shortLived), data, shortLived.SignDetached(data, true),
			[]signature.Option{signature.At(epoch.Add(23 * time.Hour))}, resultFor(shortLived, "short-lived")},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			opts := append([]signature.Option{signedAt}, tt.opts...)
			got, err := signature.VerifyDetached(tt.keyring, tt.data, tt.sig, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVerifyDetachedReportsThePrimaryKeyForASubkey(t *testing.T) {
	t.Parallel()
	k := newKey(t, "sub", sigtest.WithSigningSubkey())
	got, err := signature.VerifyDetached(keyring(t, k), []byte(sums), k.SignDetached([]byte(sums), false), signedAt)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(got.Fingerprint, got.KeyID) {
		t.Errorf("KeyID %s is the primary key's (fingerprint %s); want the subkey's", got.KeyID, got.Fingerprint)
	}
	if got.Fingerprint != k.Fingerprint() {
		t.Errorf("Fingerprint = %s, want the primary key's %s", got.Fingerprint, k.Fingerprint())
	}
}

func TestVerifyDetachedRefuses(t *testing.T) {
	t.Parallel()
	a := newKey(t, "a")
	other := newKey(t, "other")
	shortLived := newKey(t, "short-lived", sigtest.WithLifetime(24*time.Hour))
	weakHash := newKey(t, "weak-hash", sigtest.WithSignatureHash(crypto.SHA1))
	future := newKey(t, "future", sigtest.WithTime(epoch.Add(2*time.Hour)))
	rsa1024 := sigtest.MustNewKey("rsa1024", "test@example.test", sigtest.WithTime(epoch), sigtest.WithRSA(1024))
	revoked := newKey(t, "revoked")
	data := []byte(sums)
	revokedSig := revoked.SignDetached(data, true)
	revoked.Revoke()

	good := a.SignDetached(data, false)
	goodArmored := a.SignDetached(data, true)
	md5 := append([]byte(nil), good...)
	if md5[0] != 0xc2 || md5[1] >= 192 {
		t.Fatalf("unexpected signature packet header % x", md5[:2])
	}
	md5[5] = 1 // the hash algorithm octet of a v4 signature: MD5

	tests := map[string]struct {
		keyring *signature.Keyring
		data    []byte
		sig     []byte
		at      time.Time
		want    signature.Reason
		wantIDs []string
		msg     []string
	}{
		"signer not in the keyring": {keyring(t, a), data, other.SignDetached(data, true), time.Time{}, signature.ReasonUnknownSigner,
			[]string{other.KeyID()}, []string{other.KeyID(), a.Fingerprint()}},
		"tampered data":             {keyring(t, a), flip(data, 3), goodArmored, time.Time{}, signature.ReasonBadSignature, []string{a.KeyID()}, nil},
		"data with one more byte":   {keyring(t, a), append(data, '\n'), goodArmored, time.Time{}, signature.ReasonBadSignature, nil, nil},
		"data truncated":            {keyring(t, a), data[:len(data)-1], goodArmored, time.Time{}, signature.ReasonBadSignature, nil, nil},
		"tampered signature value":  {keyring(t, a), data, flip(good, -1), time.Time{}, signature.ReasonBadSignature, nil, nil},
		"tampered signed subpacket": {keyring(t, a), data, flip(good, 12), time.Time{}, signature.ReasonBadSignature, nil, nil},
		"a good and a bad signature by the same key": {keyring(t, a), data, append(a.SignDetached([]byte("x"), false), good...), time.Time{},
			signature.ReasonBadSignature, nil, nil},
		"empty signature":              {keyring(t, a), data, nil, time.Time{}, signature.ReasonMalformed, nil, []string{"empty"}},
		"whitespace signature":         {keyring(t, a), data, []byte("\n \n"), time.Time{}, signature.ReasonMalformed, nil, nil},
		"text":                         {keyring(t, a), data, []byte("not a signature"), time.Time{}, signature.ReasonMalformed, nil, nil},
		"text before the armor":        {keyring(t, a), data, append([]byte("x\n"), goodArmored...), time.Time{}, signature.ReasonMalformed, nil, nil},
		"text after the armor":         {keyring(t, a), data, append(goodArmored, "x\n"...), time.Time{}, signature.ReasonMalformed, nil, nil},
		"garbage line in the armor":    {keyring(t, a), data, []byte(strings.Replace(string(goodArmored), "\n\n", "\n\n$$$$\n", 1)), time.Time{}, signature.ReasonMalformed, nil, nil},
		"line after the checksum":      {keyring(t, a), data, []byte(strings.Replace(string(goodArmored), "\n-----END", "\nAAAA\n-----END", 1)), time.Time{}, signature.ReasonMalformed, nil, nil},
		"two armored blocks":           {keyring(t, a), data, append(goodArmored, goodArmored...), time.Time{}, signature.ReasonMalformed, nil, nil},
		"empty armored block":          {keyring(t, a), data, []byte("-----BEGIN PGP SIGNATURE-----\n\n-----END PGP SIGNATURE-----\n"), time.Time{}, signature.ReasonMalformed, nil, nil},
		"a public key block":           {keyring(t, a), data, a.PublicArmored(), time.Time{}, signature.ReasonMalformed, nil, nil},
		"a public key, binary":         {keyring(t, a), data, a.PublicBinary(), time.Time{}, signature.ReasonMalformed, nil, nil},
		"a clearsigned document":       {keyring(t, a), data, a.Clearsign(data), time.Time{}, signature.ReasonMalformed, nil, nil},
		"truncated binary":             {keyring(t, a), data, good[:len(good)-5], time.Time{}, signature.ReasonMalformed, nil, nil},
		"binary with trailing garbage": {keyring(t, a), data, append(good, 'x'), time.Time{}, signature.ReasonMalformed, nil, nil},
		"expired key": {keyring(t, shortLived), data, shortLived.SignDetached(data, true), epoch.Add(48 * time.Hour),
			signature.ReasonKeyExpired, []string{shortLived.KeyID()}, nil},
		"revoked key":               {keyring(t, revoked), data, revokedSig, time.Time{}, signature.ReasonKeyRevoked, []string{revoked.KeyID()}, nil},
		"SHA-1 signature":           {keyring(t, weakHash), data, weakHash.SignDetached(data, true), time.Time{}, signature.ReasonWeakAlgorithm, []string{weakHash.KeyID()}, []string{"SHA-1"}},
		"MD5 signature":             {keyring(t, a), data, md5, time.Time{}, signature.ReasonWeakAlgorithm, nil, nil},
		"RSA-1024 key":              {keyring(t, rsa1024), data, rsa1024.SignDetached(data, true), time.Time{}, signature.ReasonWeakAlgorithm, nil, []string{"RSA-1024"}},
		"signature from the future": {keyring(t, future), data, future.SignDetached(data, true), time.Time{}, signature.ReasonFutureSignature, nil, nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			at := signedAt
			if !tt.at.IsZero() {
				at = signature.At(tt.at)
			}
			res, err := signature.VerifyDetached(tt.keyring, tt.data, tt.sig, at)
			if err == nil {
				t.Fatalf("accepted: %+v", res)
			}
			t.Log(err)
			if diff := cmp.Diff(signature.Result{}, res); diff != "" {
				t.Errorf("a refusal returned a result (-want +got):\n%s", diff)
			}
			if got := reasonOf(t, err); got != tt.want {
				t.Errorf("reason %q, want %q (error: %v)", got, tt.want, err)
			}
			var ve *signature.VerifyError
			if tt.wantIDs != nil && errors.As(err, &ve) {
				if diff := cmp.Diff(tt.wantIDs, ve.KeyIDs); diff != "" {
					t.Errorf("KeyIDs (-want +got):\n%s", diff)
				}
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestVerifyNilKeyring(t *testing.T) {
	t.Parallel()
	a := newKey(t, "a")
	if _, err := signature.VerifyDetached(nil, []byte(sums), a.SignDetached([]byte(sums), true)); err == nil {
		t.Error("VerifyDetached accepted a nil keyring")
	}
	if _, _, err := signature.VerifyClearsigned(nil, a.Clearsign([]byte(sums))); err == nil {
		t.Error("VerifyClearsigned accepted a nil keyring")
	}
}

func TestKeyringIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	a, sub := newKey(t, "a"), newKey(t, "sub", sigtest.WithSigningSubkey())
	kr := keyring(t, a, sub)
	data := []byte(sums)
	sigs := [][]byte{a.SignDetached(data, true), sub.SignDetached(data, false)}
	doc := sub.Clearsign(data)
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			var err error
			if i%2 == 0 {
				_, err = signature.VerifyDetached(kr, data, sigs[i%4/2], signedAt)
			} else {
				_, _, err = signature.VerifyClearsigned(kr, doc, signedAt)
			}
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
