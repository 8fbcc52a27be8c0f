package checksum

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Digests of "a", "b", "c" and "d".
const (
	a256 = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
	b256 = "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"
	c256 = "2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6"
	a512 = "1f40fc92da241694750979ee6cf582f2d5d7d28e18335de05abc54d0560e0f5302860c652bf08d560252aa5e74210546f369fbbbce8c12cfc7957b2652fe9a75"
	b512 = "5267768822ee624d48fce15ec5ca79cbd602cb7f4c2157a516556991f22ef8c7b5ef7b18d1ff41c59370efb0858651d44a936c11b7b144c48fe04df3c6a3e8da"
	a1   = "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"
	aMD5 = "0cc175b9c0f1b6a831c399e269772661"
)

func e256(line int, name, hex string) Entry {
	return Entry{Name: name, Digest: Digest{Algorithm: SHA256, Hex: hex}, Line: line}
}

func sized(e Entry, size int64) Entry {
	e.Size = size
	return e
}

func e512(line int, name, hex string) Entry {
	return Entry{Name: name, Digest: Digest{Algorithm: SHA512, Hex: hex}, Line: line}
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   string
		algo Algorithm
		want File
	}{
		"ubuntu SHA256SUMS binary mode": {
			in: a256 + " *ubuntu-24.04-server-cloudimg-amd64.img\n" +
				b256 + " *ubuntu-24.04-server-cloudimg-arm64.img\n",
			algo: SHA256,
			want: File{Entries: []Entry{
				e256(1, "ubuntu-24.04-server-cloudimg-amd64.img", a256),
				e256(2, "ubuntu-24.04-server-cloudimg-arm64.img", b256),
			}},
		},
		"debian SHA512SUMS text mode": {
			in: a512 + "  debian-13-generic-amd64.qcow2\n" +
				b512 + "  debian-13-generic-amd64.raw\n",
			algo: SHA512,
			want: File{Entries: []Entry{
				e512(1, "debian-13-generic-amd64.qcow2", a512),
				e512(2, "debian-13-generic-amd64.raw", b512),
			}},
		},
		"single space": {
			in:   a256 + " x.qcow2\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(1, "x.qcow2", a256)}},
		},
		"uppercase hex is lowered": {
			in:   strings.ToUpper(a256) + "  x.qcow2\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(1, "x.qcow2", a256)}},
		},
		"fedora BSD tags with comments": {
			in: "# Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2: 536870912 bytes\n" +
				"SHA256 (Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2) = " + a256 + "\n" +
				"# Fedora-Cloud-Base-Generic-42-1.1.x86_64.raw.xz: 400000000 bytes\n" +
				"SHA256 (Fedora-Cloud-Base-Generic-42-1.1.x86_64.raw.xz) = " + b256 + "\n",
			algo: SHA256,
			want: File{Entries: []Entry{
				sized(e256(2, "Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2", a256), 536870912),
				sized(e256(4, "Fedora-Cloud-Base-Generic-42-1.1.x86_64.raw.xz", b256), 400000000),
			}, Sizes: map[string]int64{
				"Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2":  536870912,
				"Fedora-Cloud-Base-Generic-42-1.1.x86_64.raw.xz": 400000000,
			}},
		},
		"a size comment for a name without a line": {
			in:   "# other.img: 12 bytes\n" + a256 + "  x.qcow2\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(2, "x.qcow2", a256)}, Sizes: map[string]int64{"other.img": 12}},
		},
		"a comment that is not a size": {
			in:   "# x.qcow2: about 12 bytes\n# x.qcow2: 12 kbytes\n" + a256 + "  x.qcow2\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(3, "x.qcow2", a256)}},
		},
		"openssl tag": {
			in:   "SHA256(x.qcow2)= " + a256 + "\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(1, "x.qcow2", a256)}},
		},
		"lowercase tags and sha512 tag in a sha256 file": {
			in:   "sha256 (x.qcow2) = " + a256 + "\nSha512 (x.qcow2) = " + a512 + "\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(1, "x.qcow2", a256), e512(2, "x.qcow2", a512)}},
		},
		"SHA1 and MD5 tags are checked and ignored": {
			in:   "MD5 (x.qcow2) = " + aMD5 + "\nSHA1 (x.qcow2) = " + a1 + "\nSHA256 (x.qcow2) = " + a256 + "\n",
			algo: SHA512,
			want: File{Entries: []Entry{e256(3, "x.qcow2", a256)}, Ignored: 2},
		},
		"name with parentheses and equals in a tag": {
			in:   "SHA256 (a (1)) = b) = " + a256 + "\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(1, "a (1)) = b", a256)}},
		},
		"hex then a name starting with a parenthesis": {
			in:   a256 + " (x)\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(1, "(x)", a256)}},
		},
		"blank lines, indentation, trailing space after a tag digest": {
			in:   "\n  \n\t# c\n  " + a256 + "  x\n\nSHA256 (y) = " + b256 + " \t\n\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(4, "x", a256), e256(6, "y", b256)}},
		},
		"CRLF": {
			in:   "# c\r\n" + a256 + "  x.qcow2\r\n" + "SHA256 (y) = " + b256 + "\r\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(2, "x.qcow2", a256), e256(3, "y", b256)}},
		},
		"last line without newline": {
			in:   a256 + "  x\n" + b256 + "  y",
			algo: SHA256,
			want: File{Entries: []Entry{e256(1, "x", a256), e256(2, "y", b256)}},
		},
		"byte order mark": {
			in:   "\xef\xbb\xbf" + a256 + "  x\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(1, "x", a256)}},
		},
		"escaped names": {
			in: `\` + a256 + `  a\\b` + "\n" +
				`\` + b256 + ` *new\nline` + "\n" +
				`\SHA256 (cr\rhere) = ` + c256 + "\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(1, `a\b`, a256), e256(2, "new\nline", b256), e256(3, "cr\rhere", c256)}},
		},
		"backslash is literal in an unescaped line": {
			in:   a256 + `  a\nb` + "\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(1, `a\nb`, a256)}},
		},
		"three spaces keep a leading space in the name": {
			in:   a256 + "   x\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(1, " x", a256)}},
		},
		"trailing space is part of a GNU name": {
			in:   a256 + "  x \n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(1, "x ", a256)}},
		},
		"star after two spaces is part of the name": {
			in:   a256 + "  *x\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(1, "*x", a256)}},
		},
		"repeated digest and paths kept as written": {
			in:   a256 + "  x\n" + a256 + " *x\n" + b256 + "  ./x\n" + c256 + "  sub/x\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(1, "x", a256), e256(2, "x", a256), e256(3, "./x", b256), e256(4, "sub/x", c256)}},
		},
		"tab inside a name": {
			in:   a256 + "  a\tb\n",
			algo: SHA256,
			want: File{Entries: []Entry{e256(1, "a\tb", a256)}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse([]byte(tc.in), tc.algo)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tc.want, *got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   string
		algo Algorithm
		line int
		msg  string // a part of the error message
		is   error
	}{
		"empty":                     {in: "", msg: "checksum file is empty", is: ErrEmpty},
		"whitespace only":           {in: " \r\n\n\t", msg: "checksum file is empty", is: ErrEmpty},
		"comments only":             {in: "# nothing\n\n", msg: "no checksum lines"},
		"two sizes for a name":      {in: "# x: 1 bytes\n# x: 2 bytes\n" + a256 + "  x\n", line: 2, msg: `a second size for "x" (1, then 2 bytes)`},
		"size over 64 bits":         {in: "# x: 9999999999999999999 bytes\n" + a256 + "  x\n", line: 1, msg: "does not fit in 64 bits"},
		"weak tags only":            {in: "MD5 (x) = " + aMD5 + "\n", msg: "only 1 SHA1/MD5 lines"},
		"html doctype":              {in: "\n  <!DOCTYPE html>\n<html>", line: 2, msg: `looks like an HTML page, not a checksum file: "<!DOCTYPE html>"`, is: ErrHTML},
		"html tag after BOM":        {in: "\xef\xbb\xbf<html><body>404</body></html>", line: 1, msg: "looks like an HTML page", is: ErrHTML},
		"xml":                       {in: `<?xml version="1.0"?><Error/>`, line: 1, msg: "looks like an HTML page", is: ErrHTML},
		"clearsigned":               {in: "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + a256 + "  x\n", line: 1, msg: "verify the signature and pass the signed text", is: ErrClearsigned},
		"clearsigned after a line":  {in: a256 + "  x\n-----BEGIN PGP SIGNED MESSAGE-----\n", line: 2, is: ErrClearsigned},
		"signature block":           {in: a256 + "  x\n-----BEGIN PGP SIGNATURE-----\n", line: 2, msg: "armored OpenPGP"},
		"NUL byte":                  {in: a256 + "  x\n" + b256 + "  y\x00\n", line: 2, msg: "NUL byte"},
		"UTF-16":                    {in: "\xff\xfe1\x002\x00", line: 1, msg: "NUL byte"},
		"CR-only line endings":      {in: a256 + "  x\r" + b256 + "  y\r", line: 1, msg: "CR-only line endings"},
		"escape character":          {in: a256 + "  x\x1b[31m\n", line: 1, msg: `control character '\x1b'`},
		"non-hex digit":             {in: "z" + a256[1:] + "  x\n", line: 1, msg: `non-hex character "z"`},
		"non-hex in a tag":          {in: "SHA256 (x) = " + a256[:63] + "g\n", line: 1, msg: `non-hex character "g"`},
		"space inside a tag digest": {in: "SHA256 (x) = " + a256[:32] + " " + a256[32:] + "\n", line: 1, msg: `non-hex character " "`},
		"sha512 in a sha256 file":   {in: "# x\n" + a512 + "  x\n", line: 2, msg: "128 hex digits, want 64 for sha256 (a sha512 digest"},
		"sha256 in a sha512 file":   {in: a256 + "  x\n", algo: SHA512, line: 1, msg: "64 hex digits, want 128 for sha512"},
		"md5 in a sha256 file":      {in: aMD5 + "  x\n", line: 1, msg: "(an MD5 digest?)"},
		"short tagged sha256":       {in: "SHA256 (x) = " + a256[:63] + "\n", line: 1, msg: "63 hex digits, want 64 for sha256"},
		"sha256 tag with sha512":    {in: "SHA256 (x) = " + a512 + "\n", line: 1, msg: "128 hex digits, want 64"},
		"short SHA1":                {in: "SHA1 (x) = " + a1[:39] + "\n", line: 1, msg: "39 hex digits, want 40 for SHA1"},
		"MD5 with sha1 length":      {in: "MD5 (x) = " + a1 + "\n", line: 1, msg: "want 32 for MD5"},
		"unknown tag":               {in: "SHA384 (x) = " + a512[:96] + "\n", line: 1, msg: `unsupported algorithm tag "SHA384"`},
		"tag without closing":       {in: "SHA256 (x = " + a256 + "\n", line: 1, msg: "without ')'"},
		"tag without equals":        {in: "SHA256 (x) " + a256 + "\n", line: 1, msg: "without '='"},
		"tag without digest":        {in: "SHA256 (x) =\n", line: 1, msg: "without a digest"},
		"tag with empty name":       {in: "SHA256 () = " + a256 + "\n", line: 1, msg: "missing file name"},
		"bare digest":               {in: a256 + "\n", line: 1, msg: "ParseBare"},
		"no name after space":       {in: a256 + " \n", line: 1, msg: "missing file name"},
		"no name after star":        {in: a256 + " *\n", line: 1, msg: "missing file name"},
		"tab separator":             {in: a256 + "\tx y\n", line: 1, msg: `non-hex character "\t"`},
		"prose":                     {in: a256 + "  x\nnot a checksum\n", line: 2, msg: `not a checksum line (want "<hex>  <name>"`},
		"unknown escape":            {in: `\` + a256 + `  a\tb` + "\n", line: 1, msg: `unknown escape \t`},
		"lone backslash":            {in: `\` + a256 + `  ab\` + "\n", line: 1, msg: "lone backslash"},
		"unknown escape in MD5":     {in: `\MD5 (a\x) = ` + aMD5 + "\n", line: 1, msg: `unknown escape \x`},
		"quote is truncated":        {in: a256 + "\n", line: 1, msg: `"` + a256[:quoteLen] + `…"`},
		"unknown parse algorithm":   {in: a256 + "  x\n", algo: "md5", msg: `algorithm "md5": want sha256 or sha512`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			algo := tc.algo
			if algo == "" {
				algo = SHA256
			}
			f, err := Parse([]byte(tc.in), algo)
			if err == nil {
				t.Fatalf("Parse = %+v, want error", f)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			var se *SyntaxError
			if isSyntax := errors.As(err, &se); isSyntax != algo.Known() {
				t.Fatalf("error %v: is a *SyntaxError: %v, want %v", err, isSyntax, algo.Known())
			}
			if se != nil && se.Line != tc.line {
				t.Errorf("error %v: line %d, want %d", err, se.Line, tc.line)
			}
		})
	}
}
