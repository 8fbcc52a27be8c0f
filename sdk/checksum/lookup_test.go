package checksum

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	file := a256 + " *x.qcow2\n" +
		b256 + " *my-x.qcow2\n" +
		c256 + " *x.qcow2.sig\n" +
		b256 + " *./x.qcow2\n" +
		c256 + " *X.QCOW2\n" +
		a256 + " *dup.img\n" +
		a256 + "  dup.img\n" +
		a256 + " *two.img\n" +
		b256 + " *two.img\n" +
		a256 + " *two.img\n" +
		"SHA512 (x.qcow2) = " + a512 + "\n" +
		"SHA512 (only512.img) = " + b512 + "\n" +
		"MD5 (onlymd5.img) = " + aMD5 + "\n"
	f, err := Parse([]byte(file), SHA256)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		name     string
		algo     Algorithm
		want     Digest
		notFound *NotFoundError
		conflict *ConflictError
		msg      string
	}{
		"exact":               {name: "x.qcow2", algo: SHA256, want: Digest{SHA256, a256}},
		"exact sha512":        {name: "x.qcow2", algo: SHA512, want: Digest{SHA512, a512}},
		"dot slash is a name": {name: "./x.qcow2", algo: SHA256, want: Digest{SHA256, b256}},
		"case matters":        {name: "X.QCOW2", algo: SHA256, want: Digest{SHA256, c256}},
		"repeated digest":     {name: "dup.img", algo: SHA256, want: Digest{SHA256, a256}},
		"substring is not a match": {
			name: "x.qcow", algo: SHA256,
			notFound: &NotFoundError{Name: "x.qcow", Algorithm: SHA256, Entries: 12,
				Similar: []string{"x.qcow2", "my-x.qcow2", "x.qcow2.sig", "./x.qcow2", "X.QCOW2"}},
			msg: `no sha256 digest for "x.qcow" among 12 entries; similar names: "x.qcow2", "my-x.qcow2"`,
		},
		"other algorithm only": {
			name: "only512.img", algo: SHA256,
			notFound: &NotFoundError{Name: "only512.img", Algorithm: SHA256, Entries: 12, Has: []Algorithm{SHA512}},
			msg:      `no sha256 digest for "only512.img": the file has only sha512 for it`,
		},
		"ignored MD5 line": {
			name: "onlymd5.img", algo: SHA256,
			notFound: &NotFoundError{Name: "onlymd5.img", Algorithm: SHA256, Entries: 12},
		},
		"nothing similar": {
			name: "debian-13-generic-amd64.qcow2", algo: SHA256,
			notFound: &NotFoundError{Name: "debian-13-generic-amd64.qcow2", Algorithm: SHA256, Entries: 12},
			msg:      "among 12 entries; no similar names",
		},
		"conflict": {
			name: "two.img", algo: SHA256,
			conflict: &ConflictError{Name: "two.img", Algorithm: SHA256, Entries: []Entry{e256(8, "two.img", a256), e256(9, "two.img", b256)}},
			msg:      `conflicting sha256 digests for "two.img": line 8 has sha256:ca978112ca1b…, line 9 has sha256:3e23e8160039…`,
		},
		"empty name":        {name: "", algo: SHA256, msg: "empty file name"},
		"unknown algorithm": {name: "x.qcow2", algo: "md5", msg: `algorithm "md5": want sha256 or sha512`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := f.Lookup(tc.name, tc.algo)
			if tc.msg != "" && (err == nil || !strings.Contains(err.Error(), tc.msg)) {
				t.Errorf("Lookup error %v, want one containing %q", err, tc.msg)
			}
			if tc.notFound != nil {
				var nf *NotFoundError
				if !errors.As(err, &nf) {
					t.Fatalf("Lookup = %v, %v; want *NotFoundError", got, err)
				}
				if diff := cmp.Diff(tc.notFound, nf); diff != "" {
					t.Errorf("NotFoundError (-want +got):\n%s", diff)
				}
				return
			}
			if tc.conflict != nil {
				var ce *ConflictError
				if !errors.As(err, &ce) {
					t.Fatalf("Lookup = %v, %v; want *ConflictError", got, err)
				}
				if diff := cmp.Diff(tc.conflict, ce); diff != "" {
					t.Errorf("ConflictError (-want +got):\n%s", diff)
				}
				return
			}
			if tc.msg != "" {
				return
			}
			if err != nil {
				t.Fatalf("Lookup: %v", err)
			}
			if got != tc.want {
				t.Errorf("Lookup = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSimilarLimit(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for _, n := range []string{"a-x-1", "x-2", "x-3", "x-4", "x-5", "x-6", "x-7", "x"} {
		b.WriteString(a256 + "  " + n + "\n")
	}
	f, err := Parse([]byte(b.String()), SHA256)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Lookup("x-", SHA256)
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("Lookup = %v, want *NotFoundError", err)
	}
	// Containing "x-" ranks first, in file order; "x" shares only half.
	want := []string{"a-x-1", "x-2", "x-3", "x-4", "x-5"}
	if diff := cmp.Diff(want, nf.Similar); diff != "" {
		t.Errorf("Similar (-want +got):\n%s", diff)
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in, name string
		algo     Algorithm
		want     Digest
		err      any // pointer to the error type wanted
	}{
		"found":      {in: a512 + "  debian-13-generic-amd64.qcow2\n", algo: SHA512, name: "debian-13-generic-amd64.qcow2", want: Digest{SHA512, a512}},
		"not found":  {in: a512 + "  debian-13-generic-amd64.raw\n", algo: SHA512, name: "debian-13-generic-amd64.qcow2", err: new(*NotFoundError)},
		"conflict":   {in: a256 + "  x\n" + b256 + "  x\n", algo: SHA256, name: "x", err: new(*ConflictError)},
		"bad syntax": {in: "<html>", algo: SHA256, name: "x", err: new(*SyntaxError)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := Find([]byte(tc.in), tc.algo, tc.name)
			if tc.err != nil {
				if !errors.As(err, tc.err) {
					t.Fatalf("Find = %v, %v; want error of type %T", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Find = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
