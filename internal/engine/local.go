package engine

import (
	"fmt"
	"strings"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/store"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// buildState is what fetchd can say about an image's current build file
// without reading it.
type buildState int

const (
	buildNone    buildState = iota // no current build recorded
	buildOK                        // the file is exactly as recorded (its Stamp matches)
	buildStale                     // the file is there but its stamp differs: hash it
	buildMissing                   // recorded, but the file is gone
)

// local is what is on disk for one image, found by lstat alone: no image
// file is opened. decide works on it.
type local struct {
	name  string
	rec   state.Image
	known bool // the state has a record for the name
	cur   state.Build
	build buildState
	// buildNow is the build file's stamp now (when it is there).
	buildNow state.Stamp
	// at is what stands at the name; linked says it is the current
	// build's file (the same inode).
	at     store.Name
	linked bool
	// historyLink is the key of one of the image's own pending or previous
	// builds when the name is that build's file instead.
	historyLink string
	// want is what the configuration asks for now; changed says it differs
	// from what chose the current build (config changes are honored
	// whatever the update policy).
	want    state.Want
	changed string
	// hold says why the name is held on its build ("" when it is not).
	hold string
	// blocking is set when the name holds something fetchd must not
	// replace (a directory).
	blocking error
	// note collects what the repair step did (for the result).
	note string
	// aside is where a file found at the name was moved.
	aside string
	// problem says why an existing file at the name is not trusted.
	problem string
	// nameHash is the digest of the file at the name when the repair step
	// already hashed it (and found it is not the current build).
	nameHash checksum.Digest
}

// nameHashedOther reports whether the file at the name was hashed already
// and is not art: adopting it would only hash it again.
func (l local) nameHashedOther(art sdk.Artifact) bool {
	return l.nameHash.Algorithm == art.Digest.Algorithm && l.nameHash != art.Digest
}

// inspect gathers what is on disk for im.
func (r *run) inspect(im config.Image) local {
	l := local{name: im.Name, want: r.e.wantOf(im)}
	r.view(func(s *state.State) {
		l.rec, l.known = s.Image(im.Name)
		if b, ok := s.Build(l.rec.Build); ok {
			l.cur = b
		}
	})
	l.hold = holdReason(im, l.rec)
	if l.known && l.rec.Want != nil && *l.rec.Want != l.want {
		l.changed = describeChange(*l.rec.Want, l.want)
	}
	if r.st == nil {
		return l
	}
	at, err := r.st.StatName(im.Name)
	if err != nil {
		l.blocking = err
		return l
	}
	l.at = at
	switch at.Kind {
	case store.NameDir:
		l.blocking = &BlockedError{Path: r.st.NamePath(im.Name), What: "a directory"}
	case store.NameSymlink:
		l.problem = "is a symbolic link, not an image fetchd installed"
	case store.NameSpecial:
		l.problem = "is not a regular file"
	}
	if l.cur.File != "" {
		l.build, l.buildNow = r.buildState(l.cur)
		l.linked = at.Kind == store.NameFile && l.build == buildOK && at.Stamp.SameFile(l.cur.Stamp)
	}
	if at.Kind == store.NameFile && !l.linked {
		l.historyLink = r.ownBuildAt(l.rec, at)
		switch {
		case !l.known || l.cur.File == "":
			l.problem = "fetchd has no record of it"
		case l.historyLink == "":
			l.problem = "is not the build fetchd installed (changed or replaced since)"
		}
	}
	return l
}

// buildState stats a build's file against its record.
func (r *run) buildState(b state.Build) (buildState, state.Stamp) {
	now, err := r.st.StatBuild(b.File)
	switch {
	case err != nil:
		return buildMissing, state.Stamp{}
	case b.Stamp.Matches(now):
		return buildOK, now
	}
	return buildStale, now
}

// ownBuildAt is the key of the image's pending or previous build whose
// file stands at the name, if one does (a move that was cut short).
func (r *run) ownBuildAt(rec state.Image, at store.Name) string {
	var key string
	r.view(func(s *state.State) {
		for _, k := range append([]string{rec.Pending}, rec.Previous...) {
			b, ok := s.Build(k)
			if !ok || !b.Stamp.SameFile(at.Stamp) {
				continue
			}
			if now, err := r.st.StatBuild(b.File); err == nil && b.Stamp.Matches(now) {
				key = k
				return
			}
		}
	})
	return key
}

// wantOf is what the configuration asks for an image, as a record.
func (e *Engine) wantOf(im config.Image) state.Want {
	w := state.Want{Source: im.Source, Release: im.Release, Arch: im.Arch, Variant: im.Variant, URL: im.URL}
	if im.Source != "" && w.Arch == "" {
		w.Arch = e.Arch
	}
	switch {
	case !im.Checksum.IsZero():
		w.Checksum = im.Checksum.String()
	case im.ChecksumFileURL != "":
		w.Checksum = "file:" + im.ChecksumFileURL
	}
	return w
}

// describeChange says what changed between two wants, for notes.
func describeChange(was, now state.Want) string {
	var parts []string
	add := func(field, a, b string) {
		if a != b {
			parts = append(parts, fmt.Sprintf("%s %s → %s", field, orNone(a), orNone(b)))
		}
	}
	add("source", was.Source, now.Source)
	add("release", was.Release, now.Release)
	add("arch", was.Arch, now.Arch)
	add("variant", was.Variant, now.Variant)
	add("url", was.URL, now.URL)
	add("checksum", was.Checksum, now.Checksum)
	return joinList(parts)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// holdReason says why an image is held, from the config's hold key and the
// runtime hold in state.
func holdReason(im config.Image, rec state.Image) string {
	var why []string
	if im.Hold {
		why = append(why, "hold: true in the configuration")
	}
	if h := rec.Hold; h != nil {
		s := "held since " + h.At.UTC().Format("2006-01-02 15:04 UTC")
		if h.Reason != "" {
			s += " (" + h.Reason + ")"
		}
		why = append(why, s)
	}
	return strings.Join(why, "; ")
}

// BlockedError is a final path holding something fetchd will not replace.
type BlockedError struct {
	Path string
	What string
}

func (e *BlockedError) Error() string {
	return e.Path + " is " + e.What + "; fetchd will not replace it (move it away)"
}

func isOK(s buildState, _ state.Stamp) bool    { return s == buildOK }
func isStale(s buildState, _ state.Stamp) bool { return s == buildStale }
