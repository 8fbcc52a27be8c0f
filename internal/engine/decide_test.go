package engine

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/store"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// TestDecide pins what sync does for one image, from the facts alone: no
// disk, no network.
func TestDecide(t *testing.T) {
	t.Parallel()
	d1 := checksum.Digest{Algorithm: checksum.SHA256, Hex: "11"}
	d2 := checksum.Digest{Algorithm: checksum.SHA256, Hex: "22"}
	want := state.Want{Source: "alpine", Release: "3", Arch: "amd64"}
	cur := state.Build{Digest: d1, Version: "v1", Source: "alpine", Release: "3", Arch: "amd64"}
	linked := store.Name{Kind: store.NameFile}
	// installed: a trusted build, the name linked to it, the config as recorded.
	installed := local{known: true, rec: state.Image{Build: d1.String(), Want: &want}, cur: cur, build: buildOK, at: linked, linked: true, want: want}
	with := func(change func(*local)) local {
		l := installed
		change(&l)
		return l
	}
	none := local{want: want}
	unrecorded := local{want: want, at: linked, problem: "fetchd has no record of it"}
	same := upstream{asked: true, art: sdk.Artifact{Digest: d1, Version: "v1", Release: "3", Arch: "amd64"}}
	newer := upstream{asked: true, art: sdk.Artifact{Digest: d2, Version: "v2", Release: "3", Arch: "amd64"}}
	down := upstream{asked: true, err: errors.New("HTTP 503")}
	notOffered := upstream{asked: true, err: &pluginhost.Error{Source: "alpine", Kind: pluginhost.Failed, Code: codes.NotFound, Err: errors.New(`release "9" is not offered`)}}
	online := decideOptions{download: true}
	im := func(p config.Policy) config.Image {
		return config.Image{Name: "a.qcow2", Source: "alpine", Release: "3", Update: p}
	}

	tests := map[string]struct {
		l    local
		up   upstream
		im   config.Image
		o    decideOptions
		want decision
	}{
		"missing: resolve":                    {none, upstream{}, im(config.Notify), online, decision{act: actResolve}},
		"missing: install":                    {none, newer, im(config.Notify), online, decision{act: actInstall}},
		"missing, no download":                {none, newer, im(config.Notify), decideOptions{}, decision{act: actReport, outcome: Missing, note: "not downloading (AUTO_DOWNLOAD_IMAGES=false)"}},
		"missing, offline":                    {none, upstream{}, im(config.Notify), decideOptions{download: true, offline: true}, decision{act: actReport, outcome: Failed, err: errors.New("missing, and sync is offline")}},
		"installed: resolve":                  {installed, upstream{}, im(config.Notify), online, decision{act: actResolve}},
		"installed, update never":             {installed, upstream{}, im(config.Never), online, decision{act: actKeep, outcome: Present, note: "upstream not checked (update: never)"}},
		"installed, same build":               {installed, same, im(config.Notify), online, decision{act: actKeep, outcome: Present}},
		"installed, newer, notify":            {installed, newer, im(config.Notify), online, decision{act: actReport, outcome: Outdated, note: "upstream has v2 (on disk: v1); update policy notify"}},
		"installed, newer, always":            {installed, newer, im(config.Always), online, decision{act: actInstall}},
		"installed, newer, no download":       {installed, newer, im(config.Always), decideOptions{}, decision{act: actReport, outcome: Outdated, note: "upstream has v2; not downloading (AUTO_DOWNLOAD_IMAGES=false)"}},
		"installed, offline":                  {installed, upstream{}, im(config.Always), decideOptions{download: true, offline: true}, decision{act: actKeep, outcome: Present, note: "offline: upstream not checked"}},
		"installed, upstream down":            {installed, down, im(config.Always), online, decision{act: actKeep, outcome: Present, err: down.err, note: "could not check upstream for a newer build"}},
		"missing, upstream down":              {none, down, im(config.Always), online, decision{act: actReport, outcome: Failed, err: down.err}},
		"installed, release not offered":      {installed, notOffered, im(config.Notify), online, decision{act: actReport, outcome: Failed, err: notOffered.err, note: "the image stays at its current build"}},
		"held by the operator, newer, always": {with(func(l *local) { l.hold = "hold: true in the configuration" }), newer, im(config.Always), online, decision{act: actReport, outcome: Held, note: "upstream has v2 (on disk: v1); hold: true in the configuration"}},
		"held, same build":                    {with(func(l *local) { l.hold = "held" }), same, im(config.Always), online, decision{act: actKeep, outcome: Present}},
		// A config change is honored whatever the policy, hold included.
		"config changed, update never": {with(func(l *local) { l.changed = "release 3 → 4" }), upstream{}, im(config.Never), online, decision{act: actResolve}},
		"config changed, notify":       {with(func(l *local) { l.changed = "release 3 → 4" }), newer, im(config.Notify), online, decision{act: actInstall, note: "the configuration changed: release 3 → 4"}},
		"config changed, held":         {with(func(l *local) { l.changed = "release 3 → 4"; l.hold = "held" }), newer, im(config.Notify), online, decision{act: actInstall, note: "the configuration changed: release 3 → 4"}},
		"config changed, same digest":  {with(func(l *local) { l.changed = "release 3 → latest" }), same, im(config.Notify), online, decision{act: actKeep, outcome: Present}},
		"config changed, not offered": {with(func(l *local) { l.changed = "release 3 → 9" }), notOffered, im(config.Never), online,
			decision{act: actReport, outcome: Failed, err: notOffered.err, note: "the image stays at its current build"}},
		"config changed, upstream down": {with(func(l *local) { l.changed = "release 3 → 4" }), down, im(config.Always), online, decision{act: actReport, outcome: Failed, err: down.err}},
		"config changed, no download": {with(func(l *local) { l.changed = "release 3 → 4" }), newer, im(config.Always), decideOptions{},
			decision{act: actReport, outcome: Outdated, note: "the configuration changed (release 3 → 4); not downloading (AUTO_DOWNLOAD_IMAGES=false)"}},
		"config changed, offline": {with(func(l *local) { l.changed = "release 3 → 4" }), upstream{}, im(config.Notify), decideOptions{download: true, offline: true},
			decision{act: actKeep, outcome: Present, note: "offline: upstream not checked; the configuration changed (release 3 → 4), which the next online sync applies"}},
		// A record from before configs were recorded: resolved once, even
		// with update never, and compared in the source's names.
		"legacy record, update never": {with(func(l *local) { l.rec.Want = nil }), upstream{}, im(config.Never), online, decision{act: actResolve}},
		"legacy record, other release": {with(func(l *local) { l.rec.Want = nil }), upstream{asked: true, art: sdk.Artifact{Digest: d2, Version: "v9", Release: "9", Arch: "amd64"}}, im(config.Never), online,
			decision{act: actInstall, note: "the configuration changed: 3/amd64/ → 9/amd64/"}},
		"legacy record, same release, newer": {with(func(l *local) { l.rec.Want = nil }), newer, im(config.Notify), online, decision{act: actReport, outcome: Outdated, note: "upstream has v2 (on disk: v1); update policy notify"}},
		// The name does not point at the build.
		"name missing, build intact": {with(func(l *local) { l.at, l.linked = store.Name{}, false }), same, im(config.Notify), online, decision{act: actKeep, outcome: Present, relink: true}},
		"foreign file at the name": {with(func(l *local) { l.linked, l.problem = false, "is not the build fetchd installed" }), upstream{}, im(config.Never), online,
			decision{act: actKeep, outcome: Present, relink: true, note: "upstream not checked (update: never)"}},
		"foreign file, no download": {with(func(l *local) { l.linked, l.problem = false, "is not the build fetchd installed" }), upstream{}, im(config.Never), decideOptions{},
			decision{act: actReport, outcome: Modified, note: "the file on disk is not the build fetchd installed; not replacing it (AUTO_DOWNLOAD_IMAGES=false)"}},
		"foreign file, offline": {with(func(l *local) { l.linked, l.problem = false, "is not the build fetchd installed" }), upstream{}, im(config.Never), decideOptions{download: true, offline: true},
			decision{act: actKeep, outcome: Present, relink: true, note: "offline: upstream not checked"}},
		// No trusted build: a file at the name may be upstream's bytes.
		"unrecorded file: adopt":           {unrecorded, newer, im(config.Notify), online, decision{act: actAdopt}},
		"unrecorded file, hashed already":  {with(func(l *local) { *l = unrecorded; l.nameHash = d1 }), newer, im(config.Notify), online, decision{act: actInstall}},
		"unrecorded file, no download":     {unrecorded, newer, im(config.Notify), decideOptions{}, decision{act: actReport, outcome: Modified, note: "the file on disk fetchd has no record of it; not replacing it (AUTO_DOWNLOAD_IMAGES=false)"}},
		"unrecorded file, offline":         {unrecorded, upstream{}, im(config.Notify), decideOptions{download: true, offline: true}, decision{act: actReport, outcome: Failed, err: errors.New("the file on disk fetchd has no record of it; offline, so it cannot be checked against upstream (run sync online)")}},
		"build lost, name holds a symlink": {with(func(l *local) { l.build, l.at, l.linked = buildMissing, store.Name{Kind: store.NameSymlink}, false }), newer, im(config.Notify), online, decision{act: actInstall}},
		"directory at the name":            {with(func(l *local) { l.blocking = errors.New("blocked") }), newer, im(config.Always), online, decision{act: actReport, outcome: Failed, err: errors.New("blocked")}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := decide(tc.l, tc.up, tc.im, tc.o)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(decision{}), cmp.Comparer(sameError)); diff != "" {
				t.Errorf("decide (-want +got):\n%s", diff)
			}
		})
	}
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}
