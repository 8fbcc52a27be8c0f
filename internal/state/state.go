package state

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

// Version is the state file format this package reads and writes.
const Version = 1

// Layout inside the image directory.
const (
	// PrivateDir is fetchd's folder inside the image directory.
	PrivateDir = ".fetchd"
	// FileName is the state file inside PrivateDir.
	FileName = "state.json"
	// MaxBytes bounds the state file; real ones are a few KiB.
	MaxBytes = 16 << 20
)

// State is the content of state.json: one Entry per image file name.
type State struct {
	Version int
	Images  map[string]Entry
}

// Entry is what fetchd recorded about one image file when it last installed
// or verified it.
type Entry struct {
	Source  string // source plugin; "" for a url image
	Release string
	Arch    string
	Variant string
	Version string // the upstream build, as the plugin named it
	URL     string // where the bytes came from
	Format  string // "qcow2" or "raw"
	Digest  checksum.Digest
	// Size and MTime are the file's, as the file system reported them
	// after install; Matches compares them exactly.
	Size  int64
	MTime time.Time
	// VerifiedAt is when the checks in VerifiedBy last passed, e.g.
	// ["sha256", "qcow2-header", "qemu-img info", "qemu-img check"].
	VerifiedAt  time.Time
	VerifiedBy  []string
	ChecksumURL string // the checksum file the digest came from, if any
	Signature   string // short signature status, e.g. "verified (key ABCD…)"
	// Published is the publisher's record, for an image installed from an
	// OCI registry; nil otherwise.
	Published *Published
}

// New returns an empty state.
func New() *State { return &State{Version: Version, Images: map[string]Entry{}} }

// Get returns the entry for the image file name.
func (s *State) Get(name string) (Entry, bool) {
	e, ok := s.Images[name]
	return e, ok
}

// Set records e for the image file name.
func (s *State) Set(name string, e Entry) {
	if s.Images == nil {
		s.Images = map[string]Entry{}
	}
	s.Images[name] = e
}

// Delete forgets the image file name.
func (s *State) Delete(name string) { delete(s.Images, name) }

// Matches reports whether fi, a fresh stat of the image file, still
// describes the file this entry was recorded for: a regular file of the
// same size and exactly the same modification time, at the precision the
// file system reports. It is how a no-op sync avoids re-hashing.
func (e Entry) Matches(fi os.FileInfo) bool {
	return fi != nil && fi.Mode().IsRegular() && !e.MTime.IsZero() &&
		fi.Size() == e.Size && fi.ModTime().Equal(e.MTime)
}

// Stamp returns e with Size and MTime taken from fi, the stat of the file
// just installed or verified.
func (e Entry) Stamp(fi os.FileInfo) Entry {
	e.Size = fi.Size()
	e.MTime = fi.ModTime()
	return e
}

// validate checks the facts Matches and the callers rely on.
func (e Entry) validate(name string) error {
	if err := checkName(name); err != nil {
		return fmt.Errorf("image name %q: %w", name, err)
	}
	if err := e.Digest.Validate(); err != nil {
		return fmt.Errorf("image %s: digest: %w", name, err)
	}
	if e.Size < 0 {
		return fmt.Errorf("image %s: negative size %d", name, e.Size)
	}
	if e.MTime.IsZero() {
		return fmt.Errorf("image %s: no mtime", name)
	}
	for _, t := range []struct {
		field string
		at    time.Time
	}{{"mtime", e.MTime}, {"verified_at", e.VerifiedAt}, {"published.verified_at", e.Published.verifiedAt()}, {"published.published_at", e.Published.publishedAt()}} {
		// Times are stored in UTC as RFC 3339, which has four-digit years:
		// an offset can carry 0000-01-01T00:00:00+01:00 out of range.
		if y := t.at.UTC().Year(); !t.at.IsZero() && (y < 0 || y > 9999) {
			return fmt.Errorf("image %s: %s %s is outside years 0000-9999", name, t.field, t.at.Format(time.RFC3339))
		}
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

// CorruptError says the state file exists but cannot be used: unreadable,
// not JSON, truncated, an unknown version, or an entry that does not
// validate. Callers treat the directory as "nothing known", re-verify,
// and tell the user.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return "state file " + e.Path + " is unusable (images will be re-verified): " + e.Err.Error()
}

func (e *CorruptError) Unwrap() error { return e.Err }
