package oci

import (
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

func newHash(a checksum.Algorithm) (hash.Hash, error) {
	switch a {
	case checksum.SHA256:
		return sha256.New(), nil
	case checksum.SHA512:
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("unknown digest algorithm %q", a)
}
