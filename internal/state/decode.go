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
	"slices"
	"syscall"
	"time"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

// Path returns the state file of the image directory dir.
func Path(dir string) string { return filepath.Join(dir, PrivateDir, FileName) }

// Load reads the state of the image directory dir by path, for tools and
// tests; fetchd itself reads it through the private directory's descriptor
// (package store) and calls Decode. A missing state file gives an empty
// state and no error; any other problem gives an empty state and a
// *CorruptError.
func Load(dir string) (*State, error) {
	path := Path(dir)
	data, err := readFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err == nil {
		var s *State
		if s, err = Decode(data); err == nil {
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

// Decode parses a state file strictly: one JSON object, version 1 or 2, no
// duplicate keys, every build and image valid and every reference between
// them resolved. Unknown fields inside a build or an image are ignored. A
// version 1 file gives builds with a zero Stamp: nothing in it is trusted
// without hashing the file again.
func Decode(data []byte) (*State, error) {
	var version *int
	var rawBuilds, rawImages json.RawMessage
	err := eachKey(json.NewDecoder(bytes.NewReader(data)), func(key string, dec *json.Decoder) error {
		switch key {
		case "version":
			return dec.Decode(&version)
		case "builds":
			return dec.Decode(&rawBuilds)
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
	case *version == 1:
		return decodeV1(rawImages)
	case *version != Version:
		return nil, fmt.Errorf("unknown version %d (this fetchd reads versions 1 and %d)", *version, Version)
	}
	s := New()
	if err := eachObject(rawBuilds, func(key string, dec *json.Decoder) error {
		var fb fileBuild
		if err := dec.Decode(&fb); err != nil {
			return fmt.Errorf("build %q: %w", key, err)
		}
		b, err := fb.build(key)
		if err != nil {
			return err
		}
		s.Builds[key] = b
		return nil
	}); err != nil {
		return nil, err
	}
	if err := eachObject(rawImages, func(name string, dec *json.Decoder) error {
		var fi fileImage
		if err := dec.Decode(&fi); err != nil {
			return fmt.Errorf("image %q: %w", name, err)
		}
		im := fi.image()
		if err := s.checkImage(name, im); err != nil {
			return err
		}
		s.Images[name] = im
		return nil
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// decodeV1 reads the images of a version 1 file: one record per name, the
// name itself holding the bytes.
func decodeV1(raw json.RawMessage) (*State, error) {
	s := New()
	err := eachObject(raw, func(name string, dec *json.Decoder) error {
		var fe fileEntryV1
		if err := dec.Decode(&fe); err != nil {
			return fmt.Errorf("image %q: %w", name, err)
		}
		d, err := checksum.ParseDigest(fe.Digest)
		if err != nil {
			return fmt.Errorf("image %q: digest: %w", name, err)
		}
		if err := checkName(name); err != nil {
			return fmt.Errorf("image name %q: %w", name, err)
		}
		if fe.Format != "" && fe.Format != "qcow2" && fe.Format != "raw" {
			return fmt.Errorf("image %s: unknown format %q", name, fe.Format)
		}
		if fe.Size < 0 {
			return fmt.Errorf("image %s: negative size %d", name, fe.Size)
		}
		if fe.MTime.IsZero() {
			return fmt.Errorf("image %s: no mtime", name)
		}
		b := Build{
			File: BuildFile(d, fe.Format), Source: fe.Source, Release: fe.Release, Arch: fe.Arch, Variant: fe.Variant,
			Version: fe.Version, URL: fe.URL, Format: fe.Format, Digest: d, Size: fe.Size,
			VerifiedAt: fe.VerifiedAt, VerifiedBy: nilIfEmpty(fe.VerifiedBy), ChecksumURL: fe.ChecksumURL, Signature: fe.Signature,
			Published: fe.Published,
		}
		if err := b.validate(d.String()); err != nil {
			return err
		}
		s.SetBuild(b)
		s.Images[name] = Image{Build: d.String()}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// checkImage validates an image record against the builds it names.
func (s *State) checkImage(name string, im Image) error {
	if err := checkName(name); err != nil {
		return fmt.Errorf("image name %q: %w", name, err)
	}
	refs := append([]string{im.Build, im.Pending}, im.Previous...)
	for i, k := range refs {
		if k == "" && i < 2 {
			continue
		}
		if _, ok := s.Builds[k]; !ok {
			return fmt.Errorf("image %s: refers to build %q, which is not recorded", name, clip(k))
		}
	}
	for i, k := range im.Previous {
		if k == im.Build || slices.Contains(im.Previous[:i], k) {
			return fmt.Errorf("image %s: build %q listed twice", name, clip(k))
		}
	}
	if im.Hold != nil {
		if err := checkTime(name, "hold.at", im.Hold.At); err != nil {
			return err
		}
	}
	return nil
}

// validate checks the facts the callers rely on, key being the build's key
// in the file.
func (b Build) validate(key string) error {
	if err := b.Digest.Validate(); err != nil {
		return fmt.Errorf("build %q: digest: %w", clip(key), err)
	}
	if key != b.Digest.String() {
		return fmt.Errorf("build %q: recorded under another digest (%s)", clip(key), b.Digest.Short())
	}
	if b.Format != "" && b.Format != "qcow2" && b.Format != "raw" {
		return fmt.Errorf("build %s: unknown format %q", b.Digest.Short(), clip(b.Format))
	}
	if b.File != BuildFile(b.Digest, b.Format) {
		return fmt.Errorf("build %s: file %q is not its content-addressed name %s", b.Digest.Short(), clip(b.File), BuildFile(b.Digest, b.Format))
	}
	if b.Size < 0 || b.VirtualSize < 0 || b.Stamp.Size < 0 {
		return fmt.Errorf("build %s: negative size", b.Digest.Short())
	}
	for _, t := range []struct {
		field string
		at    time.Time
	}{{"verified_at", b.VerifiedAt}, {"stamp.mtime", b.Stamp.MTime}, {"stamp.ctime", b.Stamp.CTime},
		{"published.verified_at", b.Published.verifiedAt()}, {"published.published_at", b.Published.publishedAt()}} {
		if err := checkTime("build "+b.Digest.Short(), t.field, t.at); err != nil {
			return err
		}
	}
	return nil
}

// checkTime refuses times that cannot be written back: times are stored in
// UTC as RFC 3339, which has four-digit years, and an offset can carry
// 0000-01-01T00:00:00+01:00 out of range.
func checkTime(what, field string, at time.Time) error {
	if y := at.UTC().Year(); !at.IsZero() && (y < 0 || y > 9999) {
		return fmt.Errorf("%s: %s %s is outside years 0000-9999", what, field, at.Format(time.RFC3339))
	}
	return nil
}

// checkName refuses names that are not plain file names in the image
// directory, so a state file can never point fetchd outside it.
func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return errors.New("not a file name")
	case name[0] == '.':
		return errors.New("hidden file")
	case len(name) > 255:
		return errors.New("longer than 255 bytes")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '/' || c == '\\' || c < 0x20 || c == 0x7f {
			return errors.New("contains a path separator or control character")
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// eachObject walks raw, a JSON object or null, with eachKey.
func eachObject(raw json.RawMessage, fn func(key string, dec *json.Decoder) error) error {
	if raw == nil || string(raw) == "null" {
		return nil
	}
	return eachKey(json.NewDecoder(bytes.NewReader(raw)), fn)
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
			return fmt.Errorf("duplicate key %q", clip(key))
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

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil // missing, null and [] all mean "nothing recorded"
	}
	return s
}
