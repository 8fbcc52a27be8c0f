package testkit

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// GNUChecksums renders a SHA256SUMS-style file ("<hex> *<name>" lines,
// sorted by name) of files.
func GNUChecksums(files map[string][]byte) []byte {
	var b strings.Builder
	for _, name := range sortedNames(files) {
		sum := sha256.Sum256(files[name])
		fmt.Fprintf(&b, "%s *%s\n", hex.EncodeToString(sum[:]), name)
	}
	return []byte(b.String())
}

// SHA512Checksums renders a SHA512SUMS-style file ("<hex>  <name>").
func SHA512Checksums(files map[string][]byte) []byte {
	var b strings.Builder
	for _, name := range sortedNames(files) {
		sum := sha512.Sum512(files[name])
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	return []byte(b.String())
}

// BSDChecksums renders a Fedora-style CHECKSUM: "SHA256 (<name>) = <hex>"
// lines, each after a "# <name>: <N> bytes" comment when sizes is set.
// Sign it with sigtest's Key.Clearsign, as Fedora does.
func BSDChecksums(files map[string][]byte, sizes bool) []byte {
	var b strings.Builder
	for _, name := range sortedNames(files) {
		sum := sha256.Sum256(files[name])
		if sizes {
			fmt.Fprintf(&b, "# %s: %d bytes\n", name, len(files[name]))
		}
		fmt.Fprintf(&b, "SHA256 (%s) = %s\n", name, hex.EncodeToString(sum[:]))
	}
	return []byte(b.String())
}

func sortedNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
