package checksum

import (
	"errors"
	"strings"
	"testing"
)

func TestParseBare(t *testing.T) {
	t.Parallel()
	const img = "nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.qcow2"
	tests := map[string]struct {
		in       string
		algo     Algorithm
		wantName string
		want     Digest // zero: an error containing msg
		msg      string
		is       error
	}{
		"alpine sha512":                {in: a512 + "\n", algo: SHA512, wantName: img, want: Digest{SHA512, a512}},
		"no newline":                   {in: a512, algo: SHA512, wantName: img, want: Digest{SHA512, a512}},
		"uppercase, CRLF, blank lines": {in: "\r\n" + strings.ToUpper(a512) + " \r\n\r\n", algo: SHA512, want: Digest{SHA512, a512}},
		"sha256":                       {in: a256 + "\n", algo: SHA256, wantName: img, want: Digest{SHA256, a256}},
		"with the wanted name":         {in: a512 + "  " + img + "\n", algo: SHA512, wantName: img, want: Digest{SHA512, a512}},
		"tag with the wanted name":     {in: "SHA512 (" + img + ") = " + a512 + "\n", algo: SHA512, wantName: img, want: Digest{SHA512, a512}},
		"with another name":            {in: a512 + "  generic_" + img[8:] + "\n", algo: SHA512, wantName: img, msg: `line 1: digest for "generic_alpine`},
		"with a name, none wanted":     {in: a512 + "  " + img + "\n", algo: SHA512, msg: "want a bare digest"},
		"wrong length":                 {in: a256 + "\n", algo: SHA512, wantName: img, msg: "64 hex digits, want 128 for sha512"},
		"tag of another algorithm":     {in: "SHA256 (" + img + ") = " + a256 + "\n", algo: SHA512, wantName: img, msg: "a sha256 digest, want sha512"},
		"MD5 tag":                      {in: "MD5 (" + img + ") = " + aMD5 + "\n", algo: SHA512, wantName: img, msg: "a SHA1 or MD5 digest"},
		"two digests":                  {in: a512 + "\n" + b512 + "\n", algo: SHA512, msg: "line 2: a second line"},
		"a list":                       {in: a512 + "  x\n" + b512 + "  y\n", algo: SHA512, wantName: "x", msg: "line 2: a second line"},
		"comment":                      {in: "# sum\n" + a512 + "\n", algo: SHA512, msg: "line 1: a comment"},
		"non-hex":                      {in: "z" + a512[1:] + "\n", algo: SHA512, msg: `non-hex character "z"`},
		"empty":                        {in: "\n", algo: SHA512, is: ErrEmpty},
		"html":                         {in: "<!doctype html>", algo: SHA512, is: ErrHTML},
		"clearsigned":                  {in: "-----BEGIN PGP SIGNED MESSAGE-----\n", algo: SHA512, is: ErrClearsigned},
		"NUL":                          {in: a512 + "\x00", algo: SHA512, msg: "NUL byte"},
		"unknown algorithm":            {in: a1 + "\n", algo: "sha1", msg: `algorithm "sha1": want sha256 or sha512`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseBare([]byte(tc.in), tc.algo, tc.wantName)
			if !tc.want.IsZero() {
				if err != nil || got != tc.want {
					t.Fatalf("ParseBare = %v, %v; want %v", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseBare = %v, want an error", got)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			var se *SyntaxError
			if isSyntax := errors.As(err, &se); isSyntax != tc.algo.Known() {
				t.Errorf("error %v: is a *SyntaxError: %v, want %v", err, isSyntax, tc.algo.Known())
			}
		})
	}
}
