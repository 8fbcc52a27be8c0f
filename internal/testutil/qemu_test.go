package testutil

import (
	"bytes"
	"os"
	"testing"
)

func TestMakeQcow2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := MakeQcow2(t, dir, "a.qcow2", 1, "-o", "compat=0.10")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("QFI\xfb\x00\x00\x00\x02")) {
		t.Fatalf("%s does not start with a qcow2 v2 header: % x", p, b[:8])
	}
}

func TestMakeImageRaw(t *testing.T) {
	t.Parallel()
	p := MakeImage(t, "raw", t.TempDir(), "a.raw", 1)
	WriteQemuIO(t, "raw", p, "write -P 0xab 0 512")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 1<<20 || b[0] != 0xab || b[511] != 0xab || b[512] != 0 {
		t.Fatalf("raw image: size %d, first bytes % x", len(b), b[:4])
	}
}
