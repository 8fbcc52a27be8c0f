package engine

import (
	"context"
	"strings"

	"github.com/sandlabx/fetchd/internal/state"
)

// Hold holds the image on its current build: until Unhold, a sync leaves
// the name where it is whatever the update policy, and reports the image
// held when upstream has another build. A changed configuration (source,
// release, url…) still replaces the image: the hold keeps a build, not a
// configuration. Holding an image that is held already replaces the
// reason. The hold is kept in the state file (so it outlives the process)
// and works on an image that is not installed yet: the first sync installs
// it, later ones keep it. It takes the directory lock. The result is the
// image's status after the change.
func (e *Engine) Hold(ctx context.Context, name, reason string) (Result, error) {
	return e.setHold(ctx, name, &state.Hold{Reason: strings.TrimSpace(reason), At: e.now().UTC()})
}

// Unhold removes the runtime hold Hold (or Rollback) set. A `hold: true`
// in the configuration stays: the result's Hold still says so. Unholding
// an image that is not held changes nothing and is not an error.
func (e *Engine) Unhold(ctx context.Context, name string) (Result, error) {
	return e.setHold(ctx, name, nil)
}

func (e *Engine) setHold(ctx context.Context, name string, h *state.Hold) (Result, error) {
	images, err := e.images([]string{name})
	if err != nil {
		return Result{}, err
	}
	im := images[0]
	r, err := e.begin(ctx, writing)
	if err != nil {
		return Result{}, err
	}
	defer r.end()
	var had bool
	r.view(func(s *state.State) {
		rec, _ := s.Image(im.Name)
		had = rec.Hold != nil
	})
	if h != nil || had {
		if err := r.update("the hold of "+im.Name, func(s *state.State) {
			rec, _ := s.Image(im.Name)
			rec.Hold = h
			s.SetImage(im.Name, rec)
		}); err != nil {
			return Result{}, r.display(err)
		}
	}
	res := r.statusOne(ctx, im, false)
	res.Name = im.Name
	res.Err = r.display(res.Err)
	switch {
	case h != nil:
		res.Note = joinNote("held: syncs keep this build until fetchd unhold "+im.Name, res.Note)
	case had && res.Hold != "":
		res.Note = joinNote("the runtime hold is removed; "+res.Hold+" still holds it", res.Note)
	case had:
		res.Note = joinNote("no longer held: the next sync applies the update policy", res.Note)
	case res.Hold != "":
		res.Note = joinNote("no runtime hold to remove; "+res.Hold+" holds it", res.Note)
	default:
		res.Note = joinNote("was not held", res.Note)
	}
	return res, nil
}
