package report

import (
	"time"

	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/textsafe"
)

// Image is one image as fetchd reports it: an element of "images" in the
// --json documents of sync, status and verify, and the "result" of a done
// event.
type Image struct {
	Name             string   `json:"name"`
	State            string   `json:"state"`
	OK               bool     `json:"ok"`
	Source           string   `json:"source,omitempty"`
	Release          string   `json:"release,omitempty"`
	Arch             string   `json:"arch,omitempty"`
	Variant          string   `json:"variant,omitempty"`
	Version          string   `json:"version,omitempty"`
	Digest           string   `json:"digest,omitempty"`
	Size             int64    `json:"size,omitempty"`
	URL              string   `json:"url,omitempty"`
	VerifiedAt       string   `json:"verified_at,omitempty"`
	VerifiedBy       []string `json:"verified_by,omitempty"`
	Signature        string   `json:"signature,omitempty"`
	UpstreamVersion  string   `json:"upstream_version,omitempty"`
	UpstreamDigest   string   `json:"upstream_digest,omitempty"`
	UpstreamURL      string   `json:"upstream_url,omitempty"`
	BytesTransferred int64    `json:"bytes_transferred,omitempty"`
	BytesReused      int64    `json:"bytes_reused,omitempty"`
	// Connections, Served and FellBack describe the download: the most
	// connections open at once, what each URL (the primary, then its
	// mirrors) served and why one was dropped, and why it started over on
	// one connection.
	Connections int      `json:"connections,omitempty"`
	Served      []Served `json:"served,omitempty"`
	FellBack    string   `json:"fell_back,omitempty"`
	Seconds     float64  `json:"seconds,omitempty"`
	Error       string   `json:"error,omitempty"`
	ErrorDetail []string `json:"error_detail,omitempty"`
	Note        string   `json:"note,omitempty"`
	// Published is the publisher's record of an image installed from an
	// OCI registry.
	Published *state.Published `json:"published,omitempty"`
	// BuildPath is the immutable path of the build the name points at:
	// where a backend should point VM disks (qemu-img create -b).
	BuildPath   string   `json:"build_path,omitempty"`
	VirtualSize int64    `json:"virtual_size,omitempty"`
	MovedAside  []string `json:"moved_aside,omitempty"`
	Hold        string   `json:"hold,omitempty"`
	// PendingVersion and PendingPath are the newer build held back by VM
	// disks using the name (HeldBy).
	PendingVersion string   `json:"pending_version,omitempty"`
	PendingPath    string   `json:"pending_path,omitempty"`
	HeldBy         []string `json:"held_by,omitempty"`
	// Rebased are VM disks rebased onto the previous build's path before
	// the name moved; Forced those that used the name when it was moved
	// anyway (they now read another build under their own blocks).
	Rebased []string `json:"rebased,omitempty"`
	Forced  []string `json:"forced,omitempty"`
	// Activity is what another fetchd is doing to the image right now
	// ("downloading 43% (pid 812)"), in status.
	Activity string `json:"activity,omitempty"`
	// DiskBytes is what the image's kept builds take on disk together
	// (allocated blocks), and Builds lists them, in status.
	DiskBytes int64   `json:"disk_bytes,omitempty"`
	Builds    []Build `json:"builds,omitempty"`
}

// Build is one build the store keeps for an image: its role (current,
// pending or previous: what rollback can move back to), what it is and
// what it takes on disk.
type Build struct {
	Role        string `json:"role"`
	Version     string `json:"version,omitempty"`
	Digest      string `json:"digest"`
	Path        string `json:"path"`
	Size        int64  `json:"size"`
	VirtualSize int64  `json:"virtual_size,omitempty"`
	DiskBytes   int64  `json:"disk_bytes"`
	Missing     bool   `json:"missing,omitempty"`
	// Overlays are the VM disks that use the build.
	Overlays []string `json:"overlays,omitempty"`
}

// FromResult encodes one image's result.
func FromResult(r engine.Result) Image {
	j := Image{Name: r.Name, State: string(r.Outcome), OK: r.Outcome.OK(), Note: r.Note,
		BytesTransferred: r.Transferred, BytesReused: r.Reused, Seconds: r.Duration.Seconds()}
	if e := r.Local; e != nil {
		j.Source, j.Release, j.Arch, j.Variant = e.Source, e.Release, e.Arch, e.Variant
		j.Version, j.Digest, j.Size, j.URL = e.Version, e.Digest.String(), e.Size, e.URL
		j.VerifiedBy, j.Signature, j.Published = e.VerifiedBy, e.Signature, e.Published
		if !e.VerifiedAt.IsZero() {
			j.VerifiedAt = e.VerifiedAt.UTC().Format(time.RFC3339)
		}
	}
	if u := r.Upstream; u != nil {
		j.UpstreamVersion, j.UpstreamDigest, j.UpstreamURL = u.Version, u.Digest.String(), u.URL
	}
	if r.Err != nil {
		j.Error = textsafe.Escape(r.Err.Error())
		j.ErrorDetail = ErrorDetail(r.Err)
	}
	j.BuildPath, j.MovedAside, j.Hold, j.HeldBy = r.BuildPath, r.MovedAside, r.Hold, r.HeldBy
	j.Rebased, j.Forced = r.Rebased, r.Forced
	if e := r.Local; e != nil {
		j.VirtualSize = e.VirtualSize
	}
	if p := r.Pending; p != nil {
		j.PendingVersion, j.PendingPath = p.Version, r.PendingPath
	}
	j.DiskBytes = r.DiskBytes
	for _, b := range r.Builds {
		j.Builds = append(j.Builds, Build{Role: b.Role, Version: b.Build.Version, Digest: b.Build.Digest.String(), Path: b.Path,
			Size: b.Build.Size, VirtualSize: b.Build.VirtualSize, DiskBytes: b.DiskBytes, Missing: b.Missing, Overlays: b.Overlays})
	}
	j.Connections, j.FellBack = r.Connections, textsafe.Escape(r.FellBack)
	for _, s := range r.Served {
		j.Served = append(j.Served, Served{URL: s.URL, Bytes: s.Bytes, Dropped: textsafe.Escape(s.Dropped)})
	}
	return j
}

// Served is one URL's part in a download: its bytes in the file, and why
// it was dropped ("" if it was not).
type Served struct {
	URL     string `json:"url"`
	Bytes   int64  `json:"bytes"`
	Dropped string `json:"dropped,omitempty"`
}

// FromResults encodes results in their order (never nil: an empty list is
// "[]").
func FromResults(rs []engine.Result) []Image {
	out := make([]Image, 0, len(rs))
	for _, r := range rs {
		out = append(out, FromResult(r))
	}
	return out
}
