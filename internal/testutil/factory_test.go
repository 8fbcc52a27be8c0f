package testutil

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestQcow2FactoryImagesAreDistinctAndValid(t *testing.T) {
	t.Parallel()
	qemuImg := RequireQemuImg(t)
	dir := t.TempDir()
	f, err := NewQcow2Factory(qemuImg, dir)
	if err != nil {
		t.Fatal(err)
	}
	a, b := f.Next(), f.Next()
	if bytes.Equal(a, b) {
		t.Fatal("two images are identical")
	}
	for i, img := range [][]byte{a, b} {
		p := filepath.Join(dir, "img.qcow2")
		if err := os.WriteFile(p, img, 0o644); err != nil {
			t.Fatal(err)
		}
		RunQemuImg(t, "check", "-q", "-f", "qcow2", p)
		if i == 1 {
			RunQemuImg(t, "info", "-f", "qcow2", p)
		}
	}
}
