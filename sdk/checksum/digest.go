package checksum

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Algorithm names a digest algorithm.
type Algorithm string

// The algorithms fetchd accepts for image digests.
const (
	SHA256 Algorithm = "sha256"
	SHA512 Algorithm = "sha512"
)

// HexLen is the number of hex digits a digest of a has, or 0 for an
// algorithm fetchd does not know.
func (a Algorithm) HexLen() int {
	switch a {
	case SHA256:
		return 64
	case SHA512:
		return 128
	}
	return 0
}

// Known reports whether fetchd accepts a.
func (a Algorithm) Known() bool { return a.HexLen() != 0 }

// Digest is an algorithm and a lowercase hex digest.
type Digest struct {
	Algorithm Algorithm
	Hex       string
}

// String returns "algorithm:hex", the form the config file and state use.
func (d Digest) String() string { return string(d.Algorithm) + ":" + d.Hex }

// Short returns "algorithm:" and the first 12 hex digits followed by "…",
// for messages.
func (d Digest) Short() string {
	if len(d.Hex) <= 12 {
		return d.String()
	}
	return string(d.Algorithm) + ":" + d.Hex[:12] + "…"
}

// IsZero reports whether d is the zero Digest.
func (d Digest) IsZero() bool { return d == Digest{} }

// Validate checks that the algorithm is known and that Hex is lowercase hex
// of exactly the algorithm's length.
func (d Digest) Validate() error {
	n := d.Algorithm.HexLen()
	if n == 0 {
		return fmt.Errorf("unknown digest algorithm %q (want sha256 or sha512)", string(d.Algorithm))
	}
	if len(d.Hex) != n {
		return fmt.Errorf("%s digest has %d hex digits, want %d", d.Algorithm, len(d.Hex), n)
	}
	if _, err := hex.DecodeString(d.Hex); err != nil || strings.ToLower(d.Hex) != d.Hex {
		return fmt.Errorf("%s digest is not lowercase hex: %q", d.Algorithm, truncate(d.Hex, 20))
	}
	return nil
}

// NewDigest returns the digest of algorithm a with the given hex digits,
// accepting uppercase hex, and validates it.
func NewDigest(a Algorithm, hexDigits string) (Digest, error) {
	d := Digest{Algorithm: a, Hex: strings.ToLower(hexDigits)}
	if err := d.Validate(); err != nil {
		return Digest{}, err
	}
	return d, nil
}

// ParseDigest parses "sha256:<hex>" or "sha512:<hex>".
func ParseDigest(s string) (Digest, error) {
	algo, digits, ok := strings.Cut(s, ":")
	if !ok {
		return Digest{}, fmt.Errorf("digest %q: want <algorithm>:<hex>, e.g. sha256:9f86d0…", truncate(s, 20))
	}
	return NewDigest(Algorithm(strings.ToLower(algo)), digits)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
