package signature_test

import (
	"bytes"
	"io"
	"testing"

	pgparmor "github.com/ProtonMail/go-crypto/openpgp/armor"
)

// armor encodes data as an armored block of type typ.
func armor(t testing.TB, typ string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := pgparmor.Encode(&b, typ, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// dearmor decodes the first armored block in data.
func dearmor(t testing.TB, data []byte) []byte {
	t.Helper()
	blk, err := pgparmor.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(blk.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withHeader adds an armor header line after the BEGIN line.
func withHeader(armored []byte, header string) []byte {
	first, rest, _ := bytes.Cut(armored, []byte("\n"))
	return []byte(string(first) + "\n" + header + "\n" + string(rest))
}

// crlf turns LF line endings into CRLF.
func crlf(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
}
