package signature_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sandlabx/fetchd/sdk/signature"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

// fuzzKeys are made from fixed seeds at a fixed time: every fuzz worker
// process makes the same keys, so a signature in the corpus verifies in all
// of them. They only ever sign []byte(sums).
func fuzzKeys(f *testing.F) (key, sub *sigtest.Key, kr *signature.Keyring) {
	key = newKey(f, "fuzz")
	sub = newKey(f, "fuzz-sub", sigtest.WithSigningSubkey())
	return key, sub, keyring(f, key, sub)
}

// FuzzVerifyDetached checks that VerifyDetached never panics, that every
// refusal is a *VerifyError, and that it never accepts a signature over
// anything but the one message the keys signed; VerifyDetachedReaderAt
// must agree with it on every input.
func FuzzVerifyDetached(f *testing.F) {
	key, sub, kr := fuzzKeys(f)
	data := []byte(sums)
	armored, binary := key.SignDetached(data, true), key.SignDetached(data, false)
	f.Add(data, armored)
	f.Add(data, binary)
	f.Add(data, sub.SignDetached(data, true))
	f.Add(data, sub.SignDetached(data, false))
	f.Add(data, append(newKey(f, "stranger").SignDetached(data, false), binary...))
	f.Add(data, crlf(withHeader(armored, "Comment: x")))
	f.Add(data[1:], armored)
	f.Add(data, []byte{})
	f.Add(data, []byte("-----BEGIN PGP SIGNATURE-----\n\n-----END PGP SIGNATURE-----\n"))
	f.Add(data, key.PublicBinary())
	f.Fuzz(func(t *testing.T, signed, sig []byte) {
		res, err := signature.VerifyDetached(kr, signed, sig, signedAt)
		// The streaming form must reach the same verdict.
		res2, err2 := signature.VerifyDetachedReaderAt(kr, bytes.NewReader(signed), int64(len(signed)), sig, signedAt)
		if (err == nil) != (err2 == nil) || res != res2 {
			t.Fatalf("VerifyDetached = %+v, %v but VerifyDetachedReaderAt = %+v, %v", res, err, res2, err2)
		}
		if err != nil {
			var ve *signature.VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("refusal %v is a %T, not a *signature.VerifyError", err, err)
			}
			return
		}
		if !bytes.Equal(signed, data) {
			t.Fatalf("accepted a signature over %q; the keys only signed %q", signed, data)
		}
		if res.Fingerprint != key.Fingerprint() && res.Fingerprint != sub.Fingerprint() {
			t.Fatalf("accepted with fingerprint %s, which is neither test key", res.Fingerprint)
		}
		if !res.Created.Equal(epoch) {
			t.Fatalf("accepted a signature dated %v; the keys signed at %v", res.Created, epoch)
		}
	})
}

// FuzzVerifyClearsigned checks that VerifyClearsigned never panics, that
// every refusal is a *VerifyError with no text, and that whatever it accepts
// yields exactly the text the keys signed.
func FuzzVerifyClearsigned(f *testing.F) {
	key, sub, kr := fuzzKeys(f)
	doc := key.Clearsign([]byte(sums))
	f.Add(doc)
	f.Add(sub.Clearsign([]byte(sums)))
	f.Add(crlf(doc))
	f.Add(append([]byte("\n \n"), doc...))
	f.Add(append(bytes.Clone(doc), doc...))
	f.Add(append(bytes.Clone(doc), "x\n"...))
	f.Add(bytes.Replace(doc, []byte("\n\nde5e"), []byte("\n\n- de5e"), 1))
	f.Add(bytes.Replace(doc, []byte("Hash: SHA256"), []byte("Hash: SHA512"), 1))
	f.Add([]byte("-----BEGIN PGP SIGNED MESSAGE-----\n\n-----BEGIN PGP SIGNATURE-----\n\n-----END PGP SIGNATURE-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		text, res, err := signature.VerifyClearsigned(kr, data, signedAt)
		if err != nil {
			var ve *signature.VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("refusal %v is a %T, not a *signature.VerifyError", err, err)
			}
			if text != nil {
				t.Fatalf("a refusal returned text %q", text)
			}
			return
		}
		if string(text) != sums {
			t.Fatalf("accepted, returning %q; the keys only signed %q", text, sums)
		}
		if res.Fingerprint != key.Fingerprint() && res.Fingerprint != sub.Fingerprint() {
			t.Fatalf("accepted with fingerprint %s, which is neither test key", res.Fingerprint)
		}
	})
}
