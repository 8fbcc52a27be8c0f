package signature_test

import (
	"errors"
	"fmt"

	"github.com/sandlabx/fetchd/sdk/signature"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

func ExampleVerifyDetached() {
	// A plugin embeds its upstream's public key; this example makes a
	// throwaway one and signs a checksum file with it, as upstream would.
	upstream := sigtest.MustNewKey("Example Image Signing Key", "images@example.test")
	sums := []byte("de5e63c2b8ef4b4c3e7d1a0f8b3c6d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8 *example.img\n")
	sig := upstream.SignDetached(sums, true) // served as SHA256SUMS.gpg

	keyring, err := signature.ParseKeyring(upstream.PublicArmored())
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := signature.VerifyDetached(keyring, sums, sig)
	fmt.Println(res.UserID, err)

	// A mirror that changes one digest is caught.
	tampered := append([]byte("0"), sums[1:]...)
	_, err = signature.VerifyDetached(keyring, tampered, sig)
	var verr *signature.VerifyError
	fmt.Println(errors.As(err, &verr), verr.Reason)
	// Output:
	// Example Image Signing Key <images@example.test> <nil>
	// true bad signature
}

func ExampleVerifyClearsigned() {
	upstream := sigtest.MustNewKey("Example Image Signing Key", "images@example.test")
	doc := upstream.Clearsign([]byte("SHA256 (example.qcow2) = de5e63c2b8ef4b4c3e7d1a0f8b3c6d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8\n"))

	keyring, err := signature.ParseKeyring(upstream.PublicArmored())
	if err != nil {
		fmt.Println(err)
		return
	}
	// Parse digests from text, never from doc.
	text, _, err := signature.VerifyClearsigned(keyring, doc)
	fmt.Printf("%q %v\n", text, err)
	// Output:
	// "SHA256 (example.qcow2) = de5e63c2b8ef4b4c3e7d1a0f8b3c6d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8\n" <nil>
}
