package checksum

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzSeeds are checksum files in every accepted form and some rejected ones.
var fuzzSeeds = []string{
	a256 + " *ubuntu-24.04-server-cloudimg-amd64.img\n" + b256 + " *ubuntu-24.04-server-cloudimg-arm64.img\n",
	a512 + "  debian-13-generic-amd64.qcow2\n" + b512 + "  debian-13-generic-amd64.raw",
	"# comment\r\nSHA256 (Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2) = " + a256 + "\r\n\r\n",
	"SHA256(x)= " + a256 + "\nsha512 (x) = " + a512 + "\nMD5 (x) = " + aMD5 + "\nSHA1 (x) = " + a1 + "\n",
	`\` + a256 + `  a\\b\nc\rd` + "\n" + `\SHA256 (e\\f) = ` + b256 + "\n",
	a256 + " x\n" + b256 + "  x\n" + a256 + "   x \n",
	"\xef\xbb\xbf" + a256 + "  x",
	"SHA256 (a (1)) = b) = " + a256 + "\n",
	a512 + "\n",
	"<!DOCTYPE html>\n",
	"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + a256 + "  x\n",
	"",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, sha512 bool) {
		algo := SHA256
		if sha512 {
			algo = SHA512
		}
		file, err := Parse(data, algo)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || file != nil {
				t.Fatalf("Parse = %v, %v; want nil and a *SyntaxError", file, err)
			}
			return
		}
		if len(file.Entries) == 0 {
			t.Fatal("Parse returned a file without entries")
		}
		last := 0
		for _, e := range file.Entries {
			if err := e.Digest.Validate(); err != nil {
				t.Fatalf("entry %+v: %v", e, err)
			}
			if e.Name == "" || e.Line <= last {
				t.Fatalf("entry %+v: empty name or line not after %d", e, last)
			}
			last = e.Line
			if strings.ContainsFunc(e.Name, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f }) {
				t.Fatalf("entry %+v: control character in name", e)
			}
			got, err := file.Lookup(e.Name, e.Digest.Algorithm)
			var ce *ConflictError
			switch {
			case errors.As(err, &ce):
				if len(ce.Entries) < 2 || !slices.ContainsFunc(ce.Entries, func(c Entry) bool { return c.Digest == e.Digest }) {
					t.Fatalf("Lookup(%q): %v does not list line %d", e.Name, err, e.Line)
				}
			case err != nil || got != e.Digest:
				t.Fatalf("Lookup(%q, %s) = %v, %v; want %v (line %d)", e.Name, e.Digest.Algorithm, got, err, e.Digest, e.Line)
			}
			if e.Digest.Algorithm == algo {
				fd, ferr := Find(data, algo, e.Name)
				if fd != got || (ferr == nil) != (err == nil) {
					t.Fatalf("Find(%q) = %v, %v; Lookup = %v, %v", e.Name, fd, ferr, got, err)
				}
			}
		}
		// Written back in GNU form, one algorithm at a time, or all as
		// BSD tags, the entries parse the same.
		for _, a := range []Algorithm{SHA256, SHA512} {
			want := names(file.Entries, a)
			if len(want) == 0 {
				continue
			}
			text := formatGNU(file.Entries, a)
			back, err := Parse([]byte(text), a)
			if err != nil {
				t.Fatalf("reparsing GNU form %q: %v", text, err)
			}
			if diff := cmp.Diff(want, names(back.Entries, a)); diff != "" {
				t.Fatalf("GNU round trip of %q (-want +got):\n%s", text, diff)
			}
		}
		text := formatBSD(file.Entries)
		back, err := Parse([]byte(text), algo)
		if err != nil {
			t.Fatalf("reparsing BSD form %q: %v", text, err)
		}
		if diff := cmp.Diff(names(file.Entries, ""), names(back.Entries, "")); diff != "" {
			t.Fatalf("BSD round trip of %q (-want +got):\n%s", text, diff)
		}
	})
}

func FuzzParseBare(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), true, "x")
	}
	f.Add([]byte(a512+"\n"), true, "nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.qcow2")
	f.Add([]byte(a256+" \r\n\n"), false, "")
	f.Add([]byte(a512+"  x\n"), true, "x")
	f.Add([]byte("SHA512 (x) = "+a512), true, "x")
	f.Fuzz(func(t *testing.T, data []byte, sha512 bool, wantName string) {
		algo := SHA256
		if sha512 {
			algo = SHA512
		}
		d, err := ParseBare(data, algo, wantName)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !d.IsZero() {
				t.Fatalf("ParseBare = %v, %v; want zero and a *SyntaxError", d, err)
			}
			return
		}
		if d.Algorithm != algo || d.Validate() != nil {
			t.Fatalf("ParseBare = %v, not a valid %s digest", d, algo)
		}
		// Either the file is one bare digest, or it is a checksum file
		// that says the same for wantName.
		body := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
		if isHex(string(body)) {
			if !strings.EqualFold(string(body), d.Hex) {
				t.Fatalf("ParseBare = %v, file says %q", d, body)
			}
			return
		}
		if wantName == "" {
			t.Fatalf("ParseBare accepted a named digest with no wanted name: %q", data)
		}
		if got, err := Find(data, algo, wantName); err != nil || got != d {
			t.Fatalf("ParseBare = %v; Find = %v, %v", d, got, err)
		}
	})
}

type nameDigest struct {
	Name   string
	Digest Digest
}

// names returns the names and digests of algorithm a (any when empty).
func names(entries []Entry, a Algorithm) []nameDigest {
	var out []nameDigest
	for _, e := range entries {
		if a == "" || e.Digest.Algorithm == a {
			out = append(out, nameDigest{e.Name, e.Digest})
		}
	}
	return out
}

var escaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`)

// escapeName returns the line prefix ("\" or "") and the name as GNU tools
// write it.
func escapeName(name string) (string, string) {
	if strings.ContainsAny(name, "\\\n\r") {
		return `\`, escaper.Replace(name)
	}
	return "", name
}

func formatGNU(entries []Entry, a Algorithm) string {
	var b strings.Builder
	for _, e := range entries {
		if e.Digest.Algorithm == a {
			mark, name := escapeName(e.Name)
			b.WriteString(mark + e.Digest.Hex + "  " + name + "\n")
		}
	}
	return b.String()
}

func formatBSD(entries []Entry) string {
	var b strings.Builder
	for _, e := range entries {
		mark, name := escapeName(e.Name)
		b.WriteString(mark + strings.ToUpper(string(e.Digest.Algorithm)) + " (" + name + ") = " + e.Digest.Hex + "\n")
	}
	return b.String()
}

func TestRoundTripFormats(t *testing.T) {
	t.Parallel()
	entries := []Entry{
		e256(1, "plain.img", a256),
		e256(2, " leading space", b256),
		e256(3, "*star", c256),
		e256(4, `back\slash`, a256),
		e256(5, "new\nline and\rCR", b256),
		e256(6, "paren) = x", c256),
		e256(7, "trailing ", a256),
	}
	for name, text := range map[string]string{"GNU": formatGNU(entries, SHA256), "BSD": formatBSD(entries)} {
		got, err := Parse([]byte(text), SHA256)
		if err != nil {
			t.Fatalf("%s: Parse(%q): %v", name, text, err)
		}
		if diff := cmp.Diff(entries, got.Entries); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", name, diff)
		}
	}
}
