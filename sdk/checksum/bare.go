package checksum

import (
	"fmt"
	"strings"
)

// ParseBare parses a file holding exactly one digest of algorithm algo, as
// Alpine publishes next to each image (<image>.sha512): the hex digits, then
// optionally whitespace and a newline. The one line may instead be a
// checksum line ("<hex>  <name>", a SHA512 tag, ...) whose name must equal
// wantName exactly; with an empty wantName only a bare digest is accepted.
// Blank lines around it are allowed; comments and further lines are not.
// Errors about the content are *SyntaxError.
func ParseBare(data []byte, algo Algorithm, wantName string) (Digest, error) {
	if !algo.Known() {
		return Digest{}, fmt.Errorf("digest file algorithm %q: want sha256 or sha512", string(algo))
	}
	lines, err := splitLines(data)
	if err != nil {
		return Digest{}, err
	}
	var d Digest
	for i, line := range lines {
		n := i + 1
		if strings.Trim(line, " \t") == "" {
			continue
		}
		if !d.IsZero() {
			return Digest{}, syntaxErr(n, line, "a second line: a digest file holds one digest (a list of them is read with Parse)")
		}
		if d, err = bareLine(n, line, algo, wantName); err != nil {
			return Digest{}, err
		}
	}
	return d, nil // splitLines rejected a blank file, so d is set
}

func bareLine(n int, line string, algo Algorithm, wantName string) (Digest, error) {
	if digits := strings.Trim(line, " \t"); isHex(digits) {
		if len(digits) != algo.HexLen() {
			return Digest{}, syntaxErr(n, line, "%d hex digits, want %d for %s%s", len(digits), algo.HexLen(), algo, lengthHint(len(digits)))
		}
		return NewDigest(algo, digits)
	}
	e, kind, err := parseLine(n, line, algo)
	switch {
	case err != nil:
		return Digest{}, err
	case kind == lineSkip:
		return Digest{}, syntaxErr(n, line, "a comment: a digest file holds one digest and nothing else")
	case kind == lineWeak:
		return Digest{}, syntaxErr(n, line, "a SHA1 or MD5 digest, want %s", algo)
	case e.Digest.Algorithm != algo:
		return Digest{}, syntaxErr(n, line, "a %s digest, want %s", e.Digest.Algorithm, algo)
	case wantName == "":
		return Digest{}, syntaxErr(n, line, "digest for %q, want a bare digest", e.Name)
	case e.Name != wantName:
		return Digest{}, syntaxErr(n, line, "digest for %q, want %q", e.Name, wantName)
	}
	return e.Digest, nil
}
