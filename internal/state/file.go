package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

// Path returns the state file of the image directory dir.
func Path(dir string) string { return filepath.Join(dir, PrivateDir, FileName) }

// fileEntry is Entry as stored: the digest as "sha256:…", times as
// RFC 3339 with nanoseconds, in UTC.
type fileEntry struct {
	Source      string     `json:"source,omitempty"`
	Release     string     `json:"release,omitempty"`
	Arch        string     `json:"arch,omitempty"`
	Variant     string     `json:"variant,omitempty"`
	Version     string     `json:"version,omitempty"`
	URL         string     `json:"url,omitempty"`
	Format      string     `json:"format,omitempty"`
	Digest      string     `json:"digest"`
	Size        int64      `json:"size"`
	MTime       time.Time  `json:"mtime"`
	VerifiedAt  time.Time  `json:"verified_at"`
	VerifiedBy  []string   `json:"verified_by"`
	ChecksumURL string     `json:"checksum_url,omitempty"`
	Signature   string     `json:"signature,omitempty"`
	Published   *Published `json:"published,omitempty"`
}

func toFile(e Entry) fileEntry {
	by := e.VerifiedBy
	if by == nil {
		by = []string{}
	}
	return fileEntry{
		Source: e.Source, Release: e.Release, Arch: e.Arch, Variant: e.Variant,
		Version: e.Version, URL: e.URL, Format: e.Format, Digest: e.Digest.String(),
		Size: e.Size, MTime: e.MTime.UTC(), VerifiedAt: e.VerifiedAt.UTC(), VerifiedBy: by,
		ChecksumURL: e.ChecksumURL, Signature: e.Signature, Published: e.Published.utc(),
	}
}

func fromFile(f fileEntry) (Entry, error) {
	d, err := checksum.ParseDigest(f.Digest)
	if err != nil {
		return Entry{}, err
	}
	by := f.VerifiedBy
	if len(by) == 0 {
		by = nil // missing, null and [] all mean "nothing recorded"
	}
	return Entry{
		Source: f.Source, Release: f.Release, Arch: f.Arch, Variant: f.Variant,
		Version: f.Version, URL: f.URL, Format: f.Format, Digest: d,
		Size: f.Size, MTime: f.MTime, VerifiedAt: f.VerifiedAt, VerifiedBy: by,
		ChecksumURL: f.ChecksumURL, Signature: f.Signature, Published: f.Published,
	}, nil
}

// Load reads the state of the image directory dir. A missing state file
// gives an empty state and no error; any other problem gives an empty
// state and a *CorruptError, so callers can say "re-verifying" and go on.
func Load(dir string) (*State, error) {
	path := Path(dir)
	data, err := readFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err == nil {
		var s *State
		if s, err = decode(data); err == nil {
			return s, nil
		}
	}
	return New(), &CorruptError{Path: path, Err: err}
}

// readFile reads the state file without following a symlink, up to
// MaxBytes.
func readFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("larger than %d MiB", MaxBytes>>20)
	}
	return data, nil
}

// decode parses a state file strictly: one JSON object, version 1, no
// duplicate image names, every entry valid. Unknown fields inside an
// entry are ignored.
func decode(data []byte) (*State, error) {
	var version *int
	var rawImages json.RawMessage
	err := eachKey(json.NewDecoder(bytes.NewReader(data)), func(key string, dec *json.Decoder) error {
		switch key {
		case "version":
			return dec.Decode(&version)
		case "images":
			return dec.Decode(&rawImages)
		}
		var skip json.RawMessage
		return dec.Decode(&skip)
	})
	if err != nil {
		return nil, err
	}
	switch {
	case version == nil:
		return nil, errors.New("no version")
	case *version != Version:
		return nil, fmt.Errorf("unknown version %d (this fetchd reads version %d)", *version, Version)
	}
	s := New()
	if rawImages == nil || string(rawImages) == "null" {
		return s, nil
	}
	err = eachKey(json.NewDecoder(bytes.NewReader(rawImages)), func(name string, dec *json.Decoder) error {
		var fe fileEntry
		if err := dec.Decode(&fe); err != nil {
			return fmt.Errorf("image %q: %w", name, err)
		}
		e, err := fromFile(fe)
		if err != nil {
			return fmt.Errorf("image %q: digest: %w", name, err)
		}
		if err := e.validate(name); err != nil {
			return err
		}
		s.Images[name] = e
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// eachKey walks the single JSON object dec reads, calling fn to decode the
// value of each key. Duplicate keys, a value that is not an object and
// anything after the object are errors.
func eachKey(dec *json.Decoder, fn func(key string, dec *json.Decoder) error) error {
	tok, err := dec.Token()
	if err != nil {
		return truncated(err)
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("want a JSON object, got %v", tok)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return truncated(err)
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("want a key, got %v", tok)
		}
		if seen[key] {
			return fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		if err := fn(key, dec); err != nil {
			return truncated(err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return truncated(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON object")
	}
	return nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated: %w", err)
	}
	return err
}
