package engine

import (
	"time"

	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/sdk"
)

// Outcome is what happened to (or is true of) one image.
type Outcome string

// The outcomes. The first group means the image is on disk and verified.
const (
	// Present: on disk, unchanged since it was verified.
	Present Outcome = "present"
	// Installed: was missing, downloaded and installed now.
	Installed Outcome = "installed"
	// Updated: replaced by upstream's newer build now.
	Updated Outcome = "updated"
	// Replaced: the file on disk was not what fetchd installed (modified,
	// unknown); replaced by a verified download now.
	Replaced Outcome = "replaced"
	// Adopted: a file fetchd had no record of matched upstream's digest and
	// passed the checks; recorded now, nothing downloaded.
	Adopted Outcome = "adopted"
	// Outdated: on disk and verified, but upstream has a newer build and
	// the update policy says notify.
	Outdated Outcome = "outdated"
	// Verified: on disk, and verify has just re-hashed and re-checked it.
	Verified Outcome = "verified"
	// Held: on disk and verified, and a newer build is not applied because
	// the image is held: by the operator (hold), or because VM disks use
	// the name (the newer build is then committed and ready; HeldBy names
	// the disks).
	Held Outcome = "held"

	// Missing: not on disk, and this run was not to download it.
	Missing Outcome = "missing"
	// Modified: on disk but not as fetchd verified it, and this run was
	// not to replace it.
	Modified Outcome = "modified"
	// Failed: something went wrong; Err says what.
	Failed Outcome = "failed"
)

// OK reports whether the image is on disk and verified after the run.
func (o Outcome) OK() bool {
	switch o {
	case Present, Installed, Updated, Replaced, Adopted, Outdated, Verified, Held:
		return true
	}
	return false
}

// Result is the outcome for one image.
type Result struct {
	Name    string
	Outcome Outcome
	// Local is the build the name points at after the run, if any.
	Local *state.Build
	// BuildPath is that build's immutable path: VM disks made on it keep
	// their base whatever happens to the name.
	BuildPath string
	// Upstream is the artifact resolved in this run, if any.
	Upstream *sdk.Artifact
	// Err is why the image failed, or a problem worth reporting that did
	// not fail it (e.g. upstream could not be checked).
	Err error
	// Note is a short explanation for humans ("upstream not checked:
	// update policy never").
	Note string
	// Transferred and Reused count bytes downloaded now and kept from an
	// earlier interrupted download.
	Transferred int64
	Reused      int64
	// Connections is the most connections the download had open at once
	// (0: none, or the one go-getter connection).
	Connections int
	// Served says how many bytes each URL of the download (its URL first,
	// then its mirrors) served, and why one was dropped.
	Served []download.SourceStat
	// FellBack says why the download started over on one connection.
	FellBack string
	Duration time.Duration
	// MovedAside lists where files found at the name were moved (kept in
	// the private directory, never deleted).
	MovedAside []string
	// Pending is a newer build that is committed and ready but held back,
	// and HeldBy the VM disks (overlay files) that use the image by its
	// name and so hold it.
	Pending     *state.Build
	PendingPath string
	HeldBy      []string
	// Forced lists the VM disks that used the name when it was moved
	// anyway (MoveOptions.Force): they now read another build under their
	// own blocks.
	Forced []string
	// Rebased lists the VM disks rebased onto the previous build's path
	// before the name moved (MoveOptions.Rebase).
	Rebased []string
	// Hold says why the operator holds the image ("" when not held).
	Hold string
	// Builds are the builds the store keeps for the image (current,
	// pending, previous), set by Status, Hold, Unhold and Rollback; DiskBytes
	// is what they take on disk together (a build two images share counts
	// for each).
	Builds    []KeptBuild
	DiskBytes int64
}
