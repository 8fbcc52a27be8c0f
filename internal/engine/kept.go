package engine

import (
	"encoding/binary"

	"github.com/sandlabx/fetchd/internal/overlay"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/store"
)

// The roles a kept build plays for its image.
const (
	RoleCurrent  = "current"  // the name points at it
	RolePending  = "pending"  // newer, committed and ready, held back by VM disks
	RolePrevious = "previous" // an earlier build: rollback can move the name back to it
)

// KeptBuild is one build the store keeps for an image.
type KeptBuild struct {
	Role  string
	Build state.Build
	// Path is the build's immutable path.
	Path string
	// DiskBytes is what the file takes on disk (allocated blocks: less
	// than Build.Size for a sparse image); 0 when Missing.
	DiskBytes int64
	// Missing says the file is not in the builds area any more.
	Missing bool
	// Overlays are the VM disks in the overlay directories that use the
	// build: by its path, or through the name while it points at it.
	Overlays []string
}

// keptBuilds lists an image's builds: current, pending, then previous
// (newest first), with what each takes on disk, and their sum.
func (r *run) keptBuilds(rec state.Image) ([]KeptBuild, int64) {
	if r.st == nil {
		return nil, 0
	}
	type ref struct{ role, key string }
	refs := []ref{{RoleCurrent, rec.Build}, {RolePending, rec.Pending}}
	for _, k := range rec.Previous {
		refs = append(refs, ref{RolePrevious, k})
	}
	var out []KeptBuild
	var total int64
	var idx *overlay.Index
	if len(r.e.Config.Overlays) > 0 {
		idx, _ = r.overlayIndex() // unreadable: no disks listed; sync and prune refuse on it
	}
	for _, x := range refs {
		if x.key == "" {
			continue
		}
		var b state.Build
		var ok bool
		r.view(func(s *state.State) { b, ok = s.Build(x.key) })
		if !ok {
			continue
		}
		kb := KeptBuild{Role: x.role, Build: b, Path: r.st.Path(store.Builds, b.File)}
		if n, _, err := r.st.BuildUsage(b.File); err == nil {
			kb.DiskBytes = n
			total += n
			if kb.Build.VirtualSize == 0 {
				kb.Build.VirtualSize = r.headerVirtualSize(b)
			}
		} else {
			kb.Missing = true
		}
		if idx != nil {
			if users := idx.Uses(kb.Path); len(users) > 0 {
				kb.Overlays = overlay.Paths(users)
			}
		}
		out = append(out, kb)
	}
	return out, total
}

// headerVirtualSize reads the virtual size from a qcow2 build's header
// (for a build recorded without it); a raw build's is its size. 0 when it
// cannot be read.
func (r *run) headerVirtualSize(b state.Build) int64 {
	if b.Format == "raw" {
		return b.Size
	}
	f, err := r.st.OpenBuild(b.File)
	if err != nil {
		return 0
	}
	defer f.Close()
	var h [32]byte
	if _, err := f.ReadAt(h[:], 0); err != nil || string(h[:4]) != "QFI\xfb" {
		return 0
	}
	v := binary.BigEndian.Uint64(h[24:])
	if v > 1<<62 {
		return 0
	}
	return int64(v)
}
