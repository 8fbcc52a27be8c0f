package testkit

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Epoch is the modification time WriteFile gives files, so that listings
// and Last-Modified are the same on every run.
var Epoch = time.Date(2026, time.January, 2, 3, 4, 0, 0, time.UTC)

// WriteFile writes data at root/rel (a slash-separated path), creating
// directories, with modification time Epoch.
func WriteFile(t testing.TB, root, rel string, data []byte) string {
	t.Helper()
	name := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(name, Epoch, Epoch); err != nil {
		t.Fatal(err)
	}
	return name
}
