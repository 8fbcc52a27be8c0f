package state

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

// The types below are State as stored: digests as "sha256:…", times as
// RFC 3339 with nanoseconds, in UTC.

type fileState struct {
	Version int                  `json:"version"`
	Builds  map[string]fileBuild `json:"builds"`
	Images  map[string]fileImage `json:"images"`
}

type fileBuild struct {
	File        string     `json:"file"`
	Source      string     `json:"source,omitempty"`
	Release     string     `json:"release,omitempty"`
	Arch        string     `json:"arch,omitempty"`
	Variant     string     `json:"variant,omitempty"`
	Version     string     `json:"version,omitempty"`
	URL         string     `json:"url,omitempty"`
	Format      string     `json:"format,omitempty"`
	Digest      string     `json:"digest"`
	Size        int64      `json:"size"`
	VirtualSize int64      `json:"virtual_size,omitempty"`
	Stamp       *fileStamp `json:"stamp,omitempty"`
	VerifiedAt  time.Time  `json:"verified_at"`
	VerifiedBy  []string   `json:"verified_by"`
	ChecksumURL string     `json:"checksum_url,omitempty"`
	Signature   string     `json:"signature,omitempty"`
	Published   *Published `json:"published,omitempty"`
}

type fileStamp struct {
	Dev   uint64    `json:"dev"`
	Ino   uint64    `json:"ino"`
	Size  int64     `json:"size"`
	Mode  uint32    `json:"mode"`
	UID   uint32    `json:"uid"`
	MTime time.Time `json:"mtime"`
	CTime time.Time `json:"ctime"`
}

type fileImage struct {
	Build    string    `json:"build,omitempty"`
	Pending  string    `json:"pending,omitempty"`
	Previous []string  `json:"previous,omitempty"`
	Want     *fileWant `json:"want,omitempty"`
	Hold     *fileHold `json:"hold,omitempty"`
}

type fileWant struct {
	Source   string `json:"source,omitempty"`
	Release  string `json:"release,omitempty"`
	Arch     string `json:"arch,omitempty"`
	Variant  string `json:"variant,omitempty"`
	URL      string `json:"url,omitempty"`
	Checksum string `json:"checksum,omitempty"`
}

type fileHold struct {
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// fileEntryV1 is an image record of a version 1 state file.
type fileEntryV1 struct {
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

func (fb fileBuild) build(key string) (Build, error) {
	d, err := checksum.ParseDigest(fb.Digest)
	if err != nil {
		return Build{}, fmt.Errorf("build %q: digest: %w", clip(key), err)
	}
	b := Build{
		File: fb.File, Source: fb.Source, Release: fb.Release, Arch: fb.Arch, Variant: fb.Variant,
		Version: fb.Version, URL: fb.URL, Format: fb.Format, Digest: d, Size: fb.Size, VirtualSize: fb.VirtualSize,
		VerifiedAt: fb.VerifiedAt, VerifiedBy: nilIfEmpty(fb.VerifiedBy), ChecksumURL: fb.ChecksumURL, Signature: fb.Signature,
		Published: fb.Published,
	}
	if st := fb.Stamp; st != nil {
		b.Stamp = Stamp{Dev: st.Dev, Ino: st.Ino, Size: st.Size, Mode: st.Mode, UID: st.UID, MTime: st.MTime, CTime: st.CTime}
	}
	return b, b.validate(key)
}

func toFileBuild(b Build) fileBuild {
	by := b.VerifiedBy
	if by == nil {
		by = []string{}
	}
	fb := fileBuild{
		File: b.File, Source: b.Source, Release: b.Release, Arch: b.Arch, Variant: b.Variant,
		Version: b.Version, URL: b.URL, Format: b.Format, Digest: b.Digest.String(), Size: b.Size,
		VirtualSize: b.VirtualSize, VerifiedAt: b.VerifiedAt.UTC(), VerifiedBy: by,
		ChecksumURL: b.ChecksumURL, Signature: b.Signature, Published: b.Published.utc(),
	}
	if st := b.Stamp; !st.IsZero() {
		fb.Stamp = &fileStamp{Dev: st.Dev, Ino: st.Ino, Size: st.Size, Mode: st.Mode, UID: st.UID, MTime: st.MTime.UTC(), CTime: st.CTime.UTC()}
	}
	return fb
}

func (fi fileImage) image() Image {
	im := Image{Build: fi.Build, Pending: fi.Pending, Previous: nilIfEmpty(fi.Previous)}
	if w := fi.Want; w != nil {
		im.Want = &Want{Source: w.Source, Release: w.Release, Arch: w.Arch, Variant: w.Variant, URL: w.URL, Checksum: w.Checksum}
	}
	if h := fi.Hold; h != nil {
		im.Hold = &Hold{Reason: h.Reason, At: h.At}
	}
	return im
}

func toFileImage(im Image) fileImage {
	fi := fileImage{Build: im.Build, Pending: im.Pending, Previous: im.Previous}
	if w := im.Want; w != nil {
		fi.Want = &fileWant{Source: w.Source, Release: w.Release, Arch: w.Arch, Variant: w.Variant, URL: w.URL, Checksum: w.Checksum}
	}
	if h := im.Hold; h != nil {
		fi.Hold = &fileHold{Reason: h.Reason, At: h.At.UTC()}
	}
	return fi
}

// Encode returns s as a state file (always the current Version). It
// refuses a state Decode would reject, so fetchd never writes a file it
// cannot read back.
func Encode(s *State) ([]byte, error) {
	out := fileState{Version: Version, Builds: map[string]fileBuild{}, Images: map[string]fileImage{}}
	for key, b := range s.Builds {
		if err := b.validate(key); err != nil {
			return nil, fmt.Errorf("saving state: %w", err)
		}
		out.Builds[key] = toFileBuild(b)
	}
	for name, im := range s.Images {
		if err := s.checkImage(name, im); err != nil {
			return nil, fmt.Errorf("saving state: %w", err)
		}
		out.Images[name] = toFileImage(im)
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("saving state: %w", err)
	}
	return append(data, '\n'), nil
}
