package replica

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// WriteFile writes data at root/rel, creating directories, and sets its
// modification time (listings and Last-Modified show it).
func WriteFile(root, rel string, data []byte, mtime time.Time) error {
	name := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		return err
	}
	if !mtime.IsZero() {
		return os.Chtimes(name, mtime, mtime)
	}
	return nil
}

// FakeImage returns n deterministic pseudo-random bytes derived from name:
// stand-in image content for tests that never boot or inspect it. Tests
// that install images use real qcow2 files instead.
func FakeImage(name string, n int) []byte {
	out := make([]byte, 0, n+32)
	seed := sha256.Sum256([]byte(name))
	var ctr [8]byte
	for i := uint64(0); len(out) < n; i++ {
		binary.BigEndian.PutUint64(ctr[:], i)
		h := sha256.Sum256(append(seed[:], ctr[:]...))
		out = append(out, h[:]...)
	}
	return out[:n]
}

// Listing renders an HTML directory listing in the style of the nginx
// autoindex pages upstream mirrors serve: one line per entry with the link,
// the modification time and the size.
func Listing(title string, entries []ListingEntry) []byte {
	b := fmt.Appendf(nil, "<html>\r\n<head><title>Index of %s</title></head>\r\n<body>\r\n<h1>Index of %s</h1><hr><pre><a href=\"../\">../</a>\r\n", title, title)
	for _, e := range entries {
		name := e.Name
		size := fmt.Sprint(e.Size)
		if e.Dir {
			name += "/"
			size = "-"
		}
		pad := 51 - len(name)
		if pad < 1 {
			pad = 1
		}
		b = fmt.Appendf(b, "<a href=\"%s\">%s</a>%*s %s %19s\r\n", name, name, pad, "", e.ModTime.UTC().Format("02-Jan-2006 15:04"), size)
	}
	b = append(b, "</pre><hr></body>\r\n</html>\r\n"...)
	return b
}

// ListingEntry is one line of a Listing.
type ListingEntry struct {
	Name    string
	Dir     bool
	Size    int64
	ModTime time.Time
}
