package engine

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/store"
	"github.com/sandlabx/fetchd/sdk"
)

// action is what syncOne does for an image.
type action int

const (
	// actResolve: ask upstream, then decide again.
	actResolve action = iota
	// actKeep: the current build stays; the name is put back on it if it
	// is not (relink).
	actKeep
	// actInstall: commit upstream's build (downloading it unless it is on
	// disk already) and move the name to it.
	actInstall
	// actAdopt: hash the file at the name against upstream's digest and
	// take it over if it matches; install otherwise.
	actAdopt
	// actReport: change nothing.
	actReport
)

// decision is what decide says about one image.
type decision struct {
	act     action
	outcome Outcome // for actKeep and actReport
	// relink: actKeep must point the name at the current build again.
	relink bool
	note   string
	err    error
}

// upstream is what resolving the image's artifact gave, if it was asked.
type upstream struct {
	asked bool
	art   sdk.Artifact
	err   error
}

// decideOptions are the run's options decide depends on.
type decideOptions struct {
	download bool // false: AUTO_DOWNLOAD_IMAGES=false, report only
	offline  bool
	// downloadOff names the setting that turned downloads off, as given
	// ("AUTO_DOWNLOAD_IMAGES=no"), for notes.
	downloadOff string
}

// off is the note's name for the setting that turned downloads off.
func (o decideOptions) off() string {
	if o.downloadOff == "" {
		return "AUTO_DOWNLOAD_IMAGES=false"
	}
	return o.downloadOff
}

// decide says what to do with one image, from what is on disk (after the
// repair step), what upstream said (if asked), the image's configuration
// and the run's options. It touches nothing.
func decide(l local, up upstream, im config.Image, o decideOptions) decision {
	ok := l.build == buildOK
	foreign := l.at.Kind != store.NameMissing && !l.linked
	relink := ok && !l.linked
	if relink && foreign && !o.download {
		// Putting the name right would move someone's file aside.
		return decision{act: actReport, outcome: Modified, note: "the file on disk " + l.problem + "; not replacing it (" + o.off() + ")"}
	}
	switch {
	case l.blocking != nil:
		return decision{act: actReport, outcome: Failed, err: l.blocking}
	case o.offline && ok && l.changed != "":
		return decision{act: actKeep, outcome: Present, relink: relink, note: "offline: upstream not checked; the configuration changed (" + l.changed + "), which the next online sync applies"}
	case o.offline && ok:
		return decision{act: actKeep, outcome: Present, relink: relink, note: "offline: upstream not checked"}
	case o.offline && l.at.Kind != store.NameMissing:
		return decision{act: actReport, outcome: Failed, err: fmt.Errorf("the file on disk %s; offline, so it cannot be checked against upstream (run sync online)", l.problem)}
	case o.offline:
		return decision{act: actReport, outcome: Failed, err: errors.New("missing, and sync is offline")}
	case !up.asked && ok && l.changed == "" && l.rec.Want != nil && im.Update == config.Never:
		return decision{act: actKeep, outcome: Present, relink: relink, note: "upstream not checked (update: never)"}
	case !up.asked:
		return decision{act: actResolve}
	}
	if up.err != nil {
		switch {
		case notOffered(up.err):
			d := decision{act: actReport, outcome: Failed, err: up.err}
			if ok {
				d.note = "the image stays at its current build"
			}
			return d
		case ok && l.changed == "":
			// The image is there and verified; failing to ask upstream
			// about a newer one does not make it less so.
			return decision{act: actKeep, outcome: Present, relink: relink, err: up.err, note: "could not check upstream for a newer build"}
		}
		return decision{act: actReport, outcome: Failed, err: up.err}
	}
	art := up.art
	changed := l.changed
	if changed == "" && l.known && l.rec.Want == nil && ok {
		changed = legacyChange(l, art, im)
	}
	switch {
	case ok && l.cur.Digest == art.Digest:
		return decision{act: actKeep, outcome: Present, relink: relink}
	case ok && changed != "":
		if !o.download {
			return decision{act: actReport, outcome: Outdated, note: "the configuration changed (" + changed + "); not downloading (" + o.off() + ")"}
		}
		return decision{act: actInstall, note: "the configuration changed: " + changed}
	case ok && l.hold != "":
		return decision{act: actReport, outcome: Held, note: fmt.Sprintf("upstream has %s (on disk: %s); %s", art.Version, l.cur.Version, l.hold)}
	case ok && im.Update != config.Always:
		return decision{act: actReport, outcome: Outdated, note: fmt.Sprintf("upstream has %s (on disk: %s); update policy %s", art.Version, l.cur.Version, im.Update)}
	case !o.download:
		switch {
		case ok:
			return decision{act: actReport, outcome: Outdated, note: fmt.Sprintf("upstream has %s; not downloading ("+o.off()+")", art.Version)}
		case l.at.Kind == store.NameMissing:
			return decision{act: actReport, outcome: Missing, note: "not downloading (" + o.off() + ")"}
		}
		return decision{act: actReport, outcome: Modified, note: "the file on disk " + l.problem + "; not replacing it (" + o.off() + ")"}
	case !ok && l.at.Kind == store.NameFile && !l.linked && !l.nameHashedOther(art):
		return decision{act: actAdopt}
	}
	return decision{act: actInstall}
}

// legacyChange compares a record written before the configuration was
// recorded with it (a version 1 state) with what upstream answered now,
// in the names the source uses: a difference is a configuration change.
func legacyChange(l local, art sdk.Artifact, im config.Image) string {
	was, now := l.cur, art
	switch {
	case im.IsURL() && was.URL != im.URL:
		return fmt.Sprintf("url %s → %s", orNone(was.URL), im.URL)
	case !im.IsURL() && was.Source != im.Source:
		return fmt.Sprintf("source %s → %s", orNone(was.Source), im.Source)
	case !im.IsURL() && (was.Release != now.Release || was.Arch != now.Arch || was.Variant != now.Variant):
		return fmt.Sprintf("%s/%s/%s → %s/%s/%s", was.Release, was.Arch, was.Variant, now.Release, now.Arch, now.Variant)
	}
	return ""
}

// notOffered reports whether a resolve failed because the source does not
// offer the release, architecture or variant asked for (or upstream has
// no such thing): a configuration error for the image, never a warning.
func notOffered(err error) bool {
	var pe *pluginhost.Error
	if errors.As(err, &pe) && pe.Kind == pluginhost.Failed && pe.Code == codes.NotFound {
		return true
	}
	return errors.Is(err, sdk.ErrNotFound)
}
