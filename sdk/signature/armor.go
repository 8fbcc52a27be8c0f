package signature

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// OpenPGP ASCII armor (RFC 9580, section 6.2), read strictly: go-crypto's
// armor decoder skips leading garbage and ignores anything after the
// checksum line, so this package frames the blocks itself.

const (
	armorBegin    = "-----BEGIN "
	armorEnd      = "-----END "
	armorDashes   = "-----"
	whitespace    = " \t\r\n"
	maxArmorLine  = 1024
	pgpSignature  = "PGP SIGNATURE"
	pgpPublicKey  = "PGP PUBLIC KEY BLOCK"
	pgpPrivateKey = "PGP PRIVATE KEY BLOCK"
)

// isArmored reports whether data, after leading whitespace, starts with an
// armor header line.
func isArmored(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(data, whitespace), []byte(armorBegin+"PGP "))
}

// armorBlocks splits data into armored blocks, each from its BEGIN line to the
// end of its END line. Only whitespace may come before, between and after the
// blocks.
func armorBlocks(data []byte) ([][]byte, error) {
	var blocks [][]byte
	rest := data
	for {
		rest = bytes.TrimLeft(rest, whitespace)
		if len(rest) == 0 {
			return blocks, nil
		}
		if !bytes.HasPrefix(rest, []byte(armorBegin)) {
			return nil, errors.New("text outside an armored block")
		}
		i := bytes.Index(rest, []byte("\n"+armorEnd))
		if i < 0 {
			return nil, errors.New("armored block has no END line")
		}
		end := len(rest)
		if j := bytes.IndexByte(rest[i+1:], '\n'); j >= 0 {
			end = i + 1 + j + 1
		}
		blocks = append(blocks, rest[:end])
		rest = rest[end:]
	}
}

// decodeArmor decodes one armored block as returned by armorBlocks: a BEGIN
// line, optional "Key: Value" headers, a blank line, base64 lines, an
// optional "=XXXX" checksum line and an END line naming the same type. The
// checksum is not compared (RFC 9580 makes it optional and go-crypto ignores
// it); the signature, not the armor, protects the content.
func decodeArmor(block []byte) (typ string, body []byte, err error) {
	lines := strings.Split(strings.TrimRight(string(block), whitespace), "\n")
	for i, l := range lines {
		if len(l) > maxArmorLine {
			return "", nil, fmt.Errorf("armor line %d is longer than %d bytes", i+1, maxArmorLine)
		}
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	first, last := lines[0], lines[len(lines)-1]
	if !strings.HasPrefix(first, armorBegin) || !strings.HasSuffix(first, armorDashes) || len(first) <= len(armorBegin)+len(armorDashes) {
		return "", nil, fmt.Errorf("malformed armor header line %q", first)
	}
	typ = first[len(armorBegin) : len(first)-len(armorDashes)]
	if want := armorEnd + typ + armorDashes; last != want || len(lines) < 3 {
		return "", nil, fmt.Errorf("armor block %q does not end with %q", typ, want)
	}
	inner := lines[1 : len(lines)-1]

	// Headers, up to the blank line that must separate them from the data.
	n := 0
	for ; n < len(inner) && inner[n] != ""; n++ {
		if k, _, ok := strings.Cut(inner[n], ":"); !ok || k == "" || strings.ContainsAny(k, " \t") {
			return "", nil, fmt.Errorf("armor line %d: want a \"Key: Value\" header or a blank line, got %q", n+2, inner[n])
		}
	}
	if n == len(inner) {
		return "", nil, errors.New("armor block has no blank line before its data")
	}
	data := inner[n+1:]
	if k := len(data) - 1; k >= 0 && strings.HasPrefix(data[k], "=") && len(data[k]) == 5 {
		data = data[:k] // the checksum line, last before END
	}
	var b64 strings.Builder
	for i, l := range data {
		if l == "" || strings.IndexFunc(l, notBase64) >= 0 {
			return "", nil, fmt.Errorf("armor data line %d is not base64: %q", i+1, l)
		}
		b64.WriteString(l)
	}
	body, err = base64.StdEncoding.Strict().DecodeString(b64.String())
	if err != nil {
		return "", nil, fmt.Errorf("armor data: %w", err)
	}
	if len(body) == 0 {
		return "", nil, errors.New("armor block is empty")
	}
	return typ, body, nil
}

func notBase64(r rune) bool {
	return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=')
}
