package state

import (
	"slices"
	"time"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

// Version is the state file format this package writes. Decode also reads
// version 1 (one plain file per image name, before builds existed).
const Version = 2

// Layout inside the image directory.
const (
	// PrivateDir is fetchd's folder inside the image directory.
	PrivateDir = ".fetchd"
	// FileName is the state file inside PrivateDir.
	FileName = "state.json"
	// MaxBytes bounds the state file; real ones are a few KiB.
	MaxBytes = 16 << 20
)

// State is the content of state.json: the builds fetchd committed, by
// digest, and what each configured name points at.
type State struct {
	Version int
	// Builds is keyed by the build's digest ("sha256:<hex>").
	Builds map[string]Build
	// Images is keyed by image name (the file name in the directory).
	Images map[string]Image
}

// Build is one committed build: bytes that passed every check, kept
// read-only at builds/<File> inside the private directory, never changed
// while the file exists.
type Build struct {
	// File is the build's file name in the builds directory (BuildFile).
	File    string
	Source  string // source plugin; "" for a url image
	Release string
	Arch    string
	Variant string
	Version string // the upstream build, as the plugin named it
	URL     string // where the bytes came from
	Format  string // "qcow2" or "raw"
	Digest  checksum.Digest
	// Size is the file's size in bytes; VirtualSize the disk size a VM
	// sees (0 when not known).
	Size        int64
	VirtualSize int64
	// Stamp is the file as the file system described it after fetchd last
	// committed, linked or hashed it. A zero Stamp trusts nothing: the
	// file is hashed before it is used.
	Stamp Stamp
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

// Entry is the former name of Build, kept so that callers written against
// it still read the same fields.
type Entry = Build

// Stamp identifies a file and its metadata exactly, as git's index does:
// a file is trusted without re-hashing only when every field is what
// fetchd recorded. Any write, chmod, chown, link or replacement changes at
// least one of them (ctime moves with every inode change).
type Stamp struct {
	Dev   uint64
	Ino   uint64
	Size  int64
	Mode  uint32 // st_mode: type and permission bits
	UID   uint32
	MTime time.Time
	CTime time.Time
}

// IsZero reports whether nothing was recorded.
func (s Stamp) IsZero() bool { return s == Stamp{} }

// Matches reports whether o describes the same file, unchanged. A zero Stamp
// equals nothing.
func (s Stamp) Matches(o Stamp) bool {
	return !s.IsZero() && s.Dev == o.Dev && s.Ino == o.Ino && s.Size == o.Size && s.Mode == o.Mode &&
		s.UID == o.UID && s.MTime.Equal(o.MTime) && s.CTime.Equal(o.CTime)
}

// SameFile reports whether o is the same inode, whatever its metadata.
func (s Stamp) SameFile(o Stamp) bool { return !s.IsZero() && s.Dev == o.Dev && s.Ino == o.Ino }

// Image is what fetchd knows about one configured name.
type Image struct {
	// Build is the digest key of the build the name points at ("" when
	// none yet).
	Build string
	// Pending is a newer build that is committed and ready, held back
	// because VM disks use the name (see the overlays setting).
	Pending string
	// Previous lists earlier builds of this image, newest first: what
	// rollback can move back to and retention counts.
	Previous []string
	// Want is the configuration that chose Build; nil when not recorded
	// (a version 1 state), which the next sync fills in.
	Want *Want
	// Hold, when set, keeps the name on Build whatever the update policy.
	Hold *Hold
}

// Want is what the configuration asked for, exactly as written (Arch
// filled in with the host's when not configured). A change in any field
// replaces the image, whatever the update policy.
type Want struct {
	Source   string
	Release  string
	Arch     string
	Variant  string
	URL      string
	Checksum string // a url image's "sha256:<hex>" or "file:<url>"
}

// Hold is a runtime hold set by the operator (fetchd hold, rollback, the
// service's API).
type Hold struct {
	Reason string
	At     time.Time
}

// New returns an empty state.
func New() *State {
	return &State{Version: Version, Builds: map[string]Build{}, Images: map[string]Image{}}
}

// Image returns the record of the image called name.
func (s *State) Image(name string) (Image, bool) {
	im, ok := s.Images[name]
	return im, ok
}

// SetImage records im for name.
func (s *State) SetImage(name string, im Image) {
	if s.Images == nil {
		s.Images = map[string]Image{}
	}
	s.Images[name] = im
}

// Build returns the build with the digest key.
func (s *State) Build(key string) (Build, bool) {
	if key == "" {
		return Build{}, false
	}
	b, ok := s.Builds[key]
	return b, ok
}

// SetBuild records b under its digest.
func (s *State) SetBuild(b Build) {
	if s.Builds == nil {
		s.Builds = map[string]Build{}
	}
	s.Builds[b.Digest.String()] = b
}

// DeleteBuild forgets a build and every image's reference to it as a
// previous or pending build.
func (s *State) DeleteBuild(key string) {
	delete(s.Builds, key)
	for name, im := range s.Images {
		im.Previous = slices.DeleteFunc(slices.Clone(im.Previous), func(k string) bool { return k == key })
		if im.Pending == key {
			im.Pending = ""
		}
		s.Images[name] = im
	}
}

// Current returns the build the image name points at.
func (s *State) Current(name string) (Build, bool) {
	im, ok := s.Images[name]
	if !ok {
		return Build{}, false
	}
	return s.Build(im.Build)
}

// Get is Current under its former name.
func (s *State) Get(name string) (Build, bool) { return s.Current(name) }

// Delete forgets the image name (its builds stay recorded).
func (s *State) Delete(name string) { delete(s.Images, name) }

// Users returns, for each build key, the images that point at it, hold it
// pending or keep it as a previous build.
func (s *State) Users() map[string][]string {
	out := map[string][]string{}
	for name, im := range s.Images {
		for _, k := range append([]string{im.Build, im.Pending}, im.Previous...) {
			if k != "" && !slices.Contains(out[k], name) {
				out[k] = append(out[k], name)
			}
		}
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

// BuildFile is the file name of the build with digest d and format:
// content-addressed, so two images of one artifact share one build and a
// state file can never name anything else.
func BuildFile(d checksum.Digest, format string) string {
	ext := format
	if ext == "" {
		ext = "qcow2"
	}
	return string(d.Algorithm) + "-" + d.Hex + "." + ext
}
