package sdk

import (
	"bytes"
	"fmt"
	"path"

	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/signature"
)

// Checked is a checksum file whose signature verified, read from the
// signed bytes only.
type Checked struct {
	// File is the parsed checksum file.
	File *checksum.File
	// Entry is the entry for the name asked for, with its size when the
	// file states one; the zero Entry when no name was asked for.
	Entry checksum.Entry
	// Signature is what Artifact.Signature should say.
	Signature Signature
}

// CheckClearsigned verifies doc, a clearsigned checksum file such as
// Fedora's CHECKSUM, with the keys of this request (Keyring: the
// operator's for the release, else embedded), parses only the text the
// signature covers (untagged lines hold digests of algorithm algo) and,
// when name is not "", looks up exactly name. It is the whole of a
// source's signature and checksum code:
//
//	doc, err := req.Fetcher.Fetch(ctx, checksumURL)
//	…
//	c, err := req.CheckClearsigned(doc, checksum.SHA256, imageName)
//	…
//	art.Digest, art.Size, art.Signature = c.Entry.Digest, c.Entry.Size, c.Signature
//
// Every failure wraps ErrBadMetadata and names the URL (and the refusal,
// a *signature.VerifyError, for errors.As): no key to check
// with, a signature that does not verify (the signature package's reason:
// unknown signer, bad signature, expired key, …), a file that does not
// parse, no entry or two different digests for name. Operator keys that do
// not parse wrap ErrInvalidArgument.
func (r ResolveRequest) CheckClearsigned(doc *Document, algo checksum.Algorithm, name string, embedded ...[]byte) (Checked, error) {
	keys, origin, err := r.checkKeys(doc.URL, embedded)
	if err != nil {
		return Checked{}, err
	}
	text, res, err := signature.VerifyClearsigned(keys, doc.Body)
	if err != nil {
		return Checked{}, fmt.Errorf("verify %s: %w%s: %w", doc.URL, err, htmlHint(doc), ErrBadMetadata)
	}
	return r.checked(doc.URL, doc.URL, text, algo, name, res, origin)
}

// CheckDetached is CheckClearsigned for a checksum file with a detached
// signature, such as Ubuntu's SHA256SUMS and SHA256SUMS.gpg.
func (r ResolveRequest) CheckDetached(sums, sig *Document, algo checksum.Algorithm, name string, embedded ...[]byte) (Checked, error) {
	keys, origin, err := r.checkKeys(sums.URL, embedded)
	if err != nil {
		return Checked{}, err
	}
	res, err := signature.VerifyDetached(keys, sums.Body, sig.Body)
	if err != nil {
		return Checked{}, fmt.Errorf("verify %s with %s: %w%s: %w", sums.URL, sig.URL, err, htmlHint(sums, sig), ErrBadMetadata)
	}
	return r.checked(sums.URL, sig.URL, sums.Body, algo, name, res, origin)
}

// htmlHint says which of docs is an HTML page (a misconfigured mirror's
// usual answer), or "".
func htmlHint(docs ...*Document) string {
	for _, d := range docs {
		t := bytes.TrimLeft(d.Body, " \t\r\n\ufeff")
		if len(t) > 0 && t[0] == '<' {
			return " (" + path.Base(d.URL) + " looks like an HTML page)"
		}
	}
	return ""
}

func (r ResolveRequest) checkKeys(url string, embedded [][]byte) (*signature.Keyring, KeyOrigin, error) {
	keys, origin, err := r.Keyring(embedded...)
	if err != nil {
		return nil, "", err
	}
	if keys == nil {
		return nil, "", fmt.Errorf("no key to verify %s with: the plugin embeds none and the operator configured none for release %s (sources.<name>.keys): %w", url, r.Release, ErrBadMetadata)
	}
	return keys, origin, nil
}

func (r ResolveRequest) checked(sumsURL, sigURL string, signed []byte, algo checksum.Algorithm, name string, res signature.Result, origin KeyOrigin) (Checked, error) {
	f, err := checksum.Parse(signed, algo)
	if err != nil {
		return Checked{}, fmt.Errorf("%s (signature verified): %v: %w", sumsURL, err, ErrBadMetadata)
	}
	c := Checked{File: f, Signature: Verified(res.Fingerprint, sigURL, origin, clipText(path.Base(sigURL)+" by "+res.UserID, 200))}
	if name != "" {
		if c.Entry, err = f.Entry(name, algo); err != nil {
			return Checked{}, fmt.Errorf("%s (signature verified): %v: %w", sumsURL, err, ErrBadMetadata)
		}
	}
	return c, nil
}

// clipText shortens s to at most n bytes at a rune boundary.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n-len("…")]
	for len(s) > 0 && s[len(s)-1]&0xc0 == 0x80 {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] >= 0xc0 {
		s = s[:len(s)-1]
	}
	return s + "…"
}
