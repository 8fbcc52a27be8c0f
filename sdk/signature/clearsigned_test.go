package signature_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/sdk/signature"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

func TestVerifyClearsigned(t *testing.T) {
	t.Parallel()
	a := newKey(t, "a")
	sub := newKey(t, "sub", sigtest.WithSigningSubkey())
	tests := map[string]struct {
		key       *sigtest.Key
		text      string
		doc       func([]byte) []byte // changes the signed document; nil keeps it
		plaintext string
	}{
		"checksum lines":   {a, sums + sums, nil, sums + sums},
		"no final newline": {a, "a\nb", nil, "a\nb"},
		"empty":            {a, "", nil, ""},
		"blank lines":      {a, "\nx\n\n", nil, "\nx\n\n"},
		"dash-escaped lines": {a, "-----BEGIN PGP SIGNATURE-----\n- x\n-----END PGP SIGNATURE-----\n", nil,
			"-----BEGIN PGP SIGNATURE-----\n- x\n-----END PGP SIGNATURE-----\n"},
		"a signed block inside the text":    {a, "-----BEGIN PGP SIGNED MESSAGE-----\nx\n", nil, "-----BEGIN PGP SIGNED MESSAGE-----\nx\n"},
		"trailing whitespace is not signed": {a, "x  \t\ny\n", nil, "x\ny\n"},
		"CRLF text":                         {a, "x\r\ny\r\n", nil, "x\ny\n"},
		"CRLF document":                     {a, "x\ny\n", crlf, "x\ny\n"},
		"whitespace around":                 {a, sums, func(d []byte) []byte { return append(append([]byte("\n\n  \n"), d...), "\n\n \t\n"...) }, sums},
		"signing subkey":                    {sub, sums, nil, sums},
		"no Hash header":                    {a, sums, func(d []byte) []byte { return bytes.Replace(d, []byte("Hash: SHA256\n"), nil, 1) }, sums},
		"a header in the signature armor": {a, sums, func(d []byte) []byte {
			return bytes.Replace(d, []byte("-----BEGIN PGP SIGNATURE-----\n"), []byte("-----BEGIN PGP SIGNATURE-----\nVersion: x\n"), 1)
		}, sums},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			doc := tt.key.Clearsign([]byte(tt.text))
			if tt.doc != nil {
				doc = tt.doc(doc)
			}
			got, res, err := signature.VerifyClearsigned(keyring(t, tt.key), doc, signedAt)
			if err != nil {
				t.Fatalf("%v\n%s", err, doc)
			}
			if diff := cmp.Diff(tt.plaintext, string(got)); diff != "" {
				t.Errorf("plaintext (-want +got):\n%s", diff)
			}
			if res.Fingerprint != tt.key.Fingerprint() || res.KeyID != tt.key.KeyID() {
				t.Errorf("result %+v, want fingerprint %s and key id %s", res, tt.key.Fingerprint(), tt.key.KeyID())
			}
		})
	}
}

func TestVerifyClearsignedRefuses(t *testing.T) {
	t.Parallel()
	a := newKey(t, "a")
	other := newKey(t, "other")
	doc := a.Clearsign([]byte(sums))
	sigAt := bytes.Index(doc, []byte("-----BEGIN PGP SIGNATURE-----"))
	// A binary-mode (0x00) signature over the exact bytes a text signature
	// covers: cryptographically valid, but not what a clearsigned document is.
	canonical := []byte(strings.ReplaceAll(strings.TrimSuffix(sums, "\n"), "\n", "\r\n") + "\r\n")
	binaryMode := append(bytes.Clone(doc[:sigAt]), a.SignDetached(canonical, true)...)
	if _, err := signature.VerifyDetached(keyring(t, a), canonical, a.SignDetached(canonical, true), signedAt); err != nil {
		t.Fatalf("the binary-mode signature does not verify as a detached one: %v", err)
	}

	tests := map[string]struct {
		keyring *signature.Keyring
		doc     []byte
		want    signature.Reason
	}{
		"signer not in the keyring":             {keyring(t, other), doc, signature.ReasonUnknownSigner},
		"tampered text":                         {keyring(t, a), bytes.Replace(doc, []byte("de5e"), []byte("de5f"), 1), signature.ReasonBadSignature},
		"a line added":                          {keyring(t, a), bytes.Replace(doc, []byte("\n\nde5e"), []byte("\n\nx\nde5e"), 1), signature.ReasonBadSignature},
		"two signed blocks":                     {keyring(t, a), append(bytes.Clone(doc), doc...), signature.ReasonMalformed},
		"two signed blocks, whitespace between": {keyring(t, a), append(append(bytes.Clone(doc), "\n\n"...), doc...), signature.ReasonMalformed},
		"text after the block":                  {keyring(t, a), append(bytes.Clone(doc), "de5e *evil.img\n"...), signature.ReasonMalformed},
		"text before the block":                 {keyring(t, a), append([]byte("de5e *evil.img\n"), doc...), signature.ReasonMalformed},
		"text on the BEGIN line":                {keyring(t, a), bytes.Replace(doc, []byte("MESSAGE-----\n"), []byte("MESSAGE-----x\n"), 1), signature.ReasonMalformed},
		"a header other than Hash":              {keyring(t, a), bytes.Replace(doc, []byte("Hash: SHA256\n"), []byte("Hash: SHA256\nComment: x\n"), 1), signature.ReasonMalformed},
		"Hash header disagrees":                 {keyring(t, a), bytes.Replace(doc, []byte("Hash: SHA256\n"), []byte("Hash: SHA512\n"), 1), signature.ReasonMalformed},
		"text after the signature's END line":   {keyring(t, a), bytes.Replace(doc, []byte("-----END PGP SIGNATURE-----"), []byte("-----END PGP SIGNATURE-----x"), 1), signature.ReasonMalformed},
		"garbage in the signature armor":        {keyring(t, a), bytes.Replace(doc, []byte("-----BEGIN PGP SIGNATURE-----\n\n"), []byte("-----BEGIN PGP SIGNATURE-----\n\n%%%%\n"), 1), signature.ReasonMalformed},
		"no signature":                          {keyring(t, a), doc[:sigAt], signature.ReasonMalformed},
		"a detached signature":                  {keyring(t, a), a.SignDetached([]byte(sums), true), signature.ReasonMalformed},
		"empty":                                 {keyring(t, a), nil, signature.ReasonMalformed},
		"plain text":                            {keyring(t, a), []byte(sums), signature.ReasonMalformed},
		"a binary-mode signature":               {keyring(t, a), binaryMode, signature.ReasonMalformed},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			text, res, err := signature.VerifyClearsigned(tt.keyring, tt.doc, signedAt)
			if err == nil {
				t.Fatalf("accepted: %q %+v\n%s", text, res, tt.doc)
			}
			t.Log(err)
			if text != nil {
				t.Errorf("a refusal returned text %q", text)
			}
			if got := reasonOf(t, err); got != tt.want {
				t.Errorf("reason %q, want %q (error: %v)", got, tt.want, err)
			}
		})
	}
}
