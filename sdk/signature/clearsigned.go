package signature

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
)

const (
	beginSigned    = "-----BEGIN PGP SIGNED MESSAGE-----"
	beginSignature = "-----BEGIN PGP SIGNATURE-----"
)

// VerifyClearsigned checks a clearsigned document (RFC 9580, section 7), such
// as Fedora's CHECKSUM, and returns only the signed text: dash-escaping
// undone, lines joined by "\n", trailing spaces and tabs removed (the
// signature does not cover them). The line break just before the
// "-----BEGIN PGP SIGNATURE-----" line is not part of the text, so a
// document GnuPG made from "a\nb\n" yields "a\nb". Read digests from that
// text, never from data.
//
// data must be exactly one signed block: whitespace may surround it, but any
// other text before or after it, or a second block, is refused. If the
// document has a "Hash:" header, the signature must use one of the hashes it
// lists. Any refusal is a *VerifyError.
func VerifyClearsigned(k *Keyring, data []byte, opts ...Option) ([]byte, Result, error) {
	if k == nil {
		return nil, Result{}, errors.New("verify clearsigned document: nil keyring")
	}
	doc := bytes.TrimLeft(data, whitespace)
	if !bytes.HasPrefix(doc, []byte(beginSigned)) {
		if bytes.Contains(data, []byte(beginSigned)) {
			return nil, Result{}, malformed("text before the signed block", nil)
		}
		return nil, Result{}, malformed("no clearsigned block (want "+beginSigned+")", nil)
	}
	if n := countLinesWithPrefix(doc, beginSigned); n != 1 {
		return nil, Result{}, malformed(fmt.Sprintf("found %d signed blocks, want one", n), nil)
	}
	block, rest := clearsign.Decode(doc)
	if block == nil {
		return nil, Result{}, malformed("cannot decode the clearsigned block", nil)
	}
	if len(bytes.TrimLeft(rest, whitespace)) != 0 {
		return nil, Result{}, malformed("text after the signed block", nil)
	}
	// Decode stopped the text at the first line that is exactly the
	// signature's BEGIN line; re-read the armor from there, strictly.
	start := signatureStart(doc)
	if start < 0 {
		return nil, Result{}, malformed("no signature in the clearsigned block", nil)
	}
	body, err := decodeSignatureArmor(doc[start : len(doc)-len(rest)])
	if err != nil {
		return nil, Result{}, err
	}
	sigs, err := parseSignatures(body)
	if err != nil {
		return nil, Result{}, err
	}
	if hashes := block.Headers.Values("Hash"); len(hashes) > 0 {
		for _, s := range sigs {
			if name := openpgpHashName(s.sig.Hash); !slices.Contains(hashes, name) {
				return nil, Result{}, malformed(fmt.Sprintf("signature uses %s, but the Hash header says %s", hashName(s.sig.Hash), strings.Join(hashes, ",")), nil)
			}
		}
	}
	res, err := k.verify(bytes.NewReader(block.Bytes), int64(len(block.Bytes)), sigs, true, newSettings(opts))
	if err != nil {
		return nil, Result{}, err
	}
	return bytes.Clone(block.Plaintext), res, nil
}

// countLinesWithPrefix counts the lines of data that start with prefix.
func countLinesWithPrefix(data []byte, prefix string) int {
	n := 0
	for line := range bytes.Lines(data) {
		if bytes.HasPrefix(line, []byte(prefix)) {
			n++
		}
	}
	return n
}

// signatureStart returns the offset of the first line of doc that is exactly
// the signature's BEGIN line (ignoring a trailing CR), or -1.
func signatureStart(doc []byte) int {
	off := 0
	for line := range bytes.Lines(doc) {
		if string(bytes.TrimRight(line, "\r\n")) == beginSignature {
			return off
		}
		off += len(line)
	}
	return -1
}
