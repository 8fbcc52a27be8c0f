package signature_test

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"io"
	"testing"

	"github.com/sandlabx/fetchd/sdk/signature"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

// BenchmarkImageSignature measures checking a detached signature over an
// image-sized input (what sync does for Alpine's .asc with operator keys)
// against the obvious floor, hashing the same bytes with the signature's
// hash alone. Compare the MB/s of each pair:
//
//	go test -run=NONE -bench=ImageSignature ./sdk/signature
func BenchmarkImageSignature(b *testing.B) {
	data := bytes.Repeat([]byte("fetchd image signature benchmark "), (64<<20)/32)
	for _, tc := range []struct {
		name string
		hash crypto.Hash
		new  func() hash.Hash
	}{
		{"sha256", crypto.SHA256, sha256.New},
		{"sha512", crypto.SHA512, sha512.New},
	} {
		key := newKey(b, "bench-"+tc.name, sigtest.WithSignatureHash(tc.hash))
		kr := keyring(b, key)
		sig := key.SignDetached(data, true)
		b.Run("verify-"+tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := signature.VerifyDetachedReaderAt(kr, bytes.NewReader(data), int64(len(data)), sig, signedAt); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("hash-only-"+tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				h := tc.new()
				if _, err := io.Copy(h, bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
				h.Sum(nil)
			}
		})
	}
}
