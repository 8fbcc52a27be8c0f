package engine

import (
	"slices"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/state"
)

// moved is what pointing a name at a build did.
type moved struct {
	aside string // where what was at the name went ("" nothing)
}

// point moves the image's name to build b and records it: the previous
// build becomes the newest of the image's previous builds. The intent is
// recorded first (b as the image's pending build), so that a run cut short
// between the link and the record is finished by the next one
// (finishMove). want is what the configuration asked for.
func (r *run) point(im config.Image, b state.Build, want state.Want) (moved, error) {
	key := b.Digest.String()
	var old state.Build
	var hadOld bool
	err := r.update(im.Name, func(s *state.State) {
		rec := s.Images[im.Name]
		old, hadOld = s.Build(rec.Build)
		hadOld = hadOld && rec.Build != key
		if hadOld {
			rec.Pending = key
			s.SetImage(im.Name, rec)
		}
	})
	if err != nil {
		return moved{}, err
	}
	aside, err := r.st.LinkName(im.Name, b.File)
	if err != nil {
		return moved{}, err
	}
	// Linking and unlinking change the builds' ctime: stamp them again
	// (both were checked in this run and only fetchd writes there).
	if stamp, err := r.st.StatBuild(b.File); err == nil {
		b.Stamp = stamp
	}
	if hadOld && isStale(r.buildState(old)) {
		if stamp, err := r.st.StatBuild(old.File); err == nil && onlyCtimeMoved(old.Stamp, stamp) {
			old.Stamp = stamp
		}
	}
	err = r.update(im.Name, func(s *state.State) {
		rec := s.Images[im.Name]
		if rec.Build != "" && rec.Build != key {
			rec.Previous = append([]string{rec.Build}, rec.Previous...)
		}
		rec.Previous = slices.DeleteFunc(rec.Previous, func(k string) bool { return k == key })
		rec.Build = key
		if rec.Pending == key {
			rec.Pending = ""
		}
		w := want
		rec.Want = &w
		s.SetImage(im.Name, rec)
		s.SetBuild(b)
		if hadOld {
			s.SetBuild(old)
		}
	})
	return moved{aside: aside}, err
}

// recordWant records what the configuration asks for as what chose the
// image's current build (a build that did not change, for a configuration
// that did not change what it resolves to).
func (r *run) recordWant(im config.Image, want state.Want) error {
	var same bool
	r.view(func(s *state.State) {
		rec := s.Images[im.Name]
		same = rec.Want != nil && *rec.Want == want
	})
	if same {
		return nil
	}
	return r.update(im.Name, func(s *state.State) {
		rec := s.Images[im.Name]
		w := want
		rec.Want = &w
		s.SetImage(im.Name, rec)
	})
}

// onlyCtimeMoved reports whether now is was with only its ctime changed,
// as a link or unlink by fetchd leaves it.
func onlyCtimeMoved(was, now state.Stamp) bool {
	now.CTime = was.CTime
	return was.Matches(now)
}
